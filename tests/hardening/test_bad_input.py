"""Property-based tests over every endpoint, path segment and query key (in process).

Whatever the request, the answer is one a stock client understands (200/304/400/404), carries no
traceback, and no exception was caught and logged on the way (a 500 the views would otherwise hide
behind a 404). The request space is the fuzzer's (scripts/fuzz.py) explored by hypothesis.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from omero_fast_region import query
from omero_fast_region.errors import BadRequest

from .conftest import check_answer


HYPOTHESIS = settings(
    max_examples=120, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def space(fuzz_module):
    return fuzz_module


def nasty_values(fuzz) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(fuzz.NUMBERS + fuzz.STRINGS + fuzz.CHANNELS + fuzz.MAPS + fuzz.TILES + fuzz.REGIONS
                        + fuzz.PROJECTIONS),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.text(max_size=40),
    )


def run_requests(client, fuzz, error_log, urls) -> None:
    for method, url in urls:
        response = getattr(client, method.lower())(url)
        check_answer(fuzz, response, url)
        assert error_log.unexpected() == [], url


@given(data=st.data())
@HYPOTHESIS
def test_every_endpoint_with_generated_paths_and_queries(app, client, space, error_log, data):
    """The fuzzer's generator, seeded by hypothesis: all routes, methods, keys and values."""
    seed = data.draw(st.integers(min_value=0, max_value=2**32 - 1))
    generator = space.RequestGenerator(seed, [1, 2, 3, 4, 5, 9, 20, 33], [100, 101, 102])
    requests = []
    for _ in range(3):
        request = generator.next()
        if request.path.startswith("/static/"):
            continue  # Django's static view: test_static_files_with_a_too_long_name_are_404
        if len(request.path) > 12000:
            continue  # gunicorn answers 414 before the app (the fuzz against gunicorn covers it)
        requests.append((request.method if request.method != "PUT" else "GET", request.path))
    run_requests(client, space, error_log, requests)


RENDER_PATHS = [
    "/webgateway/render_image_region/{iid}/{z}/{t}/?tile=0,0,0&",
    "/webgateway/render_image_region/{iid}/{z}/{t}/?region=0,0,40,30&",
    "/webgateway/render_image/{iid}/{z}/{t}/?",
    "/webgateway/render_image_rdef/{iid}/{z}/{t}/?c=1|0:255$FF0000&m=c&",
]


@given(data=st.data())
@HYPOTHESIS
def test_render_query_keys_take_any_value(app, client, space, error_log, data):
    """One render query key at a time (and repeated keys), any value, on every format's image."""
    from urllib.parse import quote

    path = data.draw(st.sampled_from(RENDER_PATHS)).format(
        iid=data.draw(st.sampled_from([1, 2, 4, 5, 9])), z=data.draw(st.sampled_from([0, 1, 4, 10**20])),
        t=data.draw(st.sampled_from([0, 1, 7])))
    keys = data.draw(st.lists(st.sampled_from(space.RENDER_KEYS), min_size=1, max_size=3))
    values = nasty_values(space)
    qs = "&".join(f"{key}={quote(data.draw(values), safe='')}" for key in keys)
    run_requests(client, space, error_log, [("GET", path + qs)])


@given(data=st.data())
@HYPOTHESIS
def test_other_endpoints_take_any_path_number_and_query(app, client, space, error_log, data):
    from urllib.parse import quote

    number = st.one_of(st.sampled_from(["0", "1", "2", "96", "3192", "3193", "65501", "9" * 20, "9" * 400]),
                       st.integers(min_value=0, max_value=10**12).map(str))
    template = data.draw(st.sampled_from([
        "/webgateway/render_thumbnail/{iid}/{n}/{n}/", "/webgateway/render_thumbnail/{iid}/{n}/",
        "/webgateway/render_birds_eye_view/{iid}/{n}/", "/webgateway/get_thumbnail/{iid}/{n}/",
        "/webgateway/get_thumbnails/{n}/", "/webgateway/histogram_json/{iid}/channel/{n}/",
        "/webgateway/imgData/{iid}/{n}/", "/webgateway/render_shape_mask/{shape}/",
        "/omero_ms_image_region/get_shape_mask_bytes/{shape}/",
        "/omero_ms_image_region/get_label_image_metadata/{shape}/",
        "/webgateway/render_thumbnail_ngff/size/{n}/{iid}/", "/webgateway/get_thumbnails_ngff/{n}",
        "/webclient/render_thumbnail/size/{n}/{iid}/",
    ]))
    path = template.replace("{iid}", data.draw(st.sampled_from(["1", "2", "3", "5", "9", "7777"])))
    path = path.replace("{shape}", data.draw(st.sampled_from(["100", "101", "102", "5"])))
    while "{n}" in path:
        path = path.replace("{n}", data.draw(number), 1)
    keys = data.draw(st.lists(st.sampled_from(space.OTHER_KEYS + ["z", "t", "tile", "flip"]), max_size=3))
    values = nasty_values(space)
    qs = "&".join(f"{key}={quote(data.draw(values), safe='')}" for key in keys)
    run_requests(client, space, error_log, [("GET", path + "?" + qs)])


# -- the parsers directly: total functions (a value or BadRequest, nothing else) ---------------

@given(st.text(max_size=200))
@settings(max_examples=400, deadline=None)
def test_channel_parsing_is_total(value):
    try:
        specs = query.parse_channels(value)
    except BadRequest:
        return
    assert all(isinstance(spec.index, int) for spec in specs)


@given(st.one_of(st.text(max_size=200), st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["inverted", "reverse", "enabled",
                                                                                 "quantization", "family"]), inner),
    max_leaves=20).map(__import__("json").dumps)))
@settings(max_examples=300, deadline=None)
def test_maps_parsing_is_total(value):
    """Any JSON-ish text parses or is a BadRequest (deep nesting: test_known_bugs.py)."""
    try:
        maps = query.parse_maps(value)
    except BadRequest:
        return
    flags = query.inverted_flags(maps, 3)
    assert flags is None or len(flags) == 3


@given(st.dictionaries(st.sampled_from(["c", "maps", "m", "p", "q", "format", "flip", "ia"]), st.text(max_size=80)))
@settings(max_examples=400, deadline=None)
def test_render_query_parsing_is_total(params):
    try:
        parsed = query.parse_render_query(params)
    except BadRequest:
        return
    assert 0.0 <= parsed.quality <= 1.0 and math.isfinite(parsed.quality)
