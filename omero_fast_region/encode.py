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
    """Encode an ``(h, w, 3)`` uint8 array; ``fmt`` is jpeg, png or tif."""
    image = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB") if rgb.ndim == 3 else Image.fromarray(rgb)
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


def encode_rgba_png(rgba: np.ndarray) -> bytes:
    """Encode an ``(h, w, 4)`` uint8 array as PNG with transparency (shape masks)."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), mode="RGBA").save(out, format="PNG", compress_level=1)
    return out.getvalue()
