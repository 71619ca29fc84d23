"""Call a WSGI application as gunicorn does and compare answers (the dispatch and front tests)."""

from __future__ import annotations

import io
import sys
from urllib.parse import unquote, urlsplit


def call(app, url: str, method: str = "GET", host: str = "127.0.0.1", cookies: dict[str, str] | None = None,
         environ: dict[str, str] | None = None, **headers: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """``app`` as gunicorn calls it: (status, headers, body). ``headers`` are named as in Python
    (``x_requested_with``); ``environ`` adds entries such as ``REMOTE_ADDR``."""
    split = urlsplit(url)
    request = {
        "REQUEST_METHOD": method, "PATH_INFO": unquote(split.path), "QUERY_STRING": split.query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        **(environ or {}),
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    if cookies:
        request["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"], answer["headers"] = status, response_headers

    chunks = app(request, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return answer["status"], answer["headers"], body


def comparable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers in order, ``Server-Timing`` durations left out (they are timings)."""
    return [(name, "…" if name == "Server-Timing" else value) for name, value in headers]
