"""One benchmark run: data -> servers -> probes -> warm-up -> concurrency sweep -> ab -> cold -> floor.

Every server is started here and stopped (its whole process group) before the next one starts,
also when something fails. Results are one JSON document (see :func:`run`).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .bench_read import drop_cache
from .data import BIG_IDS, FULL, QUICK, BenchData, ensure_data, resident_bytes
from .floor import run_floor
from .hosted import HostedSetup, hosted_unavailable
from .http_floor import measure_http_floor
from .load import run_ab, run_wrk
from .processes import Deployment, GunicornServer, ProcessSampler, RedisServer, cpu_ticks, loadavg, machine, steal_pct
from .workloads import Workload, build_workloads

STANDALONE_SETTINGS = "omero_fast_region.standalone_settings"


@dataclass
class Options:
    quick: bool = False
    seconds: float = 5.0
    warmup_seconds: float = 3.0
    concurrency: list[int] = field(default_factory=lambda: [1, 2, 4, 8, 16, 32])
    workloads: list[str] | None = None  # None: all
    sweep_workloads: list[str] | None = None  # workloads swept over every concurrency; others at 2× workers
    deployments: list[str] = field(default_factory=lambda: list(DEPLOYMENTS))
    workers: int = 2
    threads: int = 4
    ab: bool = True
    ab_requests: int = 5000
    ab_concurrency: list[int] = field(default_factory=lambda: [20, 100])
    cold: bool = True
    cold_rounds: int = 3
    floor: bool = True
    floor_rounds: int = 2
    overhead_pairs: int = 5

    @classmethod
    def quick_defaults(cls) -> "Options":
        return cls(quick=True, seconds=2.0, warmup_seconds=1.0, concurrency=[2], deployments=["standalone-keepalive", "hosted-keepalive"],
                   ab_requests=200, ab_concurrency=[20], floor_rounds=1, overhead_pairs=1, cold_rounds=1)


#: gunicorn worker classes: ``serve``'s keep-alive worker, gunicorn's sync (``--keepalive 0``), gthread
WORKER_CLASSES = ("keepalive", "sync", "gthread")
#: the full run's deployments, the recommended one of each mode first
DEPLOYMENTS = tuple(f"{mode}-{worker}" for mode in ("standalone", "hosted") for worker in WORKER_CLASSES)


def _in_process_twin(options: "Options") -> str:
    """The hosted worker class beside whose served figures the in-process OMERO.web floor is stored."""
    return next((w for w in ("keepalive", "sync") if f"hosted-{w}" in options.deployments), "sync")


def parse_deployment(name: str, workers: int, threads: int) -> Deployment:
    mode, worker_class = name.split("-", 1)
    if mode not in ("standalone", "hosted") or worker_class not in WORKER_CLASSES:
        raise ValueError(f"unknown deployment {name!r} (standalone|hosted)-({'|'.join(WORKER_CLASSES)})")
    return Deployment(mode, worker_class, workers, threads)


def standalone_env(data: BenchData) -> dict[str, str]:
    return {"OMERO_FAST_REGION_CATALOG": "local:" + str(data.catalog), "DJANGO_SETTINGS_MODULE": STANDALONE_SETTINGS}


def probe(server: GunicornServer, workload: Workload, headers: dict[str, str]) -> str | None:
    """None if the workload's first path answers 2xx with a real answer, else why not."""
    status, _, body = server.get(workload.paths[0], headers)
    if not 200 <= status < 300:
        return f"probe answered {status}: {body[:120].decode('utf-8', 'replace')}"
    if workload.kind == "thumbnails" and b"null" in body:
        return "get_thumbnails answered null thumbnails (the stock view answered, and the fake OMERO server renders nothing)"
    return None


def ice_calls_per_request(server: GunicornServer, workload: Workload, headers: dict[str, str], hosted) -> int:
    """Ice calls one warm request makes (0 when the app answers from its descriptor cache)."""
    server.get(workload.paths[0], headers)
    offset = hosted.calls_log.stat().st_size
    server.get(workload.paths[0], headers)
    return len(hosted.ice_calls_since(offset))


