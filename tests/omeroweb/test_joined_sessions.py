"""Joined OMERO sessions are reused per session, bounded, and never closed hard."""

from __future__ import annotations

import pytest

pytest.importorskip("Ice")

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
