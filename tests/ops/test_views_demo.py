"""The demo viewer's page and its catalog listing (standalone mode)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _catalog(settings, repository):
    settings.FAST_REGION = {"catalog": f"local:{repository}", "standalone": True}


def test_images_json_lists_every_catalog_image_in_the_imgdata_shape(client):
    images = client.get("/viewer/images.json").json()["images"]
    assert [image["id"] for image in images] == [1, 2, 3]
    ngff = images[1]
    assert ngff["size"] == {"width": 192, "height": 128, "z": 2, "t": 1, "c": 3}
    assert ngff["levels"] == 2 and ngff["tiles"] is True
    assert ngff["zoomLevelScaling"] == {"0": 1.0, "1": 0.5}
    assert ngff["level_sizes"] == [[192, 128], [96, 64]]
    assert set(ngff["tile_size"]) == {"width", "height"}
    channel = ngff["channels"][0]
    assert channel["label"] == "DAPI" and len(channel["color"]) == 6
    assert set(channel["window"]) == {"start", "end", "min", "max"}
    assert set(ngff["rdefs"]) >= {"defaultZ", "defaultT"}


def test_the_viewer_page_and_its_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/static/omero_fast_region/viewer.js"' in html
    script = client.get("/static/omero_fast_region/viewer.js")
    assert script.status_code == 200
    assert b"render_image_region" in b"".join(script.streaming_content)
