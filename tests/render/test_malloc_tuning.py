"""The allocator tuning removes the per-tile page faults of numpy's big temporaries."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = r"""
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from omero_fast_region.malloc_tuning import raise_mmap_threshold
    assert raise_mmap_threshold()
from omero_fast_region.encode import encode_rgb
from omero_fast_region.render import render_rgb
from omero_fast_region.render.model import ChannelInfo, ChannelSettings, PixelsInfo, RenderSettings
rng = np.random.default_rng(0)
planes = [rng.integers(0, 4096, (512, 512), dtype=np.uint16) for _ in range(3)]
pixels = PixelsInfo("uint16", 512, 512, 1, 3)
colours = [(0, 0, 255, 255), (0, 255, 0, 255), (255, 0, 0, 255)]
settings = RenderSettings(channels=tuple(ChannelSettings(window=(100, 4000), rgba=c) for c in colours))
def tile():
    encode_rgb(render_rgb([p.copy() for p in planes], pixels, [ChannelInfo()] * 3, settings), "jpeg", 0.9)
for _ in range(5):
    tile()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(40):
    tile()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 40)
"""


def faults_per_tile(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, timeout=120, check=True)
    return float(out.stdout.decode().strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_a_warm_tile_takes_almost_no_page_faults_once_tuned():
    # the mmap threshold alone leaves ~330 faults per tile here, glibc's defaults ~500
    assert faults_per_tile("tuned") < 20
