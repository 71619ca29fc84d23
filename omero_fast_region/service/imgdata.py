"""imgData: ``webgateway.marshal.imageMarshal`` from a descriptor (omero-web.md §7).

Keys and their order follow the stock marshal; values come from the descriptor and the pixel
source, read once (no per-channel server calls).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ..descriptor import ImageDescriptor
from ..errors import BadRequest
from ..render import default_minmax_plane, default_rendering
from ..render.model import RenderingDef
from ..render.pixeltypes import BIT_SIZES, SIGNED, type_range
from ..runtime import Runtime
from .sources import open_pixels

PERMISSIONS = ("canAnnotate", "canEdit", "canDelete", "canLink")
SPLIT_BORDER = 2


def _timestamp(value: Any) -> float | None:
    """Whole epoch seconds of an ISO 8601 date (naive = server local time) or a number, as stock's
    ``time.mktime(getDate().timetuple())`` (which drops the milliseconds)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(math.floor(value))
    try:
        return float(math.floor(datetime.fromisoformat(str(value)).timestamp()))
    except ValueError:
        return None


def _parent(info: dict | None) -> tuple[Any, Any, str]:
    """(name, id, description) of exactly one parent, else stock's "Multiple"/None/""."""
    if not info:
        return "Multiple", None, ""
    return info.get("name", "Multiple"), info.get("id"), info.get("description") or ""


def _meta(descriptor: ImageDescriptor) -> dict:
    project_name, project_id, project_description = _parent(descriptor.project)
    dataset_name, dataset_id, dataset_description = _parent(descriptor.dataset)
    return {
        "imageName": descriptor.name or "",
        "imageDescription": descriptor.description or "",
        "imageAuthor": descriptor.owner_name or "",
        "imageArchived": bool(descriptor.archived),
        "projectName": project_name,
        "projectId": project_id,
        "projectDescription": project_description,
        "datasetName": dataset_name,
        "datasetId": dataset_id,
        "datasetDescription": dataset_description,
        "wellSampleId": "",
        "wellId": descriptor.well_id if descriptor.well_id is not None else "",
        "imageTimestamp": _timestamp(descriptor.acquisition_date) or _timestamp(descriptor.creation_date),
        "imageId": descriptor.id,
        "pixelsType": descriptor.pixels.pixel_type,
    }


def pixel_range(pixel_type: str) -> list:
    """``getPixelRange``: unsigned types as ints, signed ones as floats (Python 3 division in stock)."""
    if pixel_type in ("float", "double"):
        return [-2147483648.0, 2147483647.0]
    bits = BIT_SIZES[pixel_type]
    if pixel_type in SIGNED:
        return [-(2**bits) / 2, (2**bits) / 2 - 1]
    return [0, 2**bits - 1]


def split_channel_dims(size_x: int, size_y: int, size_c: int) -> dict:
    """``splitChannelDims``: grid of the greyscale (``g``) and colour (``c``, one more panel) layouts."""
    def grid(n: int) -> dict:
        root = math.sqrt(n)
        gridy = int(round(root))
        gridx = gridy + 1 if root > gridy else gridy
        return {"width": size_x * gridx + SPLIT_BORDER * (gridx + 1),
                "height": size_y * gridy + SPLIT_BORDER * (gridy + 1),
                "border": SPLIT_BORDER, "gridx": gridx, "gridy": gridy}

    return {"g": grid(size_c), "c": grid(size_c + 1)}


def _label(descriptor: ImageDescriptor, index: int) -> str:
    info = descriptor.channels[index] if index < len(descriptor.channels) else None
    if info is not None and info.label and info.label.strip():
        return info.label
    wave = info.emission_wavelength if info is not None else None
    if wave is not None:
        return str(int(wave)) if float(wave).is_integer() else str(wave)
    return str(index)


