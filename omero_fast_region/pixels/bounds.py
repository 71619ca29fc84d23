"""Argument checks shared by every reader: plane indices, level and region inside the level."""

from __future__ import annotations

from ..errors import BadRequest
from .base import PixelSource


def check_read(src: PixelSource, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> None:
    """BadRequest unless (z, c, t) exist and the region lies inside ``level`` (as OMERO's range checks)."""
    if not (0 <= z < src.size_z and 0 <= c < src.size_c and 0 <= t < src.size_t):
        raise BadRequest(f"plane z={z} c={c} t={t} outside {src.size_z}x{src.size_c}x{src.size_t}")
    if not 0 <= level < len(src.levels):
        raise BadRequest(f"resolution level {level} outside 0..{len(src.levels) - 1}")
    size_x, size_y = src.levels[level]
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > size_x or y + h > size_y:
        raise BadRequest(f"region {x},{y},{w},{h} outside level {level} ({size_x}x{size_y})")
