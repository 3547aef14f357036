"""Rules on in-memory IR: the edges the corpus does not reach (per-provider limits, loops, chains)."""

from __future__ import annotations

import pytest

from sls_neutral.core import ir
from sls_neutral.core.lint.graph import build_edges, cycle_path, invoke_chains, strongly_connected
from sls_neutral.core.lint.limits import limits_for
from sls_neutral.core.lint.rules import BUILTIN_RULES
from sls_neutral.core.lint.rules.design import SyncFunctionChain, UnboundedConsumerConcurrency, WorkflowMisfit
from sls_neutral.core.lint.rules.limits import (ConsumerLeaseShorterThanTimeout, HttpTimeoutOverGateway,
                                                TimeoutOverPlatformMax)
from sls_neutral.core.lint.rules.operations import AlwaysOnCost
from sls_neutral.core.lint.rules.reliability import DeadLetterMisconfigured, RecursiveTrigger
from sls_neutral.core.lint.rules.security import SharedIdentity, WildcardScope


def run(rule, app, provider="aws"):
    return [(d.severity, d.message) for d in rule.check(app, provider)]


def grant(scope: str, implied=False) -> ir.Grant:
    kind, name, action = scope.split(":")
    return ir.Grant(kind, name, action, implied)


def test_rules_are_complete_and_documented():
    assert [r.id for r in BUILTIN_RULES] == [f"SN{n:03d}" for n in range(1, 18)]
    for rule in BUILTIN_RULES:
        assert rule.severity in ("error", "warning", "info") and rule.summary and rule.fix and rule.name
        assert len(rule.fix.splitlines()) == 1


def test_timeout_limits_follow_the_provider_and_the_trigger(build):
    http = build.function("api", timeout=1800.0, triggers=[ir.HttpTrigger("GET", "/")])
    event = build.function("job", timeout=600.0, triggers=[ir.QueueTrigger("q")])
    app = build.app(http, event, queues=[ir.Queue("q", visibility_timeout=7200.0)])
    assert {m.split("'")[1] for _, m in run(TimeoutOverPlatformMax(), app, "aws")} == {"api"}
    # GCP: HTTP may run 60 min, events only 9
    assert {m.split("'")[1] for _, m in run(TimeoutOverPlatformMax(), app, "gcp")} == {"job"}
    consumption = build.app(http, event, settings={"azure": {"plan": "consumption"}})
    assert {m.split("'")[1] for _, m in run(TimeoutOverPlatformMax(), consumption, "azure")} == {"api"}
    assert run(TimeoutOverPlatformMax(), app, "azure") == []  # Flex: no maximum
    assert run(TimeoutOverPlatformMax(), app, "local") == []
    step = build.app(build.function("step", timeout=1800.0))  # a workflow step: HTTP-invoked on GCP
    assert run(TimeoutOverPlatformMax(), step, "gcp") == [] and run(TimeoutOverPlatformMax(), step, "aws")


def test_gateway_cap_is_an_error_on_aws_and_a_warning_on_azure(build):
    app = build.app(build.function("api", timeout=300.0, triggers=[ir.HttpTrigger("GET", "/")]))
    assert [s for s, _ in run(HttpTimeoutOverGateway(), app, "aws")] == ["error"]
    assert [s for s, _ in run(HttpTimeoutOverGateway(), app, "azure")] == ["warning"]
    assert run(HttpTimeoutOverGateway(), app, "gcp") == []


def test_lease_rules_per_provider(build):
    worker = build.function("w", timeout=400.0, triggers=[ir.QueueTrigger("q")])
    app = build.app(worker, queues=[ir.Queue("q", visibility_timeout=900.0)])
    aws = run(ConsumerLeaseShorterThanTimeout(), app, "aws")
    assert aws == [("warning", aws[0][1])] and "6x" in aws[0][1] and "40 min" in aws[0][1]  # 2,400 s advised
    short = build.app(worker, queues=[ir.Queue("q", visibility_timeout=300.0)])
    assert [s for s, _ in run(ConsumerLeaseShorterThanTimeout(), short, "aws")] == ["error"]
    assert run(ConsumerLeaseShorterThanTimeout(), app, "gcp") == []  # 600 s cap still >= 400 s
    assert run(ConsumerLeaseShorterThanTimeout(), app, "azure") == []  # Storage Queue: the host renews it
    ordered = build.app(worker, queues=[ir.Queue("q", visibility_timeout=900.0, fifo=True)])
    azure = run(ConsumerLeaseShorterThanTimeout(), ordered, "azure")
    assert azure and "capped at 5 min" in azure[0][1]  # Service Bus lock max 5 min < 400 s


