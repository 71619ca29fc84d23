"""metrics/: Prometheus text for allow-listed clients only, also behind a proxy."""

from __future__ import annotations

import pytest

from omero_fast_region import metrics


@pytest.fixture(autouse=True)
def _standalone(settings, tmp_path):
    settings.FAST_REGION = {"catalog": f"local:{tmp_path / 'catalog.json'}", "standalone": True}


def test_loopback_client_reads_prometheus_text(client):
    metrics.counter("probe_total").inc()
    response = client.get("/metrics/", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "omero_fast_region_probe_total" in response.content.decode()


def test_other_clients_are_refused_by_default(client):
    assert client.get("/metrics/", REMOTE_ADDR="192.0.2.10").status_code == 403


def test_a_loopback_proxy_does_not_open_the_endpoint_to_remote_clients(client):
    response = client.get("/metrics/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7")
    assert response.status_code == 403


def test_allow_list_accepts_networks(client, settings, tmp_path):
    settings.FAST_REGION = {"catalog": f"local:{tmp_path / 'c.json'}", "standalone": True,
                            "metrics_allow": ["10.0.0.0/8"]}
    assert client.get("/metrics/", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_an_empty_allow_list_turns_the_endpoint_off(client, settings, tmp_path):
    settings.FAST_REGION = {"catalog": f"local:{tmp_path / 'c.json'}", "standalone": True, "metrics_allow": []}
    assert client.get("/metrics/", REMOTE_ADDR="127.0.0.1").status_code == 403
