"""Encoded thumbnails are kept per process, keyed by their strong ETag (service/thumbnail.THUMBNAILS)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from omero_fast_region import metrics
from omero_fast_region.render.model import RenderingDef
from omero_fast_region.runtime import get_runtime
from omero_fast_region.service import thumbnail
from omero_fast_region.service.thumbnail import THUMBNAILS, render_thumbnail

from .helpers import size_of


@pytest.fixture
def client(app, client):
    return client


def _count_renders(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = thumbnail._encode_thumbnail

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(thumbnail, "_encode_thumbnail", counting)
    return calls


def _lookups() -> tuple[int, int]:
    stats = THUMBNAILS.stats()  # counts since the process started
    return stats["hits"], stats["misses"]


def _since(before: tuple[int, int]) -> tuple[int, int]:
    hits, misses = _lookups()
    return hits - before[0], misses - before[1]


def test_a_revisited_thumbnail_is_answered_from_the_cache_with_the_same_bytes(client, monkeypatch):
    renders = _count_renders(monkeypatch)
    before = _lookups()
    first = client.get("/webgateway/render_thumbnail/3/")
    second = client.get("/webgateway/render_thumbnail/3/")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first["ETag"] == second["ETag"]
    assert len(renders) == 1
    assert _since(before) == (1, 1)
    assert THUMBNAILS.stats()["entries"] == 1 and THUMBNAILS.nbytes == len(first.content)


def test_other_sizes_and_other_images_are_other_entries(client, monkeypatch):
    renders = _count_renders(monkeypatch)
    small = client.get("/webgateway/render_thumbnail/3/48/")
    large = client.get("/webgateway/render_thumbnail/3/100/")
    other = client.get("/webgateway/render_thumbnail/1/48/")
    assert (size_of(small), size_of(large)) == ((48, 48), (100, 100))
    assert len({small.content, large.content, other.content}) == 3
    assert len(renders) == 3 and THUMBNAILS.stats()["entries"] == 3


def test_get_thumbnails_reuses_what_render_thumbnail_rendered(client, monkeypatch):
    client.get("/webgateway/render_thumbnail/3/")
    renders = _count_renders(monkeypatch)
    assert client.get("/webgateway/get_thumbnails/?id=3").status_code == 200
    assert renders == []


def test_a_zero_bound_keeps_nothing_and_still_answers(settings, image_set, client, monkeypatch):
    settings.FAST_REGION = {"catalog": f"local:{image_set.catalog}", "standalone": True, "thumbnail_cache_mb": "0"}
    renders = _count_renders(monkeypatch)
    first = client.get("/webgateway/render_thumbnail/3/")
    second = client.get("/webgateway/render_thumbnail/3/")
    assert first.content == second.content and len(renders) == 2
    assert THUMBNAILS.max_bytes == 0 and len(THUMBNAILS) == 0


def test_sessions_and_rendering_settings_do_not_share_entries(app):
    runtime = get_runtime()
    descriptor = runtime.catalog.get_image(3, None)
    before = _lookups()
    mine = render_thumbnail(runtime, descriptor, scope="session-a")
    assert render_thumbnail(runtime, descriptor, scope="session-a").etag == mine.etag
    theirs = render_thumbnail(runtime, descriptor, scope="session-b")
    assert theirs.etag != mine.etag and theirs.body == mine.body
    channels = descriptor.rendering.settings.channels
    brighter = replace(descriptor.rendering.settings,
                       channels=(replace(channels[0], window=(channels[0].window[0], channels[0].window[1] / 2)),
                                 *channels[1:]))
    changed = replace(descriptor, rendering=RenderingDef(**{**vars(descriptor.rendering), "settings": brighter}))
    edited = render_thumbnail(runtime, changed, scope="session-a")
    assert edited.etag != mine.etag and edited.body != mine.body
    assert _since(before) == (1, 3)


def test_the_hit_ratio_of_every_cache_is_published(client):
    client.get("/webgateway/render_thumbnail/3/")
    client.get("/webgateway/render_thumbnail/3/")
    ratios = {labels["cache"]: value for labels, value in metrics.cache_hit_ratios()}
    hits, misses = _lookups()
    assert hits >= 1 and ratios["thumbnails"] == pytest.approx(hits / (hits + misses))
    assert 0.0 <= ratios["render_tables"] <= 1.0
    text = metrics.REGISTRY.exposition()
    assert 'omero_fast_region_cache_hit_ratio{cache="thumbnails"} ' in text
    assert 'omero_fast_region_cache_hit_ratio{cache="render_tables"} ' in text
