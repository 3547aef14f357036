"""Compile a validated manifest into the neutral IR.

Here live the checks that need the whole manifest: every trigger and scope
names a declared resource, handler files exist and define the function,
workflow calls name declared functions, routes are unique, secrets are only
referenced. All problems are collected and raised together with file:line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic, ManifestError, Position, did_you_mean
from sls_neutral.core.manifest import LoadedManifest, plain, rules
from sls_neutral.core.sources import defined_names, read_handler

DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_S = 10.0
PATH_RE = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$")
SECRET_REF = re.compile(r"^\$\{\s*secret:\s*([A-Za-z0-9_.-]+)\s*\}$")
QUEUE_DEFAULTS = plain.QueueSettings({})  # a queue written as null (`jobs:`)
ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


class _Compiler:
    def __init__(self, loaded: LoadedManifest):
        self.loaded = loaded
        self.m = loaded.model
        self.diagnostics: list[Diagnostic] = []
        self._ast_cache: dict[str, set[str] | None] = {}

    # ------------------------------------------------------------ helpers
    def pos(self, *path: Any, key: bool = False) -> Position:
        return self.loaded.position(*path, key=key)

    def error(self, message: str, position: Position, hint: str | None = None, code: str = "reference") -> None:
        self.diagnostics.append(Diagnostic(message, position, hint, code=code,
                                           snippet=self.loaded.doc.snippet(position)))

    def undeclared(self, kind: str, name: str, declared, position: Position) -> None:
        hint = did_you_mean(name, declared) or f"declare it under {kind}s:"
        self.error(f"{kind} '{name}' is not declared", position, hint, code="undeclared")

    # ------------------------------------------------------------ resources
    def queues(self) -> dict[str, ir.Queue]:
        out: dict[str, ir.Queue] = {}
        subscribed: dict[str, list[str]] = {}
        for tname, topic in self.m.topics.items():
            for index, qname in enumerate(topic.queues if topic else ()):
                if qname not in self.m.queues:
                    self.undeclared("queue", qname, self.m.queues, self.pos("topics", tname, "queues", index))
                subscribed.setdefault(qname, []).append(tname)
        for name, q in self.m.queues.items():
            q = q or QUEUE_DEFAULTS
            dlq = f"{name}-dlq" if q.dead_letter else None
            out[name] = ir.Queue(name=name, visibility_timeout=q.visibility_timeout, retention=q.retention,
                                 fifo=q.fifo, delay=q.delay, dead_letter=dlq,
                                 max_receives=q.dead_letter.max_receives if q.dead_letter else None,
                                 subscribed_topics=tuple(sorted(subscribed.get(name, ()))),
                                 source=self.pos("queues", name, key=True))
            if dlq:
                if dlq in self.m.queues:
                    self.error(f"queue '{dlq}' is declared, but '{name}' dead_letter creates a queue of that name",
                               self.pos("queues", dlq, key=True), "rename the queue or remove dead_letter",
                               code="duplicate")
                    continue
                out[dlq] = ir.Queue(name=dlq, visibility_timeout=q.visibility_timeout, retention=14 * 86400.0,
                                    fifo=q.fifo, dead_letter_for=name,
                                    source=self.pos("queues", name, "dead_letter", key=True))
        return dict(sorted(out.items()))

    # ------------------------------------------------------------ functions
    def functions(self, resources: dict[str, dict]) -> dict[str, ir.Function]:
        out: dict[str, ir.Function] = {}
        defaults = self.m.defaults
        for name, f in self.m.functions.items():
            base = ("functions", name)
            handler_file, handler_function = f.handler.rsplit(":", 1)
            handler_file = _posix(handler_file)
            self.check_handler(handler_file, handler_function, base + ("handler",))
            if f.requirements:
                req = self.loaded.root / f.requirements
                if not req.is_file():
                    self.error(f"requirements file '{f.requirements}' not found", self.pos(*base, "requirements"),
                               "the path is relative to the service folder", code="missing-file")
            env: dict[str, str] = {}
            secret_env: dict[str, str] = {}
            merged = {**defaults.environment, **f.environment}
            for key, value in sorted(merged.items()):
                where = base + ("environment", key) if key in f.environment else ("defaults", "environment", key)
                text = _env_text(value)
                match = SECRET_REF.match(text)
                if match:
                    secret = match.group(1)
                    if secret not in self.m.secrets:
                        self.undeclared("secret", secret, self.m.secrets, self.pos(*where))
                    secret_env[key] = secret
                elif "${secret:" in text.replace(" ", ""):
                    self.error(f"environment variable '{key}': a secret reference must be the whole value",
                               self.pos(*where), "write KEY: ${secret:name}; the runtime reads the secret store",
                               code="secret")
                else:
                    env[key] = text
            triggers = tuple(self.trigger(t, base + ("triggers", i), resources)
                             for i, t in enumerate(f.triggers))
            grants = self.grants(f.permissions, base, resources)
            implied = {ir.Grant("queue", t.queue, "consume", implied=True) for t in triggers
                       if isinstance(t, ir.QueueTrigger)}
            implied |= {ir.Grant("secret", s, "read", implied=True) for s in secret_env.values()}
            explicit = {(g.kind, g.name, g.action) for g in grants}
            grants = tuple(sorted(set(grants) | {g for g in implied
                                                 if (g.kind, g.name, g.action) not in explicit}))
            memory = f.memory or defaults.memory
            timeout = f.timeout if f.timeout is not None else defaults.timeout
            out[name] = ir.Function(
                name=name, handler=f.handler, handler_file=handler_file, handler_function=handler_function,
                module=handler_file[:-3].replace("/", "."), runtime=f.runtime or self.m.runtime,
                memory=memory or DEFAULT_MEMORY_MB, timeout=timeout if timeout is not None else DEFAULT_TIMEOUT_S,
                environment=env, secret_environment=secret_env, requirements=f.requirements,
                grants=grants, triggers=triggers, description=f.description, warm=f.warm,
                max_instances=f.max_instances, idempotent=f.idempotent, lint_ignore=dict(sorted(f.lint.ignore.items())),
                memory_explicit=memory is not None, timeout_explicit=timeout is not None,
                source=self.pos(*base, key=True))
        return dict(sorted(out.items()))

    def check_handler(self, file: str, function: str, where: tuple) -> None:
        """Whether the handler file parses and defines ``function``; ``where`` is the manifest path of the
        handler, made a position only for an error (a thousand functions, each looked up for nothing)."""
        if file not in self._ast_cache:
            try:
                self._ast_cache[file] = defined_names(read_handler(self.loaded.root, file), file)
            except FileNotFoundError:
                self._ast_cache[file] = None
            except SyntaxError as exc:
                self.error(f"handler file '{file}' has a syntax error at line {exc.lineno}: {exc.msg}",
                           self.pos(*where), code="handler")
                self._ast_cache[file] = set()
                return
        names = self._ast_cache[file]
        if names is None:
            self.error(f"handler file '{file}' not found", self.pos(*where),
                       "handler paths are relative to the service folder (the manifest's folder)",
                       code="missing-file")
        elif names and function not in names:
            self.error(f"'{file}' does not define '{function}'", self.pos(*where), did_you_mean(function, names),
                       code="handler")

    def trigger(self, entry: Any, path: tuple, resources: dict[str, dict]) -> ir.Trigger:
        kind = rules.trigger_tag(entry)
        t = getattr(entry, kind)
        if kind == "http":
            return ir.HttpTrigger(method=t.method, path=t.path, cors=t.cors)
        if kind == "queue":
            if t.name not in resources["queue"]:
                self.undeclared("queue", t.name, resources["queue"], self.pos(*path, kind, "name"))
            return ir.QueueTrigger(queue=t.name, batch_size=t.batch_size)
        if kind == "topic":
            if t.name not in resources["topic"]:
                self.undeclared("topic", t.name, resources["topic"], self.pos(*path, kind, "name"))
            return ir.TopicTrigger(topic=t.name)
        if kind == "schedule":
            return ir.ScheduleTrigger(cron=t.cron, rate=t.rate, timezone=t.timezone, data=t.data)
        if t.name not in resources["bucket"]:
            self.undeclared("bucket", t.name, resources["bucket"], self.pos(*path, kind, "name"))
        return ir.BucketTrigger(bucket=t.name, events=tuple(sorted(set(t.events))), prefix=t.prefix, suffix=t.suffix)

    def grants(self, scopes: list[str], base: tuple, resources: dict[str, dict]) -> tuple[ir.Grant, ...]:
        out = []
        for index, scope in enumerate(scopes):
            kind, name, action = scope.split(":")
            if name != "*" and name not in resources[kind]:
                self.undeclared(kind, name, resources[kind], self.pos(*base, "permissions", index))
            out.append(ir.Grant(kind, name, action))
        return tuple(out)

    # ------------------------------------------------------------ routes
    def check_routes(self, functions: dict[str, ir.Function], workflows: dict[str, ir.Workflow]) -> None:
        seen: dict[tuple[str, str], str] = {}
        owners = [("functions", f.name, f.triggers) for f in functions.values()]
        owners += [("workflows", w.name, w.triggers) for w in workflows.values()]
        for section, name, triggers in owners:
            for index, t in enumerate(triggers):
                if not isinstance(t, ir.HttpTrigger):
                    continue
                shape = re.sub(r"\{[^}]+\}", "{}", t.path)
                for method in ([t.method] if t.method != "ANY" else ["ANY"]):
                    key = (method, shape)
                    clash = seen.get(key) or (seen.get(("ANY", shape)) if method != "ANY" else
                                              next((v for (m, s), v in seen.items() if s == shape), None))
                    if clash:
                        self.error(f"route {t.method} {t.path} is already served by {clash}",
                                   self.pos(section, name, "triggers", index, "http", "path"),
                                   "each method and path may be routed once", code="duplicate")
                    else:
                        seen[key] = f"{section[:-1]} '{name}'"

    # ------------------------------------------------------------ workflows
    def workflows(self, functions: dict[str, ir.Function]) -> dict[str, ir.Workflow]:
        if not self.m.workflows:
            return {}  # and no import of the workflow builder and its condition grammar (~8 ms)
        from sls_neutral.core.workflows.build import build_workflow

        out = {}
        for name, w in self.m.workflows.items():
            triggers = tuple(self.trigger(t, ("workflows", name, "triggers", i), {"bucket": {}, "queue": {},
                                                                                  "topic": {}})
                             for i, t in enumerate(w.triggers))
            steps = build_workflow(name, w, functions, self)
            out[name] = ir.Workflow(name=name, steps=steps, timeout=w.timeout, triggers=triggers,
                                    description=w.description, source=self.pos("workflows", name, key=True))
        return dict(sorted(out.items()))

    # ------------------------------------------------------------ all
    def run(self) -> ir.App:
        m = self.m
        queues = self.queues()
        resources = {
            "bucket": m.buckets, "queue": queues, "topic": m.topics, "secret": m.secrets,
            "workflow": m.workflows, "function": m.functions,
        }
        functions = self.functions(resources)
        workflows = self.workflows(functions)
        self.check_routes(functions, workflows)
        step_functions = {fn for w in workflows.values() for fn in w.functions}
        functions = {n: (ir.dataclasses.replace(f, workflow_step=True) if n in step_functions else f)
                     for n, f in functions.items()} if step_functions else functions
        if self.diagnostics:
            raise ManifestError(_sorted(self.diagnostics))
        # a block written as null (`photos:`) takes every default: no queues, no versioning, no description
        topics = {n: ir.Topic(name=n, queues=tuple(t.queues if t else ()),
                              source=self.pos("topics", n, key=True)) for n, t in sorted(m.topics.items())}
        buckets = {n: ir.Bucket(name=n, versioning=b.versioning if b else False,
                                source=self.pos("buckets", n, key=True)) for n, b in sorted(m.buckets.items())}
        secrets = {n: ir.Secret(name=n, description=s.description if s else None,
                                source=self.pos("secrets", n, key=True)) for n, s in sorted(m.secrets.items())}
        return ir.App(
            service=m.service, stage=self.loaded.stage, runtime=m.runtime, default_provider=m.provider,
            functions=functions, queues=queues, topics=topics, buckets=buckets, secrets=secrets,
            workflows=workflows, params=dict(sorted(m.params.items())),
            provider_settings={k: v for k, v in sorted(m.providers.items())},
            plugins=tuple(m.plugins), extensions=dict(sorted(self.loaded.extensions.items())),
            manifest_file=self.loaded.doc.file, root=self.loaded.root,
        )


def _env_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.position.line if d.position else 0,
                                              d.position.col if d.position else 0, d.message))


def compile_app(loaded: LoadedManifest) -> ir.App:
    """LoadedManifest -> App; raises ManifestError with every cross-reference problem."""
    return _Compiler(loaded).run()


@lru_cache(maxsize=None)
def _posix(handler_file: str) -> str:
    """A handler path as POSIX text; many functions share a handler file, so each is normalized once."""
    return Path(handler_file).as_posix()
