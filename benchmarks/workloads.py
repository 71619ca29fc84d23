"""What the clients ask for: URL path lists shaped like OMERO.iviewer, OMERO.figure and webclient.

Query strings are written as browsers send them (omero-web.md §8.1): only ``"`` is
percent-encoded, ``{ } | $ , : [ ]`` stay literal. Each workload is a list of paths that a
load client walks round and round.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from omero_fast_region.catalog.local import LocalCatalog
from omero_fast_region.pixels import open_source

from .data import BIG_IDS, BenchData

COLOURS = ("0000FF", "00FF00", "FF0000", "FF00FF")
VIEWPORT = (1536, 1024)  # a browser window's worth of 512² tiles


@dataclass(frozen=True)
class Workload:
    name: str
    paths: list[str]
    kind: str  # region | thumbnail | thumbnails | histogram | imgdata
    note: str = ""


def _maps(entries: list[dict]) -> str:
    return json.dumps(entries, separators=(",", ":")).replace('"', "%22")


def _channel_arg(windows: list[tuple[float, float]], shown: list[int], all_listed: bool,
                 scale: list[float] | None = None) -> str:
    """``c=`` as iviewer (active channels only) or figure (all, inactive with ``-``) sends it."""
    parts = []
    for i, (lo, hi) in enumerate(windows):
        if i not in shown and not all_listed:
            continue
        f = 1.0 if scale is None else scale[i]
        parts.append(f"{'' if i in shown else '-'}{i + 1}|{int(lo)}:{int(hi * f)}${COLOURS[i % len(COLOURS)]}")
    return ",".join(parts)


def _iviewer_settings(windows: list[tuple[float, float]]) -> list[tuple[str, str]]:
    """Three users' channel settings: 3 channels; 3 others with one inverted and one exponential; all 4."""
    n = len(windows)
    first3 = list(range(min(3, n)))
    other3 = [i for i in (0, 1, 3) if i < n]
    every = list(range(n))
    plain = [{"inverted": {"enabled": False}}]
    return [
        (_channel_arg(windows, first3, False), _maps(plain * len(first3))),
        (_channel_arg(windows, other3, False, scale=[0.8] * n),
         _maps([{"inverted": {"enabled": False}}, {"inverted": {"enabled": True}},
                {"inverted": {"enabled": False}, "quantization": {"family": "exponential", "coefficient": 1.8}}][:len(other3)])),
        (_channel_arg(windows, every, False, scale=[1.2] * n), _maps(plain * len(every))),
    ]


