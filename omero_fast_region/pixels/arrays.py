"""Reading (z, c, t, region) from n-D chunked arrays whose axes are named, for NGFF and TIFF.

Each level is a zarr array with axes such as ``tczyx``, ``zyx`` or ``yxc`` in any order;
missing axes have size 1. Z may be downsampled at lower levels: a full-resolution ``z`` maps
to ``z * sizeZ_level // sizeZ_0`` (omero-zarr-pixel-buffer #12). Only the chunks a region
touches are read: by :mod:`.zarr_direct` for one plane's rectangle of a plainly encoded local
array, or by :mod:`.tiff_chunks` from tifffile's store (decided per level at open time),
otherwise by zarr's own slicing. Under gevent every
read stays with zarr in the native threadpool (``run_blocking``): a direct read on the hub, or
a fast one in the pool, lets heavy requests' renders queue ahead of light tiles (the ordering
``tests/hardening/test_servers.py`` checks).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import NotFound, Unsupported
from .base import PixelSource
from .bounds import check_read
from .dtypes import pixel_type_of, to_native
from .greenlets import gevent_patched, run_blocking
from .handles import Handle
from .zarr_direct import DirectArray, NeedsEventLoop

AXES = "tczyx"


class AxisLayout:
    """Where t, c, z, y, x sit in one array's dimensions (absent axes: None).

    An axis named ``.`` is some other dimension of size 1 (e.g. a TIFF sample axis of one).
    """

    def __init__(self, axes: str, shape: Sequence[int]) -> None:
        axes = axes.lower()
        named = axes.replace(".", "")
        ones = all(int(n) == 1 for a, n in zip(axes, shape) if a == ".")
        if len(axes) != len(shape) or len(set(named)) != len(named) or not set(named) <= set(AXES) or not ones:
            raise Unsupported(f"axes {axes!r} for an array of shape {tuple(shape)}")
        if "x" not in axes or "y" not in axes:
            raise Unsupported(f"axes {axes!r} lack x or y")
        self.axes = axes
        self.position = {name: axes.index(name) if name in axes else None for name in AXES}
        self.shape = tuple(int(s) for s in shape)

    def size(self, name: str) -> int:
        pos = self.position[name]
        return 1 if pos is None else self.shape[pos]

    def selection(self, z: int | slice | np.ndarray, c: int, t: int, x: int, y: int, w: int, h: int) -> tuple:
        """The zarr index of one region; z may be a list for a stack read."""
        values = {"t": t, "c": c, "z": z, "y": slice(y, y + h), "x": slice(x, x + w), ".": 0}
        return tuple(values[name] for name in self.axes)

    def to_zyx(self, block: np.ndarray, stacked: bool) -> np.ndarray:
        """Reorder the read block to (h, w), or (n, h, w) when z was a list."""
        kept = [name for name in self.axes if name in ("y", "x") or (stacked and name == "z")]
        order = [kept.index(name) for name in ("z", "y", "x") if name in kept]
        return block.transpose(order) if order != sorted(order) else block


def _read_selection(array, selection: tuple) -> np.ndarray:
    """One zarr read (orthogonal when z is a list)."""
    stacked = any(isinstance(s, np.ndarray) for s in selection)
    return np.asarray(array.oindex[selection] if stacked else array[selection])


class ChunkedArraySource(PixelSource):
    """A source whose levels are zarr arrays sharing one axes string (level 0 first)."""

    broken = False
    _allow_bit = False
    _allow_wide = False

    def _init_levels(self, handle: Handle, axes: Sequence[str]) -> None:
        """Take the levels from ``handle`` (opened: its value is the list of level arrays)."""
        self._handle = handle
        try:
            with handle.use() as arrays:
                self._init_layouts(arrays, axes)
                self._chunks = [tuple(arr.chunks) for arr in arrays]
                self._direct = [self._direct_reader(arr, level) for level, arr in enumerate(arrays)]
        except BaseException:
            handle.close()
            raise

    def _direct_reader(self, array, level: int) -> DirectArray | None:
        """The reader of ``array`` (level ``level``) that needs no zarr call, or None (zarr reads it)."""
        return DirectArray.of(array)

    def _direct_now(self, level: int) -> DirectArray | None:
        """The direct reader of ``level`` when this read may use it (not under gevent: module doc)."""
        direct = self._direct[level]
        return None if direct is None or gevent_patched() else direct

    def _init_layouts(self, arrays: Sequence, axes: Sequence[str]) -> None:
        if not arrays:
            raise Unsupported("no resolution levels")
        self._layouts = [AxisLayout(a, arr.shape) for a, arr in zip(axes, arrays)]
        base = self._layouts[0]
        self.pixel_type = pixel_type_of(arrays[0].dtype, allow_bit=self._allow_bit, allow_wide=self._allow_wide)
        self.size_x, self.size_y = base.size("x"), base.size("y")
        self.size_z, self.size_c, self.size_t = base.size("z"), base.size("c"), base.size("t")
        self.levels = [(lay.size("x"), lay.size("y")) for lay in self._layouts]
        for lay in self._layouts[1:]:
            if (lay.size("c"), lay.size("t")) != (self.size_c, self.size_t) or lay.size("z") > self.size_z:
                raise Unsupported(f"level shape {lay.shape} does not match level 0 {base.shape}")

    def tile_size(self, level: int = 0) -> tuple[int, int]:
        lay, chunks = self._layouts[level], self._chunks[level]
        return (
            chunks[lay.position["x"]] if lay.position["x"] is not None else lay.size("x"),
            chunks[lay.position["y"]] if lay.position["y"] is not None else lay.size("y"),
        )

    def _level_z(self, level: int, z: int) -> int:
        """Full-resolution z at ``level`` (Z downsampled or not)."""
        return z * self._layouts[level].size("z") // self.size_z

    def _read(self, level: int, selection: tuple) -> np.ndarray:
        direct = self._direct_now(level)
        try:
            if direct is not None and DirectArray.accepts(selection):
                try:
                    return direct.read(selection)  # no zarr call, no event loop
                except NeedsEventLoop:
                    self._direct[level] = None  # its store awaits: zarr reads this level from now on
            with self._handle.use() as arrays:
                return run_blocking(_read_selection, arrays[level], selection)
        except (FileNotFoundError, KeyError) as exc:
            raise NotFound(f"missing data: {exc}") from None
        except Unsupported:
            raise
        except Exception as exc:  # undecodable chunk: mark broken so the pool reopens
            self.broken = True
            raise Unsupported(f"cannot read {type(self).__name__}: {exc}") from None

    def read_region(self, z: int, c: int, t: int, level: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        check_read(self, z, c, t, level, x, y, w, h)
        lay = self._layouts[level]
        block = self._read(level, lay.selection(self._level_z(level, z), c, t, x, y, w, h))
        return to_native(lay.to_zyx(block, stacked=False))

    def read_stack(
        self, c: int, t: int, level: int, x: int, y: int, w: int, h: int, z_start: int, z_end: int, step: int = 1
    ) -> np.ndarray:
        """The Z range as (n, h, w), each distinct plane read once (Z-downsampled levels repeat planes):
        plane by plane where the level is read directly, else in one zarr read."""
        check_read(self, z_start, c, t, level, x, y, w, h)
        check_read(self, z_end, c, t, level, x, y, w, h)
        lay = self._layouts[level]
        zs = [self._level_z(level, z) for z in range(z_start, z_end + 1, max(1, step))]
        if lay.position["z"] is None:
            plane = self.read_region(0, c, t, level, x, y, w, h)
            return np.repeat(plane[None], len(zs), axis=0)
        unique, inverse = np.unique(zs, return_inverse=True)
        if self._direct_now(level) is not None:
            block = np.stack([lay.to_zyx(self._read(level, lay.selection(int(z), c, t, x, y, w, h)), stacked=False)
                              for z in unique])
        else:
            block = lay.to_zyx(self._read(level, lay.selection(unique, c, t, x, y, w, h)), stacked=True)
        return to_native(block[inverse] if len(unique) != len(zs) else block)

    def close(self) -> None:
        self._handle.close()
