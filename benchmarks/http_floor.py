"""The HTTP floor: what gunicorn itself costs per request, with an application that does nothing.

The same gunicorn command line as the product (``cli.gunicorn_argv``: keep-alive, sync or gthread workers,
access log on stdout), the same load (``wrk``, keep-alive, on loopback) and the same CPU accounting
(``ProcessSampler``), serving a constant body the size of a typical tile. What a product request
costs beyond this and beyond the in-process floor is Django, OMERO.web and the app's wrapper.
``python -m benchmarks.http_floor`` prints the JSON; the full run stores it as ``http_floor``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .load import run_wrk
from .processes import Deployment, GunicornServer, ProcessSampler

#: about the size of a 512² JPEG tile at q=0.9 of the benchmark data
BODY = b"\xff" * 60_000


def application(environ: dict, start_response) -> list[bytes]:
    """A WSGI app that answers every request with :data:`BODY`."""
    start_response("200 OK", [("Content-Type", "image/jpeg"), ("Content-Length", str(len(BODY)))])
    return [BODY]


#: variant -> (gunicorn worker class, access log on)
VARIANTS = {"access_log": ("sync", True), "no_access_log": ("sync", False), "gthread_access_log": ("gthread", True),
            "keepalive_access_log": ("keepalive", True)}


def measure_http_floor(workers: int = 2, connections: int = 4, seconds: float = 5.0, threads: int = 4) -> dict:
    """CPU ms per request of gunicorn serving :func:`application`: sync workers with the access log on
    and off, gthread workers (``threads`` each) and ``serve``'s keep-alive workers as those
    deployments run."""
    out = {}
    for variant, (worker_class, access_log) in VARIANTS.items():
        server = GunicornServer(Deployment("standalone", worker_class, workers, threads),
                                env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                                wsgi="benchmarks.http_floor:application", access_log=access_log)
        with server:
            run_wrk(server.port, ["/"], connections, 1.0)  # warm-up
            sampler = ProcessSampler({"workers": server.worker_pids()})
            sampler.start()
            result = run_wrk(server.port, ["/"], connections, seconds)
            usage = sampler.stop()["workers"]
        out[variant] = {"requests": result["requests"], "rps": result["rps"],
                        "cpu_ms_per_request": round(usage["cpu_s"] * 1000.0 / max(1, result["requests"]), 3)}
    out.update({"workers": workers, "threads": threads, "connections": connections, "body_bytes": len(BODY)})
    return out


if __name__ == "__main__":
    print(json.dumps(measure_http_floor(*(int(a) for a in sys.argv[1:3]))))
