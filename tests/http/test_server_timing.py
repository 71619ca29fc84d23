"""Server-Timing on a real rendered tile: the stages, and the CPU the worker spent on it."""

from __future__ import annotations

import pytest

from omero_fast_region import metrics


def test_a_rendered_tile_reports_its_own_cpu_time(app, client):
    metrics.REGISTRY.reset()
    response = client.get("/webgateway/render_image_region/2/0/0/?tile=0,0,0&c=1|0:255$FF0000,2|0:255$00FF00")
    assert response.status_code == 200
    stages = dict(part.split(";dur=") for part in response["Server-Timing"].split(", "))
    cpu, total = float(stages["cpu"]), float(stages["total"])
    assert 0 < cpu <= total + 0.5  # one thread's CPU cannot exceed the request's wall time
    exposed = metrics.REGISTRY.exposition()
    counted = float(exposed.split('render_cpu_seconds_total{endpoint="render_image_region"} ')[1].split()[0])
    assert counted == pytest.approx(cpu / 1000.0, abs=1e-5)
