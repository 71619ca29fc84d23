"""A/B measurements of proposed hot-path changes, in process, so each proposal has a measured gain.

``python -m benchmarks.experiments [NAME ...]`` runs every variant of each experiment in a fresh
interpreter (allocator settings are per process), alternating A B A B to spread the machine's
drift, and prints the median CPU ms per request. The variants patch the product at run time;
nothing here changes its files.

| experiment | variants |
|---|---|
| ``malloc`` | glibc defaults / ``raise_mmap_threshold()`` as now / plus ``M_TRIM_THRESHOLD`` |
| ``ngff-read`` | zarr-python reads / chunk files read and decoded directly (local zarr v2) |
| ``jpeg`` | Pillow / simplejpeg (same quality, 4:2:0) |
| ``thumbnail-tables`` | the render-table LRU as now / large enough for a 200-image grid |
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from .data import FULL, QUICK, ensure_data

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
EXPERIMENTS = {
    "malloc": ("tile-ngff-3ch", "stages", ["glibc-default", "mmap-threshold", "mmap+trim-threshold"]),
    "ngff-read": ("tile-ngff-3ch", "stages", ["zarr", "direct-chunks"]),
    "jpeg": ("tile-ngff-3ch", "stages", ["pillow", "simplejpeg"]),
    "thumbnail-tables": ("render_thumbnail", "wsgi", ["lru-64", "lru-1024"]),
}


def _mallopt(param: int, value: int) -> None:
    ctypes.CDLL("libc.so.6").mallopt(ctypes.c_int(param), ctypes.c_int(value))


def apply_variant(variant: str) -> None:
    """Patch the product in this process for ``variant`` (before any request runs)."""
    import omero_fast_region.malloc_tuning as tuning

    if variant == "glibc-default":
        tuning.raise_mmap_threshold = lambda *a, **k: False
    elif variant == "mmap+trim-threshold":
        _mallopt(M_TRIM_THRESHOLD, 2 * tuning.DEFAULT_THRESHOLD)
    elif variant == "direct-chunks":
        from omero_fast_region.pixels.ngff import NgffSource

        NgffSource._read = _direct_read  # type: ignore[method-assign]
    elif variant == "simplejpeg":
        import simplejpeg

        import omero_fast_region.encode as encode

        pillow = encode.encode_rgb

        def encode_rgb(rgb, fmt="jpeg", quality=0.85):
            if fmt != "jpeg":
                return pillow(rgb, fmt, quality)
            return simplejpeg.encode_jpeg(rgb, quality=int(quality * 100 + 0.5), colorspace="RGB",
                                          colorsubsampling="420", fastdct=False)

        encode.encode_rgb = encode_rgb
        import omero_fast_region.service.region as region

        region.encode_rgb = encode_rgb
    elif variant == "lru-1024":
        from omero_fast_region.render.tables import TABLES

        TABLES.max_entries = 1024


def _direct_read(self, level: int, selection: tuple):
    """Prototype of the proposed fast path: the chunks a 2-D selection touches, read and decoded
    without zarr-python's async machinery (local zarr v2 arrays; anything else goes through zarr)."""
    import numpy as np

    with self._handle.use() as arrays:
        array = arrays[level]
    md = array.metadata
    root = getattr(array.store, "root", None)
    if getattr(md, "zarr_format", 3) != 2 or root is None or md.filters or any(isinstance(s, np.ndarray) for s in selection):
        return _ZARR_READ(self, level, selection)
    chunks = md.chunks
    starts = [s.start if isinstance(s, slice) else s for s in selection]
    stops = [s.stop if isinstance(s, slice) else s + 1 for s in selection]
    out = np.zeros([b - a for a, b, s in zip(starts, stops, selection) if isinstance(s, slice)], dtype=array.dtype)
    ranges = [range(a // c, (b - 1) // c + 1) for a, b, c in zip(starts, stops, chunks)]
    dtype = np.dtype(md.dtype.to_native_dtype()) if hasattr(md.dtype, "to_native_dtype") else np.dtype(md.dtype)
    for index in np.ndindex(*[len(r) for r in ranges]):
        coords = tuple(r[i] for r, i in zip(ranges, index))
        path = os.path.join(str(root), array.path, md.encode_chunk_key(coords)) if array.path else \
            os.path.join(str(root), md.encode_chunk_key(coords))
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            continue  # fill value 0
        block = np.frombuffer(md.compressor.decode(raw) if md.compressor else raw, dtype=dtype).reshape(chunks)
        src, dst = [], []
        for a, b, c, k, s in zip(starts, stops, chunks, coords, selection):
            lo, hi = max(a, k * c), min(b, (k + 1) * c)
            src.append(slice(lo - k * c, hi - k * c) if isinstance(s, slice) else lo - k * c)
            if isinstance(s, slice):
                dst.append(slice(lo - a, hi - a))
        out[tuple(dst)] = block[tuple(src)]
    return out


_ZARR_READ = None


def run_variant(variant: str, tier: str, workload_name: str, quick: bool, rounds: int) -> dict:
    """One measurement in this process (called in a fresh interpreter)."""
    global _ZARR_READ
    from omero_fast_region.pixels.ngff import NgffSource

    from . import floor
    from .runner import standalone_env
    from .workloads import build_workloads

    _ZARR_READ = NgffSource._read
    data = ensure_data(QUICK if quick else FULL)
    os.environ.update(standalone_env(data))
    apply_variant(variant)
    paths = next(w for w in build_workloads(data) if w.name == workload_name).paths
    if tier == "stages":
        from omero_fast_region.malloc_tuning import raise_mmap_threshold

        raise_mmap_threshold()
        result = floor.stage_floor(str(data.catalog), paths, rounds)
        return {"cpu_ms": result["cpu_ms"]["total"]["mean"], "minflt": result["cpu_ms"]["minflt"]["mean"],
                "stages": {k: v["mean"] for k, v in result["cpu_ms"].items() if k in ("read", "render", "encode")}}
    result = floor.wsgi_floor(paths, rounds, None)
    import resource

    return {"cpu_ms": result["cpu_ms"]["mean"], "minflt": result["minflt"]["mean"],
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def compare(name: str, repeats: int, quick: bool, rounds: int) -> dict:
    workload, tier, variants = EXPERIMENTS[name]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            out = subprocess.run([sys.executable, "-m", "benchmarks.experiments", "--variant", variant, "--tier", tier,
                                  "--workload", workload, "--rounds", str(rounds)] + (["--quick"] if quick else []),
                                 capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=900,
                                 check=False)
            if out.returncode != 0:
                raise RuntimeError(f"{name}/{variant} failed:\n{out.stderr[-3000:]}")
            runs[variant].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {}
    for variant, results in runs.items():
        summary[variant] = {"cpu_ms": round(statistics.median(r["cpu_ms"] for r in results), 3),
                            "minflt": round(statistics.median(r["minflt"] for r in results), 1),
                            "runs": [round(r["cpu_ms"], 3) for r in results]}
        for key in ("stages", "max_rss_mib"):
            if key in results[0]:
                summary[variant][key] = results[len(results) // 2][key]
    return {"workload": workload, "tier": tier, "variants": summary, "loadavg": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(EXPERIMENTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--variant")
    parser.add_argument("--tier")
    parser.add_argument("--workload")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.tier, args.workload, args.quick, args.rounds)))
        return
    results = {}
    for name in args.names:
        results[name] = compare(name, args.repeats, args.quick, args.rounds)
        base = None
        for variant, entry in results[name]["variants"].items():
            base = base or entry["cpu_ms"]
            print(f"{name:17s} {variant:20s} {entry['cpu_ms']:8.2f} ms/req ({(entry['cpu_ms'] / base - 1) * 100:+5.0f}%)  "
                  f"faults {entry['minflt']:7.0f}  runs {entry['runs']}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
