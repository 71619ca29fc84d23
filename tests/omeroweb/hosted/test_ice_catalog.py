"""Inside real OMERO.web: what the Ice catalog adds — masks, imgData parents and extras, filesets.

The fixture (tests/omeroweb/fixture.json) gives alice's image 4 two masks (301: 4x4 packed bits
0x55 0x55, red; 302: the NGFF label ``LABELS`` through its ExternalInfo), puts image 4 in
dataset 31 of project 21 and image 7 in datasets 31 and 32 and in well 81, and makes image 8
series 1 of an OME-TIFF fileset (companion + ``set_0``/``set_1.ome.tiff``). Bob reads none of it.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from tests.omeroweb.repository import LABELS, fileset_plane

from .sessions import login

MASK_PNG = "/webgateway/render_shape_mask/{sid}/"
RED = (255, 0, 0, 255)


@pytest.fixture
def app(mode) -> str:
    """Where the app's own paths are reachable: at ``/`` as root application; under its label with
    the middleware, which intercepts the stock view functions but not the microservice paths."""
    return "" if mode == "root_application" else "/omero_fast_region"


@pytest.fixture
def mask_bytes(app) -> str:
    return app + "/omero_ms_image_region/get_shape_mask_bytes/{sid}/"


@pytest.fixture
def alice() -> Client:
    client = Client()
    client.connector = login(client, "alice", "alice-pw")
    return client


def queries(call_log) -> list[dict]:
    return [e for e in call_log.since_mark() if e.get("kind") == "query"]


def rgba(response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))


def painted(grid: np.ndarray, colour: tuple[int, int, int, int]) -> np.ndarray:
    out = np.zeros(grid.shape + (4,), dtype=np.uint8)
    out[grid != 0] = colour
    return out


# -- masks -------------------------------------------------------------------------------------


def test_a_readable_mask_renders_its_packed_bits_in_its_fill_colour_with_one_query(alice, call_log):
    response = alice.get(MASK_PNG.format(sid=301))
    assert response.status_code == 200 and response["Content-Type"] == "image/png", response.content[:200]
    bits = np.unpackbits(np.frombuffer(bytes([0x55, 0x55]), dtype=np.uint8)).reshape(4, 4)
    assert np.array_equal(rgba(response), painted(bits, RED))
    found = queries(call_log)
    assert len(found) == 1 and "from Mask" in found[0]["query"] and found[0]["ctx"] == {"omero.group": "-1"}


def test_a_second_mask_request_makes_no_ice_call(alice, call_log, mask_bytes):
    assert alice.get(MASK_PNG.format(sid=301)).status_code == 200
    call_log.mark()
    assert alice.get(MASK_PNG.format(sid=301), {"color": "00FF00"}).status_code == 200
    response = alice.get(mask_bytes.format(sid=301))
    assert response.status_code == 200 and response.content == bytes([0x55, 0x55])
    assert call_log.ice_calls() == []


def test_an_ngff_label_mask_is_read_through_its_external_info(alice, app, mask_bytes):
    response = alice.get(MASK_PNG.format(sid=302))
    assert response.status_code == 200, response.content[:200]
    assert np.array_equal(rgba(response), painted(LABELS, (255, 255, 255, 255)))  # fill colour -1: white
    raw = alice.get(mask_bytes.format(sid=302))
    assert raw.status_code == 200 and raw.content == LABELS.astype(">u1").tobytes()
    meta = alice.get(app + "/omero_ms_image_region/get_label_image_metadata/302/")
    assert meta.status_code == 200 and json.loads(meta.content)["uuid"] == "label-uuid-302"


def test_a_mask_the_user_cannot_read_is_404_even_when_another_session_cached_it(alice, mask_bytes):
    assert alice.get(MASK_PNG.format(sid=301)).status_code == 200
    bob = Client()
    login(bob, "bob", "bob-pw")
    for url in (MASK_PNG, mask_bytes):
        response = bob.get(url.format(sid=301))
        assert response.status_code == 404 and b"Mask:301" in response.content


def test_a_shape_that_does_not_exist_is_404(alice):
    assert alice.get(MASK_PNG.format(sid=999)).status_code == 404


# -- imgData -----------------------------------------------------------------------------------


def stock_marshal(client: Client, image_id: int) -> dict:
    """What stock ``imageMarshal`` answers for the same session and image (JSON round trip)."""
    from omeroweb.connector import Connector
    from omeroweb.webgateway.marshal import imageMarshal

    fields = ("server_id", "is_secure", "is_public", "omero_session_key", "user_id")
    conn = Connector(**{k: client.connector.get(k) for k in fields}).join_connection("test")
    try:
        return json.loads(json.dumps(imageMarshal(conn.getObject("Image", image_id))))
    finally:
        conn.close(hard=False)


@pytest.mark.parametrize("image_id", [4, 7])
def test_img_data_matches_stock_image_marshal_for_every_key_both_give(alice, call_log, app, image_id):
    ours = alice.get(f"/webgateway/imgData/{image_id}/")
    assert ours.status_code == 200
    assert len(queries(call_log)) == 1  # parents, owner, objective, events: all in the one query
    assert "RenderingEngine" not in call_log.services()  # ours, not stock's
    ours = ours.json()
    stock = stock_marshal(alice, image_id)
    assert {"meta", "perms", "channels", "pixel_size", "rdefs"} <= set(stock)  # stock's engine was prepared
    assert set(stock) <= set(ours), set(stock) - set(ours)
    for key in stock:
        assert ours[key] == stock[key], (key, ours[key], stock[key])


def test_img_data_reports_parents_and_extras_from_omero(alice, app):
    four = alice.get("/webgateway/imgData/4/").json()
    assert {k: four["meta"][k] for k in ("datasetName", "datasetId", "projectName", "projectId", "imageAuthor",
                                         "imageDescription", "imageTimestamp", "wellId", "imageArchived")} == {
        "datasetName": "plates", "datasetId": 31, "projectName": "study", "projectId": 21, "imageAuthor": "Alice A",
        "imageDescription": "cells in a dish", "imageTimestamp": 1700000123.0, "wellId": "", "imageArchived": False}
    assert four["nominalMagnification"] == 60.0 and four["pixel_size"] == {"x": 0.5, "y": 0.5, "z": 2.0}
    seven = alice.get("/webgateway/imgData/7/").json()
    assert (seven["meta"]["datasetName"], seven["meta"]["projectId"], seven["meta"]["wellId"]) == ("Multiple", 21, 81)
    assert seven["meta"]["imageArchived"] is True and seven["pixel_size"]["x"] == pytest.approx(0.65)
    assert seven["channels"][0]["label"] == "520"


def test_a_second_img_data_request_makes_no_ice_call(alice, call_log, app):
    assert alice.get("/webgateway/imgData/4/").status_code == 200
    call_log.mark()
    assert alice.get("/webgateway/imgData/4/meta.projectName/").json() == "study"
    assert call_log.ice_calls() == []


# -- filesets ----------------------------------------------------------------------------------


def test_an_ome_tiff_fileset_image_is_read_from_the_file_its_companion_names(alice, call_log):
    response = alice.get("/webgateway/render_image_region/8/0/0/?region=0,0,64,48&format=png&c=1|0:255$FFFFFF&m=g")
    assert response.status_code == 200 and "Server-Timing" in response, response.content[:300]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(response.content)).convert("L")), fileset_plane(1))
    assert len(queries(call_log)) == 2  # the image, then its fileset's files
    assert "RenderingEngine" not in call_log.services()
