"""Parse OMERO.web render query strings into plain objects (reference/omero-web.md §3).

Pure: takes a mapping of query keys to their (last) values; no Django. Malformed values that
stock OMERO.web silently ignores are ignored here too; values that make stock fail with a 500
raise :class:`errors.BadRequest` instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Mapping

from .errors import BadRequest
from .render.model import ChannelSettings, RenderSettings

FAMILIES = ("linear", "polynomial", "exponential", "logarithmic")
PROJECTIONS = ("intmax", "intmean", "intsum")
FORMATS = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "tif": "image/tiff", "tiff": "image/tiff"}


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
    inverted: tuple[bool | None, ...] | None = None  # by position in ``c``
    quantization: tuple[dict | None, ...] | None = None  # by position in ``c``
    model: str | None = None  # "greyscale" | "rgb" | None
    projection: Projection | None = None
    quality: float = 0.85
    format: str = "jpeg"
    flip_h: bool = False
    flip_v: bool = False
    inverted_axis: bool = False


def split_html_color(color: str) -> tuple[int, int, int, int] | None:
    """``splitHTMLColor``: RGB, RGBA, RRGGBB, RRGGBBAA hex -> (r, g, b, a); anything else None."""
    text = color.strip()
    if len(text) in (3, 4):
        text = "".join(ch * 2 for ch in text)
    if len(text) == 6:
        text += "FF"
    if len(text) != 8:
        return None
    try:
        return tuple(int(text[i:i + 2], 16) for i in range(0, 8, 2))  # type: ignore[return-value]
    except ValueError:
        return None


def parse_channels(value: str) -> tuple[ChannelSpec, ...]:
    """``_split_channel_info`` (omero-web.md §3.1.1); unparsable entries are dropped as stock does."""
    specs: list[ChannelSpec] = []
    if not value:
        return ()
    for entry in value.split(","):
        head, _, tail = entry.partition("|")
        head_parts = head.split("$")
        if len(head_parts) > 2:
            raise BadRequest(f"malformed channel argument, c={value}")
        color = head_parts[1] if len(head_parts) == 2 else None
        try:
            index = int(head_parts[0])
        except ValueError:
            continue
        window = None
        if tail or "|" in entry:
            window_text, _, tail_color = tail.partition("$")
            if tail_color:
                color = tail_color
            bounds = window_text.split(":")
            if len(bounds) == 2:
                try:
                    window = (float(bounds[0]), float(bounds[1]))
                except ValueError:
                    window = None
        specs.append(ChannelSpec(index=index, window=window, color=color or None))
    return tuple(specs)


def _parse_maps(value: str) -> tuple[tuple[bool | None, ...] | None, tuple[dict | None, ...] | None]:
    try:
        maps = json.loads(value)
    except ValueError:
        return None, None
    if not isinstance(maps, list):
        return None, None
    inverted: list[bool | None] | None = []
    quantization: list[dict | None] | None = []
    for m in maps:
        if not isinstance(m, dict):
            inverted = None
            quantization = None
            break
        flag = m.get("inverted", m.get("reverse"))
        if isinstance(flag, dict):
            enabled = flag.get("enabled")
            inverted.append(enabled is True or enabled == "true" or (enabled == 1 and not isinstance(enabled, float)))
        else:
            inverted.append(False)
        q = m.get("quantization")
        quantization.append(q if isinstance(q, dict) else None)
    return (tuple(inverted) if inverted is not None else None, tuple(quantization) if quantization is not None else None)


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
    if value is None or value == "":
        return 0.85
    try:
        q = float(value)
    except ValueError:
        raise BadRequest(f"malformed q argument, q={value}") from None
    if not math.isfinite(q) or not 0.0 <= q <= 1.0:
        raise BadRequest(f"q must be between 0 and 1, q={value}")
    return q


def parse_render_query(params: Mapping[str, str]) -> RenderQuery:
    """The render keys of a query string (``c``, ``maps``, ``m``, ``p``, ``q``, ``format``, ``flip``, ``ia``)."""
    channels = parse_channels(params["c"]) if "c" in params else None
    inverted = quantization = None
    if params.get("maps"):
        inverted, quantization = _parse_maps(params["maps"])
    model = {"g": "greyscale", "c": "rgb"}.get(params.get("m", ""))
    fmt = (params.get("format") or "jpeg").lower()
    if fmt not in FORMATS:
        raise BadRequest(f"unknown format {params.get('format')!r} (jpeg, png or tif)")
    flip = (params.get("flip") or "").lower()
    return RenderQuery(
        channels=channels,
        inverted=inverted,
        quantization=quantization,
        model=model,
        projection=parse_projection(params.get("p")),
        quality=parse_quality(params.get("q")),
        format="jpeg" if fmt == "jpg" else ("tif" if fmt == "tiff" else fmt),
        flip_h="h" in flip,
        flip_v="v" in flip,
        inverted_axis=params.get("ia", "0") == "1",
    )


def apply_query(settings: RenderSettings, query: RenderQuery, known_luts=None) -> RenderSettings:
    """Apply ``c``/``maps``/``m`` to saved settings as ``set_active_channels`` does (§3.1.2-3.1.4)."""
    channels = list(settings.channels)
    size_c = len(channels)
    if query.channels is not None and query.quantization is not None:
        for spec, qmap in zip(query.channels, query.quantization):
            c = abs(spec.index) - 1
            if qmap is None or not 0 <= c < size_c:
                continue
            family = qmap.get("family")
            if family not in FAMILIES:
                break  # stock swallows the error; earlier channels keep their change
            try:
                coefficient = float(qmap.get("coefficient", 1.0))
            except (TypeError, ValueError):
                break
            channels[c] = replace(channels[c], family=family, coefficient=coefficient, noise_reduction=False)
    if query.channels is not None:
        listed = {spec.index for spec in query.channels}
        abs_listed = {abs(spec.index) for spec in query.channels}
        idx = 0
        for c in range(size_c):
            active = (c + 1) in listed
            ch = replace(channels[c], active=active)
            if active and idx < len(query.channels):
                spec = query.channels[idx]
                if query.inverted is not None and idx < len(query.inverted) and query.inverted[idx] is not None:
                    ch = replace(ch, reverse=bool(query.inverted[idx]))
                if spec.window is not None:
                    ch = replace(ch, window=spec.window)
                if spec.color:
                    if spec.color.endswith(".lut"):
                        ch = replace(ch, lut=spec.color)
                    else:
                        rgba = split_html_color(spec.color)
                        if rgba is not None:
                            ch = replace(ch, rgba=rgba, lut=None)
            channels[c] = ch
            if (c + 1) in abs_listed:
                idx += 1
    model = query.model or settings.model
    return replace(settings, channels=tuple(channels), model=model)
