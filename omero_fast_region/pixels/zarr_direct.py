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
* zarr v3 with the sharding codec as its only codec, whose inner chunks are encoded as above
  and whose index is the ``bytes`` codec with or without ``crc32c`` (:class:`ShardedDirectArray`:
  the index and then the inner chunk are read from the shard file, as zarr's codec reads them);

with a numeric dtype, in a ``LocalStore``. A missing chunk file (or shard, or inner chunk) is
the array's fill value (zarr's ``fill_value_or_default``). Everything else (S3, nested sharding,
filters, other codecs) gets ``None`` from :meth:`DirectArray.of` and is read by zarr. Metadata
is always read by zarr.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
import zarr
import zarr.storage
from numcodecs.compat import ensure_ndarray_like
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    ShardingCodecIndexLocation,
    ZstdCodec,
)
from zarr.core.buffer import default_buffer_prototype
from zarr.core.chunk_grids import RegularChunkGrid
from zarr.core.codec_pipeline import fill_value_or_default

#: numcodecs ``codec_id`` of v2 compressors that only decompress bytes (no dtype logic of their own).
V2_COMPRESSORS = frozenset({"blosc", "zstd", "gzip", "zlib", "lz4", "bz2", "lzma"})
#: v3 bytes-to-bytes codecs decoded through their ``_decode_sync``.
V3_COMPRESSORS = (BloscCodec, ZstdCodec, GzipCodec)
#: an absent inner chunk in a shard's index (offset and length both)
_NO_CHUNK = 2**64 - 1


def _plain_v3_codecs(codecs: tuple, compressors: tuple = V3_COMPRESSORS) -> bool:
    """The ``bytes`` codec, then at most one bytes-to-bytes codec of ``compressors``."""
    return (bool(codecs) and isinstance(codecs[0], BytesCodec) and len(codecs) <= 2
            and all(isinstance(c, compressors) for c in codecs[1:]))


