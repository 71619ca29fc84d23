"""Reading a rectangle of a TIFF level from its tiles or strips, without zarr-python's event loop.

:class:`~.tiff.TiffSource` reads a series through tifffile's zarr store (``series.aszarr()``).
Through zarr-python 3 every ``array[...]`` runs on zarr's IO thread: about 0.6 ms of fixed cost
per read of one 512² tile, against 0.07 ms for the tile itself (docs/benchmarks.md, finding 30).
:class:`TiffChunks` asks the same store for the chunks a selection touches, in the caller's
thread, and puts them together as :class:`~.zarr_direct.DirectArray` does for NGFF chunk files.
Everything TIFF-specific (which page and tile a chunk is, reading it under the file's lock,
decoding it, a series' transform, a missing tile) stays tifffile's: the store's own ``get``
does it. That ``get`` is a coroutine which, for tile/strip chunks decoded in the caller
(``chunkmode`` 0, ``maxworkers`` 1), never suspends; it is run to its end here. Should a
tifffile version suspend in it, :class:`NeedsEventLoop` says so and the source goes back to
reading that level through zarr.
"""

from __future__ import annotations

from typing import Any, Coroutine

import numpy as np

from .handles import Handle
from .zarr_direct import DirectArray, NeedsEventLoop

try:  # tifffile >= 2025: zarr 3 stores
    from tifffile.zarr import ZarrTiffStore
except ImportError:  # pragma: no cover - an older tifffile: every level is read by zarr
    ZarrTiffStore = None


def run_to_end(coro: Coroutine) -> Any:
    """The result of a coroutine that completes without suspending; :class:`NeedsEventLoop` if it suspends."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise NeedsEventLoop(getattr(coro, "__qualname__", "a store read"))


class TiffChunks(DirectArray):
    """One level of a TIFF series, its chunks fetched from tifffile's store in the caller's thread.

    Holds the source's :class:`~.handles.Handle`, not the store: a source evicted from the pool
    closes its file, and a read after that opens it again through the handle.
    """

    def __init__(self, array: Any, handle: Handle, level: int) -> None:
        super().__init__(array, folder="")
        self._handle = handle
        self._level = level
        self._prefix = f"{array.path}/" if array.path else ""

    @classmethod
    def of(cls, array: Any, handle: Handle, level: int) -> TiffChunks | None:  # type: ignore[override]
        """A reader for level ``level`` (``array``, over tifffile's store), or None when zarr must read it."""
        store = getattr(array, "store", None)
        if ZarrTiffStore is None or not isinstance(store, ZarrTiffStore):
            return None
        if getattr(store, "_chunkmode", None) != 0 or getattr(store, "_maxworkers", None) != 1:
            return None  # whole pages, or a decode handed to a thread: the store's get awaits
        metadata = array.metadata
        if metadata.zarr_format != 2 or metadata.filters or metadata.compressor is not None:
            return None
        if np.dtype(array.dtype).kind not in "biuf":
            return None
        return cls(array, handle, level)

    def _chunk(self, coords: tuple[int, ...]) -> np.ndarray | None:
        key = self._prefix + self._encode_key(coords)
        with self._handle.use() as levels:
            buffer = run_to_end(levels[self._level].store.get(key, self._spec.prototype))
        return None if buffer is None else self._decode(buffer.as_numpy_array())
