"""TIFF and OME-TIFF originals through tifffile's zarr store (reference §6.6).

Covers OME-TIFF (SubIFD pyramids, several series), ImageJ and plain TIFF stacks, and the
SVS/NDPI-style pyramids tifffile reads. Only the tiles or strips a region touches are decoded
(``series.aszarr()``), in the reading thread (:mod:`.tiff_chunks`). Axis letters tifffile
cannot name (``I``, ``Q`` ...) are taken as T, as Bio-Formats' MinimalTiffReader does for a
plain multi-page file, unless ``SourceSpec.pixels`` says the pages are Z. RGB samples (``S``)
are channels.
"""

from __future__ import annotations

import tifffile
import zarr

from ..errors import FastRegionError, NotFound, Unsupported
from ..render.model import PixelsInfo
from .arrays import ChunkedArraySource
from .greenlets import run_blocking
from .handles import Handle
from .tiff_chunks import TiffChunks

_KNOWN = {"T": "t", "C": "c", "Z": "z", "Y": "y", "X": "x"}


def map_tiff_axes(axes: str, shape: tuple[int, ...], pixels: PixelsInfo | None = None) -> str:
    """tifffile axis letters -> ``tczyx`` letters (``.`` for other axes of size 1)."""
    sizes = dict(zip(axes, shape))
    out = []
    for letter, size in zip(axes, shape):
        if letter in _KNOWN:
            out.append(_KNOWN[letter])
        elif letter == "S":
            out.append("c" if size > 1 or "C" not in axes else ".")
        elif size == 1:
            out.append(".")
        else:
            out.append("?")
    if "S" in axes and "C" in axes and sizes["S"] > 1:
        if sizes["C"] > 1:
            raise Unsupported(f"TIFF with both channels and samples ({axes} {shape})")
        out[axes.index("C")] = "."
    unknown = [i for i, a in enumerate(out) if a == "?"]
    if len(unknown) > 1:
        raise Unsupported(f"TIFF axes {axes} {shape} are ambiguous")
    if unknown:
        size = shape[unknown[0]]
        prefer_z = pixels is not None and pixels.size_z == size and pixels.size_t == 1
        choices = [a for a in (("z", "t") if prefer_z else ("t", "z")) if a not in out]
        if not choices:
            raise Unsupported(f"TIFF axes {axes} {shape} are ambiguous")
        out[unknown[0]] = choices[0]
    return "".join(out)


class TiffSource(ChunkedArraySource):
    """One series of a TIFF file, all its pyramid levels."""

    _allow_bit = True

    def __init__(self, path: str, series: int = 0, pixels: PixelsInfo | None = None) -> None:
        self.path = path
        self.series = series
        self._pixels = pixels
        handle = Handle(lambda: run_blocking(self._open_levels), lambda opened: opened.tif.close())
        self._init_levels(handle, handle.open().axes)

    def _direct_reader(self, array, level: int) -> TiffChunks | None:
        return TiffChunks.of(array, self._handle, level)

    def _open_levels(self) -> "_OpenTiff":
        tif = self._open_file()
        try:
            return _OpenTiff(tif, *self._levels(tif, self._pixels))
        except BaseException as exc:
            tif.close()
            if isinstance(exc, Exception) and not isinstance(exc, FastRegionError):
                # a damaged file: tifffile raises RuntimeError, IndexError, struct.error, ... reading its IFDs
                self.broken = True
                raise Unsupported(f"damaged TIFF {self.path}: {type(exc).__name__}: {exc}") from None
            raise

    def _open_file(self) -> tifffile.TiffFile:
        try:
            tif = tifffile.TiffFile(self.path)
        except FileNotFoundError:
            raise NotFound(f"no file {self.path}") from None
        except Exception as exc:  # TiffFileError, ValueError, OSError and the rest of a damaged header
            self.broken = True
            raise Unsupported(f"not a readable TIFF {self.path}: {type(exc).__name__}: {exc}") from None
        tif.filehandle.set_lock(True)  # the zarr store seeks and reads through one handle
        return tif

    def _levels(self, tif: tifffile.TiffFile, pixels: PixelsInfo | None):
        if not tif.series:
            raise Unsupported(f"{self.path} holds no image tifffile can read")
        if not 0 <= self.series < len(tif.series):
            raise NotFound(f"{self.path} has no series {self.series}")
        series = tif.series[self.series]
        try:
            # tiles decoded in the reading thread: the store's get then never awaits (tiff_chunks)
            store = series.aszarr(squeeze=False, multiscales=True, maxworkers=1)
            group = zarr.open_group(store, mode="r")
            arrays = [group[str(i)] for i in range(len(series.levels))]
        except (ValueError, KeyError, NotImplementedError) as exc:
            raise Unsupported(f"tifffile cannot read {self.path} series {self.series} by chunks: {exc}") from None
        axes = [map_tiff_axes(level.get_axes(False), level.get_shape(False), pixels) for level in series.levels]
        return arrays, axes


class _OpenTiff(list):
    """The level arrays of an open TIFF series, holding the file they read from."""

    def __init__(self, tif: tifffile.TiffFile, arrays: list, axes: list[str]) -> None:
        super().__init__(arrays)
        self.tif = tif
        self.axes = axes
