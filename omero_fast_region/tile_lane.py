"""A viewer's tile answered straight from the WSGI environ, without Django's request and response.

Served, a tile costs about 14 % more CPU than the same image rendered in a loop; gunicorn's
keep-alive worker calling ``render_region`` and nothing else costs about 11 % more
(docs/benchmarks.md, finding 35). Much of the difference was Django's per-request objects around
the view: the ``WSGIRequest``, the ``HttpResponse`` with a check per header, the URL match, the
view wrapper's context managers and, in OMERO.web, seven middleware layers.

:func:`answer_tile` answers the most frequent request, ``render_image_region`` with ``tile`` or
``region``, when it renders to a 200 (or a 304: the client's ETag matched). It takes the view's own steps (the requester, then
:func:`.views.images.region_rendered`), writes the status, headers (the same ones, in the same
order) and body that the view's answer gets on its way out, and reports the request the same
way (:func:`.observe.record_request`). Anything else returns None before anything is reported or
sent, and the caller answers through the view: another outcome (an error, a hand-over to the
stock view), a ``Host`` Django refuses, a query Django refuses, a header value Django would
encode, a requester the view would find differently.

- Standalone (:class:`~.direct_dispatch.DirectDispatch`): the view's answer plus
  ``Content-Length``.
- Inside OMERO.web (:class:`~.hosted_front.HostedFront`), only while the middleware is OMERO.web's
  own list (:data:`KNOWN_LAYERS`, :func:`hosted_trailer`) and the settings leave each layer's
  effect on a 200 fixed (:func:`hosted_settings_plain`): the session is read through the tracked
  reader as the view reads it, and the layers' headers are added in the order their
  ``process_response`` runs: ``X-Frame-Options``, ``Vary: Cookie`` (the session was read),
  ``Content-Length``. A malformed CSRF cookie, which makes ``CsrfViewMiddleware`` set a new
  one, goes to the front.

Django's thread-local script prefix and URL configuration are not set: nothing on this path
reverses a URL, and every request through Django sets its own.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.wsgi import get_str_from_wsgi
from django.http.cookie import parse_cookie
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import BrokenLinkEmailsMiddleware, CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware, InvalidTokenFormat, _check_token_format

from .config import get_config
from .direct_dispatch import LANE_ENDPOINT, accept_host
from .middleware import FastRenderMiddleware
from .observe import merged_timings, record_request, server_timing, timed
from .requestcontext import STANDALONE, RequestContext, context_of, share_id_of
from .runtime import get_runtime
from .service import NotModified, Rendered
from .sessions import READER
from .views.endpoint import environ_query
from .views.images import region_rendered

#: the endpoint (``fast_region_endpoint`` of its view) whose answers the lane writes
ENDPOINT = LANE_ENDPOINT

#: ``requester(environ, url_kwargs)``: the view's requester, or None when the view must find it
Requester = Callable[[dict[str, Any], dict[str, Any]], "RequestContext | None"]
#: ``trailer(body_length)``: the headers the answer gets after the view's own
Trailer = Callable[[int], list[tuple[str, str]]]


def answer_tile(environ: dict[str, Any], start_response: Callable, url_kwargs: dict[str, Any],
                requester: Requester, trailer: Trailer) -> list[bytes] | None:
    """The WSGI answer to a ``render_image_region`` request whose URL arguments are ``url_kwargs``,
    or None (nothing sent, nothing reported) when the view must answer it."""
    config = get_config()
    host = environ.get("HTTP_HOST")
    if host is None or not verbatim(config.cache_control) or not accept_host(host):
        return None
    started = time.perf_counter()
    stages: dict[str, float] = {}
    try:
        with timed(stages, "session"):
            ctx = requester(environ, url_kwargs)
        if ctx is None:
            return None
        params = environ_query(environ, settings.DEFAULT_CHARSET)
        rendered = region_rendered(get_runtime(), ctx, params, url_kwargs["iid"], url_kwargs["z"], url_kwargs["t"],
                                   environ.get("HTTP_IF_NONE_MATCH"), stages)
    except Exception:  # noqa: BLE001 - the view answers it, and reports it, as it does every error
        return None
    total = (time.perf_counter() - started) * 1000.0
    if type(rendered) is NotModified:  # image_response's 304: no body, no Server-Timing
        headers = [("ETag", str(rendered)), ("Cache-Control", config.cache_control), *trailer(0)]
        record_request(ENDPOINT, url_kwargs["iid"], "not_modified", 304, total)
        start_response("304 Not Modified", headers)
        return [b""]
    if type(rendered) is not Rendered:
        return None
    timings = merged_timings(stages, rendered.timings)
    headers = [("Content-Type", rendered.content_type), ("ETag", rendered.etag)]
    if config.cache_control:
        headers.append(("Cache-Control", config.cache_control))
    headers.append(("Server-Timing", server_timing(timings, total, rendered.cpu_ms)))
    headers += trailer(len(rendered.body))
    record_request(ENDPOINT, url_kwargs["iid"], "ok", 200, total, timings, None, rendered.cpu_ms)
    start_response("200 OK", headers)
    return [rendered.body]


def verbatim(value: str) -> bool:
    """Whether Django's response writes header ``value`` as it is (printable ASCII)."""
    return value.isascii() and value.isprintable()


def standalone_requester(environ: dict[str, Any], url_kwargs: dict[str, Any]) -> RequestContext | None:
    """``context_for`` in standalone mode."""
    return STANDALONE if get_config().standalone else None


def content_length(length: int) -> list[tuple[str, str]]:
    """Standalone's trailer: ``Content-Length``, as ``DirectDispatch`` adds it."""
    return [("Content-Length", str(length))]


# --- inside OMERO.web -------------------------------------------------------------------------

