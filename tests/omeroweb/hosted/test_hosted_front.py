"""Inside real OMERO.web: the hosted front (``hosted_front.py``) answers the render URLs exactly as
OMERO.web's own WSGI application does, and hands every other request to it."""

from __future__ import annotations

import functools
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core import signals
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import CsrfViewMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client, override_settings

from omero_fast_region import hosted_front, tile_lane
from omero_fast_region.hosted_front import HostedFront, LazyMessages, front_for, middleware_layers
from tests.wsgi_calls import call
from tests.wsgi_calls import comparable as wsgi_comparable

from .sessions import login

TILE = "/webgateway/render_image_region/4/0/0/?tile=0,0,0,32,32&format=png"


class HandlerCalls:
    """Requests OMERO.web's handler answers itself, counted by its ``request_started`` signal. The
    receiver is connected after the front is built, so the front's own cycle stays without signals
    (``HostedFront.send_signals``) and is not counted."""

    count = 0

    @classmethod
    def seen(cls, **kwargs) -> None:
        cls.count += 1



def comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """:func:`tests.wsgi_calls.comparable`, a new CSRF cookie's random value left out too."""
    csrf = settings.CSRF_COOKIE_NAME + "="
    return [(name, value.split(";", 1)[1] if name == "Set-Cookie" and value.strip().startswith(csrf) else value)
            for name, value in wsgi_comparable(headers)]


def get(app, url: str, cookies: dict[str, str] | None = None, method: str = "GET", **headers: str):
    """:func:`tests.wsgi_calls.call` as a browser reaches OMERO.web's test host."""
    return call(app, url, method=method, host=headers.pop("host", "testserver"), cookies=cookies,
                environ={"REMOTE_ADDR": "127.0.0.1"}, **headers)


@pytest.fixture(scope="module")
def bob_key() -> str:
    client = Client()
    login(client, "bob", "bob-pw")  # not a member of alice's group
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def front() -> HostedFront:
    app = front_for(WSGIHandler())
    assert isinstance(app, HostedFront) and not app.send_signals
    return app


@pytest.fixture
def handler_calls(front):
    """:class:`HandlerCalls` counting while the test runs (the front built before)."""
    signals.request_started.connect(HandlerCalls.seen)
    yield HandlerCalls
    signals.request_started.disconnect(HandlerCalls.seen)


def alice(key: str, **more: str) -> dict[str, str]:
    return {settings.SESSION_COOKIE_NAME: key, **more}


#: (name, URL, whose cookies, extra headers, the status both answer)
CASES = [
    ("tile", TILE, "alice", {}, "200"),
    ("webclient tile", TILE.replace("webgateway", "webclient"), "alice", {}, "200"),
    ("jpeg tile", "/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32&q=0.9", "alice", {}, "200"),
    ("render_image", "/webgateway/render_image/4/0/0/?c=1|0:255$FF0000&format=png", "alice", {}, "200"),
    ("thumbnail", "/webgateway/render_thumbnail/4/96/", "alice", {}, "200"),
    ("imgData", "/webgateway/imgData/4/", "alice", {}, "200"),
    ("histogram", "/webgateway/histogram_json/4/channel/0/", "alice", {}, "200"),
    ("conditional", TILE, "alice", {"if_none_match": '"nothing"'}, "200"),
    ("malformed", "/webgateway/render_image_region/4/0/0/?tile=0,a,b", "alice", {}, "400"),
    ("z out of range", "/webgateway/render_image/4/9/0/", "alice", {}, "400"),
    ("not readable", TILE, "bob", {}, "404"),
    ("no such image", "/webgateway/render_image/999/0/0/", "alice", {}, "404"),
    ("handed to the stock view", "/webgateway/render_image_region/5/0/0/?tile=0,0,0,32,32", "alice", {}, None),
    ("no session: login", TILE, None, {}, "302"),
    ("no session, xhr: 403", TILE, None, {"x_requested_with": "XMLHttpRequest"}, "403"),
    ("unknown session key", TILE, "stale", {}, "302"),
    ("malformed csrf cookie: a new one is set", TILE, "alice+csrf", {}, "200"),
    ("host not allowed", TILE, "alice", {"host": "evil.example"}, "400"),  # under ALLOWED_HOSTS below
]


#: the cases the tile lane writes (tile_lane.py); the others go through the replayed cycle
LANE_CASES = {"tile", "webclient tile", "jpeg tile", "conditional"}


