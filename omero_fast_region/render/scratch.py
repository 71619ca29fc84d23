"""Per-thread reusable work buffers, so the hot path allocates (and page-faults) nothing per tile."""

from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def scratch(name: str, size: int, dtype: type, fill: int | None = None) -> np.ndarray:
    """A 1-D buffer of ``size`` items owned by this thread; with ``fill`` it holds that constant.

    The same name returns the same memory on the next call: use a buffer only until the next
    request for its name.
    """
    buffers = _local.__dict__.setdefault("buffers", {})
    buf = buffers.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(size, dtype=dtype) if fill is None else np.full(size, fill, dtype=dtype)
        buffers[name] = buf
    return buf[:size]
