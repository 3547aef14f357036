"""Run every rule against the IR for each target provider; apply suppressions; merge duplicates.

The IR each rule sees is the one the provider would deploy (plugins' IR
transforms applied, so the observability plugin's settings are visible), plus
the lint-only declarations of the manifest under ``app.extensions["slsn.lint"]``.
A provider's own compile-time checks (hard limits, unsupported features) are
reported beside the rules, so ``lint`` shows everything that would stop a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sls_neutral.core import ir
from sls_neutral.core.errors import (Diagnostic, PluginError, ProviderNotInstalledError, SlsnError,
                                     UnsupportedFeatureError)
from sls_neutral.core.lint.facts import LINT_FACTS
from sls_neutral.core.lint.limits import CLOUDS
from sls_neutral.core.lint.model import SEVERITIES, Finding, Suppressed, rule_attr
from sls_neutral.core.lint.rules import BUILTIN_RULES


@dataclass(frozen=True)
class Result:
    """One finding, with every provider it was found for."""

    diagnostic: Diagnostic
    providers: tuple[str, ...]

    @property
    def severity(self) -> str:
        return self.diagnostic.severity

    def to_dict(self) -> dict[str, Any]:
        return {**self.diagnostic.to_dict(), "providers": list(self.providers),
                "subject": getattr(self.diagnostic, "subject", None)}


@dataclass
class LintReport:
    providers: list[str]
    rules: list[Any]
    results: list[Result] = field(default_factory=list)
    suppressed: list[tuple[Suppressed, tuple[str, ...]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def errors(self) -> list[Result]:
        return [r for r in self.results if r.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "providers": self.providers,
            "findings": [r.to_dict() for r in self.results],
            "suppressed": [{"code": s.finding.code, "function": s.function, "reason": s.reason,
                            "message": s.finding.message, "providers": list(p)} for s, p in self.suppressed],
            "summary": {sev: self.count(sev) for sev in SEVERITIES},
            "notes": self.notes,
            "rules": [{"id": r.id, "severity": r.severity, "summary": rule_attr(r, "summary"),
                       "fix": rule_attr(r, "fix")} for r in self.rules],
        }


def all_rules(project) -> list[Any]:
    """Built-in rules plus those provider plugins add through ``slsn_lint_rules`` (a plugin id wins no ties)."""
    rules = list(BUILTIN_RULES)
    seen = {r.id for r in rules}
    for rule in project.plugins.lint_rules():
        rule_id = getattr(rule, "id", None)
        if not rule_id or not callable(getattr(rule, "check", None)):
            raise PluginError(f"a plugin returned an invalid lint rule: {rule!r}",
                              hint="a rule needs id, severity, summary and check(app, provider)")
        if getattr(rule, "severity", None) not in SEVERITIES:
            raise PluginError(f"lint rule {rule_id} has severity {getattr(rule, 'severity', None)!r}",
                              hint="severity is one of error, warning, info")
        if rule_id in seen:
            raise PluginError(f"lint rule id {rule_id} is defined twice", hint="give plugin rules their own ids "
                              "(a prefix per plugin, e.g. AWS001)")
        seen.add(rule_id)
        rules.append(rule)
    return sorted(rules, key=lambda r: r.id)


def target_providers(project, provider: str | None) -> list[str]:
    if provider == "all":
        try:
            installed = set(project.plugins.providers())
        except ImportError:  # a provider plugin that fails to import must not hide the others
            installed = set()
        return sorted((installed | set(CLOUDS)) - {"local"})
    return [project.provider_name(provider)]


def lint_facts(project) -> dict[str, Any]:
    """Lint-only declarations from the manifest (``lint: {max_payload: 2MB}`` on a function)."""
    payloads: dict[str, float] = {}
    model = project.loaded.model
    for name, settings in (getattr(model, "functions", None) or {}).items():
        value = getattr(getattr(settings, "lint", None), "max_payload", None)
        if value is not None:
            payloads[name] = float(value)
    return {"max_payload": payloads}


def app_for_lint(project, provider: str, notes: list[str]) -> tuple[ir.App, list[Diagnostic]]:
    """The provider's view of the app, and the provider's own diagnostics (as findings, not as an exception)."""
    problems: list[Diagnostic] = []
    try:
        app = project.app_for(provider)
    except (ProviderNotInstalledError, ImportError) as exc:
        if provider not in CLOUDS:
            raise
        # the rules need only the IR and the provider's documented limits: lint a cloud without its SDKs
        why = exc.message if isinstance(exc, SlsnError) else f"{type(exc).__name__}: {exc}"
        notes.append(f"{provider}: the provider is not installed ({why}); its own checks were skipped, the rules "
                     "used its documented limits")
        app = project.plugins.transform_ir(project.app, provider)
    except SlsnError as exc:
        # one unsupported feature arrives as UnsupportedFeatureError, several as diagnostics coded "unsupported"
        code = "unsupported" if isinstance(exc, UnsupportedFeatureError) else None
        problems = [Finding(d.message, d.position, d.hint, code=code or d.code, severity=d.severity)
                    for d in exc.diagnostics]
        app = project.plugins.transform_ir(project.app, provider)
    facts = lint_facts(project)
    return app.replace(extensions={**app.extensions, LINT_FACTS: facts}), problems


def run_rules(app: ir.App, provider: str, rules: Iterable[Any]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        try:
            found.extend(rule.check(app, provider) or ())
        except SlsnError:
            raise
        except Exception as exc:  # a broken plugin rule must name itself, not crash lint
            raise PluginError(f"lint rule {rule.id} failed: {type(exc).__name__}: {exc}",
                              hint="report it to the plugin's author; disable the plugin with "
                                   "SLSN_DISABLED_PLUGINS") from exc
    return found


def suppression(app: ir.App, finding: Diagnostic) -> tuple[str, str] | None:
    """(function, reason) when the finding's function (or every consumer of its queue) ignores the rule."""
    subject = getattr(finding, "subject", None) or ""
    kind, _, name = subject.partition(":")
    if kind == "function" and name in app.functions:
        reason = app.functions[name].lint_ignore.get(finding.code)
        return (name, reason) if reason else None
    if kind == "queue":
        consumers = [f for f in app.functions.values()
                     if any(isinstance(t, ir.QueueTrigger) and t.queue == name for t in f.triggers)]
        if consumers and all(finding.code in f.lint_ignore for f in consumers):
            return consumers[0].name, consumers[0].lint_ignore[finding.code]
    return None


