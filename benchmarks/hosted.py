"""The product hosted in OMERO.web: Redis sessions, a logged-in session, the fake OMERO Ice server.

The bench images are laid out as an OMERO binary repository inside the data folder (hard links
at ``Pixels/Dir-###/<id>``, ``ManagedRepository/…``; the NGFF image through its ExternalInfo),
described to the fake OMERO server (``tests/fake_omero``) by a fixture built from the local
catalog, and served by ``omeroweb.wsgi`` under gunicorn with the settings a sysadmin's
``omero config`` would write (``tests/omeroweb/hosting.py``, middleware mounting). The Ice
boundary is answered by the fake server, so what is measured is OMERO.web + the app's hot path.

``python -m benchmarks.hosted login`` (run with the hosted environment) logs the bench user in
through omero-web's Connector and prints the Django session key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omero_fast_region.loopback import free_port, wait_for_port

from .data import BenchData
from .processes import GunicornServer, ManagedProcess

REPO = Path(__file__).resolve().parents[1]
FAKE_SERVER = REPO / "tests" / "fake_omero" / "fake_omero_server.py"
NEEDED = ("testproject/settings_omeroweb.py", "tests/fake_omero/fake_omero_server.py", "tests/omeroweb/hosting.py")
USER, PASSWORD, GROUP = "bench", "bench-pw", 3
NGFF_ENTITY = {"entityType": "com.glencoesoftware.ngff:multiscales", "entityId": 3}
MOUNTING = "middleware"


def hosted_unavailable() -> str | None:
    """None when the hosted mode can run here, else the reason it cannot."""
    missing = [p for p in NEEDED if not (REPO / p).exists()]
    if missing:
        return "OMERO.web-hosted set-up not in this checkout (missing " + ", ".join(missing) + ")"
    try:
        import Ice  # noqa: F401
        import omeroweb  # noqa: F401
    except ImportError as exc:
        return f"omero-web / zeroc-ice not importable: {exc}"
    return None


def _link(source: Path, target: Path) -> None:
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)


def repository_layout(data: BenchData) -> tuple[list[dict], list[dict]]:
    """Hard-link the bench files at OMERO's paths (idempotent); returns the fixture's images and filesets."""
    from omero_fast_region.pixels import romio_path

    catalog = json.loads(data.catalog.read_text())
    images, filesets = [], []
    for entry in catalog["images"]:
        image_id, fmt, rel = entry["id"], entry["source"]["format"], entry["source"]["path"]
        pixels = entry["pixels"]
        spec: dict = {
            "id": image_id, "name": entry["name"], "owner": 2, "group": GROUP,
            "pixels": {"id": image_id, "sizeX": pixels["size_x"], "sizeY": pixels["size_y"], "sizeZ": pixels["size_z"],
                       "sizeC": pixels["size_c"], "sizeT": pixels["size_t"], "type": pixels["type"]},
            "channels": [{"name": ch["label"], "emissionWave": ch["emission_wavelength"], "stats": ch["stats"],
                          "color": ch_r["rgba"]} for ch, ch_r in zip(entry["channels"], entry["rendering"]["channels"])],
            "renderingDefs": [{"owner": 2, "model": entry["rendering"]["model"], "channels": [
                {"start": ch["window"][0], "end": ch["window"][1], "color": ch["rgba"], "active": ch["active"],
                 "family": ch["family"], "coefficient": ch["coefficient"]} for ch in entry["rendering"]["channels"]]}],
        }
        if fmt == "ngff":
            spec["externalInfo"] = {**NGFF_ENTITY, "lsid": str(data.folder / rel)}
        elif fmt == "pyramid":
            _link(data.folder / rel, Path(romio_path(str(data.folder), image_id) + "_pyramid"))
        elif fmt == "tiff":
            prefix = f"{USER}_2/bench/"
            name = os.path.basename(rel)
            _link(data.folder / rel, data.folder / "ManagedRepository" / prefix / name)
            filesets.append({"id": 100 + image_id, "owner": 2, "group": GROUP, "templatePrefix": prefix,
                             "files": [{"path": prefix, "name": name, "size": (data.folder / rel).stat().st_size}]})
            spec["fileset"] = 100 + image_id
        elif fmt == "romio":
            _link(data.folder / rel, Path(romio_path(str(data.folder), image_id)))
        images.append(spec)
    return images, filesets


def fixture(data: BenchData) -> dict:
    images, filesets = repository_layout(data)
    return {
        "groups": [{"id": 0, "name": "system", "permissions": "rw----"},
                   {"id": GROUP, "name": "bench-lab", "permissions": "rwr---"}],
        "users": [{"id": 0, "name": "root", "groups": [0], "admin": True, "password": "omero"},
                  {"id": 2, "name": USER, "firstName": "Bench", "lastName": "User", "groups": [GROUP], "password": PASSWORD}],
        "sessions": {}, "config": {"omero.pixeldata.max_tile_length": "2048"},
        "filesets": filesets, "images": images,
    }


class HostedSetup:
    """Context manager: fake OMERO server + OMERO.web config + one logged-in Django session."""

    wsgi = "omeroweb.wsgi:application"

    def __init__(self, data: BenchData, redis) -> None:
        self.data = data
        self.redis = redis
        self.tmp = tempfile.TemporaryDirectory(prefix="bench-hosted-")
        self.fake: ManagedProcess | None = None
        self.env: dict[str, str] = {}
        self.session_key = ""
        self.cookie_name = "sessionid"
        self.calls_log = Path(self.tmp.name) / "calls.jsonl"

    def __enter__(self) -> "HostedSetup":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        sys.path.insert(0, str(REPO))
        from tests.omeroweb.hosting import omeroweb_config, write_omerodir

        tmp = Path(self.tmp.name)
        (tmp / "fixture.json").write_text(json.dumps(fixture(self.data)))
        port, tcp_port = free_port(), free_port()
        self.fake = ManagedProcess([sys.executable, str(FAKE_SERVER), "--fixture", str(tmp / "fixture.json"),
                                    "--port", str(port), "--tcp-port", str(tcp_port), "--max-seconds", "7200",
                                    "--log-file", str(self.calls_log)], log_name="fake-omero").start()
        wait_for_port(port, self.fake.proc)  # type: ignore[arg-type]
        config = omeroweb_config(MOUNTING, port, self.redis.url, str(self.data.folder))
        omerodir = write_omerodir(str(tmp / "omerodir"), config)
        self.env = {"DJANGO_SETTINGS_MODULE": "testproject.settings_omeroweb", "OMERODIR": omerodir,
                    "PYTHONPATH": str(REPO)}
        self.session_key = self.login()

    def web_log(self) -> str:
        """OMERO.web's own log (``$OMERODIR/var/log/OMEROweb.log``) so far."""
        path = Path(self.tmp.name) / "omerodir" / "var" / "log" / "OMEROweb.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def login(self) -> str:
        """A new OMERO session and Django session (as the web login makes); returns the session key."""
        out = subprocess.run([sys.executable, "-m", "benchmarks.hosted", "login"], cwd=REPO, env={**os.environ, **self.env},
                             capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"hosted login failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
        self.cookie_name, key = out.stdout.split()[-2:]
        return key

    def headers(self, session_key: str | None = None) -> dict[str, str]:
        return {"Cookie": f"{self.cookie_name}={session_key or self.session_key}"}

    def extra_pids(self) -> dict[str, list[int]]:
        return {"fake_omero": [self.fake.pid]} if self.fake else {}

    def ice_calls_since(self, offset: int) -> list[dict]:
        with open(self.calls_log, encoding="utf-8") as fh:
            fh.seek(offset)
            return [json.loads(line) for line in fh if line.strip()]

    def cold_session(self, server: GunicornServer, iviewer: dict) -> dict:
        """A tile in a brand-new session (descriptor cache miss: one metadata query), then warm."""
        workload = iviewer.get("iviewer-ngff")
        if workload is None:
            return {}
        path = workload.paths[0]
        server.get(path, self.headers())  # the image is open and its tables are built in this worker
        key = self.login()
        offset = self.calls_log.stat().st_size
        t0 = time.perf_counter()
        status, headers, _ = server.get(path, self.headers(key))
        cold_ms = (time.perf_counter() - t0) * 1000.0
        calls = self.ice_calls_since(offset)
        for _ in range(2 * server.deployment.workers):
            server.get(path, self.headers(key))
        t0 = time.perf_counter()
        server.get(path, self.headers(key))
        warm_ms = (time.perf_counter() - t0) * 1000.0
        services = sorted({c.get("service", c.get("kind", "?")) for c in calls})
        return {
            "path": path, "status": status, "cold_ms": round(cold_ms, 2), "warm_ms": round(warm_ms, 2),
            "server_timing": headers.get("server-timing", ""), "ice_calls": len(calls), "ice_services": services,
            "summary": f"{cold_ms:.0f} ms (warm {warm_ms:.0f} ms; {len(calls)} Ice calls: {', '.join(services)})",
            "met": cold_ms - warm_ms < 100.0,
        }

    def __exit__(self, *exc: object) -> None:
        if self.fake is not None:
            self.fake.__exit__(*exc)
        self.tmp.cleanup()


def _login_and_print() -> None:
    """Log the bench user in as OMERO.web's login view does (the hosted tests' helper)."""
    import django

    django.setup()
    from types import SimpleNamespace

    from django.conf import settings

    from tests.omeroweb.hosted.sessions import login

    client = SimpleNamespace(cookies={})
    login(client, USER, PASSWORD)  # type: ignore[arg-type]
    print(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME])


if __name__ == "__main__":
    if sys.argv[1:] == ["login"]:
        _login_and_print()
    else:
        raise SystemExit("usage: python -m benchmarks.hosted login  (with the hosted environment)")
