"""OMERO's default rendering settings for an image without a rendering definition (reference §5).

``RenderingSettingsImpl.resetDefaults``: default Z in the middle, the first three channels
active, colours from metadata or wavelengths, model by channel count, windows from StatsInfo,
from one plane's min/max, or from the pixel-type range.
"""

from __future__ import annotations

from typing import Sequence

from .model import ChannelInfo, ChannelSettings, PixelsInfo, RenderingDef, RenderSettings
from .pixeltypes import type_range

RED = (255, 0, 0, 255)
GREEN = (0, 255, 0, 255)
BLUE = (0, 0, 255, 255)
WHITE = (255, 255, 255, 255)

#: ``Renderer.MAX_CHANNELS``: images with this many channels or more default to greyscale.
MAX_RGB_CHANNELS = 8
MAX_ACTIVE = 3
_WINDOW_EPSILON = 1e-5


def wavelength_colour(wavelength: float) -> tuple[int, int, int, int]:
    """``ColorsFactory``: < 500 blue, 500..560 green, >= 560 red (the unit is ignored)."""
    if wavelength < 500:
        return BLUE
    if wavelength < 560:
        return GREEN
    return RED


def default_colours(channels: Sequence[ChannelInfo]) -> list[tuple[int, int, int, int]]:
    """Channel colours: explicit RGBA, else emission, excitation, or index (R, G, B, ...).

    When some but not all of the channels coloured from metadata lack an emission wavelength,
    those channels become white (e.g. DAPI, FITC and a brightfield -> blue, green, white).
    """
    colours: list[tuple[int, int, int, int]] = []
    derived: list[int] = []
    for i, info in enumerate(channels):
        if info.rgba is not None:
            colours.append(tuple(int(c) for c in info.rgba))
            continue
        derived.append(i)
        if info.emission_wavelength is not None:
            colours.append(wavelength_colour(info.emission_wavelength))
        elif info.excitation_wavelength is not None:
            colours.append(wavelength_colour(info.excitation_wavelength))
        else:
            colours.append((RED, GREEN, BLUE)[i % 3])
    lacking = [i for i in derived if channels[i].emission_wavelength is None]
    if 0 < len(lacking) < len(derived):
        for i in lacking:
            colours[i] = WHITE
    return colours


def default_minmax_plane(pixels: PixelsInfo) -> tuple[int, int]:
    """The (z, t) plane whose min/max ``RawPixelsStore.findMinMax`` uses: the middle one."""
    z = (pixels.size_z - 1) // 2 if pixels.size_z > 1 else 0
    t = (pixels.size_t - 1) // 2 if pixels.size_t > 1 else 0
    return z, t


def default_windows(
    pixels: PixelsInfo,
    channels: Sequence[ChannelInfo],
    plane_minmax: Sequence[tuple[float, float]] | None,
) -> list[tuple[float, float]]:
    """``computeLocationStats``: plane min/max when the first channel has no StatsInfo and they are
    given (no epsilon check); otherwise StatsInfo, or the type range when absent or narrower than 1e-5.
    """
    rng = type_range(pixels.pixel_type, pixels.significant_bits)
    first_has_stats = bool(channels) and channels[0].stats is not None
    if not first_has_stats and plane_minmax:
        return [(float(lo), float(hi)) for lo, hi in plane_minmax]
    windows = []
    for info in channels:
        lo, hi = info.stats if info.stats is not None else (rng.min, rng.max)
        if abs(hi - lo) < _WINDOW_EPSILON:
            lo, hi = rng.min, rng.max
        windows.append((float(lo), float(hi)))
    return windows


def default_rendering(
    pixels: PixelsInfo,
    channels: Sequence[ChannelInfo],
    plane_minmax: Sequence[tuple[float, float]] | None = None,
) -> RenderingDef:
    """The rendering definition OMERO would create for this image (§5).

    ``plane_minmax``: per channel (min, max) of the plane :func:`default_minmax_plane` names,
    used only when the first channel has no StatsInfo (pass None when it cannot be read).
    """
    colours = default_colours(channels)
    windows = default_windows(pixels, channels, plane_minmax)
    settings = tuple(
        ChannelSettings(active=i < MAX_ACTIVE, window=windows[i], rgba=colours[i], lut=info.lut)
        for i, info in enumerate(channels)
    )
    model = "rgb" if 1 < len(channels) < MAX_RGB_CHANNELS else "greyscale"
    return RenderingDef(RenderSettings(model=model, channels=settings), default_z=pixels.size_z // 2)
