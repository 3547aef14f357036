"""providers/azure/deploy/runtime_api.py: the Application Insights query ``logs -p azure`` sends."""

from __future__ import annotations

from sls_neutral.providers.azure.deploy.runtime_api import LOG_SPAN, log_query, log_span


def test_the_query_filters_by_time_only_when_a_start_is_given():
    assert "timestamp >=" not in log_query(["api-get"])
    kql = log_query(["api-get", "api-post"], "2026-12-05T10:00:00.000Z")
    assert "| where operation_Name in ('api-get', 'api-post') and timestamp >= datetime(2026-12-05T10:00:00.000Z)" \
        in kql


def test_the_timespan_reaches_back_to_since():
    now = 2_000_000_000.0
    assert log_span(None, now) == LOG_SPAN == "P7D"  # without --since: the last 7 days
    assert log_span(now - 3600, now) == "P7D"  # the KQL filter narrows it
    assert log_span(now - 30 * 86400, now) == "P32D"  # older than the default span: widened to reach it
