"""The keep-alive worker's request heads (``gunicorn_lean.LeanRequest``) against gunicorn's own parser.

Every head, whole or split over reads, pipelined or not, under several configurations, is parsed
by gunicorn's ``RequestParser`` as it ships and by the same parser with :func:`lean_requests`; the
two must give the same requests (method, target parts, version, headers, scheme, ``Expect``,
body, connection decision) or the same error. Hand-written heads cover what browsers, viewers
and load tools send and what gunicorn refuses; several thousand generated heads (valid ones
mutated byte by byte) cover the rest. The plain heads are also checked to take the one-match path.
"""

from __future__ import annotations

import random

import pytest
from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser

from omero_fast_region import gunicorn_lean

PEER = ("127.0.0.1", 40000)

TILE = (b"GET /webgateway/render_image_region/1/0/0/?tile=2,3,4,512,512&c=1|100:20000$FF0000,"
        b"2|100:20000$00FF00&m=c&q=0.9&maps=%5B%7B%22inverted%22%3A%7B%22enabled%22%3Afalse%7D%7D%5D HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8080\r\nCookie: sessionid=vp0xnyfziclp9ow8prfmmj50s87tef5o; csrftoken=abc\r\n"
        b"Accept: image/avif,image/webp,*/*\r\nAccept-Encoding: gzip, deflate\r\n"
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nReferer: http://127.0.0.1/iviewer/?images=1\r\n\r\n")

#: heads the one-match path takes: (name, bytes)
PLAIN = {
    "viewer tile": TILE,
    "wrk": b"GET /webgateway/render_thumbnail/7/96/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    "no headers": b"GET / HTTP/1.1\r\n\r\n",
    "HEAD": b"HEAD /webgateway/render_image/1/ HTTP/1.1\r\nHost: h\r\n\r\n",
    "1.0 keep-alive": b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "1.0 closes": b"GET /a HTTP/1.0\r\n\r\n",
    "1.1 close": b"GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    "odd target": b"GET /a;b/c:d@e/%7E\"q?x=1?y=2&&z=%&j={\"k\":[1]} HTTP/1.1\r\nHost: h\r\n\r\n",
    "spaces around values": b"GET /a HTTP/1.1\r\nHost:h\r\nX-A:   v  \t\r\nX-B:\t\r\nX-C:\r\n\r\n",
    "repeated field": b"GET /a HTTP/1.1\r\nHost: h\r\nX-Tag: 1\r\nx-tag: 2\r\n\r\n",
    "underscore dropped": b"GET /a HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: 1.2.3.4\r\n\r\n",
    "forwarding": b"GET /a HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n",
    "expect continue": b"GET /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
    "expect on 1.0": b"GET /a HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
    "length 0": b"GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    "with body": b"GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    "chunked body": b"GET /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b?c HTTP/1.1\r\nHost: h\r\n\r\n",
}

#: heads gunicorn answers with an error (or reads another way) and the one-match path leaves to it
OTHER = {
    "POST": b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok",
    "lower-case method": b"get /a HTTP/1.1\r\nHost: h\r\n\r\n",
    "OPTIONS *": b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
    "absolute form": b"GET http://h/a?b HTTP/1.1\r\nHost: h\r\n\r\n",
    "authority form": b"GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n",
    "double slash": b"GET //a/b?c HTTP/1.1\r\nHost: h\r\n\r\n",
    "fragment": b"GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
    "leading empty line": b"\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n",
    "bare LF": b"GET /a HTTP/1.1\nHost: h\n\n",
    "bare LF in headers": b"GET /a HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
    "folded": b"GET /a HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n",
    "space before colon": b"GET /a HTTP/1.1\r\nHost : h\r\n\r\n",
    "no colon": b"GET /a HTTP/1.1\r\nHost h\r\n\r\n",
    "empty name": b"GET /a HTTP/1.1\r\n: h\r\n\r\n",
    "control in value": b"GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n",
    "DEL in value": b"GET /a HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n",
    "latin-1 value": b"GET /a HTTP/1.1\r\nHost: h\r\nX-A: caf\xe9\r\n\r\n",
    "NUL in target": b"GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n",
    "space in target": b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
    "HTTP/2.0": b"GET /a HTTP/2.0\r\nHost: h\r\n\r\n",
    "HTTP/1.2": b"GET /a HTTP/1.2\r\nHost: h\r\n\r\n",
    "two spaces": b"GET  /a HTTP/1.1\r\nHost: h\r\n\r\n",
    "repeated Host": b"GET /a HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
    "expect other": b"GET /a HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n",
    "two lengths": b"GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
    "bad length": b"GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    "gzip coding": b"GET /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    "head cut short": b"GET /a HTTP/1.1\r\nHost: h\r\n",
    "nothing": b"",
    "PROXY line": b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n",
}


def _settings(**values) -> Config:
    cfg = Config()
    for name, value in values.items():
        cfg.set(name, value)
    return cfg


CONFIGS = {
    "default": {},
    "trusted proxy": {"forwarded_allow_ips": "*"},
    "short line": {"limit_request_line": 40},
    "three fields": {"limit_request_fields": 3},
    "short fields": {"limit_request_field_size": 30},
    "refuse underscores": {"header_map": "refuse"},
    "dangerous underscores": {"header_map": "dangerous", "forwarded_allow_ips": "*"},
    "casefold": {"casefold_http_method": True},
    "strip spaces": {"strip_header_spaces": True},
    "folding": {"permit_obsolete_folding": True},
    "proxy protocol": {"proxy_protocol": "v1", "proxy_allow_ips": "*"},
}


def _pieces(data: bytes, cut: int | None) -> list[bytes]:
    return [data] if cut is None else [data[:cut], data[cut:]]


def _outcome(data: bytes, cfg: Config, lean: bool, cut: int | None = None, read_body: bool = True) -> list:
    """What the parser makes of ``data``: each request's parts and body (or whether the unread body
    could be discarded), then the error or the end."""
    parser = RequestParser(cfg, iter(_pieces(data, cut)), PEER)
    if lean:
        assert gunicorn_lean.lean_requests(parser) is parser and parser.mesg_class is gunicorn_lean.LeanRequest
        assert type(parser) is gunicorn_lean.LeanRequestParser
    seen: list = []
    try:
        for _ in range(4):
            req = next(parser)
            body = req.body.read() if read_body else parser.finish_body(deadline=1e12)
            seen.append((req.method, req.uri, req.path, req.query, req.fragment, req.version, req.headers,
                         req.scheme, req._expected_100_continue, body, req.should_close()))
    except StopIteration:
        seen.append("end")
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        seen.append((type(exc).__name__, str(exc)))
    return seen


def _python_heads(monkeypatch) -> list:
    """Count the heads gunicorn's own line-by-line parser reads."""
    calls: list = []
    original = Request._parse_python

    def counted(self, unreader, buf):
        calls.append(bytes(buf))
        return original(self, unreader, buf)

    monkeypatch.setattr(Request, "_parse_python", counted)
    return calls


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("name", [*PLAIN, *OTHER])
def test_every_head_gives_what_gunicorn_gives(name, config):
    data = {**PLAIN, **OTHER}[name]
    cfg = _settings(**CONFIGS[config])
    for cut in (None, *sorted({1, len(data) // 2, max(1, len(data) - 1)})):
        if cut is not None and cut >= len(data):
            continue
        for read_body in (True, False):
            assert _outcome(data, cfg, True, cut, read_body) == _outcome(data, cfg, False, cut, read_body), (name, config, cut)


@pytest.mark.parametrize("name", PLAIN)
def test_plain_heads_take_the_one_match_path(name, monkeypatch):
    calls = _python_heads(monkeypatch)
    outcome = _outcome(PLAIN[name], _settings(), True)
    assert calls == [] and outcome[-1] == "end" and len(outcome) >= 2


@pytest.mark.parametrize("name", ["latin-1 value", "folded", "fragment", "double slash", "POST"])
def test_other_heads_are_left_to_gunicorn(name, monkeypatch):
    calls = _python_heads(monkeypatch)
    _outcome(OTHER[name], _settings(permit_obsolete_folding=True), True)
    assert len(calls) == 1


def test_limits_leave_the_head_to_gunicorn(monkeypatch):
    calls = _python_heads(monkeypatch)
    for config in ("short line", "three fields", "short fields"):
        outcome = _outcome(TILE, _settings(**CONFIGS[config]), True)
        assert outcome[0][0] in ("LimitRequestLine", "LimitRequestHeaders"), config
    assert len(calls) == 3


def _mutations(rng: random.Random, head: bytes) -> bytes:
    alphabet = b" \t\r\n:/?#%\x00\x7f\xe9_-aAzZ09\"{}"
    data = bytearray(head)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data))
        op = rng.random()
        if op < 0.4:
            data[at] = rng.choice(alphabet)
        elif op < 0.7:
            data.insert(at, rng.choice(alphabet))
        elif len(data) > 1:
            del data[at]
    return bytes(data)


def test_generated_heads_give_what_gunicorn_gives(monkeypatch):
    """Mutated heads; at least a few hundred must still take the one-match path for this to test it."""
    rng = random.Random(20261124)
    seeds = list(PLAIN.values())
    configs = [_settings(), _settings(forwarded_allow_ips="*", header_map="refuse"), _settings(limit_request_field_size=60)]
    taken = 0
    original = gunicorn_lean.LeanRequest._take_plain

    def counted(self, match):
        nonlocal taken
        ok = original(self, match)
        taken += ok
        return ok

    monkeypatch.setattr(gunicorn_lean.LeanRequest, "_take_plain", counted)
    for case in range(3000):
        data = _mutations(rng, rng.choice(seeds))
        cfg = configs[case % len(configs)]
        cut = None if case % 4 else rng.randrange(1, len(data)) if len(data) > 1 else None
        assert _outcome(data, cfg, True, cut) == _outcome(data, cfg, False, cut), data
    assert taken > 500


def test_a_read_body_is_not_drained_again(monkeypatch):
    """gunicorn's drain sets the socket's timeout around a read that returns nothing; a ``GET``'s
    empty body, or a body the application read whole, skips it. Anything else is drained by gunicorn."""
    drains: list = []
    original = RequestParser.finish_body

    def counted(self, deadline=None, max_bytes=None):
        drains.append(deadline)
        return original(self, deadline=deadline, max_bytes=max_bytes)

    monkeypatch.setattr(RequestParser, "finish_body", counted)
    heads = PLAIN["pipelined"] + PLAIN["with body"] + PLAIN["wrk"]
    parser = gunicorn_lean.lean_requests(RequestParser(_settings(), iter([heads]), PEER))
    paths = []
    for _ in range(4):
        req = next(parser)
        paths.append(req.path)
        assert parser.finish_body(deadline=1e12) is True
    assert paths[-1].endswith("/96/")
    # gunicorn's drain ran before the first request (nothing parsed yet) and for the unread body of the third
    assert drains == [None, 1e12]
    parser = gunicorn_lean.lean_requests(RequestParser(_settings(), iter([PLAIN["with body"] * 2]), PEER))
    req = next(parser)
    assert req.body.read(2) == b"he"
    assert parser.finish_body(deadline=1e12) is True and drains[2:] == [None, 1e12]  # three bytes left
    assert next(parser).body.read() == b"hello" and len(drains) == 4  # drained above: nothing left
    assert parser.finish_body(deadline=1e12) is True and len(drains) == 4  # read whole: nothing to drain
