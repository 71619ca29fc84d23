"""The demo's sample image set: the same synthetic cells stored in the formats we read.

``ensure_demo_data(folder)`` writes (once) an NGFF pyramid (4096×4096, 4 channels, Z=3), an
OMERO raw ``Pixels/`` image, an OME-TIFF pyramid, and the local catalog describing them, and
returns the catalog path. A marker file records a complete write, so an interrupted run
starts again rather than serving half-written files.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np

from .cells import CHANNELS, make_cells
from .writers import write_ngff, write_ome_tiff, write_romio

DEMO_VERSION = "1"


def _channels(data: np.ndarray) -> list[dict]:
    """Catalog channel entries with StatsInfo-like min/max over all planes."""
    out = []
    for c in range(data.shape[1]):
        label, emission = CHANNELS[c % len(CHANNELS)]
        out.append({"label": label, "emission_wavelength": emission,
                    "stats": [int(data[:, c].min()), int(data[:, c].max())]})
    return out


def _nice_rendering(data: np.ndarray) -> dict:
    """Windows at the 0.5 and 99.8 percentiles of a sample, channel colours by wavelength."""
    colours = [[0, 0, 255, 255], [0, 255, 0, 255], [255, 0, 0, 255], [255, 0, 255, 255]]
    sample = data[0, :, data.shape[2] // 2, ::8, ::8]
    channels = []
    for c in range(data.shape[1]):
        lo, hi = np.percentile(sample[c], [0.5, 99.8])
        channels.append({"active": c < 3, "window": [float(int(lo)), float(int(hi))], "rgba": colours[c % 4],
                         "family": "linear", "coefficient": 1.0, "noise_reduction": False,
                         "lut": None, "reverse": False})
    return {"model": "rgb", "default_z": data.shape[2] // 2, "default_t": 0,
            "quantization": {"bit_resolution": 255, "cd_start": 0, "cd_end": 255}, "channels": channels}


def write_demo_data(folder: str, size: int = 4096) -> str:
    """Write every sample image and the catalog into ``folder``; returns the catalog path."""
    for sub in ("ngff", "Pixels", "tiff"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    big = make_cells(size, size, size_z=3, size_c=4, seed=7)
    write_ngff(os.path.join(folder, "ngff", "cells.zarr"), big, version="0.4", chunks=(512, 512), levels=5)
    small = make_cells(1024, 768, size_z=5, size_c=3, seed=11)
    write_romio(os.path.join(folder, "Pixels", "2"), small)
    tiff_data = make_cells(2048, 2048, size_z=1, size_c=3, seed=13)
    write_ome_tiff(os.path.join(folder, "tiff", "cells.ome.tif"), tiff_data, tile=(256, 256), levels=4)
    t, c, z, y, x = small.shape
    catalog = {
        "luts": [],
        "images": [
            {"id": 1, "name": "cells-4096.ome.zarr", "source": {"format": "ngff", "path": "ngff/cells.zarr"},
             "channels": _channels(big), "rendering": _nice_rendering(big)},
            {"id": 2, "name": "cells-1024-z5 (OMERO raw Pixels)", "source": {"format": "romio", "path": "Pixels/2"},
             "pixels": {"type": "uint16", "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t,
                        "significant_bits": None},
             "channels": _channels(small)},
            {"id": 3, "name": "cells-2048.ome.tiff", "source": {"format": "tiff", "path": "tiff/cells.ome.tif"},
             "channels": _channels(tiff_data)},
        ],
    }
    path = os.path.join(folder, "catalog.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(catalog, fh, indent=2)
    return path


def ensure_demo_data(folder: str) -> str:
    """The catalog of the sample set in ``folder``, writing the set first when it is missing."""
    marker = os.path.join(folder, ".complete")
    catalog = os.path.join(folder, "catalog.json")
    try:
        with open(marker, encoding="utf-8") as fh:
            if fh.read().strip() == DEMO_VERSION and os.path.exists(catalog):
                return catalog
    except OSError:
        pass
    for name in ("ngff", "Pixels", "tiff"):
        shutil.rmtree(os.path.join(folder, name), ignore_errors=True)
    write_demo_data(folder)
    with open(marker, "w", encoding="utf-8") as fh:
        fh.write(DEMO_VERSION)
    return catalog
