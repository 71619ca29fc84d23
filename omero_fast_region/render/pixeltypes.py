"""OMERO pixel types: storage dtypes, value ranges and interval limits (reference §1.2, §1.3, §3)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RenderingRefused

#: numpy storage dtype of each OMERO pixel type (``bit`` planes are read as 0/1 bytes).
DTYPES: dict[str, np.dtype] = {
    "bit": np.dtype(np.uint8),
    "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
    "int16": np.dtype(np.int16),
    "uint16": np.dtype(np.uint16),
    "int32": np.dtype(np.int32),
    "uint32": np.dtype(np.uint32),
    "float": np.dtype(np.float32),
    "double": np.dtype(np.float64),
}

BIT_SIZES = {"bit": 1, "int8": 8, "uint8": 8, "int16": 16, "uint16": 16, "int32": 32, "uint32": 32}
SIGNED = frozenset({"int8", "int16", "int32"})
FLOATING = frozenset({"float", "double"})
#: Types quantized through a lookup table over the whole type range (``Quantization_8_16_bit``).
LUT_TYPES = frozenset({"bit", "int8", "uint8", "int16", "uint16"})

#: ``QuantumStrategy.verifyInterval``: an interval must be narrower than this (by type, not sigBits).
_INTERVAL_LIMITS = {"int8": 2**8, "uint8": 2**8, "int16": 2**16, "uint16": 2**16,
                    "int32": 2**32, "uint32": 2**32, "float": float("inf"), "double": float("inf")}

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def check_pixel_type(pixel_type: str) -> None:
    """Raise :class:`RenderingRefused` for a pixel type OMERO cannot render."""
    if pixel_type not in DTYPES:
        raise RenderingRefused(f"unsupported pixel type: {pixel_type!r}")


@dataclass(frozen=True)
class TypeRange:
    """``StatsFactory.initPixelsRange``: the value range of a pixel type, honouring significantBits."""

    min: float
    max: float


def type_range(pixel_type: str, significant_bits: int | None = None) -> TypeRange:
    """Pixel-type range (§1.2); float/double use Bio-Formats' ``Integer.MIN/MAX_VALUE``.

    A non-positive ``significant_bits`` is treated as absent (OMERO would build an empty range).
    """
    check_pixel_type(pixel_type)
    if pixel_type in FLOATING:
        return TypeRange(float(_INT_MIN), float(_INT_MAX))
    size = BIT_SIZES[pixel_type]
    bits = min(significant_bits if significant_bits and significant_bits > 0 else size, size)
    if pixel_type in SIGNED:
        return TypeRange(-(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)
    return TypeRange(0.0, 2.0**bits - 1)


def interval_is_valid(pixel_type: str, start: float, end: float) -> bool:
    """``QuantumStrategy.verifyInterval`` (§1.3): start <= end and narrower than the type allows.

    ``bit`` is in none of OMERO's lists, so every interval is invalid for it.
    """
    if not start <= end:
        return False
    limit = _INTERVAL_LIMITS.get(pixel_type)
    return limit is not None and (end - start) < limit


def projection_type_max(pixel_type: str) -> float:
    """``FormatTools.defaultMinMax(type)[1]``: the cap projections apply (§3)."""
    check_pixel_type(pixel_type)
    if pixel_type in FLOATING:
        return float(_INT_MAX)
    return type_range(pixel_type).max
