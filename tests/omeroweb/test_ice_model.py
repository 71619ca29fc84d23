"""Descriptor building and rendering-definition selection on real ``omero.model`` objects.

The objects come from the fake server's fixture builder, i.e. the same classes and shapes
the server sends (several rendering definitions, LUTs, reverse maps, NGFF external info,
multi-file filesets), so no server is needed.
"""

from __future__ import annotations

import copy
import json
import pickle
import sys
from pathlib import Path

import pytest

pytest.importorskip("omero")

import omero.model  # noqa: E402
from omero.rtypes import rlong, rstring  # noqa: E402

from omero_fast_region.catalog.ice_model import describe_image, select_rendering_def  # noqa: E402
from omero_fast_region.errors import Unsupported  # noqa: E402
from omero_fast_region.pixels import romio_path  # noqa: E402

FAKE = Path(__file__).resolve().parents[1] / "fake_omero"
sys.path.insert(0, str(FAKE))
from fake_omero_server import build_model  # noqa: E402

ALICE, BOB, ROOT = 2, 3, 0


def images(fixture: dict | None = None) -> dict[int, object]:
    fx = fixture or json.loads((FAKE / "example_fixture.json").read_text())
    _, _, objects = build_model(fx)
    return {o.getId().val: o for o in objects if isinstance(o, omero.model.ImageI)}


@pytest.fixture
def ngff_root(tmp_path) -> str:
    return str(tmp_path / "ngff")


def test_the_requesters_own_rendering_def_wins_else_the_owners():
    pix = images()[1].getPrimaryPixels()
    rdefs = pix.copySettings()
    assert select_rendering_def(rdefs, ALICE, ALICE).getId().val == 21
    assert select_rendering_def(rdefs, ROOT, ALICE).getId().val == 22
    assert select_rendering_def(rdefs, BOB, ALICE).getId().val == 21  # a third user gets the owner's
    assert select_rendering_def(rdefs, BOB, 99) is None  # neither the requester's nor the owner's


def test_bindings_families_luts_and_reverse_maps_become_render_settings(tmp_path):
    image = images()[1]
    descriptor = describe_image(image, ROOT, str(tmp_path), ngff_roots=["/data/ngff"])
    assert descriptor.rendering.id == 22 and descriptor.rendering.settings.model == "greyscale"
    alice = describe_image(image, ALICE, str(tmp_path), ngff_roots=["/data/ngff"])
    dapi, gfp = alice.rendering.settings.channels
    assert (dapi.window, dapi.rgba, dapi.family, dapi.active, dapi.reverse) == ((100.0, 2000.0), (0, 0, 255, 255), "linear", True, False)
    assert (gfp.family, gfp.coefficient, gfp.noise_reduction, gfp.active, gfp.lut, gfp.reverse) == (
        "exponential", 1.8, True, False, "cool.lut", True)
    assert alice.rendering.default_z == 2 and alice.rendering.owner_id == ALICE
    assert [r.id for r in alice.rendering_defs] == [21, 22]
    assert alice.pixels.pixel_type == "uint16" and (alice.pixels.size_z, alice.pixels.size_c, alice.pixels.size_t) == (5, 2, 3)
    assert alice.channels[0].label == "DAPI" and alice.channels[1].stats == (10.0, 60000.0)
    assert alice.channels[0].emission_wavelength == 461.0
    assert alice.physical_size == (0.325, 0.325, 1.5)
    assert pickle.loads(pickle.dumps(alice)) == alice


def test_ngff_external_info_is_used_only_under_data_dir_or_ngff_roots(tmp_path):
    image = images()[1]
    source = describe_image(image, ALICE, str(tmp_path), ngff_roots=["/data/ngff"]).source
    assert (source.format, source.path, source.root) == ("ngff", "/data/ngff/ngff_image.zarr/0", "/data/ngff")
    with pytest.raises(Unsupported):
        describe_image(image, ALICE, str(tmp_path))  # /data/ngff is neither data_dir nor an NGFF root


def test_ngff_s3_uri_names_the_bucket_and_must_match_the_endpoint(tmp_path):
    image = images()[1]
    info = image.getDetails().getExternalInfo()
    info.setLsid(rstring("s3://s3.example.org/idr/zarr/v0.4/6001240.zarr"))
    source = describe_image(image, ALICE, str(tmp_path), s3_endpoint="https://s3.example.org").source
    assert (source.format, source.path) == ("ngff", "s3://idr/zarr/v0.4/6001240.zarr")
    with pytest.raises(Unsupported):
        describe_image(image, ALICE, str(tmp_path), s3_endpoint="https://other.example.org")


def test_other_external_info_is_not_ngff(tmp_path):
    image = images()[1]
    image.getDetails().getExternalInfo().setEntityId(rlong(1))
    with pytest.raises(Unsupported, match="no pixel data"):
        describe_image(image, ALICE, str(tmp_path))


def test_pyramid_then_romio_under_data_dir(tmp_path):
    image = images()[2]
    raw = Path(romio_path(str(tmp_path), 12))
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(b"\0" * 512 * 512)
    assert describe_image(image, ALICE, str(tmp_path)).source.format == "romio"
    Path(str(raw) + "_pyramid").write_bytes(b"II")
    descriptor = describe_image(image, ALICE, str(tmp_path))
    assert descriptor.source.format == "pyramid" and descriptor.source.path == str(raw) + "_pyramid"
    assert descriptor.rendering is not None  # the fixture's default rdef


def test_a_multi_file_fileset_without_a_readable_companion_is_left_to_the_stock_view(tmp_path):
    image = images()[3]  # multi.ome.tiff + multi.companion.ome, series 2
    files = [("bob_3/2024-01/", "multi.ome.tiff"), ("bob_3/2024-01/", "multi.companion.ome")]
    with pytest.raises(Unsupported, match="companion"):
        describe_image(image, BOB, str(tmp_path), fileset_files=lambda fid: files)


def test_a_single_tiff_original_is_read_in_place_with_the_image_series(tmp_path):
    image = images()[3]
    original = tmp_path / "ManagedRepository" / "bob_3" / "2024-01" / "multi.ome.tiff"
    original.parent.mkdir(parents=True)
    original.write_bytes(b"II*\0")
    source = describe_image(image, BOB, str(tmp_path), fileset_files=lambda fid: [("bob_3/2024-01/", "multi.ome.tiff")]).source
    assert (source.format, source.path, source.series) == ("tiff", str(original), 2)


def test_an_original_path_leaving_the_repository_is_refused(tmp_path):
    image = images()[3]
    with pytest.raises(Unsupported):
        describe_image(image, BOB, str(tmp_path), fileset_files=lambda fid: [("../../etc/", "x.tif")])


def test_no_rendering_def_gives_a_descriptor_without_rendering(tmp_path):
    fx = json.loads((FAKE / "example_fixture.json").read_text())
    fx = copy.deepcopy(fx)
    fx["images"][1]["renderingDefs"] = []
    image = images(fx)[2]
    raw = Path(romio_path(str(tmp_path), 12))
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(b"\0")
    assert describe_image(image, ALICE, str(tmp_path)).rendering is None
