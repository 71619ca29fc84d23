"""Decoding answers for assertions: images are compared decoded (PNG/raw RGB), never as JPEG bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def decoded(response) -> Image.Image:
    return Image.open(io.BytesIO(response.content))


def size_of(response) -> tuple[int, int]:
    return decoded(response).size


def rgb_of(response) -> np.ndarray:
    return np.asarray(decoded(response).convert("RGB"))
