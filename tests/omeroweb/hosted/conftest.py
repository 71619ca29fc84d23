"""Tests that run INSIDE real OMERO.web (``DJANGO_SETTINGS_MODULE=testproject.settings_omeroweb``).

pytest-django configures one settings module per process, so tests/omeroweb/test_hosted.py
runs this folder in a subprocess per mounting mode, with ``OMERODIR`` (config written with
ConfigXml), the fake OMERO server's call log and the mode in the environment. Collected only
there (``FAST_REGION_HOSTED=1``).
"""

import json
import os

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
