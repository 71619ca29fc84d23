"""Readers for OMERO's ``.lut`` files: NIH Image binary, raw 768-byte and text (reference §2.5).

Each reader returns a (256, 3) uint8 table indexed by the discrete value, or ``None`` when the
file is not in the format (``LutReaderFactory.read`` then tries the next one).
"""

from __future__ import annotations

import re
import struct

import numpy as np

SIZE = 256
_ICOL = 0x49434F4C
_HEADER = 32


def _planar(data: bytes, count: int) -> np.ndarray:
    """``count`` reds, then greens, then blues from ``data`` (short reads leave zeros)."""
    table = np.zeros((3, SIZE), dtype=np.uint8)
    for i in range(3):
        chunk = np.frombuffer(data[i * count:(i + 1) * count], dtype=np.uint8)
        table[i, :chunk.size] = chunk
    return table


def _interpolate(table: np.ndarray, count: int) -> np.ndarray:
    """``BinaryLutReader.interpolate``: stretch ``count`` < 256 colours linearly, truncating."""
    source = table[:, :count].astype(np.float64)
    scale = count / float(SIZE)
    i1 = (np.arange(SIZE) * scale).astype(np.int64)
    i2 = np.minimum(i1 + 1, count - 1)
    fraction = np.arange(SIZE) * scale - i1
    values = (1.0 - fraction) * source[:, i1] + fraction * source[:, i2]
    return (values.astype(np.int64) & 0xFF).astype(np.uint8)


def read_nih_binary(data: bytes) -> np.ndarray | None:
    """NIH Image LUT: 32-byte ``ICOL`` header, then nColors reds, greens, blues."""
    if len(data) < _HEADER or struct.unpack(">i", data[:4])[0] != _ICOL:
        return None
    count = struct.unpack(">h", data[6:8])[0]
    if not 0 < count <= SIZE:
        return None  # OMERO fails on these with an exception
    table = _planar(data[_HEADER:], count)
    if count < SIZE:
        table = _interpolate(table, count)
    return table.T.copy()


def read_raw(data: bytes) -> np.ndarray:
    """Raw LUT: 256 reds, 256 greens, 256 blues (a shorter file leaves zeros)."""
    return _planar(data, SIZE).T.copy()


_WORD = re.compile(r"[+\x2d-\x7f\u0100-\U0010ffff]+")
_JAVA_DOUBLE = re.compile(
    r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)\Z"
)


def _tokens(line: str) -> list[str]:
    """``StreamTokenizer`` words: runs of chars 43 and 45..127 (and >= 256); the rest separates."""
    return _WORD.findall(line)


def _java_double(token: str) -> float:
    """``Double.parseDouble`` for the decimal forms a LUT holds; anything else is NaN."""
    if not _JAVA_DOUBLE.match(token):
        return float("nan")
    return float(token.rstrip("fFdD").replace("Infinity", "inf"))


def _java_byte_of_float(value: float) -> int:
    """``(byte) floatValue`` & 0xFF: float -> int (truncating, saturating, NaN -> 0) -> low 8 bits."""
    with np.errstate(over="ignore"):
        as_float = float(np.float32(value))
    if as_float != as_float:
        return 0
    return int(max(min(as_float, 2.0**31 - 1), -(2.0**31))) & 0xFF


def _counted_rows(text: str) -> list[list[str]] | None:
    """``TextLutReader.countLines``: non-empty rows, all as long as the first, or None.

    A last row without a line end counts only when it has exactly the first row's length.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rows: list[list[str]] = []
    for tokens in (_tokens(line) for line in lines[:-1]):
        if not tokens:
            continue
        if rows and len(tokens) != len(rows[-1]):
            return None  # OMERO: "Row n is not the same length as the first row."
        rows.append(tokens)
    tail = _tokens(lines[-1])
    if tail and len(tail) == (len(rows[0]) if rows else 1):
        rows.append(tail)
    return rows


def read_text(data: bytes) -> np.ndarray | None:
    """Text LUT: 3 or 4 numeric columns (4: the first is an index), 256 rows, optional header row."""
    rows = _counted_rows(data.decode("utf-8", "replace"))
    if not rows:
        return None
    columns = len(rows[0])
    values = [[_java_double(token) for token in row] for row in rows]
    if all(v != v for v in values[0]) and rows[0][0] not in ("NaN", "nan"):
        values = values[1:]  # header row
    if not 3 <= columns <= 4 or not SIZE <= len(values) <= SIZE + 2:
        return None
    x = 1 if columns == 4 else 0
    y = 1 if len(values) > SIZE else 0
    body = [row[x:x + 3] for row in values[y:y + SIZE]]
    return np.array([[_java_byte_of_float(v) for v in row] for row in body], dtype=np.uint8)


def read_lut(data: bytes) -> np.ndarray | None:
    """``LutReaderFactory.read``: binary if > 768 bytes, raw if 0/768/970 bytes, else text."""
    length = len(data)
    table = read_nih_binary(data) if length > 768 else None
    if table is None and length in (0, 768, 970):
        table = read_raw(data)
    if table is None and length > 768:
        table = read_text(data)
    return table
