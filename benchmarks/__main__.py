"""``python -m benchmarks``: the product through real gunicorn (and Redis), beside the in-process floor.

Writes ``benchmarks/results/<full|quick>-<time>.json`` (and ``…-latest.json``); with ``--docs``
also regenerates the tables and plot of ``docs/benchmarks.md``. ``--quick`` is the smoke
version: small data, 2 s of load, one concurrency.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from .runner import Options, default_results_dir, results_path, run


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v]


def _names(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 2 s of load, one concurrency (smoke run)")
    parser.add_argument("--seconds", type=float, help="load per measurement point (default 5, quick 2)")
    parser.add_argument("--concurrency", type=_ints, help="comma list (default 1,2,4,8,16,32; quick 2)")
    parser.add_argument("--workloads", type=_names, help="comma list of workload names (default: all)")
    parser.add_argument("--sweep", type=_names, help="workloads swept over every concurrency; others run at 2× workers "
                                                      "(default: all swept)")
    parser.add_argument("--deployments", type=_names,
                        help="comma list of (standalone|hosted)-(keepalive|sync|gthread) (default: all six)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--no-ab", action="store_true", help="skip the ab render_thumbnail runs")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold first-tile measurements")
    parser.add_argument("--cold-rounds", type=int, help="rounds of cold first tiles, each with new workers (default 3, quick 1)")
    parser.add_argument("--no-floor", action="store_true", help="skip the in-process floor")
    parser.add_argument("--out", help="results file (default benchmarks/results/<kind>-<time>.json)")
    parser.add_argument("--docs", action="store_true", help="regenerate docs/benchmarks.md tables and docs/benchmarks.png")
    return parser


def options_from(args: argparse.Namespace) -> Options:
    options = Options.quick_defaults() if args.quick else Options()
    for attr, value in (("seconds", args.seconds), ("concurrency", args.concurrency), ("workloads", args.workloads),
                        ("sweep_workloads", args.sweep), ("deployments", args.deployments),
                        ("cold_rounds", args.cold_rounds)):
        if value is not None:
            setattr(options, attr, value)
    options.workers, options.threads = args.workers, args.threads
    options.ab, options.cold, options.floor = not args.no_ab, not args.no_cold, not args.no_floor
    return options


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds the ExitStacks, so every server started is stopped


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    results = run(options_from(args))
    folder = default_results_dir()
    path = Path(args.out) if args.out else results_path(results, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1)
    path.write_text(text)
    (folder / f"{'quick' if args.quick else 'full'}-latest.json").write_text(text)
    print(f"benchmarks: results in {path}")
    if args.docs:
        from .report import write_docs

        write_docs(results)
    bad = [(d, w, p["connections"]) for d, dep in results["deployments"].items()
           for w, points in dep["workloads"].items() for p in points if p["non2xx"] or any(p["errors"].values())]
    if bad:
        print(f"benchmarks: non-2xx answers or socket errors in {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
