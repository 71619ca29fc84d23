"""docs/: the index links every page, and links between pages point at files."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: pages written with other issues; linked before they exist
WRITTEN_ELSEWHERE = {"compatibility.md", "mounting.md", "rendering.md", "benchmarks.md", "catalog.md"}
LINK = re.compile(r"\]\(([^)#:\s]+\.md)(?:#[^)]*)?\)")


def test_the_index_links_every_page():
    linked = set(LINK.findall((DOCS / "index.md").read_text(encoding="utf-8")))
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages | WRITTEN_ELSEWHERE <= linked


def test_links_between_pages_point_at_files():
    for page in DOCS.glob("*.md"):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            assert (DOCS / target).exists() or target in WRITTEN_ELSEWHERE, f"{page.name} links to missing {target}"
