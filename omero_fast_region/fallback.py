"""Hand a request to the stock OMERO.web view (DESIGN.md §1: installing the app never breaks an image).

Which stock function answers: the one the middleware intercepted (set on the request), else
the function of the same name in ``omeroweb.webgateway.views``. Standalone mode has none.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

STOCK_ATTR = "_fast_region_stock_view"

#: our endpoint name -> the stock view function's name in omeroweb.webgateway.views
STOCK_NAMES = {
    "render_image_region": "render_image_region",
    "render_image_region_rdef": "render_image_region_rdef",
    "render_image": "render_image",
    "render_image_rdef": "render_image_rdef",
    "render_thumbnail": "render_thumbnail",
    "render_birds_eye_view": "render_birds_eye_view",
    "get_thumbnail": "get_thumbnail_json",
    "get_thumbnails": "get_thumbnails_json",
    "histogram_json": "histogram_json",
    "imgData": "imageData_json",
    "render_shape_mask": "render_shape_mask",
}


def stock_view(request: Any, endpoint: str) -> Callable | None:
    """The stock view function for ``endpoint``; None in standalone mode or without OMERO.web."""
    from .config import get_config

    if get_config().standalone:
        return None
    intercepted = getattr(request, STOCK_ATTR, None)
    if intercepted is not None:
        return intercepted
    name = STOCK_NAMES.get(endpoint)
    if name is None:
        return None
    try:
        views = importlib.import_module("omeroweb.webgateway.views")
    except Exception:
        return None
    return getattr(views, name, None)
