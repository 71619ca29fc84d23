"""The same image written in all five formats reads back identically (pixels/*).

Comparable levels:
* level 0: raw ``Pixels/<id>``, NGFF 0.4, NGFF 0.5, OME-TIFF and the OMERO pyramid hold the
  same pixels, so every region must be identical arrays;
* level 1: NGFF 0.4, NGFF 0.5 and OME-TIFF hold the writers' 2x2 mean (``floor(size/2)``),
  so they must agree; the raw file has no level 1, and the OMERO pyramid's level 1 is the
  JPEG-2000 wavelet low-pass band inside each tile (its size follows Bio-Formats' rounding,
  reference/renderer.md §6.4), so its values are not comparable with a mean.
"""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.pixels import open_source, romio_path
from omero_fast_region.sample import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio

from .conftest import pixels_of, sample

REGIONS = [(0, 0, 64, 64), (50, 30, 100, 70), (200, 250, 60, 50), (0, 0, 260, 300)]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross")
    data = sample("uint16", shape=(1, 2, 2, 300, 260))
    pixels = pixels_of(data, "uint16")
    raw = write_romio(romio_path(str(root), 52), data)
    specs = {
        "romio": SourceSpec("romio", raw, str(root), pixels=pixels),
        "pyramid": SourceSpec("pyramid", write_omero_pyramid(raw + "_pyramid", data, tile=(64, 64)), str(root), pixels=pixels),
        "ngff-0.4": SourceSpec("ngff", write_ngff(str(root / "v04.zarr"), data, "0.4", chunks=(64, 64), levels=2), str(root)),
        "ngff-0.5": SourceSpec("ngff", write_ngff(str(root / "v05.zarr"), data, "0.5", chunks=(48, 80), levels=2), str(root)),
        "ome-tiff": SourceSpec("tiff", write_ome_tiff(str(root / "a.ome.tif"), data, tile=(64, 64), levels=2), str(root)),
    }
    opened = {name: open_source(spec) for name, spec in specs.items()}
    yield data, opened
    for source in opened.values():
        source.close()


def test_same_region_at_full_resolution_is_identical_in_all_five_formats(sources):
    data, opened = sources
    for z in range(2):
        for c in range(2):
            for x, y, w, h in REGIONS:
                reads = {name: src.read_region(z, c, 0, 0, x, y, w, h) for name, src in opened.items()}
                for name, got in reads.items():
                    np.testing.assert_array_equal(got, data[0, c, z, y : y + h, x : x + w], err_msg=name)


def test_level_one_is_identical_where_levels_are_the_same_downsampling(sources):
    _, opened = sources
    comparable = ["ngff-0.4", "ngff-0.5", "ome-tiff"]
    assert {opened[name].levels[1] for name in comparable} == {(130, 150)}
    assert opened["pyramid"].levels[1] == (130, 150) and len(opened["romio"].levels) == 1
    for x, y, w, h in [(0, 0, 130, 150), (31, 17, 64, 64), (100, 120, 30, 30)]:
        reads = [opened[name].read_region(1, 1, 0, 1, x, y, w, h) for name in comparable]
        for got in reads[1:]:
            np.testing.assert_array_equal(got, reads[0])


def test_projection_stacks_agree_across_formats(sources):
    data, opened = sources
    for src in opened.values():
        np.testing.assert_array_equal(src.read_stack(1, 0, 0, 10, 20, 40, 30, 0, 1), data[0, 1, :, 20:50, 10:50])
