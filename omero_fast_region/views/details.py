"""``/omero_ms_image_region/``: the microservice details clients probe for (ms-image-region.md §1.3)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from .. import service
from ..requestcontext import RequestContext
from ..runtime import get_runtime
from .endpoint import fast_endpoint, json_response


@fast_endpoint("microservice_details")
def microservice_details(request: HttpRequest, ctx: RequestContext, **kwargs: Any) -> HttpResponse:
    """The details ``OPTIONS`` answers on every route, also for GET here."""
    return json_response(request, service.microservice_details(get_runtime().config))
