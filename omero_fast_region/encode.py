"""Encode an RGB buffer as JPEG, PNG or TIFF (Pillow), like OMERO's ``CompressImpl``.

JPEG: quality = round(q * 100), baseline, 4:2:0 as OMERO's ImageIO writer (renderer.md §2.6).
PNG/TIFF: lossless 8-bit RGB, so the raw RGB can be compared byte for byte.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "tif": "image/tiff"}


def encode_rgb(rgb: np.ndarray, fmt: str = "jpeg", quality: float = 0.85) -> bytes:
    """Encode an ``(h, w, 3)`` uint8 RGB array, or ``(h, w, 4)`` RGB plus a padding byte (what
    ``render_rgb(padded=True)`` gives; the fourth byte is ignored); ``fmt`` is jpeg, png or tif."""
    image = _image(rgb, fmt)
    out = io.BytesIO()
    if fmt == "jpeg":
        image.save(out, format="JPEG", quality=max(1, min(100, int(quality * 100 + 0.5))), subsampling=2)
    elif fmt == "png":
        image.save(out, format="PNG", compress_level=1)
    elif fmt == "tif":
        image.save(out, format="TIFF")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return out.getvalue()


def _image(rgb: np.ndarray, fmt: str) -> Image.Image:
    if rgb.ndim == 3 and rgb.shape[2] == 4:
        if fmt == "jpeg":  # Pillow keeps RGB as RGBX: wrap the buffer as it is, no copy
            padded = np.ascontiguousarray(rgb)
            return Image.frombuffer("RGBX", (padded.shape[1], padded.shape[0]), padded, "raw", "RGBX", 0, 1)
        rgb = rgb[..., :3]  # PNG and TIFF would write RGBX as four samples
    if rgb.ndim == 3:
        return Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    return Image.fromarray(rgb)


def encode_rgba_png(rgba: np.ndarray) -> bytes:
    """Encode an ``(h, w, 4)`` uint8 array as PNG with transparency (shape masks)."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA").save(out, format="PNG", compress_level=1)
    return out.getvalue()
