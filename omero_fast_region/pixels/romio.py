"""OMERO's raw ``Pixels/<id>`` file (``RomioPixelBuffer``): headerless big-endian XYZCT (reference §6.3).

Rows are read through a read-only memory map, so a tile touches only the pages of its rows.
"""

from __future__ import annotations

import mmap
import os

import numpy as np

from ..errors import NotFound, Unsupported
from ..render.model import PixelsInfo
from .base import PixelSource
from .bounds import check_read
from .dtypes import numpy_dtype
from .handles import Handle

#: First 64 bytes of a plane OMERO pre-filled but never wrote (``RomioPixelBuffer.NULL_PLANE``).
NULL_PLANE_MARKER = bytes([0x80, 0x7F] * 32)


class PlaneNotWritten(Unsupported):
    """The plane still holds OMERO's not-yet-written marker.

    Handed to the stock view rather than answered 404: the state is transient (an upload in
    progress) and OMERO itself answers differently per call path (``getPlane`` returns null,
    ``getTile`` returns the raw bytes), so the stock view is the only exact answer.
    """


class RomioSource(PixelSource):
    """One ``Pixels/<id>`` file; needs the sizes and type from ``SourceSpec.pixels``."""

    def __init__(self, path: str, pixels: PixelsInfo | None) -> None:
        if pixels is None:
            raise Unsupported("a romio source needs the Pixels sizes and type")
        if pixels.pixel_type == "bit":
            raise Unsupported("bit pixels are not readable from ROMIO files (getByteWidth() is 0)")
        self.path = path
        self.pixel_type = pixels.pixel_type
        self._dtype = numpy_dtype(pixels.pixel_type, ">")
        self.size_x, self.size_y = pixels.size_x, pixels.size_y
        self.size_z, self.size_c, self.size_t = pixels.size_z, pixels.size_c, pixels.size_t
        self.levels = [(self.size_x, self.size_y)]
        self._plane_bytes = self.size_x * self.size_y * self._dtype.itemsize
        self._expected = self._plane_bytes * self.size_z * self.size_c * self.size_t
        self.broken = False
        self._map: Handle[mmap.mmap] = Handle(self._open_map, lambda m: m.close())
        self._map.open()

    def _open_map(self) -> mmap.mmap:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise NotFound(f"no pixels file {self.path}") from None
        try:
            size = os.fstat(fd).st_size
            if size < self._expected:
                self.broken = True
                raise NotFound(f"{self.path} holds {size} bytes, {self._expected} expected")
            return mmap.mmap(fd, self._expected, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)

    def tile_size(self, level: int = 0) -> tuple[int, int]:
        """``(sizeX, min(sizeY, (1048576/bpp)/sizeX))`` as ``RomioPixelBuffer.getTileSize``."""
        rows = (1048576 // self._dtype.itemsize) // self.size_x
        return self.size_x, max(1, min(self.size_y, rows))

    def _plane_offset(self, z: int, c: int, t: int) -> int:
        return ((t * self.size_c + c) * self.size_z + z) * self._plane_bytes

    def read_region(self, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        check_read(self, z, c, t, level, x, y, w, h)
        offset = self._plane_offset(z, c, t)
        with self._map.use() as mm:
            if self._plane_bytes >= 64 and mm[offset : offset + 64] == NULL_PLANE_MARKER:
                raise PlaneNotWritten(f"plane z={z} c={c} t={t} of {self.path} is not written yet")
            rows = np.frombuffer(mm, self._dtype, count=h * self.size_x, offset=offset + y * self.size_x * self._dtype.itemsize)
            out = rows.reshape(h, self.size_x)[:, x : x + w].astype(self._dtype.newbyteorder("="))
            del rows
        return out

    def close(self) -> None:
        self._map.close()
