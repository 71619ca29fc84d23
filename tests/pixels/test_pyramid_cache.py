"""Decoded-tile cache of OMERO pyramids (pixels/decoded_cache.py): same reads, each tile decoded once,
bounded by bytes, freed with its source."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.pixels import SourcePool, open_source
from omero_fast_region.pixels import decoded_cache, pyramid
from omero_fast_region.pixels.decoded_cache import DECODED
from omero_fast_region.sample import write_omero_pyramid

from .conftest import pixels_of, regions, sample


@pytest.fixture
def decoded():
    """DECODED emptied for the test and restored afterwards."""
    before = DECODED.max_bytes
    DECODED.clear()
    yield DECODED
    DECODED.max_bytes = before
    DECODED.clear()


@pytest.fixture
def counted_decodes(monkeypatch):
    """Count (and slow down, to widen races) every code-stream decode."""
    calls: list[tuple[int, int]] = []
    real = pyramid.decode_tile

    def decode_tile(data, reduce, dtype):
        calls.append((len(data), reduce))
        time.sleep(0.002)
        return real(data, reduce, dtype)

    monkeypatch.setattr(pyramid, "decode_tile", decode_tile)
    return calls


def write(tmp_path, name="p", seed=0):
    data = sample("uint16", shape=(1, 2, 1, 75, 100), seed=seed)
    path = write_omero_pyramid(str(tmp_path / f"{name}_pyramid"), data, tile=(32, 32))
    return data, SourceSpec("pyramid", path, str(tmp_path), pixels=pixels_of(data, "uint16"))


def all_reads(source) -> list[np.ndarray]:
    out = []
    for level, (width, height) in enumerate(source.levels):
        for c in range(source.size_c):
            for x, y, w, h in regions(width, height, source.tile_size(level)):
                out.append(source.read_region(0, c, 0, level, x, y, w, h))
    return out


@pytest.mark.parametrize("mode", ["whole-level", "tiles"])
def test_cached_reads_equal_uncached_reads_at_every_level(tmp_path, decoded, monkeypatch, mode):
    _, spec = write(tmp_path)
    decoded.max_bytes = 0
    with open_source(spec) as source:
        uncached = all_reads(source)
    assert len(decoded) == 0
    decoded.max_bytes = 64 << 20
    if mode == "tiles":
        monkeypatch.setattr(decoded_cache, "WHOLE_LEVEL_PIXELS", 0)
    with open_source(spec) as source:
        for _ in range(2):  # decoding, then from the cache
            for cached, truth in zip(all_reads(source), uncached, strict=True):
                np.testing.assert_array_equal(cached, truth)
        kinds = {type(value).__name__ for value, _, _ in decoded._entries.values()}
    assert kinds == ({"LevelPlane"} if mode == "whole-level" else {"ndarray"})


@pytest.mark.parametrize("mode", ["whole-level", "tiles"])
def test_each_tile_is_decoded_once_per_level(tmp_path, decoded, counted_decodes, monkeypatch, mode):
    if mode == "tiles":
        monkeypatch.setattr(decoded_cache, "WHOLE_LEVEL_PIXELS", 0)
    _, spec = write(tmp_path)
    with open_source(spec) as source:
        for level in range(len(source.levels)):
            width, height = source.levels[level]
            for _ in range(3):
                source.read_region(0, 1, 0, level, 0, 0, width, height)
                source.read_region(0, 1, 0, level, 1, 1, width // 2, height // 2)
    tiles = 3 * 4  # 100x75 in 32-px tiles
    assert len(counted_decodes) == tiles * len(source.levels)


@pytest.mark.parametrize("mode", ["whole-level", "tiles"])
def test_concurrent_readers_of_one_region_decode_it_once(tmp_path, decoded, counted_decodes, monkeypatch, mode):
    if mode == "tiles":
        monkeypatch.setattr(decoded_cache, "WHOLE_LEVEL_PIXELS", 0)
    data, spec = write(tmp_path)
    start = threading.Barrier(8)
    with open_source(spec) as source:
        def read(_):
            start.wait()
            return source.read_region(0, 0, 0, 0, 10, 5, 60, 50)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(read, range(8)))
    assert all(np.array_equal(r, data[0, 0, 0, 5:55, 10:70]) for r in results)
    assert len(counted_decodes) == 2 * 3  # the tiles the region touches, once each


def test_memory_stays_within_the_bound(tmp_path, decoded, monkeypatch):
    monkeypatch.setattr(decoded_cache, "WHOLE_LEVEL_PIXELS", 0)
    decoded.max_bytes = 5 * 32 * 32 * 2  # five full-resolution tiles
    data, spec = write(tmp_path)
    rng = np.random.default_rng(4)
    with open_source(spec) as source:
        for _ in range(200):
            c, x, y = int(rng.integers(2)), int(rng.integers(0, 90)), int(rng.integers(0, 65))
            np.testing.assert_array_equal(source.read_region(0, c, 0, 0, x, y, 10, 10), data[0, c, 0, y : y + 10, x : x + 10])
            assert decoded.nbytes <= decoded.max_bytes
        all_reads(source)
        assert decoded.nbytes <= decoded.max_bytes and len(decoded) > 0
    assert decoded.stats()["evictions"] > 0


def test_a_level_too_big_for_the_bound_is_read_by_tiles(tmp_path, decoded):
    decoded.max_bytes = 100 * 75 * 2 - 1  # level 0 cannot be kept whole
    data, spec = write(tmp_path)
    with open_source(spec) as source:
        np.testing.assert_array_equal(source.read_region(0, 0, 0, 0, 0, 0, 100, 75), data[0, 0, 0])
        assert source.read_region(0, 0, 0, 1, 0, 0, 50, 38).shape == (38, 50)
    assert decoded.nbytes <= decoded.max_bytes


def test_closing_evicting_or_discarding_a_source_frees_its_tiles(tmp_path, decoded):
    (_, a), (_, b) = write(tmp_path, "a"), write(tmp_path, "b", seed=1)
    pool = SourcePool(max_open=1)
    pool.get(a).read_region(0, 0, 0, 0, 0, 0, 100, 75)
    held = decoded.nbytes
    assert held > 0
    pool.get(b).read_region(0, 0, 0, 0, 0, 0, 100, 75)  # evicts and closes a
    assert decoded.nbytes == held  # only b's plane left
    pool.discard(b)
    assert decoded.nbytes == 0 and len(decoded) == 0
    source = open_source(a)
    source.read_region(0, 0, 0, 1, 0, 0, 10, 10)
    source.close()
    assert decoded.nbytes == 0
    source = open_source(a)
    source.read_region(0, 0, 0, 1, 0, 0, 10, 10)
    del source
    gc.collect()
    assert decoded.nbytes == 0  # a source never closed goes with its last reference


def test_a_read_after_close_is_correct_and_keeps_nothing(tmp_path, decoded):
    data, spec = write(tmp_path)
    source = open_source(spec)
    source.close()
    np.testing.assert_array_equal(source.read_region(0, 1, 0, 0, 3, 3, 40, 40), data[0, 1, 0, 3:43, 3:43])
    assert len(decoded) == 0


def test_a_replaced_file_is_read_afresh_by_its_new_source(tmp_path, decoded):
    old, spec = write(tmp_path, "r")
    pool = SourcePool()
    np.testing.assert_array_equal(pool.get(spec).read_region(0, 0, 0, 0, 0, 0, 100, 75), old[0, 0, 0])
    pool.discard(spec)
    new, _ = write(tmp_path, "r", seed=9)
    np.testing.assert_array_equal(pool.get(spec).read_region(0, 0, 0, 0, 0, 0, 100, 75), new[0, 0, 0])
    pool.close_all()
    assert len(decoded) == 0
