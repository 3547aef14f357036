"""Unit tests of the GCP model: names, schedules, Pub/Sub settings, IAM from grants, checks, settings."""

from __future__ import annotations

import json

import pytest

from sls_neutral.core import ir
from sls_neutral.providers.gcp import iam
from sls_neutral.providers.gcp.checks import check_app
from sls_neutral.providers.gcp.cron import rate_to_cron
from sls_neutral.providers.gcp.model import CONFIG_ENV, build_deployment, clamp_attempts, cpu_for, memory_string
from sls_neutral.providers.gcp.names import Names

PROJECT = {"project": "demo-project", "region": "europe-west1"}


def fn(name, *triggers, grants=(), timeout=10.0, memory=256, workflow_step=False, **extra):
    return ir.Function(name=name, handler=f"src/{name}.py:handle", handler_file=f"src/{name}.py",
                       handler_function="handle", module=f"src.{name}", runtime="python3.12", memory=memory,
                       timeout=timeout, environment={}, secret_environment={}, requirements=None,
                       grants=tuple(grants), triggers=tuple(triggers), workflow_step=workflow_step, **extra)


def app(*functions, queues=(), topics=(), buckets=(), secrets=(), workflows=(), tags=None, settings=None):
    return ir.App(service="shop", stage="dev", runtime="python3.12", default_provider="gcp",
                  functions={f.name: f for f in functions}, queues={q.name: q for q in queues},
                  topics={t.name: t for t in topics}, buckets={b.name: b for b in buckets},
                  secrets={s.name: s for s in secrets}, workflows={w.name: w for w in workflows},
                  provider_settings={"gcp": settings if settings is not None else PROJECT}, tags=tags or {})


def grant(scope: str) -> ir.Grant:
    kind, name, action = scope.split(":")
    return ir.Grant(kind, name, action)


# ---------------------------------------------------------------- small pieces
@pytest.mark.parametrize("seconds, cron, exact", [
    (60, "* * * * *", True), (300, "*/5 * * * *", True), (420, "*/7 * * * *", False),
    (3600, "0 * * * *", True), (7200, "0 */2 * * *", True), (5 * 3600, "0 */5 * * *", False),
    (86400, "0 0 * * *", True), (2 * 86400, "0 0 */2 * *", False), (90 * 60, "30 */1 * * *", False)])
def test_rates_become_cron_with_a_note_when_inexact(seconds, cron, exact):
    got, note = rate_to_cron(seconds)
    assert got == cron and (note == "") == exact


def test_memory_cpu_and_delivery_attempts():
    assert memory_string(256) == "256Mi" and memory_string(2048) == "2Gi"
    assert cpu_for(256) == "0.167" and cpu_for(1024) == "0.583" and cpu_for(4096) == "2"
    assert clamp_attempts(3) == 5 and clamp_attempts(500) == 100 and clamp_attempts(7) == 7


def test_names_are_lowercase_bounded_and_stable():
    names = Names.from_settings("Shop", "dev", PROJECT)
    long = names.function("x" * 80)
    assert len(long) == 63 and long == names.function("x" * 80) and long.islower()
    account = names.account_id("fn", "a-very-long-function-name-indeed")
    assert 6 <= len(account) <= 30 and account[0].isalpha()
    assert names.bucket("Photos") == "demo-project-shop-dev-photos"


def test_roles_follow_actions_and_wildcards():
    names = Names.from_settings("shop", "dev", PROJECT)
    assert iam.roles_for(grant("bucket:photos:read")) == ["roles/storage.objectViewer"]
    assert iam.roles_for(grant("bucket:photos:delete")) == ["roles/storage.objectUser"]
    assert iam.roles_for(grant("bucket:photos:*")) == ["roles/storage.objectCreator", "roles/storage.objectUser",
                                                        "roles/storage.objectViewer"]
    assert iam.roles_for(grant("queue:jobs:consume")) == []
    rows = iam.grant_bindings((grant("topic:*:publish"),), "serviceAccount:a", names, {})
    assert rows == [{"resource_type": "project", "resource": "projects/demo-project",
                     "role": "roles/pubsub.publisher", "member": "serviceAccount:a"}]
    rows = iam.grant_bindings((grant("function:other:invoke"),), "serviceAccount:a", names,
                              {"other": ["shop-dev-other", "shop-dev-other-topic-1"]})
    assert [r["resource"].rsplit("/", 1)[-1] for r in rows] == ["shop-dev-other", "shop-dev-other-topic-1"]


