"""docs/settings.md is generated from settings.SETTINGS and committed: it must not drift."""

from __future__ import annotations

import runpy
from pathlib import Path

from omero_fast_region.settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]


def test_committed_settings_doc_equals_the_generated_one():
    generate = runpy.run_path(str(REPO / "scripts" / "gen_settings_doc"))["settings_markdown"]
    committed = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert committed == generate(), "docs/settings.md is stale: run .venv/bin/python scripts/gen_settings_doc"


def test_every_setting_has_a_row_with_its_omero_config_key():
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in SETTINGS:
        assert f"| `omero.web.fast_region.{name}` |" in text
