"""Plans are data: a list of actions that ``plan`` prints and ``deploy`` executes.

Chalice's planner/executor split: the planner compares desired state (the
provider model built from the IR) with deployed state and produces actions;
only the executor talks to an SDK. A plan can be printed, diffed and tested
without a cloud.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OPS = ("create", "update", "delete", "replace", "noop", "upload", "skip")


@dataclass(frozen=True)
class Action:
    op: str  # create | update | delete | replace | noop | upload | skip
    resource_type: str  # e.g. "AWS::Lambda::Function", "pubsub.topic", "local.queue"
    name: str
    detail: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: data[k] for k in sorted(data)}


@dataclass
class Plan:
    provider: str
    service: str
    stage: str
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # provider-private details the executor needs

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.op not in ("noop", "skip")]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for action in self.actions:
            counts[action.op] = counts.get(action.op, 0) + 1
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "service": self.service, "stage": self.stage,
                "actions": [a.to_dict() for a in self.actions], "summary": self.summary(), "notes": list(self.notes)}

    def render(self) -> str:
        symbols = {"create": "+", "update": "~", "delete": "-", "replace": "±", "upload": "^", "noop": "=",
                   "skip": "="}
        lines = [f"Plan for {self.service} ({self.stage}) on {self.provider}:"]
        for a in self.actions:
            if a.op in ("noop", "skip"):
                continue
            detail = f"  ({a.detail})" if a.detail else ""
            lines.append(f"  {symbols.get(a.op, '?')} {a.op:<7} {a.resource_type:<32} {a.name}{detail}")
        if self.is_empty:
            lines.append("  no changes")
        summary = ", ".join(f"{n} {op}" for op, n in self.summary().items())
        lines.append(f"  ({summary})" if summary else "")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(l for l in lines if l != "")
