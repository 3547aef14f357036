"""The local plan: a data-only diff between the last local deployment record and the IR."""

from __future__ import annotations

from typing import Any

from sls_neutral.core.plan import Action

SECTIONS = (("functions", "local.function"), ("queues", "local.queue"), ("topics", "local.topic"))
LISTS = (("buckets", "local.bucket"), ("secrets", "local.secret"), ("workflows", "local.workflow"))


def _changed_keys(old: dict, new: dict) -> str:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return "changed: " + ", ".join(keys) if keys else ""


def diff_deployments(previous: dict[str, Any] | None, desired: dict[str, Any]) -> list[Action]:
    previous = previous or {}
    actions: list[Action] = []
    for section, rtype in SECTIONS:
        old, new = previous.get(section) or {}, desired.get(section) or {}
        for name in sorted(set(old) | set(new)):
            if name not in old:
                actions.append(Action("create", rtype, name))
            elif name not in new:
                actions.append(Action("delete", rtype, name))
            elif old[name] != new[name]:
                actions.append(Action("update", rtype, name, _changed_keys(old[name], new[name])))
            else:
                actions.append(Action("noop", rtype, name))
    for section, rtype in LISTS:
        old, new = set(previous.get(section) or []), set(desired.get(section) or [])
        for name in sorted(old | new):
            op = "create" if name not in old else "delete" if name not in new else "noop"
            actions.append(Action(op, rtype, name))
    old_routes = {f"{r['method']} {r['path']}": r for r in previous.get("routes") or []}
    new_routes = {f"{r['method']} {r['path']}": r for r in desired.get("routes") or []}
    for key in sorted(set(old_routes) | set(new_routes)):
        if key not in old_routes:
            actions.append(Action("create", "local.route", key, new_routes[key]["target"]))
        elif key not in new_routes:
            actions.append(Action("delete", "local.route", key))
        elif old_routes[key] != new_routes[key]:
            actions.append(Action("update", "local.route", key, new_routes[key]["target"]))
        else:
            actions.append(Action("noop", "local.route", key))
    return actions
