"""Issue 4's acceptance: the same tile rendered from the same data stored as raw ``Pixels/``,
NGFF 0.4, NGFF 0.5, OME-TIFF and OMERO ``_pyramid`` is byte-identical through
``omero-fast-region render`` (the real console script, the same view stack ``serve`` uses),
and equals the renderer applied to the ground-truth array."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omero_fast_region.pixels import romio_path
from omero_fast_region.render import render_rgb
from omero_fast_region.render.model import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings
from omero_fast_region.sample import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio
from omero_fast_region.sample.cells import make_cells

CLI = str(Path(sys.executable).with_name("omero-fast-region"))
FORMATS = {1: "romio", 2: "pyramid", 3: "ngff-0.4", 4: "ngff-0.5", 5: "ome-tiff"}
WINDOWS = [(150.0, 2400.0), (120.0, 1500.0)]
COLOURS = [(0, 0, 255, 255), (0, 255, 0, 255)]
#: (URL path and query after the image id, the (x, y, w, h) it covers at full resolution)
REQUESTS = [
    ("/0/0/?tile=0,1,1,64,64", (64, 64, 64, 64)),
    ("/0/0/?tile=0,3,2,64,64", (192, 128, 38, 64)),  # right edge: clipped to the image
    ("/1/0/?region=37,21,150,111", (37, 21, 150, 111)),  # crosses tile/chunk edges, second Z
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> tuple[Path, np.ndarray]:
    root = tmp_path_factory.mktemp("five-formats")
    data = make_cells(230, 200, size_z=2, size_c=2, seed=3)
    t, c, z, y, x = data.shape
    raw = write_romio(romio_path(str(root), 1), data)
    write_omero_pyramid(romio_path(str(root), 2) + "_pyramid", data, tile=(64, 64))
    write_ngff(str(root / "v04.zarr"), data, "0.4", chunks=(64, 64), levels=2)
    write_ngff(str(root / "v05.zarr"), data, "0.5", chunks=(48, 80), levels=2)
    write_ome_tiff(str(root / "cells.ome.tif"), data, tile=(64, 64), levels=2)
    pixels = {"type": "uint16", "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t}
    rendering = {"model": "rgb", "default_z": 0, "default_t": 0,
                 "quantization": {"bit_resolution": 255, "cd_start": 0, "cd_end": 255},
                 "channels": [{"active": True, "window": list(w), "rgba": list(rgba)}
                              for w, rgba in zip(WINDOWS, COLOURS)]}
    sources = {
        1: {"format": "romio", "path": str(Path(raw).relative_to(root))},
        2: {"format": "pyramid", "path": str(Path(romio_path(str(root), 2) + "_pyramid").relative_to(root))},
        3: {"format": "ngff", "path": "v04.zarr"},
        4: {"format": "ngff", "path": "v05.zarr"},
        5: {"format": "tiff", "path": "cells.ome.tif"},
    }
    images = [{"id": i, "name": FORMATS[i], "source": src, "pixels": pixels, "rendering": rendering}
              for i, src in sources.items()]
    path = root / "catalog.json"
    path.write_text(json.dumps({"images": images}))
    return path, data


def expected_rgb(data: np.ndarray, z: int, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    planes = [data[0, c, z, y:y + h, x:x + w] for c in range(data.shape[1])]
    pixels = PixelsInfo("uint16", data.shape[4], data.shape[3], data.shape[2], data.shape[1], 1)
    settings = RenderSettings(channels=tuple(ChannelSettings(window=w, rgba=rgba) for w, rgba in zip(WINDOWS, COLOURS)))
    return render_rgb(planes, pixels, [ChannelInfo()] * 2, settings)


@pytest.mark.parametrize("suffix,box", REQUESTS)
def test_the_same_tile_is_byte_identical_from_all_five_formats(catalog, tmp_path, suffix, box):
    path, data = catalog
    urls = [f"/webgateway/render_image_region/{i}{suffix}&format=png" for i in FORMATS]
    result = subprocess.run([CLI, "render", "--catalog", str(path), "--out-dir", str(tmp_path), *urls],
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()[-2000:]
    assert result.stdout.decode().splitlines() == [f"{i} 200 image/png" for i in range(len(FORMATS))]
    rgbs = [np.asarray(Image.open(io.BytesIO((tmp_path / str(i)).read_bytes())).convert("RGB"))
            for i in range(len(FORMATS))]
    z = int(suffix.split("/")[1])
    truth = expected_rgb(data, z, box)
    for name, rgb in zip(FORMATS.values(), rgbs):
        assert rgb.tobytes() == truth.tobytes(), name
    assert truth.any(), "the tile must not be blank"
