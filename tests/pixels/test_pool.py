"""The bounded pool of open sources (pixels/pool.py) and handle safety (pixels/handles.py)."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tifffile

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import NotFound, Unsupported
from omero_fast_region.pixels import SourcePool, romio_path
from omero_fast_region.sample import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio

from .conftest import pixels_of, sample


def make_images(root, count: int) -> list[tuple[SourceSpec, np.ndarray]]:
    """``count`` small images spread over the four formats, each with its own data."""
    out = []
    for i in range(count):
        data = sample("uint16", shape=(1, 1, 2, 24, 40), seed=i)
        kind = i % 4
        if kind == 0:
            path = write_romio(romio_path(str(root), 1000 + i), data)
            spec = SourceSpec("romio", path, str(root), pixels=pixels_of(data, "uint16"))
        elif kind == 1:
            path = write_omero_pyramid(romio_path(str(root), 1000 + i) + "_pyramid", data, tile=(32, 32))
            spec = SourceSpec("pyramid", path, str(root), pixels=pixels_of(data, "uint16"))
        elif kind == 2:
            path = write_ome_tiff(str(root / f"{i}.ome.tif"), data, tile=(16, 16), levels=2)
            spec = SourceSpec("tiff", path, str(root))
        else:
            path = write_ngff(str(root / f"{i}.zarr"), data, "0.4" if i % 8 == 3 else "0.5", chunks=(16, 16), levels=2)
            spec = SourceSpec("ngff", path, str(root))
        out.append((spec, data))
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return make_images(tmp_path_factory.mktemp("pool"), 40)


def read_one(pool: SourcePool, spec: SourceSpec, data: np.ndarray, rng: random.Random) -> None:
    z, x, y = rng.randrange(2), rng.randrange(30), rng.randrange(14)
    got = pool.get(spec).read_region(z, 0, 0, 0, x, y, 10, 10)
    np.testing.assert_array_equal(got, data[0, 0, z, y : y + 10, x : x + 10])


def test_pool_keeps_file_descriptors_bounded_over_many_reads_of_different_images(images, open_fds):
    pool = SourcePool(max_open=6)
    rng = random.Random(0)
    for spec, data in images[:8]:  # warm-up: imports, zarr's event loop and thread pool
        read_one(pool, spec, data, rng)
    baseline = open_fds()
    for _ in range(1500):
        read_one(pool, *rng.choice(images), rng)
        assert pool.stats()["open"] <= 6
    stats = pool.stats()
    assert stats["evictions"] > 500 and stats["hits"] > 0
    assert stats["hits"] + stats["misses"] == 1508
    assert open_fds() <= baseline + 6
    pool.close_all()
    assert pool.stats()["open"] == 0
    assert open_fds() <= baseline


def test_pool_reuses_an_open_source_and_counts_hits(images):
    pool = SourcePool(max_open=2)
    spec = images[0][0]
    assert pool.get(spec) is pool.get(spec)
    assert pool.stats() == {"open": 1, "max_open": 2, "hits": 1, "misses": 1, "evictions": 0, "discarded": 0}
    pool.close_all()


def test_pool_evicts_least_recently_used(images):
    pool = SourcePool(max_open=2)
    a, b, c = (spec for spec, _ in images[:3])
    first = pool.get(a)
    pool.get(b)
    pool.get(a)  # a is now the most recent
    pool.get(c)  # evicts b
    assert pool.get(a) is first
    assert pool.stats()["evictions"] == 1
    pool.get(b)
    assert pool.stats()["misses"] == 4
    pool.close_all()


def test_concurrent_first_requests_open_a_source_once(images):
    pool = SourcePool(max_open=4)
    spec = images[2][0]
    with ThreadPoolExecutor(8) as executor:
        sources = list(executor.map(lambda _: pool.get(spec), range(32)))
    assert all(s is sources[0] for s in sources)
    assert pool.stats()["misses"] == 1
    pool.close_all()


def test_reads_stay_correct_while_other_threads_evict_their_sources(images, open_fds):
    pool = SourcePool(max_open=2)
    errors = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(150):
                read_one(pool, *rng.choice(images[:12]), rng)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    pool.close_all()


def test_failed_open_is_not_cached(tmp_path):
    data = sample("uint8", shape=(1, 1, 1, 8, 8))
    spec = SourceSpec("romio", str(tmp_path / "Pixels" / "1"), str(tmp_path), pixels=pixels_of(data, "uint8"))
    pool = SourcePool(max_open=2)
    with pytest.raises(NotFound):
        pool.get(spec)
    write_romio(spec.path, data)
    np.testing.assert_array_equal(pool.get(spec).read_region(0, 0, 0, 0, 0, 0, 8, 8), data[0, 0, 0])
    assert pool.stats()["open"] == 1
    pool.close_all()


def test_broken_source_is_dropped_and_reopened(tmp_path):
    data = sample("uint16", shape=(1, 1, 1, 64, 64))
    path = write_omero_pyramid(str(tmp_path / "b_pyramid"), data, tile=(32, 32))
    spec = SourceSpec("pyramid", path, str(tmp_path))
    with tifffile.TiffFile(path) as tif:
        offset, count = int(tif.pages[0].dataoffsets[1]), int(tif.pages[0].databytecounts[1])
    original = open(path, "rb").read()
    with open(path, "r+b") as handle:
        handle.seek(offset + 20)
        handle.write(b"\0" * (count - 20))
    pool = SourcePool(max_open=2)
    first = pool.get(spec)
    with pytest.raises(Unsupported):
        first.read_region(0, 0, 0, 0, 32, 0, 8, 8)
    with open(path, "wb") as handle:  # the file gets repaired (e.g. the pyramid is rebuilt)
        handle.write(original)
    second = pool.get(spec)
    assert second is not first
    assert pool.stats()["discarded"] == 1
    np.testing.assert_array_equal(second.read_region(0, 0, 0, 0, 32, 0, 8, 8), data[0, 0, 0, :8, 32:40])
    pool.close_all()


def test_a_closed_source_still_reads_without_keeping_files_open(images, open_fds):
    pool = SourcePool(max_open=1)
    spec, data = images[0]
    source = pool.get(spec)
    pool.close_all()
    baseline = open_fds()
    np.testing.assert_array_equal(source.read_region(1, 0, 0, 0, 0, 0, 5, 5), data[0, 0, 1, :5, :5])
    assert open_fds() == baseline


def test_pool_rejects_nonpositive_bound():
    with pytest.raises(ValueError):
        SourcePool(max_open=0)