def _visible_tiles(level_size: tuple[int, int], tile: int, cx: int, cy: int) -> list[tuple[int, int]]:
    """Tile indices a viewport centred at (cx, cy) of one level shows."""
    vw, vh = VIEWPORT
    w, h = level_size
    x0, y0 = max(0, cx - vw // 2), max(0, cy - vh // 2)
    x1, y1 = min(w, cx + vw // 2), min(h, cy + vh // 2)
    return [(tx, ty) for ty in range(y0 // tile, (y1 - 1) // tile + 1) for tx in range(x0 // tile, (x1 - 1) // tile + 1)]


def iviewer_tiles(levels: list[tuple[int, int]], tile: int = 512) -> list[tuple[int, int, int]]:
    """One viewing session, in request order, each tile once (the browser caches the rest).

    Open at the smallest level, zoom into the centre level by level, then pan right and down at
    the two finest levels in half-viewport steps.
    """
    seen: set[tuple[int, int, int]] = set()
    order: list[tuple[int, int, int]] = []

    def show(level: int, cx: int, cy: int) -> None:
        for tx, ty in _visible_tiles(levels[level], tile, cx, cy):
            if (level, tx, ty) not in seen:
                seen.add((level, tx, ty))
                order.append((level, tx, ty))

    top = len(levels) - 1
    for level in range(top, -1, -1):
        w, h = levels[level]
        show(level, w // 2, h // 2)
    for level in (1, 0) if top >= 1 else (0,):
        w, h = levels[level]
        for step in range(8):
            show(level, w // 2 + step * VIEWPORT[0] // 2, h // 2 + (step // 2) * VIEWPORT[1] // 2)
    return order


def _region_settings(catalog: LocalCatalog, image_id: int) -> tuple[list[tuple[float, float]], list[tuple[int, int]], tuple[int, int]]:
    descriptor = catalog.get_image(image_id)
    windows = [ch.window for ch in descriptor.rendering.settings.channels]
    with open_source(descriptor.source) as source:
        return windows, list(source.levels), source.tile_size(0)


def iviewer(catalog: LocalCatalog, image_id: int, name: str) -> Workload:
    windows, levels, _ = _region_settings(catalog, image_id)
    paths = []
    for c, maps in _iviewer_settings(windows):
        for level, tx, ty in iviewer_tiles(levels):
            paths.append(f"/webgateway/render_image_region/{image_id}/0/0/?tile={level},{tx},{ty},512,512"
                         f"&c={c}&maps={maps}&m=c&p=normal&q=0.9")
    return Workload(name, paths, "region", "iviewer session: zoom in level by level, pan at the two finest levels; "
                    "512² tiles, q=0.9, maps, 3-4 active channels, three users' settings")


def figure(catalog: LocalCatalog, image_id: int) -> Workload:
    """Figure panels: ≈1500×1000 regions at full resolution and at levels 1-2, every channel listed."""
    windows, levels, _ = _region_settings(catalog, image_id)
    w, h = 1500, 1000
    shown = list(range(min(3, len(windows))))
    c = _channel_arg(windows, shown, True)
    maps = _maps([{"reverse": {"enabled": False}}] * len(windows))
    paths = []
    for level in range(min(3, len(levels))):
        lw, lh = levels[level]
        cols, rows = max(1, lw // w), max(1, lh // h)
        for i in range(min(6, cols * rows)):
            tx, ty = i % cols, i // cols
            if level == 0:
                arg = f"region={tx * w},{ty * h},{w},{h}"
            else:
                arg = f"tile={level},{tx},{ty},{w},{h}"
            paths.append(f"/webgateway/render_image_region/{image_id}/0/0/?{arg}&c={c}&maps={maps}&m=c")
    return Workload("figure-ngff", paths, "region", "figure panels: 1500×1000 regions at levels 0-2, all channels "
                    "listed (inactive with -), maps with reverse, no q")


def build_workloads(data: BenchData) -> list[Workload]:
    catalog = LocalCatalog(str(data.catalog))
    small = data.small_ids
    batches = [small[i:i + 50] for i in range(0, len(small), 50)]
    out = [iviewer(catalog, BIG_IDS[fmt], f"iviewer-{fmt}") for fmt in ("ngff", "pyramid", "tiff")]
    three = [p for p in out[0].paths[:len(out[0].paths) // 3] if "tile=0," in p]
    out.append(Workload("tile-ngff-3ch", three, "region", "full-resolution 512² NGFF tiles, 3 active channels, q=0.9 "
                        "(the per-tile target's case)"))
    out += [
        figure(catalog, BIG_IDS["ngff"]),
        Workload("render_thumbnail", [f"/webgateway/render_thumbnail/{i}/96/" for i in small], "thumbnail",
                 f"render_thumbnail 96 px over {len(small)} small images"),
        Workload("get_thumbnails", ["/webgateway/get_thumbnails/?" + "&".join(f"id={i}" for i in b) for b in batches],
                 "thumbnails", "get_thumbnails, batches of up to 50 ids (one webclient grid page each)"),
        Workload("histogram_json", [f"/webgateway/histogram_json/{i}/channel/{c}/?theT=0&theZ=0"
                                    for i in small for c in range(3)], "histogram", "histogram_json per channel of the small images"),
        Workload("imgData", [f"/webgateway/imgData/{i}/" for i in list(BIG_IDS.values()) + small], "imgdata",
                 "imgData of every image"),
    ]
    return out
