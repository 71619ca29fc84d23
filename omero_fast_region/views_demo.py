"""The standalone demo viewer: one HTML page at ``/`` and the catalog listing it starts from.

``viewer/images.json`` lists every catalog image in the stock ``imgData`` shape (``size``,
``channels[].window``, ``tiles``, ``tile_size``, ``levels``, ``zoomLevelScaling``, ``rdefs``)
plus ``level_sizes``, so the page works before (and without) ``webgateway/imgData``.
Standalone mode only: inside OMERO.web these URLs are not mounted.
"""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .descriptor import ImageDescriptor
from .runtime import Runtime, get_runtime

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")


def viewer(request: HttpRequest) -> HttpResponse:
    """The pan/zoom viewer page (plain HTML + ``viewer.js``)."""
    base = request.META.get("SCRIPT_NAME", "").rstrip("/") + "/"
    return render(request, "omero_fast_region/viewer.html", {"base": base})


def images_json(request: HttpRequest) -> JsonResponse:
    """``viewer/images.json``: ``{"images": [imgData-shaped dict, …]}`` for the catalog."""
    runtime = get_runtime()
    images = []
    for image_id in runtime.catalog.image_ids():
        try:
            images.append(image_info(runtime, runtime.catalog.get_image(image_id)))
        except Exception as exc:  # one unreadable image must not hide the others
            images.append({"id": image_id, "error": f"{type(exc).__name__}: {exc}"})
    return JsonResponse({"images": images})


def _hex(rgba: tuple[int, ...] | None) -> str:
    r, g, b = (rgba or (255, 255, 255))[:3]
    return f"{r:02X}{g:02X}{b:02X}"


def image_info(runtime: Runtime, descriptor: ImageDescriptor) -> dict:
    """The viewer's view of one image (the subset of ``imgData`` it needs)."""
    source = runtime.pool.get(descriptor.source)
    pixels = descriptor.pixels
    tile_w, tile_h = source.tile_size(0)
    rdef = descriptor.rendering
    bindings = rdef.settings.channels if rdef else ()
    channels = []
    for index, info in enumerate(descriptor.channels):
        binding = bindings[index] if index < len(bindings) else None
        lo, hi = info.stats or (0.0, float(2 ** (pixels.significant_bits or 8) - 1))
        start, end = binding.window if binding else (lo, hi)
        channels.append({
            "label": info.label or str(index),
            "color": _hex(binding.rgba if binding else info.rgba),
            "lut": binding.lut if binding else None,
            "active": binding.active if binding else index < 3,
            "window": {"start": start, "end": end, "min": min(lo, start), "max": max(hi, end)},
        })
    return {
        "id": descriptor.id,
        "meta": {"imageName": descriptor.name},
        "size": {"width": pixels.size_x, "height": pixels.size_y, "z": pixels.size_z,
                 "t": pixels.size_t, "c": pixels.size_c},
        "channels": channels,
        "tiles": len(source.levels) > 1,
        "tile_size": {"width": tile_w, "height": tile_h},
        "levels": len(source.levels),
        "zoomLevelScaling": {str(i): w / pixels.size_x for i, (w, _h) in enumerate(source.levels)},
        "level_sizes": [list(size) for size in source.levels],
        "rdefs": {"defaultZ": rdef.default_z if rdef else 0, "defaultT": rdef.default_t if rdef else 0,
                  "model": "color" if not rdef or rdef.settings.model == "rgb" else "greyscale"},
    }