#: middleware whose effect on a render endpoint's 200 the hosted trailer writes: none, or a header
KNOWN_LAYERS = (BrokenLinkEmailsMiddleware, CommonMiddleware, SessionMiddleware, CsrfViewMiddleware,
                MessageMiddleware, XFrameOptionsMiddleware, FastRenderMiddleware)


#: the header each layer adds to a render endpoint's 200 (``Vary: Cookie``: the session was read)
HEADER_OF = {XFrameOptionsMiddleware: "X-Frame-Options", SessionMiddleware: "Vary", CommonMiddleware: "Content-Length"}


def hosted_trailer(layers: Iterable[Any]) -> Trailer | None:
    """The trailer of OMERO.web's middleware ``layers`` (outermost first), or None when a layer is
    not exactly one of :data:`KNOWN_LAYERS` (a subclass may do anything)."""
    steps: list[str] = []
    for layer in reversed(list(layers)):  # process_response runs inside out
        kind = type(layer)
        if kind not in KNOWN_LAYERS:
            return None
        step = HEADER_OF.get(kind)
        if step is not None and step not in steps:  # a second such layer finds its header there already
            steps.append(step)
    if "Content-Length" not in steps:  # without CommonMiddleware Django sends no length: not the lane's
        return None
    order = tuple(steps)

    def trailer(length: int) -> list[tuple[str, str]]:
        values = {"X-Frame-Options": hosted_settings().x_frame_options, "Vary": "Cookie", "Content-Length": str(length)}
        return [(name, values[name]) for name in order]

    return trailer


def hosted_settings_plain() -> bool:
    """Whether the settings leave every known layer's effect on a render endpoint's 200 fixed:
    no session saved per request, the CSRF secret in its cookie, no user-agent or ``www.`` rule,
    and an ``X-Frame-Options`` value written as it is."""
    return (not settings.SESSION_SAVE_EVERY_REQUEST and not settings.CSRF_USE_SESSIONS
            and not settings.DISALLOWED_USER_AGENTS and not settings.PREPEND_WWW
            and verbatim(getattr(settings, "X_FRAME_OPTIONS", "DENY")))


@dataclass(frozen=True)
class HostedSettings:
    """What the hosted lane reads from the settings, read once (:func:`forget_settings` on a change)."""

    plain: bool
    x_frame_options: str
    session_cookie: str
    csrf_cookie: str


@functools.lru_cache(maxsize=1)
def hosted_settings() -> HostedSettings:
    return HostedSettings(hosted_settings_plain(), getattr(settings, "X_FRAME_OPTIONS", "DENY").upper(),
                          settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)


#: a ``Cookie`` header -> its session key, or None when the lane must leave it to the front (no
#: plausible key, or a CSRF cookie ``CsrfViewMiddleware`` would replace); bounded by SESSION_KEYS
_session_keys: dict[str, str | None] = {}
SESSION_KEYS = 256


def forget_settings() -> None:
    """Drop what was read from the settings (Django's ``setting_changed``; tests)."""
    hosted_settings.cache_clear()
    _session_keys.clear()


def session_key_of(cookie_header: str, names: HostedSettings) -> str | None:
    """The session key Django's ``SessionMiddleware`` reads from ``cookie_header``, or None when
    there is none Django would accept (at least 8 characters) or the CSRF cookie is malformed."""
    try:
        return _session_keys[cookie_header]
    except KeyError:
        pass
    cookies = parse_cookie(cookie_header)
    key = cookies.get(names.session_cookie)
    csrf = cookies.get(names.csrf_cookie)
    try:
        if csrf is not None:
            _check_token_format(csrf)
    except InvalidTokenFormat:
        key = None
    if not isinstance(key, str) or len(key) < 8:
        key = None
    if len(_session_keys) >= SESSION_KEYS:
        _session_keys.clear()
    _session_keys[cookie_header] = key
    return key


def hosted_requester(environ: dict[str, Any], url_kwargs: dict[str, Any]) -> RequestContext | None:
    """``context_for`` inside OMERO.web, from the session cookie through the tracked reader (what
    ``session_value`` reads); None for anything the front must answer: settings whose effect
    :func:`hosted_settings_plain` does not fix, no session or no tracked reader, the public
    user, a share, a CSRF cookie ``CsrfViewMiddleware`` would replace."""
    names = hosted_settings()
    if not names.plain or share_id_of(url_kwargs) is not None:
        return None
    session_key = session_key_of(get_str_from_wsgi(environ, "HTTP_COOKIE", ""), names)
    reader = READER.get()
    if session_key is None or reader is None:
        return None
    data = reader.session(session_key)
    if data is None:
        return None
    return context_of(data.get("connector"), None, public_allowed=lambda: False)


def hosted_lane_refusal() -> str | None:
    """Why the lane would leave this OMERO.web's tiles to the hosted front's cycle, from the
    settings (``omero-fast-region check``); None when it would write them."""
    from django.utils.module_loading import import_string

    from .hosted_front import PASSIVE_MESSAGE_STORAGES

    if not get_config().tile_lane:
        return "tile_lane is false"
    classes = []
    for path in settings.MIDDLEWARE:
        try:
            classes.append(import_string(path))
        except ImportError:
            return f"{path} cannot be imported"
        if classes[-1] not in KNOWN_LAYERS:
            return f"{path} is not one of OMERO.web's middleware"
    if CommonMiddleware not in classes:
        return "no CommonMiddleware"
    if MessageMiddleware in classes and settings.MESSAGE_STORAGE not in PASSIVE_MESSAGE_STORAGES:
        return f"MESSAGE_STORAGE {settings.MESSAGE_STORAGE} is not one of Django's"
    if not hosted_settings_plain():
        return "a session, CSRF, user-agent or www setting changes a tile's answer"
    return None
