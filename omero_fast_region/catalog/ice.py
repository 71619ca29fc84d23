"""The ``ice`` catalog: image metadata from the OMERO server, with the requester's own session.

The only module that imports ``omero`` (DESIGN.md §2). On a descriptor-cache miss it joins the
OMERO session found in OMERO.web's connector exactly as OMERO.web does
(``omeroweb.connector.Connector.create_gateway`` + ``connect(sUuid=…)``), then runs one HQL
query with ``omero.group=-1`` (ms-image-region.md §2.1, §7.5): image, pixels, type, channels,
stats, external info, fileset, parents (dataset, project, well), objective, creation event,
every rendering definition with bindings, families, codomain maps, quantum def and model. An
imported original (no NGFF, no pyramid) costs one more small query for the fileset's files. Missing and unreadable images are the same 404, as in OMERO.

Mask shapes (``get_mask``) cost one query too (:data:`MASK_QUERY`): the packed bits come inline,
an NGFF label is located through the mask's ExternalInfo under the same rules as images; both
are cached per OMERO session like descriptors.

Joined sessions are kept per OMERO session in a small LRU (:class:`JoinedSessions`): a cold
request then costs one Ice call instead of ~12; no keep-alive runs, so OMERO's idle timeout
still applies, and a dead session is dropped and re-joined once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import Ice
import omero
import omero.model
import omero.sys
from omero.model.enums import UnitsLength

from ..config import Config
from ..descriptor import ImageDescriptor, MaskDescriptor
from ..errors import NotFound, Unsupported
from ..requestcontext import NotLoggedIn, RequestContext
from .base import Catalog
from .cache import DescriptorCache, UnsupportedMark
from .filesets import MAX_FILES
from .ice_model import describe_image, describe_mask

logger = logging.getLogger(__name__)

USER_AGENT = "OMERO.web.fast_region"
ALL_GROUPS = {"omero.group": "-1"}

#: One query for everything a render needs (the rendering defs of every user come along; the
#: requester's or the owner's is chosen client-side, as ``or`` is avoided for portability).
IMAGE_QUERY = (
    "select i from Image i"
    " join fetch i.details.owner join fetch i.details.group"
    " left outer join fetch i.details.externalInfo"
    " left outer join fetch i.fileset"
    " left outer join fetch i.details.creationEvent"
    " left outer join fetch i.datasetLinks dl left outer join fetch dl.parent ds"
    " left outer join fetch ds.projectLinks pl left outer join fetch pl.parent"
    " left outer join fetch i.wellSamples ws left outer join fetch ws.well"
    " left outer join fetch i.objectiveSettings os left outer join fetch os.objective"
    " join fetch i.pixels p join fetch p.pixelsType"
    " left outer join fetch p.channels c left outer join fetch c.logicalChannel"
    " left outer join fetch c.statsInfo"
    " left outer join fetch p.settings rd left outer join fetch rd.details.owner"
    " left outer join fetch rd.details.updateEvent"
    " left outer join fetch rd.quantization left outer join fetch rd.model"
    " left outer join fetch rd.waveRendering cb left outer join fetch cb.family"
    " left outer join fetch cb.spatialDomainEnhancement"
    " where i.id = :id"
)

#: One Mask with its ROI, image and ExternalInfo (NGFF labels); other shape types find no row.
MASK_QUERY = (
    "select s from Mask s join fetch s.roi r left outer join fetch r.image"
    " left outer join fetch s.details.externalInfo where s.id = :id"
)

#: The files of a fileset (at most ``filesets.MAX_FILES`` + 1 rows: more go to the stock view).
FILESET_QUERY = (
    "select fe from FilesetEntry fe join fetch fe.originalFile where fe.fileset.id = :id"
)

#: A joined session that raises one of these is dropped and joined again once; if that fails too
#: the request goes to the stock view (which answers as OMERO.web does when the session expired or
#: the server is down). ``Ice.LocalException`` covers lost/refused connections, timeouts and a
#: destroyed session's objects (``ObjectNotExistException``).
_SESSION_GONE = (omero.SessionException, Ice.LocalException)

#: Bound on one metadata query (ms). omero.client bounds connecting (``Ice.Override.ConnectTimeout``
#: 5 s) but not waiting for an answer: a server that accepts and never answers would hold the worker.
QUERY_TIMEOUT_MS = 60_000


def to_micrometres(length: Any) -> float:
    """A ``Length`` in µm (OMERO's own unit conversion)."""
    if length.getUnit() == UnitsLength.MICROMETER:
        return float(length.getValue())
    return float(omero.model.LengthI(length, UnitsLength.MICROMETER).getValue())


def join_session(connector: dict) -> Any:
    """A BlitzGateway joined to the connector's OMERO session, as OMERO.web joins it; NotLoggedIn if it fails."""
    from omeroweb.connector import Connector

    fields = ("server_id", "is_secure", "is_public", "omero_session_key", "user_id")
    gateway = Connector(**{k: connector.get(k) for k in fields}).create_gateway(USER_AGENT)
    try:
        joined = gateway.connect(sUuid=connector["omero_session_key"])
    except Exception:
        joined = False
    if not joined:
        close_quietly(gateway)
        raise NotLoggedIn()
    return gateway


def query_service(gateway: Any) -> Any:
    """The joined session's raw IQuery proxy, bounded by :data:`QUERY_TIMEOUT_MS`, made once per gateway.

    Raw, not BlitzGateway's wrapper: the wrapper logs every failed call with the proxy's identity,
    which names the OMERO session.
    """
    query = getattr(gateway, "_fast_region_query", None)
    if query is None:
        query = gateway.c.getSession().getQueryService().ice_invocationTimeout(QUERY_TIMEOUT_MS)
        gateway._fast_region_query = query
    return query


def close_quietly(gateway: Any) -> None:
    """Leave the OMERO session alive (``hard=False``): it is the user's, not ours."""
    try:
        gateway.close(hard=False)
    except Exception:
        logger.debug("closing a joined session failed", exc_info=True)


class JoinedSessions:
    """A bounded LRU of joined gateways keyed by scope (hash of the session key); thread-safe."""

    def __init__(self, max_sessions: int = 8, max_idle: float = 300.0, joiner=join_session) -> None:
        self.max_sessions, self.max_idle, self.joiner = max_sessions, max_idle, joiner
        self._lock = threading.Lock()
        self._joined: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, ctx: RequestContext) -> Any:
        now = time.monotonic()
        stale = []
        with self._lock:
            for scope, (used, gateway) in list(self._joined.items()):
                if now - used > self.max_idle:
                    stale.append(self._joined.pop(scope)[1])
            hit = self._joined.pop(ctx.scope, None)
            if hit is not None:
                self._joined[ctx.scope] = (now, hit[1])
        for gateway in stale:
            close_quietly(gateway)
        if hit is not None:
            return hit[1]
        gateway = self.joiner(ctx.connector or {})
        evicted = []
        with self._lock:
            previous = self._joined.pop(ctx.scope, None)
            if previous is not None:
                evicted.append(previous[1])
            self._joined[ctx.scope] = (now, gateway)
            while len(self._joined) > self.max_sessions:
                evicted.append(self._joined.popitem(last=False)[1][1])
        for old in evicted:
            close_quietly(old)
        return gateway

    def drop(self, ctx: RequestContext) -> None:
        with self._lock:
            hit = self._joined.pop(ctx.scope, None)
        if hit is not None:
            close_quietly(hit[1])

    def close_all(self) -> None:
        with self._lock:
            gateways = [g for _, g in self._joined.values()]
            self._joined.clear()
        for gateway in gateways:
            close_quietly(gateway)


