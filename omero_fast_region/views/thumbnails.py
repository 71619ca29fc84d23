"""render_thumbnail, render_birds_eye_view, get_thumbnail(s) and the ``*_ngff`` twins (omero-web.md §4)."""

from __future__ import annotations

import logging
from typing import Any, Callable

from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse

from .. import service
from ..errors import BadRequest, FastRegionError, NotFound
from ..requestcontext import RequestContext
from ..runtime import get_runtime
from .endpoint import describe, fast_endpoint, if_none_match, image_response, int_arg, json_response, optional_int, query_params, session_setting

logger = logging.getLogger(__name__)


def default_size(request: HttpRequest) -> int:
    """The session's ``browser.thumb_default_size`` (96 when unset)."""
    return int(session_setting(request, service.DEFAULT_SIZE, "browser", "thumb_default_size"))


def thumbnail_size(request: HttpRequest, w: Any = None, h: Any = None) -> tuple[int, ...]:
    """``(default,)``, ``(w,)`` (longest side) or ``(w, h)`` (exact), as ``_render_thumbnail``."""
    if w in (None, ""):
        return (default_size(request),)
    if h in (None, ""):
        return (int_arg(w, "w"),)
    return (int_arg(w, "w"), int_arg(h, "h"))


def _thumbnail(request: HttpRequest, ctx: RequestContext, iid: Any, size: tuple[int, ...],
               conditional: bool = True) -> service.Rendered | service.NotModified:
    """The thumbnail of ``iid``; ``conditional``: honour ``If-None-Match`` (image answers only)."""
    params = query_params(request)
    z, t, rdef_id = (optional_int(params, name) for name in ("z", "t", "rdefId"))
    runtime = get_runtime()
    descriptor = describe(request, runtime, iid, ctx)
    return service.render_thumbnail(runtime, descriptor, size, z=z, t=t, rdef_id=rdef_id, scope=ctx.scope,
                                    if_none_match=if_none_match(request) if conditional else None)


def _placeholder_or_raise(defcb: Callable | None, size: tuple[int, ...], exc: NotFound) -> bytes:
    """webclient's ``_defcb`` placeholder for an image it cannot show; otherwise the 404 stands."""
    if defcb is None:
        raise exc
    return defcb(size=size)


@fast_endpoint("render_thumbnail")
def render_thumbnail(request: HttpRequest, ctx: RequestContext, iid: Any, w: Any = None, h: Any = None,
                     _defcb: Callable | None = None, **kwargs: Any) -> HttpResponse:
    """``render_thumbnail/<iid>/[<w>/[<h>/]]``: JPEG; a placeholder (PNG bytes, JPEG type, as stock) under webclient."""
    size = thumbnail_size(request, w, h)
    try:
        rendered = _thumbnail(request, ctx, iid, size)
    except NotFound as exc:
        return HttpResponse(_placeholder_or_raise(_defcb, size, exc), content_type="image/jpeg")
    return image_response(rendered, get_runtime().config)


@fast_endpoint("render_birds_eye_view")
def render_birds_eye_view(request: HttpRequest, ctx: RequestContext, iid: Any, size: Any = None, **kwargs: Any) -> HttpResponse:
    """``render_birds_eye_view/<iid>/[<size>/]``: the thumbnail with longest side ``size``."""
    rendered = _thumbnail(request, ctx, iid, thumbnail_size(request, size))
    return image_response(rendered, get_runtime().config)


@fast_endpoint("get_thumbnail")
def get_thumbnail_json(request: HttpRequest, ctx: RequestContext, iid: Any, w: Any = None, h: Any = None,
                       _defcb: Callable | None = None, **kwargs: Any) -> HttpResponse:
    """``get_thumbnail/<iid>/``: the JSON string ``"data:image/jpeg;base64,…"``."""
    size = thumbnail_size(request, w, h)
    try:
        body = _thumbnail(request, ctx, iid, size, conditional=False).body  # type: ignore[union-attr]
    except NotFound as exc:
        body = _placeholder_or_raise(_defcb, size, exc)
    return json_response(request, service.data_uri(body))


def batch_limit() -> int:
    """OMERO.web's ``THUMBNAILS_BATCH`` (50)."""
    return int(getattr(django_settings, "THUMBNAILS_BATCH", 50))


def _thumbnail_map(request: HttpRequest, ctx: RequestContext, longest: int, limit: int | None) -> dict:
    """``{id: data URI or None}`` in stock's ``list(set(ids))`` order."""
    try:
        image_ids = list(set(int(v) for v in request.GET.getlist("id")))
    except ValueError:
        raise BadRequest("malformed id argument") from None
    if limit is not None and len(image_ids) > limit:
        raise BadRequest(f"Max {limit} thumbnails at a time.")
    runtime = get_runtime()
    result: dict[int, str | None] = {}
    for image_id in image_ids:
        try:
            descriptor = runtime.catalog.get_image(image_id, ctx)
            rendered = service.render_thumbnail(runtime, descriptor, (longest,), scope=ctx.scope)
            result[image_id] = service.data_uri(rendered.body)  # type: ignore[union-attr]
        except FastRegionError as exc:
            logger.debug("thumbnail of image %s: %s", image_id, exc.message)
            result[image_id] = None
        except Exception:
            logger.exception("thumbnail of image %s failed", image_id)
            result[image_id] = None
    return result


@fast_endpoint("get_thumbnails")
def get_thumbnails_json(request: HttpRequest, ctx: RequestContext, w: Any = None, **kwargs: Any) -> HttpResponse:
    """``get_thumbnails/[<w>/]?id=…``: ``{"<id>": data URI | null}``, at most ``THUMBNAILS_BATCH`` ids."""
    longest = int_arg(w, "w") if w not in (None, "") else default_size(request)
    return json_response(request, _thumbnail_map(request, ctx, longest, batch_limit()))


@fast_endpoint("render_thumbnail_ngff")
def render_thumbnail_ngff(request: HttpRequest, ctx: RequestContext, iid: Any, longestSide: Any = None, **kwargs: Any) -> HttpResponse:
    """The microservice's ``render_thumbnail_ngff`` / ``render_birds_eye_view_ngff`` (longest side, default 96)."""
    longest = longestSide if longestSide not in (None, "") else request.GET.get("longestSide")
    size = (int_arg(longest, "longestSide"),) if longest not in (None, "") else (service.DEFAULT_SIZE,)
    return image_response(_thumbnail(request, ctx, iid, size), get_runtime().config)


@fast_endpoint("get_thumbnails_ngff")
def get_thumbnails_ngff(request: HttpRequest, ctx: RequestContext, longestSide: Any = None, **kwargs: Any) -> HttpResponse:
    """The microservice's ``get_thumbnails_ngff``: no batch limit."""
    longest = longestSide if longestSide not in (None, "") else request.GET.get("longestSide")
    size = int_arg(longest, "longestSide") if longest not in (None, "") else service.DEFAULT_SIZE
    return json_response(request, _thumbnail_map(request, ctx, size, None))
