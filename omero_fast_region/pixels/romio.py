"""OMERO's raw ``Pixels/<id>`` file (``RomioPixelBuffer``): headerless big-endian XYZCT (reference §6.3).

Rows are read with ``os.pread`` on a kept-open read-only descriptor: one call for full-width rows
(and for a region whose row gaps are narrow), one per row otherwise. (Not a memory map: a file truncated while mapped would kill the worker
with SIGBUS on the first touch of a page past the new end; a short read is a clean NotFound.)
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ..errors import NotFound, Unsupported
from ..render.model import PixelsInfo
from .base import PixelSource
from .bounds import check_read
from .dtypes import numpy_dtype
from .handles import Handle

#: First 64 bytes of a plane OMERO pre-filled but never wrote (``RomioPixelBuffer.NULL_PLANE``).
NULL_PLANE_MARKER = bytes([0x80, 0x7F] * 32)
#: a region is read in one call when the bytes from its first to its last pixel are at most this many
#: times its own size (copying the gaps is cheaper than a system call per row), else row by row
SPAN_READ_FACTOR = 8
#: largest read buffer a thread keeps between reads (a 512² tile's span of a 4096-wide uint16 plane)
SCRATCH_KEEP = 4 << 20


_local = threading.local()


def _scratch(size: int) -> memoryview:
    """A per-thread reusable read buffer of ``size`` bytes (fresh megabytes would page-fault on
    every read); only buffers up to :data:`SCRATCH_KEEP` bytes are kept between reads."""
    buffer = getattr(_local, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = bytearray(size)
        if size <= SCRATCH_KEEP:
            _local.buffer = buffer
    return memoryview(buffer)[:size]


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
        self._row_bytes = self.size_x * self._dtype.itemsize
        self._fd: Handle[int] = Handle(self._open_fd, os.close)
        self._fd.open()

    def _open_fd(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise NotFound(f"no pixels file {self.path}") from None
        size = os.fstat(fd).st_size
        if size < self._expected:
            os.close(fd)
            self.broken = True
            raise NotFound(f"{self.path} holds {size} bytes, {self._expected} expected")
        return fd

    def _pread_into(self, fd: int, buffer: memoryview, offset: int) -> None:
        """Fill ``buffer`` from ``offset``; the file ending first (truncated since opened) is NotFound."""
        done = 0
        while done < len(buffer):
            n = os.preadv(fd, [buffer[done:]], offset + done)
            if n <= 0:
                self.broken = True
                raise NotFound(f"{self.path} ends before byte {offset + len(buffer)} (truncated?)")
            done += n

    def tile_size(self, level: int = 0) -> tuple[int, int]:
        """``(sizeX, min(sizeY, (1048576/bpp)/sizeX))`` as ``RomioPixelBuffer.getTileSize``."""
        rows = (1048576 // self._dtype.itemsize) // self.size_x
        return self.size_x, max(1, min(self.size_y, rows))

    def _plane_offset(self, z: int, c: int, t: int) -> int:
        return ((t * self.size_c + c) * self.size_z + z) * self._plane_bytes

    def read_region(self, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        check_read(self, z, c, t, level, x, y, w, h)
        offset = self._plane_offset(z, c, t)
        item = self._dtype.itemsize
        start = offset + y * self._row_bytes + x * item
        span = (h - 1) * self._row_bytes + w * item  # first to last byte of the region
        with self._fd.use() as fd:
            if self._plane_bytes >= 64:
                head = _scratch(64)
                self._pread_into(fd, head, offset)
                if head == NULL_PLANE_MARKER:
                    raise PlaneNotWritten(f"plane z={z} c={c} t={t} of {self.path} is not written yet")
            if span <= SPAN_READ_FACTOR * w * h * item:  # whole rows, or narrow gaps: one read, then slice
                buffer = _scratch(span)
                self._pread_into(fd, buffer, start)
                strides = (self._row_bytes, item)
            else:  # wide rows: one read per row
                run = w * item
                buffer = _scratch(h * run)
                for row in range(h):
                    self._pread_into(fd, buffer[row * run:(row + 1) * run], start + row * self._row_bytes)
                strides = (run, item)
            raw = np.ndarray((h, w), self._dtype, buffer=buffer, strides=strides)
            return raw.astype(self._dtype.newbyteorder("="))  # one pass: copy out of the scratch and byte-swap

    def close(self) -> None:
        self._fd.close()
