"""Thumbnails: render_thumbnail, birds-eye view, get_thumbnail(s) (omero-web.md §4, renderer.md §8).

Sizes follow ``ThumbnailBean`` exactly (float32 arithmetic, truncation, at least 3 px); the
plane is read from the smallest pyramid level that still covers the thumbnail, rendered with the
rendering definition (no query settings), and resampled with Lanczos.

Encoded thumbnails are kept per process in :data:`THUMBNAILS` (the ``thumbnail_cache_mb``
setting), keyed by their strong ETag, which already names everything that determines the bytes
(the session's scope, image, descriptor version, rendering settings, plane and size). The lookup
comes after the session's own descriptor lookup, so a thumbnail is only ever served to a session
that may read the image, and a revisited webclient grid is answered from memory as OMERO's own
thumbnail store answers it from disk.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..bytecache import ByteBoundedCache
from ..descriptor import ImageDescriptor
from ..encode import encode_rgb
from ..errors import BadRequest, NotFound, Unsupported
from ..limits import check, thumbnail_bytes
from ..pixels.base import PixelSource
from ..render import render_rgb
from ..render.model import RenderingDef
from ..runtime import Runtime
from .region import shown_channels, without_hidden_channels
from .rendered import NotModified, Rendered, StageTimer, etag_matches, strong_etag
from .sources import open_pixels

DEFAULT_SIZE = 96
JPEG_QUALITY = 0.85
MIN_SIDE = 3

#: Default bound of :data:`THUMBNAILS` (the ``thumbnail_cache_mb`` setting).
DEFAULT_CACHE_BYTES = 32 << 20
THUMBNAILS = ByteBoundedCache(DEFAULT_CACHE_BYTES)


@dataclass(frozen=True)
class EncodedThumbnail:
    """A thumbnail's JPEG bytes and size, as :data:`THUMBNAILS` keeps them."""

    body: bytes
    width: int
    height: int

    @property
    def nbytes(self) -> int:
        return len(self.body)


def longest_side_size(size_x: int, size_y: int, longest: int) -> tuple[int, int]:
    """``calculateXYWidths``: the longest side becomes ``longest``, the other scales (float32, truncated)."""
    f32 = np.float32
    if size_x > size_y:
        ratio = f32(longest) / f32(size_x)
        return longest, int(f32(size_y) * ratio)
    ratio = f32(longest) / f32(size_y)
    return int(f32(size_x) * ratio), longest


def scaled_size(buf_w: int, buf_h: int, tw: int, th: int) -> tuple[int, int]:
    """``JavaImageScalingService.scaleBufferedImage``: ``(int)(buf * (float)(t / buf))``, at least 3."""
    f32 = np.float32
    out_w = int(f32(buf_w) * (f32(tw) / f32(buf_w)))
    out_h = int(f32(buf_h) * (f32(th) / f32(buf_h)))
    return max(MIN_SIDE, out_w), max(MIN_SIDE, out_h)


def check_longest_side(config, longest: int) -> None:
    """400 when a longest side exceeds both the max plane width and height (no image could have it),
    before any float32 size arithmetic can overflow; also for get_thumbnails' one size for all."""
    if longest < 0:
        raise BadRequest("thumbnail size must not be negative")
    if longest > max(config.max_plane_width, config.max_plane_height):
        raise BadRequest("thumbnail size exceeds the max plane width and height")


def requested_size(config, size_x: int, size_y: int, size: tuple[int, ...]) -> tuple[int, int]:
    """The requested ``(tw, th)``: ``size`` = (longest side,) keeps the aspect ratio, (w, h) is exact.

    Each side is checked against its own maximum (``max_plane_width``, ``max_plane_height``), so a
    side JPEG cannot hold (over 65,500 px) or an area that overflows never reaches the renderer.
    """
    if any(side < 0 for side in size):
        raise BadRequest("thumbnail size must not be negative")
    if len(size) == 1:
        check_longest_side(config, size[0])
        tw, th = longest_side_size(size_x, size_y, size[0])
    else:
        tw, th = size[:2]
    if tw > config.max_plane_width or th > config.max_plane_height:
        raise BadRequest(f"thumbnail size {tw}x{th} exceeds the max plane width or height")
    return tw, th


def thumbnail_level(source: PixelSource, tw: int, th: int, max_area: int) -> int:
    """The smallest level still at least ``tw`` x ``th`` (full resolution if none is), within ``max_area``."""
    chosen = 0
    for level, (w, h) in enumerate(source.levels):
        if w >= tw and h >= th:
            chosen = level
    while chosen < len(source.levels) - 1 and source.levels[chosen][0] * source.levels[chosen][1] > max_area:
        chosen += 1
    w, h = source.levels[chosen]
    if w * h > max_area:
        raise Unsupported(f"no resolution level of {source.size_x}x{source.size_y} fits the max plane size")
    return chosen


