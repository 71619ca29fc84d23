"""Quantization: pixel values -> 8-bit discrete values, as OMERO's quantum strategies do.

One :class:`QuantumSetup` holds a channel's strategy state after ``setExtent``, ``setMapping``
and ``setWindow`` (reference §1.3). From it, :func:`quantize_table` builds the lookup table of
``Quantization_8_16_bit`` (§1.6) and :func:`quantize_float` maps 32-bit / float values the way
``Quantization_32_bit`` / ``Quantization_float`` do (§1.7). Both share :func:`device_map`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import RenderingRefused
from .families import DEVICE_MAX, Normalisation, check_bit_resolution, check_mapping, transform
from .javamath import java_byte_unsigned, java_int, java_round
from .model import ChannelSettings, RenderSettings
from .pixeltypes import DTYPES, LUT_TYPES, check_pixel_type, interval_is_valid, type_range
from .scratch import scratch

_DECILE = 10


@dataclass(frozen=True)
class QuantumSetup:
    """A channel's sanitised quantization parameters (``QuantumStrategy`` fields)."""

    pixel_type: str
    type_min: float  # pixelsTypeMin / lutMin
    type_max: float  # pixelsTypeMax / lutMax
    stats_min: float  # originalGlobalMin (StatsInfo, or the type range)
    stats_max: float
    extent_min: float  # sanitised globalMin
    extent_max: float
    window_start: float  # sanitised window
    window_end: float
    family: str
    k: float
    noise_reduction: bool
    bit_resolution: int
    cd_start: int  # QuantumDef values, never modified
    cd_end: int


def check_codomain(cd_start: int, cd_end: int) -> None:
    """``CodomainChain.verifyInterval``: 0 <= cdStart < cdEnd <= 255, else OMERO refuses."""
    if not (0 <= cd_start < cd_end <= DEVICE_MAX):
        raise RenderingRefused(f"invalid codomain interval {cd_start}..{cd_end}")


def setup_channel(
    pixel_type: str,
    significant_bits: int | None,
    stats: tuple[float, float] | None,
    channel: ChannelSettings,
    settings: RenderSettings,
) -> QuantumSetup:
    """Run ``setExtent``, ``setMapping`` and ``setWindow`` (§1.3); refuse what OMERO refuses."""
    check_pixel_type(pixel_type)
    check_bit_resolution(settings.bit_resolution)
    check_codomain(settings.cd_start, settings.cd_end)
    k = check_mapping(channel.family, channel.coefficient)
    rng = type_range(pixel_type, significant_bits)
    og_min, og_max = (float(stats[0]), float(stats[1])) if stats is not None else (rng.min, rng.max)
    g_min, g_max = og_min, og_max
    if math.isinf(g_max) or g_max > rng.max:
        g_max = rng.max
    if math.isinf(g_min) or g_min < rng.min:
        g_min = rng.min
    if not interval_is_valid(pixel_type, g_min, g_max):
        g_min, g_max = rng.min, rng.max
    ws, we = float(channel.window[0]), float(channel.window[1])
    if not interval_is_valid(pixel_type, ws, we):
        ws, we = rng.min, rng.max
    if ws < rng.min:
        ws = rng.min
    if we > rng.max:
        we = rng.max  # no re-check afterwards: ws may now exceed we (sigBits), as in OMERO
    return QuantumSetup(
        pixel_type, rng.min, rng.max, og_min, og_max, g_min, g_max, ws, we,
        channel.family, k, bool(channel.noise_reduction),
        int(settings.bit_resolution), int(settings.cd_start), int(settings.cd_end),
    )


