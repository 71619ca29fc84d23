"""What an image endpoint hands back to the views: encoded bytes, ETag, stage timings."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from ..render.model import RenderSettings
from .memo import IdentityMemo


@dataclass
class Rendered:
    """An encoded image ready to send."""

    body: bytes
    content_type: str
    etag: str
    width: int
    height: int
    timings: dict[str, float] = field(default_factory=dict)
    #: CPU time of the request's thread spent producing it, ms (None: not measured)
    cpu_ms: float | None = None


class NotModified(str):
    """The ETag of an image the client already holds (``If-None-Match`` matched): answer 304."""


class StageTimer:
    """Records milliseconds per named stage (``Server-Timing``) and the thread's CPU time."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()
        self._cpu_started = time.thread_time()

    def cpu_ms(self) -> float:
        """CPU time of the calling thread since the timer started, ms (threads it handed work to,
        such as OpenJPEG's, are not included)."""
        return (time.thread_time() - self._cpu_started) * 1000.0

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + (now - self._last) * 1000.0
        self._last = now


def strong_etag(*parts: object) -> str:
    """A strong ETag over everything that determines a response's bytes: the SHA-1 of
    ``repr(parts)``, with the text of rendering settings remembered per instance (a viewer's
    tiles share one; finding 32)."""
    text = ", ".join(_settings_repr(part) if type(part) is RenderSettings else repr(part) for part in parts)
    return '"' + hashlib.sha1(f"({text}{',' if len(parts) == 1 else ''})".encode()).hexdigest() + '"'


_settings_repr: IdentityMemo[str] = IdentityMemo(repr)


def etag_matches(etag: str, if_none_match: str | None) -> bool:
    """``If-None-Match`` holds ``etag`` (or ``*``)."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
