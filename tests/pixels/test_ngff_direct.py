"""Direct chunk reads of local zarr arrays (pixels/zarr_direct.py) give exactly zarr's own result."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr
from zarr.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    TransposeCodec,
    ZstdCodec,
)

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import Unsupported
from omero_fast_region.pixels import NgffSource, S3Options, open_source
from omero_fast_region.pixels import arrays as arrays_module
from omero_fast_region.pixels.zarr_direct import DirectArray, ShardedDirectArray
from omero_fast_region.sample import downsample2, write_ngff

from .conftest import TYPES, assert_reads, regions, sample

DTYPES = sorted(set(TYPES.values()) | {np.int64, np.uint64}, key=lambda t: np.dtype(t).str)


def values(dtype, shape, seed=1) -> np.ndarray:
    """Random values over the dtype's range (floats: wide and tiny magnitudes)."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        return (rng.normal(0, 1e3, shape) * rng.choice([1e-20, 1, 1e20], shape)).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def make_array(path: Path, data: np.ndarray, chunks, zarr_format: int, *, drop=(), **options) -> zarr.Array:
    """A local array of ``data`` (chunk files in ``drop`` removed: they read as the fill value)."""
    array = zarr.create_array(zarr.storage.LocalStore(str(path)), shape=data.shape, chunks=chunks,
                              dtype=options.pop("dtype", data.dtype), zarr_format=zarr_format, **options)
    array[...] = data
    for coords in drop:
        os.remove(os.path.join(str(path), array.metadata.encode_chunk_key(coords)))
    return zarr.open_array(zarr.storage.LocalStore(str(path), read_only=True), mode="r")


def plane_selections(shape, chunks):
    """One (other axes fixed) y/x rectangle per region of :func:`.conftest.regions`, per last plane index."""
    height, width = shape[-2:]
    for lead in [(0,) * (len(shape) - 2), tuple(s - 1 for s in shape[:-2])]:
        for x, y, w, h in regions(width, height, (chunks[-1], chunks[-2])):
            yield (*lead, slice(y, y + h), slice(x, x + w))


def assert_same_as_zarr(array: zarr.Array) -> DirectArray:
    direct = DirectArray.of(array)
    assert direct is not None, array.metadata
    for selection in plane_selections(array.shape, array.chunks):
        expected, got = array[selection], direct.read(selection)
        assert got.dtype == expected.dtype and got.shape == expected.shape, selection
        np.testing.assert_array_equal(got, expected, err_msg=str(selection))
    return direct


# ---------------------------------------------------------------- layouts that take the fast path


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_every_dtype_reads_like_zarr_with_edge_chunks(tmp_path, zarr_format, dtype):
    data = values(dtype, (2, 3, 37, 45))
    assert_same_as_zarr(make_array(tmp_path / "a", data, (1, 2, 16, 16), zarr_format))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("separator", ["/", "."])
@pytest.mark.parametrize("compressor", [None, numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE), numcodecs.Zstd(3),
                                        numcodecs.GZip(5), numcodecs.Zlib(1)], ids=lambda c: str(c and c.codec_id))
def test_v2_orders_separators_and_compressors_read_like_zarr(tmp_path, order, separator, compressor):
    data = values(np.int16, (3, 33, 50))
    array = make_array(tmp_path / "a", data, (2, 8, 16), 2, order=order, compressors=compressor,
                       chunk_key_encoding={"name": "v2", "separator": separator})
    assert array.metadata.order == order and array.metadata.dimension_separator == separator
    assert_same_as_zarr(array)


@pytest.mark.parametrize("encoding", [{"name": "default", "separator": "/"}, {"name": "default", "separator": "."},
                                      {"name": "v2", "separator": "."}, {"name": "v2", "separator": "/"}],
                         ids=lambda e: f"{e['name']}{e['separator']}")
@pytest.mark.parametrize("compressor", [None, BloscCodec(cname="zstd", shuffle="bitshuffle"), ZstdCodec(level=1),
                                        GzipCodec(level=2)], ids=lambda c: type(c).__name__)
def test_v3_key_encodings_and_compressors_read_like_zarr(tmp_path, encoding, compressor):
    data = values(np.float32, (2, 33, 50))
    array = make_array(tmp_path / "a", data, (1, 8, 16), 3, compressors=compressor, chunk_key_encoding=encoding)
    assert_same_as_zarr(array)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
