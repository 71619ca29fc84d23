"""Standalone mode's direct dispatch answers exactly as Django's handler does, and only skips it
where the settings make that safe."""

from __future__ import annotations

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler

from omero_fast_region import direct_dispatch
from omero_fast_region.direct_dispatch import DirectDispatch, direct_dispatch_safe
from tests.wsgi_calls import call, comparable

#: (URL, the status both answer)
CASES = [
    ("/webgateway/render_image_region/2/0/0/?tile=0,0,0,256,256&c=1|0:255$FF0000&m=c&format=png", "200"),
    ("/webgateway/render_image_region/2/0/0/?tile=1,1,0,256,256&c=1|0:200$00FF00&m=g&q=0.9", "200"),
    ("/webclient/render_image_region/2/0/0/?region=10,20,100,50&c=1|0:255$FF0000&format=png", "200"),
    ("/webgateway/render_image/1/2/1/?c=1|0:4000$0000FF,2|100:3000$00FF00&m=c&format=png", "200"),
    ("/webgateway/render_thumbnail/1/96/", "200"),
    ("/webgateway/histogram_json/1/channel/0/", "200"),
    ("/webgateway/imgData/1/", "200"),
    ("/webgateway/render_image/999/0/0/", "404"),  # no such image: 404
    ("/webgateway/render_image_region/1/0/0/?tile=abc", "400"),  # malformed: 400
    ("/webgateway/render_image/1/9/0/", "400"),  # z out of range: 400
    ("/webgateway/render_image/1/0/0/?" + "&".join(f"k{i}=1" for i in range(1200)), "400"),  # too many fields: Django's 400
    ("/webgateway/render_image/x/0/0/", "404"),  # not one of our paths: Django's 404
]
URLS = [url for url, _ in CASES]


@pytest.fixture
def apps(app):
    django_app = WSGIHandler()
    return django_app, DirectDispatch(django_app)


def test_standalone_settings_allow_direct_dispatch(app):
    assert direct_dispatch_safe()
    assert DirectDispatch(WSGIHandler()).enabled


@pytest.mark.parametrize("url, code", CASES)
def test_same_answer_as_django(apps, url, code):
    django_app, direct = apps
    status, headers, body = call(direct, url)
    expected_status, expected_headers, expected_body = call(django_app, url)
    assert status == expected_status
    assert status.split()[0] == code
    assert comparable(headers) == comparable(expected_headers)
    assert body == expected_body
    assert dict(headers).get("Content-Length", str(len(body))) == str(len(body))


def test_endpoints_skip_the_request_cycle_and_nothing_else(apps):
    _, direct = apps
    started = []

    def count(**kwargs):
        started.append(kwargs)

    signals.request_started.connect(count)
    try:
        assert call(direct, URLS[0])[0] == "200 OK"
        assert started == []
        for url, method in (("/metrics/", "GET"), (URLS[0], "HEAD"), ("/webgateway/render_image/x/0/0/", "GET")):
            call(direct, url, method)
        assert len(started) == 3
    finally:
        signals.request_started.disconnect(count)


def test_host_is_checked_as_django_does(apps, settings):
    django_app, direct = apps
    settings.ALLOWED_HOSTS = ["omero.example.org"]
    assert call(direct, URLS[0], host="evil.example.com")[0] == call(django_app, URLS[0], host="evil.example.com")[0]
    assert call(direct, URLS[0], host="evil.example.com")[0].startswith("400")
    assert call(direct, URLS[0], host="omero.example.org")[0] == "200 OK"


def test_an_accepted_host_is_remembered_until_the_settings_change(apps, settings, monkeypatch):
    django_app, direct = apps
    settings.ALLOWED_HOSTS = ["omero.example.org", ".example.net"]
    monkeypatch.setattr(direct_dispatch, "_allowed_hosts", set())
    checked = []
    validate_host = direct_dispatch.validate_host
    monkeypatch.setattr(direct_dispatch, "validate_host",
                        lambda domain, allowed: checked.append(domain) or validate_host(domain, allowed))
    for _ in range(3):
        assert call(direct, URLS[0], host="omero.example.org")[0] == "200 OK"
        refused_before = checked.count("evil.example.com")
        assert call(direct, URLS[0], host="evil.example.com")[0].startswith("400")
        assert checked.count("evil.example.com") > refused_before  # a refusal is never remembered
    assert checked.count("omero.example.org") == 1  # remembered
    settings.ALLOWED_HOSTS = ["tiles.example.net"]
    assert call(direct, URLS[0], host="omero.example.org")[0].startswith("400")
    assert call(direct, URLS[0], host="omero.example.org")[0] == call(django_app, URLS[0], host="omero.example.org")[0]
    settings.ALLOWED_HOSTS, settings.USE_X_FORWARDED_HOST = ["omero.example.org"], True
    forwarded = {"HTTP_X_FORWARDED_HOST": "evil.example.com"}
    assert call(direct, URLS[0], host="omero.example.org", environ=forwarded)[0].startswith("400")


def test_answers_match_after_the_path_memo_fills(apps):
    django_app, direct = apps
    for _ in range(2):  # the second pass is answered from the resolved-path memo
        for url in URLS[:3]:
            assert call(direct, url)[2] == call(django_app, url)[2]
    assert direct.endpoint_for.cache_info().hits >= 3


@pytest.mark.parametrize("change", ["middleware", "receiver", "database", "cache"])
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")  # what this case is about
def test_more_than_standalone_settings_keep_djangos_handler(app, settings, change):
    def extra(**kwargs):
        pass

    if change == "middleware":
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.contrib.sessions.middleware.SessionMiddleware"]
    elif change == "receiver":
        signals.request_finished.connect(extra)
    elif change == "database":
        settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1"}}
    try:
        assert not direct_dispatch_safe()
        direct = DirectDispatch(WSGIHandler())
        assert not direct.enabled
        started = []
        signals.request_started.connect(lambda **kw: started.append(1), weak=False, dispatch_uid="t")
        try:
            call(direct, URLS[4])
        finally:
            signals.request_started.disconnect(dispatch_uid="t")
        assert started == [1]
    finally:
        signals.request_finished.disconnect(extra)
