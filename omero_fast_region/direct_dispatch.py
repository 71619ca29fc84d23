"""Standalone mode's WSGI application: the app's own endpoints without Django's request cycle.

In ``omero-fast-region serve`` every tile went through Django's whole handler: the
``request_started``/``request_finished`` signals, URL resolution, the middleware chain and the
response conversion, about as much CPU as the app's own view wrapper (docs/benchmarks.md,
finding 23). Standalone settings have no database, a local-memory cache and only
``CommonMiddleware``, so for a ``GET`` whose path resolves to one of the app's endpoints (the
views ``views.endpoint.fast_endpoint`` marks) none of that changes the answer. :class:`DirectDispatch`
then calls the view itself and answers as Django would: the same status, headers
(``Content-Length`` as ``CommonMiddleware`` adds it) and body, with ``DisallowedHost``,
``Http404`` and ``SuspiciousOperation`` turned into responses by Django's own
``convert_exception_to_response``. Every other request, and every request when the settings are
not that simple (:func:`direct_dispatch_safe`), goes to Django's handler unchanged. Hosted mode
replays its own cycle instead (:mod:`.hosted_front`).
"""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Any, Callable, Iterable

from django.conf import settings
from django.core import signals
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest, get_path_info, get_script_name
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port, validate_host
from django.urls import Resolver404, get_resolver, set_script_prefix

from .config import get_config

#: middleware that leaves a resolved ``GET`` of an endpoint as the view answered it, except for
#: ``Content-Length`` (added here the same way); APPEND_SLASH and PREPEND_WWW act on other paths
PASSIVE_MIDDLEWARE = ("django.middleware.common.CommonMiddleware",)
#: Django's own receivers of the request signals: database connections, cache clients and the
#: per-request URLconf (which the direct path never sets)
HOUSEKEEPING_RECEIVERS = {
    "django.db.close_old_connections", "django.db.reset_queries", "django.core.cache.close_caches",
    "django.core.handlers.base.reset_urlconf",
}
#: cache backends whose ``close()`` does nothing
PASSIVE_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")
#: django-redis's client class, whose ``close()`` closes nothing unless ``CLOSE_CONNECTION`` is set
REDIS_DEFAULT_CLIENT = "django_redis.client.DefaultClient"
#: paths remembered with their endpoint (or with None: not one of ours)
RESOLVED_PATHS = 4096
#: the endpoint whose 200 answers :mod:`.tile_lane` writes (``tile_lane.ENDPOINT``)
LANE_ENDPOINT = "render_image_region"

View = Callable[[HttpRequest], HttpResponseBase]


def _receiver_names(signal: signals.Signal) -> set[str]:
    names = set()
    for entry in signal.receivers:
        receiver = entry[1]
        if isinstance(receiver, weakref.ReferenceType):
            receiver = receiver()
        names.add(f"{getattr(receiver, '__module__', '')}.{getattr(receiver, '__qualname__', repr(receiver))}")
    return names


def direct_dispatch_safe() -> bool:
    """Whether skipping Django's request cycle changes nothing: no middleware but
    :data:`PASSIVE_MIDDLEWARE` and :func:`request_cycle_passive`."""
    if any(name not in PASSIVE_MIDDLEWARE for name in settings.MIDDLEWARE):
        return False
    if getattr(settings, "DISALLOWED_USER_AGENTS", None):
        return False
    return request_cycle_passive()


def request_cycle_passive() -> bool:
    """Whether the request signals have nothing to do: no database, caches whose ``close()`` is a
    no-op, and no receiver but Django's own housekeeping."""
    if any(db.get("ENGINE", "django.db.backends.dummy") != "django.db.backends.dummy"
           for db in settings.DATABASES.values()):
        return False
    if not all(_close_is_noop(cache) for cache in settings.CACHES.values()):
        return False
    receivers = _receiver_names(signals.request_started) | _receiver_names(signals.request_finished)
    return receivers <= HOUSEKEEPING_RECEIVERS


def _close_is_noop(cache: dict[str, Any]) -> bool:
    """Whether ``close()`` of this cache does nothing: local memory, dummy, or django-redis's default
    client without ``CLOSE_CONNECTION`` (OMERO.web's Redis session cache)."""
    backend = cache.get("BACKEND")
    if backend in PASSIVE_CACHES:
        return True
    options = cache.get("OPTIONS") or {}
    return (backend == "django_redis.cache.RedisCache"
            and options.get("CLIENT_CLASS", REDIS_DEFAULT_CLIENT) == REDIS_DEFAULT_CLIENT
            and not options.get("CLOSE_CONNECTION", getattr(settings, "DJANGO_REDIS_CLOSE_CONNECTION", False)))


