"""Thread-safety of the source pool, the descriptor cache and the whole view stack under many
threads: every answer correct, the pool bounded, nothing left open."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.test import Client

from omero_fast_region.catalog.cache import DescriptorCache, UnsupportedMark
from omero_fast_region.catalog.local import LocalCatalog
from omero_fast_region.pixels import SourcePool
from omero_fast_region.runtime import get_runtime


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_tiny_pool_under_32_threads_reads_right_and_stays_bounded(hardening_catalog):
    catalog = LocalCatalog(str(hardening_catalog))
    images = [catalog.get_image(i) for i in catalog.image_ids()]
    pool = SourcePool(max_open=3)
    expected = {}
    for image in images:
        expected[image.id] = pool.get(image.source).read_region(0, 0, 0, 0, 0, 0, 4, 4).copy()
    before = open_fds()
    errors: list[str] = []

    def work(i: int) -> None:
        image = images[i % len(images)]
        try:
            plane = pool.get(image.source).read_region(0, 0, 0, 0, 0, 0, 4, 4)
            if not np.array_equal(plane, expected[image.id]):
                errors.append(f"image {image.id}: wrong pixels")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"image {image.id}: {type(exc).__name__}: {exc}")
        if pool.stats()["open"] > pool.max_open:
            errors.append(f"pool holds {pool.stats()['open']} > {pool.max_open}")

    with ThreadPoolExecutor(32) as executor:
        list(executor.map(work, range(2000)))
    assert errors == []
    assert pool.stats()["open"] <= 3 and pool.stats()["evictions"] > 0
    pool.close_all()
    assert open_fds() <= before


def test_the_descriptor_cache_under_many_threads_never_mixes_scopes():
    cache = DescriptorCache(ttl=60, local_size=16, cache_alias="missing-alias")
    errors: list[str] = []

    def work(i: int) -> None:
        scope, image = f"scope-{i % 7}", i % 11
        cache.put(scope, image, UnsupportedMark(f"{scope}/{image}"))
        got = cache.get(scope, image)
        if got is not None and got.reason != f"{scope}/{image}":
            errors.append(f"{scope}/{image} got {got.reason}")

    with ThreadPoolExecutor(32) as executor:
        list(executor.map(work, range(5000)))
    assert errors == [] and len(cache._local) <= 16


def test_the_view_stack_under_16_threads_gives_the_same_bytes_as_one(app):
    paths = [f"/webgateway/render_image_region/{iid}/0/0/?tile=0,0,0&format=png" for iid in (1, 2, 3, 5, 9)]
    paths += ["/webgateway/render_thumbnail/2/", "/webgateway/histogram_json/5/channel/1/"]
    reference = {path: Client().get(path).content for path in paths}
    get_runtime().pool.close_all()  # start cold: opens race too
    mismatches: list[str] = []
    local = threading.local()

    def work(i: int) -> None:
        client = getattr(local, "client", None) or Client()
        local.client = client
        path = paths[i % len(paths)]
        response = client.get(path)
        if response.status_code != 200 or response.content != reference[path]:
            mismatches.append(f"{path}: {response.status_code}")

    with ThreadPoolExecutor(16) as executor:
        list(executor.map(work, range(400)))
    assert mismatches == []


@pytest.mark.parametrize("threads", [8])
def test_closing_the_pool_while_threads_read_never_fails_a_read(hardening_catalog, threads):
    catalog = LocalCatalog(str(hardening_catalog))
    sources = [catalog.get_image(i).source for i in (1, 2, 5)]
    pool = SourcePool(max_open=8)
    stop = threading.Event()
    errors: list[str] = []

    def reader(spec) -> None:
        while not stop.is_set():
            try:
                pool.get(spec).read_region(0, 0, 0, 0, 0, 0, 4, 4)
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=reader, args=(sources[i % 3],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for _ in range(200):
        pool.close_all()
    stop.set()
    for worker in workers:
        worker.join()
    assert errors == []
    pool.close_all()
