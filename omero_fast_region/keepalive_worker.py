"""A gunicorn worker class: the sync worker's single thread, with HTTP keep-alive.

gunicorn's ``sync`` worker closes the connection after every response, so each tile costs a TCP
connection: accept, a socket, the close, and on the client's side a handshake. Its keep-alive
worker, ``gthread``, pays instead in threads: a hand-off to a pool and back per request and a GIL
shared with the render, which made a tile cost more CPU than the connection it saves
(docs/benchmarks.md, findings 4 and 23; this worker: findings 24 and 25). This worker keeps the sync worker's model (one thread, one
request at a time, the render never shares the GIL) and keeps connections open between requests:

* one selector holds the listening sockets and every open client connection; whichever is
  readable first is served next, so an idle kept connection costs a file descriptor and nothing
  else, and never holds the worker (a sync worker waiting on a kept connection would);
* a kept connection stays with the worker that accepted it, so the workers keep their queues
  (their connections with a request waiting) on a small board in memory they share
  (:class:`QueueBoard`) and join the shortest queue: when an answer is ready while another
  worker's queue is shorter by more than one (an idle worker's is empty), that answer closes its
  connection (``Connection: close``), and a worker with requests waiting leaves a new connection
  in the shared accept queue to a worker with a shorter queue. Clients spread over the workers
  instead of queueing behind one, and while the queues are even they keep their connections
  (findings 24, 25);
* ready connections are answered one per turn of the loop, the one answered least recently
  first (a client that asks again at once does not go ahead of one that has been waiting: the
  selector's own order can put it back in front);
* a connection is read only once it is readable, so a client that connects and sends nothing
  does not block the worker as it blocks a sync worker until the arbiter's timeout;
* a connection is kept while the client asks for it (HTTP/1.1, or 1.0 with ``keep-alive``) and
  the response allows it, at most ``keepalive`` seconds idle (gunicorn's setting, default 2;
  0 closes after every response, exactly as ``sync``) and at most ``worker_connections`` per
  worker; pipelined bytes already read are served without waiting for the socket;
* ``max_requests``, graceful stop, the access log, ``pre_request``/``post_request`` hooks and
  error pages are gunicorn's own (the request is run by :meth:`handle_request`, which follows
  ``SyncWorker.handle_request`` apart from the connection decision).

As with ``sync``, a client that stalls in the middle of a request holds the worker until it
sends more or the arbiter's ``timeout`` restarts it: put nginx (or another buffering proxy) in
front, as gunicorn recommends for sync workers. TLS connections are served one request each.

Use it with ``--worker-class omero_fast_region.keepalive_worker.KeepAliveWorker`` (``serve``
does by default; inside OMERO.web, whose ``omero web start`` accepts only ``sync`` or ``gevent``
as ``omero.web.wsgi_worker_class``, through ``omero.web.wsgi_args``: docs/install.md). On
OMERO.web's Django handler it installs the hosted front (:mod:`.hosted_front`).
"""

from __future__ import annotations

import errno
import mmap
import os
import selectors
import socket
import ssl
import sys
import time
from collections import OrderedDict
from datetime import datetime
from itertools import compress
from operator import attrgetter
from typing import Any

from gunicorn import http, sock, util
from gunicorn.http import wsgi
from gunicorn.workers.sync import SyncWorker

from .gunicorn_lean import cache_http_date, lean_access, lean_requests, send_headers_with_body

#: how long a new connection may take to send its first request, and a body the application left
#: unread to drain, before the connection is closed
DATA_TIMEOUT_S = 5.0

_PIPE = object()  # the selector key data of the arbiter's wake-up pipe
_ANSWERED_AT = attrgetter("answered_at")


class QueueBoard:
    """Each worker's queue (its connections with a request waiting), in memory all of an arbiter's workers share.

    The arbiter imports this module before it forks a worker, so the anonymous shared mapping
    made at import is the same memory in all of them. A worker writes only its own slot (its
    ``age`` modulo :data:`SLOTS`): its queue and the monotonic time it said so, 0 waiting for
    work; it rewrites the slot every turn of its loop, at least every half ``timeout``. A slot
    older than ``stale_s`` (the arbiter's timeout) is a worker that is gone and does not count.
    """

    SLOTS = 64

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, self.SLOTS * 2 * 8)
        self._cells = memoryview(self._memory).cast("d")  # [stamp, queue] per slot

    def publish(self, slot: int, queue: int, now: float) -> None:
        """Worker ``slot`` has ``queue`` connections with a request waiting, at ``now`` (``time.monotonic()``)."""
        at = 2 * (slot % self.SLOTS)
        self._cells[at + 1] = queue
        self._cells[at] = now

    def leave(self, slot: int) -> None:
        self._cells[2 * (slot % self.SLOTS)] = 0.0

    def shortest_other(self, slot: int, now: float, stale_s: float) -> float | None:
        """The shortest queue of the other live workers (None: no other worker)."""
        fresh_after = max(0.0, now - stale_s)
        cells = self._cells.tolist()
        stamps = cells[0::2]
        stamps[slot % self.SLOTS] = 0.0  # not its own
        return min(compress(cells[1::2], map(fresh_after.__lt__, stamps)), default=None)


