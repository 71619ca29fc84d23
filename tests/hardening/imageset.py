"""The images the hardening tests, the fuzzer and the soak serve: the HTTP tests' set plus a deep stack.

Written with the project's own sample writers (real files in every format). Image 9 is a
romio uint16 64x64 stack of 40 planes and 4 channels, so a projection's depth x plane x
channels product is large enough to hit a small ``max_request_bytes``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # scripts/fuzz.py and scripts/soak.py import this from outside pytest
    sys.path.insert(0, str(REPO))

from omero_fast_region.sample.writers import write_romio  # noqa: E402
from tests.http.conftest import build_image_set  # noqa: E402

DEEP_ID = 9
DEEP_SHAPE = (1, 4, 40, 64, 64)


def write_image_set(folder: str | os.PathLike) -> Path:
    """Write the set into ``folder`` (once: an existing catalog is reused); returns the catalog path."""
    root = Path(folder)
    catalog = root / "catalog.json"
    if catalog.is_file():
        return catalog
    root.mkdir(parents=True, exist_ok=True)
    image_set = build_image_set(root)
    doc = json.loads(image_set.catalog.read_text())
    deep = (np.arange(np.prod(DEEP_SHAPE)) % 4001).astype(np.uint16).reshape(DEEP_SHAPE)
    write_romio(str(root / "Pixels" / str(DEEP_ID)), deep)
    t, c, z, y, x = DEEP_SHAPE
    doc["images"].append({
        "id": DEEP_ID, "name": "deep stack", "source": {"format": "romio", "path": f"Pixels/{DEEP_ID}"},
        "pixels": {"type": "uint16", "size_x": x, "size_y": y, "size_z": z, "size_c": c, "size_t": t},
        "channels": [{"stats": [0, 4000]}] * c,
    })
    catalog.write_text(json.dumps(doc))
    return catalog


def ids_of(catalog: Path) -> tuple[list[int], list[int]]:
    """Image ids and shape ids of a catalog."""
    doc = json.loads(Path(catalog).read_text())
    return [int(i["id"]) for i in doc["images"]], [int(m["id"]) for m in doc.get("masks") or []]
