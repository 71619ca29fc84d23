"""imgData and histogram_json (omero-web.md §2.3.9, §2.3.12, §7; ms-image-region.md §5)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import service
from ..errors import NotFound
from ..service.histogram import DEFAULT_BINS
from ..requestcontext import RequestContext
from ..runtime import get_runtime
from .endpoint import describe, fast_endpoint, int_arg, json_response, optional_int, query_params, session_setting


@fast_endpoint("imgData")
def imageData_json(request: HttpRequest, ctx: RequestContext, iid: Any = None, key: Any = None, **kwargs: Any) -> HttpResponse:
    """``imgData/<iid>/[<key>/]``: ``imageMarshal``; ``getDefaults=true`` shows the import defaults."""
    image_id = int_arg(iid, "iid")
    runtime = get_runtime()
    try:
        descriptor = runtime.catalog.get_image(image_id, ctx)
    except NotFound:
        if ctx.is_public:
            return HttpResponse(status=403)
        raise NotFound(f"Image:{image_id} not found") from None
    data = service.image_data(
        runtime, descriptor,
        interpolate=bool(session_setting(request, True, "viewer", "interpolate_pixels")),
        init_zoom=int(session_setting(request, 0, "viewer", "initial_zoom_level")),
        get_defaults=request.GET.get("getDefaults") == "true",
    )
    return json_response(request, service.select_key(data, key) if key else data)


@fast_endpoint("histogram_json")
def histogram_json(request: HttpRequest, ctx: RequestContext, iid: Any, theC: Any, **kwargs: Any) -> HttpResponse:
    """``histogram_json/<iid>/channel/<c>/?theZ=&theT=&bins=&usePixelsTypeRange=``."""
    params = query_params(request)
    z = optional_int(params, "z", "theZ") or 0
    t = optional_int(params, "t", "theT") or 0
    bins = optional_int(params, "bins")
    runtime = get_runtime()
    descriptor = describe(request, runtime, iid, ctx)
    data = service.histogram(
        runtime, descriptor, int_arg(theC, "theC"), z, t,
        bins=DEFAULT_BINS if bins is None else bins,
        use_pixels_type_range=params.get("usePixelsTypeRange", "").lower() == "true",
    )
    return JsonResponse(data)
