"""ByteBoundedCache (bytecache.py): one build per key at a time, owners, failures."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from omero_fast_region.bytecache import ByteBoundedCache


def test_concurrent_misses_build_once_and_share_the_value() -> None:
    cache, builds, start = ByteBoundedCache(1 << 20), [], threading.Barrier(6)

    def build():
        builds.append(1)
        threading.Event().wait(0.05)
        return np.arange(10)

    def get(_):
        start.wait()
        return cache.get_or_build("k", build)

    with ThreadPoolExecutor(6) as pool:
        values = list(pool.map(get, range(6)))
    assert len(builds) == 1 and all(v is values[0] for v in values)


def test_a_failed_build_is_not_kept_and_is_retried() -> None:
    cache = ByteBoundedCache(1 << 20)
    with pytest.raises(ZeroDivisionError):
        cache.get_or_build("k", lambda: 1 / 0)
    assert len(cache) == 0
    assert cache.get_or_build("k", lambda: np.zeros(3)).size == 3


def test_a_value_built_for_a_dropped_owner_is_returned_not_kept() -> None:
    cache = ByteBoundedCache(1 << 20)
    owner = cache.new_owner()

    def build():
        cache.drop(owner)  # the source closes while its tile is being decoded
        return np.zeros(8)

    assert cache.get_or_build((owner, 1), build, owner).size == 8
    assert len(cache) == 0 and cache.nbytes == 0


def test_drop_forgets_only_that_owners_entries() -> None:
    cache = ByteBoundedCache(1 << 20)
    a, b = cache.new_owner(), cache.new_owner()
    cache.get_or_build((a, 1), lambda: np.zeros(10, np.uint8), a)
    cache.get_or_build((b, 1), lambda: np.zeros(20, np.uint8), b)
    cache.get_or_build("shared", lambda: np.zeros(5, np.uint8))
    cache.drop(a)
    assert cache.nbytes == 25 and len(cache) == 2
