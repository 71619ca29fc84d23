"""Quantum-map families and their coefficient (reference §1.5, §1.8, §9 T16–T18)."""

from __future__ import annotations

import math

import pytest

from omero_fast_region.errors import RenderingRefused

from .builders import grey

VALUES = [0, 64, 128, 192, 255]


def test_polynomial_square() -> None:  # T16
    assert grey("uint8", VALUES, (0, 255), family="polynomial", coefficient=2.0) == [0, 16, 64, 145, 255]


def test_polynomial_square_root() -> None:  # T16b
    assert grey("uint8", VALUES, (0, 255), family="polynomial", coefficient=0.5) == [0, 128, 181, 221, 255]


def test_polynomial_on_uint16() -> None:  # Q-k
    assert grey("uint16", [0, 1000, 2048, 4095], (0, 4095), family="polynomial", coefficient=2.0) == [
        0, 15, 64, 255]


def test_exponential_k1_is_almost_black() -> None:  # T18
    assert grey("uint8", VALUES, (0, 255), family="exponential", coefficient=1.0) == [0, 0, 0, 0, 255]


def test_exponential_k_half() -> None:  # T18b
    assert grey("uint8", VALUES, (0, 255), family="exponential", coefficient=0.5) == [0, 0, 2, 31, 255]


def test_logarithmic_wraps_negative_logs_through_java_byte() -> None:  # T17 (quirk Q3)
    values = [0, 1, 8, 15, 16, 17, 1000, 4095]
    assert grey("uint16", values, (0, 4095), family="logarithmic") == [0, 128, 224, 253, 0, 3, 190, 255]


def test_logarithmic_uint8() -> None:  # T17b
    assert grey("uint8", [0, 1, 2, 10, 128, 255], (0, 255), family="logarithmic") == [0, 0, 32, 106, 223, 255]


def test_logarithmic_ignores_coefficient() -> None:
    values = [0, 2, 10, 128, 255]
    assert grey("uint8", values, (0, 255), family="logarithmic", coefficient=3.0) == grey(
        "uint8", values, (0, 255), family="logarithmic")


def test_linear_forces_coefficient_to_one() -> None:
    assert grey("uint8", VALUES, (0, 255), family="linear", coefficient=2.0) == VALUES


def test_families_apply_to_middle_range_value_in_float_strategy() -> None:
    # 1.0 is snapped to 0.998046875 (middle of the previous bucket): 254.5² / 255 rounds to 254.
    assert grey("float", [0.0, 0.5, 1.0], (0, 1), family="polynomial", coefficient=2.0) == [0, 63, 254]


@pytest.mark.parametrize("family", ["linear", "polynomial", "exponential", "logarithmic"])
@pytest.mark.parametrize("coefficient", [0.0, -1.0, math.nan])
def test_non_positive_coefficient_is_refused(family: str, coefficient: float) -> None:
    with pytest.raises(RenderingRefused):
        grey("uint8", [0], (0, 255), family=family, coefficient=coefficient)


def test_unknown_family_is_refused() -> None:
    with pytest.raises(RenderingRefused):
        grey("uint8", [0], (0, 255), family="sigmoid")