class IceCatalog(Catalog):
    """Descriptors from OMERO over Ice, cached per (OMERO session, image) for ``metadata_cache_ttl``."""

    def __init__(self, config: Config, sessions: JoinedSessions | None = None) -> None:
        self.config = config
        self.cache = DescriptorCache(config.metadata_cache_ttl)
        self.mask_cache = DescriptorCache(config.metadata_cache_ttl, namespace="mask")
        self.sessions = sessions or JoinedSessions()
        self.ngff_roots = tuple(getattr(config, "ngff_roots", ()) or _setting("ngff_roots") or ())

    def get_image(self, image_id: int, context: Any = None) -> ImageDescriptor:
        ctx = _require_session(context)
        if ctx.share_id is not None:
            raise Unsupported("images in shares are served by the stock view")
        entry = self.cache.get(ctx.scope, image_id)
        if entry is None:
            entry = self._describe(int(image_id), ctx)
            if not (isinstance(entry, ImageDescriptor) and entry.rendering is None):
                self.cache.put(ctx.scope, image_id, entry)  # no rdef yet: the stock view will make one
        if isinstance(entry, UnsupportedMark):
            raise Unsupported(entry.reason)
        return entry

    def get_mask(self, shape_id: int, context: Any = None) -> MaskDescriptor:
        """The Mask ``shape_id`` as the requester may read it (404 when missing, unreadable or not a Mask)."""
        ctx = _require_session(context)
        if ctx.share_id is not None:
            raise Unsupported("shapes in shares are served by the stock view")
        entry = self.mask_cache.get(ctx.scope, shape_id)
        if entry is None:
            entry = self._with_session(ctx, lambda gateway: self._query_mask(gateway, int(shape_id)))
            self.mask_cache.put(ctx.scope, shape_id, entry)
        if isinstance(entry, UnsupportedMark):
            raise Unsupported(entry.reason)
        return entry

    def _describe(self, image_id: int, ctx: RequestContext) -> ImageDescriptor | UnsupportedMark:
        return self._with_session(ctx, lambda gateway: self._query(gateway, image_id, ctx))

    def _with_session(self, ctx: RequestContext, run: Callable[[Any], Any]) -> Any:
        """``run(gateway)`` on the requester's joined session; a dead one is dropped and re-joined once.

        A join that fails, or a fresh session that fails too, is NotLoggedIn: the stock view then
        answers as OMERO.web does (its own join fails: login redirect, 403 to XHR). Nothing here
        logs the exception itself: Ice messages name the session's objects.
        """
        for attempt in (1, 2):
            try:
                return run(self.sessions.get(ctx))
            except _SESSION_GONE as exc:
                self.sessions.drop(ctx)
                logger.info("joined OMERO session %s unusable (%s, attempt %d)", ctx.scope[:8],
                            type(exc).__name__, attempt)
        raise NotLoggedIn()

    def _query_mask(self, gateway: Any, shape_id: int) -> MaskDescriptor | UnsupportedMark:
        params = omero.sys.ParametersI()
        params.addId(shape_id)
        found = query_service(gateway).findAllByQuery(MASK_QUERY, params, ALL_GROUPS)
        if not found:
            raise NotFound(f"Cannot render Mask:{shape_id}")
        try:
            return describe_mask(found[0], self.config.data_dir, self.ngff_roots, self.config.s3_endpoint)
        except Unsupported as exc:
            return UnsupportedMark(exc.message)

    def _query(self, gateway: Any, image_id: int, ctx: RequestContext) -> ImageDescriptor | UnsupportedMark:
        query = query_service(gateway)
        params = omero.sys.ParametersI()
        params.addId(image_id)
        found = query.findAllByQuery(IMAGE_QUERY, params, ALL_GROUPS)
        if not found:
            raise NotFound(f"Cannot find Image:{image_id}")

        def fileset_files(fileset_id: int) -> list[tuple[str, str]]:
            fparams = omero.sys.ParametersI()
            fparams.addId(fileset_id)
            fparams.page(0, MAX_FILES + 1)
            entries = query.findAllByQuery(FILESET_QUERY, fparams, ALL_GROUPS)
            return [(e.getOriginalFile().getPath().val, e.getOriginalFile().getName().val) for e in entries]

        user_id = ctx.user_id if ctx.user_id is not None else gateway.getEventContext().userId
        try:
            return describe_image(
                found[0], user_id, self.config.data_dir, self.ngff_roots, self.config.s3_endpoint,
                fileset_files=fileset_files, to_micrometres=to_micrometres,
                managed_dir=self.config.managed_dir,
            )
        except Unsupported as exc:
            return UnsupportedMark(exc.message)


def _require_session(context: Any) -> RequestContext:
    if not isinstance(context, RequestContext) or not context.session_key:
        raise NotLoggedIn()
    return context


def _setting(name: str) -> Any:
    """A value OMERO.web resolved into :mod:`omero_fast_region.settings` (for keys Config lacks)."""
    from .. import settings

    return getattr(settings, f"FAST_REGION_{name.upper()}", None)
