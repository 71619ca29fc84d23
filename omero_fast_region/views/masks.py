"""render_shape_mask, get_shape_mask_bytes, get_label_image_metadata (ms-image-region.md §4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from .. import service
from ..requestcontext import RequestContext
from ..runtime import get_runtime
from .endpoint import fast_endpoint, int_arg, json_response, query_params


def _resolution(params: dict[str, str]) -> int:
    """``resolution``, else the level of ``tile`` (its other values are ignored), else 0."""
    if params.get("resolution"):
        return int_arg(params["resolution"], "resolution")
    if params.get("tile"):
        return int_arg(params["tile"].split(",")[0], "tile")
    return 0


def _mask(ctx: RequestContext, shape_id: Any):
    return service.get_mask(get_runtime(), int_arg(shape_id, "shapeId"), ctx)


@fast_endpoint("render_shape_mask")
def render_shape_mask(request: HttpRequest, ctx: RequestContext, shapeId: Any, **kwargs: Any) -> HttpResponse:
    """``render_shape_mask/<shapeId>/[?color=&flip=]``: RGBA PNG, 0 transparent, 1 the fill colour."""
    params = query_params(request)
    flip = (params.get("flip") or "").lower()
    body = service.render_mask_png(_mask(ctx, shapeId), params.get("color"), "h" in flip, "v" in flip, _resolution(params))
    return HttpResponse(body, content_type="image/png")


@fast_endpoint("get_shape_mask_bytes")
def get_shape_mask_bytes(request: HttpRequest, ctx: RequestContext, shapeId: Any, **kwargs: Any) -> HttpResponse:
    """Packed bits verbatim, or an NGFF label's region as big-endian values."""
    params = query_params(request)
    body = service.mask_bytes(_mask(ctx, shapeId), _resolution(params), params.get("domain"))
    return HttpResponse(body, content_type="application/octet-stream")


@fast_endpoint("get_label_image_metadata")
def get_label_image_metadata(request: HttpRequest, ctx: RequestContext, shapeId: Any, **kwargs: Any) -> HttpResponse:
    """An NGFF label's datasets, chunk sizes, min/max, size and type."""
    return json_response(request, service.label_metadata(_mask(ctx, shapeId)))
