"""`sls-neutral cost` through the console script: profile in, table/JSON out, a chart that renders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "lint_corpus"

PROFILE = """\
functions:
  api: {requests: 10M, duration: 100ms}
  worker: {requests: 2M, duration: 300ms, memory: 1GB}
queues:
  jobs: {messages: 2M, payload: 4KB}
topics:
  events: {messages: 2M, payload: 1KB}
container: {vcpu: 0.5, memory: 1GB, instances: 1}
"""


@pytest.fixture
def service(tmp_path) -> Path:
    target = tmp_path / "clean"
    shutil.copytree(CORPUS / "clean", target)
    (target / "traffic.yaml").write_text(PROFILE)
    return target


def test_cost_json_prices_every_cloud_and_finds_the_crossover(cli, service):
    result = cli("cost", "--profile", "traffic.yaml", "--output", "json", cwd=service)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["providers"]) == {"aws", "gcp", "azure"}
    aws = report["providers"]["aws"]
    assert {line["category"] for line in aws["lines"]} >= {"compute", "requests", "gateway", "queues", "topics"}
    assert aws["container"]["monthly"] == pytest.approx(18.02, abs=0.01)
    assert aws["crossover"]["service"] > 0 and set(aws["crossover"]["functions"]) == {"api", "worker"}
    assert "Container Apps vCPU-s" in report["providers"]["azure"]["low_confidence"]
    assert any("cheaper" in sentence for sentence in report["summary"])


def test_cost_text_table_says_the_crossover_in_words(cli, service):
    result = cli("cost", "--profile", "traffic.yaml", "--no-free-tier", cwd=service)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "no free tiers" in out and "crossover" in out and "Fargate" in out
    assert "low-confidence prices" in out


def test_cost_plot_writes_an_svg_that_renders(cli, service, tmp_path):
    chart = tmp_path / "chart" / "cost.svg"
    result = cli("cost", "--profile", "traffic.yaml", "--plot", str(chart), cwd=service)
    assert result.returncode == 0, result.stderr
    svg = chart.read_text()
    assert svg.startswith("<svg") and "crossover" in svg and "aws container" in svg
    again = tmp_path / "again.svg"
    cli("cost", "--profile", "traffic.yaml", "--plot", str(again), cwd=service)
    assert again.read_bytes() == chart.read_bytes()  # byte-stable
    try:
        import cairosvg
        png = cairosvg.svg2png(bytestring=svg.encode())
    except (ImportError, OSError) as exc:  # cairosvg missing, or the cairo C library missing
        pytest.skip(f"cannot render SVG here: {exc}")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (760, 480)


def test_cost_profile_errors_are_user_errors(cli, service):
    (service / "bad.yaml").write_text("functions:\n  apii: {requests: 1M}\n")
    result = cli("cost", "--profile", "bad.yaml", cwd=service)
    assert result.returncode == 1
    assert "apii" in result.stderr and "api" in result.stderr and "Traceback" not in result.stderr
    missing = cli("cost", "--profile", "nope.yaml", cwd=service)
    assert missing.returncode == 1 and "not found" in missing.stderr
    png = cli("cost", "--plot", "chart.png", cwd=service)
    assert png.returncode == 1 and "SVG" in png.stderr
