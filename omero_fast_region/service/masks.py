"""Shape masks: render_shape_mask (PNG), get_shape_mask_bytes, get_label_image_metadata
(omero-web.md §2.3.6, ms-image-region.md §4).

A mask is either packed bits (1 bit per pixel, MSB first, row-major, no row padding) or an
NGFF label image; both become a 0/1 grid, mirrored by ``flip`` (fixed for byte-aligned masks,
which the microservice answers with 404) and painted in the fill colour, vectorised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import zarr

from ..descriptor import MaskDescriptor
from ..encode import encode_rgba_png
from ..errors import BadRequest, NotFound, Unsupported
from ..pixels import NgffSource
from ..pixels.dtypes import numpy_dtype
from ..pixels.greenlets import run_blocking
from ..pixels.ngff_format import ome_metadata, read_multiscale
from ..pixels.stores import open_store
from ..query import split_html_color
from ..runtime import Runtime

DEFAULT_FILL = (255, 255, 0, 255)


def get_mask(runtime: Runtime, shape_id: int, context: Any = None) -> MaskDescriptor:
    """The mask from the catalog; catalogs without ``get_mask`` hand the request to stock."""
    lookup = getattr(runtime.catalog, "get_mask", None)
    if lookup is None:
        raise Unsupported("this catalog does not describe shapes")
    return lookup(shape_id, context)


def fill_rgba(mask: MaskDescriptor, color: str | None) -> tuple[int, int, int, int]:
    """``?color=`` (hex, shorthand allowed) over the mask's packed ``r<<24|g<<16|b<<8|a`` fill colour."""
    if color:
        rgba = split_html_color(color)
        if rgba is None:
            raise BadRequest(f"Invalid color {color}")
        return rgba
    if mask.fill_color is None:
        return DEFAULT_FILL
    value = mask.fill_color & 0xFFFFFFFF
    return (value >> 24) & 0xFF, (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def _open_label(mask: MaskDescriptor) -> NgffSource:
    return NgffSource(mask.label_path, root=mask.root or None, label=True)


def _read_label(mask: MaskDescriptor, level: int) -> np.ndarray:
    with _open_label(mask) as source:
        if not 0 <= level < len(source.levels):
            raise NotFound(f"Mask {mask.id} has no resolution {level}")
        w, h = source.levels[level]
        z = min(mask.the_z or 0, source.size_z - 1)
        c = min(mask.the_c or 0, source.size_c - 1)
        t = min(mask.the_t or 0, source.size_t - 1)
        return source.read_region(z, c, t, level, 0, 0, w, h)


def _packed_bytes(mask: MaskDescriptor) -> bytes:
    if mask.bytes is not None:
        return mask.bytes
    try:
        with open(mask.bytes_path, "rb") as handle:  # type: ignore[arg-type]
            return handle.read()
    except OSError:
        raise NotFound(f"Cannot render Mask:{mask.id}") from None


def mask_bits(mask: MaskDescriptor, resolution: int = 0) -> np.ndarray:
    """The mask as an (h, w) uint8 grid of 0/1."""
    if mask.label_path:
        return (_read_label(mask, resolution) != 0).astype(np.uint8)
    count = mask.width * mask.height
    bits = np.unpackbits(np.frombuffer(_packed_bytes(mask), dtype=np.uint8))
    if count <= 0 or bits.size < count:
        raise NotFound(f"Cannot render Mask:{mask.id}: {bits.size} bits for {mask.width}x{mask.height}")
    return bits[:count].reshape(mask.height, mask.width)


def flip_grid(grid: np.ndarray, flip_h: bool, flip_v: bool) -> np.ndarray:
    """Mirror a 2-D grid horizontally and/or vertically."""
    if flip_h:
        grid = grid[:, ::-1]
    if flip_v:
        grid = grid[::-1]
    return grid


def render_mask_png(mask: MaskDescriptor, color: str | None = None, flip_h: bool = False, flip_v: bool = False,
                    resolution: int = 0) -> bytes:
    """RGBA PNG: 0 -> transparent (0, 0, 0, 0), 1 -> the fill colour."""
    rgba = fill_rgba(mask, color)
    grid = flip_grid(mask_bits(mask, resolution), flip_h, flip_v)
    out = np.zeros(grid.shape + (4,), dtype=np.uint8)
    out[grid != 0] = rgba
    return encode_rgba_png(out)


def parse_domain(domain: str) -> list[tuple[int, int]]:
    """``[t,c,z,y0:y1,x0:x1]`` -> (start, size) per T, C, Z, Y, X (``n`` alone is size 1)."""
    text = domain[1:] if domain.startswith("[") else domain
    text = text[:-1] if text.endswith("]") else text
    parts = text.split(",")
    if len(parts) != 5:
        raise BadRequest("Invalid number of dimensions in domain string")
    out = []
    try:
        for part in parts:
            if ":" in part:
                a, b = part.split(":", 1)
                out.append((int(a), int(b) - int(a)))
            else:
                out.append((int(part), 1))
    except ValueError:
        raise BadRequest(f"malformed domain argument, domain={domain}") from None
    return out


def mask_bytes(mask: MaskDescriptor, resolution: int = 0, domain: str | None = None) -> bytes:
    """Packed bits verbatim, or the label's region as big-endian raw values (row-major)."""
    if not mask.label_path:
        return _packed_bytes(mask)
    with _open_label(mask) as source:
        if not 0 <= resolution < len(source.levels):
            raise NotFound(f"Mask {mask.id} has no resolution {resolution}")
        size_x, size_y = source.levels[resolution]
        if domain:
            (t, _), (c, _), (z, _), (y, h), (x, w) = parse_domain(domain)
        else:
            t, c, z, y, x = mask.the_t or 0, mask.the_c or 0, mask.the_z or 0, 0, 0
            w, h = size_x, size_y
        if x >= size_x or y >= size_y or min(x, y, w, h) < 0:
            raise NotFound(f"Requested origin outside image bounds for Mask:{mask.id}")
        w, h = min(w, size_x - x), min(h, size_y - y)
        plane = source.read_region(z, c, t, resolution, x, y, w, h)
        return plane.astype(numpy_dtype(source.pixel_type, ">")).tobytes()


def _label_datasets(mask: MaskDescriptor) -> tuple[list[dict], Any]:
    """The label image's datasets (path, chunk size) and its ``minmax`` attribute (zarr calls)."""
    store = open_store(mask.label_path)
    try:
        group = zarr.open_group(store=store, mode="r")
        attrs = group.attrs.asdict()
        multiscale = read_multiscale(attrs)
        if multiscale is None:
            raise NotFound(f"Cannot get Label Image Metadata:{mask.id}")
        datasets = [{"path": path, "chunksize": list(group[path].chunks)} for path in multiscale.paths]
        return datasets, ome_metadata(attrs)[1].get("minmax")
    finally:
        store.close()


def label_metadata(mask: MaskDescriptor) -> dict:
    """``get_label_image_metadata``: datasets with chunk sizes, min/max, size, uuid and type."""
    if not mask.label_path:
        raise NotFound(f"Cannot get Label Image Metadata:{mask.id}")
    datasets, minmax = run_blocking(_label_datasets, mask)
    rv: dict[str, Any] = {"multiscales": {"datasets": datasets}}
    if isinstance(minmax, list) and len(minmax) == 2:
        rv["min"], rv["max"] = minmax
    with _open_label(mask) as source:
        rv["size"] = {"t": source.size_t, "c": source.size_c, "z": source.size_z,
                      "height": source.size_y, "width": source.size_x}
        rv["uuid"] = mask.uuid
        rv["type"] = source.pixel_type
    return rv
