"""Fixtures for the hardening tests: the image set on disk, the app pointed at it, and the checks
every answer must pass (a stock-compatible status, no traceback, no error hidden behind a 404)."""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pytest
from django.test import Client

from .imageset import REPO, write_image_set

#: exceptions our views caught and logged that are known bugs, each proven by an xfail test;
#: remove an entry when its fix lands (the strict xfail test then reminds you)
KNOWN_LOGGED_BUGS = (
)


def load_script(name: str):
    """``scripts/<name>.py`` as a module (scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def fuzz_module():
    return load_script("fuzz")


@pytest.fixture(scope="session")
def hardening_catalog(tmp_path_factory) -> Path:
    """The hardening image set (written once per test session)."""
    return write_image_set(tmp_path_factory.mktemp("hardening"))


@pytest.fixture
def app(settings, hardening_catalog: Path) -> Path:
    """The app in standalone mode on the image set; no fallback, so a hidden error would show."""
    settings.FAST_REGION = {"catalog": f"local:{hardening_catalog}", "standalone": True}
    return hardening_catalog


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=True)


class ErrorLog(logging.Handler):
    """Collects ERROR records of the app's loggers (an exception the views turned into a 4xx)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def unexpected(self, known: tuple[str, ...] = KNOWN_LOGGED_BUGS) -> list[str]:
        """Formatted errors, minus the known bugs listed in :data:`KNOWN_LOGGED_BUGS`."""
        out = []
        for record in self.records:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                exc = record.exc_info[1]
                text += f" [{type(exc).__name__}: {exc}]"
            if not any(marker in text for marker in known):
                out.append(text)
        return out

    def clear(self) -> None:
        self.records.clear()


@pytest.fixture
def error_log():
    handler = ErrorLog()
    logger = logging.getLogger("omero_fast_region")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def check_answer(fuzz, response, url: str) -> None:
    """The fuzz script's rules, in process: stock-compatible status, no traceback, no reflected HTML."""
    body = b"" if response.streaming else response.content
    problem = fuzz.check_response(response.status_code, response.get("Content-Type", ""), body)
    assert problem is None, f"{problem}: {url}\n{body[:300]!r}"
