"""Joined OMERO sessions are reused per session, bounded, and never closed hard."""

from __future__ import annotations

import pytest

pytest.importorskip("Ice")
import omero.clients  # noqa: E402,F401  (omero.sys.ParametersI, as omero.gateway loads it in OMERO.web)

from omero_fast_region.catalog.ice import JoinedSessions  # noqa: E402
from omero_fast_region.requestcontext import RequestContext, scope_of  # noqa: E402


class Gateway:
    def __init__(self, key):
        self.key, self.closed = key, None

    def close(self, hard=True):
        self.closed = hard


def ctx(key: str) -> RequestContext:
    return RequestContext(scope=scope_of(key), connector={"omero_session_key": key})


def test_one_join_per_session_then_reuse():
    joined = []
    sessions = JoinedSessions(joiner=lambda c: joined.append(c["omero_session_key"]) or Gateway(c["omero_session_key"]))
    first = sessions.get(ctx("a"))
    assert sessions.get(ctx("a")) is first and joined == ["a"]
    assert sessions.get(ctx("b")).key == "b" and joined == ["a", "b"]


def test_the_least_recently_used_is_closed_softly_beyond_the_bound():
    sessions = JoinedSessions(max_sessions=2, joiner=lambda c: Gateway(c["omero_session_key"]))
    a = sessions.get(ctx("a"))
    sessions.get(ctx("b"))
    sessions.get(ctx("c"))
    assert a.closed is False  # close(hard=False): the user's OMERO session stays alive


def test_a_dropped_session_is_joined_afresh():
    sessions = JoinedSessions(joiner=lambda c: Gateway(c["omero_session_key"]))
    first = sessions.get(ctx("a"))
    sessions.drop(ctx("a"))
    assert first.closed is False and sessions.get(ctx("a")) is not first


class Query:
    def __init__(self, error):
        self.error = error

    def findAllByQuery(self, *args):
        raise self.error


def catalog_over(gateways):
    """An IceCatalog whose joins hand out ``gateways`` in turn."""
    from omero_fast_region.catalog.ice import IceCatalog
    from omero_fast_region.config import Config

    pending = list(gateways)
    return IceCatalog(Config(data_dir="/nowhere", metadata_cache_ttl=0),
                      sessions=JoinedSessions(joiner=lambda c: pending.pop(0)))


def test_a_session_that_dies_again_after_the_rejoin_is_not_logged_in_and_both_are_closed():
    """Server down between the re-join and the query: the stock view answers, nothing is raised
    (an Ice message names the session's objects) and no client is left open."""
    import Ice

    from omero_fast_region.requestcontext import NotLoggedIn

    dead = [Gateway("a"), Gateway("a")]
    for gateway in dead:
        gateway._fast_region_query = Query(Ice.ConnectionLostException())
    with pytest.raises(NotLoggedIn):
        catalog_over(dead).get_image(4, ctx("a"))
    assert [g.closed for g in dead] == [False, False]


def test_a_session_that_died_once_is_rejoined_and_answers():
    import Ice

    from omero_fast_region.errors import NotFound

    dead, fresh = Gateway("a"), Gateway("a")
    dead._fast_region_query = Query(Ice.ObjectNotExistException())
    fresh._fast_region_query = type("Empty", (), {"findAllByQuery": lambda self, *a: []})()
    with pytest.raises(NotFound):  # the fresh session's answer: no such image
        catalog_over([dead, fresh]).get_image(4, ctx("a"))
    assert dead.closed is False and fresh.closed is None
