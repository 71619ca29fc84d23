"""The wrapper every view goes through, and the response builders the views share.

:func:`fast_endpoint` finds the requester, maps :mod:`errors` onto responses, hands unsupported
requests and anonymous users to the stock view, answers ``OPTIONS`` with the microservice
details, and adds ``Server-Timing``. Nothing here knows an endpoint's semantics.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid
from typing import Any, Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, TooManyFieldsSent
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse

from .. import service
from ..config import Config, get_config
from ..errors import BadRequest, FastRegionError, Unsupported
from ..fallback import stock_view
from ..observe import finish_request, stage, timed, view_stages
from ..querystring import parse_query_string
from ..descriptor import ImageDescriptor
from ..requestcontext import NotLoggedIn, RequestContext, context_for
from ..sessions import session_value
from ..runtime import Runtime

logger = logging.getLogger(__name__)

JSONP_CALLBACK = re.compile(r"^[a-zA-Z_$][0-9a-zA-Z_$]*$")


def query_params(request: HttpRequest) -> dict[str, str]:
    """Query keys with their last value, as stock reads them through ``request.GET``.

    Parsed once per request straight from ``QUERY_STRING`` the way Django's ``QueryDict`` parses
    it (same decoding, blank values kept, ``DATA_UPLOAD_MAX_NUMBER_FIELDS``), without building
    the multi-value dict a tile never needs (about a fifth of Django's share of a request)."""
    params = request.__dict__.get(_PARAMS_ATTR)
    if params is None:
        params = request.__dict__[_PARAMS_ATTR] = _parse_query(request)
    return params


_PARAMS_ATTR = "_fast_region_params"


def _parse_query(request: HttpRequest) -> dict[str, str]:
    environ = getattr(request, "environ", None)
    if environ is None or "GET" in request.__dict__:  # not WSGI, or Django already parsed it
        return {key: request.GET[key] for key in request.GET}
    return environ_query(environ, request.encoding or settings.DEFAULT_CHARSET)


def environ_query(environ: dict[str, Any], encoding: str) -> dict[str, str]:
    """:func:`query_params` of a WSGI environ whose request's encoding is ``encoding``
    (``TooManyFieldsSent`` as Django raises it)."""
    raw = get_bytes_from_wsgi(environ, "QUERY_STRING", "")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode("iso-8859-1")
    try:
        return parse_query_string(text, encoding, settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    except ValueError as exc:
        raise TooManyFieldsSent("The number of GET/POST parameters exceeded "
                                "settings.DATA_UPLOAD_MAX_NUMBER_FIELDS.") from exc


def if_none_match(request: HttpRequest) -> str | None:
    """The ``If-None-Match`` header, read from ``META`` (``request.headers`` builds a dict of
    every header first)."""
    return request.META.get("HTTP_IF_NONE_MATCH")


def int_arg(value: Any, name: str) -> int:
    """``int(value)``; a 400 naming the argument where stock answers 500."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"malformed {name} argument, {name}={value}") from None


def optional_int(params: dict[str, str], *names: str) -> int | None:
    """The first of ``names`` present in the query, as an int (400 when not one), else None."""
    for name in names:
        if name in params:
            return int_arg(params[name], name)
    return None


def describe(request: HttpRequest, runtime: Runtime, iid: Any, ctx: RequestContext) -> ImageDescriptor:
    """The image's descriptor as ``ctx`` may see it, timed as the ``metadata`` stage."""
    return timed_descriptor(view_stages(request), runtime, iid, ctx)


def timed_descriptor(stages: dict[str, float], runtime: Runtime, iid: Any, ctx: RequestContext) -> ImageDescriptor:
    """:func:`describe` without a request: the lookup is timed into ``stages``."""
    image_id = int_arg(iid, "iid")
    with timed(stages, "metadata"):
        return runtime.catalog.get_image(image_id, ctx)


def error_response(exc: FastRegionError) -> HttpResponse:
    """A short plain-text answer with the error's status (never a traceback)."""
    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


def json_response(request: HttpRequest, data: Any) -> HttpResponse:
    """JSON as stock's ``@jsonp``: ``?callback=name`` gives ``name(<json>)`` as JavaScript."""
    callback = request.GET.get("callback")
    if callback is None:
        return JsonResponse(data, safe=False)
    if not JSONP_CALLBACK.match(callback):
        raise BadRequest("Invalid callback")
    return HttpResponse(f"{callback}({json.dumps(data)})", content_type="application/javascript")


def image_response(rendered: service.Rendered | service.NotModified, config: Config,
                   content_type: str | None = None) -> HttpResponse:
    """The HTTP answer for a rendered image, or 304 when the client's ETag still matches."""
    if isinstance(rendered, service.NotModified):
        response = HttpResponseNotModified()
        response["ETag"] = str(rendered)
        response["Cache-Control"] = config.cache_control
        return response
    response = HttpResponse(rendered.body, content_type=content_type or rendered.content_type)
    response["ETag"] = rendered.etag
    if config.cache_control:
        response["Cache-Control"] = config.cache_control
    response._fast_region_timings = rendered.timings  # type: ignore[attr-defined]
    response._fast_region_cpu_ms = rendered.cpu_ms  # type: ignore[attr-defined]
    return response


def details_response() -> HttpResponse:
    """``OPTIONS``: the microservice details (iviewer reads ``options.maxActiveChannels``)."""
    return JsonResponse(service.microservice_details(get_config()))


def fast_endpoint(endpoint: str) -> Callable:
    """Wrap a view ``fn(request, ctx, *args, **kwargs)`` with context, errors, fallback, headers."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return details_response()
            started = time.perf_counter()
            config = get_config()
            reason = None
            try:
                with stage(request, "session"):
                    ctx = context_for(request)
                response = fn(request, ctx, *args, **kwargs)
                outcome = "not_modified" if response.status_code == 304 else "ok"
            except NotLoggedIn:
                reason = "not logged in"
                response, outcome = _hand_over(request, endpoint, args, kwargs, reason, error=None), "fallback"
            except Unsupported as exc:
                reason = exc.message
                if config.fallback:
                    response, outcome = _hand_over(request, endpoint, args, kwargs, reason, error=exc), "fallback"
                else:
                    response, outcome = error_response(exc), "not_found"
            except FastRegionError as exc:
                reason = exc.message
                response = error_response(exc)
                outcome = "not_found" if exc.status == 404 else "client_error"
            except SuspiciousOperation:  # e.g. too many query fields: Django answers 400, as stock
                raise
            except Exception:  # our bug or an unreadable file: never a 500 with a traceback
                request_id = uuid.uuid4().hex[:12]
                reason = f"error {request_id}"
                logger.exception("request %s: %s failed", request_id, endpoint)
                if config.fallback:
                    response, outcome = _hand_over(request, endpoint, args, kwargs, reason, error=None), "fallback"
                else:
                    response = HttpResponse(f"Internal error (request {request_id})", status=500, content_type="text/plain")
                    outcome = "error"
            total = (time.perf_counter() - started) * 1000.0
            image_id = kwargs.get("iid", kwargs.get("shapeId", args[0] if args else None))
            finish_request(request, response, endpoint, image_id, outcome, total, reason)
            return response

        view.fast_region_endpoint = endpoint  # type: ignore[attr-defined]
        return view

    return decorate


def _hand_over(request: HttpRequest, endpoint: str, args: tuple, kwargs: dict, reason: str,
               error: FastRegionError | None) -> HttpResponse:
    stock = stock_view(request, endpoint)
    if stock is None:
        return error_response(error or Unsupported(reason))
    logger.info("fallback to stock %s: %s", endpoint, reason)
    return stock(request, *args, **kwargs)


def session_setting(request: HttpRequest, default: Any, *path: str) -> Any:
    """A value of OMERO.web's per-session ``server_settings`` (e.g. ``browser``, ``thumb_default_size``)."""
    value: Any = session_value(request, "server_settings")
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value
