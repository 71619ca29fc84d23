"""encode: JPEG of padded RGB (the tile path) is the JPEG of the RGB; PNG/TIFF stay 3-sample."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from omero_fast_region.encode import encode_rgb


def _rgb_and_padded(h: int = 48, w: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    padded = np.empty((h, w, 4), dtype=np.uint8)
    padded[..., :3] = rgb
    padded[..., 3] = rng.integers(0, 256, (h, w), dtype=np.uint8)  # the padding byte means nothing
    return rgb, padded


@pytest.mark.parametrize("quality", [0.9, 0.5])
def test_jpeg_of_padded_rgb_is_byte_identical(quality) -> None:
    rgb, padded = _rgb_and_padded()
    assert encode_rgb(padded, "jpeg", quality) == encode_rgb(rgb, "jpeg", quality)


def test_jpeg_of_a_flipped_padded_view_is_that_of_the_flipped_rgb() -> None:
    rgb, padded = _rgb_and_padded()
    assert encode_rgb(padded[::-1, ::-1], "jpeg", 0.8) == encode_rgb(rgb[::-1, ::-1], "jpeg", 0.8)


@pytest.mark.parametrize("fmt", ["png", "tif"])
def test_lossless_formats_of_padded_rgb_decode_to_the_rgb(fmt) -> None:
    rgb, padded = _rgb_and_padded()
    decoded = Image.open(io.BytesIO(encode_rgb(padded, fmt)))
    assert decoded.mode == "RGB"
    assert np.array_equal(np.asarray(decoded), rgb)
