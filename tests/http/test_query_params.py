"""views.endpoint.query_params: the query as stock's ``request.GET`` reads it, parsed once."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from omero_fast_region.views.endpoint import query_params

from .helpers import rgb_of

RAW_QUERIES = [
    "",
    "tile=0,1,2&c=1|0:255$FF0000,-2&m=c",
    "c=1&c=2&c=3",                       # repeated: the last value, as request.GET[key]
    "q=&format=&flag",                   # blank values and a bare key are kept
    "c=1%7C0%3A255%24FF0000&maps=%5B%7B%22inverted%22%3A%7B%22enabled%22%3Atrue%7D%7D%5D",
    "name=a+b%20c",                      # '+' is a space
    "x=%E2%82%AC&y=%C3%A9",              # UTF-8 percent-escapes
    "x=%FF%FE",                          # not UTF-8: replaced, as QueryDict does
    "x=\u00e9t\u00e9",                   # raw Latin-1 bytes in QUERY_STRING (PEP 3333 str)
    "a=1;b=2&c",                         # ';' is not a separator
    "&&a=1&&",
]


@pytest.mark.parametrize("raw", RAW_QUERIES)
def test_query_params_match_what_request_get_gives_stock(raw):
    ours = RequestFactory().get("/webgateway/render_image_region/1/0/0/", QUERY_STRING=raw)
    stock = RequestFactory().get("/webgateway/render_image_region/1/0/0/", QUERY_STRING=raw)
    expected = {key: stock.GET[key] for key in stock.GET}
    assert query_params(ours) == expected
    assert list(query_params(ours)) == list(expected)
    assert "GET" not in ours.__dict__  # Django's QueryDict was never built


def test_query_params_are_parsed_once_per_request():
    request = RequestFactory().get("/x", {"tile": "0,0,0"})
    assert query_params(request) is query_params(request)


def test_a_query_request_get_already_parsed_is_reused():
    request = RequestFactory().get("/x", {"c": "1"})
    assert request.GET["c"] == "1"
    assert query_params(request) == {"c": "1"}


def test_too_many_fields_is_a_400_as_stock(app, client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fine = client.get("/webgateway/render_image_region/1/0/0/?tile=0,0,0&format=png&c=1,2,3&m=c")
    assert fine.status_code == 200 and rgb_of(fine).shape[2] == 3
    many = "&".join(f"k{i}=1" for i in range(6))
    response = client.get(f"/webgateway/render_image_region/1/0/0/?tile=0,0,0&{many}")
    assert response.status_code == 400
    assert not response.content.startswith(b"\x89PNG")


# -- querystring.parse_query_string: parse_qsl's answer, tokens decoded once ------------------

from urllib.parse import parse_qsl  # noqa: E402

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402

from omero_fast_region import querystring  # noqa: E402


@given(st.text(alphabet="ab=&%+;2Fé€ 0x", max_size=40))
@hsettings(max_examples=400, deadline=None)
def test_parse_query_string_is_parse_qsl(text):
    """Twice (the second time from the memo) the same dict, in the same order, as parse_qsl gives."""
    expected = dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8"))
    for _ in range(2):
        ours = querystring.parse_query_string(text, "utf-8")
        assert ours == expected and list(ours) == list(expected)


def test_parse_query_string_counts_fields_as_parse_qsl():
    text = "a=1&&b=2"  # an empty token still counts as a field
    with pytest.raises(ValueError):
        parse_qsl(text, max_num_fields=2)
    with pytest.raises(ValueError):
        querystring.parse_query_string(text, max_fields=2)
    assert querystring.parse_query_string(text, max_fields=3) == {"a": "1", "b": "2"}


def test_the_token_memo_is_keyed_by_encoding_and_bounded(monkeypatch):
    monkeypatch.setattr(querystring, "_decoded", {})
    assert querystring.parse_query_string("x=%E9", "utf-8") == {"x": "\ufffd"}
    assert querystring.parse_query_string("x=%E9", "iso-8859-1") == {"x": "\u00e9"}
    monkeypatch.setattr(querystring, "MAX_TOKENS", 3)
    for i in range(10):
        assert querystring.parse_query_string(f"k=%2F{i}") == {"k": f"/{i}"}
        assert len(querystring._decoded) <= 3
    long_token = "v=" + "%41" * querystring.MAX_TOKEN_CHARS
    assert querystring.parse_query_string(long_token) == {"v": "A" * querystring.MAX_TOKEN_CHARS}
    assert (long_token, "utf-8") not in querystring._decoded
