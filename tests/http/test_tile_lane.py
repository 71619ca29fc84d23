"""The tile lane (``tile_lane.py``) writes what the view writes through Django, and leaves the view
every request it does not answer exactly so (standalone here; inside real OMERO.web:
tests/omeroweb/hosted/test_hosted_front.py)."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIHandler

from omero_fast_region import direct_dispatch, metrics, tile_lane
from omero_fast_region.direct_dispatch import DirectDispatch
from tests.wsgi_calls import call, comparable

TILE = "/webgateway/render_image_region/2/0/0/?tile=0,0,0,256,256&c=1|0:255$FF0000&m=c&format=png"
#: region requests the lane answers (each a 200)
ANSWERED = [
    TILE,
    "/webgateway/render_image_region/2/0/0/?tile=1,1,0,256,256&c=1|0:200$00FF00,2|10:90$0000FF&m=c&q=0.9",
    "/webgateway/render_image_region/2/0/0/?tile=2,0,0&c=-1|0:255$FF0000,2|0:255$00FF00&m=g&maps=[{\"reverse\":{\"enabled\":true}}]",
    "/webclient/render_image_region/2/0/0/?region=10,20,100,50&c=1|0:255$FF0000&format=png",
    "/webgateway/render_image_region/1/2/1/?tile=0,0,0,20,20&c=1|0:4000$0000FF,2|100:3000$00FF00&m=c&format=tif",
    "/webgateway/render_image_region/5/0/0/?region=0,0,300,200&c=1|0:4000$FF0000&q=0.5",
    "/webgateway/render_image_region/2/0/0/?tile=0,0,0,256,256&c=1%7C0%3A255%24FF0000&format=png&x=%E2%9C%93",
]
#: region requests the view answers: (URL, extra request headers, the status)
HANDED_OVER = [
    ("/webgateway/render_image_region/2/0/0/?tile=abc", {}, "400"),
    ("/webgateway/render_image_region/2/0/0/?c=1|0:255$FF0000", {}, "400"),  # neither tile nor region
    ("/webgateway/render_image_region/999/0/0/?tile=0,0,0", {}, "404"),
    ("/webgateway/render_image_region/2/9/0/?tile=0,0,0", {}, "400"),
    ("/webgateway/render_image_region/2/0/0/?" + "&".join(f"k{i}=1" for i in range(1200)), {}, "400"),
    ("/webgateway/render_image_region_rdef/1/0/0/?m=c&tile=0,0,0&c=1|0:255$FF0000,2|0:255$00FF00,3|0:255$0000FF"
     '&maps=[{"inverted":{"enabled":false}},{"inverted":{"enabled":false}},{"inverted":{"enabled":false}}]',
     {}, "200"),  # not the lane's endpoint
]


@pytest.fixture
def apps(app):
    django_app = WSGIHandler()
    return django_app, DirectDispatch(django_app)


@pytest.fixture
def answered(monkeypatch):
    """The lane's answers, counted: a list that grows by one per request the lane wrote."""
    seen: list[str] = []
    answer = tile_lane.answer_tile

    def counting(environ, start_response, *args):
        written = answer(environ, start_response, *args)
        if written is not None:
            seen.append(environ["PATH_INFO"])
        return written

    monkeypatch.setattr(tile_lane, "answer_tile", counting)
    return seen


def timing_names(headers: list[tuple[str, str]]) -> list[str]:
    value = dict(headers).get("Server-Timing", "")
    return [part.split(";", 1)[0] for part in value.split(", ")] if value else []


def test_standalone_serves_tiles_through_the_lane(apps):
    assert apps[1].lane


@pytest.mark.parametrize("url", ANSWERED)
def test_the_lane_writes_djangos_answer(apps, answered, url):
    django_app, direct = apps
    call(direct, url)  # the host is accepted (and remembered) by the view's first answer
    answered.clear()
    status, headers, body = call(direct, url)
    assert answered == [url.split("?")[0]]
    expected_status, expected_headers, expected_body = call(django_app, url)
    assert (status, comparable(headers), body) == (expected_status, comparable(expected_headers), expected_body)
    assert status == "200 OK"
    assert timing_names(headers) == timing_names(expected_headers) == [
        "session", "metadata", "read", "render", "encode", "total", "cpu"]


