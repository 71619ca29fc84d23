"""The stock query grammar (omero-web.md §3.1, §9.1, §9.3) and how it changes saved settings."""

from __future__ import annotations

import math

import pytest

from omero_fast_region.errors import BadRequest
from omero_fast_region.query import (
    ChannelSpec, apply_query, inverted_flags, parse_channels, parse_maps, parse_projection,
    parse_quality, parse_render_query, split_html_color,
)
from omero_fast_region.render.model import ChannelSettings, RenderSettings


def _lists(value: str):
    specs = parse_channels(value)
    return [s.index for s in specs], [s.window for s in specs], [s.color for s in specs]


@pytest.mark.parametrize("value, expected", [
    ("1|100:505$0000FF,-2,3|620:3879$FF0000", ([1, -2, 3], [(100.0, 505.0), None, (620.0, 3879.0)], ["0000FF", None, "FF0000"])),
    ("1|12:1386r$0000FF", ([1], [None], ["0000FF"])),
    ("1|$FF0000,2|$00FF00", ([1, 2], [None, None], ["FF0000", "00FF00"])),
    ("1|0:255$cool.lut,-2|0:10$hilo.lut", ([1, -2], [(0.0, 255.0), (0.0, 10.0)], ["cool.lut", "hilo.lut"])),
    ("x|0:1$F00,2|0:1$0F0", ([2], [(0.0, 1.0)], ["0F0"])),
    ("1|0:1:2$F00", ([1], [None], ["F00"])),
    ("1|0:255$FF0000$00FF00", ([1], [(0.0, 255.0)], ["FF0000$00FF00"])),
    ("", ([], [], [])),
])
def test_split_channel_info_vectors(value, expected):
    assert _lists(value) == expected


def test_window_accepts_python_floats():
    (spec,) = parse_channels("1|1e3:inf$FF0000")
    assert spec.window[0] == 1000.0 and math.isinf(spec.window[1])


def test_two_colours_in_the_head_is_a_400_not_a_500():
    with pytest.raises(BadRequest):
        parse_channels("1$AA$BB")


@pytest.mark.parametrize("color, rgba", [
    ("abc", (0xAA, 0xBB, 0xCC, 0xFF)), ("abcd", (0xAA, 0xBB, 0xCC, 0xDD)), ("abbccd", (0xAB, 0xBC, 0xCD, 0xFF)),
    ("abbccdde", (0xAB, 0xBC, 0xCD, 0xDE)), ("#$%&%", None), ("FF00", (0xFF, 0xFF, 0x00, 0x00)), ("12345", None),
])
def test_split_html_color_vectors(color, rgba):
    assert split_html_color(color) == rgba


@pytest.mark.parametrize("maps, size_c, expected", [
    ('[{"inverted":{"enabled":"true"}},{"inverted":{"enabled":"false"}}]', 3, [True, False, None]),
    ('[{}, {"inverted":{"enabled":"true"}}, {"inverted":{"enabled":true}}]', 3, [False, True, True]),
    ('[{}, {"reverse":{"enabled":"true"}}, {"inverted":{"enabled":true}}]', 3, [False, True, True]),
    ('[{"inverted":{"enabled":"True"}}]', 3, [False, None, None]),
    ('[{"inverted":{"enabled":1}}]', 3, [True, None, None]),
    ('[{"inverted":{"enabled":true},"reverse":{"enabled":false}}]', 3, [True, None, None]),
    ('[{"inverted":null,"reverse":{"enabled":true}}]', 3, [True, None, None]),
    ("not json", 3, None), ('{"a":1}', 3, None), ("[[1]]", 3, None),
    ("[]", 3, [None, None, None]),
])
def test_get_inverted_enabled_vectors(maps, size_c, expected):
    assert inverted_flags(parse_maps(maps), size_c) == expected


@pytest.mark.parametrize("value, expected", [
    ("intmax", ("intmax", None, None)), ("intmean", ("intmean", None, None)), ("intsum", ("intsum", None, None)),
    ("intmax|0:1", ("intmax", 0, 1)), ("intmax|a:b", ("intmax", None, None)), ("intmax|5", ("intmax", None, None)),
])
def test_projection_grammar(value, expected):
    p = parse_projection(value)
    assert (p.algorithm, p.start, p.end) == expected


