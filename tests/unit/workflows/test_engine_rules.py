"""Pure rules of the engine: retry delays, error matching, timestamps."""

from __future__ import annotations

import random

import pytest

from sls_neutral.core import ir
from sls_neutral.core.workflows.engine import WorkflowError, iso, matches, parse_timestamp, retry_delay


def test_retry_delay_is_interval_times_rate_to_the_n_minus_1_capped():
    retry = ir.Retry(interval=2.0, backoff_rate=3.0, max_delay=30.0)
    assert [retry_delay(retry, n) for n in (1, 2, 3, 4)] == [2.0, 6.0, 18.0, 30.0]
    assert retry_delay(ir.Retry(interval=1.0, backoff_rate=2.0), 11) == 1024.0  # no cap without max_delay


def test_full_jitter_is_uniform_below_the_delay():
    retry = ir.Retry(interval=4.0, backoff_rate=2.0, jitter="full")
    rng = random.Random(7)
    values = [retry_delay(retry, 2, rng) for _ in range(200)]
    assert all(0 <= v <= 8.0 for v in values)
    assert max(values) > 6 and min(values) < 2


def test_error_matching():
    assert matches(("all",), "Anything")
    assert matches(("Busy", "Down"), "Down")
    assert not matches(("Busy",), "Timeout")


def test_timestamps_need_a_zone():
    assert parse_timestamp("2026-01-01T00:00:00Z") == 1767225600.0
    assert parse_timestamp("2026-01-01T01:00:00+01:00") == 1767225600.0
    assert iso(1767225600.0) == "2026-01-01T00:00:00.000Z"
    with pytest.raises(WorkflowError, match="no time zone"):
        parse_timestamp("2026-01-01T00:00:00")
    with pytest.raises(WorkflowError, match="not an ISO-8601"):
        parse_timestamp("tomorrow")