@dataclass(frozen=True)
class DecileMap:
    """``initDecileMap`` (§1.6): the piecewise map into 0..255 and the (NR-modified) codomain."""

    q1: float
    q9: float
    a: float
    b: float
    cd_start: int
    cd_end: int

    @classmethod
    def of(cls, setup: QuantumSetup, mn: float, mx: float) -> DecileMap:
        ws, we = setup.window_start, setup.window_end
        cd_s, cd_e = setup.cd_start, setup.cd_end
        denum, num, b, e = np.float64(we - ws), 255.0, ws, 0
        q1 = ws if ws <= mn else mn
        q9 = we if we >= mx else mx
        if setup.noise_reduction:
            decile = (mx - mn) / _DECILE
            q1 += decile
            q9 -= decile
            denum, e, num, b = np.float64(q9 - q1), _DECILE, 255.0 - 2 * _DECILE, q1
            if ws >= q1 and we > q9:
                denum, b = np.float64(q9 - ws), ws
            elif ws >= q1 and we <= q9:
                denum, b = np.float64(we - ws), ws
            elif ws < q1 and we <= q9:
                denum = np.float64(we - q1)
            cd_s, cd_e = max(cd_s, _DECILE), min(cd_e, DEVICE_MAX - _DECILE)
        with np.errstate(all="ignore"):
            a = np.float64(num) / denum  # a zero-width window gives +Infinity, as in Java
            b_dec = a * np.float64(b) - e
        return cls(q1, q9, float(a), float(b_dec), cd_s, cd_e)


def device_map(x: np.ndarray, setup: QuantumSetup, decile: DecileMap, always_transform: bool) -> np.ndarray:
    """The shared body of both strategies: decile map, family, normalise, two Java rounds, byte.

    ``x`` is float64 (integers for the LUT strategy, middle-range values for the float one).
    """
    norm = Normalisation.of(setup.family, setup.k, setup.bit_resolution, setup.cd_start, setup.cd_end)
    with np.errstate(all="ignore"):
        inner = np.where(x <= decile.q9, decile.a * x - decile.b, float(decile.cd_end))
        v = np.where(x > decile.q1, inner, float(decile.cd_start))
        skip = not always_transform and setup.family in ("linear", "polynomial") and setup.k == 1.0
        mapped = v if skip else transform(setup.family, v, setup.k)
        v = java_round(norm.a_norm * (mapped - norm.ys))
        v = java_round(norm.a1 * v + decile.cd_start)
    return java_byte_unsigned(v)


def _storage_values(pixel_type: str) -> np.ndarray:
    """Every value of the storage dtype, ordered by its unsigned bit pattern (for view-indexing)."""
    dtype = DTYPES[pixel_type]
    unsigned = np.arange(2 ** (8 * dtype.itemsize), dtype=np.int64)
    if dtype.kind == "i":
        half = 2 ** (8 * dtype.itemsize - 1)
        return np.where(unsigned >= half, unsigned - 2 * half, unsigned)
    return unsigned


def _lut_index(x: np.ndarray, setup: QuantumSetup) -> np.ndarray:
    """``Quantization_8_16_bit.quantize`` index: out-of-range values are rescaled (sigBits < size).

    ``x < lutMin`` then ``x > lutMax`` are handled in turn, each by ``(int)(f * (x - lutMin))``
    with ``f = (lutMax - lutMin) / (ogMax - ogMin)`` bounded by that end (or the end itself when
    the stats are empty); a final clip keeps every index inside the table.
    """
    lut_min, lut_max = int(setup.type_min), int(setup.type_max)
    r = setup.stats_max - setup.stats_min
    with np.errstate(all="ignore"):
        f = np.float64(lut_max - lut_min) / np.float64(r) if r != 0 else None
        rescaled = java_int(f * (x - lut_min)) if f is not None else None
        x = np.where(x < lut_min, lut_min if f is None else np.maximum(rescaled, lut_min), x)
        rescaled = java_int(f * (x - lut_min)) if f is not None else None
        x = np.where(x > lut_max, lut_max if f is None else np.minimum(rescaled, lut_max), x)
    return np.clip(x, lut_min, lut_max) - lut_min


