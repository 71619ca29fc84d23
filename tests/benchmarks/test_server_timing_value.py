"""benchmarks.load.server_timing_value: one metric's duration out of a Server-Timing header."""

from __future__ import annotations

import pytest

from benchmarks.load import server_timing_value

HEADER = "session;dur=0.05, metadata;dur=1.20, read;dur=6.81, total;dur=13.61, cpu;dur=9.85"


@pytest.mark.parametrize("name, value", [("cpu", 9.85), ("session", 0.05), ("total", 13.61), ("encode", None)])
def test_a_metric_is_found_by_name(name, value):
    assert server_timing_value(HEADER, name) == value


@pytest.mark.parametrize("header", ["", "cpu", "cpu;desc=x", "cpu;dur=abc"])
def test_absent_or_malformed_metrics_are_none(header):
    assert server_timing_value(header, "cpu") is None
