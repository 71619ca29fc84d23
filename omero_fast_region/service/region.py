"""render_image_region / render_image: the hot path (omero-web.md §2.3.1-2.3.2, ms-image-region.md §2).

:func:`render_region` reads top to bottom: settings -> region -> ETag -> read -> render ->
encode, with the time of each stage recorded for ``Server-Timing``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..config import Config
from ..descriptor import ImageDescriptor
from ..encode import CONTENT_TYPES, encode_rgb
from ..errors import BadRequest, NotFound, Unsupported
from ..limits import check_render
from ..pixels.base import PixelSource
from ..query import RenderQuery, apply_query
from ..render import project, projection_planes, render_rgb
from ..render.model import RenderSettings
from ..runtime import Runtime
from .memo import IdentityMemo
from .rendered import NotModified, Rendered, StageTimer, etag_matches, strong_etag
from .sources import open_pixels

#: stock's message continues a string literal over a line break: the indentation is part of it
_LEVEL_PAD = " " * 20


@dataclass(frozen=True)
class TileSpec:
    """``tile=level,x,y[,w,h]``: level 0 = full resolution; x, y are tile indices; 0 = native size."""

    level: int
    x: int
    y: int
    w: int = 0
    h: int = 0


@dataclass(frozen=True)
class RegionSpec:
    """``region=x,y,w,h`` in full-resolution pixels."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PlaneRegion:
    """The pixels to read: a resolution level (0 = full) and a rectangle in that level's grid."""

    level: int
    x: int
    y: int
    w: int
    h: int


def parse_tile(value: str) -> TileSpec:
    """``tile``: the first three values, and the 4th/5th as size only when both are given (stock)."""
    parts = value.split(",")
    try:
        level, x, y = int(parts[0]), int(parts[1]), int(parts[2])
        w, h = (int(parts[3]), int(parts[4])) if len(parts) > 4 else (0, 0)
    except (IndexError, ValueError):
        raise BadRequest(f"malformed tile argument, tile={value}") from None
    return TileSpec(level, x, y, w, h)


def parse_region(value: str) -> RegionSpec:
    """``region=x,y,w,h`` (extra values ignored, as stock)."""
    parts = value.split(",")
    try:
        x, y, w, h = (int(v) for v in parts[:4])
    except ValueError:
        raise BadRequest(f"malformed region argument, region={value}") from None
    return RegionSpec(x, y, w, h)


def _tile_rectangle(source: PixelSource, config: Config, tile: TileSpec) -> tuple[int, int, int, int, int]:
    """Level and rectangle of a tile, with stock's resolution checks and 400 messages."""
    top = len(source.levels) - 1
    if tile.level < 0:
        raise BadRequest(f"Invalid resolution level {tile.level} < 0")
    if top == 0 and tile.level > 0:
        raise BadRequest(f"Invalid resolution level {tile.level}, non pyramid file")
    if tile.level > top:
        raise BadRequest(f"Invalid resolution level, {_LEVEL_PAD}{tile.level} > number of available levels {top} ")
    native_w, native_h = source.tile_size(tile.level)
    tw = min(tile.w if tile.w > 0 else native_w, config.max_tile_length)
    th = min(tile.h if tile.h > 0 else native_h, config.max_tile_length)
    return tile.level, tile.x * tw, tile.y * th, tw, th


def resolve_region(
    source: PixelSource, config: Config, tile: TileSpec | None, region: RegionSpec | None,
    flip_h: bool = False, flip_v: bool = False,
) -> PlaneRegion:
    """Tile, region or whole plane -> a level and a rectangle clipped to it, mirrored by ``flip``
    (ms-image-region.md §2.3: truncate, then mirror the position; the pixels are mirrored later)."""
    if tile is not None:
        level, x, y, w, h = _tile_rectangle(source, config, tile)
    elif region is not None:
        level, x, y, w, h = 0, region.x, region.y, region.w, region.h
    else:
        level = whole_plane_level(source, config)
        size_x, size_y = source.levels[level]
        return PlaneRegion(level, 0, 0, size_x, size_y)
    size_x, size_y = source.levels[level]
    if x < 0 or y < 0 or x >= size_x or y >= size_y:
        raise NotFound(f"Start position ({x},{y}) exceeds image size ({size_x}, {size_y})")
    w, h = min(w, size_x - x), min(h, size_y - y)
    if w <= 0 or h <= 0:
        raise NotFound(f"Invalid Region, the width and height must be positive: {w}x{h}")
    if w * h > config.max_plane_width * config.max_plane_height:
        raise NotFound(f"Requested shape [{w}, {h}] > max plane size {config.max_plane_width} * {config.max_plane_height}")
    if flip_h:
        x = size_x - w - x
    if flip_v:
        y = size_y - h - y
    return PlaneRegion(level, x, y, w, h)


def whole_plane_level(source: PixelSource, config: Config) -> int:
    """The largest level whose plane fits the max plane size (full resolution when it fits)."""
    limit = config.max_plane_width * config.max_plane_height
    for level, (w, h) in enumerate(source.levels):
        if w * h <= limit:
            return level
    raise BadRequest(
        f"Image plane {source.size_x}x{source.size_y} exceeds the max plane size "
        f"{config.max_plane_width} * {config.max_plane_height} at every resolution level"
    )


