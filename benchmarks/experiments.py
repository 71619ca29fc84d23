"""A/B measurements of proposed hot-path changes, in process, so each proposal has a measured gain.

``python -m benchmarks.experiments [NAME ...]`` runs every variant of each experiment in a fresh
interpreter (allocator settings are per process), alternating A B A B to spread the machine's
drift, and prints the median CPU ms per request. The variants patch the product at run time;
nothing here changes its files.

| experiment | variants (the first is the product as it is) |
|---|---|
| ``malloc`` | ``raise_mmap_threshold()`` as now / glibc's defaults |
| ``ngff-read`` | direct chunk reads as now (``pixels/zarr_direct.py``) / every read through zarr-python |
| ``jpeg`` | Pillow / simplejpeg (same quality, 4:2:0) |
| ``blosc`` | Blosc decoding in the request's thread as now (``pixels/codec_threads.py``) / numcodecs' default thread pool |
| ``thumbnail-tables`` | the render-table cache as now / an 8 MiB one (what the cache buys on a 200-image grid; the encoded-thumbnail cache is bypassed in both) |

docs/benchmarks.md lists what these measured on the code before each change landed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from .data import FULL, QUICK, ensure_data

EXPERIMENTS = {
    "malloc": ("tile-ngff-3ch", "stages", ["tuned", "glibc-default"]),
    "ngff-read": ("tile-ngff-3ch", "stages", ["direct-chunks", "zarr"]),
    "jpeg": ("tile-ngff-3ch", "stages", ["pillow", "simplejpeg"]),
    "blosc": ("tile-ngff-3ch", "stages", ["blosc-in-caller", "blosc-pool"]),
    "thumbnail-tables": ("render_thumbnail", "wsgi", ["table-cache", "table-cache-8MiB"]),
}


def apply_variant(variant: str) -> None:
    """Patch the product in this process for ``variant`` (before any request runs)."""
    if variant == "glibc-default":
        import omero_fast_region.malloc_tuning as tuning

        tuning.raise_mmap_threshold = lambda *a, **k: False
    elif variant == "zarr":
        from omero_fast_region.pixels.zarr_direct import DirectArray

        DirectArray.accepts = staticmethod(lambda selection: False)
    elif variant == "simplejpeg":
        import simplejpeg

        import omero_fast_region.encode as encode
        import omero_fast_region.service.region as region

        pillow = encode.encode_rgb

        def encode_rgb(rgb, fmt="jpeg", quality=0.85):
            if fmt != "jpeg":
                return pillow(rgb, fmt, quality)
            return simplejpeg.encode_jpeg(rgb, quality=int(quality * 100 + 0.5), colorspace="RGB",
                                          colorsubsampling="420", fastdct=False)

        encode.encode_rgb = region.encode_rgb = encode_rgb
    elif variant == "blosc-pool":
        import omero_fast_region.pixels.codec_threads as codec_threads

        codec_threads.decode_chunks_in_caller = lambda: None
    elif variant == "table-cache-8MiB":
        from omero_fast_region.render.tables import TABLES

        TABLES._max_bytes = 8 * 2**20
    if variant.startswith("table-cache"):  # measure rendering, not the encoded-thumbnail cache
        from omero_fast_region.service import thumbnail

        thumbnail.THUMBNAILS.get_or_build = lambda key, build, owner=None: build()


def run_variant(variant: str, tier: str, workload_name: str, quick: bool, rounds: int) -> dict:
    """One measurement in this process (called in a fresh interpreter)."""
    from . import floor
    from .runner import standalone_env
    from .workloads import build_workloads

    data = ensure_data(QUICK if quick else FULL)
    os.environ.update(standalone_env(data))
    apply_variant(variant)
    paths = next(w for w in build_workloads(data) if w.name == workload_name).paths
    if tier == "stages":
        from omero_fast_region import malloc_tuning
        from omero_fast_region.pixels import codec_threads

        malloc_tuning.raise_mmap_threshold()
        codec_threads.decode_chunks_in_caller()
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
