"""OPTIONS: the microservice details iviewer probes (ms-image-region.md §1.3, omero-web.md §8.1)."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(app, client):
    return client


@pytest.mark.parametrize("path", ["/omero_ms_image_region/", "/webgateway/render_image_region/1/0/0/",
                                  "/webgateway/imgData/1/"])
def test_options_answers_details_on_every_route(client, path):
    response = client.options(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["provider"] == "ImageRegionMicroservice"
    assert {"flip", "png-tiles", "quantization", "support-missing-channels", "mask-color"} <= set(body["features"])
    assert body["options"] == {"maxTileLength": 2048, "maxPlaneWidth": 3192, "maxPlaneHeight": 3192,
                               "maxActiveChannels": 10, "cacheControl": "private, max-age=3600"}


def test_details_follow_settings(client, settings, app):
    settings.FAST_REGION = {**settings.FAST_REGION, "max_active_channels": 4}
    assert client.get("/omero_ms_image_region/").json()["options"]["maxActiveChannels"] == 4
