"""Fixtures for the operator tests: a tiny OMERO-shaped repository and a local catalog over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omero_fast_region.sample.cells import make_cells
from omero_fast_region.sample.writers import write_ngff, write_ome_tiff, write_romio


def write_repository(root: Path) -> Path:
    """``root`` laid out like ``omero.data.dir`` (raw Pixels, NGFF and OME-TIFF in the managed
    repository) plus ``catalog.json`` describing the three images; returns the catalog path."""
    cells = make_cells(192, 128, size_z=2, size_c=3, seed=3)
    write_romio(str(root / "Pixels" / "1"), cells)
    fileset = root / "ManagedRepository" / "user_2" / "2024-05" / "07" / "10-11-12.123"
    write_ngff(str(fileset / "cells.zarr"), cells, chunks=(64, 64), levels=2)
    write_ome_tiff(str(fileset / "cells.ome.tif"), cells, tile=(64, 64), levels=2)
    (root / "luts").mkdir()
    (root / "luts" / "grays.lut").write_bytes(bytes(range(256)) * 3)
    t, c, z, y, x = cells.shape
    channels = [{"label": name, "emission_wavelength": None, "stats": [0, 4000]} for name in ("DAPI", "GFP", "mCherry")]
    relative = fileset.relative_to(root)
    catalog = {
        "luts": ["luts"],
        "images": [
            {"id": 1, "name": "raw", "source": {"format": "romio", "path": "Pixels/1"},
             "pixels": {"type": "uint16", "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t,
                        "significant_bits": None},
             "channels": channels},
            {"id": 2, "name": "ngff", "source": {"format": "ngff", "path": f"{relative}/cells.zarr"}, "channels": channels},
            {"id": 3, "name": "tiff", "source": {"format": "tiff", "path": f"{relative}/cells.ome.tif"}, "channels": channels},
        ],
    }
    path = root / "catalog.json"
    path.write_text(json.dumps(catalog, indent=1))
    return path


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    """The catalog path of a freshly written tiny repository."""
    root = tmp_path / "OMERO"
    root.mkdir()
    return write_repository(root)
