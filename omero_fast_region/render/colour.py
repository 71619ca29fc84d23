"""A channel's RGB contribution for each discrete value: colour with alpha, or a LUT (reference §2.2)."""

from __future__ import annotations

import numpy as np

from .javamath import java_float_times, java_int

_DISCRETE = np.arange(256, dtype=np.float64)


def colour_contribution(
    rgba: tuple[int, int, int, int], lut: np.ndarray | None, apply_alpha: bool
) -> np.ndarray:
    """(256, 3) uint8: what ``RenderHSBRegionTask`` adds to R, G, B for discrete value 0..255.

    A LUT replaces colour and alpha. Otherwise each component is ``(int)((c/255.0) * dv)`` in
    double, then, when some active channel has alpha != 255, ``(int)(float(n) * (A/255f))`` in
    Java float arithmetic.
    """
    if lut is not None:
        return np.ascontiguousarray(lut, dtype=np.uint8)
    columns = []
    alpha = np.float32(rgba[3]) / np.float32(255)
    for component in rgba[:3]:
        ratio = component / 255.0 if component > 0 else 0.0
        value = java_int(ratio * _DISCRETE)
        if apply_alpha:
            value = java_float_times(value, alpha)
        columns.append(value)
    return np.clip(np.stack(columns, axis=1), 0, 255).astype(np.uint8)
