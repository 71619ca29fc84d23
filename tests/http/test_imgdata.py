"""imgData: marshal.imageMarshal keys (omero-web.md §7, §9.2 TestImgDetail; ms §9.5)."""

from __future__ import annotations

import pytest

from omero_fast_region.service.imgdata import pixel_range, split_channel_dims


@pytest.fixture
def client(app, client):
    return client


def test_int16_vector_of_the_integration_test(client):
    body = client.get("/webgateway/imgData/4/").json()
    assert body["tiles"] is False and not {"levels", "zoomLevelScaling", "tile_size"} & set(body)
    assert body["pixel_range"] == [-32768.0, 32767.0]
    assert body["rdefs"] == {"defaultT": 0, "model": "greyscale", "invertAxis": False, "projection": "normal", "defaultZ": 2}
    assert body["split_channel"] == {"c": {"width": 46, "gridy": 1, "border": 2, "gridx": 2, "height": 24},
                                     "g": {"width": 24, "gridy": 1, "border": 2, "gridx": 1, "height": 24}}
    assert body["channels"][0] == {"emissionWave": None, "label": "0", "color": "808080", "inverted": False,
                                   "reverseIntensity": False, "family": "linear", "coefficient": 1.0,
                                   "window": {"min": -32768.0, "max": 32767.0, "start": -32768.0, "end": 12.0},
                                   "active": True}
    meta = body["meta"]
    assert (meta["projectName"], meta["datasetId"], meta["wellSampleId"], meta["wellId"]) == ("Multiple", None, "", "")
    assert list(body)[:3] == ["id", "meta", "perms"]
    assert body["size"] == {"width": 20, "height": 20, "z": 5, "t": 6, "c": 1}


def test_pyramid_keys(client):
    body = client.get("/webgateway/imgData/2/").json()
    assert body["tiles"] is True and body["levels"] == 3
    assert body["tile_size"] == {"width": 256, "height": 256}
    assert body["zoomLevelScaling"] == {"0": 1.0, "1": 0.5, "2": 0.25}
    assert body["resolutions"]["1"] == {"sizeX": 512, "sizeY": 384}


def test_channels_labels_luts_and_key_paths(client):
    body = client.get("/webgateway/imgData/1/").json()
    assert [c["label"] for c in body["channels"]] == ["DAPI", "GFP", "600"]
    assert body["channels"][2]["lut"] == "ramp.lut" and "lut" not in body["channels"][0]
    assert body["channels"][1]["family"] == "exponential" and body["channels"][1]["coefficient"] == 1.5
    assert client.get("/webgateway/imgData/1/meta.imageName/").json() == "three channels, stack.tif"
    assert client.get("/webgateway/imgData/1/size.width/").json() == 40
    assert client.get("/webgateway/imgData/1/nothing.here/").json() is None
    assert client.get("/webgateway/imgData/1/size.width.x/").status_code == 400


def test_jsonp_defaults_and_not_found(client):
    jsonp = client.get("/webgateway/imgData/1/?callback=handle")
    assert jsonp["Content-Type"] == "application/javascript" and jsonp.content.startswith(b"handle({")
    defaults = client.get("/webgateway/imgData/1/?getDefaults=true").json()
    assert [c["active"] for c in defaults["channels"]] == [True, True, True]
    missing = client.get("/webgateway/imgData/999/")
    assert missing.status_code == 404 and missing.content == b"Image:999 not found"
    assert client.get("/webclient/imgData/1/").status_code == 200
    assert client.get("/webclient/4/imgData/1/").status_code == 200
    assert client.get("/pathviewer/imgData/1/meta.pixelsType/").json() == "uint16"


def test_pixel_range_and_split_channel_formulae():
    assert pixel_range("uint8") == [0, 255] and pixel_range("int8") == [-128.0, 127.0]
    assert split_channel_dims(2048, 4096, 3)["c"] == {"width": 4102, "height": 8198, "border": 2, "gridx": 2, "gridy": 2}
