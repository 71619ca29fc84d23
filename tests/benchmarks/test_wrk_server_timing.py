"""wrk's script (benchmarks.load.WRK_SCRIPT): the in-situ figure is the mean ``Server-Timing`` ``cpu``
of the 200 answers that carry one, found by name among the header's metrics."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.load import run_wrk

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian: wrk)")

#: path -> (status, Server-Timing value or None)
ANSWERS = {
    "/last": (200, "session;dur=0.05, metadata;dur=1.20, read;dur=6.81, total;dur=13.61, cpu;dur=9.85"),
    "/first": (200, "cpu;dur=2.15, total;dur=3.00"),
    "/absent": (200, None),
    "/no-dur": (200, "cpu;desc=x, total;dur=1"),
    "/not-a-number": (200, "cpu;dur=abc"),
    "/two-points": (200, "cpu;dur=1.2.3"),
    "/other-name": (200, "xcpu;dur=50, total;dur=60"),
    "/not-found": (404, "cpu;dur=70"),  # only images (200s) count
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        status, timing = ANSWERS[self.path]
        self.send_response(status)
        if timing is not None:
            self.send_header("Server-Timing", timing)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path, mean", [("/last", 9.85), ("/first", 2.15), ("/absent", None), ("/no-dur", None),
                                        ("/not-a-number", None), ("/two-points", None), ("/other-name", None),
                                        ("/not-found", None)])
def test_the_cpu_metric_is_read_by_name_from_each_200(port, path, mean):
    result = run_wrk(port, [path], 1, 1.0)
    assert result["requests"] > 0
    assert result["server_timing_cpu_ms"] == mean
    assert result["server_timing_samples"] == (result["requests"] if mean is not None else 0)


def test_the_mean_is_over_the_answers_that_carried_one(port):
    result = run_wrk(port, ["/last", "/first", "/absent"], 1, 1.0)
    counted = result["server_timing_samples"]
    assert 0 < counted < result["requests"]  # the answers without the metric are not counted
    assert 2.15 < result["server_timing_cpu_ms"] < 9.85
