"""``render_rgb``: planes + settings -> the RGB of OMERO's ``Renderer.renderAsPackedInt`` (§2, §10)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import BadRequest
from .compose import compose_greyscale, compose_rgb, packed_form
from .luts import LutLibrary
from .model import ChannelInfo, PixelsInfo, RenderSettings
from .pixeltypes import check_pixel_type
from .tables import channel_table, lane_max, table_length


def _plane_shape(planes: Sequence[np.ndarray | None], active: Sequence[int], pixels: PixelsInfo) -> tuple[int, int]:
    shapes = {np.shape(planes[i]) for i in active}
    if len(shapes) > 1:
        raise BadRequest(f"active planes differ in shape: {sorted(shapes)}")
    if shapes:
        shape = shapes.pop()
        if len(shape) != 2:
            raise BadRequest(f"planes must be 2-D, got shape {shape}")
        return shape
    present = [np.shape(p) for p in planes if p is not None]
    return present[0] if present else (pixels.size_y, pixels.size_x)


def render_rgb(
    planes: Sequence[np.ndarray | None],
    pixels: PixelsInfo,
    channels: Sequence[ChannelInfo],
    settings: RenderSettings,
    luts: LutLibrary | None = None,
    padded: bool = False,
) -> np.ndarray:
    """Render one plane per image channel into a C-contiguous (h, w, 3) uint8 RGB image.

    With ``padded`` the image is (h, w, 4): R, G, B and a padding byte of no meaning, the layout
    Pillow keeps RGB in, so :func:`~omero_fast_region.encode.encode_rgb` wraps it without a copy.

    ``planes[i]`` may be None for an inactive channel. Stats come from ``channels[i].stats``
    (None: the pixel-type range). Model "rgb" adds the active channels (§2.2); any other model
    is OMERO's greyscale: the first active channel only (§2.3). No active channel gives black.
    Raises :class:`~omero_fast_region.errors.RenderingRefused` for settings OMERO refuses.
    """
    check_pixel_type(pixels.pixel_type)
    if len(settings.channels) > len(planes):
        raise BadRequest(f"{len(settings.channels)} channel settings for {len(planes)} planes")
    active = [i for i, ch in enumerate(settings.channels) if ch.active]
    missing = [i for i in active if planes[i] is None]
    if missing:
        raise BadRequest(f"no plane for active channel(s) {missing}")
    greyscale = settings.model != "rgb"
    if greyscale:
        active = active[:1]
    h, w = _plane_shape(planes, active, pixels)
    depth = 4 if padded else 3
    if not active or h * w == 0:
        return np.zeros((h, w, depth), dtype=np.uint8)
    out = np.empty((h, w, depth), dtype=np.uint8)
    apply_alpha = any(settings.channels[i].rgba[3] != 255 for i in active)
    alpha = apply_alpha and not greyscale
    luts_used = [luts.get(settings.channels[i].lut) if (luts is not None and not greyscale) else None
                 for i in active]
    form = packed_form([lane_max(settings.channels[i], lut, alpha) for i, lut in zip(active, luts_used)],
                       greyscale)
    tables = []
    for i, lut in zip(active, luts_used):
        stats = channels[i].stats if i < len(channels) else None
        table = channel_table(pixels.pixel_type, pixels.significant_bits, stats, settings.channels[i],
                              settings, lut, alpha, form, table_length(planes[i], pixels.pixel_type))
        tables.append(table)
    flat = out.reshape(-1, depth)
    if greyscale:
        compose_greyscale(tables[0], planes[active[0]], flat)
    else:
        compose_rgb(tables, [planes[i] for i in active], flat)
    return out
