"""``open_pixels``: the pool's source for an image, checked against what the descriptor says."""

from __future__ import annotations

from ..descriptor import ImageDescriptor
from ..errors import Unsupported
from ..pixels.base import PixelSource
from ..runtime import Runtime


def open_pixels(runtime: Runtime, descriptor: ImageDescriptor) -> PixelSource:
    """The open source of ``descriptor``; Unsupported (hand-over, 404 standalone) when the file no
    longer holds the planes the descriptor promises (truncated or damaged, e.g. a TIFF whose IFDs
    or OME-XML were cut off now reads as one plane), and the source is dropped from the pool."""
    source = runtime.pool.get(descriptor.source)
    p = descriptor.pixels
    if ((source.size_x, source.size_y) != (p.size_x, p.size_y) or source.size_z < p.size_z
            or source.size_c < p.size_c or source.size_t < p.size_t):
        runtime.pool.discard(descriptor.source)
        raise Unsupported(
            f"image {descriptor.id}: the pixels file holds {source.size_x}x{source.size_y}, z={source.size_z} "
            f"c={source.size_c} t={source.size_t}, not the {p.size_x}x{p.size_y}, z={p.size_z} c={p.size_c} "
            f"t={p.size_t} of its Pixels")
    return source
