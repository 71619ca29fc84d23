"""Reading a rectangle of a local zarr array from its chunk files, without zarr-python's event loop.

zarr-python 3 runs every ``array[...]`` on its IO thread and codec pool: about 1 ms of fixed cost
a call, most of a warm tile read (docs/benchmarks.md, finding 1). For the plain layouts that hold
nearly all NGFF images this module reads the chunk files a selection touches and decodes them with
the array's own codec objects, as zarr's pipeline does:

* zarr v2 (any ``dimension_separator``, C or F ``order``): no filters, no compressor or one of the
  numcodecs decompressors in :data:`V2_COMPRESSORS` (``compressor.decode``, then a view as the
  stored dtype and a reshape in the stored order, as ``zarr.codecs._v2.V2Codec``);
* zarr v3: a regular chunk grid, no array-to-array codec (transpose...), the ``bytes`` codec
  (endianness) and at most one compressor of :data:`V3_COMPRESSORS`, each decoded through its
  ``_decode_sync`` (zarr's own synchronous codec interface); default or v2 chunk key encoding;

with a numeric dtype, in a ``LocalStore``. A missing chunk file is the array's fill value (zarr's
``fill_value_or_default``). Everything else (S3, sharding, filters, other codecs) gets ``None``
from :meth:`DirectArray.of` and is read by zarr. Metadata is always read by zarr.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import zarr
import zarr.storage
from numcodecs.compat import ensure_ndarray_like
from zarr.codecs import BloscCodec, BytesCodec, GzipCodec, ZstdCodec
from zarr.core.buffer import default_buffer_prototype
from zarr.core.chunk_grids import RegularChunkGrid
from zarr.core.codec_pipeline import fill_value_or_default

#: numcodecs ``codec_id`` of v2 compressors that only decompress bytes (no dtype logic of their own).
V2_COMPRESSORS = frozenset({"blosc", "zstd", "gzip", "zlib", "lz4", "bz2", "lzma"})
#: v3 bytes-to-bytes codecs decoded through their ``_decode_sync``.
V3_COMPRESSORS = (BloscCodec, ZstdCodec, GzipCodec)


class DirectArray:
    """The chunk files of one local, plainly encoded zarr array, read and decoded in the caller's thread.

    Immutable once built (thread-safe); holds no file descriptor, so an evicted source keeps none.
    """

    def __init__(self, array: zarr.Array, folder: str) -> None:
        metadata = array.metadata
        self.folder = folder
        self.shape = tuple(array.shape)
        self.chunks = tuple(array.chunks)
        self.dtype = array.dtype
        self._encode_key = metadata.encode_chunk_key
        self._spec = metadata.get_chunk_spec((0,) * len(self.shape), array.config, default_buffer_prototype())
        self.fill_value = fill_value_or_default(self._spec)
        if metadata.zarr_format == 2:
            self._stored = metadata.dtype.to_native_dtype()
            self._compressor = metadata.compressor
            self._order = metadata.order
            self._decode = self._decode_v2
        else:
            self._bytes_codec, *compressors = metadata.codecs
            self._compressors = tuple(reversed(compressors))
            self._decode = self._decode_v3

    @classmethod
    def of(cls, array: Any) -> DirectArray | None:
        """A direct reader for ``array``, or None when zarr must read it (see the module docstring)."""
        store = getattr(array, "store", None)
        if not isinstance(array, zarr.Array) or not isinstance(store, zarr.storage.LocalStore):
            return None
        metadata = array.metadata
        if np.dtype(array.dtype).kind not in "biuf":
            return None
        if metadata.zarr_format == 2:
            compressor = metadata.compressor
            if metadata.filters or (compressor is not None and compressor.codec_id not in V2_COMPRESSORS):
                return None
        else:
            codecs = metadata.codecs
            if not isinstance(metadata.chunk_grid, RegularChunkGrid) or not isinstance(codecs[0], BytesCodec):
                return None
            if len(codecs) > 2 or not all(isinstance(c, V3_COMPRESSORS) for c in codecs[1:]):
                return None
            if metadata.chunk_key_encoding.name not in ("default", "v2"):
                return None
        return cls(array, os.path.join(str(store.root), array.path))

    def _decode_v2(self, raw: bytes) -> np.ndarray:
        chunk = self._compressor.decode(raw) if self._compressor is not None else raw
        chunk = ensure_ndarray_like(chunk).view(self._stored)
        return chunk.reshape(-1, order="A").reshape(self.chunks, order=self._order)

    def _decode_v3(self, raw: bytes) -> np.ndarray:
        spec = self._spec
        data = spec.prototype.buffer.from_bytes(raw)
        for codec in self._compressors:
            data = codec._decode_sync(data, spec)
        return self._bytes_codec._decode_sync(data, spec).as_numpy_array()

    def _chunk(self, coords: tuple[int, ...]) -> np.ndarray | None:
        """The decoded chunk at ``coords``, None when its file does not exist."""
        try:
            with open(os.path.join(self.folder, self._encode_key(coords)), "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return None
        return self._decode(raw)

    def read(self, selection: tuple[int | slice, ...]) -> np.ndarray:
        """``array[selection]`` for integers and unit-step slices within the shape (zarr's values).

        A selection inside one chunk is a view of the decoded chunk (read-only: it is the
        decompressor's own buffer), not a copy of it: a viewer's tile is usually one chunk."""
        starts = [s.start if isinstance(s, slice) else s for s in selection]
        stops = [s.stop if isinstance(s, slice) else s + 1 for s in selection]
        kept = [isinstance(s, slice) for s in selection]
        ranges = [range(a // c, (b - 1) // c + 1) for a, b, c in zip(starts, stops, self.chunks)]
        shape = [b - a for a, b, k in zip(starts, stops, kept) if k]
        if all(len(r) == 1 for r in ranges):
            coords = tuple(r[0] for r in ranges)
            chunk = self._chunk(coords)
            if chunk is None:
                return np.full(shape, self.fill_value, dtype=self.dtype)
            part = chunk[tuple(slice(a - k * c, b - k * c) if keep else a - k * c
                               for a, b, c, k, keep in zip(starts, stops, self.chunks, coords, kept))]
            return part if part.dtype == self.dtype else part.astype(self.dtype)
        out = np.empty(shape, dtype=self.dtype)
        for index in np.ndindex(*(len(r) for r in ranges)):
            coords = tuple(r[i] for r, i in zip(ranges, index))
            source, target = [], []
            for a, b, c, k, keep in zip(starts, stops, self.chunks, coords, kept):
                lo, hi = max(a, k * c), min(b, (k + 1) * c)
                source.append(slice(lo - k * c, hi - k * c) if keep else lo - k * c)
                if keep:
                    target.append(slice(lo - a, hi - a))
            chunk = self._chunk(coords)
            out[tuple(target)] = self.fill_value if chunk is None else chunk[tuple(source)]
        return out

    @staticmethod
    def accepts(selection: tuple) -> bool:
        """True for a selection of integers and unit-step slices (one plane's rectangle)."""
        return all(isinstance(s, (int, np.integer)) or (isinstance(s, slice) and s.step in (None, 1)) for s in selection)
