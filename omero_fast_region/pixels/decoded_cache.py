"""Decoded tiles of compressed pyramids, kept per process within a byte bound (``pyramid_cache_mb``).

Decoding is the cost of an OMERO ``_pyramid`` read (lossless JPEG-2000: about 40 ms per 512²
tile, and a low-resolution tile spans 4**level code-streams), so each code-stream is decoded
once per level: small levels (the whole plane within ``WHOLE_LEVEL_PIXELS``) are kept as one
:class:`LevelPlane` filled tile by tile as reads need them; larger levels keep decoded tiles.
Entries belong to their source (:meth:`~omero_fast_region.bytecache.ByteBoundedCache.new_owner`)
and go with it when the pool closes it.
"""

from __future__ import annotations

from typing import Callable, Hashable, Sequence

import numpy as np

from ..bytecache import ByteBoundedCache

#: Default bound of :data:`DECODED` (the ``pyramid_cache_mb`` setting).
DEFAULT_CACHE_BYTES = 256 << 20
#: Levels whose plane has at most this many pixels are kept whole (8 MiB of uint16).
WHOLE_LEVEL_PIXELS = 2048 * 2048

DECODED = ByteBoundedCache(DEFAULT_CACHE_BYTES)

Cell = tuple[int, int]  # (row, column) of a tile in its level's grid


def paste(tile: np.ndarray, x0: int, y0: int, target: np.ndarray, x: int, y: int) -> None:
    """Copy the overlap of ``tile`` (placed at ``x0, y0``) into ``target`` (placed at ``x, y``)."""
    h, w = target.shape
    sx, sy = max(x, x0), max(y, y0)
    ex, ey = min(x + w, x0 + tile.shape[1]), min(y + h, y0 + tile.shape[0])
    if ex > sx and ey > sy:
        target[sy - y : ey - y, sx - x : ex - x] = tile[sy - y0 : ey - y0, sx - x0 : ex - x0]


class LevelPlane:
    """One plane of one level, decoded tile by tile as reads reach it; each tile is decoded once."""

    def __init__(self, shape: tuple[int, int], dtype: np.dtype, tile: tuple[int, int]) -> None:
        self.array = np.empty(shape, dtype)  # untouched pages cost no memory until filled
        self.tile = tile  # (w, h) of a tile in this level's grid
        self._filled = ByteBoundedCache(max_bytes=0)  # cell -> True; markers take no bytes

    @property
    def nbytes(self) -> int:
        return self.array.nbytes

    def fill(self, cells: Sequence[Cell], decode: Callable[[Cell], np.ndarray]) -> None:
        """Make sure ``cells`` are decoded into :attr:`array` (waiting for other threads' decodes)."""
        tw, th = self.tile
        for cell in cells:
            def place(cell: Cell = cell) -> bool:
                paste(decode(cell), cell[1] * tw, cell[0] * th, self.array, 0, 0)
                return True

            self._filled.get_or_build(cell, place)


def cached_tile(key: Hashable, owner: Hashable, decode: Callable[[], np.ndarray]) -> np.ndarray:
    """The decoded tile of ``key`` (read-only), decoding once while it stays cached."""
    def build() -> np.ndarray:
        tile = decode()
        tile.flags.writeable = False
        return tile

    return DECODED.get_or_build(key, build, owner)


def cached_level_plane(key: Hashable, owner: Hashable, shape: tuple[int, int], dtype: np.dtype,
                       tile: tuple[int, int]) -> LevelPlane | None:
    """The :class:`LevelPlane` of ``key``, or None when such a plane could not be kept (too big)."""
    if shape[0] * shape[1] > WHOLE_LEVEL_PIXELS or shape[0] * shape[1] * dtype.itemsize > DECODED.max_bytes:
        return None
    return DECODED.get_or_build(key, lambda: LevelPlane(shape, dtype, tile), owner)
