"""Pixel sources: one reader per on-disk format behind :class:`PixelSource`, opened through a pool.

Formats (``SourceSpec.format``): ``romio`` (raw ``Pixels/<id>``), ``pyramid`` (``<id>_pyramid``),
``ngff`` (OME-NGFF 0.4/0.5, local or S3), ``tiff`` (TIFF/OME-TIFF originals).
"""

from .base import PixelSource
from .ngff import NgffSource
from .paths import resolve_under, romio_path
from .pool import SourcePool
from .registry import open_source
from .stores import S3Options

__all__ = ["PixelSource", "NgffSource", "SourcePool", "S3Options", "open_source", "resolve_under", "romio_path"]
