"""Fixtures for the workflow engine tests: an engine over a corpus case with a fake clock."""

from __future__ import annotations

import pytest

from sls_neutral.core.workflows.engine import StepFailure, WorkflowEngine
from .behaviours import BehaviourError, Behaviours
from .fakeclock import FakeClock


def behaviour_invoker(behaviours: Behaviours):
    def invoke(function, data, correlation_id):
        try:
            return behaviours.invoke(function, data, correlation_id)
        except BehaviourError as exc:
            raise StepFailure(exc.error, exc.cause) from None
    return invoke


@pytest.fixture
def make_engine(tmp_path):
    engines = []

    def make(app, functions=None, invoke=None, clock=None):
        behaviours = Behaviours(functions or {})
        clock = clock or FakeClock()
        engine = WorkflowEngine(tmp_path / "state.db", app, invoke or behaviour_invoker(behaviours), clock=clock)
        engine.behaviours = behaviours
        engine.fake_clock = clock
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()
