"""A lint rule and a package summary, active in services that list ``minimal`` under ``plugins:``.

sls-neutral loads this module through the entry point in pyproject.toml (group ``sls_neutral``) on every
command, ``--help`` included, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import sys

from sls_neutral import hookimpl

NAME = "minimal"  # the entry-point name: what a manifest lists under plugins:


class DescribeEveryFunction:
    """MIN001: a function without a ``description:`` (the rule protocol of sls_neutral.core.lint.model)."""

    id = "MIN001"
    name = "describe-every-function"
    severity = "warning"
    summary = "every function has a description"
    fix = "add description: '...' to the function"

    def check(self, app, provider):
        if NAME not in app.plugins:
            return
        from sls_neutral.core.lint.model import Finding  # a Diagnostic that names its function

        for function in sorted(app.functions.values(), key=lambda f: f.name):
            if not function.description:
                yield Finding(f"function '{function.name}' has no description", function.source, self.fix,
                              code=self.id, severity=self.severity, subject=f"function:{function.name}")


@hookimpl
def slsn_lint_rules():
    return [DescribeEveryFunction()]


@hookimpl
def slsn_after_package(app, provider, artifacts):
    if NAME not in app.plugins:
        return
    size = sum(len(artifact.data) for artifact in artifacts)
    print(f"minimal: {app.service} ({app.stage}) for {provider}: {len(artifacts)} files, {size / 1024:.1f} KiB",
          file=sys.stderr)
