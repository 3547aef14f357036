"""``sls-neutral lint`` and the deploy gate."""

from __future__ import annotations

import sys

from sls_neutral.core.errors import DiagnosticsError
from sls_neutral.core.lint.formatters import render_json, render_sarif, render_text
from sls_neutral.core.lint.runner import lint


class LintFailedError(DiagnosticsError):
    """Deploy refused: lint found error-level problems."""

    def render(self) -> str:
        body = "\n".join(d.render().replace(f"error: {d.message}", f"error: {d.code} {d.message}", 1)
                         for d in self.diagnostics)
        n = len(self.diagnostics)
        return (f"{body}\ndeploy refused: lint found {n} error{'s' if n != 1 else ''}; fix them, suppress one "
                "with a reason (lint: {ignore: {SNxxx: \"why\"}} on the function), or deploy with --no-lint")


def run_lint(project, provider: str | None, format: str = "text") -> int:
    """Print the report in ``format`` (text, json, sarif); return 1 when an error-level finding remains."""
    report = lint(project, provider)
    if format == "json":
        out = render_json(report)
    elif format == "sarif":
        from sls_neutral import __version__

        out = render_sarif(report, __version__)
    else:
        out = render_text(report, color=sys.stdout.isatty())
    sys.stdout.write(out)
    sys.stdout.flush()
    return 1 if report.errors else 0


def lint_errors_for_deploy(project, provider: str) -> None:
    """Raise LintFailedError listing the error-level findings for ``provider``; do nothing when there are none.

    Provider compile-time checks are left to deploy itself (it reports them with its own context)."""
    report = lint(project, provider, provider_checks=False)
    if report.errors:
        raise LintFailedError([r.diagnostic for r in report.errors])
