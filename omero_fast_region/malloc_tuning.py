"""Allocator tuning: keep numpy's megabyte temporaries off fresh mmaps (reference/performance-floor.md)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: glibc's ``M_MMAP_THRESHOLD`` mallopt parameter.
_M_MMAP_THRESHOLD = -3
DEFAULT_THRESHOLD = 64 * 1024 * 1024


def raise_mmap_threshold(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """``mallopt(M_MMAP_THRESHOLD, threshold)`` on Linux glibc; a no-op elsewhere.

    Allocations below the threshold are then served from the heap and reused, instead of being
    mmapped and unmapped per tile (about 1,000 minor page faults each). Returns True if applied.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))
