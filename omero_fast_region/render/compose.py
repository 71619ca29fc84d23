"""Composition of channel tables into the RGB image, in place on reused buffers (reference §2.2, §2.3).

Tables hold packed contributions (bytes R, G, B, 0 of a uint32, or 16-bit lanes of a uint64), so
a channel costs one gather and one add; :func:`packed_form` says which form a composition reads,
so only that one is built. The output is (n, 3) RGB or (n, 4) RGB plus a padding byte. A padded
output *is* the packed form (bytes R, G, B, 0 of a little-endian uint32), so byte-lane sums are
made in it directly; an (n, 3) output gets one copy into an overlapping 3-byte-stride view.
Scratch buffers are per thread and reused, which keeps megabyte temporaries (and their page
faults) off the hot path. The pixels are composed in strips of :data:`STRIP`, so the positions,
the partial sums and the tables stay in the core's cache from one channel to the next, and no
scratch buffer outgrows a strip however large the image.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from .scratch import scratch
from .tables import ChannelTable


def packed_form(lane_maxes: Sequence[tuple[int, int, int]], greyscale: bool) -> str:
    """The packed table form a composition reads: ``grey32`` for greyscale, else ``rgb32`` when no
    component of the channels' sum can exceed 255 (byte lanes cannot overflow), else ``rgb64``."""
    if greyscale:
        return "grey32"
    wide = any(sum(m[c] for m in lane_maxes) > 255 for c in range(3))
    return "rgb64" if wide else "rgb32"


#: Pixels composed per pass. A whole 512² tile at once wrote 2 MiB of positions and 1 MiB of
#: partial sums per channel and read them back, streaming through the core's 2 MiB L2 cache and
#: evicting what the rest of the request runs on (docs/benchmarks.md, finding 29). A strip of
#: 32,768 pixels works in 256 KiB of positions, 128 KiB of sums, 128 KiB of output and three
#: 64 KiB plane strips, about 0.7 MiB beside the tables (16-32 KiB each for 12- to 13-bit data,
#: 256 KiB for a full uint16 range); strips of 65,536 worked in twice that and rendered a
#: viewer's tile 6-9 % slower (finding 33); strips of 16,384 were slower again.
STRIP = 1 << 15


def _flat(plane: np.ndarray) -> np.ndarray:
    return np.asarray(plane).reshape(-1)


def _gather(table: ChannelTable, packed: np.ndarray, plane: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[i] = packed[position of pixel i]``, positions in an intp scratch (numpy's fast take)."""
    positions = table.positions(plane, scratch("positions", out.size, np.intp))
    return np.take(packed, positions, out=out, mode="clip")


def _strips(n: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of each strip of :data:`STRIP` pixels among ``n``."""
    return ((start, min(n, start + STRIP)) for start in range(0, n, STRIP))


def _packed_out(rows: np.ndarray) -> np.ndarray:
    """Where a composition leaves the packed uint32 result of ``rows`` (a strip of the output): an
    (n, 4) output's rows themselves (they are the packed form), else this thread's strip scratch,
    moved into the (n, 3) rows by :func:`_packed_to_rgb`."""
    if rows.shape[1] == 4:
        return rows.reshape(-1).view(np.uint32)
    return scratch("acc32", rows.shape[0], np.uint32)


def _packed_to_rgb(packed: np.ndarray, out: np.ndarray) -> None:
    """Write the first three bytes of each uint32 of ``packed`` as one (n, 3) uint8 row (an (n, 4)
    output already holds them: :func:`_packed_out`).

    Element i is stored as 4 bytes at offset 3i of ``out``, in increasing order, so its spare
    fourth byte is overwritten by element i+1; the last pixel is copied on its own.
    """
    if out.shape[1] == 4:
        return
    n = packed.size
    if n > 1:
        view = np.ndarray((n - 1,), dtype=np.uint32, buffer=out, strides=(3,))
        np.copyto(view, packed[:-1])
    out[-1] = packed[-1:].view(np.uint8)[:3]


def compose_greyscale(table: ChannelTable, plane: np.ndarray, out: np.ndarray) -> None:
    """``GreyScaleStrategy``: the discrete value of the first active channel in R, G and B."""
    flat = _flat(plane)
    for start, stop in _strips(out.shape[0]):
        rows = out[start:stop]
        packed = _gather(table, table.packed, flat[start:stop], _packed_out(rows))
        _packed_to_rgb(packed, rows)


def compose_rgb(tables: Sequence[ChannelTable], planes: Sequence[np.ndarray], out: np.ndarray) -> None:
    """``HSBStrategy``: add every active channel's contribution, each component clamped at 255.

    All terms are >= 0, so clamping once after the sum equals OMERO's per-step clamp. When no
    component can exceed 255 (e.g. distinct primary colours) the sum is done in the byte lanes
    of a uint32, in the output itself; otherwise in 16-bit lanes of a uint64, then saturated
    into the output's bytes, strip by strip.
    """
    n = out.shape[0]
    wide = packed_form([t.lane_max for t in tables], greyscale=False) == "rgb64"
    if any(t.form != ("rgb64" if wide else "rgb32") for t in tables):
        raise ValueError("channel tables not built in the packed form this composition needs")
    flats = [_flat(p) for p in planes]
    span = min(n, STRIP)
    part = scratch("part64" if wide else "part32", span, np.uint64 if wide else np.uint32)
    if wide:
        wide_sums = scratch("acc64", span, np.uint64)
        byte_max = scratch("byte_max", 4 * span, np.uint16, fill=255)
    for start, stop in _strips(n):
        rows = out[start:stop]
        narrow = _packed_out(rows)
        sums = wide_sums[:stop - start] if wide else narrow
        _gather(tables[0], tables[0].packed, flats[0][start:stop], sums)
        for table, flat in zip(tables[1:], flats[1:]):
            sums += _gather(table, table.packed, flat[start:stop], part[:stop - start])
        if wide:
            lanes = sums.view(np.uint16)
            np.minimum(lanes, byte_max[:lanes.size], out=lanes)
            np.copyto(narrow.view(np.uint8), lanes, casting="unsafe")
        _packed_to_rgb(narrow, rows)
