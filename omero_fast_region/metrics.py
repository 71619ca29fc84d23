"""Per-process Prometheus metrics: a tiny thread-safe registry and its text exposition.

Other modules count things with ``metrics.counter(name, labels).inc()`` or publish a value
read at scrape time with ``metrics.gauge_fn(name, fn)``; :func:`observe_request` is fed by
``observe.record_request``. Every worker process keeps its own numbers (gunicorn workers each
answer ``metrics/`` for themselves); the names carry the ``omero_fast_region_`` prefix.
"""

from __future__ import annotations

import bisect
import math
import os
import threading
from typing import Any, Callable, Iterable

PREFIX = "omero_fast_region_"
#: request latency buckets, seconds (tiles take milliseconds; whole planes up to seconds)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Labels = tuple[tuple[str, str], ...]

_lock = threading.Lock()


def _key(labels: dict[str, object] | None) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in (labels or {}).items()))


def _label_text(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    pairs = labels + extra
    if not pairs:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count for one label set."""

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        with _lock:
            self.value += amount

    def _inc_locked(self, amount: float = 1.0) -> None:
        """:meth:`inc` for a caller that holds the registry lock."""
        self.value += amount


class Histogram:
    """Buckets, sum and count for one label set (Prometheus histogram semantics).

    An observation increments only the first bucket it fits (found by bisection; the last slot
    is ``+Inf``); :attr:`counts` sums them into Prometheus's cumulative form when scraped."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self._hits = [0] * (len(buckets) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        with _lock:
            self._observe_locked(value)

    def _observe_locked(self, value: float) -> None:
        """:meth:`observe` for a caller that holds the registry lock."""
        self._hits[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.count += 1

    @property
    def counts(self) -> list[int]:
        """Cumulative count per bucket bound (``value <= bound``), in bucket order."""
        out, running = [], 0
        for hits in self._hits[:-1]:
            running += hits
            out.append(running)
        return out


class Registry:
    """Named metric families, each a dict of label set -> Counter/Histogram, plus gauge callbacks."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, dict[Labels, Counter | Histogram]]] = {}
        self._gauges: dict[str, tuple[str, Callable[[], object]]] = {}
        #: (name, kind, labels as given) -> child: the request path's lookups skip the label
        #: normalisation and the lock once a label set has been seen
        self._seen: dict[tuple, Counter | Histogram] = {}
        self._memo: dict[tuple, Any] = {}  # see :meth:`memo`

    def _child(self, name: str, kind: str, help_text: str, labels: dict | None, make: Callable):
        try:
            seen_key = (name, kind, tuple(labels.items()) if labels else ())
            child = self._seen.get(seen_key)
        except TypeError:  # an unhashable label value: the slow path only
            seen_key, child = None, None
        if child is not None:
            return child
        child = self._make_child(name, kind, help_text, labels, make)
        if seen_key is not None:
            self._seen[seen_key] = child
        return child

    def _make_child(self, name: str, kind: str, help_text: str, labels: dict | None, make: Callable):
        full = PREFIX + name
        key = _key(labels)
        with _lock:
            family = self._families.setdefault(full, (kind, help_text, {}))
            if family[0] != kind:
                raise ValueError(f"metric {full} is a {family[0]}, not a {kind}")
            child = family[2].get(key)
            if child is None:
                child = family[2][key] = make()
        return child

    def counter(self, name: str, labels: dict | None = None, help_text: str = "") -> Counter:
        return self._child(name, "counter", help_text, labels, Counter)

    def histogram(self, name: str, labels: dict | None = None, help_text: str = "",
                  buckets: tuple[float, ...] = LATENCY_BUCKETS) -> Histogram:
        return self._child(name, "histogram", help_text, labels, lambda: Histogram(buckets))

    def memo(self, key: tuple, make: Callable[..., Any], *args: Any) -> Any:
        """``make(*args)`` once per ``key`` until :meth:`reset`: a caller's bundle of children, so a
        hot path looks them up with one dict access."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = make(*args)
        return found

    def gauge_fn(self, name: str, fn: Callable[[], object], help_text: str = "") -> None:
        """Publish ``fn()`` at scrape time: a number, None (nothing), or ``[(labels, value), …]``.

        Registering a name again replaces the callback."""
        with _lock:
            self._gauges[PREFIX + name] = (help_text, fn)

    def reset(self) -> None:
        """Forget every counter and histogram (tests); gauge callbacks stay."""
        with _lock:
            self._families.clear()
            self._seen.clear()
            self._memo.clear()

    def exposition(self) -> str:
        """The Prometheus text format (version 0.0.4) of everything registered."""
        lines: list[str] = []
        with _lock:
            families = {name: (kind, text, dict(children)) for name, (kind, text, children) in self._families.items()}
            gauges = dict(self._gauges)
        for name in sorted(families):
            kind, help_text, children = families[name]
            lines += _header(name, kind, help_text)
            for labels in sorted(children):
                lines += _samples(name, labels, children[labels])
        for name in sorted(gauges):
            help_text, fn = gauges[name]
            try:
                values = list(_gauge_values(fn()))
            except Exception:  # a broken callback must not break the scrape
                continue
            lines += _header(name, "gauge", help_text)
            lines += [f"{name}{_label_text(_key(labels))} {_number(value)}" for labels, value in values]
        return "\n".join(lines) + "\n"


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return ([f"# HELP {name} {help_text}"] if help_text else []) + [f"# TYPE {name} {kind}"]


def _samples(name: str, labels: Labels, child: Counter | Histogram) -> list[str]:
    with _lock:
        if isinstance(child, Counter):
            return [f"{name}{_label_text(labels)} {_number(child.value)}"]
        out = [f"{name}_bucket{_label_text(labels, (('le', _number(b)),))} {n}"
               for b, n in zip(child.buckets, child.counts)]
        out.append(f"{name}_bucket{_label_text(labels, (('le', '+Inf'),))} {child.count}")
        out.append(f"{name}_sum{_label_text(labels)} {_number(child.sum)}")
        out.append(f"{name}_count{_label_text(labels)} {child.count}")
        return out


def _gauge_values(value: object) -> Iterable[tuple[dict, float]]:
    if value is None:
        return []
    if isinstance(value, (int, float)):
        return [({}, float(value))]
    return [(dict(labels), float(v)) for labels, v in value]  # type: ignore[union-attr]


#: the process's registry; module-level shortcuts below are what other modules call
REGISTRY = Registry()


def counter(name: str, labels: dict | None = None, help_text: str = "") -> Counter:
    """The counter ``omero_fast_region_<name>{labels}`` (created on first use)."""
    return REGISTRY.counter(name, labels, help_text)


def histogram(name: str, labels: dict | None = None, help_text: str = "",
              buckets: tuple[float, ...] = LATENCY_BUCKETS) -> Histogram:
    """The histogram ``omero_fast_region_<name>{labels}`` (created on first use)."""
    return REGISTRY.histogram(name, labels, help_text, buckets)


def gauge_fn(name: str, fn: Callable[[], object], help_text: str = "") -> None:
    """Publish ``omero_fast_region_<name>`` as whatever ``fn()`` returns at scrape time."""
    REGISTRY.gauge_fn(name, fn, help_text)


# -- what the request path reports --------------------------------------------------------

#: fallback/error reason categories (a bounded label set; see :func:`reason_category`)
REASON_CATEGORIES = ("not_logged_in", "no_rendering_settings", "unsupported_format",
                     "unsupported_request", "internal_error", "other")


def reason_category(reason: str | None) -> str:
    """Map a free-text fallback reason onto one of :data:`REASON_CATEGORIES`."""
    text = (reason or "").lower()
    if "not logged in" in text or "session" in text:
        return "not_logged_in"
    if "rendering settings" in text or "rendering def" in text or "rdef" in text:
        return "no_rendering_settings"
    if "format" in text or "compression" in text or "codec" in text or "file" in text:
        return "unsupported_format"
    if text.startswith("error"):
        return "internal_error"
    if "unsupported" in text or "not supported" in text or "cannot" in text:
        return "unsupported_request"
    return "other"


def observe_request(endpoint: str, outcome: str, total_ms: float,
                    timings: dict[str, float] | None = None, reason: str | None = None,
                    cpu_ms: float | None = None) -> None:
    """Count one answered request: totals, latency, stage latency, rendering CPU and fallback reason."""
    requests, duration = REGISTRY.memo(("request", endpoint, outcome), _request_children, endpoint, outcome)
    stages = [(REGISTRY.memo(("stage", stage), _stage_histogram, stage), ms) for stage, ms in (timings or {}).items()]
    render_cpu = None if cpu_ms is None else REGISTRY.memo(("render_cpu", endpoint), _render_cpu_counter, endpoint)
    with _lock:  # once for the request's counts
        requests._inc_locked()
        duration._observe_locked(total_ms / 1000.0)
        for histogram_, ms in stages:
            histogram_._observe_locked(ms / 1000.0)
        if render_cpu is not None:
            render_cpu._inc_locked(cpu_ms / 1000.0)
    if outcome in ("fallback", "error"):
        counter("fallbacks_total", {"endpoint": endpoint, "reason": reason_category(reason)},
                "Requests handed to the stock view (or failed), by reason category.").inc()


def _request_children(endpoint: str, outcome: str) -> tuple[Counter, Histogram]:
    labels = {"endpoint": endpoint, "outcome": outcome}
    return (counter("requests_total", labels, "Requests answered, by endpoint and outcome."),
            histogram("request_duration_seconds", labels, "Time to answer a request, seconds."))


def _render_cpu_counter(endpoint: str) -> Counter:
    return counter("render_cpu_seconds_total", {"endpoint": endpoint},
                   "CPU seconds spent producing rendered images (settings to encoded bytes), by endpoint; "
                   "divided by requests_total{outcome=\"ok\"}, the CPU per image.")


def _stage_histogram(stage: str) -> Histogram:
    return histogram("stage_duration_seconds", {"stage": stage},
                     "Time per stage of a rendered image (session, metadata, read, render, encode), seconds.")


def cache_access(cache: str, hit: bool) -> None:
    """Count one lookup in a named cache (``metadata``, ``thumbnail``, …) as hit or miss."""
    counter("cache_requests_total", {"cache": cache, "result": "hit" if hit else "miss"},
            "Cache lookups, by cache and result (hit/miss).").inc()


def byte_bounded_caches() -> dict[str, object]:
    """The per-process byte-bounded caches by their metric name (they count their own lookups)."""
    from .pixels.decoded_cache import DECODED
    from .render.tables import TABLES
    from .service.thumbnail import THUMBNAILS

    return {"pyramid_tiles": DECODED, "render_tables": TABLES, "thumbnails": THUMBNAILS}


def cache_hit_ratios() -> list[tuple[dict, float]]:
    """hits / (hits + misses) per cache: the ``cache_requests_total`` counters (``metadata``) and
    the byte-bounded caches' own counts (``render_tables``, ``pyramid_tiles``, ``thumbnails``)."""
    ratios = _counted_hit_ratios()
    for name, cache in byte_bounded_caches().items():
        stats = cache.stats()  # type: ignore[attr-defined]
        lookups = stats["hits"] + stats["misses"]
        if lookups:
            ratios.append(({"cache": name}, stats["hits"] / lookups))
    return ratios


def _counted_hit_ratios() -> list[tuple[dict, float]]:
    """hits / (hits + misses) per cache, from the ``cache_requests_total`` counters."""
    with _lock:
        family = REGISTRY._families.get(PREFIX + "cache_requests_total")
        children = dict(family[2]) if family else {}
    totals: dict[str, list[float]] = {}
    for labels, child in children.items():
        named = dict(labels)
        hits_total = totals.setdefault(named.get("cache", ""), [0.0, 0.0])
        hits_total[0] += child.value if named.get("result") == "hit" else 0.0
        hits_total[1] += child.value
    return [({"cache": cache}, hits / total) for cache, (hits, total) in sorted(totals.items()) if total]


# -- process gauges -----------------------------------------------------------------------

def open_fds() -> int | None:
    """Open file descriptors of this process (Linux ``/proc/self/fd``), None elsewhere."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def pool_stats() -> list[tuple[dict, float]]:
    """The source pool's numbers (``SourcePool.stats()``) when the runtime already exists."""
    from . import runtime

    current = runtime._runtime  # never build the runtime just to be scraped
    stats = getattr(current.pool, "stats", None) if current is not None else None
    if stats is None:
        return []
    return [({"stat": key}, value) for key, value in sorted(stats().items()) if isinstance(value, (int, float))]


gauge_fn("cache_hit_ratio", cache_hit_ratios, "Hits / lookups per cache since this worker started.")
gauge_fn("process_open_fds", open_fds, "Open file descriptors of this worker process.")
gauge_fn("source_pool", pool_stats, "Source pool statistics of this worker process (SourcePool.stats()).")
