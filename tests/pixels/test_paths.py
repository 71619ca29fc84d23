"""Path scheme and repository-root safety (pixels/paths.py)."""

from __future__ import annotations

import os

import pytest

from omero_fast_region.errors import UnsafePath
from omero_fast_region.pixels import resolve_under, romio_path
from omero_fast_region.pixels.paths import check_relative


@pytest.mark.parametrize(
    "pixels_id, expected",
    [
        (1, "Pixels/1"),
        (999, "Pixels/999"),
        (1000, "Pixels/Dir-001/1000"),
        (1234567, "Pixels/Dir-001/Dir-234/1234567"),
        (1000000, "Pixels/Dir-001/Dir-000/1000000"),
        (123456789012, "Pixels/Dir-123/Dir-456/Dir-789/123456789012"),
    ],
)
def test_romio_path_follows_omero_dir_scheme(pixels_id, expected):
    assert romio_path("/OMERO", pixels_id) == "/OMERO/" + expected


def test_resolve_under_accepts_relative_and_absolute_paths_inside_root(tmp_path):
    root = str(tmp_path)
    assert resolve_under(root, "Pixels/1") == os.path.join(root, "Pixels", "1")
    assert resolve_under(root, os.path.join(root, "a", "b")) == os.path.join(root, "a", "b")
    assert resolve_under(root, "a/./b/") == os.path.join(root, "a", "b")


@pytest.mark.parametrize("path", ["../etc/passwd", "a/../../x", "a/..", "/etc/passwd", "Pixels/1\0x"])
def test_resolve_under_refuses_escapes(tmp_path, path):
    with pytest.raises(UnsafePath):
        resolve_under(str(tmp_path), path)


def test_resolve_under_refuses_dotdot_even_when_it_stays_inside(tmp_path):
    with pytest.raises(UnsafePath):
        resolve_under(str(tmp_path), "a/../b")


def test_resolve_under_refuses_absolute_path_with_root_as_prefix_string(tmp_path):
    with pytest.raises(UnsafePath):
        resolve_under(str(tmp_path / "repo"), str(tmp_path / "repo-other" / "x"))


def test_symlink_inside_repository_to_inside_is_allowed(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_bytes(b"x")
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert resolve_under(str(tmp_path), "link/f") == str(tmp_path / "link" / "f")


def test_symlink_inside_repository_to_outside_is_followed_like_an_in_place_import(tmp_path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    (outside / "original.tif").write_bytes(b"x")
    os.symlink(outside / "original.tif", root / "linked.tif")
    assert resolve_under(str(root), "linked.tif") == str(root / "linked.tif")


def test_metadata_cannot_name_the_target_of_a_symlink_directly(tmp_path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    os.symlink(outside, root / "escape")
    for bad in (str(outside / "secret"), "escape/../../outside/secret"):
        with pytest.raises(UnsafePath):
            resolve_under(str(root), bad)


def test_relative_store_paths_refuse_dotdot_and_absolute():
    assert check_relative("0") == "0"
    assert check_relative("s0/a") == "s0/a"
    for bad in ("", "/0", "../0", "a/../../b", "\\x"):
        with pytest.raises(UnsafePath):
            check_relative(bad)


def test_resolve_under_needs_an_absolute_root():
    with pytest.raises(UnsafePath):
        resolve_under("relative/root", "x")