def test_sharded_arrays_of_every_dtype_read_like_zarr_with_edge_shards(tmp_path, dtype):
    """Shards cut by the array's edge, and inner chunks cut by it, as zarr writes them."""
    direct = assert_same_as_zarr(make_array(tmp_path / "a", values(dtype, (2, 45, 51)), (1, 8, 8), 3,
                                            shards=(1, 16, 24)))
    assert isinstance(direct, ShardedDirectArray)


@pytest.mark.parametrize("index_location", ["start", "end"])
@pytest.mark.parametrize("index_codecs", [[BytesCodec()], [BytesCodec(), Crc32cCodec()], [BytesCodec(endian="big")]],
                         ids=["bytes", "bytes+crc32c", "big-endian"])
@pytest.mark.parametrize("inner", [[BytesCodec()], [BytesCodec(), BloscCodec(cname="lz4")], [BytesCodec(endian="big"), ZstdCodec()],
                                   [BytesCodec(), GzipCodec()]], ids=["raw", "blosc", "big-endian+zstd", "gzip"])
def test_shard_index_places_and_codecs_read_like_zarr(tmp_path, index_location, index_codecs, inner):
    sharding = ShardingCodec(chunk_shape=(1, 8, 8), codecs=inner, index_codecs=index_codecs, index_location=index_location)
    array = make_array(tmp_path / "a", values(np.int16, (2, 37, 41)), (1, 16, 16), 3, serializer=sharding, compressors=None)
    assert isinstance(assert_same_as_zarr(array), ShardedDirectArray)


@pytest.mark.parametrize("index_location", ["start", "end"])
def test_missing_shards_and_inner_chunks_read_as_the_fill_value(tmp_path, index_location):
    data = values(np.uint16, (2, 32, 48))
    data[0, 16:24, 8:16] = 7  # one inner chunk all fill: zarr leaves it out of its shard
    sharding = ShardingCodec(chunk_shape=(1, 8, 8), index_location=index_location)
    array = make_array(tmp_path / "a", data, (1, 16, 16), 3, serializer=sharding, compressors=None, fill_value=7,
                       drop=[(1, 1, 2)])
    data[1, 16:32, 32:48] = 7
    direct = assert_same_as_zarr(array)
    shard = (tmp_path / "a" / array.metadata.encode_chunk_key((0, 1, 0))).read_bytes()
    index = direct._index(shard[-direct._index_size:] if index_location == "end" else shard[:direct._index_size])
    assert index[0, 0, 1].tolist() == [2**64 - 1] * 2 and index[0, 1, 1].tolist() != [2**64 - 1] * 2  # left out
    np.testing.assert_array_equal(direct.read((0, slice(0, 32), slice(0, 48))), data[0])
    np.testing.assert_array_equal(direct.read((1, slice(0, 32), slice(0, 48))), data[1])
    assert direct.read((0, slice(16, 24), slice(8, 16))).tolist() == [[7] * 8] * 8


def test_a_read_across_inner_chunks_opens_each_shard_and_checks_its_index_once(tmp_path, monkeypatch):
    data = values(np.uint16, (1, 64, 64))
    array = make_array(tmp_path / "a", data, (1, 8, 8), 3, shards=(1, 32, 32))  # crc32c on the index
    direct = DirectArray.of(array)
    opened, indexed = [], []
    real_open, real_index = os.open, direct._index
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    monkeypatch.setattr(direct, "_index", lambda raw: indexed.append(len(raw)) or real_index(raw))
    before = len(os.listdir("/proc/self/fd"))
    region = direct.read((0, slice(4, 60), slice(4, 60)))  # 8 x 8 inner chunks in 2 x 2 shards
    np.testing.assert_array_equal(region, data[0, 4:60, 4:60])
    assert len(opened) == 4 and len(set(opened)) == 4 and len(indexed) == 4
    assert len(os.listdir("/proc/self/fd")) == before  # every shard closed
    np.testing.assert_array_equal(direct.read((0, slice(0, 8), slice(0, 8))), data[0, :8, :8])  # one chunk
    assert len(opened) == 5 and len(os.listdir("/proc/self/fd")) == before


