"""The product hosted in OMERO.web: Redis sessions, a logged-in session, the fake OMERO Ice server.

Needs the OMERO.web-hosted test set-up (``testproject/settings_omeroweb.py``,
``tests/fake_omero/``); :func:`hosted_unavailable` says why a run must skip it.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEEDED = ("testproject/settings_omeroweb.py", "tests/fake_omero/fake_omero_server.py", "tests/services.py")


def hosted_unavailable() -> str | None:
    """None when the hosted mode can run here, else the reason it cannot."""
    missing = [p for p in NEEDED if not (REPO / p).exists()]
    if missing:
        return "OMERO.web-hosted set-up not in this checkout yet (missing " + ", ".join(missing) + ")"
    try:
        import omeroweb  # noqa: F401
        import omero  # noqa: F401
    except ImportError as exc:
        return f"omero-web/omero-py not importable: {exc}"
    return "hosted harness not wired yet"


class HostedSetup:
    """Context manager: fake OMERO server + OMERO.web settings + one logged-in Django session."""

    def __init__(self, data, redis) -> None:
        raise RuntimeError(hosted_unavailable() or "hosted mode unavailable")
