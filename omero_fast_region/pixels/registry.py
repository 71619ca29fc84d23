"""``open_source``: the one place a SourceSpec's format picks its reader."""

from __future__ import annotations

from ..descriptor import SourceSpec
from ..errors import Unsupported
from .base import PixelSource
from .ngff import NgffSource
from .paths import resolve_under
from .pyramid import OmeroPyramidSource
from .romio import RomioSource
from .stores import S3Options, is_s3
from .tiff import TiffSource


def open_source(spec: SourceSpec, s3: S3Options | None = None) -> PixelSource:
    """Open the pixels ``spec`` points at (read-only). The path is re-checked against the root."""
    if spec.format == "ngff" and is_s3(spec.path):
        return NgffSource(spec.path, spec.series, s3)
    path = resolve_under(spec.root, spec.path)
    if spec.format == "romio":
        return RomioSource(path, spec.pixels)
    if spec.format == "pyramid":
        return OmeroPyramidSource(path, spec.pixels)
    if spec.format == "tiff":
        return TiffSource(path, spec.series, spec.pixels)
    if spec.format == "ngff":
        return NgffSource(path, spec.series, s3, root=spec.root)
    raise Unsupported(f"unknown source format {spec.format!r}")
