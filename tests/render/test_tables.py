"""The per-channel table cache: bounded LRU, shared across threads, keyed by settings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from omero_fast_region.render import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings, render_rgb
from omero_fast_region.render.tables import TABLES, TableCache


def test_cache_evicts_least_recently_used() -> None:
    cache = TableCache(max_entries=2)
    cache.get_or_build("a", lambda: "A")
    cache.get_or_build("b", lambda: "B")
    cache.get_or_build("a", lambda: "never")
    cache.get_or_build("c", lambda: "C")
    assert len(cache) == 2
    assert cache.get_or_build("a", lambda: "never") == "A"  # recently used: kept
    assert cache.get_or_build("b", lambda: "rebuilt") == "rebuilt"  # least recently used: evicted


def test_table_is_reused_for_equal_settings() -> None:
    TABLES.clear()
    settings = RenderSettings(channels=(ChannelSettings(window=(0, 4095)),))
    plane = np.zeros((2, 2), np.uint16)
    for _ in range(3):
        render_rgb([plane], PixelsInfo("uint16", 2, 2), [ChannelInfo()], settings)
    assert len(TABLES) == 1


def test_concurrent_renders_agree() -> None:
    rng = np.random.default_rng(3)
    planes = [rng.integers(0, 65536, (128, 96), dtype=np.uint16) for _ in range(3)]
    pixels, infos = PixelsInfo("uint16", 96, 128, size_c=3), [ChannelInfo()] * 3

    def render(i: int) -> np.ndarray:
        colours = ((255, 0, 0, 255), (0, 255, 0, 255), (255, 0, 255, 200))
        settings = RenderSettings(channels=tuple(
            ChannelSettings(window=(i % 7 * 100, 40000), rgba=c) for c in colours))
        return render_rgb(planes, pixels, infos, settings)

    expected = [render(i) for i in range(14)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(render, range(14)))
    assert all(np.array_equal(a, b) for a, b in zip(results, expected))
