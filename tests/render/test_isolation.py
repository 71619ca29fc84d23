"""The render package is pure numpy: importing it pulls in neither Django nor omero."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_render_imports_neither_django_nor_omero() -> None:
    code = ("import omero_fast_region.render, sys; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'omero')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
