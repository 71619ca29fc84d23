"""Tests that run INSIDE real OMERO.web (``DJANGO_SETTINGS_MODULE=testproject.settings_omeroweb``).

pytest-django configures one settings module per process, so tests/omeroweb/test_hosted.py
runs this folder in a subprocess per mounting mode, with ``OMERODIR`` (config written with
ConfigXml), the fake OMERO server's call log and the mode in the environment. Collected only
there (``FAST_REGION_HOSTED=1``).
"""

import json
import os
import time
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest

if os.environ.get("FAST_REGION_HOSTED") != "1":
    collect_ignore_glob = ["test_*.py"]


class CallLog:
    """The fake OMERO server's JSON-lines log (``--log-file``): calls made since :meth:`mark`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def since_mark(self) -> list[dict]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8") as fh:
            fh.seek(self.offset)
            return [json.loads(line) for line in fh if line.strip()]

    def ice_calls(self) -> list[dict]:
        return [e for e in self.since_mark() if e.get("kind") != "query"]

    def services(self) -> set[str]:
        return {e.get("service") for e in self.ice_calls()}


@pytest.fixture
def call_log() -> CallLog:
    log = CallLog(os.environ["FAST_REGION_FAKE_LOG"])
    log.mark()
    return log


@pytest.fixture
def mode() -> str:
    return os.environ["FAST_REGION_MODE"]


class FakeServer:
    """The fake OMERO server's HTTP control (``tests/fake_omero``: ``ControlServer``)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, action: str, method: str = "POST", **query: str) -> dict:
        target = f"{self.url}/{action}" + (f"?{urlencode(query)}" if query else "")
        data = b"" if method == "POST" else None
        with urlopen(Request(target, method=method, data=data), timeout=30) as answer:
            return json.loads(answer.read())

    def kill_session(self, uuid: str) -> bool:
        """Expire the OMERO session ``uuid`` on the server (as its idle timeout would)."""
        return self._call("kill_session", session=uuid)["found"]

    def stop(self) -> None:
        self._call("stop")

    def start(self) -> None:
        self._call("start")

    def state(self, uuid: str | None = None) -> dict:
        return self._call("state", "GET", **({"session": uuid} if uuid else {}))

    def connections(self, uuid: str, expected: int, within: float = 30.0) -> int:
        """Open client connections holding ``uuid``, once they reach ``expected`` (connections close
        asynchronously) or ``within`` seconds have passed."""
        deadline = time.monotonic() + within
        while True:
            count = self.state(uuid)["connections"]
            if count == expected or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


@pytest.fixture
def fake_server():
    server = FakeServer(os.environ["FAST_REGION_FAKE_CONTROL"])
    yield server
    if not server.state()["running"]:
        server.start()  # a failed test never leaves the server down for the next


@pytest.fixture(scope="module")
def session_key() -> str:
    """A Django session of alice's, logged in as OMERO.web's login view does."""
    from django.conf import settings
    from django.test import Client

    from .sessions import login

    client = Client()
    login(client, "alice", "alice-pw")
    return client.cookies[settings.SESSION_COOKIE_NAME].value
