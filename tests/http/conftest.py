"""A small real image set on disk, a catalog describing it, and the app pointed at it.

Images (ids): 1 romio uint16 3-channel 40x30, Z=5, T=2 with saved settings (one LUT);
2 NGFF uint8 1024x768, 3 levels, 256 chunks, with a label image; 3 romio uint8 125x125;
4 romio int16 20x20, Z=5, T=6, greyscale; 5 OME-TIFF uint16 2-channel 600x500, 2 levels;
20.. one romio uint8 image per size of ``vectors/thumbnail_sizes.txt``.
Masks: 100 byte-aligned 8x2, 101 unaligned 4x4 (both bytes 0x55 0x55), 102 the NGFF label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.sample.writers import write_ngff, write_ngff_labels, write_ome_tiff, write_romio

THUMBNAIL_SIZES = [
    (1000, 1000), (1024, 768), (768, 1024), (333, 1000), (1000, 333), (10000, 5), (512, 512), (100, 96),
    (1392, 1040), (95, 80), (40, 30), (700, 300), (300, 700), (1023, 77),
]
THUMB_BASE_ID = 20


@dataclass
class ImageSet:
    """The catalog file and the arrays written, by image id, as (T, C, Z, Y, X)."""

    catalog: Path
    data: dict[int, np.ndarray]


def _pixels(data: np.ndarray, ptype: str) -> dict:
    t, c, z, y, x = data.shape
    return {"type": ptype, "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t}


def _gradient(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 4000) + 1, size=shape).astype(dtype)


def build_image_set(root: Path) -> ImageSet:
    data: dict[int, np.ndarray] = {}
    images: list[dict] = []

    data[1] = _gradient((2, 3, 5, 30, 40), "uint16", 1)
    write_romio(str(root / "Pixels" / "1"), data[1])
    images.append({
        "id": 1, "name": "three channels, stack.tif", "source": {"format": "romio", "path": "Pixels/1"},
        "pixels": _pixels(data[1], "uint16"),
        "channels": [{"label": "DAPI", "stats": [0, 4000]}, {"label": "GFP", "stats": [0, 4000]}, {"emission_wavelength": 600.0, "stats": [0, 4000]}],
        "rendering": {"model": "rgb", "default_z": 2, "default_t": 0, "channels": [
            {"active": True, "window": [0, 4000], "rgba": [0, 0, 255, 255]},
            {"active": True, "window": [100, 3000], "rgba": [0, 255, 0, 255], "family": "exponential", "coefficient": 1.5},
            {"active": False, "window": [0, 2000], "rgba": [255, 0, 0, 255], "lut": "ramp.lut"},
        ]},
    })

    base = np.add.outer(np.arange(768) // 4, np.arange(1024) // 5).astype(np.uint8)
    data[2] = base.reshape(1, 1, 1, 768, 1024)
    write_ngff(str(root / "ngff" / "2.zarr"), data[2], version="0.4", chunks=(256, 256), levels=3)
    labels = np.zeros((1, 1, 1, 768, 1024), dtype=np.uint16)
    labels[..., 100:300, 200:500] = 7
    write_ngff_labels(str(root / "ngff" / "2.zarr"), "cells", labels, version="0.4", chunks=(256, 256), levels=2)
    images.append({"id": 2, "name": "ngff pyramid", "source": {"format": "ngff", "path": "ngff/2.zarr"}})

    data[3] = _gradient((1, 1, 1, 125, 125), "uint8", 3)
    write_romio(str(root / "Pixels" / "3"), data[3])
    images.append({"id": 3, "name": "square", "source": {"format": "romio", "path": "Pixels/3"},
                   "pixels": _pixels(data[3], "uint8"), "channels": [{"stats": [0, 255]}]})

    data[4] = _gradient((6, 1, 5, 20, 20), "int16", 4)
    write_romio(str(root / "Pixels" / "4"), data[4])
    images.append({"id": 4, "name": "int16", "source": {"format": "romio", "path": "Pixels/4"},
                   "pixels": _pixels(data[4], "int16"),
                   "rendering": {"model": "greyscale", "default_z": 2, "default_t": 0, "channels": [
                       {"active": True, "window": [-32768, 12], "rgba": [128, 128, 128, 255]}]}})

    data[5] = _gradient((1, 2, 1, 500, 600), "uint16", 5)
    write_ome_tiff(str(root / "tiff" / "5.ome.tiff"), data[5], tile=(128, 128), levels=2)
    images.append({"id": 5, "name": "tiff pyramid", "source": {"format": "tiff", "path": "tiff/5.ome.tiff"},
                   "channels": [{"stats": [0, 4000]}, {"stats": [0, 4000]}]})

    for i, (w, h) in enumerate(THUMBNAIL_SIZES):
        image_id = THUMB_BASE_ID + i
        array = np.add.outer(np.arange(h) % 256, np.arange(w) % 256).astype(np.uint8).reshape(1, 1, 1, h, w)
        write_romio(str(root / "Pixels" / str(image_id)), array)
        images.append({"id": image_id, "name": f"{w}x{h}", "source": {"format": "romio", "path": f"Pixels/{image_id}"},
                       "pixels": _pixels(array, "uint8"), "channels": [{"stats": [0, 255]}]})

    (root / "luts").mkdir()
    ramp = np.zeros((3, 256), dtype=np.uint8)
    ramp[0] = np.arange(256)
    ramp[2] = 255 - np.arange(256)
    (root / "luts" / "ramp.lut").write_bytes(ramp.tobytes())
    (root / "masks").mkdir()
    (root / "masks" / "100").write_bytes(bytes([0x55, 0x55]))
    masks = [
        {"id": 100, "image_id": 1, "x": 0, "y": 0, "width": 8, "height": 2, "bytes_path": "masks/100", "fill_color": -16776961},
        {"id": 101, "image_id": 1, "x": 4, "y": 4, "width": 4, "height": 4, "bytes_path": "masks/100"},
        {"id": 102, "image_id": 2, "label": "cells", "width": 1024, "height": 768, "uuid": "abc"},
    ]
    catalog = root / "catalog.json"
    catalog.write_text(json.dumps({"luts": ["luts"], "images": images, "masks": masks}))
    return ImageSet(catalog, data)


@pytest.fixture(scope="session")
def image_set(tmp_path_factory: pytest.TempPathFactory) -> ImageSet:
    """The image set, written once per test session."""
    return build_image_set(tmp_path_factory.mktemp("images"))


@pytest.fixture
def app(settings, image_set: ImageSet) -> ImageSet:
    """The app in standalone mode on the image set (the runtime is rebuilt on settings change)."""
    settings.FAST_REGION = {"catalog": f"local:{image_set.catalog}", "standalone": True}
    return image_set
