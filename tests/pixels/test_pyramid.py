"""OMERO ``<id>_pyramid`` files: BigTIFF, JPEG-2000 tiles, levels inside codestreams (pixels/pyramid.py)."""

from __future__ import annotations

import io

import imagecodecs
import numpy as np
import pytest
import tifffile
from PIL import Image

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import Unsupported
from omero_fast_region.pixels import open_source, romio_path
from omero_fast_region.pixels.jpeg2k import codestream_info
from omero_fast_region.pixels.pyramid import level_sizes
from omero_fast_region.sample import downsample2, write_omero_pyramid

from .conftest import assert_reads, pixels_of, sample

PYRAMID_TYPES = ["int8", "uint8", "int16", "uint16"]


def test_level_sizes_match_bio_formats_arithmetic():
    xs, ys = level_sizes(10000, 256, 6), level_sizes(8000, 256, 6)
    assert [(x, y) for (x, _), (y, _) in zip(xs, ys)] == [
        (10000, 8000), (5000, 4000), (2500, 2000), (1250, 1000), (625, 500), (313, 250)
    ]
    assert [t for _, t in xs] == [256, 128, 64, 32, 16, 8]
    # partial tile below one pixel rounds up; 300 = 256 + 44 -> 44/32 = 1.375 -> 1
    assert level_sizes(300, 256, 6)[5] == (8 + 1, 8)
    assert level_sizes(257, 256, 6)[5] == (8 + 1, 8)  # 1/32 < 1 -> ceil


