"""metrics: the registry, its Prometheus text, reason categories and the request hook."""

from __future__ import annotations

import threading

import pytest

from omero_fast_region import metrics


@pytest.fixture()
def registry() -> metrics.Registry:
    return metrics.Registry()


def test_counter_with_labels_is_exposed_in_prometheus_text(registry):
    registry.counter("things_total", {"kind": "a"}, "Things.").inc()
    registry.counter("things_total", {"kind": "a"}).inc(2)
    text = registry.exposition()
    assert "# HELP omero_fast_region_things_total Things." in text
    assert "# TYPE omero_fast_region_things_total counter" in text
    assert 'omero_fast_region_things_total{kind="a"} 3' in text


def test_histogram_buckets_are_cumulative_with_sum_and_count(registry):
    h = registry.histogram("lat_seconds", {"e": "x"}, buckets=(0.1, 1.0))
    for value in (0.05, 0.5, 5.0):
        h.observe(value)
    text = registry.exposition()
    assert 'omero_fast_region_lat_seconds_bucket{e="x",le="0.1"} 1' in text
    assert 'omero_fast_region_lat_seconds_bucket{e="x",le="1"} 2' in text
    assert 'omero_fast_region_lat_seconds_bucket{e="x",le="+Inf"} 3' in text
    assert 'omero_fast_region_lat_seconds_sum{e="x"} 5.55' in text
    assert 'omero_fast_region_lat_seconds_count{e="x"} 3' in text


def test_a_value_on_a_bucket_bound_counts_in_that_bucket(registry):
    h = registry.histogram("edge_seconds", buckets=(0.1, 1.0))
    for value in (0.1, 1.0, 1.0000001):
        h.observe(value)
    assert h.counts == [1, 2]
    assert h.count == 3


def test_the_same_labels_in_any_order_name_one_child(registry):
    first = registry.counter("pairs_total", {"a": "1", "b": "2"})
    assert registry.counter("pairs_total", {"b": "2", "a": "1"}) is first
    assert registry.counter("pairs_total", {"a": 1, "b": 2}) is first  # values are text in the exposition
    first.inc()
    assert 'omero_fast_region_pairs_total{a="1",b="2"} 1' in registry.exposition()


def test_a_seen_name_still_cannot_change_kind_and_reset_forgets_children(registry):
    registry.counter("kind_total", {"x": "1"}).inc()
    with pytest.raises(ValueError):
        registry.histogram("kind_total", {"x": "1"})
    registry.reset()
    assert registry.counter("kind_total", {"x": "1"}).value == 0


def test_gauge_fn_is_read_at_scrape_time_and_a_failing_one_is_left_out(registry):
    value = {"n": 1}
    registry.gauge_fn("open_things", lambda: value["n"], "Open things.")
    registry.gauge_fn("broken", lambda: 1 / 0)
    registry.gauge_fn("labelled", lambda: [({"pool": "p"}, 4)])
    value["n"] = 7
    text = registry.exposition()
    assert "omero_fast_region_open_things 7" in text
    assert "broken" not in text
    assert 'omero_fast_region_labelled{pool="p"} 4' in text


def test_label_values_are_escaped(registry):
    registry.counter("c_total", {"r": 'a"b\\c\nd'}).inc()
    assert 'omero_fast_region_c_total{r="a\\"b\\\\c\\nd"} 1' in registry.exposition()


def test_a_name_cannot_change_kind(registry):
    registry.counter("same")
    with pytest.raises(ValueError):
        registry.histogram("same")


def test_concurrent_increments_are_not_lost(registry):
    c = registry.counter("n_total")

    def work() -> None:
        for _ in range(2000):
            c.inc()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.value == 16000


@pytest.mark.parametrize("reason, category", [
    ("not logged in", "not_logged_in"),
    ("the image has no rendering settings yet", "no_rendering_settings"),
    ("unsupported file format: .czi", "unsupported_format"),
    ("error 3f2a9c0b11aa", "internal_error"),
    ("projection not supported here", "unsupported_request"),
    ("something new", "other"),
    (None, "other"),
])
def test_fallback_reasons_fall_into_a_bounded_set_of_categories(reason, category):
    assert metrics.reason_category(reason) == category
    assert category in metrics.REASON_CATEGORIES


def test_observe_request_counts_requests_stages_and_fallbacks():
    metrics.REGISTRY.reset()
    metrics.observe_request("render_image_region", "ok", 12.0, {"read": 3.0, "render": 4.0})
    metrics.observe_request("render_image_region", "fallback", 2.0, None, "not logged in")
    text = metrics.REGISTRY.exposition()
    assert 'omero_fast_region_requests_total{endpoint="render_image_region",outcome="ok"} 1' in text
    assert 'omero_fast_region_request_duration_seconds_count{endpoint="render_image_region",outcome="fallback"} 1' in text
    assert 'omero_fast_region_stage_duration_seconds_count{stage="read"} 1' in text
    assert 'omero_fast_region_fallbacks_total{endpoint="render_image_region",reason="not_logged_in"} 1' in text


def test_cache_hit_ratio_is_published_per_cache():
    metrics.REGISTRY.reset()
    for hit in (True, True, True, False):
        metrics.cache_access("metadata", hit)
    text = metrics.REGISTRY.exposition()
    assert 'omero_fast_region_cache_hit_ratio{cache="metadata"} 0.75' in text
    assert 'omero_fast_region_cache_requests_total{cache="metadata",result="miss"} 1' in text


def test_process_open_fds_is_a_positive_count():
    assert metrics.open_fds() > 0
    assert "omero_fast_region_process_open_fds " in metrics.REGISTRY.exposition()


def test_descriptor_cache_lookups_are_counted_as_metadata_hits_and_misses():
    from omero_fast_region.catalog.cache import DescriptorCache, UnsupportedMark

    metrics.REGISTRY.reset()
    cache = DescriptorCache(ttl=60)
    assert cache.get("scope", 7) is None
    cache.put("scope", 7, UnsupportedMark("no rendering settings"))
    assert isinstance(cache.get("scope", 7), UnsupportedMark)
    text = metrics.REGISTRY.exposition()
    assert 'omero_fast_region_cache_requests_total{cache="metadata",result="miss"} 1' in text
    assert 'omero_fast_region_cache_requests_total{cache="metadata",result="hit"} 1' in text