def redis_calls_per_request(server: GunicornServer, workload: Workload, headers: dict[str, str],
                            redis: RedisServer, requests: int = 40) -> float:
    """Redis commands per warm request, over ``requests`` requests after as many warm-up requests
    (a worker that first sees the session or an image during the count adds its one lookup)."""
    for path in workload.paths[:requests]:
        server.get(path, headers)
    before = redis.commands_processed()
    for path in workload.paths[:requests]:
        server.get(path, headers)
    return round((redis.commands_processed() - before - 1) / requests, 2)  # -1: the INFO of `before`


def cpu_shares(cpu_s_each: list[float]) -> list[float]:
    """Each process's percentage of the group's CPU seconds (all zero when the group used none)."""
    total = sum(cpu_s_each)
    return [round(100.0 * c / total, 1) if total > 0 else 0.0 for c in cpu_s_each]


def measure(server: GunicornServer, workload: Workload, connections: int, seconds: float,
            headers: dict[str, str], extra_pids: dict[str, list[int]], in_situ: bool = False) -> dict:
    """One bounded wrk run with the workers' (and Redis's) CPU and faults sampled around it.

    ``in_situ``: also report the mean ``Server-Timing`` CPU of wrk's own 200 answers (the CPU
    the workers spent producing each image, read by wrk's script from the same responses whose
    CPU per request is measured, so no other client shares the machine)."""
    sampler = ProcessSampler({"workers": server.worker_pids(), **extra_pids})
    load_before, ticks_before = loadavg(), cpu_ticks()
    sampler.start()
    result = run_wrk(server.port, workload.paths, connections, seconds, headers)
    usage = sampler.stop()
    stolen = steal_pct(ticks_before, cpu_ticks())
    if in_situ:
        result["in_situ"] = {"samples": result["server_timing_samples"], "cpu_ms": result["server_timing_cpu_ms"]}
    requests = max(1, result["requests"])
    workers = usage.pop("workers")
    result.update({
        # in-flight requests at the end make this inexact: only trust it with many requests
        "cpu_ms_per_request": round(workers["cpu_s"] * 1000.0 / requests, 3),
        "few_requests": result["requests"] < MIN_REQUESTS,
        "minflt_per_request": round(workers["minflt"] / requests, 1),
        "worker_cpu_utilisation": round(workers["cpu_s"] / max(result["seconds"], 1e-9), 2),
        # each worker's share of the workers' CPU: a worker class that keeps a connection where it
        # was accepted (gthread) can leave one worker with every connection (finding 34)
        "worker_cpu_share_pct": cpu_shares(workers["cpu_s_each"]),
        "rss_mib": workers["rss_mib"],
        "loadavg_before": load_before,
        # a virtual machine's CPU time taken by the hypervisor for others: stretches latency, not CPU ms
        "steal_pct": stolen,
    })
    for name, other in usage.items():
        result[f"{name}_cpu_ms_per_request"] = round(other["cpu_s"] * 1000.0 / requests, 3)
    return result


#: a point needs about this many answered requests to mean something
MIN_REQUESTS = 100
MAX_POINT_SECONDS = 30.0


def plan_points(options: Options, workload: Workload, deployment: Deployment, warm_rps: float) -> tuple[list[int], float]:
    """Concurrency levels and seconds per point: the full sweep, unless the workload is too slow for
    ``MIN_REQUESTS`` per point, when it runs at 1× and 2× workers for up to ``MAX_POINT_SECONDS``."""
    swept = options.sweep_workloads is None or workload.name in options.sweep_workloads
    levels = options.concurrency if swept else [2 * deployment.workers]
    if options.quick or warm_rps * options.seconds >= MIN_REQUESTS:
        return levels, options.seconds
    seconds = min(MAX_POINT_SECONDS, max(options.seconds, MIN_REQUESTS / max(warm_rps, 1e-3)))
    return sorted({deployment.workers, 2 * deployment.workers}), seconds


