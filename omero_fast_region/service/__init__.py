"""One function per endpoint; knows nothing of Django (DESIGN.md §2).

``region`` holds the hot path (:func:`render_region`); the other modules one endpoint family
each. The views import from here.
"""

from .details import microservice_details
from .histogram import histogram
from .imgdata import image_data, select_key
from .masks import get_mask, label_metadata, mask_bytes, render_mask_png
from .rdef import validate_rdef_query
from .region import PlaneRegion, RegionSpec, TileSpec, parse_region, parse_tile, render_region, resolve_region
from .rendered import NotModified, Rendered, StageTimer
from .thumbnail import DEFAULT_SIZE, data_uri, placeholder_thumbnail, render_thumbnail

__all__ = [
    "DEFAULT_SIZE",
    "NotModified",
    "PlaneRegion",
    "RegionSpec",
    "Rendered",
    "StageTimer",
    "TileSpec",
    "data_uri",
    "get_mask",
    "histogram",
    "image_data",
    "label_metadata",
    "mask_bytes",
    "microservice_details",
    "parse_region",
    "parse_tile",
    "placeholder_thumbnail",
    "render_mask_png",
    "render_region",
    "render_thumbnail",
    "resolve_region",
    "select_key",
    "validate_rdef_query",
]
