"""``gunicorn_lean``: the keep-alive worker's access line and Date header are gunicorn's own, byte for byte."""

from __future__ import annotations

import datetime
import email.utils
import logging

import pytest
from gunicorn import glogging, util
from gunicorn.config import Config

from omero_fast_region import gunicorn_lean

ALL_PLAIN_ATOMS = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(m)s %(U)s %(q)s %(H)s %(b)s %(B)s "%(f)s" "%(a)s" %(T)s %(D)s %(M)s %(L)s %(p)s %(zz)s'


class Resp:
    def __init__(self, status: str = "200 OK", sent: int | None = 61234) -> None:
        self.status, self.sent = status, sent
        self.headers = [("Content-Type", "image/jpeg"), ("ETag", '"abc"'), ("Server-Timing", "total;dur=4.10")]


class Req:
    headers = [("HOST", "127.0.0.1:8080"), ("USER-AGENT", 'wrk "quoted"'), ("X-FORWARDED-FOR", "10.0.0.9")]


ENVIRON = {
    "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/webgateway/render_image_region/1/0/0/?tile=0,1,2",
    "PATH_INFO": "/webgateway/render_image_region/1/0/0/", "QUERY_STRING": "tile=0,1,2", "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_REFERER": "http://viewer/", "HTTP_USER_AGENT": 'wrk "quoted"', "HTTP_X_FORWARDED_FOR": "10.0.0.9",
    "HTTP_AUTHORIZATION": "Basic dXNlcjpwdw==",  # user:pw
}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _logger(access_log_format: str, logger_class: type = glogging.Logger) -> tuple[glogging.Logger, Lines]:
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    log = logger_class(cfg)
    log.now = lambda: "[24/Nov/2026:07:15:18 +0000]"  # one clock for both lines
    lines = Lines()
    log.access_log.handlers = [lines]
    return log, lines


@pytest.mark.parametrize("access_log_format", [Config().access_log_format, ALL_PLAIN_ATOMS])
@pytest.mark.parametrize("resp", [Resp(), Resp("304 Not Modified", None), Resp("404 Not Found", 0)])
def test_the_lean_access_line_is_gunicorns_line(access_log_format, resp):
    log, lines = _logger(access_log_format)
    took = datetime.timedelta(seconds=1, microseconds=2345)
    log.access(resp, Req(), ENVIRON, took)
    lean = gunicorn_lean.lean_access(log, access_log_format)
    assert lean != log.access  # the lean path is the one taken
    lean(resp, Req(), ENVIRON, took)
    assert len(lines.lines) == 2 and lines.lines[0] == lines.lines[1]
    assert 'GET /webgateway/render_image_region/1/0/0/?tile=0,1,2 HTTP/1.1' in lines.lines[0]
    assert 'wrk \\"quoted\\"' in lines.lines[0] and " user " in lines.lines[0]


def test_a_format_naming_header_or_environ_atoms_gets_gunicorns_own_access():
    for fmt in ('%(h)s %({x-forwarded-for}i)s', '%(h)s %({etag}o)s', '%(h)s %({remote_addr}e)s'):
        log, _ = _logger(fmt)
        assert gunicorn_lean.lean_access(log, fmt) == log.access


def test_without_an_access_log_the_call_is_gunicorns_own():
    cfg = Config()
    log = glogging.Logger(cfg)
    assert gunicorn_lean.lean_access(log, cfg.access_log_format) == log.access


def test_a_custom_logger_class_gets_its_own_access():
    class Custom(glogging.Logger):
        def atoms(self, resp, req, environ, request_time):
            return {**super().atoms(resp, req, environ, request_time), "x": "y"}

    log, _ = _logger(Config().access_log_format, Custom)
    assert gunicorn_lean.lean_access(log, Config().access_log_format) == log.access


@pytest.fixture(autouse=True)
def _access_logger_restored():
    """gunicorn's ``gunicorn.access`` logger is process-wide: give it back as each test found it."""
    logger = logging.getLogger("gunicorn.access")
    saved = (logger.disabled, logger.level, list(logger.filters), list(logger.handlers))
    yield
    logger.disabled, logger.filters[:], logger.handlers[:] = saved[0], saved[2], saved[3]
    logger.setLevel(saved[1])  # (which also clears the loggers' cached level checks)