def test_a_damaged_shard_index_is_an_error_like_zarrs(tmp_path):
    data = values(np.uint16, (1, 32, 32))
    array = make_array(tmp_path / "a", data, (1, 8, 8), 3, shards=(1, 32, 32))
    direct = DirectArray.of(array)
    shard = tmp_path / "a" / array.metadata.encode_chunk_key((0, 0, 0))
    raw = bytearray(shard.read_bytes())
    raw[-6] ^= 0xFF  # inside the index: its crc32c no longer matches
    shard.write_bytes(bytes(raw))
    with pytest.raises(Exception) as by_zarr:
        array[0, :8, :8]
    with pytest.raises(type(by_zarr.value)):
        direct.read((0, slice(0, 8), slice(0, 8)))
    shard.write_bytes(bytes(raw[:10]))  # shorter than its index
    with pytest.raises(ValueError):
        direct.read((0, slice(0, 8), slice(0, 8)))


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("dtype", [">u2", ">i4", ">f8", "<u2"])
def test_big_endian_data_reads_like_zarr(tmp_path, zarr_format, dtype):
    data = values(np.dtype(dtype).newbyteorder("="), (2, 20, 30))
    options = {"serializer": BytesCodec(endian="big" if dtype[0] == ">" else "little")} if zarr_format == 3 else {}
    array = make_array(tmp_path / "a", data, (1, 8, 8), zarr_format, dtype=dtype, **options)
    direct = assert_same_as_zarr(array)
    np.testing.assert_array_equal(direct.read((1, slice(0, 20), slice(0, 30))), data[1])


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("dtype, fill", [(np.uint16, 7), (np.int8, -3), (np.float32, -1.5), (np.float64, np.nan)])
def test_missing_chunks_read_as_the_fill_value(tmp_path, zarr_format, dtype, fill):
    data = values(dtype, (2, 30, 40))
    array = make_array(tmp_path / "a", data, (1, 8, 16), zarr_format, fill_value=fill,
                       drop=[(0, 0, 0), (0, 1, 1), (1, 3, 2), (1, 0, 2)])
    assert_same_as_zarr(array)
    got = DirectArray.of(array).read((0, slice(0, 8), slice(0, 16)))
    np.testing.assert_array_equal(got, np.full((8, 16), fill, dtype))


def test_v2_null_fill_value_reads_zarrs_default(tmp_path):
    data = values(np.uint16, (1, 20, 20))
    array = make_array(tmp_path / "a", data, (1, 8, 8), 2, fill_value=None, drop=[(0, 1, 1)])
    assert_same_as_zarr(array)


# ---------------------------------------------------------------- fallbacks to zarr


def test_transposed_checksummed_filtered_and_nested_sharded_arrays_are_left_to_zarr(tmp_path):
    data = values(np.uint16, (2, 32, 32))
    assert DirectArray.of(make_array(tmp_path / "t", data, (1, 8, 8), 3, filters=[TransposeCodec(order=(0, 2, 1))])) is None
    assert DirectArray.of(make_array(tmp_path / "c", data, (1, 8, 8), 3, compressors=[ZstdCodec(), Crc32cCodec()])) is None
    assert DirectArray.of(make_array(tmp_path / "f", data, (1, 8, 8), 2, filters=[numcodecs.Delta("<u2")])) is None
    assert DirectArray.of(make_array(tmp_path / "p", data, (1, 8, 8), 2, compressors=numcodecs.LZMA())) is not None
    assert DirectArray.of(zarr.create_array(zarr.storage.MemoryStore(), shape=(4, 4), dtype="u1")) is None
    # sharded: the inner chunks must be plainly encoded and the index bytes (+ crc32c) for the fast path
    nested = ShardingCodec(chunk_shape=(1, 16, 16), codecs=[ShardingCodec(chunk_shape=(1, 8, 8))])
    inner_checksum = ShardingCodec(chunk_shape=(1, 8, 8), codecs=[BytesCodec(), ZstdCodec(), Crc32cCodec()])
    inner_transpose = ShardingCodec(chunk_shape=(1, 8, 8), codecs=[TransposeCodec(order=(0, 2, 1)), BytesCodec()])
    for name, serializer in [("n", nested), ("i", inner_checksum), ("x", inner_transpose)]:
        array = make_array(tmp_path / name, data, (1, 32, 32), 3, serializer=serializer, compressors=None)
        np.testing.assert_array_equal(array[...], data)
        assert DirectArray.of(array) is None, name


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_an_ngff_image_takes_the_fast_path_and_never_calls_zarr_for_a_plane(tmp_path, version, monkeypatch):
    data = sample("uint16", shape=(1, 2, 2, 40, 50))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=3)
    with NgffSource(str(tmp_path / "img.zarr")) as src:
        assert all(d is not None for d in src._direct)
        monkeypatch.setattr(arrays_module, "_read_selection", None)  # any zarr read would fail
        np.testing.assert_array_equal(src.read_region(1, 1, 0, 0, 5, 3, 30, 20), data[0, 1, 1, 3:23, 5:35])


