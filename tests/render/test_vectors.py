"""The shared acceptance vectors: every case of render_cases.jsonl renders exactly as OMERO's Java."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.render import (ChannelInfo, ChannelSettings, LutLibrary, PixelsInfo,
                                      RenderSettings, render_rgb)
from omero_fast_region.render.pixeltypes import DTYPES
from tests.conftest import VECTORS

from .builders import vector_lut_columns, write_raw_lut

_CASES_FILE = VECTORS / "render_cases.jsonl"


def _case_ids() -> list[str]:
    if not _CASES_FILE.is_file():
        return ["vectors-absent"]
    with _CASES_FILE.open() as handle:
        return [f"line{n + 1}-{json.loads(line)['name']}" for n, line in enumerate(handle)]


_IDS = _case_ids()


@pytest.fixture(scope="module")
def cases(vectors_dir: Path) -> list[dict]:
    with (vectors_dir / "render_cases.jsonl").open() as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def vector_luts(tmp_path_factory) -> LutLibrary:
    folder = tmp_path_factory.mktemp("luts")
    write_raw_lut(folder / "test.lut", *vector_lut_columns())
    return LutLibrary([str(folder)])


def _render(case: dict, luts: LutLibrary, padded: bool = False) -> np.ndarray:
    pixel_type = case["pixel_type"]
    shape = (case["size_y"], case["size_x"])
    planes = [np.array(ch["values"], dtype=np.float64).astype(DTYPES[pixel_type]).reshape(shape)
              for ch in case["channels"]]
    pixels = PixelsInfo(pixel_type, case["size_x"], case["size_y"], size_c=len(planes),
                        significant_bits=case["significant_bits"])
    infos = [ChannelInfo(stats=tuple(ch["stats"]) if ch["stats"] else None) for ch in case["channels"]]
    settings = RenderSettings(
        model=case["model"], bit_resolution=case["bit_resolution"],
        cd_start=case["cd_start"], cd_end=case["cd_end"],
        channels=tuple(ChannelSettings(
            active=ch["active"], window=tuple(ch["window"]), rgba=tuple(ch["rgba"]),
            family=ch["family"], coefficient=ch["coefficient"], noise_reduction=ch["noise_reduction"],
            lut=ch["lut"], reverse=ch["reverse"]) for ch in case["channels"]),
    )
    return render_rgb(planes, pixels, infos, settings, luts, padded=padded)


@pytest.mark.parametrize("line", range(len(_IDS)), ids=_IDS)
def test_render_case_matches_omero(cases: list[dict], vector_luts: LutLibrary, line: int) -> None:
    case = cases[line]
    rgb = _render(case, vector_luts)
    assert rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert rgb.shape == (case["size_y"], case["size_x"], 3)
    if "expected_error" in case:
        return  # OMERO crashes here; we only require a sensible image (see test_significant_bits)
    expected = np.array(case["expected_rgb"], dtype=np.uint8).reshape(rgb.shape)
    padded = _render(case, vector_luts, padded=True)  # the layout JPEG tiles are rendered in
    assert padded.shape == (case["size_y"], case["size_x"], 4) and padded.flags.c_contiguous
    for image in (rgb, padded[..., :3]):
        mismatch = np.argwhere((image != expected).any(axis=2))
        assert mismatch.size == 0, (
            f"{case['name']}: first mismatch at {mismatch[0].tolist()}: got "
            f"{image[tuple(mismatch[0])].tolist()}, OMERO {expected[tuple(mismatch[0])].tolist()}")
