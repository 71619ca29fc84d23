"""A viewer's tile answered straight from the WSGI environ, without Django's request and response.

Served, a tile costs about 14 % more CPU than the same image rendered in a loop; gunicorn's
keep-alive worker calling ``render_region`` and nothing else costs about 11 % more
(docs/benchmarks.md, finding 35). Most of the difference was Django's per-request objects around
the view: the ``WSGIRequest``, the ``HttpResponse`` with a check per header, the URL match and the
view wrapper's context managers.

:func:`answer_tile` answers the most frequent request, ``render_image_region`` with ``tile`` or
``region``, when it renders to a 200 in standalone mode. It takes the view's own steps
(:func:`.views.images.region_rendered`), writes the status, headers (the same ones in the same
order: ``Content-Type``, ``ETag``, ``Cache-Control``, ``Server-Timing``, ``Content-Length``) and
body that :class:`~.direct_dispatch.DirectDispatch` writes for the view's answer, and reports
the request the same way (:func:`.observe.record_request`). Anything else returns None before
anything is reported or sent, and the caller answers through the view: another outcome (a 304,
an error, a fallback), a ``Host`` not yet accepted, a query Django refuses, a ``Cache-Control``
value Django would encode. The script prefix (Django's thread-local for ``reverse``) is not set:
nothing on this path reverses a URL, and every request through Django sets its own.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from django.conf import settings

from .config import get_config
from .direct_dispatch import host_accepted
from .observe import merged_timings, record_request, server_timing, timed
from .requestcontext import STANDALONE
from .runtime import get_runtime
from .service import Rendered
from .views.endpoint import environ_query
from .views.images import region_rendered

#: the endpoint (``fast_region_endpoint`` of its view) whose answers the lane writes
ENDPOINT = "render_image_region"


def answer_tile(environ: dict[str, Any], start_response: Callable, url_kwargs: dict[str, Any]) -> list[bytes] | None:
    """The WSGI answer to a ``render_image_region`` request whose URL arguments are ``url_kwargs``,
    or None (nothing sent, nothing reported) when the view must answer it."""
    config = get_config()
    host = environ.get("HTTP_HOST")
    if not config.standalone or host is None or not host_accepted(host) or not _verbatim(config.cache_control):
        return None
    started = time.perf_counter()
    stages: dict[str, float] = {}
    try:
        with timed(stages, "session"):
            ctx = STANDALONE  # context_for's answer in standalone mode
        params = environ_query(environ, settings.DEFAULT_CHARSET)
        rendered = region_rendered(get_runtime(), ctx, params, url_kwargs["iid"], url_kwargs["z"], url_kwargs["t"],
                                   environ.get("HTTP_IF_NONE_MATCH"), stages)
    except Exception:  # noqa: BLE001 - the view answers it, and reports it, as it does every error
        return None
    if type(rendered) is not Rendered:  # 304: the view's answer
        return None
    total = (time.perf_counter() - started) * 1000.0
    timings = merged_timings(stages, rendered.timings)
    headers = [("Content-Type", rendered.content_type), ("ETag", rendered.etag)]
    if config.cache_control:
        headers.append(("Cache-Control", config.cache_control))
    headers.append(("Server-Timing", server_timing(timings, total, rendered.cpu_ms)))
    headers.append(("Content-Length", str(len(rendered.body))))
    record_request(ENDPOINT, url_kwargs["iid"], "ok", 200, total, timings, None, rendered.cpu_ms)
    start_response("200 OK", headers)
    return [rendered.body]


def _verbatim(value: str) -> bool:
    """Whether Django's response writes header ``value`` as it is (printable ASCII)."""
    return value.isascii() and value.isprintable()