# ---------------------------------------------------------------- the deployment description
def test_queue_is_a_topic_and_a_push_subscription_with_dead_letters():
    consumer = fn("worker", ir.QueueTrigger("jobs"), timeout=90)
    queues = (ir.Queue("jobs", visibility_timeout=30, dead_letter="jobs-dlq", max_receives=3,
                       subscribed_topics=("events",)),
              ir.Queue("jobs-dlq", dead_letter_for="jobs", retention=3600))
    d = build_deployment(app(consumer, queues=queues, topics=(ir.Topic("events", queues=("jobs",)),)), PROJECT)
    assert set(d["topics"]) == {"shop-dev-queue-jobs", "shop-dev-queue-jobs-dlq", "shop-dev-topic-events"}
    sub = d["subscriptions"]["shop-dev-queue-jobs"]
    assert sub["ack_deadline_seconds"] == 90  # the consumer's timeout beats the 30 s visibility timeout
    assert sub["dead_letter_policy"] == {"dead_letter_topic": "projects/demo-project/topics/shop-dev-queue-jobs-dlq",
                                         "max_delivery_attempts": 5}
    assert sub["push_config"]["push_endpoint"] == \
        "https://europe-west1-demo-project.cloudfunctions.net/shop-dev-worker"
    fanned = d["subscriptions"]["shop-dev-queue-jobs-from-events"]
    assert fanned["topic"] == "projects/demo-project/topics/shop-dev-topic-events"
    assert fanned["push_config"] == sub["push_config"]
    assert "push_config" not in d["subscriptions"]["shop-dev-queue-jobs-dlq"]  # no consumer: pull
    assert any("clamped to 5" in n for n in d["notes"])
    unit = d["functions"]["shop-dev-worker"]
    assert unit["build"]["entry_point"] == "queue_entry" and "event_trigger" not in unit


def test_ack_deadline_is_clamped_to_ten_minutes():
    d = build_deployment(app(fn("slow", ir.QueueTrigger("q"), timeout=900), queues=(ir.Queue("q"),)), PROJECT)
    assert d["subscriptions"]["shop-dev-queue-q"]["ack_deadline_seconds"] == 600
    assert any("ack deadline clamped" in n for n in d["notes"])


def test_several_triggers_become_several_units_sharing_one_zip():
    f = fn("multi", ir.HttpTrigger("GET", "/x"), ir.TopicTrigger("events"),
           ir.BucketTrigger("photos", events=("created", "deleted"), prefix="in/"))
    d = build_deployment(app(f, topics=(ir.Topic("events"),), buckets=(ir.Bucket("photos"),)), PROJECT)
    units = {n: s for n, s in d["functions"].items()}
    assert set(units) == {"shop-dev-multi", "shop-dev-multi-topic-0", "shop-dev-multi-bucket-1",
                          "shop-dev-multi-bucket-2"}
    assert {s["build"]["source"] for s in units.values()} == {"functions/multi.zip"}
    assert units["shop-dev-multi-bucket-2"]["event_trigger"]["event_type"] == \
        "google.cloud.storage.object.v1.deleted"
    assert units["shop-dev-multi-topic-0"]["event_trigger"]["pubsub_topic"] == \
        "projects/demo-project/topics/shop-dev-topic-events"
    assert units["shop-dev-multi"]["invokers"] == ["allUsers"]


