"""Allocator tuning: keep numpy's megabyte temporaries off fresh mmaps (reference/performance-floor.md).

Two glibc settings together: ``M_MMAP_THRESHOLD`` keeps allocations below it on the heap instead
of a fresh mmap per tile, and ``M_TRIM_THRESHOLD`` (which glibc stops adapting once the mmap
threshold is set by hand) keeps the freed heap top instead of handing it back to the kernel after
every request. Either alone leaves hundreds of minor page faults per 512² tile; both, none.
Applied once per process from ``apps.FastRegionConfig.ready()``, so standalone workers and
OMERO.web's own workers get it alike.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: glibc ``mallopt`` parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
DEFAULT_THRESHOLD = 64 * 1024 * 1024


def raise_mmap_threshold(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """``mallopt`` the mmap threshold to ``threshold`` and the trim threshold to twice that.

    Linux glibc only; a no-op elsewhere. Returns True if both were applied.
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
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold))) and bool(mallopt(_M_TRIM_THRESHOLD, 2 * int(threshold)))
