"""Per-channel render tables, built once per settings and kept in a thread-safe LRU bounded by bytes.

A table maps a channel's pixel *index* (the plane viewed as its unsigned storage type for 8/16-bit
images, the middle-range bucket for 32-bit/float ones) straight to the channel's final
contribution: quantization (§1) -> codomain chain (§2.4) -> colour or LUT (§2.2), packed so
that composition is one lookup and one add per channel.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..bytecache import ByteBoundedCache
from .codomain import codomain_table
from .colour import colour_contribution
from .model import ChannelSettings, RenderSettings
from .pixeltypes import DTYPES, LUT_TYPES
from .quantize import (QuantumSetup, middle_range_index, quantize_float_table, quantize_table,
                       setup_channel)


#: The packed forms a composition reads: uint32 byte lanes R, G, B, 0 (native order) when the sum
#: of the channels cannot exceed 255 in any component, uint64 16-bit lanes R, G, B, 0 when it
#: can, and uint32 bytes D, D, D, 0 (D = discrete value) for greyscale.
PACKED_FORMS = ("rgb32", "rgb64", "grey32")


@dataclass(frozen=True)
class ChannelTable:
    """One channel's contributions in one packed form, indexed by the :meth:`positions` of a plane's pixels.

    Only the form the composition uses is built (a full uint16 ``rgb32`` table is 256 KiB).
    """

    setup: QuantumSetup
    form: str  # one of PACKED_FORMS
    packed: np.ndarray
    lane_max: tuple[int, int, int]  # largest R, G, B this channel can add

    @property
    def nbytes(self) -> int:
        return self.packed.nbytes

    def positions(self, plane: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the table position of every pixel of ``plane`` (flattened) into intp ``out``."""
        data = np.asarray(plane).reshape(-1)
        if self.setup.pixel_type not in LUT_TYPES:
            return middle_range_index(data, self.setup, out)
        dtype = DTYPES[self.setup.pixel_type]
        if data.dtype != dtype:
            data = data.astype(dtype)
        np.copyto(out, data.view(np.dtype(f"u{dtype.itemsize}")))
        return out


def _pack(rgb: np.ndarray, lane: type) -> np.ndarray:
    """Pack (n, 3) components into one integer per row, components in consecutive ``lane`` lanes."""
    packed = np.zeros((rgb.shape[0], 4), dtype=lane)
    packed[:, :3] = rgb
    return packed.view(np.uint32 if lane is np.uint8 else np.uint64).reshape(-1)


MIN_TABLE_LENGTH = 256


def table_length(plane: np.ndarray, pixel_type: str) -> int | None:
    """How much of an 8/16-bit table ``plane`` needs: the smallest power of two above its largest
    position (its values viewed as unsigned), or None for the whole table.

    Most 16-bit images hold 12- or 14-bit data, so their tables need 4,096 or 16,384 entries, not
    65,536: building them is the main cost of rendering many small images (thumbnail grids).
    Lengths are powers of two so a handful of tables serve every plane of one setting.
    """
    if pixel_type not in LUT_TYPES or pixel_type == "bit":
        return None
    dtype = DTYPES[pixel_type]
    full = 2 ** (8 * dtype.itemsize)
    data = np.asarray(plane)
    if data.size == 0 or full <= MIN_TABLE_LENGTH:
        return None
    if dtype.kind == "i" and data.min() < 0:
        return None  # negative values sit at the top of the unsigned view
    needed = int(data.max()) + 1
    length = max(MIN_TABLE_LENGTH, 1 << (needed - 1).bit_length())
    return None if length >= full else length


def build_table(setup: QuantumSetup, channel: ChannelSettings, lut: np.ndarray | None,
                apply_alpha: bool, form: str, length: int | None = None) -> ChannelTable:
    """Compose quantization, codomain and colour into one :class:`ChannelTable` of packed ``form``
    (8/16-bit tables cover the first ``length`` positions only, when given)."""
    if setup.pixel_type in LUT_TYPES:
        discrete = quantize_table(setup, length)
    else:
        discrete = quantize_float_table(setup)
    discrete = codomain_table(channel.reverse, setup.cd_start, setup.cd_end)[discrete]
    contribution = colour_contribution(channel.rgba, lut, apply_alpha)
    lane_max = tuple(int(m) for m in contribution.max(axis=0))
    if form == "grey32":
        per_value = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    elif form in ("rgb32", "rgb64"):
        per_value = contribution
    else:
        raise ValueError(f"unknown packed form {form!r}")
    packed = _pack(per_value, np.uint16 if form == "rgb64" else np.uint8)
    return ChannelTable(setup, form, packed[discrete], lane_max)


@functools.lru_cache(maxsize=1024)
def _lane_max(rgba: tuple[int, int, int, int], lut: bytes | None, apply_alpha: bool) -> tuple[int, int, int]:
    table = None if lut is None else np.frombuffer(lut, np.uint8).reshape(-1, 3)
    return tuple(int(m) for m in colour_contribution(rgba, table, apply_alpha).max(axis=0))


def lane_max(channel: ChannelSettings, lut: np.ndarray | None, apply_alpha: bool) -> tuple[int, int, int]:
    """The largest R, G, B the channel can add (what decides the packed form, before any table)."""
    lut_key = None if lut is None else np.ascontiguousarray(lut, dtype=np.uint8).tobytes()
    return _lane_max(tuple(channel.rgba), lut_key, apply_alpha)


#: Default bound of :data:`TABLES` (the ``render_table_cache_mb`` setting): about 750 full uint16 tables.
DEFAULT_CACHE_BYTES = 192 << 20


class TableCache(ByteBoundedCache):
    """Channel tables by settings key, least recently used first out, bounded by bytes (thread-safe)."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        super().__init__(max_bytes)


TABLES = TableCache()


def channel_table(pixel_type: str, significant_bits: int | None, stats: tuple[float, float] | None,
                  channel: ChannelSettings, settings: RenderSettings, lut: np.ndarray | None,
                  apply_alpha: bool, form: str, length: int | None = None) -> ChannelTable:
    """The (cached) ``form`` table of one channel under these settings; ``length`` from :func:`table_length`."""
    stats_key = None if stats is None else (float(stats[0]), float(stats[1]))
    channel_key = (tuple(channel.window), tuple(channel.rgba), channel.family, channel.coefficient,
                   channel.noise_reduction, channel.reverse)
    key = (pixel_type, significant_bits, stats_key, channel_key, settings.bit_resolution,
           settings.cd_start, settings.cd_end, None if lut is None else lut.tobytes(), apply_alpha,
           form, length)

    def build() -> ChannelTable:
        setup = setup_channel(pixel_type, significant_bits, stats, channel, settings)
        return build_table(setup, channel, lut, apply_alpha, form, length)

    return TABLES.get_or_build(key, build)
