"""A request log of an OMERO.iviewer (and OMERO.figure) session replays with 200s and the right
sizes (omero-web.md §8.1-8.2). The query strings are sent as browsers send them: only ``"`` encoded."""

from __future__ import annotations

import pytest

from .helpers import size_of

CHANNEL = "c=1|0:255$FF0000&maps=[{%22inverted%22:{%22enabled%22:false}}]&m=c&p=normal&q=0.9"
LEVELS = [(1024, 768), (512, 384), (256, 192)]


def iviewer_tile_log() -> list[tuple[str, tuple[int, int]]]:
    """Every 512x512 tile of every level of image 2, as iviewer requests them (L=0 full resolution)."""
    log = []
    for level, (w, h) in enumerate(LEVELS):
        for row in range(-(-h // 512)):
            for col in range(-(-w // 512)):
                url = f"/webgateway/render_image_region/2/0/0/?tile={level},{col},{row},512,512&{CHANNEL}"
                log.append((url, (min(512, w - col * 512), min(512, h - row * 512))))
    return log


@pytest.fixture
def client(app, client):
    return client


def test_iviewer_session_replays(client):
    assert client.options("/omero_ms_image_region/").json()["options"]["maxActiveChannels"] == 10
    info = client.get("/webgateway/imgData/2/?getDefaults=true").json()
    assert info["tiles"] and len(info["zoomLevelScaling"]) == len(LEVELS)
    for url in ("/webgateway/render_thumbnail/2/?rev=3", "/webclient/render_thumbnail/2/"):
        response = client.get(url)
        assert response.status_code == 200 and size_of(response) == (96, 72)
    histogram = client.get("/webgateway/histogram_json/2/channel/0/?theT=0&theZ=0", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert histogram.status_code == 200 and len(histogram.json()["data"]) == 256
    for url, size in iviewer_tile_log():
        response = client.get(url)
        assert response.status_code == 200, url
        assert size_of(response) == size, url


def test_iviewer_small_image_and_figure_panel(client):
    iviewer = ("/webgateway/render_image/1/2/0/?c=1|0:4000$FF0000,2|100:3000$00FF00"
               "&maps=[{%22inverted%22:{%22enabled%22:false}},{%22inverted%22:{%22enabled%22:true},"
               "%22quantization%22:{%22family%22:%22exponential%22,%22coefficient%22:1.8}}]&m=g&p=intmax|0:4&q=0.9")
    figure = ("/webgateway/render_image/1/2/0/?c=1|110:3400$00FF00,-2|0:255$ramp.lut,3|0:4000$ramp.lut&p=intmax|0:4"
              "&maps=[{%22reverse%22:{%22enabled%22:false}},{%22reverse%22:{%22enabled%22:true}},"
              "{%22reverse%22:{%22enabled%22:false}}]&m=c")
    old_viewer = "/webgateway/render_image/1/2/0/?c=1|0:4000$0000FF,2|100:3000$00FF00&m=c&p=normal&ia=0&q=0.9"
    for url in (iviewer, figure, old_viewer):
        response = client.get(url)
        assert response.status_code == 200 and size_of(response) == (40, 30), url
    region = client.get("/webgateway/render_image_region/1/2/0/?region=0,0,32,16&c=1|0:4000$FF0000&m=c&p=normal&q=0.9")
    assert size_of(region) == (32, 16)
