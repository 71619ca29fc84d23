"""The in-process floor: the same work without HTTP, so what the server adds is visible.

Two tiers, each run in a fresh subprocess (``python -m benchmarks.floor``) so Django settings
and allocator state match a gunicorn worker's:

* ``stages`` — the render path's own functions (``service.read_planes``, ``render_rgb``,
  ``encode_rgb``) called directly, CPU ms per stage; for region/tile workloads only. It also
  times other JPEG encoders on the same RGB, to argue the encoder choice.
* ``wsgi`` — the whole Django application (middleware, URL resolution, view, session when
  hosted) called as a WSGI callable, no socket: CPU ms per request for every workload.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from omero_fast_region.worker_env import pin_library_threads

REGION_PATH = re.compile(r"/render_image_region/(\d+)/(\d+)/(\d+)/")


def _params(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))


def _minflt() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _summary(samples: dict[str, list[float]]) -> dict:
    return {k: {"mean": round(statistics.fmean(v), 3), "p50": round(statistics.median(v), 3)} for k, v in samples.items() if v}


def stage_floor(catalog: str, paths: list[str], rounds: int) -> dict:
    """CPU ms per stage of ``render_region`` over ``paths`` (warm: one untimed round first).

    The stages repeat ``service.region.render_region`` step by step (prepare = settings, source,
    region, ETag); ``render_region`` itself is also timed whole, as a check on the split.
    """
    from omero_fast_region.catalog.local import LocalCatalog
    from omero_fast_region.config import Config
    from omero_fast_region.encode import encode_rgb
    from omero_fast_region.pixels import SourcePool
    from omero_fast_region.query import parse_render_query
    from omero_fast_region.render import LutLibrary, render_rgb
    from omero_fast_region.runtime import Runtime
    from omero_fast_region.service import region as svc
    from omero_fast_region.service.rendered import strong_etag

    encoders = _other_encoders()
    cat = LocalCatalog(catalog)
    runtime = Runtime(config=Config(), catalog=cat, pool=SourcePool(), luts=LutLibrary(cat.lut_dirs()))
    config, pool, luts = runtime.config, runtime.pool, runtime.luts
    stages = ("prepare", "read", "render", "encode", "total")
    samples: dict[str, list[float]] = {k: [] for k in (*stages, "render_region", "minflt")}
    samples.update({f"encode_{name}": [] for name in encoders})
    for rnd in range(rounds + 1):
        for path in paths:
            split = urlsplit(path)
            iid, z, t = (int(v) for v in REGION_PATH.search(split.path).groups())
            params = _params(split.query)
            faults, c0 = _minflt(), time.process_time()
            tile = svc.parse_tile(params["tile"]) if params.get("tile") else None
            region = svc.parse_region(params["region"]) if tile is None else None
            query = parse_render_query(params)
            descriptor = cat.get_image(iid)
            settings = svc.rendering_settings(descriptor, query, config)
            source = pool.get(descriptor.source)
            plane = svc.resolve_region(source, config, tile, region, query.flip_h, query.flip_v)
            strong_etag("", descriptor.id, descriptor.version, settings, z, t, plane, query.projection,
                        query.format, query.quality, query.flip_h, query.flip_v)
            c1 = time.process_time()
            planes = svc.read_planes(source, descriptor, settings, z, t, plane, query)
            c2 = time.process_time()
            rgb = render_rgb(planes, descriptor.pixels, descriptor.channels, settings, luts,
                             padded=query.format == "jpeg")  # as render_region does
            c3 = time.process_time()
            encode_rgb(rgb, query.format, query.quality)
            c4 = time.process_time()
            faults = _minflt() - faults
            svc.render_region(runtime, descriptor, z, t, query, tile=tile, region=region)
            c5 = time.process_time()
            if rnd == 0:
                continue
            for key, value in zip(stages, (c1 - c0, c2 - c1, c3 - c2, c4 - c3, c4 - c0)):
                samples[key].append(value * 1000.0)
            samples["render_region"].append((c5 - c4) * 1000.0)
            samples["minflt"].append(faults)
            for name, encode in encoders.items():
                e0 = time.process_time()
                encode(rgb, query.quality)
                samples[f"encode_{name}"].append((time.process_time() - e0) * 1000.0)
    pool.close_all()
    return {"requests": len(samples["total"]), "cpu_ms": _summary(samples)}


def _other_encoders() -> dict:
    """JPEG encoders to compare with the product's (Pillow), when installed."""
    found = {}
    try:
        import simplejpeg

        def simple(rgb, quality):
            space = "RGBX" if rgb.shape[2] == 4 else "RGB"
            return simplejpeg.encode_jpeg(rgb, quality=int(quality * 100 + 0.5), colorspace=space, colorsubsampling="420")

        found["simplejpeg"] = simple
    except ImportError:
        pass
    return found


