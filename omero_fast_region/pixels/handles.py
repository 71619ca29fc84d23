"""Open handles (fds, mmaps, stores) that survive a close racing a read.

A source from the pool may be evicted and closed by one thread while another is still
reading it. Readers take the handle with :meth:`Handle.use`; :meth:`Handle.close` releases it
at once when no read is in flight, otherwise the last reader releases it. A read after close
opens the handle again for that read only, so an evicted source stays correct and never
keeps a file descriptor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

H = TypeVar("H")


class Handle(Generic[H]):
    """A lazily opened resource shared by concurrent readers."""

    def __init__(self, opener: Callable[[], H], closer: Callable[[H], None]) -> None:
        self._opener = opener
        self._closer = closer
        self._lock = threading.Lock()
        self._value: H | None = None
        self._users = 0
        self._closed = False

    @contextmanager
    def use(self) -> Iterator[H]:
        with self._lock:
            if self._value is None:
                self._value = self._opener()
            value = self._value
            self._users += 1
        try:
            yield value
        finally:
            with self._lock:
                self._users -= 1
                release = self._closed and self._users == 0 and self._value is value
                if release:
                    self._value = None
            if release:
                self._closer(value)

    def open(self) -> H:
        """Open now (to fail early on a missing file) and return the handle."""
        with self.use() as value:
            return value

    def close(self) -> None:
        with self._lock:
            self._closed = True
            value, idle = self._value, self._users == 0
            if idle:
                self._value = None
        if idle and value is not None:
            self._closer(value)
