"""Shared test fixtures: where the project's shared vectors live, and skipping when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VECTORS = SHARED / "vectors"


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    """``../shared/vectors`` beside the repository; skips the test when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip("../shared/vectors is not present")
    return VECTORS
