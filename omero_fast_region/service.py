"""One function per endpoint; knows nothing of Django (DESIGN.md §2).

The hot path reads top to bottom in :func:`render_region`: resolve the region -> settings ->
read -> render -> encode, with the time of each stage recorded for ``Server-Timing``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

from .config import Config
from .descriptor import ImageDescriptor
from .encode import CONTENT_TYPES, encode_rgb
from .errors import BadRequest, NotFound, Unsupported
from .pixels.base import PixelSource
from .query import RenderQuery, apply_query
from .render import project, projection_planes, render_rgb
from .render.model import RenderSettings
from .runtime import Runtime


@dataclass(frozen=True)
class TileSpec:
    """``tile=level,x,y[,w,h]``: level 0 = full resolution; x, y are tile indices."""

    level: int
    x: int
    y: int
    w: int = 0  # 0 -> the native tile size
    h: int = 0


@dataclass(frozen=True)
class RegionSpec:
    """``region=x,y,w,h`` in full-resolution pixels."""

    x: int
    y: int
    w: int
    h: int


@dataclass
class Rendered:
    """An encoded image ready to send."""

    body: bytes
    content_type: str
    etag: str
    width: int
    height: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PlaneRegion:
    """The pixels to read: a resolution level and a rectangle in that level's grid."""

    level: int
    x: int
    y: int
    w: int
    h: int


class StageTimer:
    """Records milliseconds per named stage (``Server-Timing``)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self._last) * 1000.0
        self._last = now


def parse_tile(value: str) -> TileSpec:
    """``tile=level,x,y[,w,h]`` -> TileSpec; 400 ``malformed tile argument`` as stock."""
    try:
        parts = [int(v) for v in value.split(",")]
        if len(parts) < 3:
            raise ValueError
    except ValueError:
        raise BadRequest(f"malformed tile argument, tile={value}") from None
    w, h = (parts[3], parts[4]) if len(parts) > 4 else (0, 0)
    return TileSpec(parts[0], parts[1], parts[2], w, h)


def parse_region(value: str) -> RegionSpec:
    """``region=x,y,w,h`` -> RegionSpec; 400 ``malformed region argument`` as stock."""
    try:
        x, y, w, h = (int(v) for v in value.split(",")[:4])
    except ValueError:
        raise BadRequest(f"malformed region argument, region={value}") from None
    return RegionSpec(x, y, w, h)


def resolve_region(
    source: PixelSource, config: Config, tile: TileSpec | None, region: RegionSpec | None,
    flip_h: bool = False, flip_v: bool = False,
) -> PlaneRegion:
    """Turn tile/region/whole-plane into a level and a clipped rectangle (ms-image-region.md §2.3)."""
    if tile is not None:
        levels = len(source.levels)
        if tile.level < 0:
            raise BadRequest(f"Invalid resolution level {tile.level} < 0")
        if levels == 1 and tile.level > 0:
            raise BadRequest(f"Invalid resolution level {tile.level}, non pyramid file")
        if tile.level >= levels:
            raise BadRequest(
                f"Invalid resolution level, {tile.level} > number of available levels {levels - 1} "
            )
        native_w, native_h = source.tile_size(tile.level)
        tw = native_w if tile.w <= 0 else min(tile.w, config.max_tile_length)
        th = native_h if tile.h <= 0 else min(tile.h, config.max_tile_length)
        level, x, y, w, h = tile.level, tile.x * tw, tile.y * th, tw, th
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
        raise NotFound(f"Invalid Region, the width must be positive:{min(w, h)}")
    if w * h > config.max_plane_width * config.max_plane_height:
        raise BadRequest(f"Requested shape [{w}, {h}] > max plane size {config.max_plane_width} * {config.max_plane_height}")
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


def rendering_settings(descriptor: ImageDescriptor, query: RenderQuery, config: Config) -> RenderSettings:
    """The image's rendering definition with the request's changes applied."""
    if descriptor.rendering is None:
        raise Unsupported("the image has no rendering settings yet")
    settings = apply_query(descriptor.rendering.settings, query)
    active = sum(1 for ch in settings.channels if ch.active)
    if active > config.max_active_channels:
        raise BadRequest(f"Too many active channels: {active} > {config.max_active_channels}")
    return settings


def read_planes(
    source: PixelSource, descriptor: ImageDescriptor, settings: RenderSettings, z: int, t: int,
    region: PlaneRegion, query: RenderQuery,
) -> list[np.ndarray | None]:
    """Read the region of every channel the settings will show (projected when ``p`` asks)."""
    pixels = descriptor.pixels
    if not (0 <= z < pixels.size_z):
        raise BadRequest(f"z {z} out of range 0..{pixels.size_z - 1}")
    if not (0 <= t < pixels.size_t):
        raise BadRequest(f"t {t} out of range 0..{pixels.size_t - 1}")
    shown = _shown_channels(settings)
    planes: list[np.ndarray | None] = [None] * len(settings.channels)
    proj = query.projection
    for c in shown:
        if proj is None:
            planes[c] = source.read_region(z, c, t, region.level, region.x, region.y, region.w, region.h)
            continue
        start = 0 if proj.start is None else max(0, proj.start)
        end = pixels.size_z - 1 if proj.end is None else min(proj.end, pixels.size_z - 1)
        zs = projection_planes(proj.algorithm, start, end, proj.stepping, pixels.size_z)
        if not zs:
            raise BadRequest(f"empty projection range {start}:{end}")
        stack = np.stack([source.read_region(zz, c, t, region.level, region.x, region.y, region.w, region.h) for zz in zs])
        planes[c] = project(stack, proj.algorithm, pixels.pixel_type)
    return planes


def _shown_channels(settings: RenderSettings) -> list[int]:
    active = [i for i, ch in enumerate(settings.channels) if ch.active]
    return active[:1] if settings.model == "greyscale" else active


def image_etag(descriptor: ImageDescriptor, settings: RenderSettings, z: int, t: int, region: PlaneRegion,
               query: RenderQuery, scope: str = "") -> str:
    """A strong ETag over everything that determines the bytes (and the requester's scope)."""
    key = repr((scope, descriptor.id, descriptor.version, settings, z, t, region, query.projection,
                query.format, query.quality, query.flip_h, query.flip_v))
    return '"' + hashlib.sha1(key.encode()).hexdigest() + '"'


def render_region(
    runtime: Runtime, descriptor: ImageDescriptor, z: int, t: int, query: RenderQuery,
    tile: TileSpec | None = None, region: RegionSpec | None = None, scope: str = "",
    if_none_match: str | None = None,
) -> Rendered | str:
    """render_image_region / render_image: the hot path. Returns the ETag alone on a 304 match."""
    timer = StageTimer()
    settings = rendering_settings(descriptor, query, runtime.config)
    source = runtime.pool.get(descriptor.source)
    plane_region = resolve_region(source, runtime.config, tile, region, query.flip_h, query.flip_v)
    etag = image_etag(descriptor, settings, z, t, plane_region, query, scope)
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return etag
    timer.lap("prepare")
    planes = read_planes(source, descriptor, settings, z, t, plane_region, query)
    timer.lap("read")
    rgb = render_rgb(planes, descriptor.pixels, descriptor.channels, settings, runtime.luts)
    if query.flip_h:
        rgb = rgb[:, ::-1]
    if query.flip_v:
        rgb = rgb[::-1]
    timer.lap("render")
    body = encode_rgb(rgb, query.format, query.quality)
    timer.lap("encode")
    return Rendered(body, CONTENT_TYPES[query.format], etag, plane_region.w, plane_region.h, timer.timings)
