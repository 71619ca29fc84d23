"""Shape masks and NGFF labels (omero-web.md §2.3.6, ms-image-region.md §4, §9.6)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from omero_fast_region.service.masks import flip_grid, parse_domain

from .helpers import decoded


@pytest.fixture
def client(app, client):
    return client


def rgba(response) -> np.ndarray:
    return np.asarray(decoded(response).convert("RGBA"))


def test_byte_aligned_mask_with_its_fill_colour(client):
    response = client.get("/webgateway/render_shape_mask/100/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = rgba(response)
    assert image.shape == (2, 8, 4)
    assert image[0, 1].tolist() == [255, 0, 0, 255] and image[0, 0].tolist() == [0, 0, 0, 0]
    assert (image[:, 1::2] == [255, 0, 0, 255]).all() and (image[:, ::2] == 0).all()


def test_unaligned_mask_default_yellow_and_colour_override(client):
    image = rgba(client.get("/webgateway/render_shape_mask/101/"))
    assert image.shape == (4, 4, 4) and image[0, 1].tolist() == [255, 255, 0, 255]
    assert rgba(client.get("/webgateway/render_shape_mask/101/?color=0f0"))[0, 1].tolist() == [0, 255, 0, 255]
    assert client.get("/webgateway/render_shape_mask/101/?color=zz").status_code == 400


def test_flip_works_for_byte_aligned_masks(client):
    plain = rgba(client.get("/webgateway/render_shape_mask/100/"))
    for flip, expected in (("h", plain[:, ::-1]), ("v", plain[::-1]), ("hv", plain[::-1, ::-1])):
        assert np.array_equal(rgba(client.get(f"/webgateway/render_shape_mask/100/?flip={flip}")), expected)


@pytest.mark.parametrize("w, h", [(4, 4), (5, 5), (7, 4), (4, 7), (7, 1), (1, 7), (1, 1)])
def test_flip_vectors(w, h):
    src = np.arange(w * h).reshape(h, w)
    for fh, fv in ((True, False), (False, True), (True, True)):
        out = flip_grid(src, fh, fv).ravel()
        for n in range(w * h):
            col = w - 1 - n % w if fh else n % w
            row = h - 1 - n // w if fv else n // w
            assert out[row * w + col] == n


def test_label_masks(client, app):
    image = rgba(client.get("/webgateway/render_shape_mask/102/"))
    assert image.shape == (768, 1024, 4)
    assert (image[100:300, 200:500] == [255, 255, 0, 255]).all() and image[:100].sum() == 0
    assert rgba(client.get("/webgateway/render_shape_mask/102/?resolution=1")).shape == (384, 512, 4)
    raw = client.get("/omero_ms_image_region/get_shape_mask_bytes/102/?domain=[0,0,0,100:102,199:201]")
    assert raw["Content-Type"] == "application/octet-stream"
    assert np.frombuffer(raw.content, dtype=">u2").tolist() == [0, 7, 0, 7]
    meta = client.get("/omero_ms_image_region/get_label_image_metadata/102/").json()
    assert meta["multiscales"]["datasets"][0] == {"path": "0", "chunksize": [1, 1, 1, 256, 256]}
    assert meta["size"] == {"t": 1, "c": 1, "z": 1, "height": 768, "width": 1024}
    assert meta["type"] == "uint16" and meta["uuid"] == "abc"


def test_packed_bytes_and_errors(client):
    assert client.get("/omero_ms_image_region/get_shape_mask_bytes/100/").content == bytes([0x55, 0x55])
    assert client.get("/omero_ms_image_region/get_label_image_metadata/100/").status_code == 404
    assert client.get("/webgateway/render_shape_mask/999/").status_code == 404
    assert client.get("/omero_ms_image_region/get_shape_mask_bytes/102/?domain=[0,0]").status_code == 400


def test_domain_grammar():
    assert parse_domain("[0,1,2,10:20,5]") == [(0, 1), (1, 1), (2, 1), (10, 10), (5, 1)]


def test_catalog_rejects_masks_of_unknown_images(tmp_path):
    from omero_fast_region.catalog.local import LocalCatalog
    from omero_fast_region.errors import CatalogError

    (tmp_path / "catalog.json").write_text(json.dumps({"images": [], "masks": [{"id": 1, "image_id": 5, "bytes_path": "x"}]}))
    with pytest.raises(CatalogError, match="image 5 is not in the catalog"):
        LocalCatalog(str(tmp_path / "catalog.json"))
