"""OMERO.web sessions read through the tracked Redis connection (``omero_fast_region.sessions``).

Real ``redis-server`` processes: the first read of a session goes to Redis, later reads make no
Redis call, and every change Redis sees (logout, a new login in the same session, deletion,
expiry, a flush, a restart) is seen by the very next request, as with the stock per-request read.
"""

from __future__ import annotations

import threading
import time
from importlib import import_module

import pytest
import redis

from omero_fast_region import metrics
from omero_fast_region.requestcontext import NotLoggedIn, context_for
from omero_fast_region.sessions import READER, TrackedSessions

from .test_redis_faults import Request, redis_proc, redis_settings  # noqa: F401  (fixtures)

pytestmark = pytest.mark.integration

ALICE = {"omero_session_key": "a" * 36, "server_id": 1, "user_id": 2, "is_public": False}
BOB = {"omero_session_key": "b" * 36, "server_id": 1, "user_id": 3, "is_public": False}


@pytest.fixture
def engine(redis_settings):
    READER.reset()
    yield import_module(redis_settings.SESSION_ENGINE)
    READER.reset()


def saved_session(engine, connector: dict):
    store = engine.SessionStore()
    store["connector"] = connector
    store.save()
    return store


def user_of(engine, session_key: str) -> int | None:
    """What our views see for a request carrying this session cookie (a fresh store, as per request)."""
    return context_for(Request(engine.SessionStore(session_key))).user_id


def after_the_answer() -> None:
    """What separates a write from a browser's next request: the write's answer travelling back.

    Redis queues the ``invalidate`` push to our connection while it runs the write, but it may
    send the writer's reply a few microseconds before that push (both go out in the same event
    loop pass). A request that starts after the logout's HTTP answer is far later than that;
    reading in the same thread the instant the reply arrives is not, so tests wait 10 ms.
    """
    time.sleep(0.01)


def redis_gets(redis_proc) -> int:
    stats = redis.Redis.from_url(redis_proc.url).info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


def test_only_the_first_request_of_a_session_reads_redis(engine, redis_proc):
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2
    assert isinstance(READER.get(), TrackedSessions)
    before = redis_gets(redis_proc)
    for _ in range(20):
        assert user_of(engine, store.session_key) == 2
    assert redis_gets(redis_proc) == before
    ratios = {labels["cache"]: ratio for labels, ratio in metrics.cache_hit_ratios()}
    assert ratios["sessions"] > 0.5  # published for operators (the counters are per process, shared by tests)


def test_a_remembered_session_is_unpickled_once_and_each_caller_gets_its_own_dict(engine, monkeypatch):
    store = saved_session(engine, ALICE)
    key = store.session_key
    assert user_of(engine, key) == 2
    reader = READER.get()
    client = reader.django_cache.client
    decoded = []
    original = client.decode
    monkeypatch.setattr(client, "decode", lambda raw: decoded.append(raw) or original(raw))
    first = reader.session(key)
    first["connector"] = BOB  # a caller's change stays its own
    assert [reader.session(key)["connector"]["user_id"] for _ in range(5)] == [2] * 5
    assert decoded == []  # decoded when first read, not per request
    web = engine.SessionStore(key)
    web["connector"] = BOB  # a new login: new bytes, decoded again
    web.save()  # (Django's own store decodes too)
    after_the_answer()
    before = len(decoded)
    assert user_of(engine, key) == 3 and user_of(engine, key) == 3
    assert len(decoded) == before + 1


def test_other_session_values_come_from_the_same_tracked_copy(engine, redis_proc):
    from omero_fast_region.views.endpoint import session_setting

    store = engine.SessionStore()
    store["connector"] = ALICE
    store["server_settings"] = {"viewer": {"initial_zoom_level": 2}}
    store.save()
    assert user_of(engine, store.session_key) == 2
    before = redis_gets(redis_proc)
    request = Request(engine.SessionStore(store.session_key))
    assert session_setting(request, 0, "viewer", "initial_zoom_level") == 2  # what imgData reads
    assert redis_gets(redis_proc) == before


def test_a_read_marks_the_session_accessed_so_responses_vary_on_cookie(engine):
    store = saved_session(engine, ALICE)
    request = Request(engine.SessionStore(store.session_key))
    context_for(request)
    assert request.session.accessed is True


def test_logout_is_seen_by_the_next_request(engine):
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2
    assert user_of(engine, store.session_key) == 2  # now answered from the tracked copy
    web = engine.SessionStore(store.session_key)  # what webclient's logout does
    web.pop("connector")
    web.save()
    after_the_answer()
    with pytest.raises(NotLoggedIn):
        user_of(engine, store.session_key)


