"""The one small interface every pixel source implements (reference/renderer.md §6-§7)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class PixelSource(ABC):
    """An open image in one on-disk format.

    Level 0 is full resolution; ``levels[i]`` is ``(size_x, size_y)`` of level ``i`` as stored.
    Reads return native-endian arrays of shape ``(h, w)`` in the image's pixel type and touch
    only the chunks/tiles/rows needed. Coordinates are in the level's own pixel grid.
    Implementations are safe to read from several threads at once.
    """

    pixel_type: str  # OMERO name: uint16, float, ...
    size_x: int
    size_y: int
    size_z: int
    size_c: int
    size_t: int
    levels: list[tuple[int, int]]

    @abstractmethod
    def tile_size(self, level: int = 0) -> tuple[int, int]:
        """Native tile/chunk size ``(w, h)`` at ``level``."""

    @abstractmethod
    def read_region(self, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Pixels of one plane's region, shape ``(h, w)``."""

    def read_stack(
        self, c: int, t: int, level: int, x: int, y: int, w: int, h: int, z_start: int, z_end: int, step: int = 1
    ) -> np.ndarray:
        """Planes ``z_start..z_end`` (inclusive) every ``step``, shape ``(n, h, w)`` for projections."""
        zs = range(z_start, z_end + 1, max(1, step))
        return np.stack([self.read_region(z, c, t, level, x, y, w, h) for z in zs])

    def close(self) -> None:
        """Release file handles. Idempotent."""

    def __enter__(self) -> "PixelSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
