"""Median in-process time to render uint16 tiles with warm table caches.

Run: ``.venv/bin/python -m benchmarks.bench_render``; writes ``benchmarks/results/render.json``.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from omero_fast_region.malloc_tuning import raise_mmap_threshold
from omero_fast_region.render import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings, render_rgb

RESULTS = Path(__file__).resolve().parent / "results" / "render.json"
COLOURS = ((0, 0, 255, 255), (0, 255, 0, 255), (255, 0, 0, 255), (255, 0, 255, 255))


def case(size: int, channels: int, seed: int = 0):
    """Planes and settings of a ``size``² tile with ``channels`` uint16 channels, window 100..4000."""
    rng = np.random.default_rng(seed)
    planes = [rng.integers(0, 4096, (size, size), dtype=np.uint16) for _ in range(channels)]
    pixels = PixelsInfo("uint16", size, size, size_c=channels)
    infos = [ChannelInfo(stats=(0.0, 4095.0)) for _ in range(channels)]
    settings = RenderSettings(model="rgb", channels=tuple(
        ChannelSettings(window=(100.0, 4000.0), rgba=COLOURS[i % len(COLOURS)]) for i in range(channels)))
    return planes, pixels, infos, settings


def median_ms(size: int, channels: int, repeats: int = 200) -> float:
    """Median wall time of ``render_rgb`` for one tile after a warm-up render."""
    planes, pixels, infos, settings = case(size, channels)
    render_rgb(planes, pixels, infos, settings)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        render_rgb(planes, pixels, infos, settings)
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main() -> None:
    tuned = raise_mmap_threshold()
    results = {
        "mmap_threshold_raised": tuned,
        "render_512x512x3_uint16_ms": round(median_ms(512, 3), 3),
        "render_1024x1024x4_uint16_ms": round(median_ms(1024, 4, repeats=60), 3),
    }
    for key, value in results.items():
        print(f"{key}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
