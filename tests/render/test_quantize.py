"""Quantization (reference §1, §9): windows, extents, both strategies, codomain and bit resolution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from omero_fast_region.errors import RenderingRefused

from .builders import grey


def test_uint16_linear_uses_java_double_slope_and_rounding() -> None:  # T1
    values = [0, 1000, 2047, 2048, 4094, 4095, 5000, 16]
    assert grey("uint16", values, (0, 4095), stats=(0, 65535)) == [0, 62, 127, 128, 255, 255, 255, 1]


def test_uint8_full_window_is_identity() -> None:  # T2
    assert grey("uint8", [0, 1, 127, 128, 254, 255], (0, 255)) == [0, 1, 127, 128, 254, 255]


def test_values_at_window_end_map_to_cd_end() -> None:  # T3
    values = [0, 50, 100, 101, 150, 199, 200, 250]
    assert grey("uint16", values, (100, 200), stats=(0, 1000)) == [0, 0, 0, 3, 128, 252, 255, 255]


def test_int16_window_uses_slope_times_x_minus_intercept_not_algebraic_form() -> None:  # V8
    values = [-32768, -200, -100, 0, 32767]
    assert grey("int16", values, (-200, 0), stats=(-32768, 32767)) == [0, 0, 127, 255, 255]


@pytest.mark.parametrize("pixel_type", ["int8"])
def test_signed_8bit_full_range(pixel_type: str) -> None:  # T5
    assert grey(pixel_type, [-128, -1, 0, 1, 127], (-128, 127)) == [0, 127, 128, 129, 255]


def test_int16_symmetric_window() -> None:  # T6
    assert grey("int16", [-1000, -500, 0, 500, 1000], (-1000, 1000)) == [0, 64, 128, 191, 255]


def test_float_snaps_to_middle_of_previous_bucket() -> None:  # T4
    values = [-0.5, 0, 0.001, 0.25, 0.5, 0.999, 1.0, 1.5]
    assert grey("float", values, (0, 1), stats=(0, 1)) == [0, 0, 0, 63, 127, 254, 255, 255]


def test_float_window_inside_stats() -> None:  # T4b
    values = [50, 100, 100.5, 200, 300, 450.2, 500, 600]
    assert grey("float", values, (100, 500), stats=(0, 1000)) == [0, 0, 0, 63, 127, 223, 255, 255]


def test_float_nan_and_infinities() -> None:  # V2
    assert grey("float", [math.nan, 0.5, math.inf, -math.inf], (0, 1)) == [0, 127, 255, 0]


def test_float_without_stats_uses_type_range_extent() -> None:  # T26
    assert grey("float", [0, 0.5, 1, 1000], (0, 1)) == [0, 127, 255, 255]


def test_double_window_crossing_zero() -> None:  # T25
    assert grey("double", [-1, 0, 0.5, 1, 2], (-1, 2)) == [0, 84, 127, 169, 255]


def test_uint32_and_int32_take_the_float_strategy() -> None:  # T7, T7b
    assert grey("uint32", [0, 1000, 50000, 99999, 100000], (0, 100000)) == [0, 1, 127, 254, 255]
    assert grey("int32", [-100, 0, 25, 50, 100], (-100, 100)) == [0, 127, 159, 191, 255]


def test_zero_width_window_lut_strategy_steps_at_start() -> None:  # T23
    assert grey("uint16", [0, 99, 100, 101], (100, 100)) == [0, 0, 255, 255]


def test_zero_width_window_float_strategy_is_black() -> None:  # E1
    assert grey("float", [0, 1, 2], (1, 1)) == [0, 0, 0]


def test_fractional_window() -> None:  # T24
    assert grey("uint16", [10, 11, 12, 13, 20, 21], (10.5, 20.5)) == [0, 13, 38, 64, 242, 255]


@pytest.mark.parametrize("window", [(200, 100), (-50, 300)])
def test_invalid_window_falls_back_to_type_range(window) -> None:  # T22, T22b
    assert grey("uint8", [0, 100, 200, 255], window) == [0, 100, 200, 255]


def test_codomain_start_is_added_twice_at_window_start() -> None:  # T14 (quirk Q2)
    assert grey("uint8", [0, 64, 128, 192, 255], (0, 255), quantization=(255, 10, 200)) == [
        17, 58, 105, 153, 200]


def test_codomain_end_below_255() -> None:  # E4
    assert grey("uint16", [0, 1000, 2048, 4095], (0, 4095), quantization=(255, 0, 100)) == [
        0, 24, 50, 100]


@pytest.mark.parametrize("bit_resolution, expected", [
    (127, [0, 64, 129, 193, 255]),  # T15
    (15, [0, 68, 136, 187, 255]),  # T15b
    (1, [0, 0, 255, 255, 255]),  # E3 (127 -> 0 checked below)
])
def test_bit_resolution_posterises(bit_resolution: int, expected: list[int]) -> None:
    values = [0, 64, 128, 192, 255]
    assert grey("uint8", values, (0, 255), quantization=(bit_resolution, 0, 255)) == expected


def test_bit_resolution_one_thresholds_at_the_middle() -> None:  # E3
    assert grey("uint8", [127, 128], (0, 255), quantization=(1, 0, 255)) == [0, 255]


def test_noise_reduction_uint8() -> None:  # T19: 230 -> 255 while 255 -> 245
    values = [0, 10, 25, 26, 128, 230, 255]
    assert grey("uint8", values, (0, 255), stats=(0, 255), noise_reduction=True) == [
        20, 20, 20, 21, 138, 255, 245]


def test_noise_reduction_uint16_window_inside_stats() -> None:  # T19b
    values = [0, 100, 400, 500, 1000, 3700, 4095]
    assert grey("uint16", values, (100, 1000), stats=(0, 4095), noise_reduction=True) == [
        10, 20, 20, 56, 245, 245, 245]


def test_significant_bits_rescale_values_above_range() -> None:  # T21
    values = [0, 1000, 4095, 4096, 8000, 65535]
    assert grey("uint16", values, (0, 4095), stats=(0, 65535), significant_bits=12) == [
        0, 62, 255, 16, 31, 255]


def test_significant_bits_rescale_uses_original_stats() -> None:  # T21b
    assert grey("uint16", [4096, 8000, 65535], (0, 4095), stats=(0, 8000), significant_bits=12) == [
        131, 255, 255]


def test_window_beyond_significant_bits_renders_instead_of_crashing() -> None:
    # OMERO throws ArrayIndexOutOfBounds here (vectors' expected_error); we bound its LUT writes:
    # the whole 12-bit table lies below the window start, so every value maps to cdStart.
    values = [3838, 4096, 8000, 8392]
    assert grey("uint16", values, (4297, 8392), stats=(4297, 8392), significant_bits=12) == [0, 0, 0, 0]


def test_bit_type_always_uses_window_zero_to_one() -> None:
    assert grey("bit", [0, 1, 0], (0, 100)) == [0, 255, 0]


@pytest.mark.parametrize("bit_resolution", [0, 2, 8, 16, 254, 256, -1])
def test_invalid_bit_resolution_is_refused(bit_resolution: int) -> None:
    with pytest.raises(RenderingRefused):
        grey("uint8", [0], (0, 255), quantization=(bit_resolution, 0, 255))


@pytest.mark.parametrize("cd", [(10, 10), (200, 100), (-1, 255), (0, 256)])
def test_invalid_codomain_interval_is_refused(cd) -> None:
    with pytest.raises(RenderingRefused):
        grey("uint8", [0], (0, 255), quantization=(255, *cd))


def test_refusal_is_a_400() -> None:
    assert RenderingRefused.status == 400


def test_int8_and_int16_planes_index_tables_by_bit_pattern() -> None:
    values = np.arange(-128, 128)
    assert grey("int8", values, (-128, 127)) == list(range(256))


def _java_middle_range(value: float, ws: float, we: float, count: int) -> float:
    """``QuantumStrategy.getMiddleRange`` transcribed with Python floats (doubles)."""
    if value < ws:
        return ws
    if value > we:
        return we
    step = abs(we - ws) / count
    if value == ws:
        return ws + step / 2
    v = 0 if math.isnan(value) else int((value - ws) / step)
    return (ws + (v - 1) * step + ws + v * step) / 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint32])
def test_middle_range_is_computed_in_double_for_every_input_type(dtype) -> None:
    from omero_fast_region.render import ChannelSettings, RenderSettings
    from omero_fast_region.render.quantize import (middle_range_buckets, middle_range_index,
                                                   setup_channel)
    pixel_type = {np.float32: "float", np.float64: "double", np.int32: "int32", np.uint32: "uint32"}[dtype]
    rng = np.random.default_rng(7)
    ws, we = 0.1, 1000.3
    raw = np.concatenate([rng.uniform(-10, 1100, 2000), [ws, we, 0.1 + 1e-9, np.nextafter(we, 2000)]])
    values = raw.astype(dtype)
    setup = setup_channel(pixel_type, None, None, ChannelSettings(window=(ws, we)), RenderSettings())
    index = middle_range_index(values, setup, np.empty(values.size, np.intp))
    got = middle_range_buckets(setup)[index]
    expected = [_java_middle_range(float(v), ws, we, 256) for v in values]
    assert got.tolist() == expected


def test_signed_values_below_significant_bits_range_are_rescaled_from_lut_min() -> None:
    # int16 with 12 significant bits: lutMin = -2048; -3000 -> (int)(1.0 * (-3000 + 2048)) = -952,
    # which is inside the table: (-952 + 2048) * 255 / 4095 = 68.25 -> 68.
    assert grey("int16", [-3000, -2048, 2047, 30000], (-2048, 2047), significant_bits=12) == [68, 0, 255, 255]
