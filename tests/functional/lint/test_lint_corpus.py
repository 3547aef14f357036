"""The lint corpus: each service in tests/lint_corpus trips exactly the rules it was written to trip.

Every rule SN001-SN017 fires in at least one service and stays silent in the
clean one (on every cloud) and in the provider variants listed here, so a rule
that fires too eagerly or not at all fails this test by name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sls_neutral.core.lint import lint
from sls_neutral.core.lint.rules import BUILTIN_RULES
from sls_neutral.core.pipeline import Project

CORPUS = Path(__file__).resolve().parents[2] / "lint_corpus"

# service -> provider -> the (rule, severity) pairs that must fire, and nothing else from SN001-SN017
EXPECTED: dict[str, dict[str, set[tuple[str, str]]]] = {
    "clean": {"aws": set(), "gcp": set(), "azure": set()},
    "long-batch": {"aws": {("SN001", "error")}, "gcp": {("SN001", "error")},
                   "azure": set()},  # Flex Consumption has no maximum timeout
    "slow-api": {"aws": {("SN002", "error")}, "gcp": set(), "azure": set()},  # 2 min < Azure's 230 s
    "default-sizing": {"aws": {("SN003", "warning"), ("SN003", "error")}},
    "short-lease": {"aws": {("SN004", "error"), ("SN004", "warning")},
                    "gcp": {("SN004", "error")}},  # Pub/Sub only needs ack deadline >= timeout: no warning
    "lost-events": {"aws": {("SN005", "error"), ("SN005", "warning")}},
    "dlq-config": {"aws": {("SN006", "warning")}, "gcp": {("SN006", "warning")}},
    "photo-loop": {"aws": {("SN007", "error")}},
    "admin-star": {"aws": {("SN008", "error")}},
    "shared-identity": {"azure": {("SN009", "warning")}, "aws": set(), "gcp": set()},
    "double-charge": {"aws": {("SN010", "warning")}},
    "invoke-chain": {"aws": {("SN011", "error"), ("SN011", "warning")}},
    "monolith": {"aws": {("SN012", "info")}},
    "big-upload": {"aws": {("SN013", "error")}, "azure": {("SN013", "error")}},  # Service Bus takes 256 KB
    "poll-workflow": {"aws": {("SN014", "warning")}},
    "db-fanout": {"aws": {("SN015", "warning")}},
    "warm-api": {"aws": {("SN016", "info")}},
    "no-observability": {"aws": {("SN017", "info")}, "gcp": {("SN017", "info")}},
}

CASES = [(service, provider) for service, by in EXPECTED.items() for provider in by]


def sn_findings(service: str, provider: str) -> set[tuple[str, str]]:
    report = lint(Project(config=CORPUS / service / "sls-neutral.yaml"), provider)
    return {(r.diagnostic.code, r.severity) for r in report.results if r.diagnostic.code.startswith("SN")}


@pytest.mark.parametrize("service,provider", CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_service_trips_exactly_its_rules(service, provider):
    assert sn_findings(service, provider) == EXPECTED[service][provider]


def test_corpus_has_ten_services_and_covers_every_rule():
    services = sorted(p.name for p in CORPUS.iterdir() if (p / "sls-neutral.yaml").is_file())
    assert len(services) >= 10 and set(services) == set(EXPECTED)
    fired = {code for by in EXPECTED.values() for found in by.values() for code, _ in found}
    assert fired == {rule.id for rule in BUILTIN_RULES}
    silent_somewhere = {rule.id for rule in BUILTIN_RULES
                        if any(not {c for c, _ in found if c == rule.id}
                               for by in EXPECTED.values() for found in by.values())}
    assert silent_somewhere == fired


def test_suppression_is_listed_with_its_reason():
    report = lint(Project(config=CORPUS / "photo-loop" / "sls-neutral.yaml"), "aws")
    assert [(s.finding.code, s.function, s.reason) for s, _ in report.suppressed] == [
        ("SN005", "thumbnail", "S3 retries twice; thumbnails are re-creatable")]
    assert "SN005" not in {r.diagnostic.code for r in report.results}


def test_findings_name_the_function_and_its_line():
    report = lint(Project(config=CORPUS / "slow-api" / "sls-neutral.yaml"), "aws")
    (result,) = [r for r in report.results if r.diagnostic.code == "SN002"]
    d = result.diagnostic
    assert "'export'" in d.message and "30 s" in d.message
    assert Path(d.position.file).name == "sls-neutral.yaml" and d.position.line == 9
    assert d.hint and "202" in d.hint


def test_recursive_loop_names_the_cycle():
    report = lint(Project(config=CORPUS / "photo-loop" / "sls-neutral.yaml"), "aws")
    (result,) = [r for r in report.results if r.diagnostic.code == "SN007"]
    assert "function:thumbnail -> bucket:photos -> function:thumbnail" in result.diagnostic.message


def test_all_merges_providers_of_one_finding():
    report = lint(Project(config=CORPUS / "long-batch" / "sls-neutral.yaml"), "all")
    sn001 = [r for r in report.results if r.diagnostic.code == "SN001"]
    assert {p for r in sn001 for p in r.providers} == {"aws", "gcp"}


def test_unknown_and_unused_suppressions_are_reported(tmp_path):
    service = tmp_path / "svc"
    service.mkdir()
    (service / "handler.py").write_text("def handle(event, ctx):\n    return None\n")
    (service / "sls-neutral.yaml").write_text(
        "service: svc\nruntime: python3.12\nprovider: aws\nplugins: [observability]\n"
        "defaults: {memory: 512MB, timeout: 10s}\n"
        "functions:\n  api:\n    handler: handler.py:handle\n"
        "    lint: {ignore: {SN099: typo, SN012: \"was a monolith once\"}}\n"
        "    triggers: [{http: {method: GET, path: /}}]\n")
    report = lint(Project(config=service / "sls-neutral.yaml"), "aws")
    found = {(r.diagnostic.severity, r.diagnostic.message) for r in report.results}
    assert found == {("warning", "function 'api' ignores SN099, which is not a lint rule"),
                     ("info", "function 'api' ignores SN012, but SN012 finds nothing there on aws")}
