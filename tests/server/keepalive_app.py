"""A WSGI application for the keep-alive worker's tests: answers with its path and the worker's pid."""

from __future__ import annotations

import os
import time


def application(environ: dict, start_response) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/slow":
        time.sleep(0.3)
    if path == "/echo-length":  # reads the body (other paths leave a POST body unread)
        body = str(len(environ["wsgi.input"].read())).encode()
    else:
        body = f"{path} {os.getpid()}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
