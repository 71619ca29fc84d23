"""Composition of channel tables into the RGB image, in place on reused buffers (reference §2.2, §2.3)."""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from .tables import ChannelTable

_scratch = threading.local()


def scratch(name: str, size: int, dtype: type) -> np.ndarray:
    """A per-thread reusable 1-D buffer (avoids a fresh mmap and its page faults per tile)."""
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buf = buffers.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(size, dtype=dtype)
        buffers[name] = buf
    return buf[:size]


def _bytes_to_rgb(packed: np.ndarray, out: np.ndarray) -> None:
    """Copy the R, G, B bytes of packed uint32 values into ``out`` (n, 3) uint8."""
    out[:] = packed.view(np.uint8).reshape(-1, 4)[:, :3]


def compose_greyscale(table: ChannelTable, index: np.ndarray, out: np.ndarray) -> None:
    """``GreyScaleStrategy``: the discrete value of the first active channel in R, G and B."""
    n = out.shape[0]
    grey = scratch("grey", n, np.uint8)
    np.take(table.discrete, index.reshape(-1), out=grey, mode="clip")
    out[:] = grey[:, None]


def compose_rgb(tables: Sequence[ChannelTable], indices: Sequence[np.ndarray], out: np.ndarray) -> None:
    """``HSBStrategy``: add every active channel's contribution, each component clamped at 255.

    All terms are >= 0, so clamping once after the sum equals OMERO's per-step clamp. When no
    component can exceed 255 (e.g. distinct primary colours) the sum is done in byte lanes of a
    uint32; otherwise in 16-bit lanes of a uint64, then saturated.
    """
    n = out.shape[0]
    totals = [sum(t.lane_max[c] for t in tables) for c in range(3)]
    if max(totals) <= 255:
        acc, part = scratch("acc32", n, np.uint32), scratch("part32", n, np.uint32)
        np.take(tables[0].rgb32, indices[0].reshape(-1), out=acc, mode="clip")
        for table, index in zip(tables[1:], indices[1:]):
            np.take(table.rgb32, index.reshape(-1), out=part, mode="clip")
            acc += part
        _bytes_to_rgb(acc, out)
        return
    acc, part = scratch("acc64", n, np.uint64), scratch("part64", n, np.uint64)
    np.take(tables[0].rgb64, indices[0].reshape(-1), out=acc, mode="clip")
    for table, index in zip(tables[1:], indices[1:]):
        np.take(table.rgb64, index.reshape(-1), out=part, mode="clip")
        acc += part
    lanes = acc.view(np.uint16).reshape(-1, 4)
    np.minimum(lanes, 255, out=lanes)
    out[:] = lanes[:, :3]
