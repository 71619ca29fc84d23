"""Hosted mode's request cycle for the render URLs, without Django's per-request scaffolding.

Inside OMERO.web a tile went through Django's whole handler: the ``request_started`` and
``request_finished`` signals, URL resolution in OMERO.web's URL configuration, and seven
middleware layers each wrapped in an exception-to-response converter; outside the image that
cost about three times what the app's own wrapper costs (docs/benchmarks.md, findings 25, 27).

:class:`HostedFront` wraps OMERO.web's WSGI application (:func:`front_for`; ``get_wsgi_application()``
builds it so under any server, :mod:`.wsgi_front`, and the keep-alive worker wraps a handler
loaded another way). For a ``GET`` whose path resolves to a render endpoint (a stock view the
:class:`~.middleware.FastRenderMiddleware` replaces, or one of the app's own views) it runs the
same cycle as Django's ``WSGIHandler``, with the *handler's own* middleware instances:
``process_request`` outside in, ``process_view``, the view, ``process_response`` inside out,
an exception in any step turned into a response where Django's converter around that layer
would turn it, and the handler's own ``log_response``, closers and WSGI epilogue. What it leaves
out changes no answer: URL resolution is remembered per path (the resolver is fixed once the
URL configuration is loaded; a request whose middleware sets ``request.urlconf`` is resolved
afresh), and the request signals are not sent when their receivers are only Django's
housekeeping with nothing to do (no database, caches whose ``close()`` does nothing;
:func:`~.direct_dispatch.request_cycle_passive`). Any other request, and every request when the
middleware is not all plain ``MiddlewareMixin`` classes (:func:`middleware_layers`), goes to
OMERO.web's application unchanged.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Callable, Iterable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core import signals
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, get_path_info, get_script_name
from django.urls import Resolver404, ResolverMatch, get_resolver, set_script_prefix, set_urlconf
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject, empty
from django.utils.log import log_response

from .config import get_config
from .direct_dispatch import LANE_ENDPOINT, RESOLVED_PATHS, request_cycle_passive, wsgi_headers, wsgi_status
from .middleware import FastRenderMiddleware

logger = logging.getLogger(__name__)


def middleware_layers(handler: WSGIHandler) -> list[Any] | None:
    """The handler's own middleware instances, outermost first; None when a layer is not one whose
    ``__call__`` is ``MiddlewareMixin``'s (or the app's pass-through), so its cycle cannot be
    replayed method by method."""
    layers = []
    step = getattr(handler, "_middleware_chain", None)
    while step is not None:
        target = getattr(step, "__wrapped__", None)  # each layer sits in convert_exception_to_response
        if getattr(target, "__func__", None) is BaseHandler._get_response:
            return layers
        plain = isinstance(target, MiddlewareMixin) and type(target).__call__ is MiddlewareMixin.__call__
        passthrough = type(target).__call__ is FastRenderMiddleware.__call__
        if not (plain or passthrough) or getattr(target, "async_mode", False):
            return None
        layers.append(target)
        step = target.get_response
    return None


#: (module, qualified name) of the handler's methods whose work the front replays, as Django defines them
DJANGO_METHODS = {"__call__": ("django.core.handlers.wsgi", "WSGIHandler.__call__"),
                  "get_response": ("django.core.handlers.base", "BaseHandler.get_response"),
                  "_get_response": ("django.core.handlers.base", "BaseHandler._get_response")}


def handler_is_djangos(handler_class: type) -> bool:
    """Whether the methods of ``handler_class`` that the front stands in for are Django's own: not
    overridden by a subclass, and not replaced or wrapped (``functools.wraps`` leaves ``__wrapped__``)
    by an APM agent such as Sentry's or New Relic's, whose per-request work the front would skip."""
    for name, (module, qualname) in DJANGO_METHODS.items():
        method = getattr(handler_class, name, None)
        if (getattr(method, "__module__", None), getattr(method, "__qualname__", None)) != (module, qualname) \
                or hasattr(method, "__wrapped__"):
            return False
    return True


def front_for(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app`` wrapped in :class:`HostedFront` when it is Django's handler serving this app's
    render views (its middleware or its URLs), with Django's own request methods
    (:func:`handler_is_djangos`), middleware the front can replay and the ``hosted_front`` setting
    on; otherwise ``app`` itself."""
    if not isinstance(app, WSGIHandler) or not get_config().hosted_front:
        return app
    if not handler_is_djangos(type(app)):
        logger.info("hosted front off: the handler's request methods are not Django's own (a subclass, or an "
                    "APM agent's wrapper); every request goes through the handler")
        return app
    layers = middleware_layers(app)
    if layers is None:
        logger.info("hosted front off: a middleware overrides __call__; every request goes through Django's handler")
        return app
    if not any(isinstance(layer, FastRenderMiddleware) for layer in layers) and not _app_urls_mounted():
        return app
    front = HostedFront(app, layers)
    logger.info("render URLs answered through the hosted front (tile lane %s)", "on" if front.lane_trailer else "off")
    return front


