"""Picking the TIFF of an imported fileset (catalog/filesets.py) on real OME-TIFF files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.catalog.filesets import image_files, locate_tiff
from omero_fast_region.errors import Unsupported
from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.pixels import open_source
from omero_fast_region.sample.writers import write_ome_tiff
from tests.omeroweb.repository import companion_xml

FOLDER = "alice_2/2024-02/10-00-00.000/"
def write_companion_set(managed: Path, planes: list[np.ndarray], images: list[list[str | None]]) -> list[tuple[str, str]]:
    """``set.companion.ome`` + ``set_<i>.ome.tiff`` per plane, as an OMERO fileset's (path, name) rows."""
    folder = managed / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    files = [(FOLDER, "set.companion.ome")]
    (folder / "set.companion.ome").write_text(companion_xml(images, size_x=8, size_y=6))
    for i, plane in enumerate(planes):
        write_ome_tiff(str(folder / f"set_{i}.ome.tiff"), plane.reshape(1, 1, 1, *plane.shape))
        files.append((FOLDER, f"set_{i}.ome.tiff"))
    return files


@pytest.fixture
def planes() -> list[np.ndarray]:
    return [np.full((6, 8), 10 * (i + 1), dtype=np.uint8) for i in range(2)]


def test_each_companion_image_is_read_from_the_tiff_its_tiffdata_name(tmp_path, planes):
    managed = tmp_path / "ManagedRepository"
    files = write_companion_set(managed, planes, [["set_0.ome.tiff"], ["set_1.ome.tiff"]])
    for series, plane in enumerate(planes):
        path, in_file = locate_tiff(files, series, str(managed))
        assert (path, in_file) == (str(managed / FOLDER / f"set_{series}.ome.tiff"), 0)
        with open_source(SourceSpec("tiff", path, str(managed), in_file)) as source:
            assert np.array_equal(source.read_region(0, 0, 0, 0, 0, 0, 8, 6), plane)


def test_a_single_tiff_file_keeps_the_image_series(tmp_path):
    path, series = locate_tiff([(FOLDER, "one.ome.tiff")], 3, str(tmp_path))
    assert (path, series) == (str(tmp_path / FOLDER / "one.ome.tiff"), 3)


def test_an_image_spread_over_several_tiffs_is_ambiguous(tmp_path, planes):
    managed = tmp_path / "ManagedRepository"
    files = write_companion_set(managed, planes, [["set_0.ome.tiff", "set_1.ome.tiff"]])
    with pytest.raises(Unsupported, match="not all in one TIFF"):
        locate_tiff(files, 0, str(managed))


def test_tiffdata_without_a_file_name_is_ambiguous(tmp_path, planes):
    managed = tmp_path / "ManagedRepository"
    files = write_companion_set(managed, planes, [[None]])
    with pytest.raises(Unsupported):
        locate_tiff(files, 0, str(managed))


def test_a_companion_naming_a_file_outside_the_set_is_refused(tmp_path, planes):
    managed = tmp_path / "ManagedRepository"
    files = write_companion_set(managed, planes, [["../../elsewhere.ome.tiff"], ["other.ome.tiff"]])
    for series in (0, 1):
        with pytest.raises(Unsupported):
            locate_tiff(files, series, str(managed))


def test_several_files_without_a_companion_go_to_the_stock_view(tmp_path):
    with pytest.raises(Unsupported, match="companion"):
        locate_tiff([(FOLDER, "a.ome.tiff"), (FOLDER, "b.ome.tiff")], 0, str(tmp_path))


def test_a_series_past_the_companion_images_goes_to_the_stock_view(tmp_path, planes):
    managed = tmp_path / "ManagedRepository"
    files = write_companion_set(managed, planes, [["set_0.ome.tiff"]])
    with pytest.raises(Unsupported, match="no image 1"):
        locate_tiff(files, 1, str(managed))


def test_images_sharing_a_file_are_numbered_within_it():
    per_image = image_files(companion_xml([["a.tif"], ["b.tif"], ["a.tif"]]).encode())
    assert per_image == [{"a.tif"}, {"b.tif"}, {"a.tif"}]
