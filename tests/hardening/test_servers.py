"""Real gunicorn on loopback: the short fuzz (~500 requests; gthread, and ``serve``'s keep-alive
worker, whose connections the fuzz reuses), the short soak (~20 s), and ``serve``'s keep-alive
worker and every worker class OMERO.web documents (sync, gthread, gevent) serving concurrent NGFF tiles (zarr 3
runs its own asyncio loop in a thread; under gevent's monkey-patching reads must neither
deadlock nor serialise the worker). Servers are stopped (process group) whatever happens."""

from __future__ import annotations

import http.client
import re
import threading
import time

import pytest

from omero_fast_region.cli import KEEPALIVE_WORKER

from .conftest import KNOWN_LOGGED_BUGS, load_script
from .imageset import ids_of

EXCEPTION_LINE = re.compile(r"^\w+(Error|Exception)\b")


@pytest.fixture(scope="module")
def soak():
    return load_script("soak")


def unexplained(server_errors: list[str]) -> list[str]:
    """Server log errors that no known bug (strict-xfail tested) explains."""
    exceptions = [line for line in server_errors if EXCEPTION_LINE.match(line)]
    known = [line for line in exceptions if any(marker in line for marker in KNOWN_LOGGED_BUGS)]
    others = [line for line in server_errors if not EXCEPTION_LINE.match(line)]
    failed = [line for line in others if line.endswith("failed")]
    rest = [line for line in others if not line.endswith("failed")]
    extra_failed = failed[len(known):]  # each known exception explains one "... failed" line
    return [line for line in exceptions if line not in known] + extra_failed + rest


def get(port: int, path: str, timing: list | None = None) -> tuple[int, bytes]:
    """GET on loopback; ``timing`` gets the server's work interval (start, end) on this clock: the
    answer's arrival minus the ``total`` of its ``Server-Timing`` header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        arrived = time.monotonic()
        body = response.read()
        if timing is not None:
            total = re.search(r"total;dur=([0-9.]+)", response.getheader("Server-Timing") or "")
            if total:
                timing.append((arrived - float(total.group(1)) / 1000.0, arrived))
        return response.status, body
    finally:
        conn.close()


def overlapping(intervals: list[tuple[float, float]]) -> int:
    """How many intervals overlap another one."""
    return sum(1 for i, (s1, e1) in enumerate(intervals)
               if any(s1 < e2 and s2 < e1 for j, (s2, e2) in enumerate(intervals) if j != i))


@pytest.mark.parametrize("worker_class", ["gthread", "keepalive"])
def test_short_fuzz_against_gunicorn(fuzz_module, hardening_catalog, worker_class):
    images, shapes = ids_of(hardening_catalog)
    with fuzz_module.Server(str(hardening_catalog), worker_class, workers=2, threads=4) as server:
        report = fuzz_module.run_fuzz(server.url, 500, seed=7, image_ids=images, shape_ids=shapes,
                                      concurrency=4, max_seconds=240)
        assert server.proc.poll() is None, "the server died"
        server.stop()
        errors = fuzz_module.server_errors(server.log_text())
    lines = "\n".join(report.lines(server.url))
    assert report.total == 500 and not report.failures, lines
    assert unexplained(errors) == [], lines + "\n" + "\n".join(errors)


def test_short_soak_with_gthread_workers_is_flat(fuzz_module, soak, hardening_catalog):
    images, shapes = ids_of(hardening_catalog)
    with fuzz_module.Server(str(hardening_catalog), "gthread", workers=2, threads=4) as server:
        report = soak.run_soak(server, images, shapes, seconds=20, clients=8, sample_every=0.5)
    report.judge(rss_growth=0.5, fd_growth=16)  # short run: generous; `make soak` uses 10 % over 10 min
    assert report.ok and report.requests > 0, "\n".join(report.lines())


def ngff_only_catalog(catalog):
    """The NGFF image alone (under gevent the other images would load, NGFF is what is tested)."""
    import json

    doc = json.loads(catalog.read_text())
    doc["images"] = [image for image in doc["images"] if image["id"] == 2]
    doc["masks"] = []
    path = catalog.parent / "catalog-ngff.json"
    path.write_text(json.dumps(doc))
    return path


#: how gunicorn's log names a worker class
WORKER_CLASS_NAMES = {"keepalive": KEEPALIVE_WORKER}
HEAVY = "/webgateway/render_image_region/2/0/0/?region=0,0,1024,768&format=png"
LIGHT = "/webgateway/render_image_region/2/0/0/?tile=1,{x},0"


@pytest.mark.parametrize("worker_class", ["keepalive", "sync", "gthread", "gevent"])
def test_each_worker_class_serves_concurrent_ngff_tiles(fuzz_module, hardening_catalog, worker_class):
    if worker_class == "gevent":
        pytest.importorskip("gevent")
        hardening_catalog = ngff_only_catalog(hardening_catalog)
    expected = {}
    with fuzz_module.Server(str(hardening_catalog), worker_class, workers=1, threads=8) as server:
        for path in [HEAVY] + [LIGHT.format(x=x) for x in range(2)]:
            status, body = get(server.port, path)
            assert status == 200, (path, body[:200])
            expected[path] = body
        results: dict[str, list] = {"heavy": [], "light": []}
        lock = threading.Lock()
        intervals: list[tuple[float, float]] = []

        def fetch(kind: str, path: str) -> None:
            status, body = get(server.port, path, intervals)
            with lock:
                results[kind].append((status, body == expected[path]))

        heavy = [threading.Thread(target=fetch, args=("heavy", HEAVY)) for _ in range(8)]
        light = [threading.Thread(target=fetch, args=("light", LIGHT.format(x=i % 2))) for i in range(8)]
        for thread in heavy + light:
            thread.start()
        for thread in heavy + light:
            thread.join(timeout=120)
        assert not any(t.is_alive() for t in heavy + light), f"{worker_class}: requests hung (deadlock?)"
        assert server.proc.poll() is None
    # the worker class asked for is the one that ran
    assert f"Using worker: {WORKER_CLASS_NAMES.get(worker_class, worker_class)}\n" in server.log_text()
    assert all(r == (200, True) for r in results["heavy"] + results["light"]), results
    assert len(intervals) == 16, "every answer carries Server-Timing"
    if worker_class not in ("sync", "keepalive"):  # one such worker answers one request at a time by design
        # not serialised: the server worked on several requests at once (their server-side
        # intervals overlap). Which request finishes first depends on the machine's load, so
        # the order of answers is not asserted.
        assert overlapping(intervals) >= 4, sorted(intervals)
