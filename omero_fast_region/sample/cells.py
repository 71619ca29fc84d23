"""Synthetic fluorescence "cells": nuclei, cytoplasm, membrane spots and tissue texture.

Deterministic (seeded) and fast enough to make a 4096×4096 × 4-channel × 3-Z image in seconds:
each cell is a small Gaussian patch added at its place, texture is upsampled low-frequency
noise, and camera noise is added last. Values are uint16 with a realistic dynamic range.
"""

from __future__ import annotations

import numpy as np

#: (label, emission wavelength nm) of the demo channels
CHANNELS = (("DAPI", 461.0), ("GFP", 510.0), ("mCherry", 610.0), ("Cy5", 670.0))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: random values on a coarse grid, bilinearly upsampled."""
    gh, gw = shape[0] // cell + 2, shape[1] // cell + 2
    coarse = rng.random((gh, gw), dtype=np.float32)
    ys = np.arange(shape[0], dtype=np.float32) / cell
    xs = np.arange(shape[1], dtype=np.float32) / cell
    y0, x0 = ys.astype(np.int32), xs.astype(np.int32)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _gaussian_patch(radius: float, elongation: float, angle: float) -> np.ndarray:
    half = int(3 * radius * max(1.0, elongation)) + 1
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float32)
    ca, sa = np.cos(angle), np.sin(angle)
    u, v = (xx * ca + yy * sa) / (radius * elongation), (-xx * sa + yy * ca) / radius
    return np.exp(-0.5 * (u * u + v * v))


def _stamp(plane: np.ndarray, patch: np.ndarray, cy: int, cx: int, weight: float) -> None:
    half = patch.shape[0] // 2
    y0, x0 = cy - half, cx - half
    py0, px0 = max(0, -y0), max(0, -x0)
    y1, x1 = min(plane.shape[0], y0 + patch.shape[0]), min(plane.shape[1], x0 + patch.shape[1])
    if y1 <= max(0, y0) or x1 <= max(0, x0):
        return
    plane[max(0, y0):y1, max(0, x0):x1] += weight * patch[py0:py0 + y1 - max(0, y0), px0:px0 + x1 - max(0, x0)]


def make_cells(size_x: int, size_y: int, size_z: int = 3, size_c: int = 4, size_t: int = 1, seed: int = 7) -> np.ndarray:
    """A (T, C, Z, Y, X) uint16 array of synthetic cells."""
    rng = np.random.default_rng(seed)
    n_cells = max(4, size_x * size_y // 9000)
    centres = np.stack([rng.integers(0, size_y, n_cells), rng.integers(0, size_x, n_cells)], axis=1)
    radii = rng.uniform(5.0, 11.0, n_cells)
    shapes = [(_gaussian_patch(r, rng.uniform(1.0, 1.6), rng.uniform(0, np.pi)),
               _gaussian_patch(r * 2.2, rng.uniform(1.0, 1.8), rng.uniform(0, np.pi))) for r in radii[:64]]
    brightness = rng.uniform(0.5, 1.0, (n_cells, 4)).astype(np.float32)
    texture = _smooth_noise(rng, (size_y, size_x), 256)
    fine = _smooth_noise(rng, (size_y, size_x), 24)
    out = np.empty((size_t, size_c, size_z, size_y, size_x), dtype=np.uint16)
    for t in range(size_t):
        for z in range(size_z):
            focus = 1.0 - 0.35 * abs(z - (size_z - 1) / 2) / max(1.0, (size_z - 1) / 2)
            for c in range(size_c):
                plane = np.zeros((size_y, size_x), dtype=np.float32)
                kind = c % 4
                for i, (cy, cx) in enumerate(centres):
                    nucleus, body = shapes[i % len(shapes)]
                    if kind == 0:
                        _stamp(plane, nucleus, cy, cx, 2600 * brightness[i, 0] * focus)
                    elif kind == 1:
                        _stamp(plane, body, cy, cx, 1400 * brightness[i, 1] * focus)
                    elif kind == 2 and i % 3 == 0:
                        _stamp(plane, nucleus, cy + int(radii[i]), cx - int(radii[i]), 1800 * brightness[i, 2] * focus)
                if kind == 3:
                    plane += 900 * texture * fine
                elif kind == 1:
                    plane *= 0.6 + 0.8 * fine
                plane += 100 + 300 * texture
                plane += rng.normal(0.0, 12.0, plane.shape).astype(np.float32)
                np.clip(plane, 0, 65535, out=plane)
                out[t, c, z] = plane.astype(np.uint16)
    return out
