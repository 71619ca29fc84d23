"""A per-process LRU bounded by bytes, building each value once (render tables, decoded pyramid tiles).

Values report their size through ``nbytes`` (numpy arrays do). A miss is built outside the lock;
concurrent requests for the same key wait for the first build instead of building again, and a
value is visible only once fully built. Entries may belong to an *owner* (e.g. one open file):
:meth:`ByteBoundedCache.drop` forgets all of them, and a value built for an owner dropped in the
meantime is returned but not kept. A value larger than the whole bound is returned, not kept.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any, Callable, Hashable

_owner_ids = itertools.count(1)


class ByteBoundedCache:
    """``get_or_build(key, build)``: the cached value of ``key``, or ``build()`` kept within ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int, Hashable]] = OrderedDict()
        self._pending: dict[Hashable, Future] = {}
        self._owned: dict[Hashable, set[Hashable]] = {}  # live owner -> its keys
        self._max_bytes = max(0, int(max_bytes))
        self._bytes = 0
        self._hits = self._misses = self._evictions = 0

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        with self._lock:
            self._max_bytes = max(0, int(value))
            self._trim()

    def new_owner(self) -> int:
        """A fresh owner token whose entries :meth:`drop` forgets together."""
        owner = next(_owner_ids)
        with self._lock:
            self._owned[owner] = set()
        return owner

    def get_or_build(self, key: Hashable, build: Callable[[], Any], owner: Hashable | None = None) -> Any:
        while True:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    self._hits += 1
                    return entry[0]
                pending = self._pending.get(key)
                mine = pending is None
                if mine:
                    pending = self._pending[key] = Future()
                    self._misses += 1
            if not mine:
                try:
                    return pending.result()
                except Exception:
                    continue  # the first builder failed: try ourselves (and fail the same way)
            return self._build_and_insert(key, build, owner, pending)

    def _build_and_insert(self, key: Hashable, build: Callable[[], Any], owner: Hashable | None,
                          pending: Future) -> Any:
        try:
            value = build()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        size = int(getattr(value, "nbytes", 0))
        with self._lock:
            del self._pending[key]
            keep = size <= self._max_bytes and (owner is None or owner in self._owned)
            if keep:
                self._entries[key] = (value, size, owner)
                self._bytes += size
                if owner is not None:
                    self._owned[owner].add(key)
                self._trim()
        pending.set_result(value)
        return value

    def _trim(self) -> None:
        """Evict least recently used entries until within the bound (lock held)."""
        while self._bytes > self._max_bytes and self._entries:
            key, (_, size, owner) = self._entries.popitem(last=False)
            self._forget(key, size, owner)
            self._evictions += 1

    def _forget(self, key: Hashable, size: int, owner: Hashable | None) -> None:
        self._bytes -= size
        if owner is not None and owner in self._owned:
            self._owned[owner].discard(key)

    def drop(self, owner: Hashable) -> None:
        """Forget every entry of ``owner``; values still being built for it will not be kept."""
        with self._lock:
            for key in self._owned.pop(owner, ()):
                _, size, _ = self._entries.pop(key)
                self._bytes -= size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            for keys in self._owned.values():
                keys.clear()

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached values."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._entries), "bytes": self._bytes, "max_bytes": self._max_bytes,
                    "hits": self._hits, "misses": self._misses, "evictions": self._evictions}
