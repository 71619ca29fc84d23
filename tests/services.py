"""Real services for integration tests: a throw-away ``redis-server`` on a free loopback port.

    from tests.services import redis_server  # noqa: F401  (pytest fixture)

    def test_x(redis_server): ...  # redis_server == "redis://127.0.0.1:<port>/0"
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from omero_fast_region.loopback import free_port, wait_for_port






@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """``redis://127.0.0.1:<port>/0`` of a redis-server started for this test session (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, timeout=10.0)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
