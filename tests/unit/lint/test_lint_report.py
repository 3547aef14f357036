"""The runner's merging and suppressions, and the three output formats, on in-memory findings."""

from __future__ import annotations

import json

from sls_neutral.core import ir
from sls_neutral.core.errors import Position
from sls_neutral.core.lint.formatters import render_json, render_sarif, render_text
from sls_neutral.core.lint.limits import limits_for
from sls_neutral.core.lint.model import Finding, Suppressed
from sls_neutral.core.lint.rules import BUILTIN_RULES
from sls_neutral.core.lint.runner import LintReport, Result, suppression
from sls_neutral.core import data


def report() -> LintReport:
    error = Finding("function 'f' holds wildcard scope 'bucket:*:read'", Position("sls-neutral.yaml", 9, 3),
                    "name the resource", code="SN008", severity="error", subject="function:f")
    info = Finding("service 's': tracing is off", Position("sls-neutral.yaml"), "enable it", code="SN017",
                   severity="info")
    quiet = Finding("function 'g' is triggered directly by topic 't'", Position("sls-neutral.yaml", 20, 3),
                    "use a queue", code="SN005", severity="warning", subject="function:g")
    r = LintReport(["aws", "gcp"], list(BUILTIN_RULES))
    r.results = [Result(error, ("aws", "gcp")), Result(info, ("aws",))]
    r.suppressed = [(Suppressed(quiet, "g", "fire and forget is fine here"), ("aws", "gcp"))]
    return r


def test_text_is_grouped_by_severity_then_rule_and_lists_suppressions():
    text = render_text(report())
    assert text.index("ERRORS (1)") < text.index("SN008 wildcard-scope") < text.index("INFOS (1)")
    assert "sls-neutral.yaml:9:3: function 'f' holds wildcard scope 'bucket:*:read' [aws, gcp]" in text
    assert "fix: name the resource" in text
    assert "SN005 on function 'g': fire and forget is fine here" in text
    assert "1 error(s), 0 warning(s), 1 info, 1 suppressed" in text
    assert "\x1b[" not in text
    assert "\x1b[" in render_text(report(), color=True)


def test_json_report():
    doc = json.loads(render_json(report()))
    assert doc["summary"] == {"error": 1, "warning": 0, "info": 1}
    assert doc["findings"][0]["providers"] == ["aws", "gcp"] and doc["findings"][0]["line"] == 9
    assert doc["suppressed"][0] == {"code": "SN005", "function": "g", "reason": "fire and forget is fine here",
                                    "message": "function 'g' is triggered directly by topic 't'",
                                    "providers": ["aws", "gcp"]}


def test_sarif_required_structure():
    doc = json.loads(render_sarif(report(), "1.2.3"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "sls-neutral" and driver["version"] == "1.2.3" and len(driver["rules"]) == 17
    results = doc["runs"][0]["results"]
    first = results[0]
    assert first["ruleId"] == "SN008" and first["level"] == "error"
    assert driver["rules"][first["ruleIndex"]]["id"] == "SN008"
    assert first["message"]["text"].endswith("Fix: name the resource")
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "sls-neutral.yaml" and location["region"]["startLine"] == 9
    assert results[1]["level"] == "note" and results[1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1}
    assert results[2]["suppressions"] == [{"kind": "inSource", "justification": "fire and forget is fine here"}]


def test_suppression_by_function_and_by_every_queue_consumer(build):
    f = build.function("f", lint_ignore={"SN010": "dedupes on the order id"})
    g = build.function("g", triggers=[ir.QueueTrigger("q")], lint_ignore={"SN005": "replayable"})
    app = build.app(f, g, queues=[ir.Queue("q")])
    on_f = Finding("m", None, code="SN010", subject="function:f")
    assert suppression(app, on_f) == ("f", "dedupes on the order id")
    assert suppression(app, Finding("m", None, code="SN008", subject="function:f")) is None
    assert suppression(app, Finding("m", None, code="SN005", subject="queue:q")) == ("g", "replayable")
    assert suppression(app, Finding("m", None, code="SN017")) is None


def test_limits_in_code_match_the_words_of_the_data_file():
    """Numbers read from text items are written in code; the text must still say them."""
    checks = [("gcp", "Pub/Sub", "ack deadline", "600"), ("azure", "Service Bus", "lock duration / delivery count",
                                                          "5 min"),
              ("aws", "Lambda", "memory range", "10240"), ("azure", "Functions Consumption", "timeout", "10 min"),
              ("azure", "Functions Flex Consumption", "instance sizes", "4096"),
              ("aws", "Step Functions", "max execution duration", "Express 5 minutes"),
              ("azure", "Service Bus", "message size", "256 KB"), ("gcp", "Cloud Run functions (gen2)",
                                                                   "event size", "512 KB")]
    for provider, service, limit, words in checks:
        item = data.find("limits.json", provider=provider, service=service, limit=limit)
        assert words in str(item["value"]), (provider, service, limit)
    assert limits_for("aws").timeout_event.value == 900
    assert limits_for("gcp").lease_max.value == 600
    assert limits_for("azure", "consumption").timeout_event.value == 600


def test_sarif_gives_provider_checks_a_rule_entry():
    r = report()
    r.results.append(Result(Finding("provider 'x' does not support topic", Position("sls-neutral.yaml"), "see matrix",
                                    code="unsupported", severity="error"), ("x",)))
    doc = json.loads(render_sarif(r))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    last = doc["runs"][0]["results"][2]
    assert last["ruleId"] == "unsupported" and rules[last["ruleIndex"]]["id"] == "unsupported"