def _file_logger(tmp_path, access_log_format: str | None = None) -> tuple[glogging.Logger, object]:
    """gunicorn's logger as ``--access-logfile <file>`` sets it up (a FileHandler, ``%(message)s``)."""
    path = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(path))
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    log = _only_gunicorns_handlers(glogging.Logger(cfg))
    log.now = lambda: "[24/Nov/2026:07:15:18 +0000]"
    return log, path


def _only_gunicorns_handlers(log: glogging.Logger) -> glogging.Logger:
    """pytest attaches its capture handlers to every non-propagating logger; a served worker has none."""
    log.access_log.handlers = [h for h in log.access_log.handlers if getattr(h, "_gunicorn", False)]
    return log


def _lines(path) -> list[str]:
    return path.read_text().splitlines()


BARE_ENVIRON = {"REQUEST_METHOD": "HEAD", "RAW_URI": '/a"b', "SERVER_PROTOCOL": "HTTP/1.0",
                "HTTP_AUTHORIZATION": "Basic !!not base64"}  # no address, referer, agent, path or query


@pytest.mark.parametrize("access_log_format", [Config().access_log_format, ALL_PLAIN_ATOMS,
                                               '%(h)s %%(u)s %(zz)s %(a(b))s %(t)s%(t)s "%(r)s" %(B)s'])
@pytest.mark.parametrize("resp", [Resp(), Resp("304 Not Modified", None), Resp("404 Not Found", 0)])
@pytest.mark.parametrize("environ", [ENVIRON, BARE_ENVIRON], ids=["full", "bare"])
@pytest.mark.parametrize("took", [datetime.timedelta(microseconds=3456), datetime.timedelta(seconds=61, microseconds=999999)])
def test_with_gunicorns_own_file_handler_the_line_is_written_straight_to_its_stream(
        tmp_path, monkeypatch, access_log_format, resp, environ, took):
    log, path = _file_logger(tmp_path, access_log_format=access_log_format)
    log.access(resp, Req(), environ, took)
    assert gunicorn_lean.plain_handler(log.access_log) is log.access_log.handlers[0]

    def no_logging(*args, **kwargs):
        raise AssertionError("the line went through logging")

    monkeypatch.setattr(log.access_log, "info", no_logging)
    monkeypatch.setattr(log, "atoms", no_logging)
    gunicorn_lean.lean_access(log, access_log_format)(resp, Req(), environ, took)
    first, second = _lines(path)
    assert first == second and '"%s %s %s"' % (environ["REQUEST_METHOD"], environ["RAW_URI"].replace('"', '\\"'),
                                                environ["SERVER_PROTOCOL"]) in first


def test_on_stdout_the_line_is_gunicorns_and_is_flushed(capfd):
    cfg = Config()
    cfg.set("accesslog", "-")
    log = _only_gunicorns_handlers(glogging.Logger(cfg))
    log.now = lambda: "[24/Nov/2026:07:15:18 +0000]"
    took = datetime.timedelta(seconds=2)
    log.access(Resp(), Req(), ENVIRON, took)
    gunicorn_lean.lean_access(log, cfg.access_log_format)(Resp(), Req(), ENVIRON, took)
    first, second = capfd.readouterr().out.splitlines()  # both reached the file descriptor
    assert first == second and first.startswith("127.0.0.1 - user [24/Nov/2026:07:15:18 +0000]")