@pytest.fixture
def lane_answers(monkeypatch) -> list[str]:
    """The paths the tile lane wrote an answer for, in order."""
    seen: list[str] = []
    answer = tile_lane.answer_tile

    def counting(environ, *args):
        written = answer(environ, *args)
        if written is not None:
            seen.append(environ["PATH_INFO"])
        return written

    monkeypatch.setattr(tile_lane, "answer_tile", counting)
    return seen


@pytest.mark.parametrize("name,url,who,headers,status", CASES, ids=[c[0] for c in CASES])
@override_settings(ALLOWED_HOSTS=["testserver"])
def test_the_front_answers_as_omeroweb_does(front, handler_calls, session_key, bob_key, lane_answers, name, url, who, headers, status):
    cookies = {None: None, "alice": alice(session_key), "bob": alice(bob_key),
               "stale": alice("x" * 32), "alice+csrf": alice(session_key, **{settings.CSRF_COOKIE_NAME: "bad!"})}[who]
    get(front.app, url, cookies, **headers)  # once first: what a first answer leaves (caches, a saved session) is left
    stock = get(front.app, url, cookies, **headers)
    before = handler_calls.count
    fast = get(front, url, cookies, **headers)
    assert handler_calls.count == before, "the front handed a render URL to Django's handler"
    assert bool(lane_answers) is (name in LANE_CASES)
    if status is not None:
        assert stock[0].split()[0] == status, (stock[0], stock[2][:300])
    assert fast[0] == stock[0]
    assert comparable(fast[1]) == comparable(stock[1])
    assert fast[2] == stock[2]


#: (name, settings, extra cookies, whether the lane writes the tile): each answered as OMERO.web does
LANE_SETTINGS = [
    ("X_FRAME_OPTIONS sameorigin", {"X_FRAME_OPTIONS": "sameorigin"}, {}, True),
    ("an older masked CSRF cookie", {}, {"csrftoken": "a" * 64}, True),
    ("a CSRF cookie", {}, {"csrftoken": "b" * 32}, True),
    ("SESSION_SAVE_EVERY_REQUEST", {"SESSION_SAVE_EVERY_REQUEST": True}, {}, False),
    ("CSRF_USE_SESSIONS", {"CSRF_USE_SESSIONS": True}, {}, False),
    ("DISALLOWED_USER_AGENTS", {"DISALLOWED_USER_AGENTS": [__import__("re").compile("curl")]}, {}, False),
    ("PREPEND_WWW", {"PREPEND_WWW": True}, {}, False),
]


@pytest.mark.parametrize("name,changed,cookies,lane", LANE_SETTINGS, ids=[c[0] for c in LANE_SETTINGS])
def test_the_lane_writes_a_tile_only_where_the_middleware_s_answer_is_fixed(front, session_key, lane_answers,
                                                                           name, changed, cookies, lane):
    with override_settings(ALLOWED_HOSTS=["testserver"], **changed):
        jar = alice(session_key, **{settings.CSRF_COOKIE_NAME if k == "csrftoken" else k: v for k, v in cookies.items()})
        stock = get(front.app, TILE, jar)
        fast = get(front, TILE, jar)
    assert (fast[0], comparable(fast[1]), fast[2]) == (stock[0], comparable(stock[1]), stock[2])
    assert bool(lane_answers) is lane


def test_a_matching_etag_is_omeroweb_s_304_from_the_lane(front, session_key, lane_answers):
    etag = dict(get(front, TILE, alice(session_key))[1])["ETag"]
    lane_answers.clear()
    stock = get(front.app, TILE, alice(session_key), if_none_match=etag)
    fast = get(front, TILE, alice(session_key), if_none_match=etag)
    assert fast == stock and fast[0] == "304 Not Modified"
    assert lane_answers == [TILE.split("?")[0]]


def test_the_lane_knows_omeroweb_s_middleware_and_nothing_else(front):
    assert front.lane_trailer is not None
    layers = middleware_layers(front.app)
    assert tile_lane.hosted_trailer([*layers, _Subclassed(lambda r: None)]) is None
    with override_settings(X_FRAME_OPTIONS="DENY"):
        names = [name for name, _ in front.lane_trailer(7)]
    assert names == ["X-Frame-Options", "Vary", "Content-Length"]  # XFrame, Session, Common: inside out


