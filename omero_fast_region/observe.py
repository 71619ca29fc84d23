"""Where every answered request is reported: one call per request from ``views.fast_endpoint``.

Request log lines (logger ``omero_fast_region.requests``: one INFO line per request handed to the
stock view, refused or failed, and per rendered request too with ``log_every_request``) and the
Prometheus metrics hang off :func:`record_request`; the views know nothing more. The view
wrapper times its own steps with :func:`stage` and answers through :func:`finish_request`, which
merges them with the service's stages into ``Server-Timing``
(``session, metadata, read, render, encode, total``).
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from typing import Any, Iterator

from . import metrics
from .config import get_config

logger = logging.getLogger("omero_fast_region.requests")

#: the ``Server-Timing`` stages, in order; the service's ``prepare`` counts as ``metadata``
STAGES = ("session", "metadata", "read", "render", "encode")
_STAGE_ALIASES = {"prepare": "metadata"}
_STAGES_ATTR = "_fast_region_stages"

#: OMERO session keys are UUIDs, Django session keys 32 lowercase alphanumerics
_SECRET_LIKE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[a-z0-9]{32}\b", re.I)


class RedactSessionKeys(logging.Filter):
    """Defence in depth: blank anything shaped like a session key before a line is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_LIKE.sub("<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


logger.addFilter(RedactSessionKeys())


def stage(request: Any, name: str) -> Any:
    """Time a step of the view wrapper (``session``, ``metadata``) for ``Server-Timing``."""
    return timed(view_stages(request), name)


def view_stages(request: Any) -> dict[str, float]:
    """The view wrapper's stage timings of ``request`` (milliseconds per name), kept on it."""
    return request.__dict__.setdefault(_STAGES_ATTR, {})


@contextmanager
def timed(stages: dict[str, float], name: str) -> Iterator[None]:
    """Add the milliseconds the block takes to ``stages[name]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + (time.perf_counter() - started) * 1000.0


def request_timings(request: Any, response: Any) -> dict[str, float] | None:
    """The view's stages merged with the service's (``response._fast_region_timings``), in
    :data:`STAGES` order; None when the response is not one of our rendered images."""
    service_timings = getattr(response, "_fast_region_timings", None)
    if service_timings is None:
        return None
    return merged_timings(request.__dict__.get(_STAGES_ATTR) or {}, service_timings)


def merged_timings(view_stages: dict[str, float], service_timings: dict[str, float]) -> dict[str, float]:
    """The view's stages and the service's, added up per :data:`STAGES` name and in that order
    (the service's ``prepare`` counts as ``metadata``; other names follow)."""
    merged = dict(view_stages)
    for name, ms in service_timings.items():
        name = _STAGE_ALIASES.get(name, name)
        merged[name] = merged.get(name, 0.0) + ms
    ordered = {name: merged.pop(name) for name in STAGES if name in merged}
    ordered.update(merged)
    return ordered


def server_timing(timings: dict[str, float], total_ms: float, cpu_ms: float | None = None) -> str:
    """The ``Server-Timing`` header value: ``session;dur=0.12, …, total;dur=8.40``, then
    ``cpu;dur=3.90`` (the CPU time of producing the image, from settings to encoded bytes)."""
    parts = [f"{name};dur={ms:.2f}" for name, ms in timings.items()] + [f"total;dur={total_ms:.2f}"]
    if cpu_ms is not None:
        parts.append(f"cpu;dur={cpu_ms:.2f}")
    return ", ".join(parts)


def finish_request(request: Any, response: Any, endpoint: str, image_id: object, outcome: str,
                   total_ms: float, reason: str | None = None) -> None:
    """Set ``Server-Timing`` on a rendered image and report the request (log line + metrics)."""
    timings = request_timings(request, response)
    cpu_ms = getattr(response, "_fast_region_cpu_ms", None)
    if timings is not None:
        response["Server-Timing"] = server_timing(timings, total_ms, cpu_ms)
    record_request(endpoint, image_id, outcome, response.status_code, total_ms, timings, reason, cpu_ms)


#: outcomes the app answered itself as asked (logged only with ``log_every_request``)
SERVED = ("ok", "not_modified")


def record_request(endpoint: str, image_id: object, outcome: str, status: int, total_ms: float,
                   timings: dict[str, float] | None = None, reason: str | None = None,
                   cpu_ms: float | None = None) -> None:
    """Report one request. ``outcome``: ok | not_modified | client_error | not_found | fallback | error.

    Rendered answers (:data:`SERVED`) are logged only with ``log_every_request``: OMERO.web's file
    handler takes a file lock per line, which with the redaction filter was about 0.25 ms of a
    hosted tile (docs/benchmarks.md, finding 17)."""
    if outcome not in SERVED or get_config().log_every_request:
        _log_request(endpoint, image_id, outcome, status, total_ms, reason)
    metrics.observe_request(endpoint, outcome, total_ms, timings, reason, cpu_ms)


def _log_request(endpoint: str, image_id: object, outcome: str, status: int, total_ms: float,
                 reason: str | None) -> None:
    logger.info(
        "endpoint=%s image=%s outcome=%s status=%s ms=%.1f%s",
        endpoint, image_id, outcome, status, total_ms, f' reason="{reason}"' if reason else "",
    )
