#!/usr/bin/env python3
"""Soak a standalone server at saturation: flat RSS, flat open files, no errors.

    scripts/soak.py --sample DIR [--seconds 600] [--clients 16] [--worker-class gthread]
    scripts/soak.py --catalog CATALOG.json ...

Starts ``omero-fast-region serve`` on a free loopback port (gthread workers by default), keeps
``--clients`` threads sending a realistic mix (tiles at every level of every format, whole planes,
projections, thumbnails, batch thumbnails, histograms, imgData, masks, and a share of bad
requests) as fast as the server answers, and samples every worker's RSS and open file
descriptors. After a warm-up (the first 20 % of the run), the last fifth of the samples must not
exceed the warm fifth by more than ``--rss-growth`` (fraction, plus 16 MiB) and ``--fd-growth``
descriptors. Prints a report; exit status 1 on any error, worker restart or growth.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz import Server, catalog_ids, check_response  # noqa: E402


def request_mix(image_ids: list[int], shape_ids: list[int], seed: int):
    """An endless, seeded stream of (path, expected-ok) pairs."""
    rng = random.Random(seed)
    while True:
        iid = rng.choice(image_ids)
        r = rng.random()
        if r < 0.45:
            level, x, y = rng.choice([0, 0, 0, 1, 2]), rng.randint(0, 3), rng.randint(0, 3)
            extra = rng.choice(["", "&c=1|0:255$FF0000", "&m=g", "&format=png", "&q=0.5", "&flip=h", "&c=1,-2"])
            yield f"/webgateway/render_image_region/{iid}/0/0/?tile={level},{x},{y}{extra}"
        elif r < 0.55:
            yield f"/webgateway/render_image_region/{iid}/0/0/?region={rng.randint(0, 30)},{rng.randint(0, 30)},64,64"
        elif r < 0.62:
            yield f"/webgateway/render_image/{iid}/" + rng.choice(["", "?p=intmax", "?p=intmean|0:3", "?c=1&m=c"])
        elif r < 0.72:
            yield f"/webgateway/render_thumbnail/{iid}/" + rng.choice(["", "64/", "128/96/"])
        elif r < 0.76:
            ids = "&".join(f"id={rng.choice(image_ids)}" for _ in range(rng.randint(1, 10)))
            yield f"/webgateway/get_thumbnails/?{ids}"
        elif r < 0.84:
            yield f"/webgateway/histogram_json/{iid}/channel/0/?bins={rng.choice([16, 256, 1024])}"
        elif r < 0.9:
            yield f"/webgateway/imgData/{iid}/"
        elif r < 0.93 and shape_ids:
            yield f"/webgateway/render_shape_mask/{rng.choice(shape_ids)}/"
        else:  # bad requests are part of real traffic too
            yield rng.choice([
                f"/webgateway/render_image_region/{iid}/0/0/?tile=0,a,b",
                f"/webgateway/render_image_region/{iid}/99/0/?tile=0,0,0",
                f"/webgateway/render_image_region/{iid}/0/0/?tile=0,0,0&maps=[{{",
                "/webgateway/render_image_region/987654/0/0/?tile=0,0,0",
                f"/webgateway/histogram_json/{iid}/channel/0/?bins=70000",
            ])


def proc_sample(pid: int) -> tuple[int, int] | None:
    """(RSS bytes, open fds) of a process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            rss = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))
        import os

        return rss, len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, StopIteration):
        return None


@dataclass
class SoakReport:
    seconds: float = 0.0
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, total rss, total fds)
    worker_sets: set[tuple[int, ...]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def judge(self, rss_growth: float, fd_growth: int) -> None:
        if self.errors:
            self.problems.append(f"{len(self.errors)} bad answers")
        if len(self.worker_sets) > 1:
            self.problems.append(f"workers changed during the run: {sorted(self.worker_sets)}")
        usable = [s for s in self.samples if s[0] >= 0.2 * self.seconds]
        if len(usable) < 5:
            self.problems.append("too few samples to judge growth")
            return
        fifth = max(1, len(usable) // 5)
        warm, last = usable[:fifth], usable[-fifth:]
        rss_warm, rss_last = statistics.median(s[1] for s in warm), statistics.median(s[1] for s in last)
        fd_warm, fd_last = max(s[2] for s in warm), max(s[2] for s in last)
        self.rss = (rss_warm, rss_last)
        self.fds = (fd_warm, fd_last)
        if rss_last > rss_warm * (1 + rss_growth) + 16 * 2**20:
            self.problems.append(f"RSS grew from {rss_warm / 2**20:.0f} MiB to {rss_last / 2**20:.0f} MiB")
        if fd_last > fd_warm + fd_growth:
            self.problems.append(f"open files grew from {fd_warm} to {fd_last}")

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"{self.requests} requests in {self.seconds:.0f} s ({self.requests / max(self.seconds, 1e-9):.0f}/s); "
               + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0])))]
        if hasattr(self, "rss"):
            out.append(f"workers' RSS (median): warm {self.rss[0] / 2**20:.1f} MiB -> end {self.rss[1] / 2**20:.1f} MiB; "
                       f"open files (max): warm {self.fds[0]} -> end {self.fds[1]}")
        out += [f"ERROR {e}" for e in self.errors[:20]]
        out += [f"PROBLEM {p}" for p in self.problems]
        return out


def run_soak(server: Server, image_ids: list[int], shape_ids: list[int], seconds: float, clients: int,
             seed: int = 1, sample_every: float = 1.0) -> SoakReport:
    report = SoakReport()
    lock = threading.Lock()
    started = time.monotonic()
    stop = started + seconds

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for path in request_mix(image_ids, shape_ids, seed * 1000 + index):
            if time.monotonic() >= stop:
                break
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                status, problem = response.status, check_response(response.status, response.getheader("Content-Type", ""), body)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except Exception as exc:  # noqa: BLE001 - a dropped connection is a finding
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
                status, problem = "error", f"{type(exc).__name__}: {exc}"
            with lock:
                report.requests += 1
                report.statuses[status] += 1
                if problem:
                    report.errors.append(f"{problem}: {path}")
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    while time.monotonic() < stop:
        pids = tuple(sorted(server.worker_pids()))
        report.worker_sets.add(pids)
        values = [proc_sample(pid) for pid in pids]
        if pids and all(values):
            report.samples.append((time.monotonic() - started, sum(v[0] for v in values), sum(v[1] for v in values)))
        time.sleep(sample_every)
    for thread in threads:
        thread.join(timeout=150)
    report.seconds = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--catalog")
    source.add_argument("--sample", help="write the hardening image set here (once) and serve it")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", default="gthread", choices=["keepalive", "sync", "gthread", "gevent"])
    parser.add_argument("--rss-growth", type=float, default=0.10)
    parser.add_argument("--fd-growth", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    catalog = args.catalog
    if args.sample:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.hardening.imageset import write_image_set

        catalog = str(write_image_set(args.sample))
    image_ids, shape_ids = catalog_ids(catalog)
    with Server(catalog, args.worker_class, args.workers, args.threads) as server:
        report = run_soak(server, image_ids, shape_ids, args.seconds, args.clients, args.seed)
    report.judge(args.rss_growth, args.fd_growth)
    for line in report.lines():
        print(line)
    print("soak: OK" if report.ok else "soak: FAILED")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
