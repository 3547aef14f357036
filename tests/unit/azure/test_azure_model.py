"""Unit tests of the Azure provider's pure parts: schedules, the model (groups, roles), checks, the ARM template."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sls_neutral.core import ir
from sls_neutral.core.errors import Position
from sls_neutral.core.provider import FEATURES
from sls_neutral.providers.azure.arm import build_template, iso_duration
from sls_neutral.providers.azure.capabilities import CAPABILITIES
from sls_neutral.providers.azure.checks import check_app
from sls_neutral.providers.azure.cron import cron_to_ncrontab, rate_to_ncrontab, zoned_cron_to_ncrontab
from sls_neutral.providers.azure.model import azure_route, build_model
from sls_neutral.providers.azure.roles import ROLES

SETTINGS = {"subscription_id": "sub", "resource_group": "rg", "location": "eastus", "plan": "flex", "tags": {}}


def fn(name, *triggers, grants=(), timeout=10.0, memory=256, environment=None, line=1, **extra):
    return ir.Function(name=name, handler=f"src/{name}.py:h", handler_file=f"src/{name}.py", handler_function="h",
                       module=f"src.{name}", runtime="python3.12", memory=memory, timeout=timeout,
                       environment=environment or {}, secret_environment={}, requirements=None,
                       grants=tuple(ir.Grant(*g.split(":")) for g in grants), triggers=tuple(triggers),
                       source=Position("sls-neutral.yaml", line, 3), **extra)


def app(functions, queues=(), buckets=(), topics=(), secrets=(), workflows=None):
    return ir.App(service="svc", stage="dev", runtime="python3.12", default_provider="azure",
                  functions={f.name: f for f in functions}, queues={q.name: q for q in queues},
                  topics={t.name: t for t in topics}, buckets={b: ir.Bucket(b) for b in buckets},
                  secrets={s: ir.Secret(s) for s in secrets}, workflows=workflows or {},
                  provider_settings={"azure": SETTINGS})


# ---------------------------------------------------------------- schedules
@pytest.mark.parametrize("cron,expected", [("0 3 * * *", "0 0 3 * * *"), ("*/5 * * * 1-5", "0 */5 * * * 1-5"),
                                           ("15 10 1 * 7", "0 15 10 1 * 0")])
def test_cron_gets_a_seconds_field(cron, expected):
    assert cron_to_ncrontab(cron) == expected


@pytest.mark.parametrize("seconds,expected,exact", [(60, "0 * * * * *", True), (300, "0 */5 * * * *", True),
                                                    (3600, "0 0 * * * *", True), (7200, "0 0 */2 * * *", True),
                                                    (86400, "0 0 0 * * *", True), (420, "0 */7 * * * *", False)])
def test_rates(seconds, expected, exact):
    assert tuple(rate_to_ncrontab(seconds)) == (expected, exact)


def test_zoned_cron_fires_on_shifted_minutes_and_the_adapter_filters():
    from sls_neutral.runtime.adapters.azure import cron_matches, due_in_zone

    assert zoned_cron_to_ncrontab("30 2 * * *", "Europe/Paris") == "0 30 * * * *"
    assert zoned_cron_to_ncrontab("0 9 * * *", "Asia/Kolkata") == "0 30 * * * *"
    assert zoned_cron_to_ncrontab("*/10 9 * * *", "Europe/Paris") == "0 * * * * *"
    winter = dt.datetime(2025, 1, 15, 1, 30, tzinfo=dt.timezone.utc)  # 02:30 in Paris (UTC+1)
    summer = dt.datetime(2025, 7, 15, 0, 30, tzinfo=dt.timezone.utc)  # 02:30 in Paris (UTC+2)
    assert due_in_zone("30 2 * * *", "Europe/Paris", winter) and due_in_zone("30 2 * * *", "Europe/Paris", summer)
    assert not due_in_zone("30 2 * * *", "Europe/Paris", winter + dt.timedelta(hours=1))
    monday_first = dt.datetime(2025, 9, 1, 0, 0)
    assert cron_matches("0 0 1 * 5", monday_first)  # day-of-month OR day-of-week
    assert not cron_matches("0 0 2 * 5", monday_first)
    assert cron_matches("0 0 * * mon-fri", monday_first)


def test_routes():
    assert azure_route("/photos/{id}") == "photos/{id}"
    assert azure_route("/files/{path+}") == "files/{*path}"


# ---------------------------------------------------------------- model and roles
def reference_like():
    queues = [ir.Queue("jobs", dead_letter="jobs-dlq", max_receives=4), ir.Queue("jobs-dlq", dead_letter_for="jobs"),
              ir.Queue("orders", fifo=True), ir.Queue("fanout", subscribed_topics=("events",))]
    functions = [
        fn("api", ir.HttpTrigger("POST", "/photos"), grants=("bucket:photos:write", "queue:jobs:send",
                                                              "secret:stripe:read", "topic:events:publish")),
        fn("worker", ir.QueueTrigger("jobs"), grants=("queue:jobs:consume", "bucket:photos:read")),
        fn("ordered", ir.QueueTrigger("orders"), grants=("queue:orders:consume",)),
        fn("audit", ir.TopicTrigger("events")),
        fn("upload", ir.BucketTrigger("photos", ("created", "deleted"), "in/", ".jpg")),
    ]
    return app(functions, queues=queues, buckets=["photos"], topics=[ir.Topic("events", queues=("fanout",))],
               secrets=["stripe"])


def test_roles_are_scoped_to_single_entities():
    model = build_model(reference_like(), SETTINGS)
    roles = {(r.group, r.role, r.scope_kind, r.scope_name) for r in model.roles}
    assert ("API", "Storage Queue Data Message Sender", "queue", "jobs") in roles
    assert ("API", "Storage Blob Data Contributor", "container", "photos") in roles
    assert ("API", "Key Vault Secrets User", "secret", "stripe") in roles
    assert ("API", "Azure Service Bus Data Sender", "sb_topic", "events") in roles
    assert ("WORKER", "Storage Queue Data Reader", "queue", "jobs") in roles
    assert ("WORKER", "Storage Queue Data Message Processor", "queue", "jobs") in roles
    assert ("WORKER", "Storage Blob Data Reader", "container", "photos") in roles
    assert ("ORDERED", "Azure Service Bus Data Receiver", "sb_queue", "orders") in roles
    assert ("DEFAULT", "Azure Service Bus Data Receiver", "sb_subscription", "events/audit") in roles
    # nobody but the host identity gets an account-wide role
    assert all(r.scope_kind not in ("storage", "host_storage") for r in model.roles)


def test_queue_kinds_and_dead_letters():
    model = build_model(reference_like(), SETTINGS)
    q = model.queues
    assert (q["jobs"].service_bus, q["jobs-dlq"].physical) == (False, "jobs-poison")
    assert q["orders"].service_bus and q["orders"].fifo
    assert q["fanout"].service_bus and ("events", "to-fanout", "fanout") in model.subscriptions
    kinds = {f.name: (f.kind, dict(f.bindings)) for f in model.functions}
    assert kinds["ordered"][0] == "sb_queue" and kinds["ordered"][1]["is_sessions_enabled"] is True
    assert kinds["upload-created-photos"][1]["path"] == "photos/in/{name}.jpg"
    assert kinds["upload-deleted-photos"][0] == "eventgrid"
    filters = {s["function"]: s for s in model.event_subscriptions}
    assert filters["upload-deleted-photos"]["event_type"] == "Microsoft.Storage.BlobDeleted"
    assert filters["upload-created-photos"]["subject_ends_with"] == ".jpg"


def test_template_role_assignments_use_builtin_guids_and_entity_scopes():
    template = build_template(build_model(reference_like(), SETTINGS))
    assignments = [r for r in template["resources"] if r["type"] == "Microsoft.Authorization/roleAssignments"]
    guids = set(ROLES.values())
    scopes = set()
    for ra in assignments:
        role = ra["properties"]["roleDefinitionId"].split("'")[-2]
        assert role in guids
        scopes.add(ra["scope"])
    model = build_model(reference_like(), SETTINGS)
    data = model.names["storage"]
    assert f"Microsoft.Storage/storageAccounts/{data}" not in scopes  # no account-wide role on the data
    assert f"Microsoft.Storage/storageAccounts/{data}/queueServices/default/queues/jobs" in scopes
    assert f"Microsoft.KeyVault/vaults/{model.names['keyvault']}/secrets/stripe" in scopes
    assert f"Microsoft.ServiceBus/namespaces/{model.names['servicebus']}/topics/events" in scopes
    sb_queue = next(r for r in template["resources"] if r["type"] == "Microsoft.ServiceBus/namespaces/queues"
                    and r["name"].endswith("/orders"))
    assert sb_queue["properties"]["requiresSession"] is True
    # byte-stable
    assert json.dumps(template, sort_keys=True) == json.dumps(build_template(model), sort_keys=True)


def test_flex_and_consumption_plans():
    flex = build_template(build_model(reference_like(), SETTINGS))
    plan = next(r for r in flex["resources"] if r["type"] == "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    site = next(r for r in flex["resources"] if r["type"] == "Microsoft.Web/sites")
    assert site["properties"]["functionAppConfig"]["runtime"] == {"name": "python", "version": "3.12"}
    consumption = build_template(build_model(reference_like(), {**SETTINGS, "plan": "consumption"}))
    plan = next(r for r in consumption["resources"] if r["type"] == "Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "Y1", "tier": "Dynamic"}


def test_iso_durations():
    assert iso_duration(120) == "PT2M" and iso_duration(345600) == "P4D" and iso_duration(90061) == "P1DT1H1M1S"


# ---------------------------------------------------------------- checks
def codes(diagnostics):
    return sorted((d.code, d.severity, d.position.line if d.position else None) for d in diagnostics)


def test_limits_are_diagnostics_with_positions():
    a = app([fn("slow", ir.QueueTrigger("jobs"), timeout=900, line=7),
             fn("web", ir.HttpTrigger("GET", "/x"), timeout=300, line=12),
             fn("admin", ir.HttpTrigger("GET", "/admin/users"), line=20),
             fn("big", ir.QueueTrigger("jobs"), memory=2048, line=30)],
            queues=[ir.Queue("jobs")])
    flex = check_app(a, SETTINGS)
    assert codes(flex) == [("azure-http-timeout", "error", 12), ("azure-route", "error", 20)]
    consumption = check_app(a, {**SETTINGS, "plan": "consumption"})
    assert ("azure-timeout", "error", 7) in codes(consumption)
    assert ("azure-memory", "error", 30) in codes(consumption)


def test_names_and_shared_app_settings():
    a = app([fn("a", environment={"MODE": "x"}, line=3), fn("b", environment={"MODE": "y"}, line=9)],
            queues=[ir.Queue("jq")], buckets=["ok"])
    diagnostics = check_app(a, {**SETTINGS, "storage_account": "Bad-Name"})
    assert ("azure-environment", "error", 9) in codes(diagnostics)
    assert any(d.code == "azure-name" and "Bad-Name" in d.message for d in diagnostics)
    assert any(d.code == "azure-name" and "'jq'" in d.message for d in diagnostics)  # queues need 3+ chars


def test_capabilities_cover_every_feature():
    assert set(FEATURES) <= set(CAPABILITIES)
    assert all(s.note for s in CAPABILITIES.values() if s.level == "approx")


def test_settings_are_strict():
    from pydantic import ValidationError

    from sls_neutral.providers.azure.settings import AzureSettings

    with pytest.raises(ValidationError):
        AzureSettings.model_validate({"resource_grop": "x"})
    assert AzureSettings.model_validate({}).plan == "flex"


def _expressions(value):
    if isinstance(value, str):
        if value.startswith("["):
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _expressions(k)
            yield from _expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from _expressions(v)


def test_template_expressions_are_well_formed():
    template = build_template(build_model(reference_like(), SETTINGS))
    for resource in template["resources"]:
        assert all(d.startswith("[") and d.endswith("]") for d in resource.get("dependsOn", []))
    for expr in _expressions(template):
        assert expr.endswith("]"), expr
        depth, quoted = 0, False
        for ch in expr[1:-1]:
            if ch == "'":
                quoted = not quoted
            elif not quoted and ch == "(":
                depth += 1
            elif not quoted and ch == ")":
                depth -= 1
                assert depth >= 0, expr
        assert depth == 0 and not quoted, expr


def test_what_if_resource_ids_become_types():
    from sls_neutral.providers.azure.deploy.planner import _name_of, _type_of

    rid = ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/queueServices/"
           "default/queues/jobs")
    assert _type_of(rid) == "Microsoft.Storage/storageAccounts/queueServices/queues"
    assert _name_of(rid) == "acct/default/jobs"
    assert _type_of("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/app") == "Microsoft.Web/sites"


def test_observability_alarms_become_log_alerts_and_retention():
    a = reference_like().replace(observability=ir.Observability(tracing=True, log_retention_days=90,
                                                                alarms=("duration", "errors", "throttles")),
                                 tags={"team": "media"})
    template = build_template(build_model(a, SETTINGS))
    alerts = [r for r in template["resources"] if r["type"] == "Microsoft.Insights/scheduledQueryRules"]
    names = {r["name"] for r in alerts}
    assert "alert-svc-dev-api-errors" in names and "alert-svc-dev-worker-duration" in names
    worker = next(r for r in alerts if r["name"] == "alert-svc-dev-worker-duration")
    assert "duration > 8000" in worker["properties"]["criteria"]["allOf"][0]["query"]  # 80% of 10 s
    workspace = next(r for r in template["resources"] if r["type"] == "Microsoft.OperationalInsights/workspaces")
    assert workspace["properties"]["retentionInDays"] == 90
    assert all(r.get("tags", {}).get("team") == "media" for r in template["resources"] if "location" in r)
