"""omero-fast-region check: versions, settings, sessions, mounting, data access, catalog, join."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omero_fast_region import check
from omero_fast_region.loopback import free_port
from tests.services import redis_server  # noqa: F401  (fixture)

VENV_BIN = Path(sys.executable).parent


def _run(capsys, **options) -> tuple[int, str]:
    args = argparse.Namespace(catalog=None, server=None, port=None, user=None, password=None)
    for key, value in options.items():
        setattr(args, key, value)
    status = check.run_check(args)
    return status, capsys.readouterr().out




def _section(out: str, name: str) -> str:
    return out.split(f"\n[{name}]\n")[1].split("\n[")[0]


def _line(out: str, label: str, section: str | None = None) -> str:
    text = _section(out, section) if section else out
    return next(line for line in text.splitlines() if line[7:].startswith(label))


def test_a_healthy_catalog_exits_0_and_reports_every_image_readable(capsys, repository):
    status, out = _run(capsys, catalog=str(repository))
    assert status == 0
    for label in ("python", "Django", "numpy", "zarr", "tifffile", "imagecodecs"):
        assert _line(out, label)
    assert "ok   image 1                  romio 192x128 z2 c3 t1 uint16" in out
    assert "ngff 192x128" in _line(out, "image 2") and "tiff 192x128" in _line(out, "image 3")
    assert "1 *.lut file(s)" in _line(out, "lookup tables")
    assert "healthy" in out.splitlines()[-1]


def test_an_unreadable_image_exits_1_and_names_it(capsys, repository):
    tiff = next(repository.parent.rglob("cells.ome.tif"))
    tiff.write_bytes(b"not a tiff at all")
    status, out = _run(capsys, catalog=str(repository))
    assert status == 1
    assert "FAIL" in out.split("[result]")[1]
    assert "cells.ome.tif" in out.split("[result]")[1]


def test_a_missing_catalog_exits_1_with_the_reason(capsys, tmp_path):
    status, out = _run(capsys, catalog=str(tmp_path / "nope.json"))
    assert status == 1
    assert "file not found" in _line(out, "file")


def test_every_setting_is_listed_with_its_value(capsys, repository):
    from omero_fast_region.settings import SETTINGS

    _, out = _run(capsys, catalog=str(repository))
    settings_block = _section(out, "settings")
    for name in SETTINGS:
        assert f" {name} " in settings_block


def test_the_data_dir_scan_finds_one_example_per_format_and_checks_it(capsys, repository, settings):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    status, out = _run(capsys)
    data = _section(out, "data")
    assert "Pixels/ romio            Pixels/1 (readable)" in data
    assert "cells.zarr (readable)" in data and "cells.ome.tif (readable)" in data
    assert "FAIL" not in data


def test_a_missing_data_dir_fails(capsys, tmp_path, settings):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(tmp_path / "absent")}
    status, out = _run(capsys)
    assert status == 1
    assert "does not exist" in _line(out, "data_dir", "data")


def test_scan_is_bounded(tmp_path):
    deep = tmp_path / "ManagedRepository"
    for i in range(50):
        (deep / f"u_{i:02d}").mkdir(parents=True)
    (deep / "u_49" / "late.tif").write_bytes(b"II*\x00")
    assert check.scan_examples(str(deep), max_entries=20) == {}
    assert check.scan_examples(str(deep))["tiff"].endswith("late.tif")


def test_cache_sessions_on_a_per_process_cache_fail_with_several_workers(capsys, repository, settings):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.WSGI_WORKERS = 5
    status, out = _run(capsys)
    assert status == 1
    assert _line(out, "session engine").startswith("  FAIL")
    assert "not shared between worker processes" in out


def test_an_unreachable_redis_cache_fails(capsys, repository, settings):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    status, out = _run(capsys)
    assert status == 1
    assert "unreachable" in _line(out, "redis (default)")


def test_session_tracking_is_reported_on_redis_and_refused_tracking_is_a_warning(capsys, repository, settings,
                                                                                 redis_server):  # noqa: F811
    import redis

    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_server}}
    _, out = _run(capsys)
    assert _line(out, "session tracking").startswith("  ok") and "Redis pushes session changes" in out
    admin = redis.Redis.from_url(redis_server)
    admin.execute_command("ACL", "SETUSER", "default", "-client")
    try:
        _, out = _run(capsys)
    finally:
        admin.execute_command("ACL", "SETUSER", "default", "+client")
    assert _line(out, "session tracking").startswith("  WARN") and "did not accept client tracking" in out


def test_middleware_before_the_session_middleware_fails(capsys, repository, settings):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.MIDDLEWARE = [check.MIDDLEWARE, "django.contrib.sessions.middleware.SessionMiddleware"]
    status, out = _run(capsys)
    assert status == 1
    assert "before SessionMiddleware" in _line(out, "middleware order")


OMEROWEB_MIDDLEWARE = [
    "django.middleware.common.BrokenLinkEmailsMiddleware", "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware", "django.middleware.clickjacking.XFrameOptionsMiddleware",
    check.MIDDLEWARE,
]


@pytest.mark.parametrize("worker_class,wsgi_args,threads,front,level,words", [
    ("sync", "", 1, True, "--", "sync: a connection per request, hosted front on, tile lane on"),  # wsgi_front
    ("sync", "", 1, False, "--", "a connection per request, hosted front off (hosted_front false)"),
    ("sync", "", 4, True, "--", "gthread (sync with omero.web.wsgi_threads 4): hosted front on, tile lane on"),
    ("sync", f"--worker-class {check.KEEPALIVE_WORKER} --keep-alive 2", 1, True, "ok", "hosted front on"),
    ("sync", f"--worker-class {check.KEEPALIVE_WORKER} --keep-alive 2", 4, True, "ok", "omero.web.wsgi_threads 4 is not used"),
    (check.KEEPALIVE_WORKER, "", 1, True, "FAIL", "error 609"),  # what omero web start refuses
])
def test_the_worker_class_omero_web_start_will_run_is_reported(capsys, repository, settings, worker_class, wsgi_args,
                                                                 threads, front, level, words):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent), "hosted_front": front}
    settings.MIDDLEWARE = OMEROWEB_MIDDLEWARE
    settings.WSGI_WORKER_CLASS, settings.WSGI_ARGS, settings.WSGI_THREADS = worker_class, wsgi_args, threads
    _, out = _run(capsys)
    line = _line(out, "worker class", "mounting")
    assert line.strip().startswith(level) and words in line




def test_a_wrapped_django_handler_is_reported_as_keeping_the_front_off(capsys, repository, settings, monkeypatch):
    """An APM agent that wraps ``WSGIHandler.__call__`` in place (hosted_front.handler_is_djangos)."""
    import functools

    from django.core.handlers.wsgi import WSGIHandler

    original = WSGIHandler.__call__
    monkeypatch.setattr(WSGIHandler, "__call__", functools.wraps(original)(lambda *a, **k: original(*a, **k)))
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.WSGI_WORKER_CLASS, settings.WSGI_ARGS, settings.WSGI_THREADS = "sync", "", 1
    settings.MIDDLEWARE = OMEROWEB_MIDDLEWARE
    _, out = _run(capsys)
    assert "hosted front off (Django's WSGIHandler methods are wrapped" in _line(out, "worker class", "mounting")


@pytest.mark.parametrize("middleware,changed,words", [
    (OMEROWEB_MIDDLEWARE, {}, "tile lane on"),
    ([*OMEROWEB_MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"], {},
     "tile lane off (django.middleware.gzip.GZipMiddleware is not one of OMERO.web's middleware"),
    (OMEROWEB_MIDDLEWARE, {"SESSION_SAVE_EVERY_REQUEST": True}, "tile lane off (a session, CSRF"),
    (OMEROWEB_MIDDLEWARE[2:], {}, "tile lane off (no CommonMiddleware"),
])
def test_whether_the_tile_lane_writes_tiles_is_reported(capsys, repository, settings, middleware, changed, words):
    settings.FAST_REGION = {"catalog": "ice", "data_dir": str(repository.parent)}
    settings.WSGI_WORKER_CLASS, settings.WSGI_ARGS, settings.WSGI_THREADS = "sync", f"--worker-class {check.KEEPALIVE_WORKER}", 1
    settings.MIDDLEWARE = middleware
    for name, value in changed.items():
        setattr(settings, name, value)
    _, out = _run(capsys)
    assert words in _line(out, "worker class", "mounting")


def test_standalone_urls_are_reported_as_the_active_mounting(capsys, repository):
    _, out = _run(capsys, catalog=str(repository))
    assert "standalone" in _line(out, "active")


def test_a_failed_omero_join_fails_with_the_reason(capsys, repository):
    pytest.importorskip("Ice", reason="zeroc-ice is not installed")
    status, out = _run(capsys, catalog=str(repository), server="127.0.0.1", port=free_port(), user="root", password="x")
    assert status == 1
    assert _line(out, "server join").startswith("  FAIL") and "root@127.0.0.1" in out


def test_inside_an_omero_web_install_the_cli_reads_omerodir_config(tmp_path, repository):
    config_xml = pytest.importorskip("omero.config", reason="omero-py is not installed")
    pytest.importorskip("omeroweb", reason="omero-web is not installed")
    grid = tmp_path / "omerodir" / "etc" / "grid"
    grid.mkdir(parents=True)
    config = config_xml.ConfigXml(str(grid / "config.xml"))
    config["omero.web.apps"] = '["omero_fast_region"]'
    config["omero.web.root_application"] = "omero_fast_region"
    config["omero.web.fast_region.data_dir"] = str(repository.parent)
    config["omero.web.fast_region.lut_dirs"] = f'["{repository.parent / "luts"}"]'
    config.close()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "OMERO_FAST_REGION_CATALOG")}
    env["OMERODIR"] = str(tmp_path / "omerodir")
    done = subprocess.run([str(VENV_BIN / "omero-fast-region"), "check"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "omeroweb.settings" in _line(done.stdout, "settings", "django")
    assert "root application" in _line(done.stdout, "active")
    assert "readable" in _line(done.stdout, "data_dir", "data")
    assert "1 *.lut file(s)" in done.stdout
