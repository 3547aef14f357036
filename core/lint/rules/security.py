"""Rules about permissions (SN008, SN009)."""

from __future__ import annotations

from typing import Iterator

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.lint.model import Rule


class WildcardScope(Rule):
    id = "SN008"
    name = "wildcard-scope"
    severity = "error"
    summary = "A permission scope with '*' as the resource name or the action."
    fix = "name the resource and the action (e.g. bucket:photos:read); one scope per need"
    catches = "an over-privileged function: one bug or injected input reaches every resource of that kind"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        for f in app.functions.values():
            for g in f.grants:
                if g.is_wildcard and not g.implied:
                    yield self.finding(f"function '{f.name}' holds wildcard scope '{g.scope}'", f.source, app,
                                       subject=f"function:{f.name}")


class SharedIdentity(Rule):
    """On Azure every user-assigned identity is attached to the one Function App, so any function in it can
    obtain a token for another function's identity; per-function least privilege holds by convention only.
    AWS (one role per function) and GCP (one service account per function) do not share."""

    id = "SN009"
    name = "shared-identity"
    severity = "warning"
    summary = "Functions without sensitive scopes (secrets, writes, wildcards) can use the identities of " \
              "functions that hold them."
    fix = "split functions with sensitive scopes into their own service (its own Function App and identities)"
    catches = "privilege creep: the least-privileged function can act with the most-privileged one's rights"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        if provider != "azure":
            return
        groups: dict[frozenset[str], list[str]] = {}
        for f in app.functions.values():
            scopes = frozenset(g.scope for g in f.grants)
            groups.setdefault(scopes, []).append(f.name)
        granted = {k: v for k, v in groups.items() if k}
        if len(groups) < 2 or not granted:
            return
        broadest = max(granted, key=lambda k: (sum(1 for s in k if _sensitive(s)), len(k), sorted(k)))
        owners = sorted(groups[broadest])
        for scopes, names in sorted(groups.items(), key=lambda kv: sorted(kv[1])):
            if scopes == broadest:
                continue
            extra = sorted(s for s in broadest - scopes if _sensitive(s))
            if not extra:
                continue
            for name in sorted(names):
                f = app.functions[name]
                yield self.finding(
                    f"function '{name}' shares the Function App (and so every attached identity) with "
                    f"'{owners[0]}', which holds {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}",
                    f.source, app, subject=f"function:{name}")


SENSITIVE = {("secret", "read"), ("bucket", "write"), ("bucket", "delete"), ("workflow", "start"),
             ("function", "invoke")}


def _sensitive(scope: str) -> bool:
    """Scopes whose misuse does damage: reading secrets, changing data, starting work, wildcards."""
    kind, name, action = scope.split(":")
    return name == "*" or action == "*" or (kind, action) in SENSITIVE
