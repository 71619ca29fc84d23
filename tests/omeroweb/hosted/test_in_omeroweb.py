"""Inside real OMERO.web, per mounting mode: session reuse, Ice metadata, cache, permissions, fallback."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from omero_fast_region.config import get_config

from .sessions import login, logout

TILE = "/webgateway/render_image_region/{iid}/0/0/?tile=0,0,0,32,32"
WEBCLIENT_TILE = "/webclient/render_image_region/{iid}/0/0/?tile=0,0,0,32,32"


def ours(response) -> bool:
    """Our image responses carry Server-Timing; stock's never do."""
    return "Server-Timing" in response


@pytest.fixture
def alice() -> Client:
    client = Client()
    login(client, "alice", "alice-pw")
    return client


def test_omero_config_reaches_the_app_through_custom_settings_mappings():
    assert get_config().data_dir == os.environ["FAST_REGION_DATA_DIR"]
    assert get_config().catalog == "ice"


def test_without_a_connector_the_stock_view_redirects_to_login_or_forbids_xhr(call_log):
    client = Client()
    response = client.get(TILE.format(iid=4))
    assert response.status_code == 302 and "/webclient/login/" in response["Location"]
    response = client.get(TILE.format(iid=4), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 403
    assert call_log.ice_calls() == []


def test_a_logged_in_user_gets_our_image_with_one_metadata_query(alice, call_log):
    response = alice.get(TILE.format(iid=4))
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "image/jpeg" and ours(response)
    queries = [e for e in call_log.since_mark() if e.get("kind") == "query"]
    assert len(queries) == 1 and queries[0]["ctx"] == {"omero.group": "-1"}
    assert "RenderingEngine" not in call_log.services()


def test_the_webclient_mount_of_the_same_view_is_ours_too(alice):
    response = alice.get(WEBCLIENT_TILE.format(iid=4))
    assert response.status_code == 200 and ours(response)


def test_a_descriptor_cache_hit_makes_no_ice_call(alice, call_log):
    assert alice.get(TILE.format(iid=4)).status_code == 200
    call_log.mark()
    response = alice.get("/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32")
    assert response.status_code == 200 and ours(response)
    assert call_log.ice_calls() == []


def test_two_sessions_never_share_a_descriptor(alice, call_log):
    assert alice.get(TILE.format(iid=4)).status_code == 200
    other = Client()
    login(other, "alice", "alice-pw")  # same user, another OMERO session
    call_log.mark()
    assert other.get(TILE.format(iid=4)).status_code == 200
    assert any(e.get("op") == "findAllByQuery" for e in call_log.ice_calls())


def test_a_user_who_cannot_read_the_image_gets_404_even_when_another_session_cached_it(alice):
    assert alice.get(TILE.format(iid=4)).status_code == 200
    bob = Client()
    login(bob, "bob", "bob-pw")  # not a member of alice's group
    response = bob.get(TILE.format(iid=4))
    assert response.status_code == 404 and b"Image:4" in response.content


def test_logout_stops_all_use_of_the_cached_descriptor_at_once(alice, call_log):
    assert alice.get(TILE.format(iid=4)).status_code == 200
    logout(alice)
    call_log.mark()
    response = alice.get(TILE.format(iid=4))
    assert response.status_code == 302 and "/webclient/login/" in response["Location"]


def test_the_session_is_read_from_the_tracked_redis_copy_and_answers_vary_on_cookie(alice):
    from omero_fast_region.sessions import READER, TrackedSessions

    answers = [alice.get(TILE.format(iid=4)), alice.get("/webgateway/render_image_region/4/0/0/?tile=0,1,1,32,32")]
    assert isinstance(READER.get(), TrackedSessions)  # OMERO.web's settings are the standard layout
    for response in answers:
        assert response.status_code == 200 and ours(response)
        assert "Cookie" in response["Vary"]  # private to the session, as after a stock session read


def test_an_image_without_rendering_settings_goes_to_the_stock_view(alice, call_log):
    response = alice.get(TILE.format(iid=5))
    assert not ours(response)
    # the stock view ran: it opened a rendering engine to create default settings
    assert {"RenderingEngine"} <= call_log.services()
    assert any(e.get("op") == "resetDefaultSettings" for e in call_log.ice_calls())


def test_an_unsupported_file_format_goes_to_the_stock_view(alice, call_log):
    response = alice.get(TILE.format(iid=6))
    assert not ours(response)
    assert "RenderingEngine" in call_log.services()


def test_client_errors_are_ours_and_not_handed_over(alice, call_log):
    response = alice.get("/webgateway/render_image_region/4/0/0/?tile=0,a,b")
    assert response.status_code == 400
    assert "RenderingEngine" not in call_log.services()


def test_the_app_serves_the_same_paths_under_its_label_for_the_nginx_override(alice, mode):
    if mode == "root_application":
        pytest.skip("the root application has no label prefix")
    response = alice.get("/omero_fast_region" + TILE.format(iid=4))
    assert response.status_code == 200 and ours(response)
    stock = alice.get("/omero_fast_region" + TILE.format(iid=5))  # fallback under the prefix: stock view
    assert not ours(stock)


def test_the_middleware_answers_every_stock_view_we_implement(mode):
    """Each stock function in ``fallback.STOCK_NAMES`` maps to our view of the same name and endpoint."""
    if mode != "middleware":
        pytest.skip("only the middleware maps stock view functions")
    from omeroweb.webgateway import views as stock

    from omero_fast_region.fallback import STOCK_NAMES
    from omero_fast_region.middleware import stock_to_fast

    table = stock_to_fast()
    for endpoint, stock_name in STOCK_NAMES.items():
        fast = table.get(getattr(stock, stock_name))
        assert fast is not None, stock_name
        assert fast.fast_region_endpoint == endpoint and fast.__name__ == stock_name


def test_img_data_and_thumbnails_at_their_stock_paths_are_ours(alice, call_log):
    """imgData, get_thumbnail(s) and render_thumbnail answer without the stock rendering engine."""
    for url in ("/webgateway/imgData/4/", "/webgateway/get_thumbnail/4/", "/webgateway/get_thumbnails/?id=4",
                "/webgateway/render_thumbnail/4/96/"):
        call_log.mark()
        response = alice.get(url)
        assert response.status_code == 200, url
        assert "RenderingEngine" not in call_log.services() and "ThumbnailStore" not in call_log.services(), url