def wsgi_floor(paths: list[str], rounds: int, cookie: str | None) -> dict:
    """CPU ms per request of the served WSGI application called in process (no socket, no
    gunicorn): Django's, with standalone mode's direct dispatch where the settings allow it."""
    from django.core.wsgi import get_wsgi_application

    from omero_fast_region.direct_dispatch import DirectDispatch
    from omero_fast_region.malloc_tuning import raise_mmap_threshold

    raise_mmap_threshold()
    app = DirectDispatch(get_wsgi_application())
    statuses: dict[str, int] = {}
    cpu, wall, faults = [], [], []
    for rnd in range(rounds + 1):
        for path in paths:
            split = urlsplit(path)
            environ = {
                "REQUEST_METHOD": "GET", "PATH_INFO": unquote(split.path), "QUERY_STRING": split.query,
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
                "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
                "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
                "wsgi.multiprocess": True, "wsgi.run_once": False,
            }
            if cookie:
                environ["HTTP_COOKIE"] = cookie
            status = []
            f0, c0, w0 = _minflt(), time.process_time(), time.perf_counter()
            result = app(environ, lambda s, h, exc=None: status.append(s))
            try:
                for _ in result:
                    pass
            finally:
                getattr(result, "close", lambda: None)()
            c1, w1 = time.process_time(), time.perf_counter()
            if rnd == 0:
                continue
            code = status[0].split()[0]
            statuses[code] = statuses.get(code, 0) + 1
            cpu.append((c1 - c0) * 1000.0)
            wall.append((w1 - w0) * 1000.0)
            faults.append(_minflt() - f0)
    return {"requests": len(cpu), "statuses": statuses,
            **_summary({"cpu_ms": cpu, "wall_ms": wall, "minflt": faults})}


def run_floor(tier: str, paths: list[str], env: dict[str, str], rounds: int = 2,
              catalog: str | None = None, cookie: str | None = None, timeout: float = 900) -> dict:
    """Run one floor tier in a fresh interpreter (settings from ``env``) and return its JSON."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths))
    argv = [sys.executable, "-m", "benchmarks.floor", tier, "--paths", fh.name, "--rounds", str(rounds)]
    if catalog:
        argv += ["--catalog", catalog]
    if cookie:
        argv += ["--cookie", cookie]
    full_env = {**os.environ, **env}
    pin_library_threads(full_env)  # as the served workers have it (processes.GunicornServer)
    try:
        out = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout,
                             cwd=Path(__file__).resolve().parents[1], check=False)
    finally:
        os.unlink(fh.name)
    if out.returncode != 0:
        raise RuntimeError(f"floor {tier} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tier", choices=("stages", "wsgi"))
    parser.add_argument("--paths", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--catalog")
    parser.add_argument("--cookie")
    args = parser.parse_args()
    paths = [p for p in Path(args.paths).read_text().splitlines() if p]
    if args.tier == "stages":
        from omero_fast_region.malloc_tuning import raise_mmap_threshold
        from omero_fast_region.pixels.codec_threads import decode_chunks_in_caller

        raise_mmap_threshold()
        decode_chunks_in_caller()  # as apps.ready() does in a worker
        result = stage_floor(args.catalog, paths, args.rounds)
    else:
        result = wsgi_floor(paths, args.rounds, args.cookie)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
