"""Default rendering settings for an image without a rendering definition (reference §5)."""

from __future__ import annotations

import pytest

from omero_fast_region.render import ChannelInfo, PixelsInfo, default_minmax_plane, default_rendering

RED, GREEN, BLUE, WHITE = (255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (255, 255, 255, 255)


def pixels(size_c: int, pixel_type: str = "uint16", size_z: int = 1, **kw) -> PixelsInfo:
    return PixelsInfo(pixel_type, 10, 10, size_z=size_z, size_c=size_c, **kw)


def colours(infos) -> list[tuple]:
    return [c.rgba for c in default_rendering(pixels(len(infos)), infos).settings.channels]


@pytest.mark.parametrize("size_z, default_z", [(1, 0), (2, 1), (3, 1), (4, 2), (5, 2)])
def test_default_z_is_half_of_size_z(size_z: int, default_z: int) -> None:
    assert default_rendering(pixels(1, size_z=size_z), [ChannelInfo()]).default_z == default_z


@pytest.mark.parametrize("size_c, model", [(1, "greyscale"), (2, "rgb"), (3, "rgb"), (7, "rgb"),
                                           (8, "greyscale"), (12, "greyscale")])
def test_model_by_channel_count(size_c: int, model: str) -> None:
    rdef = default_rendering(pixels(size_c), [ChannelInfo()] * size_c)
    assert rdef.settings.model == model


def test_first_three_channels_are_active() -> None:
    rdef = default_rendering(pixels(5), [ChannelInfo()] * 5)
    assert [c.active for c in rdef.settings.channels] == [True, True, True, False, False]


def test_quantization_defaults() -> None:
    rdef = default_rendering(pixels(1), [ChannelInfo()])
    s, c = rdef.settings, rdef.settings.channels[0]
    assert (s.bit_resolution, s.cd_start, s.cd_end) == (255, 0, 255)
    assert (c.family, c.coefficient, c.noise_reduction, c.reverse) == ("linear", 1.0, False, False)


def test_emission_wavelength_picks_colour() -> None:
    infos = [ChannelInfo(emission_wavelength=w) for w in (461, 499.9, 500, 559.9, 560, 700)]
    assert colours(infos) == [BLUE, BLUE, GREEN, GREEN, RED, RED]


def test_excitation_wavelength_used_without_emission_all_lacking_keeps_colours() -> None:
    infos = [ChannelInfo(excitation_wavelength=405), ChannelInfo(excitation_wavelength=488)]
    assert colours(infos) == [BLUE, BLUE]


def test_no_metadata_colours_by_index() -> None:
    assert colours([ChannelInfo()] * 4) == [RED, GREEN, BLUE, RED]


def test_some_but_not_all_lacking_emission_become_white() -> None:
    infos = [ChannelInfo(emission_wavelength=461), ChannelInfo(emission_wavelength=520), ChannelInfo()]
    assert colours(infos) == [BLUE, GREEN, WHITE]


def test_explicit_channel_colour_is_used_verbatim_and_not_whitened() -> None:
    infos = [ChannelInfo(rgba=(10, 20, 30, 40)), ChannelInfo(emission_wavelength=600)]
    assert colours(infos) == [(10, 20, 30, 40), RED]


def test_channel_lut_is_kept() -> None:
    rdef = default_rendering(pixels(1), [ChannelInfo(lut="fire.lut")])
    assert rdef.settings.channels[0].lut == "fire.lut"


def test_windows_from_stats() -> None:
    rdef = default_rendering(pixels(2), [ChannelInfo(stats=(5, 900)), ChannelInfo(stats=(1, 2))],
                             plane_minmax=[(0, 1), (0, 1)])
    assert [c.window for c in rdef.settings.channels] == [(5, 900), (1, 2)]


def test_stats_narrower_than_epsilon_fall_back_to_type_range() -> None:
    rdef = default_rendering(pixels(1, significant_bits=12), [ChannelInfo(stats=(7, 7))])
    assert rdef.settings.channels[0].window == (0, 4095)


def test_windows_from_plane_minmax_when_first_channel_lacks_stats() -> None:
    rdef = default_rendering(pixels(2, "uint8"), [ChannelInfo(), ChannelInfo(stats=(0, 255))],
                             plane_minmax=[(3, 3), (10, 200)])
    assert [c.window for c in rdef.settings.channels] == [(3, 3), (10, 200)]  # no epsilon check


@pytest.mark.parametrize("pixel_type, window", [("uint8", (0, 255)), ("int16", (-32768, 32767)),
                                                ("float", (-2147483648, 2147483647))])
def test_windows_from_type_range_without_stats_or_plane(pixel_type: str, window) -> None:
    rdef = default_rendering(pixels(1, pixel_type), [ChannelInfo()])
    assert rdef.settings.channels[0].window == window


def test_minmax_plane_is_the_middle_plane() -> None:
    assert default_minmax_plane(PixelsInfo("uint8", 1, 1, size_z=5, size_t=4)) == (2, 1)
    assert default_minmax_plane(PixelsInfo("uint8", 1, 1)) == (0, 0)
