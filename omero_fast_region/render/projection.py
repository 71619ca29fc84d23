"""Z projections as OMERO's ``ProjectionBean.projectStack`` computes them (reference §3).

OMERO's maximum includes the ``end`` plane, but its mean and sum loop ``z < end`` and so
**exclude** it (mean of planes 0..2 averages planes 0 and 1). We match OMERO byte for byte;
:func:`projection_planes` lists exactly the planes each algorithm reads.
"""

from __future__ import annotations

import numpy as np

from ..errors import BadRequest
from .pixeltypes import DTYPES, FLOATING, check_pixel_type, projection_type_max

#: Web names of ``IProjection`` algorithms (MAX = 0, MEAN = 1, SUM = 2).
PROJECTIONS = ("intmax", "intmean", "intsum")

_INT_MIN, _INT_MAX = -(2.0**31), 2.0**31 - 1


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in PROJECTIONS:
        raise BadRequest(f"unknown projection {algorithm!r}; expected one of {', '.join(PROJECTIONS)}")


def projection_planes(algorithm: str, start: int, end: int, stepping: int, size_z: int) -> list[int]:
    """The z indices OMERO reads: ``start..end`` inclusive for intmax, ``end`` excluded otherwise.

    ``start``/``end`` are clamped into ``[0, size_z - 1]`` (``ImageWrapper.setProjectionRange``);
    ``start > end`` or ``stepping < 1`` is a :class:`BadRequest`.
    """
    _check_algorithm(algorithm)
    if size_z < 1:
        raise BadRequest("image has no z planes")
    start, end = max(0, int(start)), min(size_z - 1, int(end))
    if start > end:
        raise BadRequest(f"projection start {start} is after end {end}")
    if int(stepping) < 1:
        raise BadRequest(f"projection stepping must be >= 1, got {stepping}")
    stop = end + 1 if algorithm == "intmax" else end
    return list(range(start, stop, int(stepping)))


def _store(values: np.ndarray, pixel_type: str) -> np.ndarray:
    """``PixelData.setPixelValue``: float casts to float32; int types truncate, saturate to int32
    and wrap to the type's width (a negative int8 sum of -200 becomes 56)."""
    dtype = DTYPES[pixel_type]
    if pixel_type in FLOATING:
        return values.astype(dtype)
    with np.errstate(invalid="ignore"):
        ints = np.clip(np.trunc(np.nan_to_num(values, nan=0.0)), _INT_MIN, _INT_MAX).astype(np.int64)
    if pixel_type == "bit":
        return (ints != 0).astype(dtype)
    return ints.astype(dtype)  # numpy's int64 -> narrower int cast keeps the low bits, like Java


def project(stack: np.ndarray, algorithm: str, pixel_type: str) -> np.ndarray:
    """Project ``stack`` (n, h, w), exactly the planes of :func:`projection_planes`, to (h, w).

    Arithmetic is double, planes are added in order. Max starts from 0 (so all-negative data
    projects to 0); mean of no planes is NaN, stored as 0 in integer types; mean and sum above
    the type's maximum (``Integer.MAX_VALUE`` for float/double) are capped, max is not (but
    storing through Java's ``(int)`` saturates uint32 at 2^31 - 1); the result has the source
    pixel type.
    """
    _check_algorithm(algorithm)
    check_pixel_type(pixel_type)
    stack = np.asarray(stack)
    if stack.ndim != 3:
        raise BadRequest(f"projection stack must be (n, h, w), got shape {stack.shape}")
    result = np.zeros(stack.shape[1:], dtype=np.float64)
    if algorithm == "intmax":
        for plane in stack:
            np.fmax(result, plane, out=result)
    else:
        for plane in stack:
            result += plane
        if algorithm == "intmean":
            with np.errstate(invalid="ignore", divide="ignore"):
                result /= stack.shape[0]
        type_max = projection_type_max(pixel_type)
        np.minimum(result, type_max, out=result, where=~np.isnan(result))
    return _store(result, pixel_type)
