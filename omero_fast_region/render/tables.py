"""Per-channel render tables, built once per settings and kept in a bounded, thread-safe LRU.

A table maps a channel's pixel *index* (the plane viewed as its unsigned storage type for 8/16-bit
images, the middle-range bucket for 32-bit/float ones) straight to the channel's final
contribution: quantization (§1) -> codomain chain (§2.4) -> colour or LUT (§2.2), packed so
that composition is one lookup and one add per channel.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Hashable

import numpy as np

from .codomain import codomain_table
from .colour import colour_contribution
from .model import ChannelSettings, RenderSettings
from .pixeltypes import DTYPES, LUT_TYPES
from .quantize import (QuantumSetup, middle_range_index, quantize_float_table, quantize_table,
                       setup_channel)


@dataclass(frozen=True)
class ChannelTable:
    """Lookup tables of one channel, all indexed by the :meth:`positions` of a plane's pixels."""

    setup: QuantumSetup
    discrete: np.ndarray  # uint8 discrete value after the codomain chain
    rgb32: np.ndarray  # uint32 whose bytes are R, G, B, 0 (native order)
    rgb64: np.ndarray  # uint64 whose uint16 lanes are R, G, B, 0
    grey32: np.ndarray  # uint32 whose bytes are D, D, D, 0 (D = discrete value)
    lane_max: tuple[int, int, int]  # largest R, G, B this channel can add

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
                apply_alpha: bool, length: int | None = None) -> ChannelTable:
    """Compose quantization, codomain and colour into one :class:`ChannelTable` (8/16-bit tables
    cover the first ``length`` positions only, when given)."""
    if setup.pixel_type in LUT_TYPES:
        discrete = quantize_table(setup, length)
    else:
        discrete = quantize_float_table(setup)
    discrete = codomain_table(channel.reverse, setup.cd_start, setup.cd_end)[discrete]
    contribution = colour_contribution(channel.rgba, lut, apply_alpha)
    rgb = contribution[discrete]
    lane_max = tuple(int(m) for m in contribution.max(axis=0))
    grey = np.repeat(discrete[:, None], 3, axis=1)
    return ChannelTable(setup, discrete, _pack(rgb, np.uint8), _pack(rgb, np.uint16),
                        _pack(grey, np.uint8), lane_max)


class TableCache:
    """A bounded least-recently-used map from table keys to :class:`ChannelTable` (thread-safe)."""

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, ChannelTable] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build) -> ChannelTable:
        """Return the cached table for ``key``, building (outside the lock) on a miss."""
        with self._lock:
            table = self._entries.get(key)
            if table is not None:
                self._entries.move_to_end(key)
                return table
        table = build()
        with self._lock:
            self._entries[key] = table
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return table

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


TABLES = TableCache()


def channel_table(pixel_type: str, significant_bits: int | None, stats: tuple[float, float] | None,
                  channel: ChannelSettings, settings: RenderSettings, lut: np.ndarray | None,
                  apply_alpha: bool, length: int | None = None) -> ChannelTable:
    """The (cached) table of one channel under these settings; ``length`` from :func:`table_length`."""
    stats_key = None if stats is None else (float(stats[0]), float(stats[1]))
    channel_key = (tuple(channel.window), tuple(channel.rgba), channel.family, channel.coefficient,
                   channel.noise_reduction, channel.reverse)
    key = (pixel_type, significant_bits, stats_key, channel_key, settings.bit_resolution,
           settings.cd_start, settings.cd_end, None if lut is None else lut.tobytes(), apply_alpha, length)

    def build() -> ChannelTable:
        setup = setup_channel(pixel_type, significant_bits, stats, channel, settings)
        return build_table(setup, channel, lut, apply_alpha, length)

    return TABLES.get_or_build(key, build)
