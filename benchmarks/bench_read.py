"""Median time to read one 512×512 tile of a 4096×4096 uint16 image from each pixel source.

Run: ``.venv/bin/python -m benchmarks.bench_read``; writes ``benchmarks/results/read.json``.
Warm reads have the file in the page cache; cold reads drop it first with
``posix_fadvise(DONTNEED)`` (reported as ineffective when cold is not slower, e.g. on tmpfs).
The pool part runs a long mixed workload through a small :class:`SourcePool` and records the
largest number of open file descriptors seen.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.pixels import SourcePool, open_source, romio_path
from omero_fast_region.render.model import PixelsInfo
from omero_fast_region.sample import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio

RESULTS = Path(__file__).resolve().parent / "results" / "read.json"
SIZE, TILE = 4096, 512


def image(size: int = SIZE, seed: int = 0) -> np.ndarray:
    """A smooth-plus-noise uint16 plane (compresses like microscopy, not like pure noise)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    plane = 1500 + 800 * np.sin(yy / 97) * np.cos(xx / 61) + rng.normal(0, 60, (size, size))
    return np.clip(plane, 0, 4095).astype(np.uint16)[None, None, None]


def write_all(root: Path, data: np.ndarray) -> dict[str, tuple[SourceSpec, float]]:
    """The image in every format; value: (spec, seconds to write)."""
    t, c, z, y, x = data.shape
    pixels = PixelsInfo("uint16", x, y, z, c, t)
    raw = romio_path(str(root), 1)
    writers = {
        "romio": lambda: SourceSpec("romio", write_romio(raw, data), str(root), pixels=pixels),
        "pyramid": lambda: SourceSpec("pyramid", write_omero_pyramid(raw + "_pyramid", data), str(root), pixels=pixels),
        "ngff-0.4": lambda: SourceSpec("ngff", write_ngff(str(root / "v04.zarr"), data, "0.4", chunks=(TILE, TILE), levels=4), str(root)),
        "ngff-0.5": lambda: SourceSpec("ngff", write_ngff(str(root / "v05.zarr"), data, "0.5", chunks=(TILE, TILE), levels=4), str(root)),
        "ome-tiff": lambda: SourceSpec(
            "tiff", write_ome_tiff(str(root / "a.ome.tif"), data, tile=(TILE, TILE), levels=4, compression="zlib"), str(root)
        ),
    }
    out = {}
    for name, write in writers.items():
        start = time.perf_counter()
        spec = write()
        out[name] = (spec, time.perf_counter() - start)
    return out


def drop_cache(path: str) -> bool:
    """Ask the kernel to forget the cached pages of ``path`` (a file or a folder of files)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    files = [path] if os.path.isfile(path) else [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
    for name in files:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def tile_origins(count: int, seed: int = 1) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    cells = SIZE // TILE
    return [(rng.randrange(cells) * TILE, rng.randrange(cells) * TILE) for _ in range(count)]


def median_read_ms(spec: SourceSpec, cold: bool, count: int) -> float:
    """Median ms of one 512² level-0 read through an already open source."""
    times = []
    with open_source(spec) as source:
        source.read_region(0, 0, 0, 0, 0, 0, TILE, TILE)  # warm-up: imports, metadata
        for x, y in tile_origins(count):
            if cold:
                drop_cache(spec.path)
            start = time.perf_counter()
            source.read_region(0, 0, 0, 0, x, y, TILE, TILE)
            times.append((time.perf_counter() - start) * 1000.0)
    return round(statistics.median(times), 3)


def pool_run(specs: list[SourceSpec], reads: int, max_open: int) -> dict:
    """A long mixed workload through a small pool; the largest fd count seen and the pool stats."""
    pool = SourcePool(max_open=max_open)
    rng = random.Random(2)
    fd_counts = []
    start_fds = len(os.listdir("/proc/self/fd"))
    for i in range(reads):
        spec = rng.choice(specs)
        source = pool.get(spec)
        w, h = source.levels[0]
        size = min(64, w, h)
        source.read_region(0, 0, 0, 0, rng.randrange(w - size + 1), rng.randrange(h - size + 1), size, size)
        if i % 50 == 0:
            fd_counts.append(len(os.listdir("/proc/self/fd")))
    stats = pool.stats()
    pool.close_all()
    return {
        "reads": reads,
        "images": len(specs),
        "max_open": max_open,
        "fds_at_start": start_fds,
        "fds_max_during_run": max(fd_counts),
        "fds_after_close_all": len(os.listdir("/proc/self/fd")),
        "pool": stats,
    }


def small_images(root: Path, count: int) -> list[SourceSpec]:
    """Many small raw and TIFF images for the mixed pool run."""
    specs = []
    for i in range(count):
        data = image(128, seed=i)
        if i % 2:
            specs.append(SourceSpec("tiff", write_ome_tiff(str(root / f"s{i}.ome.tif"), data, tile=(64, 64)), str(root)))
        else:
            path = write_romio(romio_path(str(root), 5000 + i), data)
            specs.append(SourceSpec("romio", path, str(root), pixels=PixelsInfo("uint16", 128, 128)))
    return specs


def main(reads: int = 64) -> None:
    results: dict = {"image": f"{SIZE}x{SIZE} uint16, 1 channel", "tile": f"{TILE}x{TILE} level 0", "formats": {}}
    cache = Path.home() / ".cache" / "omero-fast-region"
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        root = Path(tmp)
        written = write_all(root, image())
        for name, (spec, seconds) in written.items():
            warm = median_read_ms(spec, cold=False, count=reads)
            cold = median_read_ms(spec, cold=True, count=max(16, reads // 4))
            results["formats"][name] = {"write_s": round(seconds, 2), "warm_ms": warm, "cold_ms": cold}
            print(f"{name:9s} write {seconds:6.2f} s  warm {warm:7.3f} ms  cold {cold:7.3f} ms")
        # romio keeps its file open for pread, so fadvise may not drop its pages: judge on NGFF files
        ngff = results["formats"]["ngff-0.4"]
        results["cold_cache_drop_effective"] = ngff["cold_ms"] > 1.2 * ngff["warm_ms"]
        specs = [spec for spec, _ in written.values()] + small_images(root, 60)
        results["pool_mixed_run"] = pool_run(specs, reads=5000, max_open=8)
        print("pool:", results["pool_mixed_run"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
