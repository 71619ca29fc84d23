"""Django views: parse the request, call the service, answer as the stock view would.

Every view goes through :func:`fast_endpoint`, which maps :mod:`errors` onto responses,
hands unsupported requests and anonymous users to the stock view, and adds the caching and
``Server-Timing`` headers.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from typing import Any, Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified

from . import service
from .config import get_config
from .errors import FastRegionError, Unsupported
from .fallback import stock_view
from .observe import record_request
from .query import parse_render_query
from .requestcontext import NotLoggedIn, RequestContext, context_for
from .runtime import get_runtime

logger = logging.getLogger(__name__)


def _params(request: HttpRequest) -> dict[str, str]:
    """Query keys with their last value (Django's QueryDict semantics, as stock)."""
    return {key: request.GET[key] for key in request.GET}


def _int(value: Any, name: str) -> int:
    from .errors import BadRequest

    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"malformed {name} argument, {name}={value}") from None


def error_response(exc: FastRegionError) -> HttpResponse:
    """A short plain-text answer with the error's status (never a traceback)."""
    return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")


def fast_endpoint(endpoint: str) -> Callable:
    """Wrap a view ``fn(request, ctx, *args, **kwargs)`` with context, errors, fallback, headers."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            started = time.perf_counter()
            config = get_config()
            reason = None
            try:
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
                outcome = "client_error" if exc.status < 404 or exc.status > 404 else "not_found"
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
            timings = getattr(response, "_fast_region_timings", None)
            if timings is not None:
                parts = [f"{stage};dur={ms:.2f}" for stage, ms in timings.items()]
                response["Server-Timing"] = ", ".join(parts + [f"total;dur={total:.2f}"])
            record_request(endpoint, kwargs.get("iid", args[0] if args else None), outcome,
                           response.status_code, total, timings, reason)
            return response

        view.fast_region_endpoint = endpoint  # type: ignore[attr-defined]
        return view

    return decorate


def _hand_over(request: HttpRequest, endpoint: str, args: tuple, kwargs: dict, reason: str,
               error: FastRegionError | None) -> HttpResponse:
    stock = stock_view(request, endpoint)
    if stock is None:
        exc = error or Unsupported(reason)
        return error_response(exc)
    logger.info("fallback to stock %s: %s", endpoint, reason)
    return stock(request, *args, **kwargs)


def image_response(rendered: service.Rendered | str, config, download_name: str | None = None) -> HttpResponse:
    """The HTTP answer for a rendered image, or 304 when the client's ETag still matches."""
    if isinstance(rendered, str):
        response = HttpResponseNotModified()
        response["ETag"] = rendered
        return response
    response = HttpResponse(rendered.body, content_type=rendered.content_type)
    response["ETag"] = rendered.etag
    response["Cache-Control"] = config.cache_control
    if download_name:
        response["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response._fast_region_timings = rendered.timings  # type: ignore[attr-defined]
    return response


@fast_endpoint("render_image_region")
def render_image_region(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any, t: Any, **kwargs: Any) -> HttpResponse:
    """``render_image_region/<iid>/<z>/<t>/?tile=…|region=…``."""
    params = _params(request)
    tile = service.parse_tile(params["tile"]) if params.get("tile") else None
    region = service.parse_region(params["region"]) if tile is None and params.get("region") else None
    if tile is None and region is None:
        from .errors import BadRequest

        raise BadRequest("tile or region argument required")
    query = parse_render_query(params)
    runtime = get_runtime()
    descriptor = runtime.catalog.get_image(_int(iid, "iid"), ctx)
    rendered = service.render_region(
        runtime, descriptor, _int(z, "z"), _int(t, "t"), query, tile=tile, region=region,
        scope=ctx.scope, if_none_match=request.headers.get("If-None-Match"),
    )
    return image_response(rendered, runtime.config)


@fast_endpoint("render_image")
def render_image(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any = None, t: Any = None,
                 download: bool = False, **kwargs: Any) -> HttpResponse:
    """``render_image/<iid>/[<z>/[<t>/]]``: the whole plane (z, t default to the rendering def's)."""
    params = _params(request)
    query = parse_render_query(params)
    runtime = get_runtime()
    descriptor = runtime.catalog.get_image(_int(iid, "iid"), ctx)
    rdef = descriptor.rendering
    zz = _int(z, "z") if z not in (None, "") else (rdef.default_z if rdef else 0)
    tt = _int(t, "t") if t not in (None, "") else (rdef.default_t if rdef else 0)
    rendered = service.render_region(
        runtime, descriptor, zz, tt, query, scope=ctx.scope, if_none_match=request.headers.get("If-None-Match"),
    )
    name = None
    if download and not isinstance(rendered, str):
        name = f"{descriptor.name.rsplit('.', 1)[0] or descriptor.id}.{query.format}"
    return image_response(rendered, runtime.config, download_name=name)