def _channels(descriptor: ImageDescriptor, rdef: RenderingDef) -> list[dict]:
    pixels = descriptor.pixels
    bounds = type_range(pixels.pixel_type, pixels.significant_bits)
    out = []
    for i, ch in enumerate(rdef.settings.channels):
        info = descriptor.channels[i] if i < len(descriptor.channels) else None
        lo, hi = info.stats if info is not None and info.stats is not None else (bounds.min, bounds.max)
        entry = {
            "emissionWave": info.emission_wavelength if info is not None else None,
            "label": _label(descriptor, i),
            "color": "%02X%02X%02X" % tuple(ch.rgba[:3]),
            "inverted": ch.reverse,
            "reverseIntensity": ch.reverse,
            "family": ch.family,
            "coefficient": ch.coefficient,
            "window": {"min": float(lo), "max": float(hi), "start": float(ch.window[0]), "end": float(ch.window[1])},
            "active": ch.active,
        }
        if ch.lut:
            entry["lut"] = ch.lut
        out.append(entry)
    return out


def import_defaults(runtime: Runtime, descriptor: ImageDescriptor) -> RenderingDef:
    """``resetDefaults(save=False)``: the settings OMERO computes at import (``getDefaults=true``)."""
    source = open_pixels(runtime, descriptor)
    minmax = None
    if len(source.levels) == 1:
        z, t = default_minmax_plane(descriptor.pixels)
        minmax = []
        for c in range(descriptor.pixels.size_c):
            plane = source.read_region(z, c, t, 0, 0, 0, source.size_x, source.size_y)
            minmax.append((float(plane.min()), float(plane.max())))
    return default_rendering(descriptor.pixels, descriptor.channels, minmax)


def image_data(runtime: Runtime, descriptor: ImageDescriptor, interpolate: bool = True, init_zoom: int = 0,
               get_defaults: bool = False) -> dict:
    """The imgData JSON object of one image."""
    pixels = descriptor.pixels
    rv: dict[str, Any] = {"id": descriptor.id, "meta": _meta(descriptor)}
    rv["perms"] = {key: bool(descriptor.permissions.get(key, False)) for key in PERMISSIONS}
    source = open_pixels(runtime, descriptor)
    levels = source.levels
    rv["tiles"] = len(levels) > 1
    if rv["tiles"]:
        tile_w, tile_h = source.tile_size(0)
        rv["tile_size"] = {"width": tile_w, "height": tile_h}
        rv["levels"] = len(levels)
        rv["resolutions"] = {i: {"sizeX": w, "sizeY": h} for i, (w, h) in enumerate(levels)}
        rv["zoomLevelScaling"] = {i: w / levels[0][0] for i, (w, _) in enumerate(levels)}
    rv["interpolate"] = interpolate
    rv["size"] = {"width": pixels.size_x, "height": pixels.size_y, "z": pixels.size_z, "t": pixels.size_t, "c": pixels.size_c}
    px, py, pz = descriptor.physical_size
    rv["pixel_size"] = {"x": px, "y": py, "z": pz}
    rv["init_zoom"] = len(levels) + init_zoom if init_zoom < 0 else init_zoom
    if descriptor.nominal_magnification is not None:
        rv["nominalMagnification"] = descriptor.nominal_magnification
    rdef = import_defaults(runtime, descriptor) if get_defaults else descriptor.rendering
    if rdef is None:
        rdef = default_rendering(pixels, descriptor.channels)
    rv["pixel_range"] = pixel_range(pixels.pixel_type)
    rv["channels"] = _channels(descriptor, rdef)
    rv["split_channel"] = split_channel_dims(pixels.size_x, pixels.size_y, pixels.size_c)
    rv["rdefs"] = {"model": "greyscale" if rdef.settings.model == "greyscale" else "color",
                   "projection": "normal", "defaultZ": rdef.default_z, "defaultT": rdef.default_t,
                   "invertAxis": False}
    return rv


def select_key(data: dict, key: str) -> Any:
    """``imgData/<iid>/<key>/``: a dot path into the result; a missing key is None."""
    value: Any = data
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not isinstance(value, dict):
            raise BadRequest(f"imgData key {'.'.join(parts[:i])!r} is not an object")
        value = value.get(part, value.get(int(part)) if part.isdigit() else None)
        if value is None:
            return None
    return value
