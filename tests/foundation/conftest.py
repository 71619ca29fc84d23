"""Fixtures for the foundation tests: small real images on disk and catalogs describing them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


def write_raw_xyzct(path: Path, data: np.ndarray) -> None:
    """OMERO's ``Pixels/<id>`` layout written by hand: headerless big-endian, X fastest, then Y, Z, C, T.

    ``data`` is (T, C, Z, Y, X); independent of the product's own writer on purpose.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.ascontiguousarray(data).astype(data.dtype.newbyteorder(">")).tobytes())


@pytest.fixture
def raw_uint16_image() -> np.ndarray:
    """A 1-channel uint16 (T=1, C=1, Z=1, Y=3, X=4) ramp."""
    return (np.arange(12, dtype=np.uint16) * 300 + 100).reshape(1, 1, 1, 3, 4)


def write_catalog(folder: Path, images: list[dict], luts: list[str] | None = None) -> Path:
    path = folder / "catalog.json"
    path.write_text(json.dumps({"luts": luts or [], "images": images}))
    return path


@pytest.fixture
def raw_catalog(tmp_path: Path, raw_uint16_image: np.ndarray) -> Path:
    """A catalog holding one raw uint16 image (id 1) without ``rendering``."""
    write_raw_xyzct(tmp_path / "Pixels" / "1", raw_uint16_image)
    return write_catalog(tmp_path, [{
        "id": 1, "name": "ramp",
        "source": {"format": "romio", "path": "Pixels/1"},
        "pixels": {"type": "uint16", "size_x": 4, "size_y": 3, "size_z": 1, "size_c": 1, "size_t": 1,
                   "significant_bits": None},
        "channels": [{"label": "ramp", "emission_wavelength": None, "stats": None}],
    }])
