"""Who is asking: the requester's identity, as far as the catalog and the caches need it.

Standalone mode: everyone is the same anonymous requester. Inside OMERO.web: the OMERO session
found in OMERO.web's own Django session (``request.session["connector"]``, a dict since
omero-web 5.18: ``server_id``, ``is_secure``, ``is_public``, ``omero_session_key``, ``user_id``;
omero-web.md §5.1). Without one, or when the public user may not use this URL, the stock view
answers (login redirect, 403 to XHR, or a public login), exactly as without this app.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import get_config
from .sessions import session_value


class NotLoggedIn(Exception):
    """No usable OMERO session: the stock view must answer (login redirect, 403, public user)."""


@dataclass(frozen=True)
class RequestContext:
    """``scope`` keys every per-requester cache and ETag; ``connector`` is OMERO.web's dict."""

    scope: str
    connector: dict | None = None
    is_public: bool = False
    share_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def session_key(self) -> str | None:
        return (self.connector or {}).get("omero_session_key")

    @property
    def user_id(self) -> int | None:
        value = (self.connector or {}).get("user_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def __repr__(self) -> str:  # never print the session key (logs, tracebacks)
        return f"RequestContext(scope={self.scope!r}, is_public={self.is_public}, share_id={self.share_id})"


STANDALONE = RequestContext(scope="standalone")

#: requesters built so far, by share and connector contents (a tile's requester is one of a few)
_KNOWN: dict[tuple, RequestContext] = {}
MAX_KNOWN = 4096


def scope_of(session_key: str) -> str:
    """A stable, non-reversible token for an OMERO session key (never log the key itself)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def public_url_allowed(request: Any) -> bool:
    """``login_required.is_valid_public_url`` for the render views (omero-web.md §5.4).

    The public user may use a URL only while ``omero.web.public.enabled`` is on, the user and
    password are configured, the request is a GET when ``get_only`` is set, and
    ``omero.web.public.url_filter`` matches ``request.path`` (which includes the prefix).
    """
    from django.conf import settings

    if not getattr(settings, "PUBLIC_ENABLED", False):
        return False
    if not hasattr(settings, "PUBLIC_USER") or not hasattr(settings, "PUBLIC_PASSWORD"):
        return False
    if getattr(settings, "PUBLIC_GET_ONLY", True) and request.method != "GET":
        return False
    url_filter = getattr(settings, "PUBLIC_URL_FILTER", None)
    if url_filter is None:
        return False
    if isinstance(url_filter, str):
        url_filter = re.compile(url_filter)
    return url_filter.search(request.path) is not None


def _share_id(request: Any) -> int | None:
    """The ``<share_id>`` of ``/webclient/<share_id>/render_…`` URLs, if any."""
    match = getattr(request, "resolver_match", None)
    return share_id_of(getattr(match, "kwargs", None) or {})


def share_id_of(url_kwargs: dict[str, Any]) -> int | None:
    """The share of a render URL's arguments (``share_id``), if any."""
    value = url_kwargs.get("share_id")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def context_for(request: Any) -> RequestContext:
    """The requester of a Django request; raises NotLoggedIn when there is no usable OMERO session.

    Contexts are immutable and built once per connector contents and share (the session key's
    digest is the costly part): the same session's tiles share one."""
    if get_config().standalone:
        return STANDALONE
    connector = session_value(request, "connector")
    return context_of(connector, _share_id(request), lambda: public_url_allowed(request))


def context_of(connector: Any, share_id: int | None, public_allowed: Callable[[], bool]) -> RequestContext:
    """:func:`context_for` from the session's ``connector`` value and the URL's share;
    ``public_allowed()`` is asked only for the public user's session."""
    if not isinstance(connector, dict) or not connector.get("omero_session_key"):
        raise NotLoggedIn()
    is_public = bool(connector.get("is_public"))
    if is_public and not public_allowed():
        raise NotLoggedIn()  # stock closes the public connection and answers "not logged in"
    try:
        key: tuple | None = (share_id, *connector.items())
        known = _KNOWN.get(key)  # type: ignore[arg-type]
    except TypeError:  # a value that cannot be hashed: build it every time
        key, known = None, None
    if known is not None:
        return known
    ctx = RequestContext(
        scope=scope_of(str(connector["omero_session_key"])),
        connector=dict(connector),
        is_public=is_public,
        share_id=share_id,
    )
    if key is not None:
        if len(_KNOWN) >= MAX_KNOWN:
            _KNOWN.clear()
        _KNOWN[key] = ctx
    return ctx
