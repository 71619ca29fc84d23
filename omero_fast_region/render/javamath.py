"""Java numeric conversions on numpy arrays, exactly as the JVM does them (reference §0 legend)."""

from __future__ import annotations

import numpy as np

_INT_MIN, _INT_MAX = -(2.0**31), 2.0**31 - 1
_LONG_LIMIT = 2.0**63


def java_round(values: np.ndarray) -> np.ndarray:
    """``Math.round(double)`` as float64: nearest, ties up; NaN -> 0; saturates at +-2^63.

    Computed as ``floor(x)`` plus one when the exact fraction ``x - floor(x)`` is >= 0.5, which is
    what JDK 7+ does (unlike ``floor(x + 0.5)`` for 0.49999999999999994 and near 2^52).
    """
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        low = np.floor(v)
        rounded = low + ((v - low) >= 0.5)
        rounded = np.where(np.isnan(v), 0.0, rounded)
    return np.clip(rounded, -_LONG_LIMIT, _LONG_LIMIT)


def java_int(values: np.ndarray) -> np.ndarray:
    """``(int) double``: truncate toward zero, NaN -> 0, saturate to the int32 range (int64 out)."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        clipped = np.clip(np.trunc(np.where(np.isnan(v), 0.0, v)), _INT_MIN, _INT_MAX)
    return clipped.astype(np.int64)


def java_byte_unsigned(values: np.ndarray) -> np.ndarray:
    """``((byte) v) & 0xFF`` for a double ``v``: the low 8 bits of ``(int) v``, as uint8."""
    return (java_int(values) & 0xFF).astype(np.uint8)


def java_float_times(ints: np.ndarray, factor: np.float32) -> np.ndarray:
    """Java ``int *= float``: float32 multiply, then truncate to int (values here are >= 0)."""
    product = np.asarray(ints).astype(np.float32) * np.float32(factor)
    return java_int(product.astype(np.float64))
