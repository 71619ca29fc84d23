"""The hosted front's replayed request cycle (``hosted_front.py``) against Django's own handler, in
this process's settings; inside real OMERO.web: tests/omeroweb/hosted/test_hosted_front.py."""

from __future__ import annotations

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.utils.deprecation import MiddlewareMixin
from gunicorn.config import Config
from gunicorn.glogging import Logger

from omero_fast_region.direct_dispatch import DirectDispatch
from omero_fast_region.hosted_front import HostedFront, front_for
from omero_fast_region.keepalive_worker import KeepAliveWorker

from tests.wsgi_calls import call, comparable

from .test_direct_dispatch import CASES, URLS

#: a middleware whose steps can be told to answer or to raise (module-level so settings can name it)
PROBE: dict = {}


class ProbeMiddleware(MiddlewareMixin):
    """Records its steps; ``PROBE["answer"]``/``PROBE["raise"]`` name the step that answers or raises."""

    def process_request(self, request):
        PROBE["steps"].append("request")
        return self._step("request")

    def process_response(self, request, response):
        PROBE["steps"].append(f"response {response.status_code}")
        return self._step("response") or response

    def _step(self, name):
        if PROBE["raise"] == name:
            raise PermissionError(name)  # an unexpected error: a 500
        if PROBE["answer"] == name:
            return HttpResponse(f"answered in {name}", status=418)
        return None


@pytest.fixture
def apps(app):
    django_app = WSGIHandler()
    front = front_for(django_app)
    assert isinstance(front, HostedFront)
    return django_app, front


@pytest.mark.parametrize("url, code", CASES)
def test_same_answer_as_django(apps, url, code):
    django_app, front = apps
    status, headers, body = call(front, url)
    expected_status, expected_headers, expected_body = call(django_app, url)
    assert (status, comparable(headers), body) == (expected_status, comparable(expected_headers), expected_body)
    assert status.split()[0] == code


def test_render_urls_skip_signals_with_nothing_to_do_and_nothing_else(apps):
    _, front = apps
    seen = []

    def count(signal, **kwargs):
        seen.append(signal)

    signals.request_started.connect(count)
    signals.request_finished.connect(count)
    try:
        assert not front.send_signals  # built before this receiver was connected
        assert call(front, URLS[0])[0] == "200 OK"
        assert seen == []
        call(front, "/metrics/")  # not a render URL: Django's handler, both signals
        assert seen == [signals.request_started, signals.request_finished]
        seen.clear()
        front_now = front_for(front.app)  # a receiver that is not housekeeping: the signals are sent
        assert front_now.send_signals
        assert call(front_now, URLS[0])[0] == "200 OK"
        assert seen == [signals.request_started, signals.request_finished]
    finally:
        signals.request_started.disconnect(count)
        signals.request_finished.disconnect(count)


@pytest.mark.parametrize("answer,raise_,status,steps", [
    (None, None, "200", ["request", "response 200"]),
    ("request", None, "418", ["request", "response 418"]),  # its own process_response still runs
    ("response", None, "418", ["request", "response 200"]),
    (None, "request", "500", ["request"]),  # converted around its layer: its process_response skipped
    (None, "response", "500", ["request", "response 200"]),
])
def test_a_layer_that_answers_or_raises_is_replayed_where_django_would(app, settings, answer, raise_, status, steps):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ProbeMiddleware"]
    django_app = WSGIHandler()
    front = front_for(django_app)
    assert isinstance(front, HostedFront)
    answers = []
    for application in (django_app, front):
        PROBE.update({"answer": answer, "raise": raise_, "steps": []})
        got_status, headers, body = call(application, URLS[0])
        answers.append((got_status, comparable(headers), body, PROBE["steps"]))
    assert answers[0] == answers[1]
    assert answers[1][0].split()[0] == status and answers[1][3] == steps


def test_the_keepalive_worker_installs_the_front_on_djangos_handler_only(app):
    class Loaded:
        def __init__(self, application):
            self.application = application

        def wsgi(self):
            return self.application

    cfg = Config()
    for application, expected in ((WSGIHandler(), HostedFront), (DirectDispatch(WSGIHandler()), DirectDispatch)):
        worker = KeepAliveWorker(0, 1, [], Loaded(application), 30, cfg, Logger(cfg))
        worker.load_wsgi()
        assert type(worker.wsgi) is expected


def test_get_wsgi_application_fronts_djangos_handler_inside_omeroweb_only(app, settings):
    """``wsgi_front``: ``get_wsgi_application()`` (OMERO.web's ``omeroweb.wsgi``) returns the front
    when the app is hosted, Django's handler in standalone mode (which has ``DirectDispatch``)."""
    from django.core.wsgi import get_wsgi_application

    from omero_fast_region import wsgi_front

    assert wsgi_front.installed()
    wsgi_front.install()  # a second install changes nothing
    assert wsgi_front.installed()
    assert type(get_wsgi_application()) is WSGIHandler
    settings.FAST_REGION = {**settings.FAST_REGION, "standalone": False}
    hosted = get_wsgi_application()
    assert isinstance(hosted, HostedFront) and type(hosted.app) is WSGIHandler
