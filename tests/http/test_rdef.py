"""The ``_rdef`` variants: validate_rdef_query's 400s (omero-web.md §3.2, §9.1)."""

from __future__ import annotations

import pytest

OK_C = "1|0:255$FF0000,2|0:255$00FF00,3|0:255$0000FF"
OK_MAPS = '[{"inverted":{"enabled":false}},{"inverted":{"enabled":false}},{"inverted":{"enabled":false}}]'


@pytest.fixture
def client(app, client):
    return client


def test_valid_rdef_query_renders(client):
    for url in (f"/webgateway/render_image_region_rdef/1/0/0/?m=c&c={OK_C}&maps={OK_MAPS}&tile=0,0,0",
                f"/webgateway/render_image_rdef/1/?m=c&c={OK_C}", f"/webclient/render_image_rdef/1/0/0/?m=c&c={OK_C}",
                f"/webclient/render_image_region_rdef/1/0/0/?m=g&c={OK_C}&region=0,0,5,5"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("query, message", [
    ("m=c", "Rendering settings must specify channels as c"),
    (f"m=x&c={OK_C}", 'Query parameter "m" must be present with value either "g" or "c"'),
    (f"c={OK_C}", 'Query parameter "m" must be present with value either "g" or "c"'),
    ("m=c&c=1|$FF0000,2|0:255$00FF00,3|0:255$0000FF", "Must specify window for each channel"),
    ("m=c&c=1|0:255$FF0000,2|0:255,3|0:255$0000FF", "Must specify color for each channel"),
    (f'm=c&c={OK_C}&maps=[{{}},{{}}]', 'Number of "maps" must match number of channels'),
    (f"m=c&c={OK_C}&maps=[{{", "Failed to parse maps JSON"),
    (f"m=c&c={OK_C}&maps=null", 'Number of "maps" must match number of channels'),
])
def test_invalid_rdef_queries_are_400(client, query, message):
    response = client.get(f"/webgateway/render_image_rdef/1/?{query}")
    assert response.status_code == 400 and response.content.decode() == message
    assert client.get(f"/webgateway/render_image_region_rdef/1/0/0/?tile=0,0,0&{query}").status_code == 400