def test_normal_or_unknown_projection_is_none():
    assert parse_projection("normal") is None and parse_projection("bogus") is None


def test_quality_defaults_to_085_and_rejects_non_numbers():
    assert parse_quality(None) == 0.85
    assert parse_quality("0.9") == 0.9
    with pytest.raises(BadRequest):
        parse_quality("abc")


def test_format_and_flip():
    query = parse_render_query({"format": "png", "flip": "HV"})
    assert query.format == "png" and query.flip_h and query.flip_v
    with pytest.raises(BadRequest, match="Unsupported format request"):
        parse_render_query({"format": "gif"})


SAVED = RenderSettings(model="rgb", channels=tuple(
    ChannelSettings(active=True, window=(0.0, 100.0), rgba=(255, 255, 255, 255), lut="fire.lut") for _ in range(3)
))


def _apply(params: dict) -> RenderSettings:
    return apply_query(SAVED, parse_render_query(params))


def test_missing_first_channel_is_inactive_and_maps_follow_c():
    out = _apply({"c": "2|1755:51199$00FF00,3|3218:26623$0000FF",
                  "maps": '[{"quantization":{"family":"exponential","coefficient":1.8}},'
                          '{"quantization":{"family":"polynomial","coefficient":1.2}}]'})
    assert [ch.active for ch in out.channels] == [False, True, True]
    assert out.channels[1].rgba == (0, 255, 0, 255) and out.channels[1].family == "exponential"
    assert out.channels[1].coefficient == 1.8 and out.channels[2].family == "polynomial"
    assert out.channels[1].window == (1755.0, 51199.0)


def test_inactive_entries_change_nothing_and_rgb_colour_clears_lut():
    out = _apply({"c": "-1|5:6$FF0000,2|1:2$00FF00"})
    assert out.channels[0].active is False and out.channels[0].window == (0.0, 100.0)
    assert out.channels[1].lut is None and out.channels[1].rgba == (0, 255, 0, 255)
    assert out.channels[2].active is False


def test_values_are_taken_by_position_as_stock_does():
    out = _apply({"c": "2|0:20$F00,1|0:10$0F0"})
    assert out.channels[0].window == (0.0, 20.0) and out.channels[0].rgba == (255, 0, 0, 255)
    assert out.channels[1].window == (0.0, 10.0)


def test_empty_maps_entry_removes_inversion_and_lut_name_sets_lut():
    saved = RenderSettings(channels=(ChannelSettings(reverse=True),))
    out = apply_query(saved, parse_render_query({"c": "1|0:1$cool.lut", "maps": "[{}]", "m": "g"}))
    assert out.channels[0].reverse is False and out.channels[0].lut == "cool.lut" and out.model == "greyscale"


def test_unknown_family_stops_later_maps():
    out = _apply({"c": "1,2", "maps": '[{"quantization":{"family":"bogus"}},{"quantization":{"family":"logarithmic"}}]'})
    assert [ch.family for ch in out.channels] == ["linear"] * 3


def test_requested_active_counts_positive_entries():
    assert parse_render_query({"c": "1,-2,3,3"}).requested_active == 3
    assert parse_render_query({}).channels is None
    assert ChannelSpec(1).window is None


def test_a_render_query_is_parsed_once_per_combination_of_render_keys():
    from omero_fast_region.query import parse_render_query

    params = {"c": "1|0:255$FF0000,-2", "maps": '[{"inverted": {"enabled": true}}]', "m": "c", "q": "0.9",
              "tile": "0,1,2"}
    first = parse_render_query(params)
    again = parse_render_query({**params, "tile": "0,3,4", "unrelated": "x"})  # not render keys
    assert again is first
    assert first.maps == ({"inverted": {"enabled": True}},) and isinstance(first.maps, tuple)
    other = parse_render_query({**params, "m": "g"})
    assert other is not first and other.model == "greyscale" and other.channels == first.channels
    absent = parse_render_query({k: v for k, v in params.items() if k != "c"})
    assert absent.channels is None  # absent and blank stay different keys
    assert parse_render_query({**params, "c": ""}).channels == ()
