"""The codomain chain: reverse intensity applied to discrete values (reference §2.4)."""

from __future__ import annotations

import numpy as np

_IDENTITY = np.arange(256, dtype=np.uint8)


def codomain_table(reverse: bool, cd_start: int, cd_end: int) -> np.ndarray:
    """Discrete value -> value after the chain, for all 256 inputs.

    With no map the chain is skipped entirely (no clamping). ``ReverseIntensityMap`` clamps to the
    QuantumDef's ``[cdStart, cdEnd]`` and returns ``cdEnd - x`` (not ``cdStart + cdEnd - x``). A
    channel carries at most one reverse map, so intensities are never inverted twice.
    """
    if not reverse:
        return _IDENTITY
    return (cd_end - np.clip(_IDENTITY.astype(np.int64), cd_start, cd_end)).astype(np.uint8)