def choose_rendering(descriptor: ImageDescriptor, rdef_id: int | None) -> RenderingDef:
    """The image's rendering definition, or the one ``rdefId`` names (404 when it has none such)."""
    if rdef_id is None:
        if descriptor.rendering is None:
            raise Unsupported("the image has no rendering settings yet")
        return descriptor.rendering
    for rdef in (descriptor.rendering, *descriptor.rendering_defs):
        if rdef is not None and rdef.id == rdef_id:
            return rdef
    raise NotFound(f"Image {descriptor.id} has no rendering definition {rdef_id}")


def render_thumbnail(
    runtime: Runtime, descriptor: ImageDescriptor, size: tuple[int, ...] = (DEFAULT_SIZE,),
    z: int | None = None, t: int | None = None, rdef_id: int | None = None, scope: str = "",
    if_none_match: str | None = None,
) -> Rendered | NotModified:
    """A JPEG thumbnail: ``size`` = (longest side,) keeps the aspect ratio, (w, h) is exact."""
    timer = StageTimer()
    config = runtime.config
    pixels = descriptor.pixels
    rdef = choose_rendering(descriptor, rdef_id)
    z = rdef.default_z if z is None else z
    t = rdef.default_t if t is None else t
    if not (0 <= z < pixels.size_z and 0 <= t < pixels.size_t):
        raise NotFound(f"Image {descriptor.id} has no plane z={z}, t={t}")
    tw, th = requested_size(config, pixels.size_x, pixels.size_y, size)
    etag = strong_etag("thumbnail", scope, descriptor.id, descriptor.version, rdef.settings, z, t, tw, th)
    if etag_matches(etag, if_none_match):
        return NotModified(etag)
    timer.lap("prepare")

    def build() -> EncodedThumbnail:
        return _encode_thumbnail(runtime, descriptor, rdef, z, t, tw, th, timer)

    thumb = THUMBNAILS.get_or_build(etag, build)
    return Rendered(thumb.body, "image/jpeg", etag, thumb.width, thumb.height, timer.timings, timer.cpu_ms())


def _encode_thumbnail(runtime: Runtime, descriptor: ImageDescriptor, rdef: RenderingDef, z: int, t: int,
                      tw: int, th: int, timer: StageTimer) -> EncodedThumbnail:
    """Read, render, resample and encode one thumbnail (what :data:`THUMBNAILS` keeps)."""
    config = runtime.config
    pixels = descriptor.pixels
    source = open_pixels(runtime, descriptor)
    level = thumbnail_level(source, tw, th, config.max_plane_width * config.max_plane_height)
    buf_w, buf_h = source.levels[level]
    out_w, out_h = scaled_size(buf_w, buf_h, tw, th)
    shown = shown_channels(rdef.settings)
    check(config, thumbnail_bytes(pixels.pixel_type, buf_w, buf_h, len(shown), out_w, out_h))
    timer.lap("prepare")
    planes: list[np.ndarray | None] = [None] * len(rdef.settings.channels)
    for c in shown:
        planes[c] = source.read_region(z, c, t, level, 0, 0, buf_w, buf_h)
    timer.lap("read")
    rgb = render_rgb(planes, pixels, descriptor.channels, without_hidden_channels(rdef.settings), runtime.luts)
    if (out_w, out_h) != (buf_w, buf_h):
        rgb = np.asarray(Image.fromarray(rgb, mode="RGB").resize((out_w, out_h), Image.Resampling.LANCZOS))
    timer.lap("render")
    body = encode_rgb(rgb, "jpeg", JPEG_QUALITY)
    timer.lap("encode")
    return EncodedThumbnail(body, out_w, out_h)


def data_uri(body: bytes) -> str:
    """``data:image/jpeg;base64,…`` as get_thumbnail(s) answer (stock labels placeholders JPEG too)."""
    return "data:image/jpeg;base64," + base64.b64encode(body).decode("ascii")


def placeholder_thumbnail(size: tuple[int, ...] = (DEFAULT_SIZE,)) -> bytes:
    """webclient's ``defaultThumbnail``: a PNG placeholder, square when one size is given."""
    w, h = (size[0], size[0]) if len(size) == 1 else size[:2]
    w, h = max(1, min(int(w), 1024)), max(1, min(int(h), 1024))
    image = Image.new("RGB", (w, h), (221, 221, 221))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
