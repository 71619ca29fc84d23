"""Thumbnails: sizes per renderer.md §8 / vectors/thumbnail_sizes.txt, the JSON forms (omero-web.md §4, §9.2)."""

from __future__ import annotations

import base64
import json

import pytest

from omero_fast_region.service.thumbnail import longest_side_size, scaled_size

from .conftest import THUMB_BASE_ID, THUMBNAIL_SIZES
from .helpers import size_of


@pytest.fixture
def client(app, client):
    return client


def _vectors(vectors_dir):
    rows = []
    for line in (vectors_dir / "thumbnail_sizes.txt").read_text().splitlines():
        if "->" not in line:
            continue
        image, meta, actual = (part.split()[-1] for part in line.split("->"))
        rows.append(tuple(tuple(int(v) for v in p.split("x")) for p in (image, meta, actual)))
    return rows


def test_size_arithmetic_matches_the_vectors(vectors_dir):
    rows = _vectors(vectors_dir)
    assert len(rows) >= 10
    for (w, h), meta, actual in rows:
        assert longest_side_size(w, h, 96) == meta
        assert scaled_size(w, h, *meta) == actual


def test_rendered_thumbnails_have_the_vector_sizes(client, vectors_dir):
    expected = {image: actual for image, _, actual in _vectors(vectors_dir)}
    for i, size in enumerate(THUMBNAIL_SIZES):
        if size in expected:
            response = client.get(f"/webgateway/render_thumbnail/{THUMB_BASE_ID + i}/")
            assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
            assert size_of(response) == expected[size], size


def test_explicit_sizes(client):
    assert size_of(client.get("/webgateway/render_thumbnail/3/")) == (96, 96)
    assert size_of(client.get("/webgateway/render_thumbnail/3/100/")) == (100, 100)
    assert size_of(client.get("/webgateway/render_thumbnail/1/64/20/")) == (64, 20)
    assert size_of(client.get("/webclient/render_thumbnail/size/48/1/")) == (48, 36)


def test_pyramid_thumbnail_and_birds_eye_view(client):
    assert size_of(client.get("/webgateway/render_thumbnail/2/")) == (96, 72)
    assert size_of(client.get("/webgateway/render_birds_eye_view/2/100/")) == (100, 75)
    assert size_of(client.get("/webclient/3/render_birds_eye_view/2/")) == (96, 72)
    assert size_of(client.get("/webgateway/render_birds_eye_view_ngff/2/")) == (96, 72)
    assert size_of(client.get("/webclient/render_thumbnail_ngff/size/64/2/")) == (64, 48)


def test_z_t_and_rdef_id_queries(client):
    assert client.get("/webgateway/render_thumbnail/1/?z=4&t=1").status_code == 200
    assert client.get("/webgateway/render_thumbnail/1/?z=a").status_code == 400
    assert client.get("/webgateway/render_thumbnail/1/?z=9").status_code == 404
    assert client.get("/webgateway/render_thumbnail/1/?rdefId=12345").status_code == 404


def test_missing_image_404_or_webclient_placeholder(client):
    assert client.get("/webgateway/render_thumbnail/999/").status_code == 404
    placeholder = client.get("/webclient/render_thumbnail/999/")
    assert placeholder.status_code == 200 and placeholder["Content-Type"] == "image/jpeg"
    assert placeholder.content.startswith(b"\x89PNG")


def test_cache_headers_and_304(client):
    first = client.get("/webgateway/render_thumbnail/3/")
    assert first["Cache-Control"] and first["ETag"]
    assert client.get("/webgateway/render_thumbnail/3/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_get_thumbnail_json_is_the_data_uri_of_render_thumbnail(client):
    body = client.get("/webgateway/render_thumbnail/3/").content
    response = client.get("/webgateway/get_thumbnail/3/")
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == json.dumps("data:image/jpeg;base64," + base64.b64encode(body).decode())
    jsonp = client.get("/webgateway/get_thumbnail/3/?callback=cb")
    assert jsonp["Content-Type"] == "application/javascript" and jsonp.content.startswith(b'cb("data:image/jpeg')
    assert client.get("/webgateway/get_thumbnail/3/?callback=1bad").status_code == 400
    assert client.get("/webgateway/get_thumbnail/999/").status_code == 404
    assert client.get("/webclient/get_thumbnail/999/").status_code == 200


def test_get_thumbnails_exact_json_text(client):
    ids = [1, 3, 2, 999]
    uris = {}
    for image_id in list(set(ids)):
        response = client.get(f"/webgateway/render_thumbnail/{image_id}/")
        uris[image_id] = ("data:image/jpeg;base64," + base64.b64encode(response.content).decode()) if response.status_code == 200 else None
    response = client.get("/webgateway/get_thumbnails/?" + "&".join(f"id={i}" for i in ids))
    assert response.content.decode() == json.dumps(uris)
    assert client.get("/webclient/get_thumbnails/?id=3").json() == {"3": uris[3]}
    assert client.get("/webgateway/get_thumbnails/?id=999").json() == {"999": None}
    assert client.get("/webgateway/get_thumbnails/").json() == {}


def test_get_thumbnails_with_size_limit_and_bad_ids(client):
    sized = client.get("/webgateway/get_thumbnails/64/?id=3").json()["3"]
    assert sized.startswith("data:image/jpeg;base64,")
    too_many = client.get("/webgateway/get_thumbnails/?" + "&".join(f"id={i}" for i in range(51)))
    assert too_many.status_code == 400 and too_many.content == b"Max 50 thumbnails at a time."
    assert client.get("/webgateway/get_thumbnails/?id=abc").status_code == 400
    assert client.get("/webgateway/get_thumbnails_ngff/?id=3&id=1").status_code == 200
