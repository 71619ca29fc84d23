"""Per-OMERO-session descriptor cache: a small in-process LRU in front of the Django cache (Redis).

One cache per kind of object (``namespace``: image descriptors, mask descriptors). Keys are
``(scope, object id)`` where ``scope`` is a hash of the OMERO session key
(:func:`requestcontext.scope_of`), so one session never sees another's entries, and the key
itself never reaches Redis or a log. Entries live at most ``ttl`` seconds in both tiers; a TTL
of 0 disables caching. Values are frozen dataclasses (pickled by the Django cache backend).
An :class:`UnsupportedMark` remembers that an image can only be served by the stock view.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .. import metrics
from ..descriptor import ImageDescriptor, MaskDescriptor

logger = logging.getLogger(__name__)

KEY_PREFIX = "omero_fast_region:{namespace}:v1"


@dataclass(frozen=True)
class UnsupportedMark:
    """The image exists for this session but only the stock view can render it (reason kept)."""

    reason: str


Entry = ImageDescriptor | MaskDescriptor | UnsupportedMark


class DescriptorCache:
    """``get``/``put`` of descriptors per (scope, object id); both tiers honour ``ttl``."""

    def __init__(self, ttl: int, local_size: int = 512, cache_alias: str = "default",
                 namespace: str = "descriptor") -> None:
        self.ttl = int(ttl)
        self.namespace = namespace
        self.local_size = local_size
        self.cache_alias = cache_alias
        self._lock = threading.Lock()
        self._local: OrderedDict[tuple[str, int], tuple[float, Entry]] = OrderedDict()

    @staticmethod
    def key(scope: str, image_id: int, namespace: str = "descriptor") -> str:
        return f"{KEY_PREFIX.format(namespace=namespace)}:{scope}:{int(image_id)}"

    def _shared(self) -> Any | None:
        try:
            from django.core.cache import caches

            return caches[self.cache_alias]
        except Exception:  # Django not configured: the in-process tier alone
            return None

    def get(self, scope: str, image_id: int) -> Entry | None:
        """The entry cached for ``(scope, image_id)`` and still within ``ttl``, else None (a miss)."""
        if self.ttl <= 0:
            return None
        entry = self._lookup(scope, image_id)
        metrics.cache_access("metadata" if self.namespace == "descriptor" else self.namespace, entry is not None)
        return entry

    def _lookup(self, scope: str, image_id: int) -> Entry | None:
        now = time.monotonic()
        with self._lock:
            hit = self._local.get((scope, image_id))
            if hit is not None:
                expires, entry = hit
                if expires > now:
                    self._local.move_to_end((scope, image_id))
                    return entry
                del self._local[(scope, image_id)]
        shared = self._shared()
        if shared is None:
            return None
        try:
            stored = shared.get(self.key(scope, image_id, self.namespace))
        except Exception:
            logger.warning("descriptor cache read failed", exc_info=True)
            return None
        if not isinstance(stored, tuple) or len(stored) != 2:
            return None
        written_at, entry = stored
        age = time.time() - float(written_at)
        if not isinstance(entry, (ImageDescriptor, MaskDescriptor, UnsupportedMark)) or not (0 <= age < self.ttl):
            return None
        self._remember(scope, image_id, entry, self.ttl - age)
        return entry

    def put(self, scope: str, image_id: int, entry: Entry) -> None:
        if self.ttl <= 0:
            return
        self._remember(scope, image_id, entry, self.ttl)
        shared = self._shared()
        if shared is None:
            return
        try:
            shared.set(self.key(scope, image_id, self.namespace), (time.time(), entry), timeout=self.ttl)
        except Exception:
            logger.warning("descriptor cache write failed", exc_info=True)

    def _remember(self, scope: str, image_id: int, entry: Entry, seconds: float) -> None:
        with self._lock:
            self._local[(scope, image_id)] = (time.monotonic() + seconds, entry)
            self._local.move_to_end((scope, image_id))
            while len(self._local) > self.local_size:
                self._local.popitem(last=False)

    def clear_local(self) -> None:
        """Forget the in-process tier (tests)."""
        with self._lock:
            self._local.clear()
