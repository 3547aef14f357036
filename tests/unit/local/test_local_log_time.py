"""providers/local/logs.py: the time of a log line, which ``logs --since`` filters on."""

from __future__ import annotations

import datetime as dt

from sls_neutral.providers.local.logs import line_time

AT_TEN = dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC).timestamp()


def test_the_time_field_of_a_json_line_in_epoch_seconds():
    assert line_time('{"function": "f", "level": "info", "time": "2026-12-05T10:00:00.250Z"}') == AT_TEN + 0.25
    assert line_time('{"time": "2026-12-05T11:00:00+01:00"}') == AT_TEN
    assert line_time('{"time": "2026-12-05T10:00:00"}') == AT_TEN  # naive means UTC
    # a nested "time" is not the line's
    assert line_time('{"detail": {"time": "2020-01-01T00:00:00Z"}, "time": "2026-12-05T10:00:00Z"}') == AT_TEN


def test_lines_without_a_parsable_time_have_none():
    for line in ("plain print output", '{"message": "no time"}', '{"time": "soon"}', '{"time": 5}', "[1, 2]",
                 "{not json"):
        assert line_time(line) is None
