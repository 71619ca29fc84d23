"""LUT files (reference §2.5) and LUT channels in composition (§2.2, §9 T12/T12b/V3)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from omero_fast_region.render import ChannelSettings, LutLibrary
from omero_fast_region.render.lutfiles import read_lut

from .builders import render_values, vector_lut_columns, write_raw_lut


def icol(reds, greens, blues) -> bytes:
    """An NIH Image LUT: 32-byte ICOL header (nColors = len(reds)), then planar colours."""
    header = struct.pack(">ihhhhqqi", 0x49434F4C, 1, len(reds), 0, len(reds) - 1, 0, 0, 0)
    return header + bytes(reds) + bytes(greens) + bytes(blues) + bytes(768 - 3 * len(reds))


@pytest.fixture
def lut_dir(tmp_path):
    write_raw_lut(tmp_path / "test.lut", *vector_lut_columns())
    return tmp_path


def test_raw_768_byte_lut_is_planar_red_green_blue(lut_dir) -> None:
    table = LutLibrary([str(lut_dir)]).get("test.lut")
    assert table.shape == (256, 3) and table.dtype == np.uint8
    assert table[100].tolist() == [100, 155, 50]


def test_icol_800_byte_lut_with_256_colours() -> None:
    i = list(range(256))
    data = icol(i, i[::-1], [7] * 256)
    assert len(data) == 800
    table = read_lut(data)
    assert table[0].tolist() == [0, 255, 7] and table[255].tolist() == [255, 0, 7]


def test_icol_with_fewer_colours_is_stretched_by_truncating_interpolation() -> None:
    table = read_lut(icol([0, 100], [200, 0], [10, 11]))
    # scale = 2/256: i1 = 0 for i < 128, fraction = i/128; i >= 128 holds the last colour.
    assert table[0].tolist() == [0, 200, 10]
    assert table[64].tolist() == [50, 100, 10]  # (int)(0.5*0 + 0.5*100) etc.
    assert table[1].tolist() == [0, 198, 10]  # 200 * (1 - 1/128) = 198.4375 -> 198
    assert table[128].tolist() == table[255].tolist() == [100, 0, 11]


def _text_rows(columns: int) -> list[str]:
    rows = []
    for i in range(256):
        values = [i, 255 - i, i // 2]
        rows.append(" ".join(str(v) for v in ([i] + values if columns == 4 else values)))
    return rows


def test_text_lut_with_three_columns() -> None:
    table = read_lut("\n".join(_text_rows(3)).encode() + b"\n")
    assert np.array_equal(table, np.stack(vector_lut_columns(), axis=1))


def test_text_lut_with_index_column_and_header_row() -> None:
    text = "Index\tRed\tGreen\tBlue\n" + "\n".join(r.replace(" ", "\t") for r in _text_rows(4)) + "\n"
    table = read_lut(text.encode())
    assert np.array_equal(table, np.stack(vector_lut_columns(), axis=1))


def test_text_lut_with_comma_separators_and_crlf() -> None:
    text = "\r\n".join(r.replace(" ", ", ") for r in _text_rows(3))
    assert read_lut(text.encode())[200].tolist() == [200, 55, 100]


def test_text_lut_with_257_rows_skips_the_first() -> None:
    rows = ["9 9 9"] + _text_rows(3)
    assert read_lut("\n".join(rows).encode())[0].tolist() == [0, 255, 0]


def test_text_lut_values_wrap_like_java_byte_of_float() -> None:
    rows = _text_rows(3)
    rows[5] = "300.7 -1 2.9"
    assert read_lut("\n".join(rows).encode())[5].tolist() == [44, 255, 2]


def test_text_lut_with_ragged_rows_is_unreadable() -> None:
    rows = _text_rows(3)
    rows[10] = "1 2"
    assert read_lut("\n".join(rows).encode() + b"\n") is None


def test_short_file_is_not_a_lut() -> None:
    assert read_lut(bytes(500)) is None


def test_library_finds_luts_recursively_by_basename(tmp_path) -> None:
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    write_raw_lut(nested / "Fire.lut", *vector_lut_columns())
    (tmp_path / "readme.txt").write_text("not a lut")
    library = LutLibrary([str(tmp_path)])
    assert library.names() == ["fire.lut"]
    assert library.get("fire.lut")[255].tolist() == [255, 0, 127]


def test_library_unknown_name_is_none(lut_dir) -> None:
    library = LutLibrary([str(lut_dir), str(lut_dir / "missing")])
    assert library.get("nope.lut") is None and library.get(None) is None


def test_lut_replaces_colour(lut_dir) -> None:  # T12
    luts = LutLibrary([str(lut_dir)])
    channel = ChannelSettings(window=(0, 255), rgba=(255, 0, 0, 255), lut="test.lut")
    got = render_values("uint8", [[0, 100, 200, 255]], [channel], luts=luts)
    assert got == [(0, 255, 0), (100, 155, 50), (200, 55, 100), (255, 0, 127)]


def test_lut_channel_adds_to_colour_channel(lut_dir) -> None:  # T12b
    luts = LutLibrary([str(lut_dir)])
    channels = [ChannelSettings(window=(0, 255), lut="test.lut"),
                ChannelSettings(window=(0, 255), rgba=(0, 255, 0, 255))]
    got = render_values("uint8", [[0, 100, 200, 255], [255] * 4], channels, luts=luts)
    assert got == [(0, 255, 0), (100, 255, 50), (200, 255, 100), (255, 255, 127)]


def test_inverted_lut_channel_indexes_reversed_value(lut_dir) -> None:  # V3
    luts = LutLibrary([str(lut_dir)])
    channel = ChannelSettings(window=(0, 255), lut="test.lut", reverse=True)
    got = render_values("uint8", [[0, 100, 255]], [channel], luts=luts)
    assert got == [(255, 0, 127), (155, 100, 77), (0, 255, 0)]


def test_lut_ignores_alpha(lut_dir) -> None:
    luts = LutLibrary([str(lut_dir)])
    channel = ChannelSettings(window=(0, 255), rgba=(255, 0, 0, 10), lut="test.lut")
    assert render_values("uint8", [[100]], [channel], luts=luts) == [(100, 155, 50)]


def test_unknown_lut_name_falls_back_to_colour(lut_dir) -> None:
    luts = LutLibrary([str(lut_dir)])
    channel = ChannelSettings(window=(0, 255), rgba=(255, 0, 0, 255), lut="missing.lut")
    assert render_values("uint8", [[100]], [channel], luts=luts) == [(100, 0, 0)]


def test_greyscale_ignores_lut(lut_dir) -> None:
    luts = LutLibrary([str(lut_dir)])
    channel = ChannelSettings(window=(0, 255), lut="test.lut")
    assert render_values("uint8", [[100]], [channel], model="greyscale", luts=luts) == [(100, 100, 100)]
