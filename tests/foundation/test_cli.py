"""The command line contract (DESIGN.md §6), run as a real console script."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from omero_fast_region.loopback import free_port, wait_for_port
from omero_fast_region.worker_env import LIBRARY_THREAD_VARIABLES, pin_library_threads

from .conftest import write_catalog

CLI = [str(Path(sys.executable).with_name("omero-fast-region"))]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, timeout=timeout)


def test_help_lists_every_contract_command() -> None:
    out = run("--help").stdout.decode()
    for command in ("demo", "serve", "render", "nginx", "check"):
        assert command in out


def test_render_raw_image_without_rendering_writes_png_of_image_size(raw_catalog: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    result = run("render", "--catalog", str(raw_catalog), "--out-dir", str(out_dir),
                 "/webgateway/render_image/1/0/0/?format=png")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines() == ["0 200 image/png"]
    image = Image.open(out_dir / "0")
    assert image.format == "PNG" and image.size == (4, 3)
    grey = np.asarray(image.convert("RGB"))
    # greyscale default: window = plane min..max, so the ramp goes from black to white
    assert grey[0, 0].tolist() == [0, 0, 0] and grey[2, 3].tolist() == [255, 255, 255]
    assert (grey[..., 0] == grey[..., 1]).all()


def test_render_many_urls_numbers_bodies_and_fails_on_any_non_2xx(raw_catalog: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    result = run("render", "--catalog", str(raw_catalog), "--out-dir", str(out_dir),
                 "/webgateway/render_image_region/1/0/0/?region=0,0,2,2&format=png",
                 "/webgateway/render_image/99/0/0/",
                 "/webgateway/render_image_region/1/0/0/")
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 1
    assert lines[0] == "0 200 image/png" and lines[1].startswith("1 404") and lines[2].startswith("2 400")
    assert Image.open(out_dir / "0").size == (2, 2)
    assert (out_dir / "1").exists() and (out_dir / "2").read_bytes() == b"tile or region argument required"


def test_render_one_url_without_out_dir_writes_the_body_to_stdout(raw_catalog: Path) -> None:
    result = run("render", "--catalog", str(raw_catalog), "/webgateway/render_image/1/?format=png")
    assert result.returncode == 0
    assert Image.open(io.BytesIO(result.stdout)).size == (4, 3)


def test_bad_catalog_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path, [{"id": 3, "name": "broken", "source": {"format": "czi", "path": "x"}}])
    result = run("render", "--catalog", str(catalog), "/webgateway/render_image/3/")
    err = result.stderr.decode().strip()
    assert result.returncode == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "image 3 (broken)" in err and "unknown source format" in err


def test_missing_catalog_is_exit_2(tmp_path: Path) -> None:
    result = run("serve", "--catalog", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "file not found" in result.stderr.decode()


def test_render_does_not_import_omero_or_ice(raw_catalog: Path) -> None:
    code = (
        "import sys; from omero_fast_region.cli import main;"
        f"rc = main(['render', '--catalog', {json.dumps(str(raw_catalog))}, '--out-dir', '/dev/null/x' if False else {json.dumps(str(raw_catalog.parent / 'o'))},"
        " '/webgateway/render_image/1/']);"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('omero', 'Ice', 'omeroweb'));"
        "print(rc, bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).stdout.decode()
    assert out.strip().splitlines()[-1] == "0 []"


def _serve_worker_environ(catalog: Path, extra_env: dict[str, str]) -> dict[str, str]:
    """Start ``serve`` (one worker), fetch one image, and return that worker's environment."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env.update(extra_env)
    proc = subprocess.Popen(CLI + ["serve", "--catalog", str(catalog), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webgateway/render_image/1/0/0/?format=png", timeout=30) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "image/png"
        (worker,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        raw = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
        return dict(item.decode().split("=", 1) for item in raw if b"=" in item)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.mark.integration
def test_serve_pins_numeric_thread_pools_in_its_workers_and_keeps_a_sysadmins_value(raw_catalog: Path) -> None:
    pinned = _serve_worker_environ(raw_catalog, {})
    assert [pinned.get(n) for n in LIBRARY_THREAD_VARIABLES] == ["1", "1", "1"]
    chosen = _serve_worker_environ(raw_catalog, {"OMP_NUM_THREADS": "3"})
    assert [chosen.get(n) for n in LIBRARY_THREAD_VARIABLES] == ["1", "3", "1"]


def test_pin_library_threads_sets_only_what_is_missing() -> None:
    environ = {"MKL_NUM_THREADS": "4", "OMP_NUM_THREADS": ""}
    assert pin_library_threads(environ) == ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"]
    assert environ == {"MKL_NUM_THREADS": "4", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
