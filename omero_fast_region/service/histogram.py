"""histogram_json: one plane's histogram (renderer.md §4, ms-image-region.md §5).

Stock's ``data`` plus the microservice's ``min``, ``max``, ``statsInfoMinMax`` and outlier
counts; the plane is read at the largest level within the max plane width and height.
"""

from __future__ import annotations

import numpy as np

from ..descriptor import ImageDescriptor
from ..errors import BadRequest, NotFound
from ..limits import check, histogram_bytes
from ..pixels.base import PixelSource
from ..runtime import Runtime
from .sources import open_pixels

DEFAULT_BINS = 256
MAX_BINS = 65536

#: ``FormatTools.defaultMinMax`` (no significant bits): the ``usePixelsTypeRange`` range
TYPE_RANGES = {
    "bit": (0.0, 1.0), "int8": (-128.0, 127.0), "uint8": (0.0, 255.0), "int16": (-32768.0, 32767.0),
    "uint16": (0.0, 65535.0), "int32": (-2147483648.0, 2147483647.0), "uint32": (0.0, 4294967295.0),
    "float": (-2147483648.0, 2147483647.0), "double": (-2147483648.0, 2147483647.0),
}


def histogram_level(source: PixelSource, max_width: int, max_height: int) -> int:
    """The largest level whose width and height are each within the maximum (400 when none is)."""
    for level, (w, h) in enumerate(source.levels):
        if w <= max_width and h <= max_height:
            return level
    raise BadRequest("All resolution levels larger than max plane size")


def histogram_data(plane: np.ndarray, lo: float, hi: float, bins: int) -> tuple[list[int], int, int]:
    """``getHistogramData``: bin = (int)((v - min) / ((max - min) / bins)), the top edge in the last bin;
    values outside [min, max] are counted as outliers. min == max puts everything in bin 0 (Java NaN -> 0)."""
    values = np.asarray(plane, dtype=np.float64).ravel()
    below = values < lo
    above = values > hi
    inside = values[~(below | above)]
    bin_range = (hi - lo) / bins
    if bin_range == 0:
        index = np.zeros(inside.shape, dtype=np.int64)
    else:
        scaled = (inside - lo) / bin_range
        scaled[np.isnan(scaled)] = 0  # Java's (int)NaN
        index = scaled.astype(np.int64)
        index[index >= bins] = bins - 1
    counts = np.bincount(index, minlength=bins)[:bins]
    return [int(n) for n in counts], int(below.sum()), int(above.sum())


def histogram(
    runtime: Runtime, descriptor: ImageDescriptor, c: int, z: int, t: int, bins: int = DEFAULT_BINS,
    use_pixels_type_range: bool = False,
) -> dict:
    """``{"data": [...], "min", "max", "statsInfoMinMax", "leftOutlierCount", "rightOutlierCount"}``."""
    pixels = descriptor.pixels
    if min(c, z, t) < 0:
        raise BadRequest("theC, theZ and theT must not be negative")
    if c >= pixels.size_c or z >= pixels.size_z or t >= pixels.size_t:
        raise NotFound(f"Image {descriptor.id} has no plane c={c}, z={z}, t={t}")
    if bins <= 0:
        bins = DEFAULT_BINS
    if bins > MAX_BINS:
        raise BadRequest(f"bins must be at most {MAX_BINS}")
    config = runtime.config
    source = open_pixels(runtime, descriptor)
    level = histogram_level(source, config.max_plane_width, config.max_plane_height)
    w, h = source.levels[level]
    check(config, histogram_bytes(pixels.pixel_type, w, h))
    plane = source.read_region(z, c, t, level, 0, 0, w, h)
    stats = descriptor.channels[c].stats if c < len(descriptor.channels) else None
    stats_min_max = stats is not None and stats[1] != 1.0
    if use_pixels_type_range:
        lo, hi = TYPE_RANGES[pixels.pixel_type]
    elif stats_min_max:
        lo, hi = float(stats[0]), float(stats[1])
    else:
        lo, hi = (float(np.nanmin(plane)), float(np.nanmax(plane))) if plane.size else (0.0, 0.0)
    data, left, right = histogram_data(plane, lo, hi, bins)
    return {"data": data, "min": lo, "max": hi, "statsInfoMinMax": stats_min_max,
            "leftOutlierCount": left, "rightOutlierCount": right}
