"""``omero-fast-region``: the command line (DESIGN.md §6, a contract).

demo | serve | render | nginx | check. Catalog problems are one clear line on stderr and exit
status 2; ``render`` exits 0 iff every answer is 2xx.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from .errors import CatalogError
from .worker_env import pin_library_threads

STANDALONE_SETTINGS = "omero_fast_region.standalone_settings"


def _use_catalog(path: str) -> str:
    """Validate the catalog (exit 2 with one line on failure) and point standalone Django at it."""
    from .catalog.local import LocalCatalog

    path = os.path.abspath(path)
    try:
        LocalCatalog(path)
    except CatalogError as exc:
        print(f"omero-fast-region: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    os.environ["OMERO_FAST_REGION_CATALOG"] = "local:" + path
    os.environ["DJANGO_SETTINGS_MODULE"] = STANDALONE_SETTINGS
    return path


def cmd_render(args: argparse.Namespace) -> int:
    """Run URL paths through the same Django view stack ``serve`` uses, in process."""
    _use_catalog(args.catalog)
    import django

    django.setup()
    from django.test import Client

    client = Client(raise_request_exception=False)
    ok = True
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
    for i, url in enumerate(args.urls):
        response = client.get(url)
        body = b"".join(response) if response.streaming else response.content
        content_type = response.get("Content-Type", "")
        ok = ok and 200 <= response.status_code < 300
        if args.out_dir:
            with open(os.path.join(args.out_dir, str(i)), "wb") as fh:
                fh.write(body)
            print(f"{i} {response.status_code} {content_type}")
        elif len(args.urls) == 1:
            sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            if response.status_code >= 300:
                print(f"{response.status_code} {content_type}", file=sys.stderr)
        else:
            print(f"{i} {response.status_code} {content_type}")
    return 0 if ok else 1


#: the worker class ``serve`` runs with one thread per worker and keep-alive on
KEEPALIVE_WORKER = "omero_fast_region.keepalive_worker.KeepAliveWorker"
#: seconds an idle client connection stays open by default (gunicorn's own default)
DEFAULT_KEEPALIVE_S = 2


def gunicorn_argv(bind: str, workers: int, threads: int, extra: Sequence[str] = (),
                  keepalive: int = DEFAULT_KEEPALIVE_S) -> list[str]:
    """The gunicorn command line of standalone mode.

    One thread per worker: :class:`~omero_fast_region.keepalive_worker.KeepAliveWorker` (gunicorn's
    ``sync`` worker when ``keepalive`` is 0); more than one: ``gthread``.
    """
    argv = [
        sys.executable, "-m", "gunicorn", "omero_fast_region.wsgi:application",
        "--bind", bind, "--workers", str(workers), "--access-logfile", "-",
        # gunicorn >= 23 opens one control socket per user; two servers would fight over it
        "--no-control-socket",
        "--keep-alive", str(keepalive),
    ]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    elif keepalive > 0:
        argv += ["--worker-class", KEEPALIVE_WORKER]
    return argv + list(extra)


def _keepalive_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keepalive", type=int, default=DEFAULT_KEEPALIVE_S, metavar="SECONDS",
                        help="seconds an idle client connection stays open (default %(default)s; "
                             "0: a connection per request, gunicorn's sync worker)")


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a catalog through gunicorn (replaces this process)."""
    _use_catalog(args.catalog)
    pin_library_threads(os.environ)  # before the workers import numpy
    argv = gunicorn_argv(args.bind, args.workers, args.threads, keepalive=args.keepalive)
    host, _, port = args.bind.rpartition(":")
    print(f"omero-fast-region: serving {args.catalog} at http://{host or '127.0.0.1'}:{port}/", flush=True)
    os.execv(sys.executable, argv)
    return 0  # not reached


def cmd_demo(args: argparse.Namespace) -> int:
    """Write the sample image set (once) and serve it."""
    from .sample.demo import ensure_demo_data

    data = os.path.abspath(args.data)
    print(f"omero-fast-region: preparing the sample image set in {data} ...", flush=True)
    catalog = ensure_demo_data(data)
    args.catalog = catalog
    args.bind = f"{args.host}:{args.port}"
    return cmd_serve(args)


def cmd_nginx(args: argparse.Namespace) -> int:
    from .nginx import nginx_location

    print(nginx_location(prefix=args.prefix, upstream=args.upstream))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_check

    return run_check(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omero-fast-region", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("demo", help="write the sample image set if missing, serve it standalone, print the URL")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--data", default="demo-data", help="folder of the sample image set (default: ./demo-data)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    _keepalive_argument(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve a local catalog through gunicorn (standalone mode)")
    p.add_argument("--catalog", required=True)
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="threads per worker (more than 1: gthread workers)")
    _keepalive_argument(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("render", help="run URL paths through the view stack in process")
    p.add_argument("--catalog", required=True)
    p.add_argument("--out-dir")
    p.add_argument("urls", nargs="+", metavar="URL")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("nginx", help="print the nginx location block routing the render URLs to this app")
    p.add_argument("--prefix", default=None, help="omero.web.prefix (default: read from OMERO.web's config)")
    p.add_argument("--upstream", default=None, help="the nginx upstream name of OMERO.web (default: as `omero web config nginx` names it)")
    p.set_defaults(func=cmd_nginx)

    p = sub.add_parser("check", help="inside an OMERO.web install: report settings, session engine, data access, mounting")
    from .check import add_arguments

    add_arguments(p)
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
