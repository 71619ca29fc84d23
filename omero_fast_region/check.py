"""``omero-fast-region check``: one screen a sysadmin can paste into a forum post.

Versions, resolved settings, session engine and caches (with Redis reachability), which way
the render URLs are mounted, data directory access with one example per pixel format, LUTs, and
optionally an OMERO server join (``--server/--port/--user/--password`` or ``OMERO_SERVER``,
``OMERO_PORT``, ``OMERO_USER``, ``OMERO_PASSWORD``). With ``--catalog FILE`` it checks a local
catalog instead (standalone mode): every image is opened and one pixel read. Exit status 0
when healthy, 1 when any line says FAIL (the reasons are repeated at the end).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from .cli import KEEPALIVE_WORKER

APP = "omero_fast_region"
MIDDLEWARE = "omero_fast_region.middleware.FastRenderMiddleware"
STANDALONE_SETTINGS = "omero_fast_region.standalone_settings"
DISTRIBUTIONS = ("omero-fast-region", "Django", "numpy", "zarr", "tifffile", "imagecodecs", "Pillow",
                 "gunicorn", "django-redis", "redis", "omero-py", "omero-web", "zeroc-ice")
PROBE_PATH = "/webgateway/render_image_region/1/0/0/"
SCAN_ENTRIES = 2000  # directory entries looked at per scanned tree, at most
SCAN_DEPTH = 6  # ManagedRepository/<user>_<id>/<yyyy-mm>/<dd>/<time>/<file>
CATALOG_IMAGES = 200  # images opened in --catalog mode, at most
MARKS = {"ok": "ok", "info": "--", "warn": "WARN", "fail": "FAIL"}


@dataclass
class Report:
    """Findings grouped by section, printed in order; any ``fail`` makes the check unhealthy."""

    lines: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, section: str, label: str, value: object, level: str = "info") -> None:
        self.lines.append((section, label, str(value), level))

    def of_level(self, level: str) -> list[tuple[str, str, str, str]]:
        return [line for line in self.lines if line[3] == level]

    def render(self) -> str:
        from . import __version__

        out = [f"omero-fast-region check {__version__}"]
        section = None
        for name, label, value, level in self.lines:
            if name != section:
                out.append(f"[{name}]")
                section = name
            out.append(f"  {MARKS[level]:<4} {label:<24} {value}".rstrip())
        failures, warnings = self.of_level("fail"), self.of_level("warn")
        out.append("[result]")
        if failures:
            out.append(f"  FAIL {len(failures)} problem(s), {len(warnings)} warning(s):")
        else:
            out.append(f"  ok   healthy ({len(warnings)} warning(s))")
        out += [f"       - {MARKS[lv]} {sec} / {label}: {value}" for sec, label, value, lv in failures + warnings]
        return "\n".join(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``check`` sub-command's options (used by ``cli.build_parser``)."""
    parser.add_argument("--catalog", help="check a local catalog (standalone mode) instead of an OMERO.web install")
    parser.add_argument("--server", default=os.environ.get("OMERO_SERVER"), help="OMERO server for the join test (env OMERO_SERVER; default: omero.web.server_list)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("OMERO_PORT", "0") or 0) or None, help="OMERO server port (env OMERO_PORT)")
    parser.add_argument("--user", default=os.environ.get("OMERO_USER"), help="user for the join test (env OMERO_USER)")
    parser.add_argument("--password", default=os.environ.get("OMERO_PASSWORD"), help="password (env OMERO_PASSWORD)")


def run_check(args: argparse.Namespace) -> int:
    """Print the report; 0 when healthy, 1 otherwise."""
    report = Report()
    catalog = getattr(args, "catalog", None)
    check_versions(report)
    settings_module = configure_django(report, catalog)
    check_settings(report)
    if settings_module:
        standalone = catalog is not None or settings_module == STANDALONE_SETTINGS
        check_sessions_and_caches(report, standalone=standalone)
        check_mounting(report)
        if not standalone:
            check_worker_class(report)
    if catalog:
        check_catalog(report, catalog)
    else:
        check_data_dir(report)
    check_luts(report, catalog)
    check_omero_join(report, args)
    print(report.render(), flush=True)
    return 1 if report.of_level("fail") else 0


# -- environment ------------------------------------------------------------------------

def check_versions(report: Report) -> None:
    report.add("versions", "python", f"{platform.python_version()} ({platform.python_implementation()}, {platform.system()} {platform.machine()})")
    for dist in DISTRIBUTIONS:
        try:
            report.add("versions", dist, importlib.metadata.version(dist))
        except importlib.metadata.PackageNotFoundError:
            report.add("versions", dist, "not installed")


def configure_django(report: Report, catalog: str | None) -> str | None:
    """Set Django up if nobody has: ``omeroweb.settings`` when importable (and OMERODIR is set),
    else the standalone settings; returns the settings module in use, None when it failed."""
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        if catalog:
            os.environ["OMERO_FAST_REGION_CATALOG"] = "local:" + os.path.abspath(catalog)
            os.environ["DJANGO_SETTINGS_MODULE"] = STANDALONE_SETTINGS
        elif os.environ.get("OMERODIR") and importlib.util.find_spec("omeroweb") is not None:
            os.environ["DJANGO_SETTINGS_MODULE"] = "omeroweb.settings"
        else:
            os.environ["DJANGO_SETTINGS_MODULE"] = STANDALONE_SETTINGS
    module = os.environ.get("DJANGO_SETTINGS_MODULE") or "configured in process"
    try:
        import django

        django.setup()
        module = getattr(settings, "SETTINGS_MODULE", None) or module
    except Exception as exc:  # e.g. omeroweb.settings without a readable OMERODIR
        report.add("django", "settings", f"{module}: cannot be loaded ({type(exc).__name__}: {exc})", "fail")
        return None
    report.add("django", "settings", module)
    report.add("django", "OMERODIR", os.environ.get("OMERODIR") or "(not set)")
    return module


def check_settings(report: Report) -> None:
    from . import settings as app_settings
    from .config import get_config, reset_config

    reset_config()
    try:
        config = get_config()
    except Exception as exc:
        report.add("settings", "omero.web.fast_region.*", f"invalid: {exc}", "fail")
        return
    for name, (default, _parser, _doc) in app_settings.SETTINGS.items():
        value = getattr(config, name, config.extra.get(name, default))
        shown = list(value) if isinstance(value, tuple) else value
        same = shown == default or (isinstance(default, list) and list(shown or []) == default)
        report.add("settings", name, f"{shown!r}{'' if not same else '  (default)'}")
    if config.standalone:
        report.add("settings", "mode", "standalone (local catalog, no OMERO server)")


# -- Django: sessions, caches, mounting --------------------------------------------------

SHARED_CACHES = ("redis", "memcached", "pylibmc", "db.databasecache", "filebased")


def _cache_backend(alias: str) -> str:
    from django.conf import settings

    return (settings.CACHES.get(alias) or {}).get("BACKEND", "(not configured)")


def _is_shared(backend: str) -> bool:
    return any(kind in backend.lower() for kind in SHARED_CACHES)


def check_sessions_and_caches(report: Report, standalone: bool) -> None:
    from django.conf import settings

    workers = getattr(settings, "WSGI_WORKERS", None)
    engine = getattr(settings, "SESSION_ENGINE", "")
    many = workers is None or int(workers) > 1
    report.add("sessions", "workers", workers if workers is not None else "(unknown; gunicorn --workers)")
    session_alias = getattr(settings, "SESSION_CACHE_ALIAS", "default")
    if standalone:
        report.add("sessions", "session engine", "not used (standalone mode serves everyone)")
    elif engine.endswith((".cache", ".cached_db")):
        backend = _cache_backend(session_alias)
        if _is_shared(backend):
            report.add("sessions", "session engine", f"{engine} on {backend}", "ok")
        else:
            level = "fail" if engine.endswith(".cache") and many else "warn"
            report.add("sessions", "session engine", f"{engine} on {backend}: not shared between worker processes; "
                       "use Redis (omero.web.caches + django_redis)", level)
    elif engine.endswith(("file", "filesessionstore", ".db", "signed_cookies")):
        report.add("sessions", "session engine", f"{engine}: shared between the workers of this host; "
                   "Redis recommended for speed and for several hosts", "ok")
    else:
        report.add("sessions", "session engine", engine or "(none)", "warn")
    backend = _cache_backend("default")
    if standalone:
        report.add("sessions", "default cache", backend)
    elif "dummy" in backend.lower():
        report.add("sessions", "default cache", f"{backend}: the metadata cache is off, every request asks the OMERO "
                   "server; set omero.web.caches to Redis", "warn")
    elif not _is_shared(backend) and many:
        report.add("sessions", "default cache", f"{backend}: one cache per worker process (fewer hits); Redis recommended", "info")
    else:
        report.add("sessions", "default cache", backend, "ok")
    aliases = {"default"} | ({session_alias} if engine.endswith((".cache", ".cached_db")) and not standalone else set())
    for alias in sorted(aliases):
        if "redis" in _cache_backend(alias).lower():
            ok, detail = probe_cache(alias)
            report.add("sessions", f"redis ({alias})", detail, "ok" if ok else "fail")
    if not standalone and engine.endswith(".cache"):
        report.add("sessions", "session tracking", *probe_session_tracking())


def probe_session_tracking(seconds: float = 5.0) -> tuple[str, str]:
    """Whether session reads use the tracked Redis connection (``sessions.py``): (detail, level)."""
    from .config import get_config
    from .sessions import build_tracked_sessions

    if not get_config().session_tracking:
        return "off (session_tracking): one Redis read per request, as stock", "info"
    reader = build_tracked_sessions()
    if reader is None:
        return ("not used: needs the cache session engine on django-redis with one server; "
                "one session read per request, as stock"), "info"
    ok, detail = _bounded(lambda: reader.values.get("omero_fast_region:check"), seconds)
    reader.values.close()
    if ok:
        return "on: Redis pushes session changes (logout, expiry) to each worker's copy", "ok"
    return (f"Redis did not accept client tracking ({detail}); sessions are read once per request, "
            "which costs a loaded tile 5-10 %"), "warn"


def _bounded(fn: Callable[[], Any], seconds: float) -> tuple[bool, Any]:
    """Run ``fn`` in a daemon thread; (False, "timed out") when it takes longer than ``seconds``."""
    result: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            result.append((True, fn()))
        except Exception as exc:
            result.append((False, f"{type(exc).__name__}: {exc}"))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    return result[0] if result else (False, f"timed out after {seconds:.0f} s")


def probe_cache(alias: str, seconds: float = 5.0) -> tuple[bool, str]:
    """Write, read and delete one key in the cache ``alias``."""
    from django.core.cache import caches

    def probe() -> str:
        cache = caches[alias]
        cache.set("omero_fast_region:check", "1", 10)
        value = cache.get("omero_fast_region:check")
        cache.delete("omero_fast_region:check")
        return "reachable" if value in ("1", b"1") else "reachable, but a written key was not read back"

    ok, detail = _bounded(probe, seconds)
    return ok and detail == "reachable", detail if ok else f"unreachable: {detail}"


def _listed(value: Any, item: str) -> bool:
    return any(str(entry) == item or str(entry).startswith(item + ".") for entry in (value or ()))


def check_worker_class(report: Report) -> None:
    """The gunicorn worker ``omero web start`` will run (docs/install.md#workers): with
    ``omero.web.wsgi_threads`` above 1 and no worker class in ``wsgi_args``, gunicorn turns ``sync``
    into its threaded worker."""
    from django.conf import settings

    worker_class = str(getattr(settings, "WSGI_WORKER_CLASS", "sync"))
    args = str(getattr(settings, "WSGI_ARGS", "") or "")
    threads = int(getattr(settings, "WSGI_THREADS", 1) or 1)
    faster = f"'--worker-class {KEEPALIVE_WORKER}' in omero.web.wsgi_args is faster (docs/install.md#workers)"
    if worker_class not in ("sync", "gevent"):
        report.add("mounting", "worker class", f"omero.web.wsgi_worker_class {worker_class}: `omero web start` accepts "
                   f"only sync or gevent (error 609); give '--worker-class {KEEPALIVE_WORKER}' in "
                   "omero.web.wsgi_args instead", "fail")
    elif KEEPALIVE_WORKER in args:
        unused = f"; one thread per worker, omero.web.wsgi_threads {threads} is not used" if threads > 1 else ""
        report.add("mounting", "worker class", f"{KEEPALIVE_WORKER} (from omero.web.wsgi_args): kept connections, "
                   f"{front_and_lane()}{unused}", "ok")
    elif worker_class == "sync" and threads > 1 and "--worker-class" not in args and "-k " not in args:
        report.add("mounting", "worker class", f"gthread (sync with omero.web.wsgi_threads {threads}): {front_and_lane()}; "
                   f"about 0.3 ms more CPU per tile than one thread per worker, and a longer latency tail; {faster}", "info")
    else:
        report.add("mounting", "worker class", f"{worker_class}: a connection per request, {front_and_lane()}; {faster}",
                   "info")


def front_and_lane() -> str:
    """Whether OMERO.web's application answers the render URLs through the hosted front and its
    tile lane (``wsgi_front``: under any worker), and if not, why."""
    from django.core.handlers.wsgi import WSGIHandler

    from .config import get_config
    from .hosted_front import handler_is_djangos
    from .tile_lane import hosted_lane_refusal

    if not get_config().hosted_front:
        return "hosted front off (hosted_front false), tile lane off"
    if not handler_is_djangos(WSGIHandler):
        return "hosted front off (Django's WSGIHandler methods are wrapped, e.g. by an APM agent), tile lane off"
    refusal = hosted_lane_refusal()
    lane = "on" if refusal is None else f"off ({refusal}; tiles take the front's cycle)"
    return f"hosted front on, tile lane {lane}"


def check_mounting(report: Report) -> None:
    """Which of DESIGN.md §7's ways actually routes the render URLs to this app."""
    from django.conf import settings
    from django.urls import resolve

    installed = _listed(settings.INSTALLED_APPS, APP)
    middleware = MIDDLEWARE in (settings.MIDDLEWARE or ())
    root_app = getattr(settings, "OMEROWEB_ROOT_APPLICATION", None)
    report.add("mounting", "app in INSTALLED_APPS", "yes" if installed else "no  (omero config append omero.web.apps '\"omero_fast_region\"')",
               "ok" if installed else "fail")
    report.add("mounting", "middleware", "yes" if middleware else "no")
    if root_app is not None:
        report.add("mounting", "root_application", repr(root_app) + ("  (this app)" if root_app == APP else ""))
    if middleware:
        order = list(settings.MIDDLEWARE)
        session = "django.contrib.sessions.middleware.SessionMiddleware"
        if session in order and order.index(MIDDLEWARE) < order.index(session):
            report.add("mounting", "middleware order", "before SessionMiddleware: give it an index above 3", "fail")
            middleware = False
        if importlib.util.find_spec("omero_fast_region.middleware") is None:
            report.add("mounting", "middleware module", f"{MIDDLEWARE} is not importable", "fail")
            middleware = False
    try:
        view = resolve(PROBE_PATH).func
    except Exception as exc:
        report.add("mounting", "render URL", f"{PROBE_PATH} does not resolve ({type(exc).__name__})", "fail")
        return
    ours = getattr(view, "fast_region_endpoint", None) is not None
    if ours and getattr(settings, "ROOT_URLCONF", "") == "omero_fast_region.urls_standalone":
        active = "standalone (render URLs at their stock paths)"
    elif ours:
        active = "root application (this app's urls.py is mounted at /)"
    elif middleware:
        active = "middleware (stock URLs, views replaced in process_view)"
    else:
        active = None
    if active:
        report.add("mounting", "active", active, "ok")
    else:
        report.add("mounting", "active", f"none: {PROBE_PATH} goes to {view.__module__}.{view.__name__}; add the middleware, "
                   "make this app the root application, or use the nginx override (omero-fast-region nginx)",
                   "warn" if installed else "fail")


# -- data --------------------------------------------------------------------------------

def _who() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except Exception:
        return str(os.geteuid()) if hasattr(os, "geteuid") else "?"


def _access_problem(path: str) -> str | None:
    """None when ``path`` can be read (and, for a folder, listed); else why not, with owner/mode."""
    if not os.path.exists(path):
        return "does not exist"
    need = os.R_OK | (os.X_OK if os.path.isdir(path) else 0)
    if os.access(path, need):
        return None
    st = os.stat(path)
    return f"not readable by user {_who()} (mode {st.st_mode & 0o7777:o}, owner uid {st.st_uid} gid {st.st_gid})"


def scan_examples(root: str, max_entries: int = SCAN_ENTRIES, max_depth: int = SCAN_DEPTH) -> dict[str, str]:
    """First path found per pixel format under ``root``, breadth-first and bounded."""
    found: dict[str, str] = {}
    queue, seen = [(root, 0)], 0
    while queue and seen < max_entries and len(found) < 3:
        folder, depth = queue.pop(0)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > max_entries:
                break
            name = entry.name.lower()
            is_dir = entry.is_dir(follow_symlinks=False)
            if name.endswith(".zarr") and is_dir:
                found.setdefault("ngff", entry.path)
            elif name.endswith("_pyramid") and not is_dir:
                found.setdefault("pyramid", entry.path)
            elif name.endswith((".tif", ".tiff", ".svs", ".btf")) and not is_dir:
                found.setdefault("tiff", entry.path)
            elif name.isdigit() and not is_dir and os.path.basename(folder) == "Pixels":
                found.setdefault("romio", entry.path)
            elif is_dir and depth < max_depth:
                queue.append((entry.path, depth + 1))
    return found


def _readable_example(fmt: str, path: str) -> str | None:
    """None when the example can be opened and starts as its format should; else the problem."""
    target = path
    if fmt == "ngff":
        candidates = [os.path.join(path, name) for name in (".zattrs", "zarr.json", ".zgroup")]
        target = next((c for c in candidates if os.path.exists(c)), None)
        if target is None:
            return "no .zattrs/zarr.json (not an NGFF group?)"
    try:
        with open(target, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        return _access_problem(target) or str(exc)
    if fmt in ("tiff", "pyramid") and head[:2] not in (b"II", b"MM"):
        return "does not start like a TIFF"
    return None


def check_data_dir(report: Report) -> None:
    from .config import get_config

    data_dir = get_config().data_dir
    problem = _access_problem(data_dir)
    if problem:
        report.add("data", "data_dir", f"{data_dir}: {problem}", "fail")
        return
    report.add("data", "data_dir", f"{data_dir}: readable by {_who()}", "ok")
    any_found = False
    for sub in ("Pixels", "ManagedRepository"):
        folder = os.path.join(data_dir, sub)
        if not os.path.isdir(folder):
            report.add("data", sub + "/", "absent", "warn")
            continue
        problem = _access_problem(folder)
        if problem:
            report.add("data", sub + "/", problem, "fail")
            continue
        for fmt, path in sorted(scan_examples(folder, max_depth=1 if sub == "Pixels" else SCAN_DEPTH).items()):
            any_found = True
            issue = _readable_example(fmt, path)
            shown = os.path.relpath(path, data_dir)
            report.add("data", f"{sub}/ {fmt}", f"{shown}: {issue}" if issue else f"{shown} (readable)", "fail" if issue else "ok")
    if not any_found:
        report.add("data", "examples", f"no pixel files found in the first {SCAN_ENTRIES} entries", "warn")


def check_catalog(report: Report, path: str) -> None:
    """Load a local catalog and read one pixel of every image (the first CATALOG_IMAGES)."""
    from .catalog.local import LocalCatalog
    from .pixels import SourcePool

    try:
        catalog = LocalCatalog(path)
    except Exception as exc:
        report.add("catalog", "file", str(exc), "fail")
        return
    ids = catalog.image_ids()
    report.add("catalog", "file", f"{catalog.path}: {len(ids)} image(s)", "ok" if ids else "warn")
    pool = SourcePool(max_open=4)
    try:
        for image_id in ids[:CATALOG_IMAGES]:
            descriptor = catalog.get_image(image_id)
            label = f"image {image_id}"
            try:
                source = pool.get(descriptor.source)
                level = len(source.levels) - 1
                source.read_region(0, 0, 0, level, 0, 0, 1, 1)
                p = descriptor.pixels
                report.add("catalog", label, f"{descriptor.source.format} {p.size_x}x{p.size_y} z{p.size_z} c{p.size_c} "
                           f"t{p.size_t} {p.pixel_type}, {len(source.levels)} level(s): readable", "ok")
            except Exception as exc:
                report.add("catalog", label, f"{descriptor.source.format} {descriptor.source.path}: {type(exc).__name__}: {exc}", "fail")
    finally:
        pool.close_all()


def check_luts(report: Report, catalog: str | None) -> None:
    from .config import get_config
    from .render import LutLibrary

    dirs = list(get_config().lut_dirs)
    if catalog:
        try:
            from .catalog.local import LocalCatalog

            dirs += LocalCatalog(catalog).lut_dirs()
        except Exception:
            pass  # already reported by check_catalog
    for folder in dirs:
        problem = _access_problem(folder)
        if problem:
            report.add("luts", folder, problem, "warn")
    count = len(LutLibrary([d for d in dirs if os.path.isdir(d)]).names())
    if count:
        report.add("luts", "lookup tables", f"{count} *.lut file(s) in {len(dirs)} folder(s)", "ok")
    else:
        report.add("luts", "lookup tables", "none: channels coloured with a LUT (c=1|0:255$fire.lut) are drawn in their "
                   "plain colour, unlike OMERO; set omero.web.fast_region.lut_dirs to OMERO.server's lib/scripts",
                   "info" if catalog else "warn")


# -- OMERO server -----------------------------------------------------------------------

def _server_defaults() -> tuple[str | None, int]:
    try:
        from django.conf import settings

        host, port = settings.SERVER_LIST[0][:2]
        return str(host), int(port)
    except Exception:
        return None, 4064


def check_omero_join(report: Report, args: argparse.Namespace) -> None:
    """Log in to the OMERO server with the given credentials (the Ice path of ``catalog=ice``)."""
    user, password = getattr(args, "user", None), getattr(args, "password", None)
    if not (user and password):
        report.add("omero", "server join", "skipped (no --user/--password or OMERO_USER/OMERO_PASSWORD)")
        return
    if importlib.util.find_spec("omero") is None:
        report.add("omero", "server join", "skipped: omero-py is not installed", "warn")
        return
    default_host, default_port = _server_defaults()
    host = getattr(args, "server", None) or default_host or "localhost"
    port = int(getattr(args, "port", None) or default_port)

    def join() -> tuple[str, str, bool, str | None]:
        import omero
        import omero.clients  # noqa: F401  (registers the client classes)

        client = omero.client(host=host, port=port, pmap=["--Ice.Override.ConnectTimeout=5000"])
        try:
            session = client.createSession(user, password)
            context = session.getAdminService().getEventContext()
            config = session.getConfigService()
            try:
                data_dir = config.getConfigValue("omero.data.dir")
            except Exception:
                data_dir = None
            return config.getVersion(), context.userName, bool(context.isAdmin), data_dir
        finally:
            client.closeSession()

    ok, result = _bounded(join, 30.0)
    if not ok:
        report.add("omero", "server join", f"{user}@{host}:{port}: {result}", "fail")
        return
    version, name, admin, data_dir = result
    report.add("omero", "server join", f"{name}@{host}:{port} (OMERO {version}{', admin' if admin else ''})", "ok")
    from .config import get_config

    ours = get_config().data_dir
    if data_dir and os.path.normpath(data_dir) != os.path.normpath(ours):
        report.add("omero", "omero.data.dir", f"server says {data_dir}, data_dir is {ours}: they must be the same "
                   "repository (same path or the same mount)", "warn")
    elif data_dir:
        report.add("omero", "omero.data.dir", f"{data_dir} (matches data_dir)", "ok")


if __name__ == "__main__":  # python -m omero_fast_region.check
    _parser = argparse.ArgumentParser(prog="omero-fast-region check", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(run_check(_parser.parse_args()))
