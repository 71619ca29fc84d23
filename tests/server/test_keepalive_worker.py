"""``serve``'s gunicorn worker (``keepalive_worker.KeepAliveWorker``), in real gunicorn on loopback.

Raw sockets, so what is asserted is what goes over the wire: which responses keep the connection,
when the server closes it, and that a kept (or silent) connection never stops the worker serving
others. The application is ``keepalive_app``: it answers with its path and the worker's pid.
"""

from __future__ import annotations

import email.utils
import os
import select
import signal
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from omero_fast_region.cli import KEEPALIVE_WORKER, gunicorn_argv
from omero_fast_region.keepalive_worker import QueueBoard
from omero_fast_region.loopback import free_port, wait_for_port
from tests.server import keepalive_app

REPO = Path(__file__).resolve().parents[2]


class Gunicorn:
    """gunicorn with the keep-alive worker serving ``keepalive_app``; extra command-line options."""

    def __init__(self, *options: str, workers: int = 1) -> None:
        self.port = free_port()
        self.argv = [sys.executable, "-m", "gunicorn", "tests.server.keepalive_app:application",
                     "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--worker-class", KEEPALIVE_WORKER,
                     "--no-control-socket", "--timeout", "30", *options]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self.proc = subprocess.Popen(self.argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_for_port(self.port, self.proc)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()  # type: ignore[union-attr]

    def connect(self) -> "Client":
        return Client(socket.create_connection(("127.0.0.1", self.port), timeout=10))


class Client:
    """One client connection; reads whole responses (Content-Length bodies)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def send(self, raw: bytes) -> None:
        self.sock.sendall(raw)

    def get(self, path: str, headers: str = "", version: str = "1.1") -> tuple[int, dict[str, str], bytes]:
        self.send(f"GET {path} HTTP/{version}\r\nHost: t\r\n{headers}\r\n".encode())
        return self.response()

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return int(lines[0].split()[1]), headers, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buf += chunk

    def closed_by_server(self, within: float = 5.0) -> bool:
        """Whether the server closes the connection (EOF) within ``within`` seconds, sending nothing more."""
        self.sock.settimeout(within)
        try:
            return self.sock.recv(1) == b""
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def server():
    with Gunicorn("--keep-alive", "5") as running:
        yield running


def test_serve_runs_the_keepalive_worker_unless_keepalive_is_zero_or_threads_are_asked():
    assert gunicorn_argv("127.0.0.1:1", 2, 1)[-2:] == ["--worker-class", KEEPALIVE_WORKER]
    plain = gunicorn_argv("127.0.0.1:1", 2, 1, keepalive=0)
    assert "--worker-class" not in plain and plain[plain.index("--keep-alive") + 1] == "0"  # gunicorn's sync
    assert gunicorn_argv("127.0.0.1:1", 2, 4)[-4:] == ["--worker-class", "gthread", "--threads", "4"]


def test_one_connection_serves_many_requests(server):
    client = server.connect()
    answers = [client.get(f"/tile/{i}") for i in range(20)]
    client.close()
    assert [status for status, _, _ in answers] == [200] * 20
    assert [body.split()[0] for _, _, body in answers] == [f"/tile/{i}".encode() for i in range(20)]
    assert all(headers.get("connection", "keep-alive").lower() != "close" for _, headers, _ in answers)


@pytest.mark.parametrize("path, expected", [
    ("/big", keepalive_app.BIG_BODY),  # more than the socket buffers hold
    ("/file", Path(keepalive_app.__file__).read_bytes()),  # sent with sendfile(2)
])
def test_large_and_sendfile_bodies_arrive_whole_after_their_headers_and_keep_the_connection(server, path, expected):
    client = server.connect()
    answers = [client.get(path) for _ in range(3)] + [client.get("/after")]
    client.close()
    assert [(status, body) for status, _, body in answers[:3]] == [(200, expected)] * 3
    assert answers[3][2].startswith(b"/after ")


def test_a_chunked_response_and_a_head_response_are_framed_right(server):
    client = server.connect()
    client.send(b"GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n")
    while b"0\r\n\r\n" not in client.buf:
        client._fill()
    head, _, chunks = client.buf.partition(b"\r\n\r\n")
    client.buf = b""
    assert b"transfer-encoding: chunked" in head.lower()
    assert chunks == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
    client.send(b"HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
    while b"\r\n\r\n" not in client.buf:
        client._fill()
    head, _, rest = client.buf.partition(b"\r\n\r\n")
    client.buf = rest
    assert head.startswith(b"HTTP/1.1 200") and rest == b""  # headers, no body
    assert client.get("/next")[2].startswith(b"/next ")  # and the connection still frames right
    client.close()


@pytest.mark.parametrize("fmt, tail", [
    ('%(h)s "%(r)s" %(s)s %(b)s "%(a)s"', ""),  # plain atoms only: gunicorn_lean's path
    ('%(h)s "%(r)s" %(s)s %(b)s "%(a)s" %({x-tag}i)s', " t{i}"),  # a header atom: gunicorn's own path
])
def test_each_request_has_gunicorns_access_line_and_each_response_a_date(tmp_path, fmt, tail):
    log = tmp_path / "access.log"
    with Gunicorn("--access-logfile", str(log), "--access-logformat", fmt) as running:
        client = running.connect()
        answers = [client.get(f"/tile/{i}", headers=f"User-Agent: v\"1\r\nX-Tag: t{i}\r\n") for i in range(3)]
        answers.append(client.get("/chunked"))
        client.close()
        deadline = time.monotonic() + 5
        while len(log.read_text().splitlines()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    lines = log.read_text().splitlines()
    length = len(answers[0][2])
    assert lines[:3] == [f'127.0.0.1 "GET /tile/{i} HTTP/1.1" 200 {length} "v\\"1"' + tail.format(i=i) for i in range(3)]
    assert len(lines) == 4 and lines[3].startswith('127.0.0.1 "GET /chunked HTTP/1.1" 200 ')
    for _, headers, _ in answers:
        assert abs(email.utils.parsedate_to_datetime(headers["date"]).timestamp() - time.time()) < 60


def test_pipelined_requests_are_all_answered_in_order(server):
    client = server.connect()
    client.send(b"".join(f"GET /p/{i} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for i in range(5)))
    bodies = [client.response()[2].split()[0] for _ in range(5)]
    client.close()
    assert bodies == [f"/p/{i}".encode() for i in range(5)]


@pytest.mark.parametrize("request_line, headers", [
    ("1.1", "Connection: close\r\n"),  # the client says so
    ("1.0", ""),  # HTTP/1.0 without keep-alive
])
def test_the_client_closing_is_honoured(server, request_line, headers):
    client = server.connect()
    status, response_headers, _ = client.get("/x", headers, version=request_line)
    assert status == 200 and response_headers["connection"].lower() == "close"
    assert client.closed_by_server(within=2)
    client.close()


def test_http10_keepalive_is_kept(server):
    client = server.connect()
    first = client.get("/a", "Connection: keep-alive\r\n", version="1.0")
    second = client.get("/b", "Connection: keep-alive\r\n", version="1.0")
    client.close()
    assert (first[0], second[0]) == (200, 200) and second[2].startswith(b"/b")


def test_an_idle_or_silent_connection_does_not_hold_the_only_worker(server):
    kept = server.connect()
    assert kept.get("/kept")[0] == 200  # now idle, kept open
    silent = server.connect()  # connects and sends nothing (a sync worker would wait on it)
    other = server.connect()
    status, _, body = other.get("/other")
    assert status == 200 and body.startswith(b"/other")
    assert kept.get("/kept-again")[0] == 200  # the kept one still works after the others
    for client in (kept, silent, other):
        client.close()


def _answer_behind_a_slow_one(first: Client, second: Client) -> list[bool]:
    """``first`` asks for /slow, ``second`` asks right after (on the same worker it waits): which answers close."""
    first.send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.05)
    second.send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")  # waits while the first is answered
    return [client.response()[1].get("connection", "").lower() == "close" for client in (first, second)]


def test_a_connection_that_waited_behind_another_is_kept_when_no_other_worker_is_idle(server):
    first, second = server.connect(), server.connect()
    for client in (first, second):
        assert client.get("/warm")[0] == 200  # both kept by the only worker
    # the first answer saw the second waiting, but no other worker could take either client
    assert _answer_behind_a_slow_one(first, second) == [False, False]
    assert first.get("/still-kept")[0] == 200 and second.get("/still-kept")[0] == 200
    first.close()
    second.close()


def _two_on_one_worker(running: Gunicorn) -> tuple[list[Client], Client]:
    """Two kept connections on one of the two workers, and one on the other worker."""
    by_pid: dict[bytes, list[Client]] = {}
    for _ in range(3):  # three connections, two workers: one worker holds two
        client = running.connect()
        by_pid.setdefault(client.get("/w")[2].split()[1], []).append(client)
    pair = next(clients for clients in by_pid.values() if len(clients) >= 2)
    pair[0].send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")  # that worker is busy: the next one goes to the other
    time.sleep(0.05)
    other = running.connect()
    other_pid = other.get("/w")[2].split()[1]
    assert pair[0].response()[0] == 200
    assert other_pid not in (pid for pid, clients in by_pid.items() if clients is pair)
    return pair[:2], other


def test_a_connection_that_waited_behind_another_goes_back_to_the_accept_queue_while_another_worker_is_idle():
    with Gunicorn("--keep-alive", "5", workers=2) as running:
        (first, second), other = _two_on_one_worker(running)
        # the first answer saw the second waiting while the other worker was idle: that client goes
        # back through the accept queue, where the idle worker takes it; the second had nobody behind it
        assert _answer_behind_a_slow_one(first, second) == [True, False]
        assert first.closed_by_server(within=2)
        assert second.get("/still-kept")[0] == 200


def test_a_client_that_always_has_a_request_waiting_does_not_starve_another(server):
    """One client writes its next request while the previous one is being answered, so it has a
    request waiting every time the worker looks; another client's single request is answered in
    its turn, not after the first client stops (the selector's own order would put the first
    client back in front every time) nor by closing its connection as idle."""
    eager, other = server.connect(), server.connect()
    request = b"GET /slow?0.03 HTTP/1.1\r\nHost: t\r\n\r\n"
    eager.send(request)
    started, waited = time.monotonic(), None
    for turn in range(60):
        time.sleep(0.005)  # the worker is inside the previous request: this one waits in the socket
        eager.send(request)
        assert eager.response()[0] == 200
        if turn == 5:
            other.send(b"GET /mine HTTP/1.1\r\nHost: t\r\n\r\n")
            asked = time.monotonic()
        if turn > 5 and waited is None and select.select([other.sock], [], [], 0)[0]:
            waited = time.monotonic() - asked
    assert eager.response()[0] == 200
    status, _, body = other.response()
    assert status == 200 and body.startswith(b"/mine")
    assert waited is not None and waited < 0.5, (waited, time.monotonic() - started)


def test_while_every_worker_is_busy_a_contended_connection_is_kept():
    with Gunicorn("--keep-alive", "5", workers=2) as running:
        (first, second), other = _two_on_one_worker(running)
        other.send(b"GET /slow?1.5 HTTP/1.1\r\nHost: t\r\n\r\n")  # the other worker is busy throughout
        time.sleep(0.05)
        assert _answer_behind_a_slow_one(first, second) == [False, False]
        assert other.response()[0] == 200
        assert first.get("/still-kept")[0] == 200


class _Ready:
    """A selector that says which connections have a request waiting, and counts its calls."""

    def __init__(self, ready: list) -> None:
        self.ready, self.calls = ready, 0

    def select(self, timeout: float) -> list:
        self.calls += 1
        return [(types.SimpleNamespace(data=conn), 1) for conn in self.ready]


@pytest.mark.parametrize("others_queue", [None, 0, 1, 2, 3])
@pytest.mark.parametrize("open_count", [1, 2, 3, 4])
def test_a_connection_is_sent_elsewhere_only_when_another_queue_is_shorter_by_more_than_one(open_count, others_queue):
    """``_contended`` against its rule for every queue here and there, asking the selector only when
    the board leaves the answer open."""
    from omero_fast_region.keepalive_worker import KeepAliveWorker, _Connection

    conns = [_Connection.__new__(_Connection) for _ in range(open_count)]
    for waiting in range(open_count):  # besides the one being answered
        worker = types.SimpleNamespace(_open=dict(enumerate(conns)), _selector=_Ready(conns[1:1 + waiting]),
                                       _shortest_other=lambda: others_queue)
        contended = KeepAliveWorker._contended(worker, conns[0])
        assert contended == (others_queue is not None and others_queue < waiting), (open_count, waiting, others_queue)
        board_decides = others_queue is None or others_queue >= open_count - 1
        assert worker._selector.calls == (0 if board_decides else 1)


class TestQueueBoard:
    def test_the_shortest_live_queue_of_the_other_workers(self):
        board = QueueBoard()
        now = time.monotonic()
        assert board.shortest_other(1, now, 30.0) is None  # no other worker
        board.publish(1, 3, now)
        board.publish(2, 5, now)
        assert board.shortest_other(2, now, 30.0) == 3
        assert board.shortest_other(1, now, 30.0) == 5  # not its own
        assert board.shortest_other(1 + QueueBoard.SLOTS, now, 30.0) == 5  # the same slot
        assert board.shortest_other(3, now, 30.0) == 3
        assert board.shortest_other(3, now + 31.0, 30.0) is None  # killed and never rewritten: gone
        board.leave(1)
        assert board.shortest_other(3, now, 30.0) == 5

    def test_a_forked_worker_writes_to_the_same_board(self):
        board = QueueBoard()
        pid = os.fork()
        if pid == 0:  # the child publishes its queue and leaves at once
            board.publish(7, 4, time.monotonic())
            os._exit(0)
        os.waitpid(pid, 0)
        assert board.shortest_other(1, time.monotonic(), 30.0) == 4


def test_an_unread_request_body_is_drained_before_the_next_request(server):
    client = server.connect()
    client.send(b"POST /ignores-body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789")
    assert client.response()[0] == 200
    client.send(b"POST /echo-length HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
    status, _, body = client.response()
    assert (status, body) == (200, b"3")
    assert client.get("/after")[2].startswith(b"/after")
    client.close()


def test_an_application_error_is_a_500_and_closes(server):
    client = server.connect()
    status, headers, _ = client.get("/boom")
    assert status == 500
    assert client.closed_by_server(within=2)
    client.close()
    assert server.connect().get("/still-up")[0] == 200


def test_an_idle_connection_is_closed_after_the_keepalive_timeout():
    with Gunicorn("--keep-alive", "1") as running:
        client = running.connect()
        assert client.get("/x")[0] == 200
        started = time.monotonic()
        assert client.closed_by_server(within=5)
        assert 0.8 <= time.monotonic() - started < 4.0
        client.close()


def test_keepalive_zero_closes_after_every_response():
    with Gunicorn("--keep-alive", "0") as running:
        client = running.connect()
        status, headers, _ = client.get("/x")
        assert status == 200 and headers["connection"].lower() == "close"
        assert client.closed_by_server(within=2)
        client.close()


def test_connections_beyond_worker_connections_are_closed_after_their_response():
    with Gunicorn("--keep-alive", "5", "--worker-connections", "2") as running:
        clients = [running.connect() for _ in range(3)]
        answers = [client.get(f"/c/{i}") for i, client in enumerate(clients)]
        assert [status for status, _, _ in answers] == [200, 200, 200]
        kept = [headers.get("connection", "").lower() != "close" for _, headers, _ in answers]
        # which one depends on when the worker accepted each; never more open than the limit
        assert sorted(kept) == [False, True, True]
        assert clients[kept.index(False)].closed_by_server(within=2)
        for client in clients:
            client.close()


def test_max_requests_restarts_the_worker_and_closes_its_connections():
    with Gunicorn("--keep-alive", "5", "--max-requests", "3") as running:
        client = running.connect()
        answers = [client.get("/m") for _ in range(3)]
        assert [a[0] for a in answers] == [200] * 3
        assert answers[-1][1]["connection"].lower() == "close"  # the worker's last request
        assert client.closed_by_server(within=5)
        client.close()
        first_pid = answers[0][2].split()[1]
        deadline = time.monotonic() + 20
        while True:  # the arbiter starts a new worker
            try:
                status, _, body = running.connect().get("/m")
                break
            except (ConnectionError, OSError):
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert status == 200 and body.split()[1] != first_pid


def test_a_graceful_stop_closes_kept_connections_and_exits():
    with Gunicorn("--keep-alive", "30", "--graceful-timeout", "10") as running:
        clients = [running.connect() for _ in range(3)]
        for client in clients:
            assert client.get("/g")[0] == 200
        started = time.monotonic()
        os.kill(running.proc.pid, signal.SIGTERM)  # type: ignore[union-attr]
        assert all(client.closed_by_server(within=8) for client in clients)
        running.proc.wait(timeout=10)  # type: ignore[union-attr]
        assert time.monotonic() - started < 8  # not held open for the 30 s keep-alive
        for client in clients:
            client.close()


def test_two_workers_share_the_load_of_kept_connections():
    with Gunicorn("--keep-alive", "5", workers=2) as running:
        pids = set()
        deadline = time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline:
            clients = [running.connect() for _ in range(4)]
            pids |= {client.get("/w")[2].split()[1] for client in clients}
            for client in clients:
                client.close()
        assert len(pids) == 2


def test_the_arbiter_hears_the_worker_while_it_serves_and_while_it_waits():
    """The heartbeat is written at most every quarter of the worker's timeout, not every turn of the
    loop: the arbiter (timeout 2 s) must still never take a busy or an idle worker for a hung one."""
    with Gunicorn("--keep-alive", "10", "--timeout", "2") as running:
        client = running.connect()
        pids = set()
        until = time.monotonic() + 4.0
        while time.monotonic() < until:  # busy: one request after another on a kept connection
            pids.add(client.get("/beat")[2].split()[1])
        time.sleep(3.0)  # idle
        pids.add(client.get("/beat")[2].split()[1])
        client.close()
        os.killpg(running.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
        running.proc.wait()  # type: ignore[union-attr]
        output = running.proc.stdout.read().decode()  # type: ignore[union-attr]
    assert len(pids) == 1
    assert "Booting worker" in output and "WORKER TIMEOUT" not in output
