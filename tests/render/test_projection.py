"""Projections (reference §3): planes read, arithmetic, clamping and storage in the source type."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.errors import BadRequest
from omero_fast_region.render import project, projection_planes
from omero_fast_region.render.pixeltypes import DTYPES

#: The per-pixel stacks (z0, z1, z2) behind projection_cases.txt (reference §3 table).
STACKS = {
    "u8": ("uint8", [(10, 200, 100), (200, 200, 100), (0, 0, 0), (5, 6, 7)]),
    "u16": ("uint16", [(1, 2, 4), (65000, 65000, 0), (1000, 3001, 0)]),
    "i8": ("int8", [(-5, -10, -1), (-100, -100, -100), (10, -20, 0)]),
    "float": ("float", [(0.5, 0.25, 1.0), (-1, -2, -3), (3e9, 3e9, 0)]),
    "u32": ("uint32", [(3e9, 4e9, 0), (1, 2, 0)]),
}
_LINE = re.compile(r"(\w+) (max|mean|sum) (\d+)\.\.(\d+)( step2)?: (.*)")


def _parse(vectors_dir: Path) -> list[tuple]:
    cases = []
    for line in (vectors_dir / "projection_cases.txt").read_text().splitlines():
        match = _LINE.match(line.strip())
        if match:
            short, alg, start, end, step2, values = match.groups()
            cases.append((short, "int" + alg, int(start), int(end), 2 if step2 else 1,
                          [float(v) for v in values.split()]))
    return cases


def _project(short: str, algorithm: str, start: int, end: int, stepping: int) -> np.ndarray:
    pixel_type, pixels = STACKS[short]
    stack = np.array(pixels, dtype=np.float64).T.astype(DTYPES[pixel_type])[:, None, :]  # (3, 1, n)
    planes = projection_planes(algorithm, start, end, stepping, stack.shape[0])
    result = project(stack[planes], algorithm, pixel_type)
    assert result.dtype == DTYPES[pixel_type] and result.shape == (1, len(pixels))
    return result[0]


def test_projection_vectors_match_omero(vectors_dir: Path) -> None:
    cases = _parse(vectors_dir)
    assert cases
    for short, algorithm, start, end, stepping, expected in cases:
        got = _project(short, algorithm, start, end, stepping)
        assert got.astype(np.float64).tolist() == pytest.approx(expected, rel=1e-7), (
            short, algorithm, start, end, stepping)


def test_max_includes_end_plane_mean_and_sum_exclude_it() -> None:
    assert projection_planes("intmax", 0, 2, 1, 3) == [0, 1, 2]
    assert projection_planes("intmean", 0, 2, 1, 3) == [0, 1]
    assert projection_planes("intsum", 0, 2, 1, 3) == [0, 1]


def test_stepping_skips_planes() -> None:
    assert projection_planes("intmax", 0, 4, 2, 5) == [0, 2, 4]
    assert projection_planes("intsum", 0, 4, 2, 5) == [0, 2]


def test_range_is_clamped_to_the_stack() -> None:
    assert projection_planes("intmax", -3, 99, 1, 3) == [0, 1, 2]


@pytest.mark.parametrize("args", [("intmax", 2, 1, 1, 3), ("intmax", 0, 2, 0, 3)])
def test_backwards_range_or_zero_stepping_is_a_bad_request(args) -> None:
    with pytest.raises(BadRequest):
        projection_planes(*args)


@pytest.mark.parametrize("algorithm", ["max", "intmin", ""])
def test_unknown_algorithm_is_a_bad_request(algorithm: str) -> None:
    with pytest.raises(BadRequest):
        projection_planes(algorithm, 0, 1, 1, 2)
    with pytest.raises(BadRequest):
        project(np.zeros((1, 1, 1), np.uint8), algorithm, "uint8")


def test_mean_truncates_toward_zero() -> None:
    stack = np.array([[[1]], [[2]]], dtype=np.uint16)
    assert project(stack, "intmean", "uint16")[0, 0] == 1
    assert project(np.array([[[-5]], [[-10]]], np.int8), "intmean", "int8")[0, 0] == -7


def test_negative_int8_sum_wraps_like_java_byte() -> None:
    stack = np.full((2, 1, 1), -100, dtype=np.int8)
    assert project(stack, "intsum", "int8")[0, 0] == 56


def test_int16_sum_is_capped_above_only() -> None:
    stack = np.full((2, 1, 1), 30000, dtype=np.int16)
    assert project(stack, "intsum", "int16")[0, 0] == 32767


def test_max_of_all_negative_is_zero() -> None:
    assert project(np.full((3, 1, 1), -7, np.int16), "intmax", "int16")[0, 0] == 0


def test_mean_of_no_planes_is_zero_for_ints_and_nan_for_floats() -> None:
    assert project(np.zeros((0, 1, 1), np.uint8), "intmean", "uint8")[0, 0] == 0
    assert math.isnan(project(np.zeros((0, 1, 1), np.float32), "intmean", "float")[0, 0])


def test_double_sum_is_capped_at_integer_max() -> None:
    assert project(np.full((2, 1, 1), 2e9), "intsum", "double")[0, 0] == 2147483647.0