def test_schedules_publish_to_a_topic_and_workflows_schedules_call_executions():
    wf = ir.Workflow("nightly", steps=(ir.ReturnStep("done", value=1),),
                     triggers=(ir.ScheduleTrigger(cron=None, rate=3600, timezone="Europe/Paris", data={"a": 1}),))
    f = fn("tick", ir.ScheduleTrigger(cron="0 3 * * 1", rate=None, timezone="UTC", data={"k": "v"}))
    d = build_deployment(app(f, workflows=(wf,)), PROJECT)
    jobs = d["scheduler_jobs"]
    assert jobs["shop-dev-tick-0"]["schedule"] == "0 3 * * 1"
    assert jobs["shop-dev-tick-0"]["pubsub_target"]["topic_name"] == \
        "projects/demo-project/topics/shop-dev-schedule-tick-0"
    wf_job = jobs["shop-dev-wf-nightly-0"]
    assert wf_job["schedule"] == "0 * * * *" and wf_job["time_zone"] == "Europe/Paris"
    assert wf_job["http_target"]["uri"].endswith("/workflows/shop-dev-nightly/executions")
    assert d["functions"]["shop-dev-tick"]["event_trigger"]["pubsub_topic"].endswith("schedule-tick-0")


def test_environment_follows_the_contract():
    f = fn("api", ir.HttpTrigger("GET", "/"), grants=(grant("bucket:photos:read"), grant("secret:key:read")),
           timeout=5000)
    d = build_deployment(app(f, buckets=(ir.Bucket("photos"),), secrets=(ir.Secret("key"),)), PROJECT)
    env = d["functions"]["shop-dev-api"]["service"]["environment_variables"]
    assert env["SLSN_GRANTS"] == "bucket:photos:read,secret:key:read"
    assert env["SLSN_HANDLER"] == "src.api:handle" and env["SLSN_PROVIDER"] == "gcp"
    assert '"secret:key": "projects/demo-project/secrets/shop-dev-key"' in env["SLSN_RESOURCES"]
    assert d["functions"]["shop-dev-api"]["service"]["timeout_seconds"] == 3600


def test_the_adapter_configuration_is_an_environment_variable_shared_by_the_units():
    """SLSN_FUNCTION_CONFIG: canonical compact JSON (sorted keys), the same in every unit of the function."""
    f = fn("multi", ir.HttpTrigger("GET", "/x/{id}", cors=True), ir.TopicTrigger("events"),
           ir.BucketTrigger("photos", events=("created",), prefix="in/"))
    d = build_deployment(app(f, topics=(ir.Topic("events"),), buckets=(ir.Bucket("photos"),)), PROJECT)
    values = {s["service"]["environment_variables"][CONFIG_ENV] for s in d["functions"].values()}
    assert len(values) == 1
    value = values.pop()
    config = json.loads(value)
    assert value == json.dumps(config, sort_keys=True, separators=(",", ":"))
    assert config == {
        "function": "multi", "routes": [{"method": "GET", "path": "/x/{id}", "cors": True}],
        "sources": {"projects/demo-project/topics/shop-dev-topic-events": {"kind": "topic", "name": "events"}},
        "buckets": [{"bucket": "demo-project-shop-dev-photos", "name": "photos", "events": ["created"],
                     "prefix": "in/", "suffix": ""}],
        "step": False, "step_only": False, "fifo_queues": [], "step_path": "/_slsn/step"}


def test_a_workflow_starter_is_configured_to_start_its_workflow():
    wf = ir.Workflow("flow", steps=(ir.ReturnStep("done", value=1),), triggers=(ir.HttpTrigger("POST", "/flows"),))
    d = build_deployment(app(workflows=(wf,)), PROJECT)
    config = json.loads(d["functions"]["shop-dev-flow-start"]["service"]["environment_variables"][CONFIG_ENV])
    assert config["starts"] == "flow" and config["routes"] == [{"method": "POST", "path": "/flows", "cors": False}]


def test_labels_are_sanitized_and_carry_service_and_stage():
    settings = {**PROJECT, "labels": {"cost": "x1"}}
    d = build_deployment(app(fn("a"), tags={"Team": "Media Ops"}, settings=settings), settings)
    assert d["labels"] == {"cost": "x1", "slsn-service": "shop", "slsn-stage": "dev", "team": "media_ops"}


