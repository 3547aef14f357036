"""The traffic profile (parsing and defaults), the price data, and the SVG chart."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from sls_neutral.core import data, ir
from sls_neutral.core.cost.plot import render_svg
from sls_neutral.core.cost.pricing import gcp_vcpu, prices
from sls_neutral.core.cost.profile import ProfileError, build_profile, parse_count, parse_kb, schedule_invocations


def test_counts_and_sizes():
    assert parse_count("10M", "x") == 10_000_000
    assert parse_count("250k", "x") == 250_000
    assert parse_count(1.5e9, "x") == 1.5e9
    assert parse_kb("4KB", "x") == 4 and parse_kb("1MB", "x") == 1024 and parse_kb("512B", "x") == 0.5
    with pytest.raises(ProfileError):
        parse_count("lots", "functions.api.requests")
    with pytest.raises(ProfileError):
        parse_count(True, "x")


def test_profile_defaults_come_from_the_manifest(build):
    http = build.function("api", memory=1024, triggers=[ir.HttpTrigger("GET", "/")])
    cron = build.function("nightly", triggers=[ir.ScheduleTrigger(cron="0 3 * * *", rate=None)])
    step = build.function("step")
    wf = ir.Workflow("wf", steps=(ir.CallStep("s", function="step"),))
    app = build.app(http, cron, step, workflows=[wf])
    profile = build_profile(app, {"functions": {"api": {"requests": "2M", "duration": "250ms"}},
                                  "workflows": {"wf": {"executions": "10k"}}})
    api = profile.functions["api"]
    assert (api.requests, api.duration, api.memory, api.http) == (2e6, 0.25, 1024, True)
    assert profile.functions["nightly"].requests == 31  # 03:00 daily over a 730-hour month
    assert profile.functions["step"].requests == 10_000  # one call per execution
    assert profile.workflows["wf"].transitions == 2  # one step, plus the start


def test_profile_rejects_unknown_names_with_a_suggestion(build):
    app = build.app(build.function("resize"))
    with pytest.raises(ProfileError) as info:
        build_profile(app, {"functions": {"resise": {"requests": 1}}})
    assert "resise" in info.value.message and "resize" in (info.value.hint or "")
    with pytest.raises(ProfileError):
        build_profile(app, {"fuctions": {}})


def test_schedule_invocations():
    assert schedule_invocations(ir.ScheduleTrigger(cron=None, rate=300.0)) == 8760
    assert schedule_invocations(ir.ScheduleTrigger(cron="0 * * * *", rate=None)) == 730


def test_every_price_keeps_source_and_confidence():
    for key, price in prices().items():
        assert price.source and price.confidence in ("high", "medium", "low"), key
        assert price.value > 0, key
    low = {k for k, p in prices().items() if p.low}
    assert "azure.aca.vcpus" in low and "aws.lambda.requests" not in low


def test_free_tier_numbers_match_the_data_file_text():
    expected = {"aws.lambda.requests": "1M", "aws.lambda.gbs.x86_64": "400,000", "gcp.run.requests": "2M",
                "gcp.run.vcpus": "180,000", "gcp.run.gibs": "360,000", "aws.sfn.transitions": "4,000",
                "azure.consumption.gbs": "400,000", "gcp.workflows.steps": "5,000", "aws.scheduler": "14M"}
    for key, words in expected.items():
        assert words in prices()[key].free_note, key


def test_data_files_keep_provenance():
    for name in data.DATA_FILES:
        doc = data.load(name)
        assert doc["meta"]["generated"] and doc["items"]
        for item in doc["items"]:
            assert "source" in item and item.get("confidence") in ("high", "medium", "low"), item


def test_gcp_cpu_follows_memory():
    assert gcp_vcpu(256) == 0.167 and gcp_vcpu(512) == 0.333 and gcp_vcpu(2048) == 1.0 and gcp_vcpu(65536) == 8.0


def chart(**overrides):
    args = dict(series={"aws": lambda r: r * 1e-6, "gcp": lambda r: r * 2e-6},
                containers={"aws": 18.0, "gcp": 24.0}, crossovers={"aws": 18e6, "gcp": 12e6},
                current=4e6, title="svc: serverless vs container")
    args.update(overrides)
    return render_svg(**args)


def test_chart_is_valid_svg_with_lines_container_and_crossover():
    svg = chart()
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 2  # one cost line per provider
    dashed = [e for e in root.findall(f"{ns}line") if e.get("stroke-dasharray") == "6,4"]
    assert len(dashed) >= 2  # a container line per provider (plus legend swatches)
    circles = root.findall(f"{ns}circle")
    assert len(circles) == 3  # two crossovers, one legend marker
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "aws: 18M/month" in texts and "gcp: 12M/month" in texts and "today" in texts


def test_chart_places_crossover_on_the_container_line():
    root = ET.fromstring(chart())
    ns = "{http://www.w3.org/2000/svg}"
    circle = root.findall(f"{ns}circle")[0]  # aws
    container_lines = [e for e in root.findall(f"{ns}line")
                       if e.get("stroke-dasharray") == "6,4" and e.get("stroke") == "#d97706"]
    assert math.isclose(float(circle.get("cy")), float(container_lines[0].get("y1")), abs_tol=0.11)


def test_chart_is_deterministic_and_says_never():
    assert chart() == chart()
    svg = chart(crossovers={"aws": None, "gcp": 12e6})
    assert "aws: never" in svg
