"""In-memory IR builders for the unit tests of lint and cost (no manifest, no files)."""

from __future__ import annotations

import pytest

from sls_neutral.core import ir


def function(name: str, *, memory: int = 512, timeout: float = 10.0, triggers=(), grants=(), warm: int = 0,
             **extra) -> ir.Function:
    fields = dict(environment={}, secret_environment={}, memory_explicit=True, timeout_explicit=True)
    fields.update(extra)
    return ir.Function(name=name, handler="h.py:handle", handler_file="h.py", handler_function="handle", module="h",
                       runtime="python3.12", memory=memory, timeout=timeout, requirements=None,
                       grants=tuple(grants), triggers=tuple(triggers), warm=warm, **fields)


def app(*functions: ir.Function, queues=(), topics=(), workflows=(), settings=None) -> ir.App:
    return ir.App(service="svc", stage="dev", runtime="python3.12", default_provider="aws",
                  functions={f.name: f for f in functions}, queues={q.name: q for q in queues},
                  topics={t.name: t for t in topics}, buckets={}, secrets={},
                  workflows={w.name: w for w in workflows}, provider_settings=settings or {})


@pytest.fixture
def build():
    return type("Build", (), {"function": staticmethod(function), "app": staticmethod(app)})
