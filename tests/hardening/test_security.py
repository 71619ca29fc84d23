"""Paths from catalogs, NGFF metadata, ExternalInfo lsids and fileset records never leave the
repository root (checked lexically, and symbolic links only while they stay inside); caches and
ETags are per requester scope."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.catalog.local import LocalCatalog
from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import CatalogError, FastRegionError, UnsafePath, Unsupported
from omero_fast_region.pixels import open_source
from omero_fast_region.sample.writers import write_ngff, write_romio

PIXELS = {"type": "uint8", "size_x": 8, "size_y": 8, "size_z": 1, "size_c": 1, "size_t": 1}
ESCAPES = [
    "../secret", "../../../../etc/passwd", "Pixels/../../secret", "/etc/passwd", "Pixels/%2e%2e/%2e%2e/secret",
    "./../secret", "Pixels/1/../../../secret", "..\\secret", "Pixels/1\0", "",
]


@pytest.fixture
def repo(tmp_path) -> Path:
    """``tmp/repo`` (the catalog's folder, holding Pixels/1) beside ``tmp/secret`` (outside it)."""
    root = tmp_path / "repo"
    data = np.arange(64, dtype=np.uint8).reshape(1, 1, 1, 8, 8)
    write_romio(str(root / "Pixels" / "1"), data)
    write_romio(str(tmp_path / "secret"), data)
    return root


def catalog_with(root: Path, source_path: str, **extra) -> Path:
    image = {"id": 1, "source": {"format": "romio", "path": source_path}, "pixels": PIXELS, **extra}
    path = root / "catalog.json"
    path.write_text(json.dumps({"images": [image]}))
    return path


@pytest.mark.parametrize("escape", ESCAPES)
def test_a_catalog_source_path_cannot_leave_the_catalog_folder(repo, escape):
    with pytest.raises(CatalogError):
        LocalCatalog(str(catalog_with(repo, escape)))


def test_symlinks_already_inside_the_repository_are_followed_the_check_is_lexical(repo):
    """In-place imports (``--transfer=ln_s``) are links out of the repository; only someone who can
    write to it can make one, so metadata alone still cannot climb out (pixels/paths.py)."""
    os.symlink(repo.parent / "secret", repo / "Pixels" / "link")
    assert LocalCatalog(str(catalog_with(repo, "Pixels/link"))).get_image(1).source.path.endswith("link")
    with pytest.raises(CatalogError):
        LocalCatalog(str(catalog_with(repo, "Pixels/link/../../../secret")))


@pytest.mark.parametrize("escape", ["..", "../..", "/etc", "luts/../.."])
def test_lut_folders_and_mask_files_cannot_leave_either(repo, escape):
    path = repo / "catalog.json"
    image = {"id": 1, "source": {"format": "romio", "path": "Pixels/1"}, "pixels": PIXELS}
    path.write_text(json.dumps({"luts": [escape], "images": [image]}))
    with pytest.raises(CatalogError):
        LocalCatalog(str(path))
    path.write_text(json.dumps({"images": [image], "masks": [{"id": 5, "image_id": 1, "bytes_path": escape + "/x"}]}))
    with pytest.raises(CatalogError):
        LocalCatalog(str(path))


@pytest.mark.parametrize("escape", ESCAPES[:-1])
def test_the_pool_rechecks_every_source_path_against_its_root(repo, escape):
    spec = SourceSpec(format="romio", path=escape, root=str(repo), pixels=None)
    with pytest.raises(FastRegionError):
        open_source(spec)


def test_a_source_whose_root_is_not_absolute_is_refused(repo):
    with pytest.raises(UnsafePath):
        open_source(SourceSpec(format="romio", path=str(repo / "Pixels" / "1"), root="repo"))


@pytest.mark.parametrize("dataset", ["../../secret.zarr/0", "/tmp/x", "0/../../..", "..", "a/../../b"])
def test_ngff_dataset_paths_cannot_leave_the_image(repo, dataset):
    image = repo / "ngff" / "1.zarr"
    write_ngff(str(image), np.zeros((1, 1, 1, 8, 8), np.uint8), version="0.4", chunks=(8, 8))
    attrs = json.loads((image / ".zattrs").read_text())
    attrs["multiscales"][0]["datasets"][0]["path"] = dataset
    (image / ".zattrs").write_text(json.dumps(attrs))
    with pytest.raises(FastRegionError):
        open_source(SourceSpec(format="ngff", path=str(image), root=str(repo)))


# -- OMERO metadata: ExternalInfo lsids and fileset records ------------------------------------

omero_model = pytest.importorskip("omero.model")


def external_info(lsid: str):
    from omero.rtypes import rlong, rstring

    from omero_fast_region.catalog.ice_model import NGFF_ENTITY_ID, NGFF_ENTITY_TYPE

    info = omero_model.ExternalInfoI()
    info.setEntityType(rstring(NGFF_ENTITY_TYPE))
    info.setEntityId(rlong(NGFF_ENTITY_ID))
    info.setLsid(rstring(lsid))
    return info


@pytest.mark.parametrize("lsid", [
    "file://{root}/../secret.zarr", "{root}/../secret.zarr", "file://{root}/ngff/%2e%2e/%2e%2e/secret.zarr",
    "file://{root}/ngff/..%2f..%2fsecret.zarr", "/etc", "file:///etc/passwd",
    "{root}x/sibling.zarr", "file://{root}/ngff/1.zarr\0",
])
def test_a_crafted_external_info_lsid_cannot_leave_data_dir(repo, tmp_path, lsid):
    from omero_fast_region.catalog.ice_model import ngff_location

    with pytest.raises(Unsupported):
        ngff_location(external_info(lsid.format(root=repo)), str(repo), ())


def test_an_lsid_inside_data_dir_is_accepted(repo):
    from omero_fast_region.catalog.ice_model import ngff_location

    location, root = ngff_location(external_info(f"file://{repo}/ngff/1.zarr"), str(repo), ())
    assert location == str(repo / "ngff" / "1.zarr") and root == str(repo)


@pytest.mark.parametrize("directory, name", [
    ("../../", "secret.tif"), ("/etc/", "passwd.tif"), ("user/", "../../../secret.tif"), ("user/..", "../x.tif"),
])
def test_a_crafted_fileset_record_cannot_leave_the_managed_repository(repo, directory, name):
    from omero_fast_region.catalog.ice_model import locate_pixels
    from omero_fast_region.render.model import PixelsInfo

    class Image:  # the two calls locate_pixels makes on an omero.model.ImageI
        def getDetails(self):
            return None

        def getFileset(self):
            return omero_model.FilesetI(7, False)

        def getSeries(self):
            return None

    pixels = PixelsInfo(pixel_type="uint8", size_x=8, size_y=8, size_z=1, size_c=1, size_t=1)
    with pytest.raises(Unsupported):
        locate_pixels(Image(), pixels, 999, str(repo), fileset_files=lambda fid: [(directory, name)])


# -- per-requester caches and ETags ------------------------------------------------------------

def test_descriptor_cache_entries_are_per_scope():
    from omero_fast_region.catalog.cache import DescriptorCache, UnsupportedMark

    cache = DescriptorCache(ttl=60, cache_alias="default")
    cache.put("scope-a", 4, UnsupportedMark("a's"))
    assert cache.get("scope-a", 4) == UnsupportedMark("a's")
    assert cache.get("scope-b", 4) is None
    cache.clear_local()
    assert cache.get("scope-b", 4) is None  # nor from the shared tier
    assert cache.key("scope-a", 4) != cache.key("scope-b", 4)


def test_etags_differ_between_scopes_so_one_session_never_revalidates_anothers(settings, hardening_catalog):
    from omero_fast_region.query import RenderQuery
    from omero_fast_region.runtime import get_runtime
    from omero_fast_region.service import NotModified, TileSpec, render_region

    settings.FAST_REGION = {"catalog": f"local:{hardening_catalog}", "standalone": True}
    runtime = get_runtime()
    descriptor = runtime.catalog.get_image(3)
    tile = TileSpec(0, 0, 0)
    a = render_region(runtime, descriptor, 0, 0, RenderQuery(), tile=tile, scope="session-a")
    b = render_region(runtime, descriptor, 0, 0, RenderQuery(), tile=tile, scope="session-b")
    assert a.etag != b.etag
    assert not isinstance(render_region(runtime, descriptor, 0, 0, RenderQuery(), tile=tile, scope="session-b",
                                        if_none_match=a.etag), NotModified)
    assert isinstance(render_region(runtime, descriptor, 0, 0, RenderQuery(), tile=tile, scope="session-a",
                                    if_none_match=a.etag), NotModified)


def test_the_session_key_never_appears_in_cache_keys_or_reprs():
    from omero_fast_region.catalog.cache import DescriptorCache
    from omero_fast_region.requestcontext import RequestContext, scope_of

    key = "c0ffee00-secret-session-key"
    ctx = RequestContext(scope=scope_of(key), connector={"omero_session_key": key})
    assert key not in repr(ctx) and key not in DescriptorCache.key(ctx.scope, 1)
