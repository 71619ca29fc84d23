"""The set-up scripts: the zeroc-ice patches and the fast path of later runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SLICE_CPP = '#include <IceUtil/DisableWarnings.h>\n#include <eval.h>\n#include <Slice.h>\n'
UTIL_CPP = 'void f()\n{\n    PyFrameObject *f = PyThreadState_GET()->frame;\n}\n'


def _fake_sdist(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Slice.cpp").write_text(SLICE_CPP)
    (tmp_path / "src" / "Util.cpp").write_text(UTIL_CPP)
    return tmp_path


def test_ice_patches_remove_eval_h_and_use_pyeval_getframe(tmp_path: Path) -> None:
    src = _fake_sdist(tmp_path)
    subprocess.run([str(REPO / "scripts" / "patch_ice_sources"), str(src)], check=True)
    slice_cpp = (src / "src" / "Slice.cpp").read_text()
    util_cpp = (src / "src" / "Util.cpp").read_text()
    assert "#include <eval.h>" not in slice_cpp and "#include <Slice.h>" in slice_cpp
    assert "PyFrameObject *f = PyEval_GetFrame();" in util_cpp


def test_ice_patches_are_idempotent(tmp_path: Path) -> None:
    src = _fake_sdist(tmp_path)
    for _ in range(2):
        subprocess.run([str(REPO / "scripts" / "patch_ice_sources"), str(src)], check=True)
    assert (src / "src" / "Util.cpp").read_text().count("PyEval_GetFrame()") == 1


def test_ensure_ice_is_instant_when_ice_is_importable() -> None:
    """Later runs take seconds: with Ice importable, nothing is downloaded or built."""
    result = subprocess.run([str(REPO / "scripts" / "ensure_ice"), sys.executable], capture_output=True, timeout=60)
    assert result.returncode == 0 and result.stderr == b""


def test_bootstrap_second_run_is_a_no_op() -> None:
    """Later runs take seconds: once set up, a run installs nothing and prints nothing."""
    stamp = REPO / ".venv" / ".bootstrap-stamp"
    first = subprocess.run([str(REPO / "scripts" / "bootstrap")], capture_output=True, timeout=900)
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    recorded = stamp.read_text()
    second = subprocess.run([str(REPO / "scripts" / "bootstrap")], capture_output=True, timeout=120)
    assert second.returncode == 0
    assert second.stdout == b"" and second.stderr == b""
    assert stamp.read_text() == recorded
