"""The app hosted in real OMERO.web, both mounting modes, against the fake OMERO server over Ice.

Why a subprocess: pytest-django configures ONE settings module per process and this suite runs
under the standalone settings, while OMERO.web's settings are built once at import from
``$OMERODIR``'s config.xml. So each mounting mode runs ``tests/omeroweb/hosted`` in its own
``python -m pytest`` with ``DJANGO_SETTINGS_MODULE=testproject.settings_omeroweb``; this
process owns the services: a real ``redis-server`` (sessions and descriptor cache) and the
fake OMERO server (real Ice on loopback) whose call log the hosted tests read and whose HTTP
control (``ControlServer``: expire a session, stop and restart the server) they call.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.services import redis_server  # noqa: F401  (fixture)

pytest.importorskip("Ice")
pytest.importorskip("omeroweb")

from omero_fast_region.pixels import romio_path  # noqa: E402
from omero_fast_region.sample.writers import write_ngff, write_ngff_labels, write_ome_tiff  # noqa: E402
from tests.omeroweb.hosting import MODES, omeroweb_config, write_omerodir  # noqa: E402
from tests.omeroweb.repository import LABELS, companion_xml, fileset_plane  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "tests" / "fake_omero"))

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fake_omero(tmp_path_factory, data_dir):
    """The fake server on ``fixture.json``, whose ``{data_dir}`` placeholders name the repository."""
    from fake_omero_server import ControlServer, FakeOmeroServer

    folder = tmp_path_factory.mktemp("fake")
    log = folder / "calls.jsonl"
    fixture = folder / "fixture.json"
    fixture.write_text((HERE / "fixture.json").read_text().replace("{data_dir}", data_dir))
    with FakeOmeroServer(str(fixture), log_file=str(log)) as srv, ControlServer(srv) as control:
        yield srv, str(log), control.url


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> str:
    """An OMERO binary repository: ROMIO ``Pixels/14``, ``15`` and ``17`` (64x48 uint8), an NGFF
    label image for mask 302, and image 8's OME-TIFF fileset (companion + two TIFFs, one plane each)."""
    root = tmp_path_factory.mktemp("OMERO")
    plane = (np.arange(48 * 64, dtype=np.uint16) % 251).astype(np.uint8).reshape(48, 64)
    for pixels_id in (14, 15, 17):
        path = Path(romio_path(str(root), pixels_id))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(plane.tobytes())
    write_ngff(str(root / "ngff" / "4.zarr"), plane.reshape(1, 1, 1, 48, 64), chunks=(32, 32))
    write_ngff_labels(str(root / "ngff" / "4.zarr"), "cells", LABELS.reshape(1, 1, 1, 48, 64), chunks=(32, 32))
    fileset = root / "ManagedRepository" / "alice_2" / "2024-02"
    for i in range(2):
        write_ome_tiff(str(fileset / f"set_{i}.ome.tiff"), fileset_plane(i).reshape(1, 1, 1, 48, 64), tile=(32, 32))
    (fileset / "set.companion.ome").write_text(companion_xml([["set_0.ome.tiff"], ["set_1.ome.tiff"]]))
    return str(root)


@pytest.mark.parametrize("mode", MODES)
def test_hosted_in_omeroweb(mode, fake_omero, data_dir, redis_server, tmp_path):  # noqa: F811
    srv, log, control = fake_omero
    omerodir = write_omerodir(str(tmp_path / "omerodir"), omeroweb_config(mode, srv.port, redis_server, data_dir))
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="testproject.settings_omeroweb",
        OMERODIR=omerodir,
        FAST_REGION_HOSTED="1",
        FAST_REGION_MODE=mode,
        FAST_REGION_FAKE_LOG=log,
        FAST_REGION_FAKE_CONTROL=control,
        FAST_REGION_DATA_DIR=data_dir,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", str(HERE / "hosted"),
         *os.environ.get("FAST_REGION_HOSTED_PYTEST", "").split()],  # e.g. "-k front -x"
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, f"hosted tests ({mode}) failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
