"""Reverse intensity, the only codomain map (reference §2.4, §9 T13/T13b/T14b/V3)."""

from __future__ import annotations

from omero_fast_region.render import ChannelSettings
from omero_fast_region.render.codomain import codomain_table

from .builders import grey, render_values


def test_reverse_greyscale_is_255_minus_value() -> None:  # T13
    assert grey("uint8", [0, 100, 200, 255], (0, 255), reverse=True) == [255, 155, 55, 0]


def test_reverse_is_cd_end_minus_clamped_value() -> None:  # T14b: not cdStart + cdEnd - x
    values = [0, 64, 128, 192, 255]
    assert grey("uint8", values, (0, 255), reverse=True, quantization=(255, 10, 200)) == [
        183, 142, 95, 47, 0]


def test_reverse_applies_before_colour() -> None:  # T13b
    green = ChannelSettings(window=(0, 4095), rgba=(0, 255, 0, 255), reverse=True)
    assert render_values("uint16", [[0, 1000, 3000, 4095]], [green]) == [
        (0, 255, 0), (0, 193, 0), (0, 68, 0), (0, 0, 0)]


def test_reverse_is_applied_once_not_twice() -> None:
    table = codomain_table(True, 0, 255)
    assert table[0] == 255 and table[255] == 0
    assert list(table[table]) == list(range(256))  # only a double application would restore


def test_no_map_means_no_clamping() -> None:
    assert list(codomain_table(False, 10, 200)) == list(range(256))


def test_reverse_with_noise_reduction_clamps_to_quantum_def_codomain() -> None:
    # NR maps 230 to cdEnd + cdStart = 255 (T19); the chain clamps to 0..255 then reverses.
    assert grey("uint8", [230, 255], (0, 255), stats=(0, 255), noise_reduction=True, reverse=True) == [0, 10]