def test_the_lane_finds_the_requester_as_the_view_does_or_leaves_it_to_the_cycle(session_key, bob_key):
    def requester(cookies: dict[str, str], **url: str):
        environ = {"HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        return tile_lane.hosted_requester(environ, {"iid": "4", "z": "0", "t": "0", **url})

    alices, bobs = requester(alice(session_key)), requester(alice(bob_key))
    assert alices is not None and bobs is not None and alices.scope != bobs.scope
    assert alices.share_id is None and not alices.is_public
    assert requester(alice(session_key), share_id="3") is None  # a share's access is the cycle's
    assert requester(alice(session_key), share_id="") is alices
    assert requester({}) is None and requester(alice("short")) is None
    assert requester(alice(session_key, **{settings.CSRF_COOKIE_NAME: "bad!"})) is None


class _Subclassed(CsrfViewMiddleware):
    """A layer that is not exactly one of OMERO.web's."""


def test_a_new_csrf_cookie_and_a_stale_session_cookie_are_answered_by_the_middleware(front, session_key):
    """What the replayed middleware adds: CsrfViewMiddleware's new cookie, SessionMiddleware's
    deletion of a cookie naming no session, XFrameOptionsMiddleware's header, Vary: Cookie."""
    status, headers, _ = get(front, TILE, alice(session_key, **{settings.CSRF_COOKIE_NAME: "bad!"}))
    assert status.startswith("200")
    cookies = [value for name, value in headers if name == "Set-Cookie"]
    assert any(value.strip().startswith(settings.CSRF_COOKIE_NAME + "=") for value in cookies)
    assert dict(headers)["X-Frame-Options"] == settings.X_FRAME_OPTIONS and "Cookie" in dict(headers)["Vary"]
    status, headers, _ = get(front, TILE, alice("x" * 32))
    deleted = [value for name, value in headers if name == "Set-Cookie"]
    assert status.startswith("302") and any(settings.SESSION_COOKIE_NAME + '=""' in value for value in deleted)


def test_a_session_the_stock_view_saves_is_saved_and_its_cookie_set_through_the_front(front, handler_calls):
    """The hand-over's stock view changes the session on its first use; SessionMiddleware (replayed)
    saves it and sets the cookie, as Django's handler does."""
    client = Client()
    login(client, "alice", "alice-pw")
    fresh = client.cookies[settings.SESSION_COOKIE_NAME].value
    before = handler_calls.count
    status, headers, _ = get(front, "/webgateway/render_image_region/5/0/0/?tile=0,0,0,32,32", alice(fresh))
    assert handler_calls.count == before
    assert not any(name == "Server-Timing" for name, _ in headers)  # the stock view's answer
    assert any(name == "Set-Cookie" and f"{settings.SESSION_COOKIE_NAME}={fresh}" in value for name, value in headers)


@pytest.mark.parametrize("method,url", [
    ("GET", "/webclient/login/"),
    ("GET", "/webgateway/render_image/x/0/0/"),  # resolves to nothing of ours: Django's 404
    ("POST", TILE),
    ("HEAD", TILE),
])
def test_every_other_request_goes_to_omeroweb_itself(front, handler_calls, session_key, method, url):
    before = handler_calls.count
    get(front, url, alice(session_key), method=method)
    assert handler_calls.count == before + 1


def test_the_front_replays_the_handlers_own_middleware_instances(front):
    layers = middleware_layers(front.app)
    assert [f"{type(m).__module__}.{type(m).__name__}" for m in layers] == list(settings.MIDDLEWARE)
    replayed = [LazyMessages if type(m) is MessageMiddleware else type(m) for m in layers]
    assert [type(step.__self__) if step else None for step in front.requests] == [
        cls if hasattr(cls, "process_request") else None for cls in replayed]
    assert all(step.__self__ is m or step.__self__.layer is m for step, m in zip(front.requests, layers) if step)
    assert not front.send_signals  # no database, the Redis cache's close() does nothing


def test_a_tile_makes_no_message_storage(front, session_key, monkeypatch):
    made = []
    monkeypatch.setattr(hosted_front, "default_storage", lambda request: made.append(request) or default_storage(request))
    status, headers, body = get(front, TILE, alice(session_key))
    expected = get(front.app, TILE, alice(session_key))
    assert status == "200 OK" and (status, comparable(headers), body) == (expected[0], comparable(expected[1]), expected[2])
    assert made == []


def _session_request(cookies: dict[str, str] | None = None):
    request = RequestFactory().get("/webgateway/render_image/4/0/0/")
    request.COOKIES.update(cookies or {})
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    return request


def _messages_cycle(steps, use, cookies: dict[str, str] | None = None, session: bool = True):
    """``steps``' process_request, ``use(request)`` as a view would, then process_response: the
    response's cookies and what ``use`` returned."""
    request = _session_request(cookies) if session else RequestFactory().get("/")
    steps.process_request(request)
    used = use(request)
    response = steps.process_response(request, HttpResponse("tile"))
    return {name: (c.value, c["max-age"]) for name, c in response.cookies.items()}, used


MESSAGE_USES = {
    "nothing": lambda request: None,
    "add": lambda request: messages.add_message(request, messages.INFO, "exported"),
    "read": lambda request: [m.message for m in messages.get_messages(request)],
    "count": lambda request: len(request._messages),
}


@pytest.mark.parametrize("use", list(MESSAGE_USES))
@pytest.mark.parametrize("incoming", [False, True])
def test_messages_through_the_lazy_storage_are_django_s(use, incoming):
    cookies = {}
    if incoming:  # a message left by an earlier response, in Django's own cookie
        jar, _ = _messages_cycle(MessageMiddleware(lambda r: None), MESSAGE_USES["add"])
        cookies = {name: value for name, (value, _) in jar.items()}
        assert cookies
    django_s = _messages_cycle(MessageMiddleware(lambda r: None), MESSAGE_USES[use], cookies)
    lazy = _messages_cycle(LazyMessages(MessageMiddleware(lambda r: None)), MESSAGE_USES[use], cookies)
    assert lazy == django_s


def test_without_a_session_the_storage_refuses_when_django_s_does():
    for steps in (MessageMiddleware(lambda r: None), LazyMessages(MessageMiddleware(lambda r: None))):
        with pytest.raises(ImproperlyConfigured):
            _messages_cycle(steps, MESSAGE_USES["nothing"], session=False)


class OwnCallMiddleware:
    """A middleware with its own ``__call__``: the front cannot replay it method by method."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


def test_a_middleware_with_its_own_call_keeps_django_s_handler():
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, f"{__name__}.OwnCallMiddleware"]):
        handler = WSGIHandler()
        assert middleware_layers(handler) is None
        assert front_for(handler) is handler


def test_the_setting_turns_the_lane_off():
    from omero_fast_region.config import reset_config

    with override_settings(FAST_REGION={"tile_lane": False}):
        reset_config()
        try:
            front_now = front_for(WSGIHandler())
            assert isinstance(front_now, HostedFront) and front_now.lane_trailer is None
        finally:
            reset_config()


def test_the_setting_turns_the_front_off():
    from omero_fast_region.config import reset_config

    with override_settings(FAST_REGION={"hosted_front": False}):
        reset_config()
        try:
            handler = WSGIHandler()
            assert front_for(handler) is handler
        finally:
            reset_config()


def test_omeroweb_s_own_application_is_the_front_whatever_loads_it(session_key, lane_answers):
    """``omeroweb.wsgi`` (``application = get_wsgi_application()``), as gunicorn's stock workers,
    uWSGI or mod_wsgi load it: Django's handler in the front, the tile written by the lane, the
    same answer as Django's handler alone (``wsgi_front.py``)."""
    from django.core.wsgi import get_wsgi_application

    from omero_fast_region import wsgi_front

    assert wsgi_front.installed()
    app = get_wsgi_application()
    assert isinstance(app, HostedFront) and type(app.app) is WSGIHandler and app.lane_trailer is not None
    cookies = alice(session_key)
    got, expected = get(app, TILE, cookies=cookies), get(WSGIHandler(), TILE, cookies=cookies)
    assert (got[0], comparable(got[1]), got[2]) == (expected[0], comparable(expected[1]), expected[2])
    assert got[0] == "200 OK" and lane_answers == [TILE.split("?")[0]]


def test_with_the_front_off_omeroweb_s_application_is_django_s():
    from django.core.wsgi import get_wsgi_application

    from omero_fast_region.config import reset_config

    with override_settings(FAST_REGION={"hosted_front": False}):
        reset_config()
        try:
            assert type(get_wsgi_application()) is WSGIHandler
        finally:
            reset_config()


class OwnCallHandler(WSGIHandler):
    """A subclass whose ``__call__`` does its own work around Django's."""

    def __call__(self, environ, start_response):
        return super().__call__(environ, start_response)


def test_a_handler_whose_request_methods_are_not_django_s_keeps_every_request(monkeypatch):
    """The front stands in for ``WSGIHandler.__call__`` and ``get_response``: a subclass that
    overrides one, or an APM agent that wraps one in place (as Sentry's and New Relic's do),
    would be skipped for the render URLs, so the front stays off."""
    assert front_for(OwnCallHandler()).__class__ is OwnCallHandler
    for owner, name in ((WSGIHandler, "__call__"), (BaseHandler, "get_response"), (BaseHandler, "_get_response")):
        original = getattr(owner, name)

        @functools.wraps(original)
        def traced(*args, _original=original, **kwargs):
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, traced)
        handler = WSGIHandler()
        assert front_for(handler) is handler, name
        monkeypatch.setattr(owner, name, original)
    assert isinstance(front_for(WSGIHandler()), HostedFront)
