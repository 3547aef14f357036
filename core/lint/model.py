"""The rule protocol: what a lint rule is, and what a finding carries.

A rule is any object with ``id``, ``severity``, ``summary``, ``fix`` and
``check(app, provider) -> iterable of Diagnostic``. Subclass :class:`Rule` for
the helpers; provider plugins return rule objects from ``slsn_lint_rules``.
A finding is a :class:`~sls_neutral.core.errors.Diagnostic` whose ``code`` is
the rule id and whose ``hint`` is the one-line fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Protocol, runtime_checkable

from sls_neutral.core.errors import Diagnostic, Position
from sls_neutral.core.ir import App

SEVERITIES = ("error", "warning", "info")


@runtime_checkable
class LintRule(Protocol):
    id: str
    severity: str
    summary: str

    def check(self, app: App, provider: str) -> Iterable[Diagnostic]: ...


class Rule:
    """Base class of the built-in rules: fill in the class attributes and write ``findings``."""

    id: str = ""
    name: str = ""
    severity: str = "warning"
    summary: str = ""
    fix: str = ""
    catches: str = ""  # the trap, in the user's words (docs and SARIF help text)

    def check(self, app: App, provider: str) -> Iterator[Diagnostic]:
        yield from self.findings(app, provider)

    def findings(self, app: App, provider: str) -> Iterable[Diagnostic]:  # pragma: no cover - overridden
        return ()

    def finding(self, message: str, source: Position | None, app: App, *, severity: str | None = None,
                hint: str | None = None, subject: str | None = None) -> Diagnostic:
        """A finding at ``source`` (or the manifest when the IR has no position)."""
        return Finding(message, source or Position(app.manifest_file), hint or self.fix, code=self.id,
                       severity=severity or self.severity, subject=subject)


@dataclass(frozen=True)
class Finding(Diagnostic):
    """A Diagnostic that also names the function or resource it is about (for suppressions)."""

    subject: str | None = None  # "function:resize", "queue:jobs", "workflow:orders", or None for the app


@dataclass(frozen=True)
class Suppressed:
    """A finding that a function's ``lint: {ignore: {RULE: reason}}`` silenced."""

    finding: Diagnostic
    function: str
    reason: str


def rule_attr(rule: Any, name: str, default: str = "") -> str:
    """Plugin rules may omit the optional attributes (``fix``, ``name``)."""
    value = getattr(rule, name, default)
    return str(value) if value is not None else default
