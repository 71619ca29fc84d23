"""observe: the per-request log line, Server-Timing stages, and never logging session keys."""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.test import RequestFactory

from omero_fast_region import metrics, observe

SESSION_KEY = "4f0c6a6e-3a55-4b8e-9a53-1c2d3e4f5a6b"
DJANGO_SESSION_KEY = "k3l9x0a1b2c3d4e5f6g7h8i9j0k1l2m3"


def test_one_info_line_per_request_with_id_endpoint_outcome_ms_and_reason(caplog):
    caplog.set_level(logging.INFO, logger="omero_fast_region.requests")
    observe.record_request("render_image", 42, "fallback", 200, 12.345, None, "not logged in")
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == 'endpoint=render_image image=42 outcome=fallback status=200 ms=12.3 reason="not logged in"'


def test_rendered_requests_are_logged_only_with_log_every_request(caplog, settings):
    caplog.set_level(logging.INFO, logger="omero_fast_region.requests")
    for every in (False, True):
        settings.FAST_REGION = {"log_every_request": every}
        caplog.clear()
        for outcome in ("ok", "not_modified", "fallback", "client_error", "not_found", "error"):
            observe.record_request("render_image_region", 5, outcome, 200, 1.0)
        logged = [r.getMessage().split("outcome=")[1].split()[0] for r in caplog.records]
        served = ["ok", "not_modified"] if every else []
        assert logged == served + ["fallback", "client_error", "not_found", "error"]


def test_unlogged_rendered_requests_are_still_counted(settings):
    settings.FAST_REGION = {"log_every_request": False}
    metrics.REGISTRY.reset()
    observe.record_request("render_image_region", 3, "ok", 200, 5.0, {"read": 1.0})
    text = metrics.REGISTRY.exposition()
    assert 'requests_total{endpoint="render_image_region",outcome="ok"} 1' in text
    assert 'stage_duration_seconds_count{stage="read"} 1' in text


def test_session_keys_are_redacted_from_request_log_lines(caplog):
    caplog.set_level(logging.INFO, logger="omero_fast_region.requests")
    observe.record_request("render_image", 1, "error", 500, 1.0, None, f"bad session {SESSION_KEY} / {DJANGO_SESSION_KEY}")
    assert SESSION_KEY not in caplog.text
    assert DJANGO_SESSION_KEY not in caplog.text
    assert "<redacted>" in caplog.text


def test_record_request_feeds_the_metrics():
    metrics.REGISTRY.reset()
    observe.record_request("render_image_region", 3, "ok", 200, 5.0, {"read": 1.0})
    assert 'requests_total{endpoint="render_image_region",outcome="ok"} 1' in metrics.REGISTRY.exposition()


def test_server_timing_names_session_metadata_read_render_encode_in_order():
    request = RequestFactory().get("/")
    with observe.stage(request, "session"):
        pass
    with observe.stage(request, "metadata"):
        pass
    response = HttpResponse(b"x")
    response._fast_region_timings = {"prepare": 1.0, "read": 2.0, "render": 3.0, "encode": 4.0}
    observe.finish_request(request, response, "render_image_region", 7, "ok", 11.0)
    names = [part.split(";")[0] for part in response["Server-Timing"].split(", ")]
    assert names == ["session", "metadata", "read", "render", "encode", "total"]
    assert "total;dur=11.00" in response["Server-Timing"]


def test_the_service_prepare_stage_counts_as_metadata():
    request = RequestFactory().get("/")
    request._fast_region_stages = {"metadata": 1.5}
    response = HttpResponse(b"x")
    response._fast_region_timings = {"prepare": 0.5, "read": 2.0}
    assert observe.request_timings(request, response) == {"metadata": 2.0, "read": 2.0}


def test_responses_that_are_not_our_images_get_no_server_timing():
    request = RequestFactory().get("/")
    response = HttpResponse(b"stock")
    observe.finish_request(request, response, "render_image", 7, "fallback", 3.0, "not logged in")
    assert not response.has_header("Server-Timing")


def test_a_session_key_never_reaches_the_logs_through_the_views(caplog, settings, repository):
    from omero_fast_region import views

    settings.FAST_REGION = {"catalog": f"local:{repository}", "standalone": False, "fallback": False,
                            "log_every_request": True}
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="omero_fast_region")
    for image_id in ("2", "99"):  # one rendered, one not found
        request = RequestFactory().get(f"/webgateway/render_image_region/{image_id}/0/0/", {"tile": "0,0,0"})
        request.session = {"connector": {"omero_session_key": SESSION_KEY, "server_id": 1, "user_id": 2}}
        response = views.render_image_region(request, iid=image_id, z="0", t="0")
        assert response.status_code in (200, 404)
    assert any("outcome=ok" in r.getMessage() for r in caplog.records)
    assert any("outcome=not_found" in r.getMessage() for r in caplog.records)
    assert SESSION_KEY not in caplog.text


def test_the_rendering_cpu_follows_total_in_server_timing_and_is_counted(settings):
    metrics.REGISTRY.reset()
    request = RequestFactory().get("/")
    response = HttpResponse(b"x")
    response._fast_region_timings = {"read": 2.0, "render": 3.0}
    response._fast_region_cpu_ms = 4.25
    observe.finish_request(request, response, "render_image_region", 7, "ok", 11.0)
    assert response["Server-Timing"].endswith("total;dur=11.00, cpu;dur=4.25")
    assert 'render_cpu_seconds_total{endpoint="render_image_region"} 0.00425' in metrics.REGISTRY.exposition()

