"""Cheaper forms of two pieces of gunicorn's per-response work, for the keep-alive worker.

Both give byte-for-byte what gunicorn gives; they only skip work whose result is thrown away:

* :func:`lean_access` — gunicorn's access log builds an atom for every request header, response
  header and environ entry (about 60 strings, each escaped) for every line, whatever the format
  asks for. With a format that names none of the ``{…}i``/``{…}o``/``{…}e`` atoms (the default
  names none), gunicorn's own ``Logger.access`` is handed views that list no headers and no
  environ, so it builds only the ~20 plain atoms the line can use.
* :func:`cache_http_date` — gunicorn formats the ``Date`` header from the clock for every
  response; the text changes once a second, so it is formatted once a second (as nginx does).

Measured in docs/benchmarks.md, finding 26.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from gunicorn import glogging, util

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

    def access(resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        log.access(_ListsNoHeaders(resp), (), _ListsNoEnviron(environ), request_time)

    return access


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
