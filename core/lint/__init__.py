"""Lint: neutral checks over the IR, per target provider, before anything is deployed.

``model`` defines a rule and a finding, ``limits`` reads provider limits from
the shipped data file, ``rules`` holds SN001-SN017, ``graph`` finds recursive
loops and invoke chains, ``runner`` runs rules per provider and applies
suppressions, ``formatters`` prints text, JSON and SARIF, ``command`` is the CLI
entry and the deploy gate. Provider plugins add rules with ``slsn_lint_rules``.
"""

from __future__ import annotations

from sls_neutral.core.lint.command import LintFailedError, lint_errors_for_deploy, run_lint
from sls_neutral.core.lint.model import Finding, LintRule, Rule
from sls_neutral.core.lint.runner import LintReport, lint

__all__ = ["Finding", "LintFailedError", "LintReport", "LintRule", "Rule", "lint", "lint_errors_for_deploy",
           "run_lint"]