def _app_urls_mounted() -> bool:
    return any(getattr(getattr(p, "callback", None), "fast_region_endpoint", None)
               for p in _flat_patterns(get_resolver()))


def _flat_patterns(resolver: Any) -> Iterable[Any]:
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _flat_patterns(pattern)
        else:
            yield pattern


#: Django's message storages: ``update()`` of one no message was read from or added to leaves the
#: response as it is and returns nothing to complain of
PASSIVE_MESSAGE_STORAGES = (
    "django.contrib.messages.storage.fallback.FallbackStorage",
    "django.contrib.messages.storage.cookie.CookieStorage",
    "django.contrib.messages.storage.session.SessionStorage",
)


def _replayed(layer: Any) -> Any:
    """The object whose ``process_request``/``process_response`` the front runs for ``layer``."""
    if type(layer) is MessageMiddleware and settings.MESSAGE_STORAGE in PASSIVE_MESSAGE_STORAGES:
        return LazyMessages(layer)
    return layer


class LazyMessages:
    """``MessageMiddleware``'s steps, with the request's message storage made when first used.

    A tile never reads or adds a message, yet the middleware made a storage for it (a cookie
    signer, a session reader and the fallback between them; finding 32). Here ``request._messages``
    makes it on first use, and a storage never made is not asked to ``update()`` the response:
    Django's storages store nothing and report nothing unstored when no message was read or
    added. Without ``request.session`` the middleware's own step runs, so ``SessionStorage``
    refuses at the same moment as in Django.
    """

    def __init__(self, layer: MessageMiddleware) -> None:
        self.layer = layer

    def process_request(self, request: Any) -> None:
        if not hasattr(request, "session"):
            return self.layer.process_request(request)
        request._messages = SimpleLazyObject(lambda: default_storage(request))
        return None

    def process_response(self, request: Any, response: Any) -> Any:
        messages = request.__dict__.get("_messages")
        if type(messages) is SimpleLazyObject and messages._wrapped is empty:
            return response
        return self.layer.process_response(request, response)