# ---------------------------------------------------------------- checks
def test_checks_event_and_http_timeouts_and_labels():
    event = fn("ev", ir.TopicTrigger("t"), timeout=600)
    http = fn("web", ir.HttpTrigger("GET", "/"), timeout=4000)
    ok = fn("fine", ir.TopicTrigger("t"), timeout=540)
    diags = check_app(app(event, http, ok, topics=(ir.Topic("t"),), tags={"Bad Key": "v"}), PROJECT)
    by_code = {}
    for d in diags:
        by_code.setdefault(d.code, []).append(d)
    assert [d.message.split("'")[1] for d in by_code["gcp-timeout"]] == ["ev", "web"]
    assert by_code["gcp-labels"][0].severity == "warning"
    assert not [d for d in diags if "'fine'" in d.message and d.severity == "error"]


def test_an_environment_over_32_kib_is_an_error_naming_the_function():
    """The routes travel in SLSN_FUNCTION_CONFIG, so a function with very many routes meets the variables' limit."""
    many = fn("many", *(ir.HttpTrigger("GET", f"/resource-{i:04d}/{{id}}/sub-resource") for i in range(600)))
    few = fn("few", *(ir.HttpTrigger("GET", f"/resource-{i:04d}") for i in range(20)))
    diags = [d for d in check_app(app(many, few), PROJECT) if d.code == "gcp-env"]
    assert [(d.severity, d.message.split("'")[1]) for d in diags] == [("error", "many")]
    assert "SLSN_FUNCTION_CONFIG" in diags[0].message and "32,768" in diags[0].message


def test_missing_project_is_a_warning():
    diags = check_app(app(fn("a"), settings={}), {})
    assert [d.code for d in diags if d.severity == "warning"] == ["gcp-project"]


def test_settings_forbid_unknown_keys():
    from pydantic import ValidationError

    from sls_neutral.providers.gcp.settings import GcpSettings

    assert GcpSettings(project="demo-project").region == "us-central1"
    with pytest.raises(ValidationError):
        GcpSettings(project="demo-project", regoin="x")
    with pytest.raises(ValidationError):
        GcpSettings(project="Bad_Project")


def test_dead_letter_forwarding_is_granted_to_the_pubsub_agent_when_the_project_number_is_known():
    queues = (ir.Queue("jobs", dead_letter="jobs-dlq", max_receives=5), ir.Queue("jobs-dlq", dead_letter_for="jobs"))
    settings = {**PROJECT, "project_number": "42424242"}
    d = build_deployment(app(fn("w", ir.QueueTrigger("jobs")), queues=queues, settings=settings), settings)
    agent = "serviceAccount:service-42424242@gcp-sa-pubsub.iam.gserviceaccount.com"
    rows = {(b["resource"], b["role"]) for b in d["platform_bindings"] if b["member"] == agent}
    assert rows == {("projects/demo-project/topics/shop-dev-queue-jobs-dlq", "roles/pubsub.publisher"),
                    ("projects/demo-project/subscriptions/shop-dev-queue-jobs", "roles/pubsub.subscriber")}
    without = build_deployment(app(fn("w", ir.QueueTrigger("jobs")), queues=queues), PROJECT)
    assert any("project_number" in n for n in without["notes"])


def test_workflow_limits_come_from_the_workflows_package(monkeypatch):
    import sys
    import types

    from sls_neutral.core.errors import Diagnostic

    seen = []
    module = types.ModuleType("sls_neutral.core.workflows.limits")

    def workflow_limit_diagnostics(workflow, provider):
        seen.append((workflow.name, provider))
        return [Diagnostic("too deep", None, "flatten", code="gcp-workflow")]

    module.workflow_limit_diagnostics = workflow_limit_diagnostics
    monkeypatch.setitem(sys.modules, "sls_neutral.core.workflows.limits", module)
    import sls_neutral.core.workflows.gcp as wf_gcp

    monkeypatch.delattr(wf_gcp, "workflow_limit_diagnostics", raising=False)
    wf = ir.Workflow("flow", steps=(ir.ReturnStep("r", value=1),))
    diags = check_app(app(fn("a"), workflows=(wf,)), PROJECT)
    assert seen == [("flow", "gcp")] and "too deep" in [d.message for d in diags]
