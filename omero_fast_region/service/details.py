"""The microservice-details JSON that ``OPTIONS`` answers (ms-image-region.md §1.3).

iviewer reads ``options.maxActiveChannels``; clients check ``features`` by their exact names.
"""

from __future__ import annotations

from .. import __version__
from ..config import Config

PROVIDER = "ImageRegionMicroservice"
FEATURES = ("flip", "mask-color", "png-tiles", "quantization", "support-missing-channels")


def microservice_details(config: Config) -> dict:
    """``{"provider", "version", "implementation", "features", "options"}``."""
    options = {
        "maxTileLength": config.max_tile_length,
        "maxPlaneWidth": config.max_plane_width,
        "maxPlaneHeight": config.max_plane_height,
        "maxActiveChannels": config.max_active_channels,
    }
    if config.cache_control:
        options["cacheControl"] = config.cache_control
    return {"provider": PROVIDER, "version": __version__, "implementation": "omero-fast-region",
            "features": list(FEATURES), "options": options}