def _read_whole(path: str) -> bytes:
    """The file's bytes: four system calls, where ``open(path, "rb").read()`` makes nine
    (Python's buffered file also asks whether it is a terminal and where it is, twice)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, os.fstat(fd).st_size, 0)
    finally:
        os.close(fd)


class NeedsEventLoop(Exception):
    """A direct reader's store suspended (it needs zarr's event loop): zarr must read that array."""


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
            if not isinstance(metadata.chunk_grid, RegularChunkGrid):
                return None
            if metadata.chunk_key_encoding.name not in ("default", "v2"):
                return None
            if len(codecs) == 1 and isinstance(codecs[0], ShardingCodec):
                return ShardedDirectArray.of_sharded(array, os.path.join(str(store.root), array.path))
            if not _plain_v3_codecs(codecs):
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
            raw = _read_whole(os.path.join(self.folder, self._encode_key(coords)))
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
        with self._chunks_of_one_read() as chunk_at:
            for index in np.ndindex(*(len(r) for r in ranges)):
                coords = tuple(r[i] for r, i in zip(ranges, index))
                source, target = [], []
                for a, b, c, k, keep in zip(starts, stops, self.chunks, coords, kept):
                    lo, hi = max(a, k * c), min(b, (k + 1) * c)
                    source.append(slice(lo - k * c, hi - k * c) if keep else lo - k * c)
                    if keep:
                        target.append(slice(lo - a, hi - a))
                chunk = chunk_at(coords)
                out[tuple(target)] = self.fill_value if chunk is None else chunk[tuple(source)]
        return out

    @contextmanager
    def _chunks_of_one_read(self) -> Iterator[Callable[[tuple[int, ...]], np.ndarray | None]]:
        """What fetches the chunks of one multi-chunk read (here, :meth:`_chunk`)."""
        yield self._chunk

    @staticmethod
    def accepts(selection: tuple) -> bool:
        """True for a selection of integers and unit-step slices (one plane's rectangle)."""
        return all(isinstance(s, (int, np.integer)) or (isinstance(s, slice) and s.step in (None, 1)) for s in selection)


class ShardedDirectArray(DirectArray):
    """A local zarr v3 array stored in shards: each inner chunk a selection touches is found in its
    shard file's index and read alone (``os.pread``), then decoded with the inner codecs.

    ``chunks`` are the inner chunks (zarr's ``array.chunks``); the chunk grid is the shards'.
    """

    def __init__(self, array: zarr.Array, folder: str) -> None:
        super().__init__(array, folder)
        sharding = array.metadata.codecs[0]
        shard_spec = self._spec
        self._spec = sharding._get_chunk_spec(shard_spec)  # the inner chunks'
        self._bytes_codec, *compressors = sharding.codecs
        self._compressors = tuple(reversed(compressors))
        self._per_shard = tuple(s // c for s, c in zip(shard_spec.shape, self.chunks))
        self._index_spec = sharding._get_index_chunk_spec(self._per_shard)
        self._index_codec, *checks = sharding.index_codecs
        self._index_checks = tuple(reversed(checks))
        self._index_size = sharding._shard_index_size(self._per_shard)
        self._index_at_end = sharding.index_location == ShardingCodecIndexLocation.end

    @classmethod
    def of_sharded(cls, array: zarr.Array, folder: str) -> ShardedDirectArray | None:
        """A reader for a sharded ``array`` whose inner chunks and index are plainly encoded, else None."""
        sharding = array.metadata.codecs[0]
        if not _plain_v3_codecs(tuple(sharding.codecs)):
            return None  # nested shards, array-to-array codecs, other compressors
        if not _plain_v3_codecs(tuple(sharding.index_codecs), (Crc32cCodec,)):
            return None
        try:
            return cls(array, folder)
        except (AttributeError, TypeError):  # another zarr's sharding internals: zarr reads it
            return None

    def _index(self, raw: bytes) -> np.ndarray:
        """The shard's (offset, length) per inner chunk, its checksum verified as zarr does."""
        data = self._index_spec.prototype.buffer.from_bytes(raw)
        for codec in self._index_checks:
            data = codec._decode_sync(data, self._index_spec)
        return self._index_codec._decode_sync(data, self._index_spec).as_numpy_array()

    def _chunk(self, coords: tuple[int, ...]) -> np.ndarray | None:
        shard, inner = self._shard_of(coords)
        opened = self._open_shard(shard)
        if opened is None:
            return None
        try:
            return self._inner_chunk(shard, inner, *opened)
        finally:
            os.close(opened[0])

    @contextmanager
    def _chunks_of_one_read(self) -> Iterator[Callable[[tuple[int, ...]], np.ndarray | None]]:
        """Fetches inner chunks, each shard opened and its index read and checked once per read
        (not once per inner chunk); every shard file is closed when the read ends."""
        opened: dict[tuple[int, ...], tuple[int, np.ndarray] | None] = {}

        def chunk_at(coords: tuple[int, ...]) -> np.ndarray | None:
            shard, inner = self._shard_of(coords)
            if shard not in opened:
                opened[shard] = self._open_shard(shard)
            entry = opened[shard]
            return None if entry is None else self._inner_chunk(shard, inner, *entry)

        try:
            yield chunk_at
        finally:
            for entry in opened.values():
                if entry is not None:
                    os.close(entry[0])

    def _shard_of(self, coords: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The shard holding inner chunk ``coords``, and the chunk's place in it."""
        return (tuple(c // n for c, n in zip(coords, self._per_shard)),
                tuple(c % n for c, n in zip(coords, self._per_shard)))

    def _inner_chunk(self, shard: tuple[int, ...], inner: tuple[int, ...], fd: int,
                     index: np.ndarray) -> np.ndarray | None:
        """The decoded inner chunk from an open shard and its index; None when it is absent."""
        offset, length = (int(v) for v in index[inner])
        if offset == _NO_CHUNK and length == _NO_CHUNK:
            return None
        raw = os.pread(fd, length, offset)
        if len(raw) != length:
            raise ValueError(f"shard {shard} ends inside chunk {inner}")
        return self._decode(raw)

    def _open_shard(self, shard: tuple[int, ...]) -> tuple[int, np.ndarray] | None:
        """The shard file's descriptor and its verified index; None when the shard does not exist."""
        try:
            fd = os.open(os.path.join(self.folder, self._encode_key(shard)), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(fd).st_size
            if size < self._index_size:
                raise ValueError(f"shard {shard} is {size} bytes, shorter than its index")
            start = size - self._index_size if self._index_at_end else 0
            return fd, self._index(os.pread(fd, self._index_size, start))
        except BaseException:
            os.close(fd)
            raise
