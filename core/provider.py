"""The provider contract.

A provider turns the IR into artifacts (``emit``), computes a data-only plan
against deployed state (``plan``), and carries it out (``execute``). It also
declares, per feature, what it supports, so the core refuses an unsupported
feature at compile time with its name and an alternative, never silently.

Subclass :class:`Provider` and return an instance from the
``slsn_register_providers`` hook. Import SDKs inside methods, never at module
level: loading the provider must stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from sls_neutral.core.errors import Diagnostic, SlsnError

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import BaseModel

    from sls_neutral.core.artifacts import ArtifactSet
    from sls_neutral.core.ir import App
    from sls_neutral.core.plan import Plan

# Every feature a manifest can use, with a short description (the matrix rows).
FEATURES: dict[str, str] = {
    "http": "HTTP routes with path parameters",
    "http.cors": "CORS on HTTP routes",
    "queue": "queues with a consumer function and batch delivery",
    "queue.fifo": "FIFO (ordered) queues",
    "queue.dead_letter": "dead-letter queues after max receives",
    "queue.delay": "delayed delivery",
    "topic": "topics fanning out to functions",
    "topic.queue": "queues subscribed to topics",
    "schedule.cron": "cron schedules",
    "schedule.rate": "rate schedules",
    "schedule.timezone": "schedules in a time zone other than UTC",
    "bucket": "object buckets",
    "bucket.created": "object-created events",
    "bucket.deleted": "object-deleted events",
    "bucket.filter": "prefix/suffix filters on bucket events",
    "secret": "secrets read at runtime",
    "workflow": "workflows",
    "workflow.parallel": "parallel branches in workflows",
    "workflow.map": "map over a list in workflows",
    "workflow.wait": "waits and timers in workflows",
    "workflow.retry.jitter": "full jitter on workflow retries",
    "workflow.http": "starting workflows over HTTP",
    "warm": "instances kept warm (warm: N)",
    "max_instances": "a cap on concurrent instances",
}


@dataclass(frozen=True)
class Support:
    """How a provider supports one feature."""

    level: str = "full"  # full | approx | none
    note: str = ""  # what is approximate, and how
    alternative: str = ""  # what to use instead when level is "none"


FULL = Support()


@dataclass
class DeployContext:
    """What execution needs beyond the IR: where things are, how to talk to the control plane."""

    root: Path
    state_dir: Path  # .sls-neutral/<kind>/<stage>/ for provider state files
    build_dir: Path
    endpoint_url: str | None = None
    output: str = "text"
    progress: Any = None  # a callable(str) for progress lines, or None
    options: Mapping[str, Any] = field(default_factory=dict)

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


class Provider:
    """Base class of every provider. Override what you support; the rest raises a clear error."""

    name: str = ""
    version: str = "0"
    description: str = ""
    capabilities: Mapping[str, Support] = {}

    # ------------------------------------------------------------ compile time
    def settings_model(self) -> "type[BaseModel] | None":
        """The pydantic model of ``providers.<name>`` (validated strictly when this provider is chosen)."""
        return None

    def settings_fields(self) -> "dict[str, tuple[Callable[[Any], Any], Any]] | None":
        """Optional: the same fields for :func:`sls_neutral.core.manifest.plain.check_flat`, which validates a
        well-formed block without importing pydantic (the built-in providers give them; a test checks they
        agree with :meth:`settings_model`). None: the model always validates."""
        return None

    def check(self, app: "App") -> list[Diagnostic]:
        """Provider limits and naming rules, before anything is written."""
        return []

    def support(self, feature: str) -> Support:
        return self.capabilities.get(feature, Support("none", alternative="not declared by the provider"))

    # ------------------------------------------------------------ package
    def emit(self, app: "App", artifacts: "ArtifactSet") -> None:
        """Add every artifact file to ``artifacts`` (in memory; the core writes them atomically)."""
        raise self._unsupported("package")

    # ------------------------------------------------------------ deploy
    def plan(self, app: "App", artifacts: "ArtifactSet", ctx: DeployContext) -> "Plan":
        raise self._unsupported("plan")

    def execute(self, app: "App", plan: "Plan", artifacts: "ArtifactSet", ctx: DeployContext) -> dict[str, Any]:
        raise self._unsupported("deploy")

    def remove(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        raise self._unsupported("remove")

    def info(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        raise self._unsupported("info")

    def invoke(self, app: "App", function: str, data: Any, ctx: DeployContext) -> Any:
        raise self._unsupported("invoke")

    def logs(self, app: "App", function: str, ctx: DeployContext, *, tail: bool = False) -> Any:
        raise self._unsupported("logs")

    def workflow_start(self, app: "App", workflow: str, data: Any, ctx: DeployContext, *,
                       wait: bool = False) -> dict[str, Any]:
        """Start an execution: ``{"execution_id": ...}`` (plus ``status``/``output``/``error`` with wait)."""
        raise self._unsupported("workflow start")

    def workflow_status(self, app: "App", execution_id: str, ctx: DeployContext) -> dict[str, Any]:
        raise self._unsupported("workflow status")

    def workflow_history(self, app: "App", execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
        raise self._unsupported("workflow history")

    def _unsupported(self, what: str) -> SlsnError:
        return SlsnError(f"provider '{self.name}' does not support '{what}'",
                         hint="see 'sls-neutral matrix' and 'sls-neutral plugins'")


def required_features(app: "App") -> dict[str, list[str]]:
    """Features the app uses -> the names of the things that use them (for refusal messages)."""
    from sls_neutral.core import ir

    used: dict[str, dict[str, None]] = {}  # ordered sets: a list's `in` made this quadratic in functions

    def add(feature: str, who: str) -> None:
        users = used.get(feature)
        if users is None:
            users = used[feature] = {}
        users[who] = None

    for f in app.functions.values():
        who = f"function '{f.name}'"
        for t in f.triggers:
            if isinstance(t, ir.HttpTrigger):
                add("http", who)
                if t.cors:
                    add("http.cors", who)
            elif isinstance(t, ir.QueueTrigger):
                add("queue", who)
            elif isinstance(t, ir.TopicTrigger):
                add("topic", who)
            elif isinstance(t, ir.ScheduleTrigger):
                add("schedule.cron" if t.cron else "schedule.rate", who)
                if t.timezone != "UTC":
                    add("schedule.timezone", who)
            elif isinstance(t, ir.BucketTrigger):
                for event in t.events:
                    add(f"bucket.{event}", who)
                if t.prefix or t.suffix:
                    add("bucket.filter", who)
        if f.secret_environment:
            add("secret", who)
        if f.warm:
            add("warm", who)
        if f.max_instances:
            add("max_instances", who)
    for q in app.queues.values():
        who = f"queue '{q.name}'"
        add("queue", who)
        if q.fifo:
            add("queue.fifo", who)
        if q.dead_letter:
            add("queue.dead_letter", who)
        if q.delay:
            add("queue.delay", who)
    for t in app.topics.values():
        add("topic", f"topic '{t.name}'")
        if t.queues:
            add("topic.queue", f"topic '{t.name}'")
    for b in app.buckets.values():
        add("bucket", f"bucket '{b.name}'")
    for s in app.secrets.values():
        add("secret", f"secret '{s.name}'")
    for w in app.workflows.values():
        who = f"workflow '{w.name}'"
        add("workflow", who)
        for t in w.triggers:
            if isinstance(t, ir.HttpTrigger):
                add("workflow.http", who)
        for step in ir.walk_steps(w.steps):
            if isinstance(step, ir.ParallelStep):
                add("workflow.parallel", who)
            elif isinstance(step, ir.MapStep):
                add("workflow.map", who)
            elif isinstance(step, ir.WaitStep):
                add("workflow.wait", who)
            for r in getattr(step, "retry", ()):
                if r.jitter == "full":
                    add("workflow.retry.jitter", who)
    return {feature: list(users) for feature, users in sorted(used.items())}
