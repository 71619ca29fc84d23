"""OMERO.web's Django session, read through one Redis connection with server-assisted client caching.

Every render request must know its OMERO session, which OMERO.web keeps in its Django session
(``SESSION_ENGINE = django.contrib.sessions.backends.cache`` on django-redis, omero-web.md §5).
Read the stock way that is one Redis round trip per tile; on a loaded 2-core host the worker
then sleeps while Redis runs on its core, which costs a loaded tile 5–10 % of its CPU and of
the throughput (docs/benchmarks.md, finding 16). Here the same key is read on a RESP3
connection with ``CLIENT TRACKING ON`` (Redis ≥ 6): the first read of a session goes to Redis,
later reads are answered from process memory, and Redis pushes an ``invalidate`` message on that
connection the moment the key is written, deleted (logout) or expires. Every lookup first drains
those messages (one non-blocking poll), so a logged-out session stops working for every
request that starts after the logout was answered, as with the stock read. (Redis sends the push
in the same event-loop pass as the writer's reply, possibly microseconds after it; only a read
racing the logout itself can fall in between, as a stock read already in flight can.) An entry
is also re-read after :data:`MAX_AGE_S` whatever happens, and a dropped connection forgets
everything it was tracking.

Only the standard layout is taken over: the ``cache`` session engine on a django-redis cache with
one server and the default client and connection factory. Anything else (``cached_db``,
Sentinel, several servers, custom pools, a Redis that refuses RESP3 or tracking, Redis down)
answers ``NotImplemented`` and the caller reads ``request.session`` as before, so errors, login
redirects and the Redis-down behaviour stay the stock ones.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import OrderedDict
from typing import Any

from . import metrics

try:  # redis-py's pure-Python read buffer (redis-py 5+); with another, redis-py's own check is used
    from redis._parsers.socket import SocketBuffer
except ImportError:  # pragma: no cover - older redis-py
    SocketBuffer = None

logger = logging.getLogger(__name__)

#: sessions one process remembers (each a key and a few hundred bytes of pickled session)
MAX_SESSIONS = 10_000
#: a remembered session is read again from Redis after this long even without an invalidation
MAX_AGE_S = 60.0
#: the django-redis connection options this reader honours; any other option keeps the stock read
PASSED_OPTIONS = ("username", "password", "socket_timeout", "socket_connect_timeout")

#: Django settings whose change means a new reader (tests, ``override_settings``)
SESSION_SETTINGS = ("CACHES", "SESSION_ENGINE", "SESSION_CACHE_ALIAS")

_UNBUILT: Any = object()


class TrackedRedisValues:
    """Raw values of Redis keys, remembered until Redis says they changed (RESP3 client tracking).

    Thread-safe (one lock around the one connection); built per process, after the fork.
    """

    def __init__(self, connection: Any, max_entries: int = MAX_SESSIONS, max_age_s: float = MAX_AGE_S) -> None:
        self.connection = connection
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self._values: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._poll_for: Any = None  # the socket ``_poller`` watches
        self._poller: Any = None
        connection.register_connect_callback(self._on_connect)

    def _on_connect(self, connection: Any) -> None:
        """Every (re)connection: nothing remembered is trusted any more; ask Redis to track again."""
        self._values.clear()
        connection._parser.set_invalidation_push_handler(self._on_invalidate)
        connection.send_command("CLIENT", "TRACKING", "ON")
        reply = connection.read_response()
        if reply not in (b"OK", "OK"):
            raise ConnectionError(f"CLIENT TRACKING ON answered {reply!r}")

    def _on_invalidate(self, message: list) -> None:
        """``["invalidate", [key, …]]``, or ``["invalidate", None]`` after a flush."""
        keys = message[1] if len(message) > 1 else None
        if not isinstance(keys, list):
            self._values.clear()
            return
        for key in keys:
            self._values.pop(key.decode() if isinstance(key, bytes) else str(key), None)

    def _drain(self) -> None:
        """Apply every invalidation Redis has already sent (no wait when there is none)."""
        while self._pending():
            self.connection.read_response(push_request=True)

    def _pending(self) -> bool:
        """Whether Redis sent something not read yet: bytes in redis-py's read buffer, or on the
        socket (or the socket closed or failed, which the read then reports).

        redis-py's ``can_read(timeout=0)`` answers the same by switching the socket to
        non-blocking and back around a ``recv`` that raises when there is nothing, five system
        calls and an exception on every tile; here it is one ``poll`` without a wait. With
        another parser than redis-py's pure-Python one, redis-py is asked."""
        connection = self.connection
        sock = connection._sock
        buffer = getattr(connection._parser, "_buffer", None)
        if sock is None or SocketBuffer is None or type(buffer) is not SocketBuffer:
            return bool(connection.can_read(timeout=0))
        if buffer.unread_bytes():
            return True
        if self._poll_for is not sock:
            self._poller = select.poll()
            self._poller.register(sock, select.POLLIN)
            self._poll_for = sock
        return bool(self._poller.poll(0))

    def get(self, key: str) -> tuple[bytes | None, bool]:
        """``(value, remembered)`` of ``key`` (value None when absent, remembered False when Redis was
        asked); raises ``redis.RedisError`` when Redis cannot answer."""
        with self._lock:
            try:
                if not self.connection.is_connected:
                    self.connection.connect()
                self._drain()
                entry = self._values.get(key)
                now = time.monotonic()
                if entry is not None and now - entry[0] < self.max_age_s:
                    self._values.move_to_end(key)
                    return entry[1], True
                self.connection.send_command("GET", key)
                value = self.connection.read_response()
            except BaseException:
                self._values.clear()
                self.connection.disconnect()
                raise
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
            return value, False

    def close(self) -> None:
        with self._lock:
            self._values.clear()
            self.connection.disconnect()


