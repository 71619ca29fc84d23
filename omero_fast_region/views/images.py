"""render_image_region, render_image (+ download) and their ``_rdef`` variants (omero-web.md §2.3.1-2.3.2)."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse

from .. import service
from ..errors import BadRequest
from ..query import parse_render_query
from ..observe import view_stages
from ..requestcontext import RequestContext
from ..runtime import Runtime, get_runtime
from .endpoint import (describe, fast_endpoint, if_none_match, image_response, int_arg, query_params,
                       timed_descriptor)

_UNSAFE_FILENAME = re.compile(r"[^\x20-\x7e]|\"")


def _region_response(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any, t: Any) -> HttpResponse:
    runtime = get_runtime()
    rendered = region_rendered(runtime, ctx, query_params(request), iid, z, t, if_none_match(request),
                               view_stages(request))
    return image_response(rendered, runtime.config)


def region_rendered(runtime: Runtime, ctx: RequestContext, params: dict[str, str], iid: Any, z: Any, t: Any,
                    etag: str | None, stages: dict[str, float]) -> service.Rendered | service.NotModified:
    """``render_image_region``'s image, without a request: ``params`` is the query, ``etag`` the
    ``If-None-Match`` header, and the descriptor lookup is timed into ``stages`` (``metadata``).
    Stock order of errors: the image (404), then ``tile``/``region`` (400), then the render settings."""
    descriptor = timed_descriptor(stages, runtime, iid, ctx)
    tile = region = None
    if params.get("tile"):
        tile = service.parse_tile(params["tile"])
    elif params.get("region"):
        region = service.parse_region(params["region"])
    else:
        raise BadRequest("tile or region argument required")
    return service.render_region(
        runtime, descriptor, int_arg(z, "z"), int_arg(t, "t"), parse_render_query(params),
        tile=tile, region=region, scope=ctx.scope, if_none_match=etag,
    )


def download_filename(name: str, fmt: str) -> str:
    """Stock's ``<name with " "->"_" and ","->".">.<format>``, restricted to printable ASCII."""
    return _UNSAFE_FILENAME.sub("_", name.replace(" ", "_").replace(",", ".")) + "." + fmt


def _image_response(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any, t: Any, download: bool) -> HttpResponse:
    """The whole plane; z/t default to the rendering definition's."""
    params = query_params(request)
    runtime = get_runtime()
    descriptor = describe(request, runtime, iid, ctx)
    query = parse_render_query(params)
    rdef = descriptor.rendering
    zz = int_arg(z, "z") if z not in (None, "") else (rdef.default_z if rdef else 0)
    tt = int_arg(t, "t") if t not in (None, "") else (rdef.default_t if rdef else 0)
    rendered = service.render_region(
        runtime, descriptor, zz, tt, query, scope=ctx.scope, if_none_match=if_none_match(request),
    )
    if not download:
        return image_response(rendered, runtime.config)
    response = image_response(rendered, runtime.config, content_type="application/force-download")
    if response.status_code == 200:
        response["Content-Length"] = str(len(response.content))
        response["Content-Disposition"] = f"attachment; filename={download_filename(descriptor.name, query.format)}"
    return response


@fast_endpoint("render_image_region")
def render_image_region(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any, t: Any, **kwargs: Any) -> HttpResponse:
    """``render_image_region/<iid>/<z>/<t>/?tile=level,x,y[,w,h]|region=x,y,w,h``."""
    return _region_response(request, ctx, iid, z, t)


@fast_endpoint("render_image_region_rdef")
def render_image_region_rdef(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any, t: Any, **kwargs: Any) -> HttpResponse:
    """render_image_region after ``validate_rdef_query``."""
    service.validate_rdef_query(query_params(request))
    return _region_response(request, ctx, iid, z, t)


@fast_endpoint("render_image")
def render_image(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any = None, t: Any = None,
                 download: bool = False, **kwargs: Any) -> HttpResponse:
    """``render_image/<iid>/[<z>/[<t>/]]``; webclient's ``render_image_download`` sets ``download``."""
    return _image_response(request, ctx, iid, z, t, download)


@fast_endpoint("render_image_rdef")
def render_image_rdef(request: HttpRequest, ctx: RequestContext, iid: Any, z: Any = None, t: Any = None,
                      **kwargs: Any) -> HttpResponse:
    """render_image after ``validate_rdef_query``."""
    service.validate_rdef_query(query_params(request))
    return _image_response(request, ctx, iid, z, t, bool(kwargs.get("download")))
