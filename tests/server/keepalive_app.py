"""A WSGI application for the keep-alive worker's tests: answers with its path and the worker's pid."""

from __future__ import annotations

import os
import time

#: a body larger than a loopback segment and the socket buffers
BIG_BODY = bytes(range(256)) * 8192


def application(environ: dict, start_response) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/slow":  # ?seconds (default 0.3)
        time.sleep(float(environ.get("QUERY_STRING") or 0.3))
    if path == "/file":  # this module's source, which gunicorn sends with sendfile(2)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(os.path.getsize(__file__)))])
        return environ["wsgi.file_wrapper"](open(__file__, "rb"))
    if path == "/chunked":  # no Content-Length, several writes: chunked on HTTP/1.1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"one,", b"two,", b"three"]
    if path == "/big":
        body = BIG_BODY
    elif path == "/echo-length":  # reads the body (other paths leave a POST body unread)
        body = str(len(environ["wsgi.input"].read())).encode()
    else:
        body = f"{path} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
