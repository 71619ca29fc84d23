"""The local catalog (DESIGN.md §5): loading, validation errors, OMERO's default settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

from omero_fast_region.catalog.local import LocalCatalog
from omero_fast_region.errors import CatalogError, NotFound

from .conftest import write_catalog, write_raw_xyzct

RAW_PIXELS = {"type": "uint16", "size_x": 4, "size_y": 3, "size_z": 1, "size_c": 1, "size_t": 1}


def test_raw_image_without_rendering_gets_omero_defaults(raw_catalog: Path) -> None:
    image = LocalCatalog(str(raw_catalog)).get_image(1)
    assert image.pixels.pixel_type == "uint16"
    assert (image.pixels.size_x, image.pixels.size_y) == (4, 3)
    rdef = image.rendering
    assert rdef is not None
    # one channel -> greyscale; no StatsInfo -> window = min/max of the middle plane (renderer.md §5)
    assert rdef.settings.model == "greyscale"
    assert rdef.settings.channels[0].window == (100.0, 3400.0)
    assert rdef.settings.channels[0].active
    assert (rdef.default_z, rdef.default_t) == (0, 0)
    assert (rdef.settings.bit_resolution, rdef.settings.cd_start, rdef.settings.cd_end) == (255, 0, 255)


def test_rendering_given_in_catalog_is_used_verbatim(tmp_path: Path, raw_uint16_image: np.ndarray) -> None:
    write_raw_xyzct(tmp_path / "Pixels" / "9", raw_uint16_image)
    rendering = {"model": "rgb", "default_z": 0, "default_t": 0,
                 "quantization": {"bit_resolution": 127, "cd_start": 10, "cd_end": 200},
                 "channels": [{"active": True, "window": [5, 500], "rgba": [255, 0, 0, 128], "family": "exponential",
                               "coefficient": 2.0, "noise_reduction": True, "lut": "fire.lut", "reverse": True}]}
    path = write_catalog(tmp_path, [{"id": 9, "source": {"format": "romio", "path": "Pixels/9"},
                                     "pixels": RAW_PIXELS, "rendering": rendering}])
    settings = LocalCatalog(str(path)).get_image(9).rendering.settings
    ch = settings.channels[0]
    assert (settings.model, settings.bit_resolution, settings.cd_start, settings.cd_end) == ("rgb", 127, 10, 200)
    assert (ch.window, ch.rgba, ch.family, ch.coefficient) == ((5.0, 500.0), (255, 0, 0, 128), "exponential", 2.0)
    assert (ch.noise_reduction, ch.lut, ch.reverse) == (True, "fire.lut", True)


def test_channel_stats_drive_the_default_window_of_a_pyramid_free_image(tmp_path: Path, raw_uint16_image) -> None:
    write_raw_xyzct(tmp_path / "Pixels" / "2", raw_uint16_image)
    path = write_catalog(tmp_path, [{"id": 2, "source": {"format": "romio", "path": "Pixels/2"},
                                     "pixels": RAW_PIXELS, "channels": [{"stats": [0, 4095]}]}])
    # the primary channel has StatsInfo, so findMinMax is not used: window = stats
    assert LocalCatalog(str(path)).get_image(2).rendering.settings.channels[0].window == (0.0, 4095.0)


def test_unknown_image_is_not_found(raw_catalog: Path) -> None:
    with pytest.raises(NotFound):
        LocalCatalog(str(raw_catalog)).get_image(2)


def _error(tmp_path: Path, images: list[dict]) -> str:
    with pytest.raises(CatalogError) as info:
        LocalCatalog(str(write_catalog(tmp_path, images)))
    return str(info.value)


def test_unknown_format_is_named(tmp_path: Path) -> None:
    message = _error(tmp_path, [{"id": 5, "name": "x", "source": {"format": "czi", "path": "a.czi"}}])
    assert "image 5" in message and "unknown source format 'czi'" in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    message = _error(tmp_path, [{"id": 6, "source": {"format": "romio", "path": "Pixels/6"}, "pixels": RAW_PIXELS}])
    assert "image 6" in message and "not found" in message


@pytest.mark.parametrize("escape", ["../outside", "/etc/passwd", "Pixels/../../outside"])
def test_path_leaving_the_catalog_folder_is_refused(tmp_path: Path, escape: str) -> None:
    inner = tmp_path / "catalog"
    inner.mkdir()
    (tmp_path / "outside").write_bytes(b"\0" * 24)
    message = _error(inner, [{"id": 7, "source": {"format": "romio", "path": escape}, "pixels": RAW_PIXELS}])
    assert "image 7" in message and "leaves the catalog's folder" in message


def test_symlink_inside_the_catalog_folder_is_followed(tmp_path: Path, raw_uint16_image) -> None:
    """Checks are lexical: a link already inside the folder is trusted (in-place imports)."""
    inner = tmp_path / "catalog"
    inner.mkdir()
    write_raw_xyzct(tmp_path / "outside", raw_uint16_image)
    (inner / "link").symlink_to(tmp_path / "outside")
    path = write_catalog(inner, [{"id": 8, "source": {"format": "romio", "path": "link"}, "pixels": RAW_PIXELS}])
    assert LocalCatalog(str(path)).get_image(8).source.path == str(inner / "link")


def test_pixels_disagreeing_with_the_file_are_named(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "plane.tif", np.zeros((3, 4), dtype=np.uint8))
    message = _error(tmp_path, [{"id": 10, "source": {"format": "tiff", "path": "plane.tif"},
                                 "pixels": dict(RAW_PIXELS, type="uint8", size_x=5)}])
    assert "image 10" in message and "size_x" in message and "5" in message and "4" in message


def test_raw_file_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pixels").mkdir()
    (tmp_path / "Pixels" / "11").write_bytes(b"\0" * 7)
    message = _error(tmp_path, [{"id": 11, "source": {"format": "romio", "path": "Pixels/11"}, "pixels": RAW_PIXELS}])
    assert "image 11" in message


def test_romio_needs_declared_pixels(tmp_path: Path, raw_uint16_image) -> None:
    write_raw_xyzct(tmp_path / "Pixels" / "12", raw_uint16_image)
    message = _error(tmp_path, [{"id": 12, "source": {"format": "romio", "path": "Pixels/12"}}])
    assert "image 12" in message and "'pixels' is required" in message


def test_duplicate_ids_are_refused(tmp_path: Path, raw_uint16_image) -> None:
    write_raw_xyzct(tmp_path / "Pixels" / "1", raw_uint16_image)
    entry = {"id": 1, "source": {"format": "romio", "path": "Pixels/1"}, "pixels": RAW_PIXELS}
    assert "duplicate id" in _error(tmp_path, [entry, entry])


def test_invalid_json_is_reported(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text("{not json")
    with pytest.raises(CatalogError, match="not valid JSON"):
        LocalCatalog(str(tmp_path / "catalog.json"))


def test_rendering_with_wrong_channel_count_is_refused(tmp_path: Path, raw_uint16_image) -> None:
    write_raw_xyzct(tmp_path / "Pixels" / "13", raw_uint16_image)
    message = _error(tmp_path, [{"id": 13, "source": {"format": "romio", "path": "Pixels/13"}, "pixels": RAW_PIXELS,
                                 "rendering": {"channels": []}}])
    assert "image 13" in message and "rendering.channels" in message


def test_lut_folders_are_resolved_under_the_catalog(tmp_path: Path, raw_catalog: Path) -> None:
    (tmp_path / "luts").mkdir()
    doc = json.loads(raw_catalog.read_text())
    doc["luts"] = ["luts"]
    raw_catalog.write_text(json.dumps(doc))
    assert LocalCatalog(str(raw_catalog)).lut_dirs() == [str(tmp_path / "luts")]
