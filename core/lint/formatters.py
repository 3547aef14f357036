"""Render a lint report: text for people (grouped, coloured on a terminal), JSON, and SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Any

from sls_neutral.core.lint.model import SEVERITIES, rule_attr
from sls_neutral.core.lint.runner import LintReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_json(report: LintReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"


def render_text(report: LintReport, *, color: bool = False) -> str:
    """Findings grouped by severity, then rule; each with file:line, the message and the fix."""
    rules = {r.id: r for r in report.rules}
    blocks: list[tuple[str, str | None]] = []  # (text, style)
    multi = len(report.providers) > 1
    for severity in SEVERITIES:
        results = [r for r in report.results if r.severity == severity]
        if not results:
            continue
        blocks.append((f"{severity.upper()}S ({len(results)})", STYLE[severity]))
        codes = sorted({r.diagnostic.code for r in results})
        for code in codes:
            rule = rules.get(code)
            title = f"  {code} {rule_attr(rule, 'name') if rule else ''}".rstrip()
            blocks.append((title, "bold"))
            for r in (x for x in results if x.diagnostic.code == code):
                d = r.diagnostic
                where = f"{d.position}: " if d.position else ""
                on = f" [{', '.join(r.providers)}]" if multi else ""
                blocks.append((f"    {where}{d.message}{on}", None))
                if d.hint:
                    blocks.append((f"      fix: {d.hint}", "dim"))
    if report.suppressed:
        blocks.append((f"SUPPRESSED ({len(report.suppressed)})", "magenta"))
        for s, _ in report.suppressed:
            blocks.append((f"    {s.finding.code} on function '{s.function}': {s.reason}", None))
    for note in report.notes:
        blocks.append((f"note: {note}", "dim"))
    summary = (f"{report.count('error')} error(s), {report.count('warning')} warning(s), "
               f"{report.count('info')} info, {len(report.suppressed)} suppressed "
               f"(checked for {', '.join(report.providers)})")
    blocks.append((summary, "bold red" if report.count("error") else "bold green"))
    if not color:
        return "\n".join(text for text, _ in blocks) + "\n"
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, highlight=False, soft_wrap=True)
    for text, style in blocks:
        console.print(Text(text, style=style or ""))
    return buffer.getvalue()


def render_sarif(report: LintReport, tool_version: str = "0") -> str:
    rules = report.rules
    index = {r.id: i for i, r in enumerate(rules)}
    driver_rules = []
    for r in rules:
        entry: dict[str, Any] = {
            "id": r.id,
            "name": _camel(rule_attr(r, "name") or r.id),
            "shortDescription": {"text": rule_attr(r, "summary") or r.id},
            "defaultConfiguration": {"level": SARIF_LEVEL.get(r.severity, "warning")},
        }
        fix = rule_attr(r, "fix")
        if fix:
            entry["help"] = {"text": fix}
        catches = rule_attr(r, "catches")
        if catches:
            entry["fullDescription"] = {"text": catches}
        driver_rules.append(entry)
    # provider checks and other non-rule findings still get a rule entry, so code-scanning UIs can group them
    for code in sorted({r.diagnostic.code for r in report.results} - set(index)):
        index[code] = len(driver_rules)
        driver_rules.append({"id": code, "name": _camel(code),
                             "shortDescription": {"text": f"provider or manifest check '{code}'"},
                             "defaultConfiguration": {"level": "error"}})
    results = []
    for r in report.results:
        d = r.diagnostic
        message = d.message + (f" Fix: {d.hint}" if d.hint else "")
        result: dict[str, Any] = {"ruleId": d.code, "level": SARIF_LEVEL.get(d.severity, "warning"),
                                  "message": {"text": message},
                                  "properties": {"providers": list(r.providers)}}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.position:
            region = {"startLine": max(1, d.position.line or 1)}
            if d.position.col:
                region["startColumn"] = d.position.col
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": d.position.file, "uriBaseId": "SRCROOT"}, "region": region}}]
        results.append(result)
    for s, providers in report.suppressed:
        d = s.finding
        result = {"ruleId": d.code, "level": SARIF_LEVEL.get(d.severity, "warning"),
                  "message": {"text": d.message},
                  "suppressions": [{"kind": "inSource", "justification": s.reason}],
                  "properties": {"providers": list(providers)}}
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.position:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": d.position.file, "uriBaseId": "SRCROOT"},
                "region": {"startLine": max(1, d.position.line or 1)}}}]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "sls-neutral", "version": tool_version, "rules": driver_rules}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(sarif, indent=2, sort_keys=True) + "\n"


def _camel(name: str) -> str:
    parts = name.replace("_", "-").split("-")
    return parts[0] + "".join(p.title() for p in parts[1:])
