"""Composition: rgb additive with clamp and alpha, greyscale first-active (reference §2.2, §2.3, §9)."""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.errors import BadRequest
from omero_fast_region.render import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings, render_rgb

from .builders import render_values

RED, GREEN, BLUE, WHITE = (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (255, 255, 255, 255)


def ch(rgba, window=(0, 255), **kw) -> ChannelSettings:
    return ChannelSettings(window=window, rgba=rgba, **kw)


def test_primary_channels_fill_their_components() -> None:  # T8
    got = render_values("uint8", [[255, 100], [128, 0], [64, 200]], [ch(RED), ch(GREEN), ch(BLUE)])
    assert got == [(255, 128, 64), (100, 0, 200)]


def test_same_colour_channels_add_and_clamp_at_255() -> None:  # T9
    assert render_values("uint8", [[200, 100], [100, 100]], [ch(RED), ch(RED)]) == [(255, 0, 0), (200, 0, 0)]


def test_colour_scales_by_component_over_255_truncating() -> None:  # T10
    got = render_values("uint8", [[0, 100, 200, 255]], [ch((255, 128, 0, 255))])
    assert got == [(0, 0, 0), (100, 50, 0), (200, 100, 0), (255, 128, 0)]


def test_overlapping_colours_add_per_component() -> None:  # T10b
    got = render_values("uint8", [[255, 100, 0], [255, 100, 50]], [ch((255, 0, 255, 255)), ch(GREEN)])
    assert got == [(255, 255, 255), (100, 100, 100), (0, 50, 0)]


def test_white_plus_red_saturates_red() -> None:  # T28
    got = render_values("uint8", [[0, 100, 255], [255, 255, 255]], [ch(WHITE), ch(RED)])
    assert got == [(255, 0, 0), (255, 100, 100), (255, 255, 255)]


def test_alpha_premultiplies_in_java_float() -> None:  # T11
    got = render_values("uint8", [[0, 100, 200, 255]], [ch((255, 128, 0, 128))])
    assert got == [(0, 0, 0), (50, 25, 0), (100, 50, 0), (128, 64, 0)]


def test_alpha_on_uint16_cyan() -> None:  # V7
    got = render_values("uint16", [[0, 2048, 4095]], [ch((0, 255, 255, 200), window=(0, 4095))])
    assert got == [(0, 0, 0), (0, 100, 100), (0, 200, 200)]


def test_alpha_255_channels_are_unchanged_when_another_has_alpha() -> None:
    # Once any active channel has alpha != 255, every channel is multiplied by its A/255f (1.0f).
    got = render_values("uint8", [[100], [100]], [ch(RED), ch((0, 255, 0, 128))])
    assert got == [(100, 50, 0)]


def test_alpha_of_inactive_channel_is_ignored() -> None:
    got = render_values("uint8", [[100], [100]], [ch(RED), ch((0, 255, 0, 0), active=False)])
    assert got == [(100, 0, 0)]


def test_greyscale_uses_first_active_channel_only_ignoring_colour_and_alpha() -> None:  # T20
    channels = [ch(BLUE, active=False), ch((255, 0, 0, 100)), ch(GREEN)]
    got = render_values("uint8", [[10, 20], [100, 200], [255, 255]], channels, model="greyscale")
    assert got == [(100, 100, 100), (200, 200, 200)]


def test_unknown_model_renders_greyscale() -> None:
    got = render_values("uint8", [[100], [50]], [ch(RED), ch(GREEN)], model="hsb")
    assert got == [(100, 100, 100)]


@pytest.mark.parametrize("model", ["rgb", "greyscale"])
def test_no_active_channel_is_black(model: str) -> None:  # T27
    got = render_values("uint8", [[100, 200]], [ch(RED, active=False)], model=model)
    assert got == [(0, 0, 0), (0, 0, 0)]


def test_per_channel_windows() -> None:  # V5
    channels = [ch(RED, window=(3, 250)), ch(GREEN, window=(10, 240)), ch(BLUE)]
    got = render_values("uint8", [[3, 100, 250], [10, 100, 240], [0, 100, 255]], channels)
    assert got == [(0, 0, 0), (100, 100, 100), (255, 255, 255)]


def test_inactive_planes_may_be_none_and_output_is_contiguous_uint8() -> None:
    plane = np.arange(12, dtype=np.uint16).reshape(3, 4) * 400  # 4400 is beyond the window
    settings = RenderSettings(channels=(ChannelSettings(window=(0, 4095), rgba=RED),
                                        ChannelSettings(active=False)))
    rgb = render_rgb([plane, None], PixelsInfo("uint16", 4, 3, size_c=2), [ChannelInfo(), ChannelInfo()],
                     settings)
    assert rgb.shape == (3, 4, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert rgb[..., 1:].max() == 0 and rgb[2, 3, 0] == 255


def test_missing_active_plane_is_a_bad_request() -> None:
    settings = RenderSettings(channels=(ChannelSettings(),))
    with pytest.raises(BadRequest):
        render_rgb([None], PixelsInfo("uint8", 1, 1), [ChannelInfo()], settings)


def test_many_channels_sum_in_wide_lanes_without_overflow() -> None:
    channels = [ch(WHITE) for _ in range(6)]
    assert render_values("uint8", [[255, 10]] * 6, channels) == [(255, 255, 255), (60, 60, 60)]


def test_large_tile_matches_small_tile_rendering() -> None:
    rng = np.random.default_rng(1)
    planes = [rng.integers(0, 4096, (64, 80), dtype=np.uint16) for _ in range(3)]
    settings = RenderSettings(channels=tuple(
        ChannelSettings(window=(100, 4000), rgba=c) for c in (RED, (255, 0, 255, 255), GREEN)))
    pixels, infos = PixelsInfo("uint16", 80, 64, size_c=3), [ChannelInfo()] * 3
    whole = render_rgb(planes, pixels, infos, settings)
    corner = render_rgb([p[:1, :1] for p in planes], pixels, infos, settings)
    assert np.array_equal(whole[:1, :1], corner)


@pytest.mark.parametrize("model, colours", [
    ("rgb", (RED, GREEN, BLUE)),                        # byte lanes, summed in the output itself
    ("rgb", (RED, (255, 0, 255, 255), WHITE)),           # wide lanes, saturated into the output
    ("rgb", ((255, 0, 0, 128), GREEN, BLUE)),            # alpha
    ("greyscale", (RED, GREEN, BLUE)),
])
@pytest.mark.parametrize("shape", [(64, 80), (1, 1), (3, 1)])
def test_padded_output_holds_the_same_rgb(model, colours, shape) -> None:
    rng = np.random.default_rng(7)
    planes = [rng.integers(0, 4096, shape, dtype=np.uint16) for _ in colours]
    settings = RenderSettings(model=model, channels=tuple(ChannelSettings(window=(100, 4000), rgba=c) for c in colours))
    pixels, infos = PixelsInfo("uint16", shape[1], shape[0], size_c=len(colours)), [ChannelInfo()] * len(colours)
    rgb = render_rgb(planes, pixels, infos, settings)
    padded = render_rgb(planes, pixels, infos, settings, padded=True)
    assert padded.shape == (*shape, 4) and padded.dtype == np.uint8 and padded.flags.c_contiguous
    assert np.array_equal(padded[..., :3], rgb)
    assert rgb.any()


def test_padded_output_with_no_active_channel_is_black() -> None:
    settings = RenderSettings(channels=(ChannelSettings(active=False, window=(0, 255), rgba=RED),))
    padded = render_rgb([None], PixelsInfo("uint8", 5, 4), [ChannelInfo()], settings, padded=True)
    assert padded.shape == (4, 5, 4) and not padded[..., :3].any()


@pytest.mark.parametrize("model, colours", [
    ("rgb", (RED, GREEN, BLUE)),
    ("rgb", (RED, (255, 0, 255, 255), WHITE)),
    ("rgb", ((255, 0, 0, 128), GREEN, BLUE)),
    ("greyscale", (RED, GREEN, BLUE)),
])
@pytest.mark.parametrize("pixel_type", ["uint16", "float"])
@pytest.mark.parametrize("padded", [False, True])
def test_an_image_of_several_strips_renders_as_its_rows_do(model, colours, pixel_type, padded) -> None:
    """Composition runs in strips of ``STRIP`` pixels: an image of two strips and a part, its planes
    cut from larger arrays (not contiguous), gives what each of its rows gives alone."""
    from omero_fast_region.render.compose import STRIP

    h, w = 2 * STRIP // 500 + 3, 500
    rng = np.random.default_rng(11)
    dtype = np.uint16 if pixel_type == "uint16" else np.float32
    planes = [rng.integers(0, 4096, (h + 2, w + 3)).astype(dtype)[1:-1, 2:-1] for _ in colours]
    assert h * w > 2 * STRIP and not planes[0].flags.c_contiguous
    settings = RenderSettings(model=model, channels=tuple(ChannelSettings(window=(100, 4000), rgba=c) for c in colours))
    pixels, infos = PixelsInfo(pixel_type, w, h, size_c=len(colours)), [ChannelInfo(stats=(0, 4095))] * len(colours)
    whole = render_rgb(planes, pixels, infos, settings, padded=padded)[..., :3]
    rows = np.concatenate([render_rgb([p[y:y + 1] for p in planes], pixels, infos, settings) for y in range(h)])
    assert np.array_equal(whole, rows) and whole.any()


@pytest.mark.parametrize("strip", [1, 7, 64])
def test_strip_boundaries_anywhere_give_the_same_image(strip, monkeypatch) -> None:
    from omero_fast_region.render import compose

    rng = np.random.default_rng(5)
    planes = [rng.integers(0, 4096, (13, 17), dtype=np.uint16) for _ in range(3)]
    pixels, infos = PixelsInfo("uint16", 17, 13, size_c=3), [ChannelInfo()] * 3
    for colours in ((RED, GREEN, BLUE), (RED, (255, 0, 255, 255), WHITE)):
        for model in ("rgb", "greyscale"):
            settings = RenderSettings(model=model, channels=tuple(ChannelSettings(window=(100, 4000), rgba=c) for c in colours))
            expected = render_rgb(planes, pixels, infos, settings)
            monkeypatch.setattr(compose, "STRIP", strip)
            assert np.array_equal(render_rgb(planes, pixels, infos, settings), expected)
            assert np.array_equal(render_rgb(planes, pixels, infos, settings, padded=True)[..., :3], expected)
            monkeypatch.undo()


@pytest.mark.parametrize("padded", [False, True])
@pytest.mark.parametrize("pixel_type", ["uint16", "float"])
def test_no_scratch_buffer_outgrows_a_strip(padded, pixel_type) -> None:
    """A thread's work buffers are kept for its next image: a large image must not leave them at
    its size (a whole plane at the 3192² limit left about 120 MiB per thread)."""
    import threading

    from omero_fast_region.render import scratch as scratch_module
    from omero_fast_region.render.compose import STRIP

    h, w = 3 * STRIP // 400 + 1, 400
    rng = np.random.default_rng(3)
    dtype = np.uint16 if pixel_type == "uint16" else np.float32
    planes = [rng.integers(0, 4096, (h, w)).astype(dtype) for _ in range(3)]
    pixels, infos = PixelsInfo(pixel_type, w, h, size_c=3), [ChannelInfo(stats=(0, 4095))] * 3
    sizes = {}

    def render() -> None:
        for colours in ((RED, GREEN, BLUE), (RED, (255, 0, 255, 255), WHITE)):
            for model in ("rgb", "greyscale"):
                settings = RenderSettings(model=model, channels=tuple(
                    ChannelSettings(window=(100, 4000), rgba=c) for c in colours))
                render_rgb(planes, pixels, infos, settings, padded=padded)
        sizes.update({name: buf.size for name, buf in scratch_module._local.__dict__["buffers"].items()})

    thread = threading.Thread(target=render)
    thread.start()
    thread.join()
    assert {"positions", "part32", "part64", "acc64"} <= set(sizes)
    assert sizes.pop("byte_max") <= 4 * STRIP  # four 16-bit lanes a pixel
    assert max(sizes.values()) <= STRIP, sizes