def test_a_sharded_ngff_level_takes_the_fast_path(tmp_path, monkeypatch):
    data = sample("uint16", shape=(1, 2, 1, 40, 40))
    write_ngff(str(tmp_path / "img.zarr"), data, "0.5", chunks=(8, 8), levels=2)
    group = zarr.open_group(str(tmp_path / "img.zarr"), mode="r+")
    del group["0"]
    group.create_array("0", shape=data.shape, chunks=(1, 1, 1, 8, 8), shards=(1, 1, 1, 16, 24),
                       dtype=data.dtype, dimension_names=list("tczyx"))[...] = data
    with NgffSource(str(tmp_path / "img.zarr")) as src:
        assert isinstance(src._direct[0], ShardedDirectArray) and type(src._direct[1]) is DirectArray
        monkeypatch.setattr(arrays_module, "_read_selection", None)  # any zarr read would fail
        assert_reads(src, [data, downsample2(data)])


def test_ngff_on_s3_is_read_by_zarr(tmp_path, s3_server):
    from .test_ngff import _upload

    data = sample("uint16", shape=(1, 1, 1, 20, 30))
    write_ngff(str(tmp_path / "img.zarr"), data, "0.4", chunks=(8, 8))
    _upload(tmp_path / "img.zarr", "direct", "img.zarr", s3_server)
    options = S3Options(anonymous=False, key="test", secret="test", endpoint_url=s3_server)
    with open_source(SourceSpec("ngff", "s3://direct/img.zarr", "/unused"), s3=options) as src:
        assert src._direct == [None]
        assert_reads(src, [data])


# ---------------------------------------------------------------- through NgffSource, against zarr


def assert_source_reads_like_zarr(path: Path) -> None:
    """Every level, plane and region read through the fast path equals the read through zarr."""
    with NgffSource(str(path)) as fast, NgffSource(str(path)) as slow:
        assert all(d is not None for d in fast._direct)
        slow._direct = [None] * len(slow._direct)
        for level, (width, height) in enumerate(fast.levels):
            for t in range(fast.size_t):
                for c in range(fast.size_c):
                    for z in range(fast.size_z):
                        for x, y, w, h in regions(width, height, fast.tile_size(level)):
                            expected = slow.read_region(z, c, t, level, x, y, w, h)
                            got = fast.read_region(z, c, t, level, x, y, w, h)
                            assert got.dtype == expected.dtype
                            np.testing.assert_array_equal(got, expected, err_msg=f"{level} {z} {c} {t} {x} {y} {w} {h}")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("axes", ["tczyx", "xyzct", "czyx", "zyx", "cyx", "yx", "xy", "ytxcz"])
def test_axis_orders_of_2_to_5_dimensions_read_like_zarr(tmp_path, version, axes):
    shape = [2 if a in axes else 1 for a in "tcz"] + [37, 45]
    write_ngff(str(tmp_path / "img.zarr"), sample("int16", shape=tuple(shape)), version, chunks=(16, 16), levels=3, axes=axes)
    assert_source_reads_like_zarr(tmp_path / "img.zarr")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