@pytest.mark.parametrize("url, extra, code", HANDED_OVER)
def test_other_outcomes_are_the_views(apps, answered, url, extra, code):
    django_app, direct = apps
    call(direct, TILE)
    answered.clear()
    status, headers, body = call(direct, url, **extra)
    assert answered == []
    assert (status, comparable(headers), body) == (lambda s, h, b: (s, comparable(h), b))(*call(django_app, url, **extra))
    assert status.split()[0] == code


@pytest.mark.parametrize("cache_control", ["private, max-age=3600", ""])
def test_a_matching_etag_is_djangos_304(app, answered, settings, cache_control):
    settings.FAST_REGION = {**settings.FAST_REGION, "cache_control": cache_control}
    django_app = WSGIHandler()
    direct = DirectDispatch(django_app)
    etag = dict(call(direct, TILE)[1])["ETag"]
    answered.clear()
    status, headers, body = call(direct, TILE, if_none_match=etag)
    assert answered == [TILE.split("?")[0]]
    assert (status, headers, body) == call(django_app, TILE, if_none_match=etag)
    assert status == "304 Not Modified" and body == b""


def test_the_lane_answers_only_hosts_django_accepts(apps, answered, settings, monkeypatch):
    _, direct = apps
    monkeypatch.setattr(direct_dispatch, "_allowed_hosts", set())
    settings.ALLOWED_HOSTS = ["omero.example.org"]
    for _ in range(2):
        assert call(direct, TILE, host="evil.example.com")[0].startswith("400")
    assert answered == []
    assert call(direct, TILE, host="omero.example.org")[0] == "200 OK"
    assert len(answered) == 1
    settings.ALLOWED_HOSTS = ["tiles.example.net"]
    assert call(direct, TILE, host="omero.example.org")[0].startswith("400")
    settings.ALLOWED_HOSTS, settings.USE_X_FORWARDED_HOST = ["omero.example.org"], True
    forwarded = {"HTTP_X_FORWARDED_HOST": "omero.example.org"}
    assert call(direct, TILE, host="evil.example.com", environ=forwarded)[0] == "200 OK"  # the view decides
    assert len(answered) == 1


@pytest.mark.parametrize("cache_control, lane", [("", True), ("no-cache", True), ("private, max-age=60 ✓", False)])
def test_cache_control_as_django_writes_it(app, answered, settings, cache_control, lane):
    settings.FAST_REGION = {**settings.FAST_REGION, "cache_control": cache_control}
    django_app = WSGIHandler()
    direct = DirectDispatch(django_app)
    call(direct, TILE)
    answered.clear()
    status, headers, body = call(direct, TILE)
    assert bool(answered) is lane
    expected = call(django_app, TILE)
    assert (status, comparable(headers), body) == (expected[0], comparable(expected[1]), expected[2])


def test_the_lane_reports_each_request_as_the_view_does(apps, answered):
    _, direct = apps

    def counts() -> list[str]:
        lines = metrics.REGISTRY.exposition().splitlines()
        counted = [line for line in lines if line.startswith(tuple(metrics.PREFIX + name for name in (
            "requests_total", "stage_duration_seconds_count", "request_duration_seconds_count")))]
        summed = [line.rsplit(" ", 1)[0] for line in lines  # a sum of CPU seconds: its label set
                  if line.startswith(metrics.PREFIX + "render_cpu_seconds_total")]
        return sorted(counted + summed)

    direct.lane = False
    metrics.REGISTRY.reset()
    for url in ANSWERED * 2:
        call(direct, url)
    by_view = counts()
    direct.lane = True
    metrics.REGISTRY.reset()
    for url in ANSWERED * 2:
        call(direct, url)
    assert len(answered) >= len(ANSWERED)
    assert counts() == by_view
    assert any('outcome="ok"} 14' in line for line in by_view)


def test_the_setting_turns_the_lane_off(app, answered, settings):
    settings.FAST_REGION = {**settings.FAST_REGION, "tile_lane": False}
    direct = DirectDispatch(WSGIHandler())
    assert not direct.lane
    for _ in range(2):
        assert call(direct, TILE)[0] == "200 OK"
    assert answered == []
