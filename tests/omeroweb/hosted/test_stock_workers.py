"""OMERO.web's own ``omeroweb.wsgi:application`` under gunicorn's stock workers, as ``omero web
start`` runs it when ``omero.web.wsgi_args`` names no worker class: the render URLs go through the
hosted front and its tile lane (``wsgi_front.py``), and every answer is the one Django's handler
gives in this process."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from omero_fast_region.loopback import free_port, wait_for_port

from .test_hosted_front import TILE, alice, comparable, get

REPO = Path(__file__).resolve().parents[3]

#: what gunicorn adds to every answer, whatever the application
GUNICORN_HEADERS = {"date", "server", "connection"}

#: (path, status): tiles (the lane's), another render URL (the front's cycle), a page (OMERO.web's own)
URLS = [
    (TILE, 200),
    ("/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32&q=0.9", 200),
    ("/webgateway/render_thumbnail/4/96/", 200),
    ("/webgateway/render_image_region/4/0/0/?tile=0,a,b", 400),
]


@pytest.fixture(scope="module", params=["sync", "gthread"])
def stock_server(request):
    """gunicorn's own worker class (gthread: 4 threads) serving OMERO.web's WSGI module; yields the
    port and the OMERO.web log written since it started."""
    log = Path(settings.LOGDIR) / "OMEROweb.log"
    offset = log.stat().st_size if log.exists() else 0
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "omeroweb.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--worker-class", request.param, "--threads", "4" if request.param == "gthread" else "1",
            "--no-control-socket", "--timeout", "60"]
    proc = subprocess.Popen(argv, cwd=REPO, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port, proc, timeout=60.0)

        def written() -> str:
            with open(log, encoding="utf-8", errors="replace") as fh:
                fh.seek(offset)
                return fh.read()

        yield port, written
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def fetch(port: int, path: str, cookie: str) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Host": "testserver", "Cookie": cookie})
        answer = connection.getresponse()
        body = answer.read()
        headers = [(name, value) for name, value in answer.getheaders() if name.lower() not in GUNICORN_HEADERS]
        return answer.status, headers, body
    finally:
        connection.close()


def test_the_stock_worker_answers_through_the_front_as_django_does(stock_server, session_key):
    port, written = stock_server
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    for path, status in URLS:
        got_status, headers, body = fetch(port, path, cookie)
        expected = get(WSGIHandler(), path, cookies=alice(session_key))
        assert got_status == status == int(expected[0].split()[0]), path
        assert (comparable(headers), body) == (comparable(expected[1]), expected[2]), path
    assert "render URLs answered through the hosted front (tile lane on)" in written()


def test_concurrent_tiles_under_the_stock_worker_are_all_the_same_answer(stock_server, session_key):
    port, _ = stock_server
    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: fetch(port, TILE, cookie), range(32)))
    assert {(status, body) for status, _, body in answers} == {(200, get(WSGIHandler(), TILE, cookies=alice(session_key))[2])}
