"""The same answers through ``omero-fast-region render`` in a subprocess (DESIGN.md §6), and no Ice
in standalone mode."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .helpers import size_of

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / ".venv" / "bin" / "omero-fast-region"
PYTHON = REPO / ".venv" / "bin" / "python"

URLS = [
    "/webgateway/render_image_region/2/0/0/?tile=1,0,0,512,512&c=1|0:255$FF0000&m=c&format=png",
    "/webgateway/render_thumbnail/3/",
    "/webgateway/imgData/4/rdefs.model/",
    "/webgateway/render_image_region/1/0/0/?tile=bad",
    "/webgateway/render_image/999/",
]


class _Body:
    def __init__(self, content: bytes) -> None:
        self.content = content


def test_render_command_answers_like_the_test_client(image_set, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([str(CLI), "render", "--catalog", str(image_set.catalog), "--out-dir", str(out), *URLS],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "0 200 image/png" and lines[1] == "1 200 image/jpeg"
    assert lines[2] == "2 200 application/json" and lines[3].startswith("3 400 ")
    assert lines[4].startswith("4 404 ")
    assert size_of(_Body((out / "0").read_bytes())) == (512, 384)
    assert (out / "2").read_text() == '"greyscale"'


def test_standalone_render_never_imports_omero_or_ice(image_set, tmp_path):
    code = (
        "import sys\n"
        "from omero_fast_region.cli import main\n"
        f"rc = main(['render', '--catalog', {str(image_set.catalog)!r}, '--out-dir', {str(tmp_path)!r}, *{URLS[:3]!r},"
        " '/webgateway/histogram_json/3/channel/0/', '/webgateway/render_shape_mask/100/',"
        " '/webgateway/get_thumbnails/?id=1&id=2'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('omero', 'Ice', 'IcePy', 'omeroweb', 'Glacier2'))\n"
        "print(rc, bad)\n"
    )
    result = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert result.stdout.strip().splitlines()[-1] == "0 []", result.stdout + result.stderr