def test_downsampled_z_and_missing_chunks_read_like_zarr(tmp_path, version):
    data = sample("uint8", shape=(1, 2, 5, 40, 40))
    data[:, :, :, :16, :16] = 0
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=3, downsample_z=True, omit_empty=True)
    assert_source_reads_like_zarr(tmp_path / "img.zarr")


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("axes", ["tczyx", "xyzct", "ytxcz", "zyx"])
def test_z_stacks_are_read_plane_by_plane_without_zarr(tmp_path, version, axes, monkeypatch):
    """A projection's stack: every step and Z-downsampled level, against zarr's one read."""
    shape = [2 if a in axes else 1 for a in "tc"] + [6, 37, 45]
    write_ngff(str(tmp_path / "img.zarr"), sample("uint16", shape=tuple(shape)), version, chunks=(16, 16), levels=3,
               axes=axes, downsample_z=True)
    with NgffSource(str(tmp_path / "img.zarr")) as fast, NgffSource(str(tmp_path / "img.zarr")) as slow:
        slow._direct = [None] * len(slow._direct)
        c, t = fast.size_c - 1, fast.size_t - 1
        cases = [(level, step, z0, z1) for level in range(3) for step in (1, 2) for z0, z1 in ((0, 5), (1, 4), (3, 3))]
        boxes = [(1, 2, min(20, w - 1), min(14, h - 2)) for w, h in fast.levels]  # inside every level
        expected = {case: slow.read_stack(c, t, case[0], *boxes[case[0]], case[2], case[3], case[1]) for case in cases}
        monkeypatch.setattr(arrays_module, "_read_selection", None)  # any zarr read would fail
        for (level, step, z0, z1), truth in expected.items():
            got = fast.read_stack(c, t, level, *boxes[level], z0, z1, step)
            assert got.shape == truth.shape == (len(range(z0, z1 + 1, step)), boxes[level][3], boxes[level][2])
            np.testing.assert_array_equal(got, truth, err_msg=f"{level} {step} {z0} {z1}")


# ---------------------------------------------------------------- broken chunks, threads


@pytest.mark.parametrize("version", ["0.4", "0.5"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_truncated_or_corrupt_chunk_marks_the_source_broken(tmp_path, version, damage):
    data = sample("uint16", shape=(1, 1, 1, 32, 32))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), compressor=None if damage == "truncated" else "default")
    with NgffSource(str(tmp_path / "img.zarr")) as src:
        direct = src._direct[0]
        chunk = Path(direct.folder) / src._handle.open()[0].metadata.encode_chunk_key((0, 0, 0, 1, 1))
        raw = chunk.read_bytes()
        chunk.write_bytes(raw[: len(raw) // 3] if damage == "truncated" else b"\xde\xad\xbe\xef" * 7)
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 0, 0, 16, 16), data[0, 0, 0, :16, :16])
        assert not src.broken
        with pytest.raises(Unsupported):
            src.read_region(0, 0, 0, 0, 8, 8, 16, 16)
        assert src.broken


def test_concurrent_reads_from_threads_are_exact(tmp_path):
    data = sample("uint16", shape=(1, 3, 2, 70, 90))
    write_ngff(str(tmp_path / "img.zarr"), data, "0.4", chunks=(16, 16), levels=1)
    with NgffSource(str(tmp_path / "img.zarr")) as src:
        def work(seed: int) -> int:
            rng = np.random.default_rng(seed)
            for _ in range(200):
                z, c = int(rng.integers(2)), int(rng.integers(3))
                x, y = int(rng.integers(0, 80)), int(rng.integers(0, 60))
                w, h = int(rng.integers(1, 91 - x)), int(rng.integers(1, 71 - y))
                np.testing.assert_array_equal(src.read_region(z, c, 0, 0, x, y, w, h), data[0, c, z, y : y + h, x : x + w])
            return seed

        with ThreadPoolExecutor(6) as pool:  # a failed read re-raises here
            assert list(pool.map(work, range(6))) == list(range(6))


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_rectangle_inside_one_chunk_is_the_decoded_chunk_itself(tmp_path, zarr_format):
    """A viewer's tile is usually one chunk: it is handed over as a view of the decoded chunk (no
    copy); a rectangle over several chunks is assembled in a new array. Both read like zarr."""
    data = values(np.uint16, (2, 64, 64))
    array = make_array(tmp_path / "a", data, (1, 32, 32), zarr_format)
    direct = DirectArray.of(array)
    for selection, one_chunk in [((1, slice(32, 64), slice(0, 32)), True), ((0, slice(3, 20), slice(40, 41)), True),
                                 ((0, slice(16, 48), slice(0, 32)), False)]:
        got = direct.read(selection)
        np.testing.assert_array_equal(got, array[selection])
        assert (got.base is not None) == one_chunk and got.flags.owndata != one_chunk, selection