def quantize_table(setup: QuantumSetup, length: int | None = None) -> np.ndarray:
    """Discrete value (uint8) for every storage value of an 8/16-bit/bit type (§1.6).

    Index the result with the plane viewed as its unsigned dtype. With ``length``, only the first
    ``length`` positions are computed: entry *i* does not depend on the table's length, so the
    result is exactly a prefix of the full table (enough for planes whose positions are all
    below ``length``). Where OMERO's ``buildLUT``
    would write past its table (a window starting above the significant-bits range) the writes
    are simply bounded, so such images render instead of crashing.
    """
    assert setup.pixel_type in LUT_TYPES
    lut_min, lut_max = int(setup.type_min), int(setup.type_max)
    mn = int(java_int(np.floor(setup.extent_min)))
    mx = int(java_int(setup.extent_max))
    decile = DecileMap.of(setup, float(mn), float(mx))
    ws, we = setup.window_start, setup.window_end
    x = np.arange(lut_min, lut_max + 1, dtype=np.float64)
    table = np.full(x.shape, decile.cd_end & 0xFF, dtype=np.uint8)
    below = x < ws
    table[below] = decile.cd_start & 0xFF
    inside = ~below & (x < we)
    table[inside] = device_map(x[inside], setup, decile, always_transform=False)
    return table[_lut_index(_storage_values(setup.pixel_type)[:length], setup)]


def middle_range_buckets(setup: QuantumSetup) -> np.ndarray:
    """``getMiddleRange`` outcomes (§1.7) as float64: [ws, we, ws + step/2, bucket 0, 1, ...].

    Bucket ``v`` is ``(ws + (v-1)*step + ws + v*step) / 2`` evaluated in Java's order.
    """
    ws, we = setup.window_start, setup.window_end
    count = setup.cd_end - setup.cd_start + 1
    step = abs(we - ws) / count
    v = np.arange(count + 2, dtype=np.float64)
    buckets = (ws + (v - 1) * step + ws + v * step) / 2
    return np.concatenate([np.array([ws, we, ws + step / 2]), buckets])


def middle_range_index(values: np.ndarray, setup: QuantumSetup, out: np.ndarray) -> np.ndarray:
    """Write each value's index into :func:`middle_range_buckets` to intp ``out``.

    ``v - ws`` has the exact sign of ``v - ws``, so ``v < ws`` and ``v == ws`` are read from it;
    NaN takes bucket 0 like Java's ``(int) NaN``. Work buffers are per-thread scratch.
    """
    ws, we = np.float64(setup.window_start), np.float64(setup.window_end)  # strong: float32 data
    count = setup.cd_end - setup.cd_start + 1                                # is compared in double
    step = abs(we - ws) / count
    offset = scratch("middle_offset", out.size, np.float64)
    flags = scratch("middle_flags", out.size, np.bool_)
    with np.errstate(all="ignore"):
        np.subtract(values, ws, out=offset)
        np.divide(offset, step, out=offset)
        np.fmax(offset, 0.0, out=offset)
        np.fmin(offset, count + 1, out=offset)
        np.copyto(out, offset, casting="unsafe")  # truncation of a value >= 0
        out += 3
        np.subtract(values, ws, out=offset)
        np.equal(offset, 0.0, out=flags)
        np.copyto(out, 2, where=flags)
        np.greater(values, we, out=flags)
        np.copyto(out, 1, where=flags)
        np.less(offset, 0.0, out=flags)
        np.copyto(out, 0, where=flags)
    return out


def quantize_float_table(setup: QuantumSetup) -> np.ndarray:
    """Discrete value (uint8) of each middle-range outcome, for the 32-bit / float strategy (§1.7).

    The strategy's ``min``/``max`` fields are never set (quirk Q1), so the decile map sees 0..0.
    """
    decile = DecileMap.of(setup, 0.0, 0.0)
    return device_map(middle_range_buckets(setup), setup, decile, always_transform=True)