#: the board of this arbiter's workers (made in the arbiter, which imports the worker class before forking)
QUEUE_BOARD = QueueBoard()


class _Connection:
    """One accepted client connection and its request parser (which buffers read-ahead bytes)."""

    __slots__ = ("client", "addr", "server", "parser", "idle_until", "answered_at")

    def __init__(self, client: socket.socket, addr: Any, server: Any) -> None:
        self.client = client
        self.addr = addr
        self.server = server  # the listening address, as gunicorn's environ wants it
        self.parser: Any = None
        self.idle_until = 0.0
        self.answered_at = time.monotonic()  # accepted, then each answer: the turn order

    def buffered(self) -> bool:
        """Whether bytes of a next request were already read (pipelining, a drained body)."""
        return bool(self.parser is not None and self.parser.unreader.buf.getvalue())


class KeepAliveWorker(SyncWorker):
    """gunicorn's sync worker with keep-alive connections, served from one selector (see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._selector: selectors.BaseSelector | None = None
        #: open client connections by file descriptor, least recently active first
        self._open: OrderedDict[int, _Connection] = OrderedDict()
        self._keepalive = float(self.cfg.keepalive or 0) if not self.cfg.is_ssl else 0.0
        self._max_open = max(1, int(self.cfg.worker_connections))
        if self._keepalive and not hasattr(http.parser.Parser, "finish_body"):
            # gunicorn < 23 cannot drain an unread body without waiting for the next request
            self.log.warning("this gunicorn is too old for kept connections; closing after every response")
            self._keepalive = 0.0
        self._access = self.log.access
        #: the arbiter's heartbeat (a ``utime`` of the worker's file) is written at most this often,
        #: not every turn of the loop: the arbiter only asks whether it is older than ``timeout``
        self._heartbeat_s = min(1.0, (self.timeout or 2.0) / 4.0)
        self._next_heartbeat = 0.0

    def init_process(self) -> None:
        # in the worker process only: the access line and the Date header without the work
        # whose result is thrown away (gunicorn_lean)
        cache_http_date()
        self._access = lean_access(self.log, self.cfg.access_log_format)
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        if getattr(self, "wsgi", None) is not None and "django" in sys.modules:
            from .hosted_front import HostedFront, front_for  # the render URLs' cycle replayed

            self.wsgi = front_for(self.wsgi)  # OMERO.web's handler, if get_wsgi_application() left it bare
            if isinstance(self.wsgi, HostedFront):
                self.log.info("render URLs answered through the hosted front (omero_fast_region.hosted_front)")

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        if "h2" in getattr(self.cfg, "http_protocols", ()):
            self.log.warning("HTTP/2 is not supported by the keep-alive worker; serving HTTP/1.1 only.")
        timeout = self.timeout or 0.5
        selector = self._selector = selectors.DefaultSelector()
        for listener in self.sockets:
            listener.setblocking(False)
            selector.register(listener, selectors.EVENT_READ, listener)
        selector.register(self.PIPE[0], selectors.EVENT_READ, _PIPE)
        try:
            while self.alive:
                now = time.monotonic()
                if now >= self._next_heartbeat:
                    self.notify()
                    self._next_heartbeat = now + self._heartbeat_s
                QUEUE_BOARD.publish(self.age, 0, now)
                try:
                    events = selector.select(self._wait_s(timeout))
                except OSError as exc:
                    if exc.errno != errno.EINTR:
                        raise
                    continue
                waiting = [key.data for key, _ in events if isinstance(key.data, _Connection)]
                QUEUE_BOARD.publish(self.age, len(waiting), time.monotonic())
                for key, _ in events:
                    if key.data is _PIPE:
                        os.read(self.PIPE[0], 1)
                    elif not isinstance(key.data, _Connection) and not self._shorter_elsewhere(len(waiting)):
                        self._accept(key.data)  # (else a worker with a shorter queue takes it)
                if waiting and self.alive:
                    # one per turn, the least recently answered first: the others are asked again
                    self._serve(min(waiting, key=_ANSWERED_AT))
                self._close_idle(time.monotonic(), waiting)
                if not self.is_parent_alive():
                    return
        finally:
            QUEUE_BOARD.leave(self.age)
            for conn in list(self._open.values()):
                self._close(conn)
            selector.close()

    def _wait_s(self, timeout: float) -> float:
        """How long the selector may sleep: the notify interval, or until the oldest idle connection expires."""
        wait = timeout / 2.0
        if self._open:
            oldest = next(iter(self._open.values()))
            wait = min(wait, max(0.0, oldest.idle_until - time.monotonic()))
        return wait

    def _accept(self, listener: Any) -> None:
        try:
            client, addr = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return  # another worker took it
            raise
        client.setblocking(True)
        util.close_on_exec(client)
        conn = _Connection(client, addr, listener.getsockname())
        self._open[client.fileno()] = conn
        conn.idle_until = time.monotonic() + max(self._keepalive, DATA_TIMEOUT_S)
        assert self._selector is not None
        self._selector.register(client, selectors.EVENT_READ, conn)

    def _close_idle(self, now: float, waiting: list[_Connection] | tuple = ()) -> None:
        """Close the connections idle past their time, from the least recently active; one with a
        request waiting is kept (it is answered next: the least recently answered goes first)."""
        expired = []
        for conn in self._open.values():
            if conn.idle_until > now:
                break
            expired.append(conn)
        for conn in expired:
            if conn not in waiting:
                self._close(conn)

    def _close(self, conn: _Connection) -> None:
        fd = conn.client.fileno()
        if fd >= 0 and self._open.pop(fd, None) is not None and self._selector is not None:
            self._selector.unregister(conn.client)
        util.close_graceful(conn.client)

    # -- one connection --------------------------------------------------------------------

    def _serve(self, conn: _Connection) -> None:
        """Answer the request(s) waiting on ``conn``; keep it open after if both sides allow."""
        keep = self._answer(conn)
        while keep and self.alive and conn.buffered():
            keep = self._answer(conn)
        if keep and self.alive:
            conn.answered_at = time.monotonic()
            conn.idle_until = conn.answered_at + self._keepalive
            self._open.move_to_end(conn.client.fileno())
        else:
            self._close(conn)

    def _contended(self, conn: _Connection) -> bool:
        """Whether the client of ``conn`` would wait less at another worker than behind this one's queue.

        A kept connection stays with the worker that accepted it; when another worker's queue is
        shorter by more than one, this answer sends its client back through the shared accept
        queue (``Connection: close``), which that worker takes from. Between even queues, moving
        a client gains nothing and the connection is kept. The board is read first: the selector
        is asked how many connections wait here only when another worker's queue is short enough
        for the answer to matter.
        """
        most_behind = len(self._open) - 1  # this worker's queue is ``behind`` + 1, ``behind`` <= this
        if most_behind < 1:
            return False
        shortest = self._shortest_other()
        if shortest is None or shortest >= most_behind:
            return False
        assert self._selector is not None
        behind = sum(1 for key, _ in self._selector.select(0) if isinstance(key.data, _Connection) and key.data is not conn)
        return shortest < behind  # shorter by more than one

    def _shorter_elsewhere(self, queue: int) -> bool:
        """Whether another live worker's queue is shorter than ``queue``."""
        if not queue:
            return False
        shortest = self._shortest_other()
        return shortest is not None and shortest < queue

    def _shortest_other(self) -> float | None:
        return QUEUE_BOARD.shortest_other(self.age, time.monotonic(), float(self.timeout or 30))

    def _answer(self, conn: _Connection) -> bool:
        """One request on ``conn`` (the sync worker's ``handle``, minus the close); True: keep it open."""
        req = None
        try:
            if conn.parser is None:
                if self.cfg.is_ssl:
                    conn.client = sock.ssl_wrap_socket(conn.client, self.cfg)
                conn.parser = lean_requests(http.get_parser(self.cfg, conn.client, conn.addr))
            req = next(conn.parser)
            if not self.handle_request(conn, req):
                return False
            return bool(conn.parser.finish_body(deadline=time.monotonic() + DATA_TIMEOUT_S))
        except http.errors.NoMoreData as exc:
            self.log.debug("Ignored premature client disconnection. %s", exc)
        except StopIteration as exc:
            self.log.debug("Closing connection. %s", exc)
        except ssl.SSLError as exc:
            if exc.args[0] != ssl.SSL_ERROR_EOF:
                self.log.debug("Error processing SSL request.")
                self.handle_error(req, conn.client, conn.addr, exc)
        except OSError as exc:
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
            else:
                self.log.debug("Ignoring %s", errno.errorcode.get(exc.errno or 0, exc))
        except BaseException as exc:  # noqa: BLE001 - gunicorn's own error page, as the sync worker
            self.handle_error(req, conn.client, conn.addr, exc)
        return False

    def handle_request(self, conn: _Connection, req: Any) -> bool:  # type: ignore[override]
        """Run the WSGI application for ``req``; True when the connection may serve another request."""
        environ: dict = {}
        resp = None
        try:
            self.cfg.pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, conn.client, conn.addr, conn.server, self.cfg)
            send_headers_with_body(resp)
            self.nr += 1
            if self.nr >= self.max_requests:
                if self.alive:
                    self.log.info("Autorestarting worker after current request.")
                self.alive = False
            if not self.alive or not self._keepalive or len(self._open) > self._max_open:
                resp.force_close()
            respiter = self.wsgi(environ, resp.start_response)
            if not resp.headers_sent and not resp.should_close() and self._contended(conn):  # once the answer is ready
                resp.force_close()
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)
                resp.close()
            finally:
                self._access(resp, req, environ, datetime.now() - request_start)
                if hasattr(respiter, "close"):
                    respiter.close()
            return not resp.should_close()
        except OSError:
            util.reraise(*sys.exc_info())
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # the response has started: a 500 on the same socket would corrupt it
                self.log.exception("Error handling request")
                raise StopIteration()
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:  # noqa: BLE001 - as gunicorn's workers
                self.log.exception("Exception in post_request hook")
        return False  # not reached: every path above returns or raises
