"""Django views: parse the request, call the service, answer as the stock view would.

Every view goes through :func:`fast_endpoint`. View functions carry the names of the stock
``omeroweb.webgateway.views`` functions they replace (the middleware maps them by name) and
accept the arguments those receive at every mount point.
"""

from .endpoint import error_response, fast_endpoint, image_response, json_response
from .images import render_image, render_image_rdef, render_image_region, render_image_region_rdef
from .details import microservice_details
from .masks import get_label_image_metadata, get_shape_mask_bytes, render_shape_mask
from .metadata import histogram_json, imageData_json
from .thumbnails import (
    get_thumbnail_json,
    get_thumbnails_json,
    get_thumbnails_ngff,
    render_birds_eye_view,
    render_thumbnail,
    render_thumbnail_ngff,
)

__all__ = [
    "error_response",
    "fast_endpoint",
    "get_label_image_metadata",
    "get_shape_mask_bytes",
    "get_thumbnail_json",
    "get_thumbnails_json",
    "get_thumbnails_ngff",
    "histogram_json",
    "imageData_json",
    "image_response",
    "json_response",
    "microservice_details",
    "render_birds_eye_view",
    "render_image",
    "render_image_rdef",
    "render_image_region",
    "render_image_region_rdef",
    "render_shape_mask",
    "render_thumbnail",
    "render_thumbnail_ngff",
]
