"""Per-request memory budget: how many bytes a read + render will hold, refused before reading.

The other limits (tile length, plane area, active channels, ``bins``, batch size) each bound one
dimension; a projection multiplies them (``depth x plane x channels``), so a single request could
otherwise allocate tens of gigabytes. :func:`render_bytes` is a pure, slightly generous estimate of
the peak; :func:`check_budget` turns "over budget" into a stock-style 400 before anything is read.
The budget comes from the ``max_request_bytes`` setting (default :data:`DEFAULT_MAX_REQUEST_BYTES`).
"""

from __future__ import annotations

from typing import Any

from .errors import BadRequest

#: 1 GiB: a 3192² plane of 10 double channels with a 10-plane projection still fits.
DEFAULT_MAX_REQUEST_BYTES = 1 << 30

#: bytes per pixel as read (``bit`` is unpacked to one byte)
ITEMSIZE = {
    "bit": 1, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
    "int32": 4, "uint32": 4, "float": 4, "double": 8, "int64": 8, "uint64": 8,
}

#: per output pixel while rendering and encoding: RGB out (3), the composition's int32
#: scratch (4), the encoder's own copy (3)
RENDER_BYTES_PER_PIXEL = 10
#: per pixel of a projection's float64 accumulator
PROJECTION_BYTES_PER_PIXEL = 8


def render_bytes(pixel_type: str, width: int, height: int, channels: int, depth: int = 1) -> int:
    """Peak bytes of reading ``channels`` planes of ``width x height`` (each a projection over
    ``depth`` planes when depth > 1), rendering them to RGB and encoding the result.

    Channels are read one after another, so one stack is live at a time, plus the planes
    already read, plus the render buffers.
    """
    width, height, channels, depth = (max(0, int(v)) for v in (width, height, channels, depth))
    pixels = width * height
    itemsize = ITEMSIZE.get(pixel_type, 8)
    stack = depth * pixels * itemsize + (pixels * PROJECTION_BYTES_PER_PIXEL if depth > 1 else 0)
    held = channels * pixels * itemsize
    return stack + held + pixels * RENDER_BYTES_PER_PIXEL


def thumbnail_bytes(pixel_type: str, width: int, height: int, channels: int, out_width: int, out_height: int) -> int:
    """Peak bytes of a thumbnail: :func:`render_bytes` of the level read, plus the resampled
    ``out_width x out_height`` image (resized RGB, its array copy, the encoder's copy)."""
    out_pixels = max(0, int(out_width)) * max(0, int(out_height))
    return render_bytes(pixel_type, width, height, channels) + out_pixels * RENDER_BYTES_PER_PIXEL


def histogram_bytes(pixel_type: str, width: int, height: int) -> int:
    """Peak bytes of a histogram over one plane: the plane, its float64 copy, two masks and indices."""
    pixels = max(0, int(width)) * max(0, int(height))
    return pixels * (ITEMSIZE.get(pixel_type, 8) + 8 + 2 + 8)


def max_request_bytes(config: Any) -> int:
    """The configured budget: ``config.max_request_bytes`` or ``config.extra["max_request_bytes"]``."""
    value = getattr(config, "max_request_bytes", None)
    if value is None:
        value = (getattr(config, "extra", None) or {}).get("max_request_bytes")
    return DEFAULT_MAX_REQUEST_BYTES if value in (None, "") else int(value)


def check_budget(needed: int, budget: int) -> None:
    """400 when a request would need more than ``budget`` bytes (``budget <= 0`` disables the check)."""
    if budget > 0 and needed > budget:
        raise BadRequest(
            f"Request needs about {needed // (1 << 20)} MiB, more than the {budget // (1 << 20)} MiB "
            f"allowed per request: ask for a smaller region, fewer channels or a shorter projection"
        )


def check(config: Any, needed: int) -> None:
    """:func:`check_budget` of ``needed`` bytes against the configured budget."""
    check_budget(needed, max_request_bytes(config))


def check_render(config: Any, pixel_type: str, width: int, height: int, channels: int, depth: int = 1) -> None:
    """:func:`check_budget` of :func:`render_bytes` against the configured budget."""
    check(config, render_bytes(pixel_type, width, height, channels, depth))
