"""Who is asking: the requester's identity, as far as the catalog and the caches need it.

Standalone mode: everyone is the same anonymous requester. Inside OMERO.web: the OMERO session
found in OMERO.web's own Django session (``request.session["connector"]``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .config import get_config


class NotLoggedIn(Exception):
    """No usable OMERO session: the stock view must answer (login redirect, 403, public user)."""


@dataclass(frozen=True)
class RequestContext:
    """``scope`` keys every per-requester cache and ETag; ``connector`` is OMERO.web's dict."""

    scope: str
    connector: dict | None = None
    is_public: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def session_key(self) -> str | None:
        return (self.connector or {}).get("omero_session_key")


STANDALONE = RequestContext(scope="standalone")


def scope_of(session_key: str) -> str:
    """A stable, non-reversible token for an OMERO session key (never log the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def context_for(request: Any) -> RequestContext:
    """The requester of a Django request; raises NotLoggedIn when there is no OMERO session."""
    if get_config().standalone:
        return STANDALONE
    session = getattr(request, "session", None)
    connector = session.get("connector") if session is not None else None
    if not isinstance(connector, dict) or not connector.get("omero_session_key"):
        raise NotLoggedIn()
    return RequestContext(
        scope=scope_of(connector["omero_session_key"]),
        connector=dict(connector),
        is_public=bool(connector.get("is_public")),
    )
