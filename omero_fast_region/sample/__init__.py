"""Sample images: writers of real files in every format the app reads (tests, demo, benchmarks)."""

from .writers import (
    downsample2,
    write_bioformats2raw,
    write_ngff,
    write_ngff_labels,
    write_ome_tiff,
    write_omero_pyramid,
    write_romio,
)

__all__ = [
    "downsample2",
    "write_bioformats2raw",
    "write_ngff",
    "write_ngff_labels",
    "write_ome_tiff",
    "write_omero_pyramid",
    "write_romio",
]