def _on_every_worker(server: GunicornServer, path: str, headers: dict[str, str]) -> None:
    """Ask for ``path`` so that every worker answers it: rounds of concurrent requests (a busy
    sync worker does not accept, so one after the other could all go to the same worker)."""
    concurrent = 2 * server.deployment.workers
    with ThreadPoolExecutor(concurrent) as pool:
        for _ in range(3):
            list(pool.map(lambda _: server.get(path, headers), range(concurrent)))


def cold_first_tiles(server: GunicornServer, data: BenchData, headers: dict[str, str],
                     iviewer: dict[str, Workload]) -> dict:
    """First tile of unseen images (files dropped from the page cache), then the same tile warm."""
    out: dict = {}
    warm_path = iviewer["iviewer-ngff"].paths[0].replace(f"/{BIG_IDS['ngff']}/", f"/{data.small_ids[0]}/", 1)
    t0 = time.perf_counter()
    status, _, _ = server.get(warm_path.split("?")[0] + "?tile=0,0,0,512,512&c=1|100:4000$0000FF&m=c&q=0.9", headers)
    out["first_request_of_process_ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
    # every worker must have started Django, loaded the catalog and imported the encoders, or the
    # "cold" tile may land on one that has not and measure that instead: sequential requests can
    # all go to the same sync worker, concurrent ones cannot (a busy sync worker does not accept)
    warm_up = f"/webgateway/render_image_region/{data.small_ids[1]}/0/0/?tile=0,0,0,256,256&c=1|100:4000$0000FF&m=c"
    _on_every_worker(server, warm_up, headers)
    for fmt, image_id in BIG_IDS.items():
        workload = iviewer.get(f"iviewer-{fmt}")
        if workload is None:
            continue
        files = data.files(image_id)
        for path in files:  # posix_fadvise(DONTNEED): leaves everyone else's page cache alone
            drop_cache(str(path))
        path = next(p for p in workload.paths if "tile=0," in p)
        entry = {"path": path, "resident_bytes_before": resident_bytes(files)}
        entry.update(_timed_get(server, path, headers, "cold"))
        _on_every_worker(server, path, headers)  # every worker has now opened it and built its tables
        entry.update(_warm_get(server, path, headers))
        out[fmt] = entry
    return out


def cold_rounds(server: GunicornServer, data: BenchData, headers: dict[str, str], iviewer: dict[str, Workload],
                rounds: int, new_session: Callable[[], dict[str, str]] | None = None) -> dict:
    """:func:`cold_first_tiles` ``rounds`` times, each round after the first with new workers
    (gunicorn's ``HUP``) and, hosted, a new session (so the descriptor is not in Redis's cache
    either); per format, the round with the median cold time, with every round's time beside it.

    One cold request is one sample on a shared machine: a single round once measured 146 ms
    with 14 ms of CPU where the other deployments took 17 ms (docs/benchmarks.md, finding 27).
    """
    results = []
    for index in range(max(1, rounds)):
        if index:
            server.renew_workers()
            headers = new_session() if new_session is not None else headers
        results.append(cold_first_tiles(server, data, headers, iviewer))
    out = dict(results[0])
    out["first_request_of_process_ms"] = [r["first_request_of_process_ms"] for r in results]
    for fmt in BIG_IDS:
        entries = sorted((r[fmt] for r in results if fmt in r), key=lambda entry: entry["cold_ms"])
        if entries:
            out[fmt] = {**entries[len(entries) // 2], "cold_rounds_ms": [r[fmt]["cold_ms"] for r in results if fmt in r]}
    return out


class ServerLost(RuntimeError):
    """The server or one of its workers went away during a measurement (the point is void)."""


#: warm-up rounds go on until every worker has probably answered every path (this many answers
#: per path and worker) and the rate no longer climbs by more than ``WARM_GAIN``: a workload whose
#: first pass decodes what later passes reuse (OMERO ``_pyramid`` tiles: 130–160 ms each,
#: finding 5) is not warm after one round, and its first point would measure the decoding
WARM_PASSES = 2
WARM_GAIN = 1.2
MAX_WARMUP_ROUNDS = 20


def warm_up(options: Options, server: GunicornServer, workload: Workload, workers: int,
            headers: dict[str, str]) -> list[float]:
    """Rounds of load at ``workers`` connections until the workload is warm (see above); their rates."""
    rates: list[float] = []
    answered, enough = 0, WARM_PASSES * len(set(workload.paths)) * workers
    while len(rates) < (1 if options.quick else MAX_WARMUP_ROUNDS):
        result = run_wrk(server.port, workload.paths, workers, options.warmup_seconds, headers)
        rates.append(result["rps"])
        answered += result["requests"]
        if answered >= enough and len(rates) > 1 and rates[-1] < WARM_GAIN * rates[-2]:
            break
    return rates


def sweep(options: Options, server: GunicornServer, deployment: Deployment, workload: Workload,
          headers: dict[str, str], extra_pids: dict[str, list[int]], warmup: dict[str, list[float]]) -> list[dict]:
    """Warm up (the rounds' rates go to ``warmup``), then measure every planned concurrency level."""
    rates = warmup[workload.name] = warm_up(options, server, workload, deployment.workers, headers)
    levels, seconds = plan_points(options, workload, deployment, rates[-1])
    points = []
    for connections in levels:
        workers = set(server.worker_pids())
        point = measure(server, workload, connections, seconds, headers, extra_pids)
        if server.proc.poll() is not None or set(server.worker_pids()) != workers:
            raise ServerLost(f"gunicorn master or a worker went away at c={connections} "
                             f"(master status {server.proc.poll()}): {server.log_tail(3).strip()}")
        points.append(point)
        lat = point["latency_ms"]
        print(f"  {workload.name:18s} c={connections:<3d} {point['rps']:8.1f} req/s  p50 {lat['p50']:7.2f}  "
              f"p99 {lat['p99']:7.2f} ms  cpu {point['cpu_ms_per_request']:6.2f} ms/req  "
              f"non2xx {point['non2xx']}  errors {sum(point['errors'].values())}  steal {point['steal_pct']}%", flush=True)
    return points


def _timed_get(server: GunicornServer, path: str, headers: dict[str, str], label: str) -> dict:
    t0 = time.perf_counter()
    status, response_headers, _ = server.get(path, headers)
    return {f"{label}_ms": round((time.perf_counter() - t0) * 1000.0, 2), f"{label}_status": status,
            f"{label}_server_timing": response_headers.get("server-timing", "")}


#: the warm figure of a cold tile is the median of this many repeats
WARM_REPEATS = 5


def _warm_get(server: GunicornServer, path: str, headers: dict[str, str]) -> dict:
    """The tile again, :data:`WARM_REPEATS` times; the median is the warm figure (a worker the
    concurrent rounds missed still answers one repeat cold: 67 ms of 5 in one run)."""
    repeats = sorted((_timed_get(server, path, headers, "warm") for _ in range(WARM_REPEATS)),
                     key=lambda r: r["warm_ms"])
    median = dict(repeats[len(repeats) // 2])
    median["warm_repeats_ms"] = [r["warm_ms"] for r in repeats]
    return median


def _workloads_for(options: Options, workloads: list[Workload]) -> list[Workload]:
    if options.workloads is None:
        return workloads
    return [w for w in workloads if w.name in options.workloads]


def run(options: Options) -> dict:
    """Run everything the options ask for; returns the results document."""
    profile = QUICK if options.quick else FULL
    data = ensure_data(profile)
    workloads = _workloads_for(options, build_workloads(data))
    iviewer = {w.name: w for w in workloads if w.name.startswith("iviewer-")}
    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "loadavg_start": loadavg(),
        "options": asdict(options),
        "data": {"profile": asdict(profile), "folder": str(data.folder)},
        "workloads": {w.name: {"paths": len(w.paths), "kind": w.kind, "note": w.note, "example": w.paths[0]}
                      for w in workloads},
        "deployments": {},
        "skipped": {},
    }
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer())
        for name in options.deployments:
            deployment = parse_deployment(name, options.workers, options.threads)
            if deployment.mode == "hosted":
                reason = hosted_unavailable()
                if reason:
                    results["skipped"][deployment.name] = reason
                    print(f"benchmarks: skipping {deployment.name}: {reason}", flush=True)
                    continue
            results["deployments"][deployment.name] = run_deployment(options, deployment, data, workloads, iviewer, redis)
        if options.floor:
            results["floor"] = run_floors(options, data, workloads)
            results["http_floor"] = measure_http_floor(options.workers, 2 * options.workers, options.seconds,
                                                       options.threads)
            print("benchmarks: HTTP floor (gunicorn, empty app) "
                  + ", ".join(f"{k} {v['cpu_ms_per_request']:.3f} ms/req" for k, v in results["http_floor"].items()
                              if isinstance(v, dict)), flush=True)
    results["loadavg_end"] = loadavg()
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return results


def run_deployment(options: Options, deployment: Deployment, data: BenchData, workloads: list[Workload],
                   iviewer: dict[str, Workload], redis: RedisServer) -> dict:
    print(f"benchmarks: {deployment.name}", flush=True)
    out: dict = {"deployment": asdict(deployment), "workloads": {}, "skipped": {}}
    with contextlib.ExitStack() as stack:
        if deployment.mode == "hosted":
            hosted = stack.enter_context(HostedSetup(data, redis))
            env, headers, wsgi = hosted.env, hosted.headers(), hosted.wsgi
            extra_pids = {"redis": [redis.pid], **hosted.extra_pids()}
        else:
            env, headers, extra_pids, hosted, wsgi = standalone_env(data), {}, {}, None, None
        def start_server() -> GunicornServer:
            started = GunicornServer(deployment, env, wsgi=wsgi).start()
            stack.push(started)
            return started

        server = start_server()
        if options.cold:
            new_session = (lambda: hosted.headers(hosted.login())) if hosted is not None else None
            out["cold"] = cold_rounds(server, data, headers, iviewer, options.cold_rounds, new_session)
            if hosted is not None:
                out["cold_session"] = hosted.cold_session(server, iviewer)
        for workload in workloads:
            reason = probe(server, workload, headers)
            if hosted is not None and not reason:
                calls = ice_calls_per_request(server, workload, headers, hosted)
                out.setdefault("ice_calls_per_warm_request", {})[workload.name] = calls
                out.setdefault("redis_calls_per_warm_request", {})[workload.name] = redis_calls_per_request(
                    server, workload, headers, redis)
                if calls > 2:
                    reason = f"{calls} Ice calls per warm request: answered by the stock view, not the app"
            if reason:
                out["skipped"][workload.name] = reason
                print(f"  {workload.name}: skipped ({reason})", flush=True)
                continue
            for attempt in (1, 2):
                try:
                    out["workloads"][workload.name] = sweep(options, server, deployment, workload, headers, extra_pids,
                                                           out.setdefault("warmup_rps", {}))
                    break
                except ServerLost as exc:
                    out.setdefault("incidents", []).append(f"{workload.name}: {exc}")
                    print(f"  {workload.name}: {exc}; restarting the server", flush=True)
                    server.stop()
                    server = start_server()
        thumbs = next((w for w in workloads if w.name == "render_thumbnail"), None)
        if options.ab and thumbs is not None and "render_thumbnail" not in out["skipped"]:
            out["ab"] = []
            cookie = headers.get("Cookie")
            for concurrency in options.ab_concurrency:
                sampler = ProcessSampler({"workers": server.worker_pids()})
                sampler.start()
                result = run_ab(server.port, thumbs.paths[0], options.ab_requests, concurrency,
                                time_limit=120 if not options.quick else 20, cookie=cookie)
                usage = sampler.stop()["workers"]
                result["cpu_ms_per_request"] = round(usage["cpu_s"] * 1000.0 / max(1, result["complete"] or 1), 3)
                out["ab"].append(result)
                print(f"  ab render_thumbnail -c {concurrency}: {result['rps']} req/s, mean {result['mean_ms']} ms, "
                      f"failed {result['failed']}, non2xx {result['non2xx']}", flush=True)
        if hosted is not None:  # whether OMERO.web's handler was wrapped (logged once per worker)
            out["hosted_front"] = HOSTED_FRONT_LOG in server.log_tail(2000) + hosted.web_log()
        out["worker_rss_mib_end"] = ProcessSampler({"w": server.worker_pids()}).stop()["w"]["rss_mib"]
        overhead = next((w for w in workloads if w.name == OVERHEAD_WORKLOAD), None)
        if options.floor and overhead is not None and overhead.name in out["workloads"]:
            out["paired_overhead"] = paired_overhead(options, server, overhead, headers, extra_pids, data)
        if hosted is not None and options.floor and deployment.worker_class == _in_process_twin(options):
            out["wsgi_floor"] = hosted_wsgi_floor(options, hosted, workloads, out["skipped"])
    return out


#: what a keep-alive worker logs when it answers the render URLs through the hosted front
HOSTED_FRONT_LOG = "answered through the hosted front"

#: the workload whose served CPU per request is set against the in-process floor (the 15 % target)
OVERHEAD_WORKLOAD = "iviewer-ngff"


def paired_overhead(options: Options, server: GunicornServer, workload: Workload, headers: dict[str, str],
                    extra_pids: dict[str, list[int]], data: BenchData) -> dict:
    """Served CPU per request against the in-process floor, measured in alternation.

    The machine is shared: a floor measured twenty minutes after the load points can see a
    different machine (we saw the same stages vary by 30 % between runs). Here each round is a
    floor run (fresh process, stages) right next to two served runs: wrk at 2× workers (what the
    target is judged on; their p50 and p99 are kept for the tail target too) and at 8× workers,
    where the workers never wait for the next request, as the floor's loop never does. Each round gives its own ratio (served over the floor beside
    it) and the overhead is the median of those ratios, so a floor taken while the machine was
    slow is compared with the served runs of that moment, not of another round. The 2× run also
    carries the in-situ floor (the ``Server-Timing`` cpu wrk's script reads): the CPU the same
    workers spent producing each image, at the same moment, so its ratio is free of drift.
    """
    floors, served, saturated, in_situ, latencies = [], [], [], [], []
    loaded = SATURATING_CONNECTIONS_PER_WORKER * options.workers
    for _ in range(options.overhead_pairs):
        stages = run_floor("stages", _floor_paths(workload), standalone_env(data), options.floor_rounds,
                           catalog=str(data.catalog))
        floors.append(stages["cpu_ms"]["total"]["mean"])
        point = measure(server, workload, 2 * options.workers, options.seconds, headers, extra_pids, in_situ=True)
        served.append(point["cpu_ms_per_request"])
        latencies.append({key: point["latency_ms"][key] for key in ("p50", "p99")})
        if point["in_situ"]["cpu_ms"]:
            in_situ.append(point["in_situ"]["cpu_ms"])
        saturated.append(measure(server, workload, loaded, options.seconds, headers, extra_pids)["cpu_ms_per_request"])
    floor, serve, busy = (statistics.median(values) for values in (floors, served, saturated))
    result = {"workload": workload.name, "connections": 2 * options.workers, "floor_ms": floors, "served_ms": served,
              "floor_median_ms": round(floor, 3), "served_median_ms": round(serve, 3),
              "latency_ms": latencies,  # each 2× run's p50 and p99: the tail target's further samples
              "overhead_pct": round_pct(paired_ratio(served, floors)),
              "saturated": {"connections": loaded, "served_ms": saturated, "served_median_ms": round(busy, 3),
                            "overhead_pct": round_pct(paired_ratio(saturated, floors))}}
    line = (f"  overhead {workload.name}: served {serve:.2f} vs floor {floor:.2f} ms/req "
            f"({result['overhead_pct']:+.0f}%; saturated {busy:.2f} ms, {result['saturated']['overhead_pct']:+.0f}%")
    if len(in_situ) == len(served):
        # the served CPU per request over the same workers' image CPU, the same moment
        result["in_situ"] = {"floor_ms": in_situ, "floor_median_ms": round(statistics.median(in_situ), 3),
                             "overhead_pct": round_pct(paired_ratio(served, in_situ))}
        line += f"; in situ {result['in_situ']['floor_median_ms']:.2f} ms, {result['in_situ']['overhead_pct']:+.0f}%"
    print(line + f"; {len(floors)} alternating rounds)", flush=True)
    return result


def paired_ratio(measured: list[float], floors: list[float]) -> float:
    """The median over rounds of each round's ``measured / floor - 1``."""
    return statistics.median(m / f - 1.0 for m, f in zip(measured, floors))


def round_pct(ratio: float) -> float:
    return round(ratio * 100.0, 1)


#: connections per worker that keep every worker busy (the saturated overhead measurement)
SATURATING_CONNECTIONS_PER_WORKER = 8


def _floor_paths(workload: Workload) -> list[str]:
    step = max(1, len(workload.paths) // FLOOR_PATHS)
    return workload.paths[::step]


def hosted_wsgi_floor(options: Options, hosted, workloads: list[Workload], skipped: dict) -> dict:
    """OMERO.web + session + descriptor cache + the app, called in process (no gunicorn, no socket)."""
    out = {}
    for workload in workloads:
        if workload.name in skipped or workload.name not in HOSTED_FLOOR_WORKLOADS:
            continue
        out[workload.name] = run_floor("wsgi", _floor_paths(workload), hosted.env, options.floor_rounds,
                                       cookie=hosted.headers()["Cookie"])
        print(f"  {workload.name:18s} hosted WSGI in process {out[workload.name]['cpu_ms']['mean']:.2f} ms", flush=True)
    return out


#: the floor walks at most about this many of a workload's paths (evenly spaced)
FLOOR_PATHS = 60
HOSTED_FLOOR_WORKLOADS = ("tile-ngff-3ch", "iviewer-ngff", "render_thumbnail", "histogram_json")


def run_floors(options: Options, data: BenchData, workloads: list[Workload]) -> dict:
    """The in-process floor of every workload (stages for region workloads, WSGI for all)."""
    print("benchmarks: in-process floor", flush=True)
    out: dict = {}
    env = standalone_env(data)
    for workload in workloads:
        entry: dict = {}
        paths = _floor_paths(workload)
        if workload.kind == "region":
            entry["stages"] = run_floor("stages", paths, env, options.floor_rounds, catalog=str(data.catalog))
        wsgi = run_floor("wsgi", paths, env, options.floor_rounds)
        if wsgi["statuses"] and all(code.startswith("2") for code in wsgi["statuses"]):
            entry["wsgi_standalone"] = wsgi
        else:
            entry["wsgi_standalone_skipped"] = wsgi["statuses"]
        out[workload.name] = entry
        stages = entry.get("stages", {}).get("cpu_ms", {})
        print(f"  {workload.name:18s} stages total {stages.get('total', {}).get('mean', '-')} ms  "
              f"wsgi {entry.get('wsgi_standalone', {}).get('cpu_ms', {}).get('mean', '-')} ms", flush=True)
    return out


def results_path(results: dict, folder: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kind = "quick" if results["options"]["quick"] else "full"
    return folder / f"{kind}-{stamp}.json"


def default_results_dir() -> Path:
    return Path(os.environ.get("OMERO_FAST_REGION_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
