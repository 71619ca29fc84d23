"""Raw OMERO ``Pixels/<id>`` files (pixels/romio.py)."""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import BadRequest, NotFound, Unsupported
from omero_fast_region.pixels import open_source, romio_path
from omero_fast_region.pixels.romio import NULL_PLANE_MARKER, PlaneNotWritten
from omero_fast_region.sample import write_romio

from .conftest import TYPES, assert_reads, pixels_of, sample


@pytest.mark.parametrize("pixel_type", list(TYPES))
def test_romio_reads_every_plane_and_region_of_every_type(tmp_path, pixel_type):
    data = sample(pixel_type)
    path = write_romio(romio_path(str(tmp_path), 1234567), data)
    assert path.endswith("Pixels/Dir-001/Dir-234/1234567")
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, pixel_type))) as src:
        assert src.pixel_type == pixel_type and src.levels == [(90, 70)]
        assert_reads(src, [data])


def test_romio_file_is_big_endian_xyzct(tmp_path):
    data = np.arange(2 * 3 * 4 * 5 * 6, dtype=np.uint16).reshape(2, 3, 4, 5, 6)
    path = write_romio(str(tmp_path / "Pixels" / "1"), data)
    raw = open(path, "rb").read()
    t, c, z, y, x = 1, 2, 3, 4, 5
    offset = ((((t * 3 + c) * 4 + z) * 5 + y) * 6 + x) * 2
    assert int.from_bytes(raw[offset : offset + 2], "big") == data[t, c, z, y, x]


def test_romio_tile_size_is_rows_of_one_megabyte(tmp_path):
    data = np.zeros((1, 1, 1, 3000, 700), np.uint16)
    path = write_romio(str(tmp_path / "Pixels" / "2"), data)
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "uint16"))) as src:
        assert src.tile_size(0) == (700, 1048576 // 2 // 700)


def test_romio_stack_read_matches_planes(tmp_path):
    data = sample("int16")
    path = write_romio(str(tmp_path / "Pixels" / "3"), data)
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "int16"))) as src:
        np.testing.assert_array_equal(src.read_stack(2, 1, 0, 5, 6, 20, 10, 0, 2), data[1, 2, 0:3, 6:16, 5:25])
        np.testing.assert_array_equal(src.read_stack(2, 1, 0, 5, 6, 20, 10, 0, 2, step=2), data[1, 2, 0:3:2, 6:16, 5:25])


def test_unwritten_plane_marker_hands_over_to_stock_view(tmp_path):
    data = sample("uint16")
    path = write_romio(str(tmp_path / "Pixels" / "4"), data)
    plane = 90 * 70 * 2
    offset = ((1 * 3 + 2) * 3 + 1) * plane  # t=1 c=2 z=1
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(NULL_PLANE_MARKER + b"\0" * (plane - 64))
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "uint16"))) as src:
        with pytest.raises(PlaneNotWritten) as caught:
            src.read_region(1, 2, 1, 0, 10, 10, 5, 5)
        assert isinstance(caught.value, Unsupported)
        np.testing.assert_array_equal(src.read_region(0, 2, 1, 0, 0, 0, 5, 5), data[1, 2, 0, :5, :5])


def test_truncated_romio_file_is_not_found(tmp_path):
    data = sample("uint8")
    path = write_romio(str(tmp_path / "Pixels" / "5"), data)
    with open(path, "r+b") as handle:
        handle.truncate(100)
    with pytest.raises(NotFound):
        open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "uint8")))


def test_romio_without_pixels_or_for_bit_type_is_unsupported(tmp_path):
    data = sample("uint8")
    path = write_romio(str(tmp_path / "Pixels" / "6"), data)
    with pytest.raises(Unsupported):
        open_source(SourceSpec("romio", path, str(tmp_path)))
    with pytest.raises(Unsupported):
        open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "bit")))


def test_missing_romio_file_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        open_source(SourceSpec("romio", str(tmp_path / "Pixels" / "7"), str(tmp_path), pixels=pixels_of(sample(), "uint16")))


def test_out_of_range_reads_are_bad_requests(tmp_path):
    data = sample("uint16")
    path = write_romio(str(tmp_path / "Pixels" / "8"), data)
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "uint16"))) as src:
        for args in [(3, 0, 0, 0, 0, 0, 1, 1), (0, 3, 0, 0, 0, 0, 1, 1), (0, 0, 2, 0, 0, 0, 1, 1), (0, 0, 0, 1, 0, 0, 1, 1),
                     (0, 0, 0, 0, 85, 0, 10, 1), (0, 0, 0, 0, 0, 0, 0, 1), (0, 0, 0, 0, -1, 0, 2, 2)]:
            with pytest.raises(BadRequest):
                src.read_region(*args)


def test_romio_source_never_opens_for_writing(tmp_path):
    data = sample("uint8")
    path = write_romio(str(tmp_path / "Pixels" / "9"), data)
    (tmp_path / "Pixels" / "9").chmod(0o444)
    with open_source(SourceSpec("romio", path, str(tmp_path), pixels=pixels_of(data, "uint8"))) as src:
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 0, 0, 4, 4), data[0, 0, 0, :4, :4])