class TrackedSessions:
    """Session data of Django's ``cache`` session engine, read through tracked values."""

    def __init__(self, django_cache: Any, values: TrackedRedisValues) -> None:
        self.django_cache = django_cache
        self.values = values
        #: key -> (the raw value it was decoded from, its data): a remembered value is the same
        #: bytes object every time, so it is unpickled once, not per request
        self._decoded: dict[str, tuple[bytes, dict | None]] = {}

    def session(self, session_key: str) -> dict | None:
        """The session's data (a fresh dict per call); None when there is no such session."""
        from django.contrib.sessions.backends.cache import KEY_PREFIX

        key = str(self.django_cache.client.make_key(KEY_PREFIX + session_key))
        raw, remembered = self.values.get(key)
        metrics.cache_access("sessions", remembered)
        if raw is None:
            self._decoded.pop(key, None)
            return None
        entry = self._decoded.get(key)
        if entry is None or entry[0] is not raw:
            data = self.django_cache.client.decode(raw)
            entry = (raw, data if isinstance(data, dict) else None)
            if len(self._decoded) >= self.values.max_entries:
                self._decoded.clear()
            self._decoded[key] = entry
        return dict(entry[1]) if entry[1] is not None else None


def build_tracked_sessions() -> TrackedSessions | None:
    """A reader for this process's session store, or None when it is not the standard layout."""
    from django.conf import settings
    from django.core.cache import caches

    from .config import get_config

    if not get_config().session_tracking or get_config().standalone:
        return None
    if getattr(settings, "SESSION_ENGINE", "") != "django.contrib.sessions.backends.cache":
        return None
    try:
        import redis
        from django_redis.client import DefaultClient
        from django_redis.pool import ConnectionFactory

        django_cache = caches[getattr(settings, "SESSION_CACHE_ALIAS", "default")]
        client = django_cache.client
    except Exception:  # noqa: BLE001 - not django-redis (or not installed): the stock read decides
        return None
    factory = getattr(client, "connection_factory", None)
    if type(client) is not DefaultClient or type(factory) is not ConnectionFactory:
        return None
    if len(client._server) != 1 or factory.pool_cls_kwargs or factory.redis_client_cls_kwargs:
        return None
    params = factory.make_connection_params(client._server[0])
    kwargs = {name: params[name] for name in PASSED_OPTIONS if name in params}
    try:
        pool = redis.ConnectionPool.from_url(params["url"], protocol=3, **kwargs)
        connection = pool.make_connection()
        if not hasattr(connection, "_parser") or not hasattr(connection._parser, "set_invalidation_push_handler"):
            return None
    except Exception as exc:  # noqa: BLE001 - an URL or option this redis-py cannot speak RESP3 with
        logger.info("session reads stay on request.session: %s", exc)
        return None
    return TrackedSessions(django_cache, TrackedRedisValues(connection))


class PerProcessReader:
    """The reader, built lazily once per process (after gunicorn's fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader: Any = _UNBUILT
        self._pid = 0

    def get(self) -> TrackedSessions | None:
        if self._reader is _UNBUILT or self._pid != os.getpid():
            with self._lock:
                if self._reader is _UNBUILT or self._pid != os.getpid():
                    self._reader = build_tracked_sessions()
                    self._pid = os.getpid()
        return self._reader

    def refuse(self, reason: Exception) -> None:
        """Redis answered but refused RESP3 or tracking (an old server, a proxy): stock reads from now on."""
        logger.warning("Redis refused client tracking (%s); sessions are read per request as stock", reason)
        with self._lock:
            reader, self._reader = self._reader, None
        if isinstance(reader, TrackedSessions):
            reader.values.close()

    def reset(self) -> None:
        """Forget the reader (settings changed, tests); the next request builds a new one."""
        with self._lock:
            reader, self._reader = self._reader, _UNBUILT
        if isinstance(reader, TrackedSessions) and self._pid == os.getpid():
            reader.values.close()


READER = PerProcessReader()


def session_value(request: Any, name: str) -> Any:
    """``request.session.get(name)``, read through the tracked copy when it can answer, else the stock way."""
    data = _tracked_session(request)
    if data is NotImplemented:
        session = getattr(request, "session", None)
        return session.get(name) if session is not None else None
    return data.get(name) if data is not None else None


def _tracked_session(request: Any) -> Any:
    """The request's session data through the tracked reader (None: no such session).

    ``NotImplemented`` means "read ``request.session`` the stock way": not the standard layout,
    no plausible session key, or Redis could not answer.
    """
    reader = READER.get()
    session = getattr(request, "session", None)
    if reader is None or session is None:
        return NotImplemented
    session_key = getattr(session, "session_key", None)  # the cookie's key; reading it loads nothing
    if not isinstance(session_key, str) or len(session_key) < 8:  # Django's own _validate_session_key
        return NotImplemented
    try:
        data = reader.session(session_key)
    except Exception as exc:  # noqa: BLE001 - Redis down or a protocol surprise: the stock read decides
        if _is_refusal(exc):
            READER.refuse(exc)
        else:
            logger.debug("tracked session read failed, reading request.session: %s", exc)
        return NotImplemented
    session.accessed = True  # SessionMiddleware then adds "Vary: Cookie", as after a stock read
    return data


def _is_refusal(exc: Exception) -> bool:
    """An error reply to HELLO 3 or CLIENT TRACKING (the server is up but will not track)."""
    try:
        from redis.exceptions import ResponseError
    except ImportError:
        return False
    return isinstance(exc, ResponseError) or "HELLO" in str(exc) or "TRACKING" in str(exc)
