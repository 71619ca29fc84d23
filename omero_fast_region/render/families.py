"""Quantum maps ("families") and their normalisation to ``bitResolution`` (reference §1.5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RenderingRefused
from .model import FAMILIES

#: ``QuantumFactory.verifyBitResolution``: the only accepted bit resolutions.
BIT_RESOLUTIONS = frozenset({1, 3, 7, 15, 31, 63, 127, 255})

#: The intermediate ("device") space the families map from: ``QuantumStrategy.MIN..MAX``.
DEVICE_MIN, DEVICE_MAX = 0, 255


def check_mapping(family: str, coefficient: float) -> float:
    """``QuantumStrategy.setMapping``: refuse k <= 0 and unknown families; linear forces k = 1."""
    if family not in FAMILIES:
        raise RenderingRefused(f"unsupported family: {family!r}")
    k = float(coefficient)
    if not k > 0 or math.isinf(k):
        raise RenderingRefused(f"unsupported curve coefficient: {coefficient!r}")
    return 1.0 if family == "linear" else k


def check_bit_resolution(bit_resolution: int) -> None:
    """Refuse a bit resolution OMERO rejects (§1.1)."""
    if bit_resolution not in BIT_RESOLUTIONS:
        raise RenderingRefused(f"unsupported bit resolution: {bit_resolution!r}")


def transform(family: str, values: np.ndarray, k: float) -> np.ndarray:
    """``QuantumMap.transform`` (§1.5) on float64 values, with Java's NaN/overflow behaviour."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        if family in ("linear", "polynomial"):
            return np.power(v, k)
        if family == "exponential":
            return np.exp(np.power(v, k))
        return np.log(np.where(v > 0, v, 1.0))  # logarithmic: only v <= 0 is clamped (quirk Q3)


@dataclass(frozen=True)
class Normalisation:
    """``initNormalizedMap``: ``ys = T(0)``, ``aN = bitRes / (T(255) - T(0))``; ``a1`` maps onto cd."""

    ys: float
    a_norm: float
    a1: float

    @classmethod
    def of(cls, family: str, k: float, bit_resolution: int, cd_start: int, cd_end: int) -> Normalisation:
        ends = transform(family, np.array([DEVICE_MIN, DEVICE_MAX], dtype=np.float64), k)
        with np.errstate(all="ignore"):
            a_norm = np.float64(bit_resolution) / (ends[1] - ends[0])
        return cls(float(ends[0]), float(a_norm), (cd_end - cd_start) / float(bit_resolution))
