"""Bugs found by the hardening work, one test each, in files other engineers own.

Each is ``xfail(strict=True)`` with the fix named; when the fix lands the test passes, strict
xfail turns that into a failure, and the marker (and the entry in
``conftest.KNOWN_LOGGED_BUGS``) must be removed.
"""

from __future__ import annotations

import pytest

from omero_fast_region import query
from omero_fast_region.errors import BadRequest
from omero_fast_region.service.rdef import validate_rdef_query

from .conftest import check_answer

DEEP = "[" * 3000


def test_deeply_nested_maps_json_is_ignored_not_an_error():
    assert query.parse_maps(DEEP) is None


def test_deeply_nested_maps_json_in_an_rdef_query_is_a_400():
    with pytest.raises(BadRequest, match="Failed to parse maps JSON"):
        validate_rdef_query({"c": "1|0:255$FF0000", "m": "c", "maps": DEEP})


def test_a_huge_longest_side_is_a_400(app, client, error_log, fuzz_module):
    url = "/webgateway/render_thumbnail/1/" + "9" * 41 + "/"
    response = client.get(url)
    check_answer(fuzz_module, response, url)
    assert response.status_code == 400 and error_log.records == []


def test_a_thumbnail_wider_than_the_max_plane_width_is_a_400(app, client, error_log, fuzz_module):
    url = "/webgateway/render_thumbnail/1/70000/1/"
    response = client.get(url)
    check_answer(fuzz_module, response, url)
    assert response.status_code == 400 and error_log.records == []


def test_static_files_with_a_too_long_name_are_404(app):
    from django.test import Client

    response = Client(raise_request_exception=False).get("/static/omero_fast_region/" + "A" * 3000)
    assert response.status_code == 404
