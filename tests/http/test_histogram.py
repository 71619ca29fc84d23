"""histogram_json: the microservice's getHistogramData vectors (ms §9.4) and the endpoint (omero-web §9.2)."""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.service.histogram import histogram_data


@pytest.mark.parametrize("dtype, values, lo_hi, bins, data, left, right", [
    ("uint8", [1, 2, 3, 4], (0, 4), 4, [0, 1, 1, 2], 0, 0),
    ("uint8", [1, 2, 3, 4], (0, 3), 4, [0, 1, 1, 1], 0, 1),
    ("uint8", [1, 2, 3, 4], (2, 4), 4, [1, 0, 1, 1], 1, 0),
    ("uint8", [0, 1, 3], (0, 3), 5, [1, 1, 0, 0, 1], 0, 0),
    ("uint8", [3, 4, 5], (0, 9), 5, [0, 1, 2, 0, 0], 0, 0),
    ("uint8", [0, 1, 2, 3], (0, 3), 2, [2, 2], 0, 0),
    ("uint8", [175, 153, 63, 173, 143, 218, 145, 39, 138, 3], (0, 255), 5, [2, 1, 3, 3, 1], 0, 0),
    ("int8", [101, -50, 82, 40, -68, -18, -92, -95, 48, -78], (-128, 127), 5, [3, 2, 1, 2, 2], 0, 0),
    ("uint16", [21533, 38752, 36269, 2760, 1425, 14880, 34827, 11986, 11077, 46156], (0, 65535), 5, [4, 2, 3, 1, 0], 0, 0),
    ("int16", [-19497, -11285, 1187, -17219, 26833, 28521, -31711, -21571, -12075, 6841], (-32768, 32767), 5, [2, 4, 1, 1, 2], 0, 0),
    ("uint32", [1039053181, 1966804319, 3513814796, 642532262, 3411013609, 433606742, 2289077882, 4100655705,
                3585211196, 1356288417], (0, 4294967295), 5, [2, 2, 2, 1, 3], 0, 0),
    ("int32", [314025421, -2068008231, 122426751, 308854092, 1524117449, -936228904, -1400983178, 131007035,
               -1762565678, -841111877], (-2147483648, 2147483647), 5, [3, 2, 4, 0, 1], 0, 0),
    ("float32", [0.3194745, 0.4041198, 0.5212703, 0.8714385, 0.58057505, 0.7913712, 0.6242399, 0.0665013,
                 0.25559694, 0.7946202], (-1, 1), 5, [0, 0, 1, 5, 4], 0, 0),
    ("float64", [0.3194745, 0.4041198, 0.5212703, 0.8714385, 0.58057505, 0.7913712, 0.6242399, 0.0665013,
                 0.25559694, 0.7946202], (-1, 1), 5, [0, 0, 1, 5, 4], 0, 0),
])
def test_histogram_request_handler_vectors(dtype, values, lo_hi, bins, data, left, right):
    assert histogram_data(np.array(values, dtype=dtype), *lo_hi, bins) == (data, left, right)


def test_equal_min_and_max_put_everything_in_bin_zero():
    assert histogram_data(np.full(5, 7, dtype=np.uint8), 7.0, 7.0, 4) == ([5, 0, 0, 0], 0, 0)


@pytest.fixture
def client(app, client):
    return client


def test_default_256_bins_summing_to_the_plane(client, app):
    response = client.get("/webgateway/histogram_json/3/channel/0/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert len(body["data"]) == 256 and sum(body["data"]) == 125 * 125
    assert body["statsInfoMinMax"] is True and (body["min"], body["max"]) == (0.0, 255.0)
    assert body["leftOutlierCount"] == 0 and body["rightOutlierCount"] == 0
    expected = np.bincount(app.data[3].ravel(), minlength=256)
    assert body["data"] == expected.tolist()


def test_bins_plane_and_type_range(client):
    body = client.get("/webgateway/histogram_json/1/channel/2/?theZ=4&theT=1&bins=10").json()
    assert len(body["data"]) == 10 and sum(body["data"]) + body["rightOutlierCount"] == 40 * 30
    typed = client.get("/webgateway/histogram_json/4/channel/0/?z=1&t=5&usePixelsTypeRange=TRUE").json()
    assert (typed["min"], typed["max"]) == (-32768.0, 32767.0) and typed["statsInfoMinMax"] is False
    assert sum(typed["data"]) == 400


def test_pyramid_histogram_uses_a_level_within_the_max_plane(client, settings, app):
    settings.FAST_REGION = {**settings.FAST_REGION, "max_plane_width": 600, "max_plane_height": 600}
    body = client.get("/webgateway/histogram_json/2/channel/0/").json()
    assert sum(body["data"]) == 512 * 384
    settings.FAST_REGION = {**settings.FAST_REGION, "max_plane_width": 100, "max_plane_height": 100}
    response = client.get("/webgateway/histogram_json/2/channel/0/")
    assert response.status_code == 400 and response.content == b"All resolution levels larger than max plane size"


def test_histogram_errors(client):
    assert client.get("/webgateway/histogram_json/3/channel/1/").status_code == 404
    assert client.get("/webgateway/histogram_json/3/channel/0/?theZ=1").status_code == 404
    assert client.get("/webgateway/histogram_json/999/channel/0/").status_code == 404
    for query in ("theZ=a", "bins=x", "theZ=-1"):
        assert client.get(f"/webgateway/histogram_json/3/channel/0/?{query}").status_code == 400
    assert client.get("/pathviewer/histogram_json/3/channel/0/").status_code == 200
