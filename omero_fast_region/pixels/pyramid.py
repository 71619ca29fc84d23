"""OMERO's ``<id>_pyramid`` BigTIFF (``BfPyramidPixelBuffer``, reference §6.4).

One IFD per plane (``planeIndex = t*sizeC*sizeZ + c*sizeZ + z``), lossless JPEG-2000 tiles;
the lower resolutions are the codestream's own decomposition levels. tifffile reads the IFDs
and tile offsets once at open; tiles are then read with ``pread`` and decoded only as far as
the requested level needs, each once while it stays in the decoded cache (``decoded_cache``).
"""

from __future__ import annotations

import math
import os
import struct
import weakref

import numpy as np
import tifffile

from ..errors import NotFound, Unsupported
from ..render.model import PixelsInfo
from .base import PixelSource
from .bounds import check_read
from .decoded_cache import DECODED, cached_level_plane, cached_tile, paste
from .dtypes import pixel_type_of
from .handles import Handle
from .jpeg2k import codestream_info, decode_tile

JPEG2000_COMPRESSIONS = {33003, 33004, 33005, 34712}


def java_round(value: float) -> int:
    """``Math.round``: half up."""
    return math.floor(value + 0.5)


def level_sizes(size: int, tile: int, levels: int) -> list[tuple[int, int]]:
    """Per level ``(size_L, tile_L)`` along one axis, as Bio-Formats ``MinimalTiffReader`` computes them.

    ``tile_L = max(1, round(tile/2**L))``; the partial last tile becomes ``rem/2**L``, rounded
    up below 1 and to nearest otherwise; ``size_L = full_tiles*tile_L + rem_L``.
    """
    full = size // tile
    out = []
    for level in range(levels):
        f = 2**level
        tile_l = max(1, java_round(tile / f))
        rem = (size - full * tile) / f
        rem_l = math.ceil(rem) if rem < 1 else java_round(rem)
        out.append((full * tile_l + rem_l, tile_l))
    return out


class OmeroPyramidSource(PixelSource):
    """A ``<id>_pyramid`` file. Z/C/T come from ``SourceSpec.pixels``; without it every IFD is a T."""

    def __init__(self, path: str, pixels: PixelsInfo | None = None) -> None:
        self.path = path
        self.broken = False
        try:
            self._read_layout(path, pixels)
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no pyramid file {path}") from None
        except (tifffile.TiffFileError, ValueError, IndexError, struct.error) as exc:
            raise Unsupported(f"unreadable pyramid {path}: {exc}") from None
        self._fd: Handle[int] = Handle(lambda: os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)), os.close)
        self._fd.open()
        self._owner = DECODED.new_owner()  # decoded tiles of this source, dropped with it
        self._drop_decoded = weakref.finalize(self, DECODED.drop, self._owner)

    def _read_layout(self, path: str, pixels: PixelsInfo | None) -> None:
        with tifffile.TiffFile(path) as tif:
            first = tif.pages.first
            if first.compression not in JPEG2000_COMPRESSIONS or not first.is_tiled:
                raise Unsupported(f"{path} is not a JPEG-2000 tiled pyramid")
            if first.samplesperpixel != 1:
                raise Unsupported(f"{path} has {first.samplesperpixel} samples per pixel")
            self._dtype = np.dtype(first.dtype).newbyteorder("=")
            self.pixel_type = pixel_type_of(self._dtype)
            pages = [p for p in tif.pages if p.shape == first.shape]
            if pixels is not None:
                count = pixels.size_z * pixels.size_c * pixels.size_t
                if len(pages) < count:
                    raise Unsupported(f"{path} has {len(pages)} planes, Pixels say {count}")
                self.size_z, self.size_c, self.size_t = pixels.size_z, pixels.size_c, pixels.size_t
                pages = pages[:count]
            else:
                self.size_z, self.size_c, self.size_t = 1, 1, len(pages)
            self._tiles = [(np.asarray(p.dataoffsets), np.asarray(p.databytecounts)) for p in pages]
            self.size_y, self.size_x = first.imagelength, first.imagewidth
            self._tile_w, self._tile_h = first.tilewidth, first.tilelength
            self._columns = -(-self.size_x // self._tile_w)
            offset, count = self._tiles[0][0][0], self._tiles[0][1][0]
            tif.filehandle.seek(int(offset))
            info = codestream_info(tif.filehandle.read(int(count)))
        n = info.decompositions + 1
        xs, ys = level_sizes(self.size_x, self._tile_w, n), level_sizes(self.size_y, self._tile_h, n)
        self.levels = [(sx, sy) for (sx, _), (sy, _) in zip(xs, ys)]
        self._level_tiles = [(tx, ty) for (_, tx), (_, ty) in zip(xs, ys)]

    def tile_size(self, level: int = 0) -> tuple[int, int]:
        return self._level_tiles[level]

    def read_region(self, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        check_read(self, z, c, t, level, x, y, w, h)
        plane = (t * self.size_c + c) * self.size_z + z
        tw, th = self._level_tiles[level]
        cells = [
            (row, col)
            for row in range(y // th, (y + h - 1) // th + 1)
            for col in range(x // tw, (x + w - 1) // tw + 1)
        ]

        def decode(cell: tuple[int, int]) -> np.ndarray:  # about 10 ms per 256² 16-bit tile at level 0
            return self._decode_tile(plane, level, cell)

        width, height = self.levels[level]
        whole = cached_level_plane((self._owner, plane, level), self._owner, (height, width), self._dtype, (tw, th))
        if whole is not None:
            whole.fill(cells, decode)
            return whole.array[y : y + h, x : x + w].copy()
        out = np.empty((h, w), self._dtype)
        for cell in cells:
            tile = cached_tile((self._owner, plane, level, cell), self._owner, lambda cell=cell: decode(cell))
            paste(tile, cell[1] * tw, cell[0] * th, out, x, y)
        return out

    def _decode_tile(self, plane: int, level: int, cell: tuple[int, int]) -> np.ndarray:
        """Read and decode one code-stream of ``plane`` at reduction ``level``."""
        offsets, counts = self._tiles[plane]
        index = cell[0] * self._columns + cell[1]
        with self._fd.use() as fd:
            blob = os.pread(fd, int(counts[index]), int(offsets[index]))
        return self._decode(blob, level)

    def _decode(self, data: bytes, level: int) -> np.ndarray:
        try:
            return decode_tile(data, level, self._dtype)
        except Unsupported:
            raise
        except Exception as exc:  # corrupt tile: the file is broken, hand over
            self.broken = True
            raise Unsupported(f"cannot decode a tile of {self.path}: {exc}") from None

    def close(self) -> None:
        self._fd.close()
        self._drop_decoded()

