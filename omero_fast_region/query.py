"""Parse OMERO.web render query strings into plain objects (reference/omero-web.md §3).

Pure: takes a mapping of query keys to their (last) values; no Django. Malformed values that
stock OMERO.web silently ignores are ignored here too; values that make stock fail with a 500
raise :class:`errors.BadRequest` instead.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from .errors import BadRequest
from .render.model import ChannelSettings, RenderSettings

FAMILIES = ("linear", "polynomial", "exponential", "logarithmic")
PROJECTIONS = ("intmax", "intmean", "intsum")
FORMATS = ("jpeg", "png", "tif")
FORMAT_ALIASES = {"jpg": "jpeg", "tiff": "tif"}


@dataclass(frozen=True)
class ChannelSpec:
    """One entry of ``c``: 1-based index (negative = listed but inactive), window, colour or LUT."""

    index: int
    window: tuple[float, float] | None = None
    color: str | None = None


@dataclass(frozen=True)
class Projection:
    algorithm: str  # intmax | intmean | intsum
    start: int | None = None
    end: int | None = None
    stepping: int = 1


@dataclass(frozen=True)
class RenderQuery:
    """Everything a render request may change, parsed."""

    channels: tuple[ChannelSpec, ...] | None = None  # None: ``c`` absent
    maps: tuple | None = None  # the ``maps`` JSON list's entries (read-only); None: absent or not a list
    model: str | None = None  # "greyscale" | "rgb" | None
    projection: Projection | None = None
    quality: float = 0.85
    format: str = "jpeg"
    flip_h: bool = False
    flip_v: bool = False
    inverted_axis: bool = False

    @property
    def requested_active(self) -> int:
        """Entries of ``c`` with a positive index (the microservice's ``max-active-channels`` count)."""
        return sum(1 for spec in self.channels or () if spec.index > 0)


def split_html_color(color: str) -> tuple[int, int, int, int] | None:
    """``splitHTMLColor``: RGB, RGBA, RRGGBB, RRGGBBAA hex -> (r, g, b, a); anything else None.

    Shorthand digits are doubled (``abc`` -> ``AABBCC``), OMERO.web's intent; the Java
    microservice's char-code bug is not reproduced (docs/compatibility.md).
    """
    text = color
    if len(text) in (3, 4):
        text = "".join(ch * 2 for ch in text)
    if len(text) == 6:
        text += "FF"
    if len(text) != 8 or not all(ch in _HEX for ch in text):
        return None
    return tuple(int(text[i:i + 2], 16) for i in range(0, 8, 2))  # type: ignore[return-value]


_HEX = frozenset("0123456789abcdefABCDEF")


def parse_channels(value: str) -> tuple[ChannelSpec, ...]:
    """``_split_channel_info`` (omero-web.md §3.1.1); unparsable entries are dropped as stock does.

    ``1$AA$BB`` (two colours in the head) makes stock fail with a 500: a 400 here.
    """
    specs: list[ChannelSpec] = []
    for entry in value.split(","):
        parts = entry.split("|", 1)
        head = parts[0].strip()
        color: str | None = None
        if "$" in head:
            pieces = head.split("$")
            if len(pieces) != 2:
                raise BadRequest(f"malformed channel argument, c={value}")
            head, color = pieces
        try:
            index = int(head)
        except ValueError:
            continue
        window = None
        if len(parts) > 1:
            tail = parts[1].strip()
            if "$" in tail:
                tail, color = tail.split("$", 1)
            bounds = tail.split(":")
            if len(bounds) == 2:
                try:
                    window = (float(bounds[0]), float(bounds[1]))
                except ValueError:
                    window = None
        specs.append(ChannelSpec(index=index, window=window, color=color or None))
    return tuple(specs)


def loads_json(value: str):
    """``json.loads``, with JSON nested too deep to parse (``RecursionError``) a ``ValueError`` too."""
    try:
        return json.loads(value)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def parse_maps(value: str) -> list | None:
    """The ``maps`` JSON list, or None when it is not valid JSON or not a list (stock ignores it)."""
    try:
        maps = loads_json(value)
    except ValueError:
        return None
    return maps if isinstance(maps, list) else None


def inverted_flags(maps: Sequence | None, size_c: int) -> list[bool | None] | None:
    """``_get_inverted_enabled``: per ``c`` position True/False, None = unchanged (§3.1.3).

    ``inverted`` wins over the deprecated ``reverse``; ``enabled`` counts when ``in (True, "true")``;
    an entry with neither means False; any malformed entry voids all flags (None).
    """
    if maps is None:
        return None
    flags: list[bool | None] = []
    try:
        for c in range(size_c):
            if c >= len(maps):
                flags.append(None)
                continue
            entry = maps[c]
            flag = entry.get("inverted")
            if flag is None:
                flag = entry.get("reverse")
            flags.append(flag.get("enabled") in (True, "true") if flag is not None else False)
    except (AttributeError, TypeError):
        return None
    return flags


def quantization_maps(maps: Sequence | None) -> list[dict | None] | None:
    """``[m.get("quantization") for m in maps]``; None when an entry is not an object."""
    if maps is None:
        return None
    try:
        return [m.get("quantization") for m in maps]
    except AttributeError:
        return None


def parse_projection(value: str | None) -> Projection | None:
    if not value:
        return None
    algorithm, _, rng = value.partition("|")
    if algorithm not in PROJECTIONS:
        return None
    start = end = None
    if rng:
        try:
            start, end = (int(s) for s in rng.split(":"))
        except ValueError:
            start = end = None
    return Projection(algorithm=algorithm, start=start, end=end)


def parse_quality(value: str | None) -> float:
    """``q``: JPEG quality 0..1, 0.85 when absent (stock's server default, never a stale value)."""
    if value is None or value == "":
        return 0.85
    try:
        q = float(value)
    except ValueError:
        raise BadRequest(f"malformed q argument, q={value}") from None
    if not math.isfinite(q) or not 0.0 <= q <= 1.0:
        raise BadRequest(f"q must be between 0 and 1, q={value}")
    return q


def parse_format(value: str | None) -> str:
    """``format``: jpeg (default), png or tif (the microservice's extension)."""
    fmt = (value or "jpeg").lower()
    fmt = FORMAT_ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise BadRequest("Unsupported format request.Supported formats are jpeg, png, and tif")
    return fmt


#: the query keys a rendered image depends on, in :func:`_parse_render_values`' order
RENDER_KEYS = ("c", "maps", "m", "p", "q", "format", "flip", "ia")


def parse_render_query(params: Mapping[str, str]) -> RenderQuery:
    """The render keys of a query string (``c``, ``maps``, ``m``, ``p``, ``q``, ``format``, ``flip``, ``ia``).

    A viewer sends the same render keys with every tile: the parse of each combination is
    remembered per process (it is immutable; ``maps`` entries are read-only by contract)."""
    return _parse_render_values(tuple(params.get(key) for key in RENDER_KEYS))


@functools.lru_cache(maxsize=256)
def _parse_render_values(values: tuple[str | None, ...]) -> RenderQuery:
    c, maps, m, p, q, fmt, flip, ia = values
    flips = (flip or "").lower()
    parsed_maps = parse_maps(maps) if maps is not None else None
    return RenderQuery(
        channels=parse_channels(c) if c is not None else None,
        maps=tuple(parsed_maps) if parsed_maps is not None else None,
        model={"g": "greyscale", "c": "rgb"}.get(m or ""),
        projection=parse_projection(p),
        quality=parse_quality(q),
        format=parse_format(fmt),
        flip_h="h" in flips,
        flip_v="v" in flips,
        inverted_axis=ia == "1",
    )


def _apply_quantization(channels: list[ChannelSettings], query: RenderQuery) -> None:
    """``setQuantizationMaps``: entry i goes to channel ``abs(c_i) - 1`` (by position without ``c``);
    an unknown family stops there, earlier channels keep their change (stock swallows the error)."""
    qmaps = quantization_maps(query.maps)
    if qmaps is None:
        return
    if query.channels is not None:
        targets = [abs(spec.index) - 1 for spec in query.channels]
    else:
        targets = list(range(len(qmaps)))
    for c, qmap in zip(targets, qmaps):
        if not isinstance(qmap, dict) or not 0 <= c < len(channels):
            continue
        family = qmap.get("family")
        if family not in FAMILIES:
            return
        try:
            coefficient = float(qmap.get("coefficient", 1.0))
        except (TypeError, ValueError):
            return
        channels[c] = replace(channels[c], family=family, coefficient=coefficient, noise_reduction=False)


def _apply_channel(ch: ChannelSettings, spec: ChannelSpec, inverted: bool | None) -> ChannelSettings:
    """One active listed channel: inversion, window, then colour (an RGB colour clears the LUT)."""
    if inverted is not None:
        ch = replace(ch, reverse=inverted)
    if spec.window is not None:
        ch = replace(ch, window=spec.window)
    if spec.color:
        if spec.color.endswith(".lut"):
            ch = replace(ch, lut=spec.color)
        else:
            rgba = split_html_color(spec.color)
            if rgba is not None:
                ch = replace(ch, rgba=rgba, lut=None)
    return ch


def apply_query(settings: RenderSettings, query: RenderQuery) -> RenderSettings:
    """Apply ``maps``/``c``/``m`` to saved settings as ``_get_prepared_image`` does (§3.1.2-3.1.4).

    Unlisted channels become inactive; values of listed channels are taken by position in
    ``c`` (``set_active_channels``' ``idx``), inactive (``-n``) entries change nothing.
    """
    channels = list(settings.channels)
    size_c = len(channels)
    _apply_quantization(channels, query)
    if query.channels is not None:
        specs = query.channels
        flags = inverted_flags(query.maps, size_c)
        listed = {spec.index for spec in specs}
        abs_listed = {abs(spec.index) for spec in specs}
        idx = 0
        for c in range(size_c):
            active = (c + 1) in listed
            ch = replace(channels[c], active=active)
            if active and idx < len(specs):
                flag = flags[idx] if flags is not None and idx < len(flags) else None
                ch = _apply_channel(ch, specs[idx], flag)
            channels[c] = ch
            if (c + 1) in abs_listed:
                idx += 1
    return replace(settings, channels=tuple(channels), model=query.model or settings.model)