#: the saved settings with a query applied, per (settings, query) instance pair: a viewer's tiles
#: share both, and ``apply_query`` rebuilt every channel's settings for each (finding 32)
_applied: IdentityMemo[RenderSettings] = IdentityMemo(apply_query)


def rendering_settings(descriptor: ImageDescriptor, query: RenderQuery, config: Config) -> RenderSettings:
    """The image's rendering definition with the request's changes applied."""
    if descriptor.rendering is None:
        raise Unsupported("the image has no rendering settings yet")
    settings = _applied(descriptor.rendering.settings, query)
    active = query.requested_active if query.channels is not None else sum(ch.active for ch in settings.channels)
    if active > config.max_active_channels:
        raise BadRequest(f"Too many active channels. Cannot process more than {config.max_active_channels} per request")
    return settings


def shown_channels(settings: RenderSettings) -> list[int]:
    """Channels the renderer reads: the active ones, only the first in greyscale."""
    active = [i for i, ch in enumerate(settings.channels) if ch.active]
    return active[:1] if settings.model == "greyscale" else active


def without_hidden_channels(settings: RenderSettings) -> RenderSettings:
    """Greyscale shows only the first active channel: mark the others inactive so they are not read."""
    shown = set(shown_channels(settings))
    if len(shown) == sum(ch.active for ch in settings.channels):
        return settings
    return replace(settings, channels=tuple(replace(ch, active=i in shown) for i, ch in enumerate(settings.channels)))


def read_planes(
    source: PixelSource, descriptor: ImageDescriptor, settings: RenderSettings, z: int, t: int,
    region: PlaneRegion, query: RenderQuery,
) -> list[np.ndarray | None]:
    """Read the region of every shown channel (projected over Z when ``p`` asks; z is then ignored)."""
    pixels = descriptor.pixels
    proj = query.projection
    if not (0 <= t < pixels.size_t):
        raise BadRequest(f"t {t} out of range 0..{pixels.size_t - 1}")
    if proj is None and not (0 <= z < pixels.size_z):
        raise BadRequest(f"z {z} out of range 0..{pixels.size_z - 1}")
    planes: list[np.ndarray | None] = [None] * len(settings.channels)
    for c in shown_channels(settings):
        if proj is None:
            planes[c] = source.read_region(z, c, t, region.level, region.x, region.y, region.w, region.h)
            continue
        zs = projected_z(proj, pixels.size_z)
        if zs:
            stack = source.read_stack(c, t, region.level, region.x, region.y, region.w, region.h, zs[0], zs[-1], proj.stepping)
        else:  # mean/sum of one plane: OMERO's loop excludes the end plane, so nothing is read
            stack = np.zeros((0, region.h, region.w))
        planes[c] = project(stack, proj.algorithm, pixels.pixel_type)
    return planes


def projected_z(proj, size_z: int) -> list[int]:
    """The planes a projection reads (its range defaulting to the whole stack)."""
    start = 0 if proj.start is None else proj.start
    end = size_z - 1 if proj.end is None else proj.end
    return projection_planes(proj.algorithm, start, end, proj.stepping, size_z)


def render_region(
    runtime: Runtime, descriptor: ImageDescriptor, z: int, t: int, query: RenderQuery,
    tile: TileSpec | None = None, region: RegionSpec | None = None, scope: str = "",
    if_none_match: str | None = None,
) -> Rendered | NotModified:
    """render_image_region / render_image. Returns :class:`NotModified` when the ETag matches."""
    timer = StageTimer()
    settings = rendering_settings(descriptor, query, runtime.config)
    source = open_pixels(runtime, descriptor)
    plane = resolve_region(source, runtime.config, tile, region, query.flip_h, query.flip_v)
    depth = len(projected_z(query.projection, descriptor.pixels.size_z)) if query.projection else 1
    check_render(runtime.config, descriptor.pixels.pixel_type, plane.w, plane.h, len(shown_channels(settings)), depth)
    etag = strong_etag(scope, descriptor.id, descriptor.version, settings, z, t, plane, query.projection,
                       query.format, query.quality, query.flip_h, query.flip_v)
    if etag_matches(etag, if_none_match):
        return NotModified(etag)
    timer.lap("prepare")
    planes = read_planes(source, descriptor, settings, z, t, plane, query)
    timer.lap("read")
    rgb = render_rgb(planes, descriptor.pixels, descriptor.channels, without_hidden_channels(settings), runtime.luts,
                     padded=query.format == "jpeg")
    if query.flip_h:
        rgb = rgb[:, ::-1]
    if query.flip_v:
        rgb = rgb[::-1]
    timer.lap("render")
    body = encode_rgb(rgb, query.format, query.quality)
    timer.lap("encode")
    return Rendered(body, CONTENT_TYPES[query.format], etag, plane.w, plane.h, timer.timings, timer.cpu_ms())
