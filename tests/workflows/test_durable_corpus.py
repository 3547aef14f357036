"""The conformance corpus on the generated Durable orchestrators, replayed by the real azure.durable_functions engine."""

from __future__ import annotations

import pytest

from .behaviours import Behaviours
from .corpus_loader import case_ids, load_corpus

pytest.importorskip("azure.durable_functions")

CORPUS = load_corpus()
CASES = case_ids(CORPUS)


@pytest.fixture(scope="module")
def sources():
    from sls_neutral.core.workflows.durable import compile_durable

    return {c.name: compile_durable(c.workflow(), "slsn-step") for c in CORPUS}


@pytest.mark.parametrize("corpus,index,case", CASES, ids=[f"{c.name}-{i}" for c, i, _ in CASES])
def test_corpus_case_on_durable(corpus, index, case, sources):
    from .durable_harness import replay

    if "durable" in corpus.skip:
        pytest.skip(corpus.skip["durable"])
    run = replay(sources[corpus.name], case["input"], Behaviours(corpus.functions), instance_id=f"{corpus.name}-{index}")
    if "error" in case:
        assert run.error is not None, f"expected {case['error']}, got output {run.output!r}"
        assert run.error_name == case["error"]["error"]
        if "cause" in case["error"]:
            assert run.error_cause == case["error"]["cause"]
    else:
        assert run.error is None, run.error
        assert run.output == case["output"]


def test_retry_delays_are_real_exponential_backoff():
    """retry-succeeds-third-attempt style: timers at interval x rate^n, capped by max_delay."""
    from sls_neutral.core import ir
    from sls_neutral.core.workflows.durable import compile_durable
    from .durable_harness import replay

    step = ir.CallStep(name="flaky", function="flaky", result="$.r",
                       retry=(ir.Retry(errors=("Busy",), interval=2.0, max_attempts=4, backoff_rate=3.0,
                                       max_delay=10.0),))
    workflow = ir.Workflow(name="w", steps=(step,))
    run = replay(compile_durable(workflow, "slsn-step"), {}, Behaviours({"flaky": {"fail_times": 3, "error": "Busy"}}))
    assert run.error is None and run.output == {"r": {"attempts": 4}}
    assert run.timers == [2.0, 2.0 + 6.0, 2.0 + 6.0 + 10.0]


def test_map_window_keeps_at_most_max_concurrency_in_flight():
    from sls_neutral.core import ir
    from sls_neutral.core.workflows.durable import compile_durable
    from .durable_harness import replay

    inner = ir.CallStep(name="one", function="echo", input={"i": "$.index"}, result="$.r")
    workflow = ir.Workflow(name="w", steps=(ir.MapStep(name="each", items="$.xs", steps=(inner,), max_concurrency=2,
                                                         result="$.out"),))
    run = replay(compile_durable(workflow, "slsn-step"), {"xs": [1, 2, 3, 4, 5]}, Behaviours({"echo": {"echo": True}}))
    assert run.output == {"xs": [1, 2, 3, 4, 5], "out": [{"i": i} for i in range(5)]}
    # first episode schedules two activities, then each completion lets exactly one more start
    assert [a["input"]["i"] for a in run.activities] == [0, 1, 2, 3, 4]


def test_jitter_is_the_same_on_every_replay():
    from sls_neutral.core import ir
    from sls_neutral.core.workflows.durable import compile_durable
    from .durable_harness import replay

    step = ir.CallStep(name="flaky", function="flaky", result=None,
                       retry=(ir.Retry(errors=("all",), interval=8.0, max_attempts=2, jitter="full"),))
    source = compile_durable(ir.Workflow(name="w", steps=(step,)), "slsn-step")
    spec = {"flaky": {"fail_times": 2, "error": "Busy"}}
    first = replay(source, {}, Behaviours(spec), instance_id="same")
    again = replay(source, {}, Behaviours(spec), instance_id="same")
    assert first.timers == again.timers and len(first.timers) == 2
    assert 0 <= first.timers[0] <= 8.0


def test_generated_source_is_deterministic_and_self_contained():
    from sls_neutral.core.workflows.durable import compile_durable

    corpus = CORPUS[0]
    one, two = compile_durable(corpus.workflow(), "slsn-step"), compile_durable(corpus.workflow(), "slsn-step")
    assert one == two
    assert "sls_neutral" not in one.split('"""', 2)[2]  # the Azure app ships no sls-neutral core
    compile(one, "orchestrator.py", "exec")


def test_step_timeout_races_a_durable_timer():
    """The corpus skips step-timeout for Durable; the harness now simulates activity time, so it runs here."""
    from sls_neutral.core.workflows.durable import compile_durable

    from .durable_harness import replay

    corpus = next(c for c in CORPUS if c.name == "step-timeout")
    case = corpus.cases[0]
    run = replay(compile_durable(corpus.workflow(), "slsn-step"), case["input"], Behaviours(corpus.functions))
    assert run.error is None, run.error
    assert run.output == case["output"]