def reduced_truth(path: str, plane: int, level: int, dtype) -> np.ndarray:
    """Level ``level`` of one plane, each tile decoded on its own with OpenJPEG's reduce, placed as OMERO does."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[plane]
        tw, th, width, height = page.tilewidth, page.tilelength, page.imagewidth, page.imagelength
        (size_x, tw_l), (size_y, th_l) = level_sizes(width, tw, level + 1)[level], level_sizes(height, th, level + 1)[level]
        columns = -(-width // tw)
        out = np.zeros((size_y, size_x), dtype)
        for index, (offset, count) in enumerate(zip(page.dataoffsets, page.databytecounts)):
            tif.filehandle.seek(offset)
            data = tif.filehandle.read(count)
            info = codestream_info(data)
            image = Image.open(io.BytesIO(data))
            image.reduce = level
            tile = np.asarray(image).astype(np.int64) >> ((8 if np.dtype(dtype).itemsize == 1 else 16) - info.precision)
            tile -= (1 << (info.precision - 1)) if info.signed else 0
            row, col = divmod(index, columns)
            y0, x0 = row * th_l, col * tw_l
            part = out[y0 : y0 + th_l, x0 : x0 + tw_l]
            part[...] = tile[: part.shape[0], : part.shape[1]]
    return out


@pytest.mark.parametrize("pixel_type", PYRAMID_TYPES)
def test_pyramid_full_resolution_is_lossless_for_every_supported_type(tmp_path, pixel_type):
    data = sample(pixel_type, shape=(2, 2, 2, 70, 90))
    path = write_omero_pyramid(romio_path(str(tmp_path), 1001) + "_pyramid", data, tile=(32, 32))
    with open_source(SourceSpec("pyramid", path, str(tmp_path), pixels=pixels_of(data, pixel_type))) as src:
        assert src.pixel_type == pixel_type and len(src.levels) == 3  # 32-px tiles: 2 decompositions
        assert src.tile_size(0) == (32, 32) and src.tile_size(1) == (16, 16)
        assert_reads(src, [data])


@pytest.mark.parametrize("pixel_type", PYRAMID_TYPES)
def test_pyramid_reduced_levels_are_the_codestream_resolutions(tmp_path, pixel_type):
    data = sample(pixel_type, shape=(1, 2, 1, 75, 100))
    path = write_omero_pyramid(str(tmp_path / "p_pyramid"), data, tile=(64, 64))
    with open_source(SourceSpec("pyramid", path, str(tmp_path), pixels=pixels_of(data, pixel_type))) as src:
        assert src.levels == [(100, 75), (50, 38), (25, 19), (13, 9)]
        truths = [None] + [np.stack([reduced_truth(path, c, level, data.dtype) for c in range(2)])[None, :, None] for level in range(1, 4)]
        for level in range(1, 4):
            assert_reads(src, [data] + truths[1 : level + 1], planes=[(0, 0, 0), (0, 1, 0)])


def test_pyramid_level_one_approximates_a_2x2_mean_on_smooth_data(tmp_path):
    yy, xx = np.mgrid[0:128, 0:160]
    data = (1000 + 400 * np.sin(yy / 17.0) + 300 * np.cos(xx / 23.0)).astype(np.uint16)[None, None, None]
    path = write_omero_pyramid(str(tmp_path / "s_pyramid"), data, tile=(64, 64))
    with open_source(SourceSpec("pyramid", path, str(tmp_path))) as src:
        level1 = src.read_region(0, 0, 0, 1, 0, 0, 80, 64).astype(float)
    # The last columns feel the edge tile's zero padding (160 = 2.5 tiles): compare the rest.
    assert np.abs(level1 - downsample2(data)[0, 0, 0])[:, :-2].max() < 40


def test_pyramid_without_pixels_treats_planes_as_timepoints(tmp_path):
    data = sample("uint8", shape=(1, 3, 1, 20, 20))
    path = write_omero_pyramid(str(tmp_path / "t_pyramid"), data, tile=(16, 16))
    with open_source(SourceSpec("pyramid", path, str(tmp_path))) as src:
        assert (src.size_z, src.size_c, src.size_t) == (1, 1, 3)
        np.testing.assert_array_equal(src.read_region(0, 0, 2, 0, 0, 0, 20, 20), data[0, 2, 0])


def test_pyramid_with_256_pixel_tiles_has_omeros_six_levels(tmp_path):
    data = sample("uint16", shape=(1, 1, 1, 300, 520))
    path = write_omero_pyramid(str(tmp_path / "six_pyramid"), data)
    with open_source(SourceSpec("pyramid", path, str(tmp_path))) as src:
        assert src.tile_size(0) == (256, 256)
        assert len(src.levels) == 6 and src.levels[5] == (17, 9)  # 2*8 + 8/32->1 ; 8 + 44/32=1.375->1
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 250, 250, 270, 50), data[0, 0, 0, 250:300, 250:520])


def test_pyramid_writer_refuses_types_omero_does_not_pyramid():
    with pytest.raises(ValueError):
        write_omero_pyramid("/nonexistent", np.zeros((1, 1, 1, 16, 16), np.float32))


def test_32_bit_pyramid_reads_full_resolution_and_hands_over_reduced_levels(tmp_path):
    plane = sample("int32", shape=(1, 1, 1, 32, 32))[0, 0, 0] >> 8  # J2K holds <= 26 significant bits here
    tile = imagecodecs.jpeg2k_encode(plane, level=0, codecformat="J2K", reversible=True, resolutions=3)
    with tifffile.TiffWriter(tmp_path / "w_pyramid", bigtiff=True) as tif:
        tif.write(iter([tile]), shape=(32, 32), dtype=np.int32, tile=(32, 32), compression=33003, photometric="minisblack")
    with open_source(SourceSpec("pyramid", str(tmp_path / "w_pyramid"), str(tmp_path))) as src:
        assert len(src.levels) == 3
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 3, 4, 20, 20), plane[4:24, 3:23])
        with pytest.raises(Unsupported):
            src.read_region(0, 0, 0, 1, 0, 0, 8, 8)


def test_non_jpeg2000_tiff_is_not_a_pyramid(tmp_path):
    tifffile.imwrite(tmp_path / "x_pyramid", np.zeros((32, 32), np.uint16), tile=(16, 16))
    with pytest.raises(Unsupported):
        open_source(SourceSpec("pyramid", str(tmp_path / "x_pyramid"), str(tmp_path)))


def test_corrupt_pyramid_tile_is_unsupported_and_marks_source_broken(tmp_path):
    data = sample("uint16", shape=(1, 1, 1, 64, 64))
    path = write_omero_pyramid(str(tmp_path / "c_pyramid"), data, tile=(32, 32))
    with tifffile.TiffFile(path) as tif:
        offset, count = int(tif.pages[0].dataoffsets[3]), int(tif.pages[0].databytecounts[3])
    with open(path, "r+b") as handle:
        handle.seek(offset + 20)
        handle.write(b"\0" * (count - 20))
    with open_source(SourceSpec("pyramid", path, str(tmp_path))) as src:
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 0, 0, 32, 32), data[0, 0, 0, :32, :32])
        with pytest.raises(Unsupported):
            src.read_region(0, 0, 0, 0, 32, 32, 32, 32)
        assert src.broken


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_multithreaded_jpeg2000_decode_gives_the_same_lossless_tile(threads, monkeypatch):
    from omero_fast_region.pixels import jpeg2k

    rng = np.random.default_rng(7)
    truth = rng.integers(0, 4096, (512, 512), dtype=np.uint16)
    data = imagecodecs.jpeg2k_encode(truth, level=0, codecformat="j2k", reversible=True, numthreads=1)
    monkeypatch.setattr(jpeg2k, "DECODE_THREADS", threads)
    np.testing.assert_array_equal(jpeg2k.decode_tile(data, 0, np.dtype("uint16")), truth)


def test_decode_threads_setting_zero_means_one_per_core_capped(monkeypatch):
    from omero_fast_region.pixels import jpeg2k

    monkeypatch.setattr(jpeg2k.os, "sched_getaffinity", lambda pid: set(range(16)))
    monkeypatch.setattr(jpeg2k, "DECODE_THREADS", 1)
    jpeg2k.set_decode_threads(0)
    assert jpeg2k.DECODE_THREADS == jpeg2k.MAX_AUTO_THREADS
    monkeypatch.setattr(jpeg2k.os, "sched_getaffinity", lambda pid: {0})
    jpeg2k.set_decode_threads(0)
    assert jpeg2k.DECODE_THREADS == 1
    jpeg2k.set_decode_threads(3)
    assert jpeg2k.DECODE_THREADS == 3
