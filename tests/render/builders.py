"""Small builders for hand-written rendering cases: one tiny image, settings, and its RGB."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from omero_fast_region.render import (ChannelInfo, ChannelSettings, LutLibrary, PixelsInfo,
                                      RenderSettings, render_rgb)
from omero_fast_region.render.pixeltypes import DTYPES


def render_values(
    pixel_type: str,
    channel_values: Sequence[Sequence[float]],
    channels: Sequence[ChannelSettings],
    *,
    model: str = "rgb",
    stats: Sequence[tuple[float, float] | None] | None = None,
    significant_bits: int | None = None,
    quantization: tuple[int, int, int] = (255, 0, 255),
    luts: LutLibrary | None = None,
) -> list[tuple[int, int, int]]:
    """Render a 1-row image whose channel *c* holds ``channel_values[c]``; RGB per pixel."""
    width = len(channel_values[0])
    planes = [np.array(v, dtype=np.float64).astype(DTYPES[pixel_type]).reshape(1, width)
              for v in channel_values]
    stats = stats if stats is not None else [None] * len(channel_values)
    pixels = PixelsInfo(pixel_type, width, 1, size_c=len(channel_values),
                        significant_bits=significant_bits)
    infos = [ChannelInfo(stats=s) for s in stats]
    bit_resolution, cd_start, cd_end = quantization
    settings = RenderSettings(model=model, channels=tuple(channels), bit_resolution=bit_resolution,
                              cd_start=cd_start, cd_end=cd_end)
    rgb = render_rgb(planes, pixels, infos, settings, luts)
    return [tuple(int(c) for c in px) for px in rgb.reshape(-1, 3)]


def grey(pixel_type: str, values: Sequence[float], window: tuple[float, float], *,
         stats: tuple[float, float] | None = None, significant_bits: int | None = None,
         quantization: tuple[int, int, int] = (255, 0, 255), **channel) -> list[int]:
    """Greyscale discrete values of one channel (R of each pixel; G and B are checked equal)."""
    rgb = render_values(pixel_type, [values], [ChannelSettings(window=window, **channel)],
                        model="greyscale", stats=[stats], significant_bits=significant_bits,
                        quantization=quantization)
    assert all(r == g == b for r, g, b in rgb)
    return [r for r, _, _ in rgb]


def write_raw_lut(path, red, green, blue) -> None:
    """A 768-byte raw LUT: 256 reds, 256 greens, 256 blues."""
    data = np.concatenate([np.asarray(c, dtype=np.int64) for c in (red, green, blue)]).astype(np.uint8)
    path.write_bytes(data.tobytes())


def vector_lut_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vectors' ``test.lut``: red = i, green = 255 - i, blue = i // 2."""
    i = np.arange(256)
    return i, 255 - i, i // 2