def lint(project, provider: str | None, *, provider_checks: bool = True) -> LintReport:
    providers = target_providers(project, provider)
    rules = all_rules(project)
    report = LintReport(providers, rules)
    merged: dict[tuple, list[str]] = {}
    findings: dict[tuple, Diagnostic] = {}
    silenced: dict[tuple, tuple[Suppressed, list[str]]] = {}
    for name in providers:
        try:
            app, problems = app_for_lint(project, name, report.notes)
        except ProviderNotInstalledError as exc:
            if provider != "all":
                raise
            report.notes.append(f"{name}: skipped ({exc.message})")
            continue
        found = (problems if provider_checks else []) + run_rules(app, name, rules)
        for d in found:
            key = (d.code, d.severity, d.message, str(d.position))
            hit = suppression(app, d)
            if hit:
                entry = silenced.setdefault(key, (Suppressed(d, hit[0], hit[1]), []))
                entry[1].append(name)
                continue
            findings.setdefault(key, d)
            merged.setdefault(key, []).append(name)
    used = {(s.function, s.finding.code) for s, _ in silenced.values()}
    for d in suppression_problems(project.app, rules, used, report.providers):
        key = (d.code, d.severity, d.message, str(d.position))
        findings.setdefault(key, d)
        merged.setdefault(key, list(providers))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    report.results = sorted((Result(findings[k], tuple(v)) for k, v in merged.items()),
                            key=lambda r: (order.get(r.severity, 9), r.diagnostic.code,
                                           r.diagnostic.position.file if r.diagnostic.position else "",
                                           r.diagnostic.position.line if r.diagnostic.position else 0,
                                           r.diagnostic.message))
    report.suppressed = sorted(((s, tuple(p)) for s, p in silenced.values()),
                               key=lambda sp: (sp[0].finding.code, sp[0].function, sp[0].finding.message))
    return report


def suppression_problems(app: ir.App, rules: list[Any], used: set[tuple[str, str]],
                         providers: list[str]) -> list[Diagnostic]:
    """Suppressions of rules that do not exist (a typo hides nothing) or that silence nothing any more."""
    known = {r.id for r in rules}
    out: list[Diagnostic] = []
    for f in app.functions.values():
        for code in sorted(f.lint_ignore):
            if code not in known:
                from sls_neutral.core.errors import did_you_mean

                out.append(Finding(f"function '{f.name}' ignores {code}, which is not a lint rule", f.source,
                                   did_you_mean(code, known) or "see 'sls-neutral lint --format json' for the "
                                   "rule ids", code="lint-ignore", severity="warning", subject=f"function:{f.name}"))
            elif (f.name, code) not in used:
                out.append(Finding(f"function '{f.name}' ignores {code}, but {code} finds nothing there on "
                                   f"{', '.join(providers)}",
                                   f.source, f"remove {code} from the function's lint: ignore:", code="lint-ignore",
                                   severity="info", subject=f"function:{f.name}"))
    return out
