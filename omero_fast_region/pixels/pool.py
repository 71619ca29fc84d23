"""A per-process, thread-safe LRU of open sources keyed by SourceSpec.

Bounded by ``max_open``: the least recently used source is closed on eviction, so the number
of open files stays bounded however many images are read. A source that turned out broken
(corrupt data) is dropped and opened afresh on the next request; a spec that fails to open is
never cached. Concurrent requests for the same spec wait for one open.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future

from ..descriptor import SourceSpec
from .base import PixelSource
from .registry import open_source
from .stores import S3Options


class SourcePool:
    """``get(spec)`` returns an open source, opening it at most once while cached."""

    def __init__(self, max_open: int = 64, s3: S3Options | None = None) -> None:
        if max_open < 1:
            raise ValueError("max_open must be at least 1")
        self.max_open = max_open
        self.s3 = s3
        self._lock = threading.Lock()
        self._open: OrderedDict[SourceSpec, PixelSource] = OrderedDict()
        self._opening: dict[SourceSpec, Future] = {}
        self._hits = self._misses = self._evictions = self._discarded = 0

    def get(self, spec: SourceSpec) -> PixelSource:
        while True:
            with self._lock:
                source = self._open.get(spec)
                if source is not None and getattr(source, "broken", False):
                    del self._open[spec]
                    self._discarded += 1
                    stale, source = source, None
                else:
                    stale = None
                if source is not None:
                    self._open.move_to_end(spec)
                    self._hits += 1
                    return source
                pending = self._opening.get(spec)
                if pending is None:
                    pending = self._opening[spec] = Future()
                    self._misses += 1
                    mine = True
                else:
                    mine = False
            if stale is not None:
                stale.close()
            if not mine:
                try:
                    return pending.result()
                except Exception:
                    continue  # the opener failed; try ourselves (and fail the same way)
            return self._open_and_insert(spec, pending)

    def _open_and_insert(self, spec: SourceSpec, pending: Future) -> PixelSource:
        try:
            source = open_source(spec, self.s3)
        except BaseException as exc:
            with self._lock:
                del self._opening[spec]
            pending.set_exception(exc)
            raise
        evicted = []
        with self._lock:
            del self._opening[spec]
            self._open[spec] = source
            while len(self._open) > self.max_open:
                evicted.append(self._open.popitem(last=False)[1])
                self._evictions += 1
        pending.set_result(source)
        for old in evicted:
            old.close()
        return source

    def discard(self, spec: SourceSpec) -> None:
        """Drop and close ``spec``'s source (e.g. after the file changed)."""
        with self._lock:
            source = self._open.pop(spec, None)
            if source is not None:
                self._discarded += 1
        if source is not None:
            source.close()

    def close_all(self) -> None:
        with self._lock:
            sources = list(self._open.values())
            self._open.clear()
        for source in sources:
            source.close()

    def stats(self) -> dict:
        with self._lock:
            return {
                "open": len(self._open),
                "max_open": self.max_open,
                "hits": self._hits,
                "misses": self._misses,
                "evictions": self._evictions,
                "discarded": self._discarded,
            }
