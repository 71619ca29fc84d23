"""Fixtures for pixel-source tests: sample data, region checks, a real S3 server (moto) on loopback."""

from __future__ import annotations


import numpy as np
import pytest

from omero_fast_region.render.model import PixelsInfo
from omero_fast_region.loopback import free_port

#: OMERO pixel type -> numpy dtype of the sample data.
TYPES = {
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "float": np.float32,
    "double": np.float64,
}


def sample(pixel_type: str = "uint16", shape=(2, 3, 3, 70, 90), seed: int = 0) -> np.ndarray:
    """Random (T, C, Z, Y, X) data spanning the type's range (extremes included)."""
    dtype = np.dtype(TYPES[pixel_type])
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        data = rng.normal(0, 1e3, shape).astype(dtype)
        data.flat[0], data.flat[1] = -3.4e38 if dtype.itemsize == 4 else -1e300, 1e-30
    else:
        info = np.iinfo(dtype)
        data = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        data.flat[0], data.flat[1] = info.min, info.max
    return data


def pixels_of(data: np.ndarray, pixel_type: str) -> PixelsInfo:
    t, c, z, y, x = data.shape
    return PixelsInfo(pixel_type, x, y, z, c, t)


def regions(width: int, height: int, tile: tuple[int, int]):
    """Regions that cross chunk edges, touch the image edges, cover one pixel and the whole level."""
    tw, th = min(tile[0], width), min(tile[1], height)
    yield 0, 0, width, height
    yield 0, 0, 1, 1
    yield width - 1, height - 1, 1, 1
    yield max(0, tw - 3), max(0, th - 2), min(7, width - max(0, tw - 3)), min(5, height - max(0, th - 2))
    yield width // 3, height // 4, width - width // 3, height - height // 4  # to the bottom-right edge
    yield 1, 2, max(1, width // 2), max(1, height // 2)


def assert_reads(source, level_data: list[np.ndarray], planes=None) -> None:
    """Every region of every level (and every z, c, t unless ``planes`` limits them) equals the truth."""
    for level, truth in enumerate(level_data):
        t_n, c_n, z_n, height, width = truth.shape
        assert source.levels[level] == (width, height)
        all_planes = planes or [(z, c, t) for t in range(t_n) for c in range(c_n) for z in range(source.size_z)]
        for z, c, t in all_planes:
            zl = z * z_n // source.size_z
            for x, y, w, h in regions(width, height, source.tile_size(level)):
                got = source.read_region(z, c, t, level, x, y, w, h)
                assert got.dtype.isnative and got.shape == (h, w)
                np.testing.assert_array_equal(got, truth[t, c, zl, y : y + h, x : x + w], err_msg=f"{level} {z} {c} {t} {x} {y} {w} {h}")




@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible HTTP server (moto) on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def open_fds():
    """Count of this process's open file descriptors."""
    import os

    return lambda: len(os.listdir("/proc/self/fd"))
