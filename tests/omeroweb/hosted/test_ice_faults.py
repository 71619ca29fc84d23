"""Inside real OMERO.web: the OMERO session expired on the server, the server down and back.

Each answer is compared with what the stock view answers for the same request in the same
state (``stock_answer``: the stock webgateway function called with a Django session holding
the same connector). Stock's ``login_required`` cannot join, deletes the connector and answers
"not logged in": 302 to the login page, 403 to XHR (omero-web.md §2.1, §5.2). A cached
descriptor keeps serving until ``metadata_cache_ttl`` (docs/hardening.md, "Ice errors").
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, RequestFactory
from django.urls import resolve

from omero_fast_region.catalog.cache import DescriptorCache
from omero_fast_region.requestcontext import scope_of
from omero_fast_region.runtime import get_runtime

from .sessions import login

TILE = "/webgateway/render_image_region/{iid}/0/0/?tile=0,0,0,32,32"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
REQUEST_TIMEOUT = 120  # seconds: "no hang", not a timing assertion


def ours(response) -> bool:
    return "Server-Timing" in response


def session_of(client: Client):
    return import_module(settings.SESSION_ENGINE).SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)


def get(client: Client, path: str, **extra):
    """``client.get`` in a worker thread, failing instead of hanging."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(client.get, path, **extra).result(timeout=REQUEST_TIMEOUT)


def stock_answer(path: str, connector: dict, **extra) -> tuple:
    """The stock view's (status, Location, body) for ``path`` with ``connector`` in the Django
    session, and whether the connector survived."""
    from omeroweb.webgateway import views as stock

    request = RequestFactory().get(path, **extra)
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.session["connector"] = dict(connector)
    request.resolver_match = match = resolve(request.path_info)
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(stock.render_image_region, request, **match.kwargs).result(timeout=REQUEST_TIMEOUT)
    return answer(response), "connector" in request.session


def answer(response) -> tuple:
    return response.status_code, response.get("Location"), response.content


@pytest.fixture
def alice() -> Client:
    client = Client()
    client.connector = login(client, "alice", "alice-pw")
    return client


@pytest.fixture
def logged():
    """What this app logs, and any warning or error, during the test (no session key may be in
    them; omero.gateway's own INFO lines name sessions on every join, ours and stock's alike)."""
    records: dict[int, logging.LogRecord] = {}

    class Keep(logging.Handler):
        def emit(self, record):
            if record.name.startswith("omero_fast_region") or record.levelno >= logging.WARNING:
                records[id(record)] = record

    handler = Keep(logging.DEBUG)
    names = ("", "omero_fast_region", "omero", "omeroweb", "django")
    for name in names:
        logging.getLogger(name).addHandler(handler)
    yield records.values()
    for name in names:
        logging.getLogger(name).removeHandler(handler)


def text_of(records) -> str:
    return "\n".join(r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
                     for r in records)


@pytest.mark.parametrize("extra", [{}, XHR], ids=["page", "xhr"])
def test_an_expired_session_ends_as_stock_when_the_descriptor_is_not_cached(alice, fake_server, logged, extra):
    key = alice.connector["omero_session_key"]
    assert alice.get(TILE.format(iid=4)).status_code == 200  # joined, kept in the LRU
    assert fake_server.connections(key, 1) == 1
    assert fake_server.kill_session(key)

    response = get(alice, TILE.format(iid=7), **extra)  # not cached: the dead joined session is used
    assert not ours(response)
    assert response.status_code == (403 if extra else 302)
    assert (answer(response), "connector" in session_of(alice)) == stock_answer(TILE.format(iid=7), alice.connector, **extra)
    assert fake_server.connections(key, 0) == 0  # the dead client was dropped and closed
    assert key not in text_of(logged)


def test_an_expired_session_keeps_its_cached_descriptor_until_the_ttl(alice, fake_server, call_log):
    """Decision (a), as the microservice's can-read cache: no Ice call on a cache hit, so the
    expiry is seen when the descriptor expires (``metadata_cache_ttl``) or at logout."""
    key = alice.connector["omero_session_key"]
    assert alice.get(TILE.format(iid=4)).status_code == 200
    assert fake_server.kill_session(key)
    call_log.mark()
    response = alice.get("/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32")
    assert response.status_code == 200 and ours(response)
    assert [e for e in call_log.ice_calls() if e.get("service") != "control"] == []

    # the TTL passes: both tiers forget the entry
    catalog = get_runtime().catalog
    catalog.cache.clear_local()
    caches["default"].delete(DescriptorCache.key(scope_of(key), 4))
    response = get(alice, TILE.format(iid=4))
    assert not ours(response) and response.status_code == 302
    assert (answer(response), "connector" in session_of(alice)) == stock_answer(TILE.format(iid=4), alice.connector)


def test_server_down_answers_as_stock_and_recovers_without_a_restart(alice, fake_server, logged):
    other = Client()
    other.connector = login(other, "alice", "alice-pw")  # a second session with a cached descriptor
    alice_key, other_key = alice.connector["omero_session_key"], other.connector["omero_session_key"]
    for client in (alice, other):
        assert client.get(TILE.format(iid=4)).status_code == 200

    fake_server.stop()
    response = get(alice, TILE.format(iid=7))  # a miss: the joined session's connection is cut
    assert not ours(response) and response.status_code == 302
    assert (answer(response), "connector" in session_of(alice)) == stock_answer(TILE.format(iid=7), alice.connector)
    response = get(alice, TILE.format(iid=7), **XHR)  # stock logged alice out: as stock
    assert response.status_code == 403 and not ours(response)
    cached = get(other, "/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32")
    assert cached.status_code == 200 and ours(cached)  # the cached descriptor, pixels from disk

    fake_server.start()
    response = get(other, TILE.format(iid=7))  # the dead client is dropped and the session re-joined
    assert response.status_code == 200 and ours(response), response.content[:300]
    assert fake_server.connections(other_key, 1) == 1  # one live client, the dead one closed
    assert fake_server.connections(alice_key, 0) == 0
    again = Client()
    login(again, "alice", "alice-pw")
    assert get(again, TILE.format(iid=7)).status_code == 200
    text = text_of(logged)
    assert alice_key not in text and other_key not in text
