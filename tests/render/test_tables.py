"""The per-channel table cache: one packed form per table, LRU bounded by bytes, shared across threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from omero_fast_region.render import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings, render_rgb
from omero_fast_region.render.codomain import codomain_table
from omero_fast_region.render.colour import colour_contribution
from omero_fast_region.render.quantize import quantize_float_table, quantize_table, setup_channel
from omero_fast_region.render.tables import PACKED_FORMS, TABLES, TableCache, build_table


@pytest.fixture
def small_tables():
    """TABLES bounded to 1 MiB for the test, restored afterwards."""
    before = TABLES.max_bytes
    TABLES.clear()
    TABLES.max_bytes = 1 << 20
    yield TABLES
    TABLES.max_bytes = before
    TABLES.clear()


def test_cache_evicts_least_recently_used_by_bytes() -> None:
    cache = TableCache(max_bytes=2000)
    cache.get_or_build("a", lambda: np.zeros(800, np.uint8))
    cache.get_or_build("b", lambda: np.zeros(800, np.uint8))
    cache.get_or_build("a", lambda: "never")
    cache.get_or_build("c", lambda: np.zeros(800, np.uint8))
    assert len(cache) == 2 and cache.nbytes == 1600
    assert cache.get_or_build("a", lambda: "never").size == 800  # recently used: kept
    assert cache.get_or_build("b", lambda: np.ones(8, np.uint8))[0] == 1  # least recently used: evicted


def test_a_table_larger_than_the_bound_is_returned_but_not_kept() -> None:
    cache = TableCache(max_bytes=100)
    assert cache.get_or_build("big", lambda: np.zeros(101, np.uint8)).size == 101
    assert len(cache) == 0 and cache.nbytes == 0


def test_lowering_the_bound_evicts_at_once() -> None:
    cache = TableCache(max_bytes=10_000)
    for key in range(5):
        cache.get_or_build(key, lambda: np.zeros(1000, np.uint8))
    cache.max_bytes = 2500
    assert len(cache) == 2 and cache.nbytes == 2000


def test_the_byte_bound_holds_under_many_settings(small_tables) -> None:
    rng = np.random.default_rng(5)
    planes = [rng.integers(0, 65536, (32, 32), dtype=np.uint16) for _ in range(3)]
    planes[0][0, 0] = 65535  # full-length tables: 256 KiB (rgb32) or 512 KiB (rgb64) each
    pixels, infos = PixelsInfo("uint16", 32, 32, size_c=3), [ChannelInfo()] * 3
    colours = ((255, 0, 0, 255), (0, 255, 0, 255), (255, 255, 255, 255))
    for i in range(40):
        settings = RenderSettings(model="greyscale" if i % 5 == 0 else "rgb", channels=tuple(
            ChannelSettings(window=(i * 10, 60000), rgba=c, active=(i % 3 != 0 or k < 2))
            for k, c in enumerate(colours)))
        render_rgb(planes, pixels, infos, settings)
        assert small_tables.nbytes <= small_tables.max_bytes
    assert len(small_tables) >= 2


def test_a_full_uint16_table_is_one_packed_form() -> None:
    settings = RenderSettings(channels=(ChannelSettings(window=(0, 65535)),))
    setup = setup_channel("uint16", None, None, settings.channels[0], settings)
    sizes = {form: build_table(setup, settings.channels[0], None, False, form).nbytes for form in PACKED_FORMS}
    assert sizes == {"rgb32": 256 << 10, "rgb64": 512 << 10, "grey32": 256 << 10}


def eager_forms(setup, channel, lut, apply_alpha, length=None) -> dict[str, np.ndarray]:
    """Every packed form from one (n, 3) contribution array, as the eager builder made them."""
    if setup.pixel_type in ("float", "double", "int32", "uint32"):
        discrete = quantize_float_table(setup)
    else:
        discrete = quantize_table(setup, length)
    discrete = codomain_table(channel.reverse, setup.cd_start, setup.cd_end)[discrete]
    rgb = colour_contribution(channel.rgba, lut, apply_alpha)[discrete]
    grey = np.repeat(discrete[:, None], 3, axis=1)

    def pack(values, lane, word):
        packed = np.zeros((values.shape[0], 4), lane)
        packed[:, :3] = values
        return packed.view(word).reshape(-1)

    return {"rgb32": pack(rgb, np.uint8, np.uint32), "rgb64": pack(rgb, np.uint16, np.uint64),
            "grey32": pack(grey, np.uint8, np.uint32)}


@pytest.mark.parametrize("pixel_type,length", [("uint8", None), ("int16", None), ("uint16", 4096),
                                               ("uint16", None), ("float", None), ("int32", None)])
def test_each_lazily_built_form_equals_the_eagerly_built_one(pixel_type, length) -> None:
    lut = np.random.default_rng(1).integers(0, 256, (256, 3), dtype=np.uint8)
    for channel, channel_lut, alpha in [
        (ChannelSettings(window=(10, 3000), rgba=(255, 128, 0, 200), family="exponential", coefficient=1.3), None, True),
        (ChannelSettings(window=(-5, 200), rgba=(0, 255, 255, 255), reverse=True, noise_reduction=True), None, False),
        (ChannelSettings(window=(0, 1000)), lut, False),
    ]:
        settings = RenderSettings(channels=(channel,))
        setup = setup_channel(pixel_type, None, (-100.0, 5000.0), channel, settings)
        eager = eager_forms(setup, channel, channel_lut, alpha, length)
        for form in PACKED_FORMS:
            table = build_table(setup, channel, channel_lut, alpha, form, length)
            assert table.form == form and table.packed.dtype == eager[form].dtype
            np.testing.assert_array_equal(table.packed, eager[form])


def test_unknown_form_is_refused() -> None:
    settings = RenderSettings(channels=(ChannelSettings(window=(0, 255)),))
    setup = setup_channel("uint8", None, None, settings.channels[0], settings)
    with pytest.raises(ValueError):
        build_table(setup, settings.channels[0], None, False, "rgb48")


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
    TABLES.clear()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(render, range(14)))
    assert all(np.array_equal(a, b) for a, b in zip(results, expected))
