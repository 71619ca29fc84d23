"""The benchmark harness end to end, tiny: small data, 2 s of load, one concurrency (no timing asserts)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = {"wrk": "wrk", "ab": "apache2-utils", "redis-server": "redis-server"}
WORKLOADS = "iviewer-ngff,render_thumbnail,imgData"


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory) -> dict:
    missing = [f"{tool} (Debian: {pkg})" for tool, pkg in TOOLS.items() if shutil.which(tool) is None]
    if missing:
        pytest.skip("benchmark tools not installed: " + ", ".join(missing))
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {**os.environ, "OMERO_FAST_REGION_BENCH_RESULTS": str(out.parent)}
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--workloads", WORKLOADS, "--out", str(out)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.integration
def test_quick_run_reports_every_measurement_with_no_failed_request(quick_results):
    results = quick_results
    assert {"machine", "loadavg_start", "loadavg_end", "deployments", "floor", "workloads"} <= set(results)
    interp = results["machine"]["interpreter"]  # the build runs the Python part of a request (finding 31)
    assert interp["executable"] and interp["libpython"] in ("shared library", "in the executable")
    assert interp["loop_us"] > 0
    standalone = results["deployments"]["standalone-keepalive-2w"]
    assert set(standalone["workloads"]) == set(WORKLOADS.split(","))
    for points in standalone["workloads"].values():
        (point,) = points
        assert point["connections"] == 2 and point["requests"] > 0
        assert point["non2xx"] == 0 and not any(point["errors"].values())
        assert {"rps", "latency_ms", "cpu_ms_per_request", "rss_mib", "minflt_per_request", "worker_cpu_share_pct"} <= set(point)
        assert len(point["worker_cpu_share_pct"]) == 2 and abs(sum(point["worker_cpu_share_pct"]) - 100) < 1
        assert {"p50", "p95", "p99"} <= set(point["latency_ms"])
    (ab,) = standalone["ab"]
    assert ab["concurrency"] == 20 and ab["failed"] == 0 and ab["non2xx"] == 0 and ab["rps"] > 0
    cold = standalone["cold"]["ngff"]
    assert cold["cold_status"] == 200 and cold["warm_status"] == 200
    stages = results["floor"]["iviewer-ngff"]["stages"]["cpu_ms"]
    assert {"read", "render", "encode", "total"} <= set(stages)
    assert results["floor"]["imgData"]["wsgi_standalone"]["requests"] > 0
    paired = standalone["paired_overhead"]
    assert paired["workload"] == "iviewer-ngff" and len(paired["floor_ms"]) == len(paired["served_ms"]) == 1
    assert paired["floor_median_ms"] > 0 and paired["served_median_ms"] > 0
    (tail,) = paired["latency_ms"]  # the 2× run's p50 and p99, further samples for the tail target
    assert 0 < tail["p50"] <= tail["p99"]
    assert paired["saturated"]["connections"] == 16 and paired["saturated"]["served_median_ms"] > 0
    # the in-situ floor: the Server-Timing cpu of the images in wrk's own answers, a part of their CPU
    assert len(paired["in_situ"]["floor_ms"]) == 1
    assert 0 < paired["in_situ"]["floor_median_ms"] < paired["served_median_ms"]
    http = results["http_floor"]
    for variant in ("access_log", "no_access_log", "gthread_access_log", "keepalive_access_log"):
        assert http[variant]["requests"] > 0 and http[variant]["cpu_ms_per_request"] > 0


@pytest.mark.integration
def test_quick_run_runs_or_explains_the_hosted_mode(quick_results):
    hosted = quick_results["deployments"].get("hosted-keepalive-2w")
    if hosted is None:
        assert "hosted-keepalive-2w" in quick_results["skipped"]
    else:
        assert all(p["non2xx"] == 0 for pts in hosted["workloads"].values() for p in pts)
        assert hosted["hosted_front"]  # the keep-alive worker wrapped OMERO.web's handler
        # warm tiles need no Redis (stock reads the session once per request): sessions come from the
        # tracked copy, descriptors from process memory; only a worker's first sight of the session counts
        redis_calls = hosted["redis_calls_per_warm_request"]
        assert redis_calls["iviewer-ngff"] < 0.5
        assert redis_calls["imgData"] < 0.5  # its viewer settings come from the same tracked session
        assert set(redis_calls) >= set(hosted["ice_calls_per_warm_request"])
