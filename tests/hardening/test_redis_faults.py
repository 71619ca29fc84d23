"""Redis going away and coming back: the descriptor cache degrades to its in-process tier (and
the catalog's own lookup), session reads fail the way stock OMERO.web's do (no session, so the
stock view answers: login redirect / 403), and everything recovers by itself."""

from __future__ import annotations

import shutil
import subprocess
from importlib import import_module

import pytest

from omero_fast_region.catalog.cache import DescriptorCache, UnsupportedMark
from omero_fast_region.requestcontext import NotLoggedIn, context_for
from omero_fast_region.loopback import free_port, wait_for_port

pytestmark = pytest.mark.integration


class RedisProcess:
    """A redis-server we can stop and start again on the same loopback port."""

    def __init__(self, workdir) -> None:
        self.binary = shutil.which("redis-server")
        self.port, self.workdir, self.proc = free_port(), str(workdir), None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, timeout=10.0)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def redis_proc(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    proc = RedisProcess(tmp_path)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def redis_settings(settings, redis_proc):
    settings.CACHES = {"default": {
        "BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_proc.url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.FAST_REGION = {"catalog": "ice", "standalone": False}
    return settings


def test_the_descriptor_cache_degrades_to_process_memory_and_recovers(redis_settings, redis_proc):
    cache = DescriptorCache(ttl=60)
    cache.put("scope", 1, UnsupportedMark("one"))
    cache.clear_local()
    assert cache.get("scope", 1) == UnsupportedMark("one")  # from Redis

    redis_proc.stop()
    cache.put("scope", 2, UnsupportedMark("two"))  # no exception
    assert cache.get("scope", 2) == UnsupportedMark("two")  # the in-process tier
    cache.clear_local()
    assert cache.get("scope", 2) is None  # a miss: the catalog asks OMERO (Ice) again

    redis_proc.start()  # same port, empty: recovery needs no restart of ours
    cache.put("scope", 3, UnsupportedMark("three"))
    cache.clear_local()
    assert cache.get("scope", 3) == UnsupportedMark("three")


class Request:
    method, path, resolver_match = "GET", "/webgateway/render_image_region/1/0/0/", None

    def __init__(self, session) -> None:
        self.session = session


def test_without_redis_the_session_is_empty_so_the_stock_view_answers_then_recovers(redis_settings, redis_proc):
    engine = import_module(redis_settings.SESSION_ENGINE)
    store = engine.SessionStore()
    store["connector"] = {"omero_session_key": "k" * 36, "server_id": 1, "user_id": 2, "is_public": False}
    store.save()
    key = store.session_key
    assert context_for(Request(engine.SessionStore(key))).user_id == 2

    redis_proc.stop()
    with pytest.raises(NotLoggedIn):  # stock's SessionMiddleware sees the same empty session
        context_for(Request(engine.SessionStore(key)))

    redis_proc.start()  # the session data is gone with the old redis (no persistence): still not logged in
    with pytest.raises(NotLoggedIn):
        context_for(Request(engine.SessionStore(key)))
    store = engine.SessionStore()
    store["connector"] = {"omero_session_key": "k" * 36, "server_id": 1, "user_id": 2}
    store.save()  # a new login works at once
    assert context_for(Request(engine.SessionStore(store.session_key))).user_id == 2