def test_azure_queue_payloads_depend_on_the_queue_service(build):
    from sls_neutral.core.lint.facts import LINT_FACTS
    from sls_neutral.core.lint.rules.limits import PayloadOverPathLimit

    sender = build.function("send", grants=[grant("queue:plain:send"), grant("queue:ordered:send")])
    app = build.app(sender, queues=[ir.Queue("plain"), ir.Queue("ordered", fifo=True)])
    small = app.replace(extensions={LINT_FACTS: {"max_payload": {"send": 0.1}}})  # 100 KB
    (found,) = run(PayloadOverPathLimit(), small, "azure")
    assert "queue 'plain'" in found[1] and "64 KB" in found[1]  # Service Bus (256 KB) would take it
    assert run(PayloadOverPathLimit(), small, "aws") == []


def test_dead_letter_settings(build):
    q = ir.Queue("q", retention=86400.0, dead_letter="q-dlq", max_receives=50, fifo=True)
    dlq = ir.Queue("q-dlq", retention=3600.0, dead_letter_for="q")
    messages = [m for _, m in run(DeadLetterMisconfigured(), build.app(queues=[q, dlq]), "gcp")]
    assert any("keeps messages 1 h" in m for m in messages)
    assert any("FIFO" in m for m in messages)
    assert any("retry storm" in m for m in messages)
    assert not any("accepts 5-100" in m for m in messages)  # 50 is inside Pub/Sub's range
    ok = ir.Queue("q", retention=86400.0, dead_letter="q-dlq", max_receives=5)
    good_dlq = ir.Queue("q-dlq", retention=14 * 86400.0, dead_letter_for="q")
    assert run(DeadLetterMisconfigured(), build.app(queues=[ok, good_dlq]), "gcp") == []


def test_loops_through_queues_topics_and_filtered_buckets(build):
    a = build.function("a", triggers=[ir.QueueTrigger("in")], grants=[grant("topic:t:publish")])
    b = build.function("b", triggers=[ir.QueueTrigger("fanned")], grants=[grant("queue:in:send")])
    app = build.app(a, b, queues=[ir.Queue("in"), ir.Queue("fanned")], topics=[ir.Topic("t", queues=("fanned",))])
    (found,) = run(RecursiveTrigger(), app)
    assert found[0] == "error"
    assert "function:a -> topic:t -> queue:fanned -> function:b -> queue:in -> function:a" in found[1]
    thumbs = build.function("thumbs", triggers=[ir.BucketTrigger("photos", prefix="uploads/")],
                            grants=[grant("bucket:photos:write")])
    (filtered,) = run(RecursiveTrigger(), build.app(thumbs))
    assert filtered[0] == "warning" and "prefix" in filtered[1]
    reader = build.function("r", triggers=[ir.BucketTrigger("photos")], grants=[grant("bucket:photos:read")])
    assert run(RecursiveTrigger(), build.app(reader)) == []


def test_wildcard_write_to_any_bucket_counts_as_a_loop(build):
    f = build.function("f", triggers=[ir.BucketTrigger("in")], grants=[grant("bucket:*:write")])
    edges = build_edges(build.app(f))
    assert ("function:f", "bucket:in") in {(e.source, e.target) for e in edges}
    (component,) = strongly_connected(edges)
    assert [e.target for e in cycle_path(component, edges)] == ["bucket:in", "function:f"]


def test_implied_grants_are_not_wildcards_or_loops(build):
    f = build.function("f", triggers=[ir.QueueTrigger("q")], grants=[grant("queue:q:consume", implied=True)])
    app = build.app(f, queues=[ir.Queue("q")])
    assert run(WildcardScope(), app) == [] and run(RecursiveTrigger(), app) == []


