"""Tables sized to the plane's values (``tables.table_length``) render exactly as full tables."""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.render import render_rgb
from omero_fast_region.render.model import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings
from omero_fast_region.render.tables import table_length


@pytest.mark.parametrize("pixel_type,top", [("uint16", 4095), ("uint16", 4096), ("uint16", 255),
                                            ("uint16", 40000), ("int16", 3000)])
def test_a_prefix_table_renders_exactly_as_the_full_table(pixel_type, top):
    rng = np.random.default_rng(top)
    dtype = np.dtype(pixel_type)
    plane = rng.integers(0, top, (40, 50), endpoint=True).astype(dtype)
    plane.flat[0] = top  # the largest position sits exactly at the boundary
    # the same pixels beside a value that forces the full table (65535, or -1 for int16)
    forcing = np.concatenate([plane, np.full((1, 50), np.iinfo(dtype).max if dtype.kind == "u" else -1, dtype)])
    assert table_length(plane, pixel_type) is not None or top >= 32768
    assert table_length(forcing, pixel_type) is None
    pixels = PixelsInfo(pixel_type, 50, 40)
    for family, k, nr, reverse in [("linear", 1.0, False, False), ("exponential", 1.3, True, True),
                                   ("logarithmic", 0.7, False, False)]:
        settings = RenderSettings(channels=(ChannelSettings(window=(100.0, 3900.0), rgba=(255, 128, 0, 255),
                                                            family=family, coefficient=k, noise_reduction=nr,
                                                            reverse=reverse),))
        stats = [ChannelInfo(stats=(0.0, 4095.0))]
        prefix = render_rgb([plane], pixels, stats, settings)
        full = render_rgb([forcing], pixels, stats, settings)[:40]
        assert prefix.tobytes() == full.tobytes(), (family, top)


def test_table_length_covers_the_largest_value_with_a_power_of_two():
    assert table_length(np.array([[0, 4095]], np.uint16), "uint16") == 4096
    assert table_length(np.array([[0, 4096]], np.uint16), "uint16") == 8192
    assert table_length(np.array([[3]], np.uint16), "uint16") == 256
    assert table_length(np.array([[65535]], np.uint16), "uint16") is None
    assert table_length(np.array([[-2, 7]], np.int16), "int16") is None
    assert table_length(np.array([[200]], np.uint8), "uint8") is None
    assert table_length(np.array([[1.5]], np.float32), "float") is None
