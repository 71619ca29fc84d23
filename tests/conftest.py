"""Shared test fixtures: where the project's shared vectors live, and skipping when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "vectors"


@pytest.fixture(autouse=True)
def _no_cached_thumbnails():
    """Encoded thumbnails are per-process state (``service.thumbnail.THUMBNAILS``): each test starts without."""
    from omero_fast_region.service.thumbnail import THUMBNAILS

    THUMBNAILS.clear()
    yield


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """``../shared/vectors`` beside the repository; skips the test when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip("../shared/vectors is not present")
    return VECTORS