class DirectDispatch:
    """A WSGI application: the app's endpoints called directly, everything else by ``django_app``."""

    def __init__(self, django_app: Callable[..., Iterable[bytes]]) -> None:
        self.django_app = django_app
        self.enabled = direct_dispatch_safe()
        self.lane = get_config().tile_lane
        self.endpoint_for = lru_cache(maxsize=RESOLVED_PATHS)(_endpoint_for)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET":
            return self.django_app(environ, start_response)
        view = self.endpoint_for(get_path_info(environ) or "/")
        if view is None:
            return self.django_app(environ, start_response)
        if view.lane_kwargs is not None and self.lane:
            from . import tile_lane  # imports the views: not before Django is set up

            answer = tile_lane.answer_tile(environ, start_response, view.lane_kwargs,
                                           tile_lane.standalone_requester, tile_lane.content_length)
            if answer is not None:
                return answer
        set_script_prefix(get_script_name(environ))
        response = view(WSGIRequest(environ))
        if response.streaming:  # not an image endpoint's answer; Django would do the same
            start_response(wsgi_status(response), wsgi_headers(response))
            return response  # type: ignore[return-value]
        body = response.content
        if not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(body))
        start_response(wsgi_status(response), wsgi_headers(response))
        if response._resource_closers:  # a file the view opened; close() also sends request_finished
            response.close()
        return [body]


def _endpoint_for(path: str) -> View | None:
    """The app's view for ``path`` with its URL arguments bound and Django's exception-to-response
    conversion around it; None when the path is not one of the app's endpoints."""
    try:
        match = get_resolver().resolve(path)
    except Resolver404:
        return None
    if not getattr(match.func, "fast_region_endpoint", None):
        return None
    func, args, kwargs = match.func, match.args, match.kwargs

    def endpoint(request: HttpRequest) -> HttpResponseBase:
        check_host(request)  # ALLOWED_HOSTS, as CommonMiddleware checks it: DisallowedHost is a 400
        return func(request, *args, **kwargs)

    view = convert_exception_to_response(endpoint)
    #: the URL arguments, for a path the tile lane may answer (:mod:`.tile_lane`)
    view.lane_kwargs = kwargs if match.func.fast_region_endpoint == LANE_ENDPOINT and not args else None
    return view


#: (Host header, ALLOWED_HOSTS, DEBUG) that ``get_host`` accepted; bounded by :data:`ALLOWED_HOST_MEMO`
_allowed_hosts: set[tuple] = set()
ALLOWED_HOST_MEMO = 64


def accept_host(host: str) -> bool:
    """Whether ``request.get_host()`` accepts a request whose ``Host`` header is ``host``: Django's
    own check (``split_domain_port``, ``validate_host``), remembered per header while
    ``ALLOWED_HOSTS`` and ``DEBUG`` stay the same. False for a refused host (never remembered)
    and whenever ``USE_X_FORWARDED_HOST`` lets another header decide."""
    if settings.USE_X_FORWARDED_HOST:
        return False
    allowed = settings.ALLOWED_HOSTS
    key = (host, tuple(allowed), settings.DEBUG)
    if key in _allowed_hosts:
        return True
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, allowed):
        return False
    if len(_allowed_hosts) >= ALLOWED_HOST_MEMO:
        _allowed_hosts.clear()
    _allowed_hosts.add(key)
    return True


def check_host(request: HttpRequest) -> None:
    """``request.get_host()``'s check (``DisallowedHost`` when ``ALLOWED_HOSTS`` refuses it), with
    an accepted ``Host`` header remembered (:func:`accept_host`)."""
    host = request.META.get("HTTP_HOST")
    if host is None or not accept_host(host):
        request.get_host()  # raises for a refused host; decides a forwarded or missing one


def wsgi_status(response: HttpResponseBase) -> str:
    """The WSGI status line of ``response``, as Django's handler writes it."""
    return f"{response.status_code} {response.reason_phrase}"


def wsgi_headers(response: HttpResponseBase) -> list[tuple[str, str]]:
    """The WSGI header list of ``response``, as Django's handler writes it: its headers, then one
    ``Set-Cookie`` per cookie."""
    return [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