@pytest.mark.parametrize("already_read", [False, True], ids=["on the socket", "in redis-py's buffer"])
def test_the_invalidation_is_found_by_one_poll_wherever_it_waits(engine, monkeypatch, already_read):
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2
    values = READER.get().values
    connection = values.connection

    asked = []  # redis-py's can_read switches the socket to non-blocking and back around a recv
    can_read = connection.can_read
    monkeypatch.setattr(connection, "can_read", lambda *args, **kwargs: asked.append(args) or can_read(*args, **kwargs))
    assert user_of(engine, store.session_key) == 2  # nothing waiting: answered from the tracked copy
    web = engine.SessionStore(store.session_key)
    web.pop("connector")
    web.save()
    after_the_answer()
    if already_read:  # the push read off the socket with an earlier reply, not yet parsed
        assert connection._parser._buffer._read_from_socket(timeout=1.0, raise_on_timeout=False)
        assert connection._parser._buffer.unread_bytes() > 0
    with pytest.raises(NotLoggedIn):
        user_of(engine, store.session_key)
    assert asked == [] and READER.get().values is values  # one tracked copy throughout, polled


def test_a_flushed_session_and_a_flushed_database_are_seen_at_once(engine, redis_proc):
    one, two = saved_session(engine, ALICE), saved_session(engine, BOB)
    assert (user_of(engine, one.session_key), user_of(engine, two.session_key)) == (2, 3)
    engine.SessionStore(one.session_key).flush()  # Redis DEL
    after_the_answer()
    with pytest.raises(NotLoggedIn):
        user_of(engine, one.session_key)
    assert user_of(engine, two.session_key) == 3
    redis.Redis.from_url(redis_proc.url).flushdb()  # "invalidate" with no keys: forget everything
    after_the_answer()
    with pytest.raises(NotLoggedIn):
        user_of(engine, two.session_key)


def test_a_new_login_in_the_same_session_is_seen_at_once(engine):
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2
    web = engine.SessionStore(store.session_key)
    web["connector"] = BOB
    web.save()
    after_the_answer()
    assert user_of(engine, store.session_key) == 3


def test_an_expired_session_stops_working(engine):
    store = engine.SessionStore()
    store["connector"] = ALICE
    store.set_expiry(1)
    store.save()
    assert user_of(engine, store.session_key) == 2
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        try:
            user_of(engine, store.session_key)
        except NotLoggedIn:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a session Redis expired was still answered 4 s after its expiry")


def test_redis_down_reads_like_stock_and_a_restart_forgets_everything(engine, redis_proc):
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2
    redis_proc.stop()
    with pytest.raises(NotLoggedIn):  # the tracked copy is not served from a dead connection
        user_of(engine, store.session_key)
    redis_proc.start()  # empty again (no persistence)
    with pytest.raises(NotLoggedIn):
        user_of(engine, store.session_key)
    again = saved_session(engine, BOB)
    assert user_of(engine, again.session_key) == 3
    assert isinstance(READER.get(), TrackedSessions)  # still tracking after the reconnection


def test_a_redis_that_refuses_tracking_falls_back_to_the_stock_read(engine, redis_proc):
    redis.Redis.from_url(redis_proc.url).execute_command("ACL", "SETUSER", "default", "-client")
    store = saved_session(engine, ALICE)
    assert user_of(engine, store.session_key) == 2  # the stock read answered
    assert READER.get() is None  # and is used from now on, without trying again per request
    before = redis_gets(redis_proc)
    assert user_of(engine, store.session_key) == 2
    assert redis_gets(redis_proc) == before + 1


def test_the_setting_turns_tracking_off(redis_settings, redis_proc):
    redis_settings.FAST_REGION = {**redis_settings.FAST_REGION, "session_tracking": "false"}
    engine = import_module(redis_settings.SESSION_ENGINE)
    store = saved_session(engine, ALICE)
    before = redis_gets(redis_proc)
    for _ in range(3):
        assert user_of(engine, store.session_key) == 2
    assert READER.get() is None
    assert redis_gets(redis_proc) == before + 3


def test_other_session_engines_keep_the_stock_read(settings, redis_settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    assert READER.get() is None


def test_threads_share_one_tracked_copy_and_see_a_logout(engine):
    store = saved_session(engine, ALICE)
    seen: list[int | None] = []
    errors: list[BaseException] = []

    def read_many() -> None:
        try:
            for _ in range(50):
                seen.append(user_of(engine, store.session_key))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and seen == [2] * 200
    engine.SessionStore(store.session_key).flush()
    after_the_answer()
    with pytest.raises(NotLoggedIn):
        user_of(engine, store.session_key)
