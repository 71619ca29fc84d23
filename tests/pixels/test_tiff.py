"""TIFF / OME-TIFF originals through tifffile (pixels/tiff.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import NotFound, Unsupported
from omero_fast_region.pixels import open_source
from omero_fast_region.pixels.tiff import map_tiff_axes
from omero_fast_region.sample import downsample2, write_ome_tiff

from .conftest import TYPES, assert_reads, pixels_of, sample


def tiff_spec(root, name: str, series: int = 0, pixels=None) -> SourceSpec:
    return SourceSpec("tiff", str(root / name), str(root), series=series, pixels=pixels)


@pytest.mark.parametrize("pixel_type", list(TYPES))
def test_ome_tiff_subifd_pyramid_reads_every_level_of_every_type(tmp_path, pixel_type):
    data = sample(pixel_type, shape=(2, 2, 2, 70, 90))
    write_ome_tiff(str(tmp_path / "a.ome.tif"), data, tile=(32, 32), levels=3, compression="zlib")
    with open_source(tiff_spec(tmp_path, "a.ome.tif")) as src:
        assert src.pixel_type == pixel_type
        assert (src.size_x, src.size_y, src.size_z, src.size_c, src.size_t) == (90, 70, 2, 2, 2)
        assert src.tile_size(0) == (32, 32)
        assert_reads(src, [data, downsample2(data), downsample2(downsample2(data))])


def test_multi_series_ome_tiff_selects_series(tmp_path):
    first, second = sample("uint16", shape=(1, 2, 1, 40, 30), seed=1), sample("uint16", shape=(2, 1, 3, 20, 50), seed=2)
    write_ome_tiff(str(tmp_path / "multi.ome.tif"), [first, second], tile=(16, 16), levels=2)
    with open_source(tiff_spec(tmp_path, "multi.ome.tif", 0)) as src:
        assert_reads(src, [first, downsample2(first)])
    with open_source(tiff_spec(tmp_path, "multi.ome.tif", 1)) as src:
        assert_reads(src, [second, downsample2(second)])
    with pytest.raises(NotFound):
        open_source(tiff_spec(tmp_path, "multi.ome.tif", 2))


def test_plain_tiff_stack_pages_are_t_unless_pixels_say_z(tmp_path):
    data = sample("uint8", shape=(4, 1, 1, 30, 40))
    tifffile.imwrite(tmp_path / "stack.tif", data[:, 0, 0], photometric="minisblack", metadata=None)  # strips, no metadata
    with open_source(tiff_spec(tmp_path, "stack.tif")) as src:
        assert (src.size_z, src.size_t) == (1, 4)
        assert_reads(src, [data])
    as_z = pixels_of(data.reshape(1, 1, 4, 30, 40), "uint8")
    with open_source(tiff_spec(tmp_path, "stack.tif", pixels=as_z)) as src:
        assert (src.size_z, src.size_t) == (4, 1)
        np.testing.assert_array_equal(src.read_region(2, 0, 0, 0, 3, 4, 10, 10), data[2, 0, 0, 4:14, 3:13])


def test_imagej_hyperstack_axes_are_honoured(tmp_path):
    data = sample("uint16", shape=(2, 3, 2, 20, 24))  # t c z y x
    tifffile.imwrite(tmp_path / "ij.tif", data.transpose(0, 2, 1, 3, 4), imagej=True, metadata={"axes": "TZCYX"})
    with open_source(tiff_spec(tmp_path, "ij.tif")) as src:
        assert (src.size_z, src.size_c, src.size_t) == (2, 3, 2)
        assert_reads(src, [data])


def test_rgb_tiff_samples_are_channels(tmp_path):
    rgb = sample("uint8", shape=(1, 1, 1, 33, 47))[0, 0, 0][..., None].repeat(3, axis=2)
    rgb[..., 1] //= 2
    rgb[..., 2] = 255 - rgb[..., 2]
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb", tile=(16, 16), compression="jpeg", compressionargs={"level": 95})
    truth = tifffile.imread(tmp_path / "rgb.tif")  # the decoded JPEG is the truth
    with open_source(tiff_spec(tmp_path, "rgb.tif")) as src:
        assert src.size_c == 3
        assert_reads(src, [truth.transpose(2, 0, 1)[None, :, None]])


def test_bit_tiff_reads_as_bool(tmp_path):
    mask = sample("uint8", shape=(1, 1, 1, 20, 30))[0, 0, 0] > 128
    tifffile.imwrite(tmp_path / "mask.tif", mask)
    with open_source(tiff_spec(tmp_path, "mask.tif")) as src:
        assert src.pixel_type == "bit"
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 3, 2, 17, 9), mask[2:11, 3:20])


def test_big_endian_tiff_reads_native(tmp_path):
    data = sample("int32", shape=(1, 1, 1, 20, 30))
    tifffile.imwrite(tmp_path / "be.tif", data[0, 0, 0], byteorder=">", tile=(16, 16))
    with open_source(tiff_spec(tmp_path, "be.tif")) as src:
        assert_reads(src, [data])


def test_corrupt_or_foreign_files_are_unsupported_not_crashes(tmp_path):
    (tmp_path / "junk.tif").write_bytes(b"II*\0" + b"\xff" * 100)
    with pytest.raises(Unsupported):
        open_source(tiff_spec(tmp_path, "junk.tif"))
    data = sample("uint16", shape=(1, 1, 1, 64, 64))
    write_ome_tiff(str(tmp_path / "bad.ome.tif"), data, tile=(32, 32), compression="zlib")
    with tifffile.TiffFile(tmp_path / "bad.ome.tif") as tif:
        offset = int(tif.pages[0].dataoffsets[3])
    with open(tmp_path / "bad.ome.tif", "r+b") as handle:
        handle.seek(offset)
        handle.write(b"\0" * 16)
    with open_source(tiff_spec(tmp_path, "bad.ome.tif")) as src:
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 0, 0, 32, 32), data[0, 0, 0, :32, :32])
        with pytest.raises(Unsupported):
            src.read_region(0, 0, 0, 0, 32, 32, 32, 32)
        assert src.broken


def test_missing_tiff_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        open_source(tiff_spec(tmp_path, "absent.tif"))


def test_tiff_axis_mapping():
    assert map_tiff_axes("TCZYXS", (1, 2, 3, 4, 5, 1)) == "tczyx."
    assert map_tiff_axes("YXS", (4, 5, 3)) == "yxc"
    assert map_tiff_axes("CYXS", (1, 4, 5, 3)) == ".yxc"
    assert map_tiff_axes("IYX", (7, 4, 5)) == "tyx"
    assert map_tiff_axes("QZYX", (7, 2, 4, 5)) == "tzyx"
    with pytest.raises(Unsupported):
        map_tiff_axes("CYXS", (2, 4, 5, 3))
    with pytest.raises(Unsupported):
        map_tiff_axes("IQYX", (2, 3, 4, 5))
