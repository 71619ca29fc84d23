"""Cheaper forms of gunicorn's per-request work, for the keep-alive worker.

Each gives what gunicorn gives (the same bytes, requests and decisions; tests compare them with
gunicorn's own classes); they only skip work whose result is thrown away or already known:

* :func:`lean_access` — gunicorn's access log builds an atom for every request header, response
  header and environ entry (about 60 strings, each escaped) for every line, whatever the format
  asks for. With a format that names none of the ``{…}i``/``{…}o``/``{…}e`` atoms (the default
  names none), only the plain atoms the format names are built (:data:`PLAIN_ATOMS`), not the
  ~80 of gunicorn's ``Logger.atoms``. And when the access logger is as gunicorn sets it up (one
  plain stream or file handler with the ``%(message)s`` formatter, no filters;
  :func:`plain_handler`), the line is written to that handler's stream as its ``emit`` would,
  without the ``LogRecord``, the caller lookup and the formatter between; any other set-up goes
  through ``logging``.
* :func:`cache_http_date` — gunicorn formats the ``Date`` header from the clock for every
  response; the text changes once a second, so it is formatted once a second (as nginx does).
* :func:`send_headers_with_body` — gunicorn sends a response's header block in one ``send`` and
  its body in another; on a socket with ``TCP_NODELAY`` (gunicorn sets it) that is two segments,
  and on loopback two passes through the receiving side's stack and two wake-ups of the client.
  The header block is held back and goes out with the first body bytes in one ``sendmsg``.
  The same response takes a plain answer's status and headers (:meth:`HeadersWithBodyResponse.
  start_response`) with each header name checked once per process, not once per response, and
  writes its header block without a stand-in socket.
* :func:`lean_requests` — gunicorn decides for every request whether its peer may set
  forwarding headers (``forwarded_allow_ips``: the peer's address parsed and matched against
  each allowed network); the answer depends only on the address and the configuration, so it is
  decided once per peer address. And gunicorn's pure-Python parser reads a request head line by
  line, each line through several regular expressions; a plain head (see :class:`LeanRequest`) is
  read in one match, and gunicorn's own code makes the request from it, as it does from the
  output of its optional C parser; a body already read whole is not drained again
  (:class:`LeanRequestParser`).

Measured in docs/benchmarks.md, findings 26, 28, 29 and 33.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import ssl
import time
from typing import Any, Callable

from gunicorn import glogging, util
from gunicorn.http import wsgi
from gunicorn.http.body import LengthReader
from gunicorn.http.message import Request
from gunicorn.http.parser import RequestParser

Access = Callable[[Any, Any, dict, Any], None]


class _ListsNoEnviron:
    """An environ that answers lookups but lists nothing (gunicorn's ``{name}e`` atoms)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: dict) -> None:
        self._environ = environ

    def get(self, key: str, default: Any = None) -> Any:
        return self._environ.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._environ[key]

    def items(self) -> tuple:
        return ()


class _ListsNoHeaders:
    """A response that gives its status and bytes sent but lists no headers (``{name}o`` atoms)."""

    __slots__ = ("status", "sent")
    headers: tuple = ()

    def __init__(self, resp: Any) -> None:
        self.status = resp.status
        self.sent = getattr(resp, "sent", None)


def lean_access(log: Any, access_log_format: str) -> Access:
    """``log.access``, or the same call building only the atoms ``access_log_format`` can name.

    Only for gunicorn's own logger (a custom ``logger_class`` may read anything from the objects
    it is given) and a format without ``{…}`` atoms."""
    cls = type(log)
    if "{" in access_log_format or cls.access is not glogging.Logger.access or cls.atoms is not glogging.Logger.atoms:
        return log.access
    if not getattr(log, "access_log_enabled", True):  # no access log (OMERO.web's default): nothing to build
        return log.access

    access_logger, wrap = log.access_log, log.atoms_wrapper_class
    named = [(key, PLAIN_ATOMS[key]) for key in dict.fromkeys(_NAMED.findall(access_log_format)) if key in PLAIN_ATOMS]

    def access(resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        handler = plain_handler(access_logger)
        if handler is not None:
            try:
                line = access_log_format % wrap({key: atom(log, resp, environ, request_time) for key, atom in named})
            except Exception:  # noqa: BLE001 - gunicorn's own call below reports it as it does
                handler = None
            else:
                _emit(access_logger, handler, line)
        if handler is None:
            log.access(_ListsNoHeaders(resp), (), _ListsNoEnviron(environ), request_time)

    return access


def _status_code(status: Any) -> Any:
    return status.split(None, 1)[0] if isinstance(status, str) else status


def _sent(resp: Any) -> Any:
    return getattr(resp, "sent", None)


#: gunicorn's plain access-log atoms, as ``glogging.Logger.atoms`` makes them, each from
#: ``(log, resp, environ, request_time)``; a line builds only those its format names (any other
#: name is ``-``, as gunicorn's ``SafeAtoms`` gives it). Tests compare every one with gunicorn's.
PLAIN_ATOMS: dict[str, Callable[[Any, Any, dict, Any], Any]] = {
    "h": lambda log, resp, environ, took: environ.get("REMOTE_ADDR", "-"),
    "l": lambda log, resp, environ, took: "-",
    "u": lambda log, resp, environ, took: log._get_user(environ) or "-",
    "t": lambda log, resp, environ, took: log.now(),
    "r": lambda log, resp, environ, took: "%s %s %s" % (environ["REQUEST_METHOD"], environ["RAW_URI"],
                                                         environ["SERVER_PROTOCOL"]),
    "s": lambda log, resp, environ, took: _status_code(resp.status),
    "m": lambda log, resp, environ, took: environ.get("REQUEST_METHOD"),
    "U": lambda log, resp, environ, took: environ.get("PATH_INFO"),
    "q": lambda log, resp, environ, took: environ.get("QUERY_STRING"),
    "H": lambda log, resp, environ, took: environ.get("SERVER_PROTOCOL"),
    "b": lambda log, resp, environ, took: _sent(resp) is not None and str(resp.sent) or "-",
    "B": lambda log, resp, environ, took: _sent(resp),
    "f": lambda log, resp, environ, took: environ.get("HTTP_REFERER", "-"),
    "a": lambda log, resp, environ, took: environ.get("HTTP_USER_AGENT", "-"),
    "T": lambda log, resp, environ, took: took.seconds,
    "D": lambda log, resp, environ, took: (took.seconds * 1000000) + took.microseconds,
    "M": lambda log, resp, environ, took: (took.seconds * 1000) + int(took.microseconds / 1000),
    "L": lambda log, resp, environ, took: "%d.%06d" % (took.seconds, took.microseconds),
    "p": lambda log, resp, environ, took: "<%s>" % os.getpid(),
}
#: the mapping keys a %-format names
_NAMED = re.compile(r"%\(([^)]*)\)")


#: the formatter text gunicorn gives its access handler (``Logger.access_fmt``)
_ACCESS_FMT = glogging.Logger.access_fmt
_PLAIN_HANDLERS = (logging.StreamHandler, logging.FileHandler)


def plain_handler(logger: logging.Logger) -> logging.StreamHandler | None:
    """The one handler of ``logger`` when an ``INFO`` record would reach only it and be written
    as its message alone: the logger enabled for ``INFO``, not propagating, no filters on either,
    a plain ``StreamHandler``/``FileHandler`` with an open stream and gunicorn's ``%(message)s``
    formatter. None for any other set-up (``logconfig``, syslog, a filter, a Django ``LOGGING``
    that disabled or rewired the logger), which must go through ``logging``."""
    handlers = logger.handlers
    if len(handlers) != 1 or logger.disabled or logger.propagate or logger.filters:
        return None
    handler = handlers[0]
    formatter = handler.formatter
    if (type(handler) not in _PLAIN_HANDLERS or handler.filters or handler.level > logging.INFO
            or handler.stream is None or type(formatter) is not logging.Formatter
            or formatter._fmt != _ACCESS_FMT or type(formatter._style) is not logging.PercentStyle
            or not logger.isEnabledFor(logging.INFO)):
        return None
    return handler  # type: ignore[return-value]


def _emit(logger: logging.Logger, handler: logging.StreamHandler, line: str) -> None:
    """What ``handler.handle`` does with a record whose formatted text is ``line``
    (``StreamHandler.emit`` under the handler's lock, errors to ``handleError``)."""
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001 - as StreamHandler.emit
        handler.handleError(logger.makeRecord(logger.name, logging.INFO, "(unknown file)", 0, line, None, None))
    finally:
        handler.release()


_format_http_date = util.http_date
_date_cache: list = [None, ""]  # [whole second, its Date text]


def _http_date_once_a_second(timestamp: float | None = None) -> str:
    if timestamp is not None:
        return _format_http_date(timestamp)
    second = int(time.time())
    if _date_cache[0] != second:
        _date_cache[1] = _format_http_date(second)  # the header has whole seconds
        _date_cache[0] = second
    return _date_cache[1]


def cache_http_date() -> None:
    """Make this process's gunicorn format the ``Date`` header once a second (call in a worker)."""
    util.http_date = _http_date_once_a_second


#: response header names remembered by :func:`_kept_name` (a viewer's answers use a handful)
HEADER_NAMES_REMEMBERED = 256


@functools.lru_cache(maxsize=HEADER_NAMES_REMEMBERED)
def _kept_name(name: str) -> bool | None:
    """Whether ``name`` is ``Content-Length``, for a name gunicorn's ``process_headers`` keeps as it
    is (a token, not hop-by-hop); None for any other."""
    if wsgi.TOKEN_RE.fullmatch(name) is None or util.is_hoppish(name):
        return None
    return name.lower() == "content-length"


def _plain_header_name(name: Any) -> bool | None:
    """:func:`_kept_name` of a ``str`` name (None for any other type)."""
    return _kept_name(name) if type(name) is str else None


class HeadersWithBodyResponse(wsgi.Response):
    """gunicorn's response, whose header block waits for the first body bytes to share their send.

    The block is gunicorn's own (its ``default_headers`` and the kept headers, as its
    ``send_headers`` joins them); it is sent with the first body bytes (unchunked), before them
    (chunked, gunicorn frames the chunk), or on ``close`` when no body follows (``HEAD``, 304, an
    empty body). ``sendfile`` writes to the socket itself, so that path sends the block first,
    as gunicorn does.
    """

    _held = b""
    _hold = True

    def start_response(self, status: Any, headers: Any, exc_info: Any = None) -> Callable:
        """gunicorn's ``start_response``; a plain answer (a first call without ``exc_info``, a
        valid status of 200 or more but not 204 or 304 to a request that is not ``HEAD``, a list
        of headers whose names :func:`_plain_header_name` knows and whose values gunicorn
        accepts) is taken with the same checks and the same result in fewer steps. Anything
        else, an error included, is gunicorn's own call, which raises what it raises."""
        plain = (exc_info is None and self.status is None and type(status) is str and type(headers) is list
                 and self.req.method != "HEAD" and wsgi.STATUS_RE.fullmatch(status) is not None)
        code = int(status.split()[0]) if plain else 0
        plain = plain and code >= 200 and code not in (204, 304)
        kept, length = [], None
        for name, value in headers if plain else ():
            is_length = _plain_header_name(name)
            if is_length is None or type(value) is not str or wsgi.HEADER_VALUE_RE.fullmatch(value) is None:
                plain = False
                break
            value = value.strip(" \t")
            if is_length:
                try:
                    length = int(value)
                except ValueError:
                    plain = False
                    break
            kept.append((name, value))
        if not plain:
            return super().start_response(status, headers, exc_info)
        self.status, self.status_code = status, code
        self.headers.extend(kept)
        if length is not None:
            self.response_length = length
        self.chunked = False if length is not None else self.is_chunked()
        return self.write

    def send_headers(self) -> None:
        if self.headers_sent or not self._hold:
            super().send_headers()
            return
        block = "".join(self.default_headers()) + "".join([f"{k}: {v}\r\n" for k, v in self.headers]) + "\r\n"
        self._held = util.to_bytestring(block, "latin-1")
        self.headers_sent = True

    def _flush_held(self) -> None:
        held, self._held = self._held, b""
        if held:
            util.write(self.sock, held)

    def _emit_body(self, data: bytes) -> None:
        held = self._held
        if held and not self.chunked:
            self._held = b""
            _send_both(self.sock, held, data)
            return
        self._flush_held()
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        self._flush_held()
        self._hold = False  # sendfile writes the block, then the file, straight to the socket
        return super().sendfile(respiter)

    def close(self) -> None:
        if not self.headers_sent:  # a response that wrote nothing
            self.send_headers()
        self._flush_held()
        super().close()


def _send_both(sock: Any, head: bytes, body: bytes) -> None:
    """``sock.sendall(head + body)`` in one system call where the socket allows, without the copy."""
    if isinstance(sock, ssl.SSLSocket):  # no sendmsg over TLS
        sock.sendall(head + body)
        return
    sent = sock.sendmsg((head, body))
    if sent < len(head):
        sock.sendall(head[sent:])
        sock.sendall(body)
    elif sent < len(head) + len(body):
        sock.sendall(memoryview(body)[sent - len(head):])


def send_headers_with_body(resp: wsgi.Response) -> wsgi.Response:
    """Make gunicorn's ``resp`` (from ``wsgi.create``) send its header block with its first body bytes."""
    if type(resp) is wsgi.Response:
        resp.__class__ = HeadersWithBodyResponse
    return resp


class PeerTrustRememberedRequest(Request):
    """gunicorn's request, whose peer's forwarding trust is looked up per peer address and config."""

    def _peer_trusted_for_forwarded(self) -> tuple:
        peer, cfg = self.peer_addr, self.cfg
        if not isinstance(peer, tuple):  # a UNIX socket: gunicorn trusts it, nothing to look up
            return super()._peer_trusted_for_forwarded()
        known = cfg.__dict__.get("_lean_peer_trust")
        if known is None:
            known = cfg.__dict__["_lean_peer_trust"] = {}
        trust = known.get(peer[0])
        if trust is None:
            if len(known) >= 1024:  # many distinct peers (no proxy in front): keep the memo small
                known.clear()
            trust = known[peer[0]] = super()._peer_trusted_for_forwarded()
        return trust


#: A plain request head, all in printable ASCII: ``GET`` or ``HEAD``, an origin-form target without
#: a fragment (``/`` not followed by ``/``), HTTP/1.0 or 1.1, then header lines ``token:value``
#: (the value's bytes visible ASCII, space or tab) and the empty line. Every line ends in CRLF.
#: Each part is a subset of what gunicorn's Python parser accepts, with nothing left to its
#: judgment but the header policy (run below by gunicorn's own code). The match is linear: no
#: class a repetition spans holds CR, which alone ends a line.
_PLAIN_HEAD = re.compile(
    rb"(GET|HEAD) (/(?!/)[\x21\x22\x24-\x7e]*) HTTP/1\.([01])\r\n"
    rb"((?:[-!#$%&'*+.^_`|~0-9A-Za-z]+:[\x20-\x7e\t]*\r\n)*)\r\n")
_HEADER_LINE = re.compile(rb"([-!#$%&'*+.^_`|~0-9A-Za-z]+):([\x20-\x7e\t]*)\r\n")


class LeanRequest(PeerTrustRememberedRequest):
    """gunicorn's request, whose head is read in one regular-expression match when it is plain.

    A head that is whole in the first bytes read and matches :data:`_PLAIN_HEAD` within the
    configured limits is split here, and the request is made from it by the steps of gunicorn's
    own ``_parse_fast`` (its path for heads its C parser has split): the target through
    gunicorn's ``split_request_uri``, every header through gunicorn's header policy (``Expect``,
    scheme and forwarding headers, underscores, repeated ``Host``), then gunicorn's body reader.
    Anything else (another method, a target gunicorn reads another way, a folded, non-ASCII or
    oversized line, a head split over reads, PROXY protocol, gunicorn's C parser installed) is
    handed back unread to gunicorn's parser, which answers it as it always does.
    """

    def parse(self, unreader: Any) -> bytes:
        if getattr(self, "_use_fast", True) or (self.req_number == 1 and self.cfg.proxy_protocol not in ("off", False)):
            return super().parse(unreader)
        data = unreader.read()
        if not data:
            raise StopIteration()
        match = _PLAIN_HEAD.match(data)
        if match is None or not self._take_plain(match):
            unreader.unread(data)
            return super().parse(unreader)
        return data[match.end():]

    def _take_plain(self, match: re.Match) -> bool:
        """Fill the request from a plain head; False (nothing set) when a limit says gunicorn decides."""
        method, target, minor, block = match.groups()
        if 0 < self.limit_request_line < match.start(4) - 2:
            return False
        lines = list(_HEADER_LINE.finditer(block))
        if len(lines) > self.limit_request_fields:
            return False
        field_size = self.limit_request_field_size
        if field_size > 0 and any(line.end() - line.start() > field_size for line in lines):
            return False
        uri = target.decode("ascii")
        try:
            parts = util.split_request_uri(uri)
        except ValueError:  # gunicorn's parser words the error
            return False
        self.method = method.decode("ascii")
        self.uri = uri
        self.path = parts.path or ""
        self.query = parts.query or ""
        self.fragment = parts.fragment or ""
        self.version = (1, int(minor))
        headers = self.headers = []
        scheme_state, seen = [False], set()
        secure_scheme_headers, forwarder_headers = self._peer_trusted_for_forwarded()
        for line in lines:
            name, value = line.groups()
            kept = self._apply_header_policy(name.decode("ascii").upper(), value.decode("ascii").strip(" \t"),
                                             scheme_state, seen, secure_scheme_headers, forwarder_headers)
            if kept is not None:
                headers.append(kept)
        return True


class LeanRequestParser(RequestParser):
    """gunicorn's HTTP/1 request parser, which knows that a request whose body of known length has
    been read whole (a ``GET``'s empty one) leaves nothing to discard: gunicorn's ``finish_body``
    would set the socket's timeout, read nothing and set it back, twice per request."""

    mesg_class = LeanRequest

    def finish_body(self, deadline: float | None = None, max_bytes: int | None = None) -> bool:
        body = getattr(self.mesg, "body", None)
        reader = getattr(body, "reader", None)
        if type(reader) is LengthReader and reader.length == 0 and not body.failed and not body.buf.tell():
            return True  # what gunicorn's drain answers here, after reading b""
        return super().finish_body(deadline=deadline, max_bytes=max_bytes)


def lean_requests(parser: Any) -> Any:
    """Make gunicorn's HTTP/1 ``parser`` a :class:`LeanRequestParser`, or on a gunicorn without the
    header policy and body drain they rely on, one whose messages are :class:`PeerTrustRememberedRequest`
    (another parser, or a gunicorn without a per-request trust decision, is left as it is)."""
    if type(parser) is RequestParser and parser.mesg_class is Request \
            and hasattr(Request, "_peer_trusted_for_forwarded"):
        if hasattr(Request, "_apply_header_policy") and hasattr(RequestParser, "finish_body"):
            parser.__class__ = LeanRequestParser
        else:
            parser.mesg_class = PeerTrustRememberedRequest
    return parser
