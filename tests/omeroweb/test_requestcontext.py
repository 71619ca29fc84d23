"""The requester from OMERO.web's session: connector dict, public-user restrictions, shares."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from omero_fast_region import requestcontext
from omero_fast_region.config import Config
from omero_fast_region.requestcontext import NotLoggedIn, context_for, scope_of

CONNECTOR = {"server_id": 1, "is_secure": False, "is_public": False,
             "omero_session_key": "8c8b0000-aaaa-4000-8000-000000000001", "user_id": 52}


@pytest.fixture(autouse=True)
def inside_omeroweb(monkeypatch):
    monkeypatch.setattr(requestcontext, "get_config", lambda: Config(standalone=False))


def request(path="/webgateway/render_image_region/1/0/0/", method="get", connector=None, share_id=None):
    req = getattr(RequestFactory(), method)(path)
    req.session = {} if connector is None else {"connector": dict(connector)}
    req.resolver_match = SimpleNamespace(kwargs={"share_id": share_id} if share_id else {})
    return req


def test_no_connector_means_not_logged_in():
    with pytest.raises(NotLoggedIn):
        context_for(request())


def test_the_scope_is_a_hash_of_the_session_key_and_the_key_never_shows_in_repr():
    ctx = context_for(request(connector=CONNECTOR))
    assert ctx.scope == scope_of(CONNECTOR["omero_session_key"]) and ctx.user_id == 52
    assert CONNECTOR["omero_session_key"] not in repr(ctx) and CONNECTOR["omero_session_key"] not in ctx.scope


def test_the_share_id_of_a_webclient_url_is_kept():
    assert context_for(request(connector=CONNECTOR, share_id="12")).share_id == 12


@pytest.fixture
def public(settings):
    settings.PUBLIC_ENABLED = True
    settings.PUBLIC_USER = "public"
    settings.PUBLIC_PASSWORD = "secret"
    settings.PUBLIC_GET_ONLY = True
    settings.PUBLIC_URL_FILTER = re.compile(r"^/webgateway/")
    return dict(CONNECTOR, is_public=True)


def test_the_public_user_is_served_on_public_urls(public):
    assert context_for(request(connector=public)).is_public


def test_the_public_user_is_refused_outside_the_url_filter(public):
    with pytest.raises(NotLoggedIn):
        context_for(request("/webclient/render_image_region/1/0/0/", connector=public))


def test_the_public_user_is_refused_for_non_get_when_get_only(public):
    with pytest.raises(NotLoggedIn):
        context_for(request(method="post", connector=public))


def test_the_public_user_is_refused_once_public_access_is_disabled(public, settings):
    settings.PUBLIC_ENABLED = False
    with pytest.raises(NotLoggedIn):
        context_for(request(connector=public))


def test_a_sessions_requester_is_built_once_and_any_change_in_it_is_a_new_one():
    first = context_for(request(connector=CONNECTOR))
    assert context_for(request(connector=CONNECTOR)) is first
    other_user = context_for(request(connector=dict(CONNECTOR, user_id=53)))
    other_key = context_for(request(connector=dict(CONNECTOR, omero_session_key="8c8b0000-aaaa-4000-8000-000000000002")))
    shared = context_for(request(connector=CONNECTOR, share_id="12"))
    assert (other_user.user_id, other_key.scope != first.scope, shared.share_id) == (53, True, 12)
    assert len({id(first), id(other_user), id(other_key), id(shared)}) == 4
    assert first.user_id == 52 and first.share_id is None
    unhashable = dict(CONNECTOR, groups=[3, 4])  # still served, built per request
    assert context_for(request(connector=unhashable)).user_id == 52


def test_a_known_public_requester_is_still_refused_where_the_public_user_may_not_go(public):
    assert context_for(request(connector=public)).is_public
    with pytest.raises(NotLoggedIn):
        context_for(request("/webclient/render_image_region/1/0/0/", connector=public))