class DropRenders(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "render_image_region" not in record.getMessage()


def _second_handler(log, path):
    extra = logging.FileHandler(str(path) + ".2")
    extra.setFormatter(logging.Formatter("%(message)s"))
    log.access_log.addHandler(extra)


def _json_formatter(log, path):
    log.access_log.handlers[0].setFormatter(logging.Formatter('{"at": "%(levelname)s", "line": "%(message)s"}'))


# set-ups a sysadmin's logconfig or a Django LOGGING can make; each must give gunicorn's own result
SETUPS = {
    "a filter on the logger": lambda log, path: log.access_log.addFilter(DropRenders()),
    "a filter on the handler": lambda log, path: log.access_log.handlers[0].addFilter(DropRenders()),
    "the logger disabled": lambda log, path: setattr(log.access_log, "disabled", True),
    "the logger at WARNING": lambda log, path: log.access_log.setLevel(logging.WARNING),
    "the handler at WARNING": lambda log, path: log.access_log.handlers[0].setLevel(logging.WARNING),
    "a second handler": _second_handler,
    "another formatter": _json_formatter,
}


@pytest.mark.parametrize("setup", list(SETUPS))
def test_any_other_logging_setup_goes_through_logging_with_gunicorns_result(tmp_path, setup):
    took = datetime.timedelta(microseconds=987)
    written = []
    for name, call in (("gunicorn", None), ("lean", gunicorn_lean.lean_access)):
        (tmp_path / name).mkdir()
        log, path = _file_logger(tmp_path / name)
        SETUPS[setup](log, path)
        assert gunicorn_lean.plain_handler(log.access_log) is None
        (call(log, log.cfg.access_log_format) if call else log.access)(Resp(), Req(), ENVIRON, took)
        for handler in log.access_log.handlers:
            handler.close()
        written.append([p.read_text() if p.exists() else None for p in (path, path.with_name(path.name + ".2"))])
    assert written[0] == written[1]


def test_after_a_reopen_the_line_goes_to_the_new_file(tmp_path):
    log, path = _file_logger(tmp_path)
    lean = gunicorn_lean.lean_access(log, log.cfg.access_log_format)
    took = datetime.timedelta(microseconds=10)
    lean(Resp(), Req(), ENVIRON, took)
    path.rename(tmp_path / "access.log.1")  # logrotate, then USR1: gunicorn reopens its files
    log.reopen_files()
    lean(Resp("404 Not Found", 0), Req(), ENVIRON, took)
    assert len(_lines(tmp_path / "access.log.1")) == 1
    assert len(_lines(path)) == 1 and '" 404 0 "' in _lines(path)[0]


def test_a_stream_that_fails_is_reported_as_logging_reports_it_and_the_request_goes_on(tmp_path, monkeypatch):
    log, path = _file_logger(tmp_path)
    handler = log.access_log.handlers[0]
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", reported.append)

    class Full:
        def write(self, text):
            raise OSError(28, "No space left on device")

        def flush(self):
            pass

    handler.stream = Full()
    gunicorn_lean.lean_access(log, log.cfg.access_log_format)(Resp(), Req(), ENVIRON, datetime.timedelta(0))
    assert len(reported) == 1 and "render_image_region" in reported[0].getMessage()


def test_the_date_header_is_gunicorns_text_formatted_once_a_second(monkeypatch):
    clock = [1_700_000_000.7]
    formatted: list[float] = []
    gunicorns = util.http_date

    def counting(timestamp=None):
        formatted.append(timestamp)
        return gunicorns(timestamp)

    monkeypatch.setattr(gunicorn_lean.time, "time", lambda: clock[0])
    monkeypatch.setattr(gunicorn_lean, "_format_http_date", counting)
    monkeypatch.setattr(gunicorn_lean, "_date_cache", [None, ""])
    monkeypatch.setattr(util, "http_date", util.http_date)  # restored after the test
    gunicorn_lean.cache_http_date()
    gunicorn_text = email.utils.formatdate(clock[0], localtime=False, usegmt=True)
    assert util.http_date() == gunicorn_text == "Tue, 14 Nov 2023 22:13:20 GMT"
    clock[0] += 0.2
    assert util.http_date() == gunicorn_text and len(formatted) == 1  # same second: not formatted again
    clock[0] += 1.0
    assert util.http_date() == "Tue, 14 Nov 2023 22:13:21 GMT" and len(formatted) == 2
    assert util.http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT"  # an explicit time is formatted as asked


class Wire:
    """A socket that records each system call's bytes (sendall, sendmsg, sendfile)."""

    def __init__(self, partial_at: int | None = None) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.partial_at = partial_at  # sendmsg sends only this many bytes (a full socket buffer)

    def sendall(self, data) -> None:
        self.calls.append(("sendall", bytes(data)))

    def sendmsg(self, buffers) -> int:
        data = b"".join(bytes(b) for b in buffers)
        if self.partial_at is not None:
            data = data[:self.partial_at]
        self.calls.append(("sendmsg", data))
        return len(data)

    def sendfile(self, file, offset: int = 0, count: int | None = None) -> int:
        file.seek(offset)
        data = file.read(count)
        self.calls.append(("sendfile", data))
        return len(data)

    @property
    def bytes(self) -> bytes:
        return b"".join(data for _, data in self.calls)


@pytest.fixture
def one_second(monkeypatch):
    """The ``Date`` of every response made in a test, so two responses compared byte for byte
    never fall on either side of a second's change."""
    monkeypatch.setattr(util, "http_date", lambda timestamp=None: "Tue, 24 Nov 2026 07:15:18 GMT")


def _respond(raw_request: bytes, status: str, headers: list, body: list, lean: bool, wire: Wire,
             file_body: bytes | None = None, tmp_path=None) -> None:
    """What gunicorn (or, ``lean``, the one-send response) writes for one WSGI answer."""
    from gunicorn.http.parser import RequestParser
    from gunicorn.http.wsgi import FileWrapper, Response

    cfg = Config()
    req = next(RequestParser(cfg, iter([raw_request]), ("127.0.0.1", 5000)))
    resp = Response(req, wire, cfg)
    if lean:
        assert gunicorn_lean.send_headers_with_body(resp) is resp
    resp.start_response(status, headers)
    if file_body is not None:
        path = tmp_path / "body.bin"
        path.write_bytes(file_body)
        with open(path, "rb") as handle:
            resp.write_file(FileWrapper(handle))
    else:
        for item in body:
            resp.write(item)
    resp.close()


GET = b"GET /tile HTTP/1.1\r\nHost: t\r\n\r\n"
TILE = bytes(range(256)) * 200
ANSWERS = {
    "one body": (GET, "200 OK", [("Content-Type", "image/jpeg"), ("Content-Length", str(len(TILE)))], [TILE]),
    "several parts": (GET, "200 OK", [("Content-Length", "10")], [b"abc", b"", b"defg", b"hij"]),
    "longer than its length": (GET, "200 OK", [("Content-Length", "4")], [b"abcdef", b"gh"]),
    "chunked": (GET, "200 OK", [("Content-Type", "text/plain")], [b"one,", b"", b"two"]),
    "empty": (GET, "204 No Content", [], []),
    "not modified": (GET, "304 Not Modified", [("ETag", '"x"')], [b""]),
    "HEAD": (b"HEAD /tile HTTP/1.1\r\nHost: t\r\n\r\n", "200 OK", [("Content-Length", "3")], [b"abc"]),
    "HTTP/1.0": (b"GET /tile HTTP/1.0\r\n\r\n", "200 OK", [], [b"abc", b"def"]),
}


@pytest.mark.parametrize("case", list(ANSWERS))
def test_a_response_sends_gunicorns_bytes_with_its_headers_in_the_first_bodys_send(case, one_second):
    raw, status, headers, body = ANSWERS[case]
    stock, lean = Wire(), Wire()
    _respond(raw, status, headers, body, False, stock)
    _respond(raw, status, headers, body, True, lean)
    assert lean.bytes == stock.bytes
    head = stock.calls[0][1]
    assert head.endswith(b"\r\n\r\n") and head.startswith(b"HTTP/1.")
    assert b"\r\nDate: Tue, 24 Nov 2026 07:15:18 GMT\r\n" in head  # one clock for both
    # the header block never goes out alone when body bytes follow it
    assert lean.calls[0][1].startswith(head)
    if any(body) and "chunked" not in case and raw.startswith(b"GET"):
        assert len(lean.calls) == len(stock.calls) - 1 and lean.calls[0][0] == "sendmsg"
        assert len(lean.calls[0][1]) > len(head)
    else:  # nothing to join (no body, or gunicorn frames chunks itself): the same calls as gunicorn's
        assert lean.calls == stock.calls


def test_a_partial_send_is_completed(one_second):
    raw, status, headers, body = ANSWERS["one body"]
    stock = Wire()
    _respond(raw, status, headers, body, False, stock)
    head = len(stock.calls[0][1])
    # cut inside the header block (the rest of it and the body follow), inside the body (its rest follows)
    for partial_at, calls in ((5, ["sendmsg", "sendall", "sendall"]), (head + 7, ["sendmsg", "sendall"])):
        lean = Wire(partial_at=partial_at)
        _respond(raw, status, headers, body, True, lean)
        assert lean.bytes == stock.bytes
        assert [name for name, _ in lean.calls] == calls


def test_sendfile_sends_the_header_block_first(tmp_path, one_second):
    raw, status, headers, _ = ANSWERS["one body"]
    stock, lean = Wire(), Wire()
    _respond(raw, status, headers, [], False, stock, file_body=TILE, tmp_path=tmp_path)
    _respond(raw, status, headers, [], True, lean, file_body=TILE, tmp_path=tmp_path)
    assert lean.calls == stock.calls and lean.calls[-1] == ("sendfile", TILE)


STATUSES = ["200 OK", "200", "206 Partial Content", "404 Not Found", "204 No Content", "304 Not Modified",
            "101 Switching", "302 Found", "200 OK\r\nX: y", "2000 OK", 200, "abc"]
HEADER_LISTS = {
    "tile": [("Content-Type", "image/jpeg"), ("ETag", '"ab"'), ("Cache-Control", "private, max-age=3600"),
             ("Server-Timing", "read;dur=0.70, total;dur=2.60"), ("Content-Length", "5")],
    "no length": [("Content-Type", "text/plain"), ("X-Padded", " \tspaced\t ")],
    "length padded": [("content-length", " 5 ")],
    "length not a number": [("Content-Length", "five")],
    "two lengths": [("Content-Length", "3"), ("Content-Length", "5")],
    "hop-by-hop": [("Connection", "close"), ("Keep-Alive", "timeout=5"), ("Content-Length", "5")],
    "upgrade": [("Connection", "Upgrade"), ("Upgrade", "websocket")],
    "bad name": [("Bad Name", "x")],
    "bad value": [("X-Split", "a\r\nInjected: 1")],
    "name not a string": [(b"X-Bytes", "x")],
    "value not a string": [("X-Number", 5)],
    "latin-1 value": [("X-Name", "caf\xe9"), ("Content-Length", "5")],
    "not latin-1": [("X-Name", "caf\u20ac")],
    "a tuple of headers": (("Content-Length", "5"),),
}
REQUESTS = {"GET 1.1": GET, "HEAD": b"HEAD /tile HTTP/1.1\r\nHost: t\r\n\r\n",
            "GET 1.0": b"GET /tile HTTP/1.0\r\n\r\n", "close": b"GET /tile HTTP/1.1\r\nConnection: close\r\n\r\n"}
STATE = ("status", "status_code", "headers", "response_length", "chunked", "_omits_body", "upgrade", "must_close")


def _outcome(raw: bytes, status, headers, lean: bool) -> tuple:
    """What one answer leaves: the error raised, or the response's state and the bytes sent."""
    from gunicorn.http.parser import RequestParser
    from gunicorn.http.wsgi import Response

    wire, cfg = Wire(), Config()
    resp = Response(next(RequestParser(cfg, iter([raw]), ("127.0.0.1", 5000))), wire, cfg)
    if lean:
        gunicorn_lean.send_headers_with_body(resp)
    try:
        resp.start_response(status, list(headers) if type(headers) is list else headers)
        state = tuple(getattr(resp, name, None) for name in STATE)
        resp.write(b"hello")
        resp.close()
    except Exception as exc:  # noqa: BLE001 - the error is part of the outcome
        return ("raised", type(exc), str(exc), tuple(getattr(resp, name, None) for name in STATE))
    return state, wire.bytes


@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("headers_name", list(HEADER_LISTS))
def test_start_response_leaves_gunicorns_state_bytes_and_errors(request_name, headers_name, one_second):
    raw, headers = REQUESTS[request_name], HEADER_LISTS[headers_name]
    for status in STATUSES:
        assert _outcome(raw, status, headers, True) == _outcome(raw, status, headers, False), status


def test_a_plain_tile_answer_is_taken_without_gunicorns_header_loop(monkeypatch, one_second):
    from gunicorn.http import wsgi

    expected = _outcome(GET, "200 OK", HEADER_LISTS["tile"], False)
    monkeypatch.setattr(wsgi.Response, "process_headers", lambda self, headers: pytest.fail("gunicorn's loop ran"))
    assert _outcome(GET, "200 OK", HEADER_LISTS["tile"], True) == expected
    hits = gunicorn_lean._kept_name.cache_info().hits
    assert _outcome(GET, "200 OK", HEADER_LISTS["tile"], True) == expected  # the names are remembered now
    assert gunicorn_lean._kept_name.cache_info().hits >= hits + len(HEADER_LISTS["tile"])
    assert gunicorn_lean._plain_header_name("Content-Length") is True
    assert gunicorn_lean._plain_header_name("ETag") is False


def test_a_second_start_response_and_exc_info_are_gunicorns(one_second):
    from gunicorn.http.parser import RequestParser
    from gunicorn.http.wsgi import Response

    cfg = Config()
    resp = gunicorn_lean.send_headers_with_body(Response(next(RequestParser(cfg, iter([GET]), ("127.0.0.1", 5000))),
                                                         Wire(), cfg))
    resp.start_response("200 OK", [("Content-Length", "5")])
    with pytest.raises(AssertionError, match="already set"):
        resp.start_response("200 OK", [("Content-Length", "5")])
    try:
        raise RuntimeError("view failed")
    except RuntimeError:  # headers not sent yet: WSGI lets the application replace its answer
        import sys

        resp.start_response("500 Internal Server Error", [("Content-Length", "0")], sys.exc_info())
    assert resp.status_code == 500 and resp.response_length == 0


def test_remembered_header_names_stay_bounded(monkeypatch):
    for i in range(3 * gunicorn_lean.HEADER_NAMES_REMEMBERED):
        assert gunicorn_lean._plain_header_name(f"X-H{i}") is False
    assert gunicorn_lean._kept_name.cache_info().currsize <= gunicorn_lean.HEADER_NAMES_REMEMBERED
    assert gunicorn_lean._plain_header_name("Connection") is None  # hop-by-hop: kept out of the block
    assert gunicorn_lean._plain_header_name("Bad Name") is None
    assert gunicorn_lean._plain_header_name(b"X-Bytes") is None


def test_only_gunicorns_own_response_class_is_changed():
    from gunicorn.http.wsgi import Response

    class Custom(Response):
        pass

    resp = Custom.__new__(Custom)
    assert type(gunicorn_lean.send_headers_with_body(resp)) is Custom


FORWARDED = (b"GET /tile HTTP/1.1\r\nHost: t\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 10.9.9.9\r\n"
             b"X-Tag: 1\r\n\r\n")


@pytest.mark.parametrize("allowed", ["127.0.0.1", "10.0.0.0/8,::1", "*", ""])
def test_each_peer_is_trusted_with_forwarding_headers_exactly_as_gunicorn_decides(allowed):
    from gunicorn.http.parser import RequestParser

    cfg = Config()
    cfg.set("forwarded_allow_ips", allowed)

    def parsed(peer, lean: bool) -> tuple:
        parser = RequestParser(cfg, iter([FORWARDED]), peer)
        if lean:
            assert gunicorn_lean.lean_requests(parser) is parser
            assert parser.mesg_class is gunicorn_lean.LeanRequest
        req = next(parser)
        return req.scheme, req.headers

    peers = [("127.0.0.1", 5000), ("10.1.2.3", 5001), ("192.168.1.1", 5002), ("::1", 5003, 0, 0), "/run/gunicorn.sock"]
    stock = [parsed(peer, False) for peer in peers]
    assert [parsed(peer, True) for peer in peers * 2] == stock * 2  # the second round from the memo
    schemes = [scheme for scheme, _ in stock]
    assert schemes[-1] == "https"  # gunicorn trusts a UNIX socket's peer whatever the list says
    assert set(schemes) == ({"https"} if allowed == "*" else {"http", "https"})  # the rule matters here


def test_another_parser_keeps_its_own_messages():
    from gunicorn.http.parser import RequestParser

    class Custom(RequestParser):
        pass

    parser = Custom(Config(), iter([b""]), ("127.0.0.1", 1))
    assert gunicorn_lean.lean_requests(parser).mesg_class is not gunicorn_lean.LeanRequest