class HostedFront:
    """A WSGI application: the render endpoints through Django's cycle replayed, everything else by ``app``."""

    def __init__(self, app: WSGIHandler, layers: list[Any]) -> None:
        self.app = app
        steps = [_replayed(layer) for layer in layers]
        self.requests = [getattr(step, "process_request", None) for step in steps]
        self.responses = [getattr(step, "process_response", None) for step in steps]
        self.send_signals = not request_cycle_passive()
        #: the stock view functions the app's middleware answers, each with the app's view answering it
        self.fast_views = {stock: fast for layer in layers if isinstance(layer, FastRenderMiddleware)
                           for stock, fast in layer.table.items()}
        self.match_for = lru_cache(maxsize=RESOLVED_PATHS)(self._match_for)
        #: the tile lane's trailer for these layers (None: every request through the cycle)
        self.lane_trailer = None
        if get_config().tile_lane and not self.send_signals and not any(type(step) is MessageMiddleware for step in steps):
            from . import tile_lane  # imports the views: not before Django is set up

            self.lane_trailer = tile_lane.hosted_trailer(layers)

    def _match_for(self, path: str) -> ResolverMatch | None:
        """The URL match of a render endpoint at ``path``; None for any other path. A match the tile
        lane may answer carries its URL arguments as ``lane_kwargs`` (else None)."""
        try:
            match = get_resolver().resolve(path)
        except Resolver404:
            return None
        func = match.func
        endpoint = getattr(self.fast_views.get(func, func), "fast_region_endpoint", None)  # the table's views have one
        if not endpoint:
            return None
        match.lane_kwargs = match.kwargs if endpoint == LANE_ENDPOINT and not match.args else None
        return match

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        match = self.match_for(get_path_info(environ) or "/")
        if match is None:
            return self.app(environ, start_response)
        if match.lane_kwargs is not None and self.lane_trailer is not None:
            from . import tile_lane

            answer = tile_lane.answer_tile(environ, start_response, match.lane_kwargs,
                                           tile_lane.hosted_requester, self.lane_trailer)
            if answer is not None:
                return answer
        app = self.app
        set_script_prefix(get_script_name(environ))
        if self.send_signals:
            signals.request_started.send(sender=app.__class__, environ=environ)
        request = app.request_class(environ)
        set_urlconf(settings.ROOT_URLCONF)
        response = self._cycle(request, match)
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        # from here on, exactly WSGIHandler.__call__'s epilogue
        response._handler_class = app.__class__
        start_response(wsgi_status(response), wsgi_headers(response))
        if getattr(response, "file_to_stream", None) is not None and environ.get("wsgi.file_wrapper"):
            response.file_to_stream.close = response.close
            return environ["wsgi.file_wrapper"](response.file_to_stream, response.block_size)
        if self.send_signals or response.streaming:
            return response  # the server's close() sends request_finished
        body = response.content
        for closer in response._resource_closers:  # HttpResponseBase.close() without the signal
            try:
                closer()
            except Exception:  # noqa: BLE001, S110 - as close() does
                pass
        response._resource_closers.clear()
        return [body]

    def _cycle(self, request: Any, match: ResolverMatch) -> Any:
        """The middleware chain's answer: each layer's ``process_request`` outside in until one
        answers, the view, then ``process_response`` back out; an exception becomes a response
        where the converter around that layer (or around the view) would make it."""
        response = None
        last = len(self.requests) - 1
        for index, process_request in enumerate(self.requests):
            if process_request is None:
                continue
            try:
                response = process_request(request)
            except Exception as exc:  # noqa: BLE001 - Django's converter around this layer
                response, last = response_for_exception(request, exc), index - 1
                break
            if response:
                last = index
                break
        if not response:
            try:
                response = self._view(request, match)
            except Exception as exc:  # noqa: BLE001 - Django's converter around _get_response
                response = response_for_exception(request, exc)
        for process_response in reversed(self.responses[:last + 1]):
            if process_response is None:
                continue
            try:
                response = process_response(request, response)
            except Exception as exc:  # noqa: BLE001 - Django's converter around that layer
                response = response_for_exception(request, exc)
        return response

    def _view(self, request: Any, match: ResolverMatch) -> Any:
        """``BaseHandler._get_response`` with the remembered URL match."""
        app = self.app
        if hasattr(request, "urlconf"):  # a middleware chose another URL configuration
            callback, args, kwargs = app.resolve_request(request)
        else:
            request.resolver_match = match
            callback, args, kwargs = match.func, match.args, match.kwargs
        response = None
        for process_view in app._view_middleware:
            response = process_view(request, callback, args, kwargs)
            if response:
                break
        if response is None:
            try:
                response = app.make_view_atomic(callback)(request, *args, **kwargs)
            except Exception as exc:
                response = app.process_exception_by_middleware(exc, request)
                if response is None:
                    raise
        app.check_response(response, callback)
        if hasattr(response, "render") and callable(response.render):
            for template_middleware in app._template_response_middleware:
                response = template_middleware(request, response)
                app.check_response(response, template_middleware)
            try:
                response = response.render()
            except Exception as exc:
                response = app.process_exception_by_middleware(exc, request)
                if response is None:
                    raise
        return response
