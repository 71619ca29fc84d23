"""``gunicorn_lean``: the keep-alive worker's access line and Date header are gunicorn's own, byte for byte."""

from __future__ import annotations

import datetime
import email.utils
import logging
import time

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