def test_invoke_chain_depth(build):
    a = build.function("a", grants=[grant("function:b:invoke")])
    b = build.function("b")
    (warning,) = run(SyncFunctionChain(), build.app(a, b))
    assert warning[0] == "warning" and "chain of 2" in warning[1]
    c = build.function("c", grants=[grant("function:a:invoke")])
    assert invoke_chains(build.app(a, b, c))["c"] == ["c", "a", "b"]
    loop = build.function("b", grants=[grant("function:a:invoke")])
    assert invoke_chains(build.app(a, loop)) == {"a": ["a", "b"], "b": ["b", "a"]}  # cycles end, not hang


def test_express_workflows_and_polling(build):
    steps = (ir.WaitStep("pause", seconds=600.0), ir.CallStep("go", function="f"))
    wf = ir.Workflow("wf", steps=steps, timeout=900.0)
    app = build.app(build.function("f"), workflows=[wf], settings={"aws": {"workflow_type": "express"}})
    assert any("Express" in m for _, m in run(WorkflowMisfit(), app, "aws"))
    assert run(WorkflowMisfit(), build.app(build.function("f"), workflows=[wf]), "aws") == []


def test_unbounded_map_over_a_database_function(build):
    f = build.function("save", secret_environment={"DB_PASSWORD": "db"})
    wf = ir.Workflow("wf", steps=(ir.MapStep("each", items="$.rows", steps=(ir.CallStep("s", function="save"),)),))
    (found,) = run(UnboundedConsumerConcurrency(), build.app(f, workflows=[wf]))
    assert "map step 'each'" in found[1] and "save" in found[1]
    capped = build.function("save", secret_environment={"DB_PASSWORD": "db"}, max_instances=5)
    assert run(UnboundedConsumerConcurrency(), build.app(capped, workflows=[wf])) == []


def test_warmer_schedules_and_warm_instances(build):
    warmer = build.function("api", triggers=[ir.ScheduleTrigger(cron="* * * * *", rate=None)])
    assert any("every minute" in m for _, m in run(AlwaysOnCost(), build.app(warmer), "aws"))
    hourly = build.function("api", triggers=[ir.ScheduleTrigger(cron=None, rate=3600.0)])
    assert run(AlwaysOnCost(), build.app(hourly), "aws") == []
    warm = build.function("api", memory=1024, warm=1)
    (one,) = run(AlwaysOnCost(), build.app(warm), "gcp")
    assert "1 instance of 1024 MB" in one[1] and "$" in one[1]
    assert run(AlwaysOnCost(), build.app(warm), "local") == []


def test_shared_identity_needs_a_sensitive_scope(build):
    reader = build.function("reader", grants=[grant("bucket:b:read")])
    writer = build.function("writer", grants=[grant("bucket:b:write")])
    (found,) = run(SharedIdentity(), build.app(reader, writer), "azure")
    assert "'reader'" in found[1] and "bucket:b:write" in found[1]
    publisher = build.function("writer", grants=[grant("topic:t:publish")])
    assert run(SharedIdentity(), build.app(reader, publisher), "azure") == []
    assert run(SharedIdentity(), build.app(reader, writer), "aws") == []


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_every_cloud_has_its_core_limits(provider):
    lim = limits_for(provider)
    assert lim.memory_max is not None and lim.payload_http is not None and lim.payload_queue is not None
    assert all(x.source and x.confidence in ("high", "medium", "low")
               for x in (lim.memory_max, lim.payload_http, lim.payload_queue))


def test_durable_workflows_with_large_payloads(build):
    from sls_neutral.core.lint.facts import LINT_FACTS

    wf = ir.Workflow("wf", steps=(ir.CallStep("a", function="f"), ir.CallStep("b", function="g")))
    app = build.app(build.function("f"), build.function("g"), workflows=[wf])
    app = app.replace(extensions={LINT_FACTS: {"max_payload": {"f": 2.0}}})
    (found,) = run(WorkflowMisfit(), app, "azure")
    assert "through f" in found[1] and "replays" in found[1]
    assert run(WorkflowMisfit(), app, "gcp") == []
