"""Unit tests of the AWS provider's pure parts: cron/rate, names, IAM mapping, YAML, checks, the SAM template."""

from __future__ import annotations

import json

import pytest

from sls_neutral.core import ir
from sls_neutral.core.errors import Position
from sls_neutral.core.provider import FEATURES
from sls_neutral.providers.aws import iam
from sls_neutral.providers.aws.capabilities import CAPABILITIES
from sls_neutral.providers.aws.checks import check_app
from sls_neutral.providers.aws.cron import CronError, cron_expression, rate_expression
from sls_neutral.providers.aws.names import Names, logical_id
from sls_neutral.providers.aws.sam import TemplateBuilder
from sls_neutral.providers.aws.yamlout import dump

SETTINGS = {"region": "eu-west-1", "architecture": "arm64", "tags": {"team": "media"}}


def fn(name, *triggers, grants=(), timeout=10.0, memory=256, line=1, **extra):
    return ir.Function(name=name, handler=f"src/{name}.py:h", handler_file=f"src/{name}.py", handler_function="h",
                       module=f"src.{name}", runtime="python3.12", memory=memory, timeout=timeout,
                       environment=extra.pop("environment", {}), secret_environment=extra.pop("secret_env", {}),
                       requirements=None, grants=tuple(ir.Grant(*g.split(":")) for g in grants),
                       triggers=tuple(triggers), source=Position("sls-neutral.yaml", line, 3), **extra)


def app(functions, queues=(), buckets=(), topics=(), secrets=(), workflows=None):
    return ir.App(service="svc", stage="dev", runtime="python3.12", default_provider="aws",
                  functions={f.name: f for f in functions}, queues={q.name: q for q in queues},
                  topics={t.name: t for t in topics}, buckets={b: ir.Bucket(b) for b in buckets},
                  secrets={s: ir.Secret(s) for s in secrets}, workflows=workflows or {},
                  provider_settings={"aws": SETTINGS})


def build(application, compile_asl=None):
    return TemplateBuilder(application, SETTINGS, compile_asl).build()


def grants_policy(template, role):
    policies = template["Resources"][role]["Properties"]["Policies"]
    return next(p["PolicyDocument"]["Statement"] for p in policies if p["PolicyName"] == "grants")


# ---------------------------------------------------------------- schedules
@pytest.mark.parametrize("cron,expected", [
    ("0 3 * * *", "cron(0 3 * * ? *)"),
    ("*/5 * * * 1-5", "cron(*/5 * ? * 2-6 *)"),
    ("0 0 1 * *", "cron(0 0 1 * ? *)"),
    ("0 9 * * 0,6", "cron(0 9 ? * 1,7 *)"),
    ("0 9 * * 5-7", "cron(0 9 ? * 6-7,1 *)"),
    ("0 9 * * 7", "cron(0 9 ? * 1 *)"),
    ("0 0 * jan sun", "cron(0 0 ? JAN SUN *)"),
])
def test_cron_becomes_six_fields_with_the_question_mark_rule(cron, expected):
    assert cron_expression(cron) == expected


def test_cron_with_both_day_fields_is_refused():
    with pytest.raises(CronError, match="both day-of-month and day-of-week"):
        cron_expression("0 0 1 * 1")


@pytest.mark.parametrize("seconds,expected", [(60, "rate(1 minute)"), (300, "rate(5 minutes)"),
                                              (3600, "rate(1 hour)"), (5400, "rate(90 minutes)"),
                                              (172800, "rate(2 days)")])
def test_rates(seconds, expected):
    assert rate_expression(seconds) == expected


def test_rate_must_be_whole_minutes():
    with pytest.raises(CronError):
        rate_expression(90)


# ---------------------------------------------------------------- names and YAML
def test_logical_ids_and_physical_names():
    names = Names("photo-app", "dev")
    assert logical_id("charge-card", "Function") == "ChargeCardFunction"
    assert logical_id("9lives", "Queue") == "X9livesQueue"
    assert names.queue("jobs", fifo=True) == "photo-app-dev-jobs.fifo"
    long = names.function("x" * 100)
    assert len(long) <= 64 and long == names.function("x" * 100)
    bucket = names.bucket_sub("photos")
    assert bucket.startswith("photo-app-dev-photos-") and bucket.endswith("-${AWS::AccountId}-${AWS::Region}")
    assert len(names.bucket_sub("p" * 90).split("-${")[0]) <= 34


def test_yaml_is_deterministic_and_round_trips():
    from ruamel.yaml import YAML

    data = {"b": [1, "yes", {"c": "${X}", "d": []}], "a": {"n": "123", "t": True, "s": "a: b"}, "e": {}}
    text = dump(data)
    assert text == dump(data)
    assert YAML(typ="safe").load(text) == data
    assert '"yes"' in text and '"123"' in text


def test_yaml_containers_in_lists_start_on_the_dash_line():
    from ruamel.yaml import YAML

    data = {"l": [[1, [2, "yes"]], {"k": {"x": 1}, "m": [4]}, [{"a": []}], [], {}, "s"], "e": {}}
    assert dump(data) == ("l:\n  - - 1\n    - - 2\n      - \"yes\"\n  - k:\n      x: 1\n    m:\n      - 4\n"
                          "  - - a: []\n  - []\n  - {}\n  - s\ne: {}\n")
    assert YAML(typ="safe").load(dump(data)) == data


# ---------------------------------------------------------------- capabilities
def test_every_feature_is_declared_with_a_note():
    assert set(CAPABILITIES) == set(FEATURES)
    assert all(s.level in ("full", "approx") and s.note for s in CAPABILITIES.values())


# ---------------------------------------------------------------- IAM
def test_permission_table_matches_the_least_privilege_mapping():
    table = {(k, a): acts for k, a, acts, _ in iam.PERMISSION_TABLE}
    assert table[("bucket", "read")] == ("s3:GetObject",)
    assert table[("bucket", "list")] == ("s3:ListBucket",)
    assert table[("queue", "send")] == ("sqs:SendMessage",)
    assert set(table[("queue", "consume")]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
    assert table[("workflow", "start")] == ("states:StartExecution",)


def test_roles_are_scoped_to_the_granted_resources():
    a = app([fn("api", grants=("bucket:photos:read", "bucket:photos:list", "queue:jobs:send",
                               "secret:key:read", "topic:news:publish"))],
            queues=[ir.Queue("jobs")], buckets=["photos", "other"], topics=[ir.Topic("news")], secrets=["key"])
    statements = grants_policy(build(a), "ApiRole")
    by_action = {tuple(s["Action"]): s["Resource"] for s in statements}
    assert by_action[("s3:GetObject",)] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::svc-dev-photos-"
                                                        "${AWS::AccountId}-${AWS::Region}/*"}]
    assert by_action[("s3:ListBucket",)] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::svc-dev-photos-"
                                                         "${AWS::AccountId}-${AWS::Region}"}]
    assert by_action[("sqs:SendMessage",)] == [{"Fn::GetAtt": ["JobsQueue", "Arn"]}]
    assert by_action[("sns:Publish",)] == [{"Ref": "NewsTopic"}]
    assert by_action[("secretsmanager:GetSecretValue",)][0]["Fn::Sub"].endswith(":secret:svc/dev/key-??????")
    assert "*" not in json.dumps(statements).replace("/*", "").replace("??????", "")


def test_wildcard_names_expand_to_declared_resources_only():
    a = app([fn("api", grants=("bucket:*:read",))], buckets=["a", "b"])
    resources = grants_policy(build(a), "ApiRole")[0]["Resource"]
    assert [r["Fn::Sub"].split(":::")[1].split("-$")[0] for r in resources] == ["svc-dev-a", "svc-dev-b"]


def test_function_without_grants_gets_only_its_log_group():
    template = build(app([fn("lonely")]))
    policies = template["Resources"]["LonelyRole"]["Properties"]["Policies"]
    assert [p["PolicyName"] for p in policies] == ["logs"]
    assert "/aws/lambda/svc-dev-lonely" in json.dumps(policies)


# ---------------------------------------------------------------- the template
def test_function_environment_carries_the_runtime_contract():
    a = app([fn("api", grants=("queue:jobs:send",), environment={"A": "1"}, secret_env={"KEY": "stripe"})],
            queues=[ir.Queue("jobs")], secrets=["stripe"])
    props = build(a)["Resources"]["ApiFunction"]["Properties"]
    env = props["Environment"]["Variables"]
    assert env["SLSN_PROVIDER"] == "aws" and env["SLSN_HANDLER"] == "src.api:h" and env["A"] == "1"
    assert env["SLSN_GRANTS"] == "queue:jobs:send" and env["SLSN_TIMEOUT_MS"] == "10000"
    assert json.loads(env["SLSN_SECRET_ENV"]) == {"KEY": "stripe"}
    resources = json.loads(env["SLSN_RESOURCES"]["Fn::Sub"])
    assert resources == {"queue:jobs": "${JobsQueue}", "secret:stripe": "svc/dev/stripe"}
    assert props["Handler"] == "sls_neutral.runtime.adapters.aws.handler"
    assert props["Architectures"] == ["arm64"] and props["MemorySize"] == 256 and props["Timeout"] == 10
    assert props["CodeUri"] == "functions/api.zip"


def test_queue_trigger_reports_batch_failures_and_the_queue_redrives():
    dlq = ir.Queue("jobs-dlq", dead_letter_for="jobs", visibility_timeout=60)
    queue = ir.Queue("jobs", visibility_timeout=60, dead_letter="jobs-dlq", max_receives=4, delay=5)
    template = build(app([fn("worker", ir.QueueTrigger("jobs", 25))], queues=[queue, dlq]))
    event = template["Resources"]["WorkerFunction"]["Properties"]["Events"]["Queue0"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == 25 and event["Properties"]["MaximumBatchingWindowInSeconds"] == 1
    props = template["Resources"]["JobsQueue"]["Properties"]
    assert props["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDlqQueue", "Arn"]},
                                      "maxReceiveCount": 4}
    assert props["DelaySeconds"] == 5 and props["VisibilityTimeout"] == 60
    assert template["Outputs"]["JobsQueueUrl"]["Value"] == {"Ref": "JobsQueue"}


def test_fifo_queue_name_ends_in_fifo():
    props = build(app([], queues=[ir.Queue("orders", fifo=True)]))["Resources"]["OrdersQueue"]["Properties"]
    assert props["QueueName"].endswith(".fifo") and props["FifoQueue"] is True


def test_bucket_trigger_filters_and_bucket_is_private():
    trigger = ir.BucketTrigger("photos", ("created", "deleted"), prefix="uploads/", suffix=".jpg")
    template = build(app([fn("meta", trigger)], buckets=["photos"]))
    event = template["Resources"]["MetaFunction"]["Properties"]["Events"]["Bucket0"]
    assert event["Properties"]["Bucket"] == {"Ref": "PhotosBucket"}
    assert event["Properties"]["Events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert event["Properties"]["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"},
                                                               {"Name": "suffix", "Value": ".jpg"}]
    bucket = template["Resources"]["PhotosBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    env = template["Resources"]["MetaFunction"]["Properties"]["Environment"]["Variables"]
    assert json.loads(env["SLSN_TRIGGERS"]) == {"bucket:svc-dev-photos-": "photos"}


def test_schedule_uses_eventbridge_scheduler_with_timezone():
    trigger = ir.ScheduleTrigger("30 2 * * 1", None, "Europe/Paris", data={"k": 1})
    event = build(app([fn("job", trigger)]))["Resources"]["JobFunction"]["Properties"]["Events"]["Schedule0"]
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "cron(30 2 ? * 2 *)"
    assert event["Properties"]["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert json.loads(event["Properties"]["Input"])["data"] == {"k": 1}


def test_http_routes_keep_path_parameters_and_cap_the_timeout():
    template = build(app([fn("api", ir.HttpTrigger("GET", "/files/{path+}", cors=True), timeout=60)]))
    event = template["Resources"]["ApiFunction"]["Properties"]["Events"]["Http0"]["Properties"]
    assert event["Path"] == "/files/{path+}" and event["TimeoutInMillis"] == 30000
    assert template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] == ["*"]
    assert "HttpApiUrl" in template["Outputs"]


def test_topic_fans_out_to_queue_with_a_scoped_queue_policy():
    template = build(app([], queues=[ir.Queue("q", subscribed_topics=("t",))], topics=[ir.Topic("t", ("q",))]))
    sub = template["Resources"]["TToQSubscription"]["Properties"]
    assert sub["Protocol"] == "sqs" and sub["RawMessageDelivery"] is True
    statement = template["Resources"]["QQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": [{"Ref": "TTopic"}]}}


def test_state_machine_role_invokes_exactly_its_steps():
    steps = (ir.CallStep("a", function="charge"), ir.ReturnStep("r", value=None))
    wf = ir.Workflow("order", steps, triggers=(ir.HttpTrigger("POST", "/orders"),))

    def compile_asl(workflow, task_resource):
        return {"StartAt": "a", "States": {"a": {"Type": "Task", "Resource": task_resource("charge"), "End": True}}}

    template = build(app([fn("charge"), fn("other")], workflows={"order": wf}), compile_asl)
    machine = template["Resources"]["OrderStateMachine"]["Properties"]
    assert machine["Definition"]["States"]["a"]["Resource"] == "${ChargeArn}"
    assert machine["DefinitionSubstitutions"]["ChargeArn"]["Fn::Sub"].endswith(":function:svc-dev-charge")
    role = template["Resources"]["OrderStateMachineRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    resources = json.dumps(role["Statement"][0]["Resource"])
    assert "svc-dev-charge" in resources and "svc-dev-other" not in resources
    starter = template["Resources"]["StartOrderFunction"]["Properties"]
    assert starter["Handler"] == "sls_neutral.runtime.adapters.aws.start_workflow"
    assert starter["Events"]["Http0"]["Properties"]["Path"] == "/orders"
    assert grants_policy(template, "StartOrderRole")[0]["Action"] == ["states:StartExecution"]


# ---------------------------------------------------------------- checks
def codes(diagnostics):
    return sorted((d.code, d.severity) for d in diagnostics)


def test_checks_report_lambda_limits_with_positions():
    a = app([fn("slow", timeout=1000, memory=20000, line=7)])
    diags = check_app(a, SETTINGS)
    assert codes(diags) == [("aws-memory", "error"), ("aws-timeout", "error")]
    assert all(d.position.line == 7 for d in diags)


def test_visibility_timeout_shorter_than_consumer_is_an_error():
    a = app([fn("w", ir.QueueTrigger("q"), timeout=60)], queues=[ir.Queue("q", visibility_timeout=30)])
    [diag] = check_app(a, SETTINGS)
    assert diag.code == "aws-visibility" and "at least 60s" in diag.hint


def test_http_timeout_over_30s_warns_and_overlapping_bucket_filters_fail():
    a = app([fn("api", ir.HttpTrigger("GET", "/"), timeout=45),
             fn("a", ir.BucketTrigger("b", ("created",), prefix="up/")),
             fn("c", ir.BucketTrigger("b", ("created",), prefix="up/img/"))], buckets=["b"])
    assert codes(check_app(a, SETTINGS)) == [("aws-bucket-overlap", "error"), ("aws-http-timeout", "warning")]


def test_fifo_batches_and_cron_day_fields_are_checked():
    a = app([fn("w", ir.QueueTrigger("q", 50)), fn("s", ir.ScheduleTrigger("0 0 1 * 1", None))],
            queues=[ir.Queue("q", fifo=True)])
    assert codes(check_app(a, SETTINGS)) == [("aws-batch", "error"), ("aws-schedule", "error")]


# ---------------------------------------------------------------- observability
def test_observability_maps_to_tracing_retention_and_three_alarms_per_function():
    application = app([fn("api", ir.HttpTrigger("GET", "/a"), timeout=20.0), fn("worker", ir.QueueTrigger("jobs"))],
                      queues=[ir.Queue("jobs", visibility_timeout=60)])
    application = application.replace(observability=ir.Observability(
        tracing=True, log_retention_days=14, alarms=("duration", "errors", "throttles"),
        error_rate_threshold=0.1, duration_threshold=0.5))
    resources = build(application)["Resources"]
    api = resources["ApiFunction"]["Properties"]
    assert api["Tracing"] == "Active"
    tracing = next(p for p in resources["ApiRole"]["Properties"]["Policies"] if p["PolicyName"] == "tracing")
    assert tracing["PolicyDocument"]["Statement"][0]["Action"] == ["xray:PutTelemetryRecords",
                                                                  "xray:PutTraceSegments"]
    assert resources["ApiLogGroup"]["Properties"] == {"LogGroupName": "/aws/lambda/svc-dev-api",
                                                      "RetentionInDays": 14}
    alarms = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert sorted(alarms) == sorted(f"{f}{k}Alarm" for f in ("Api", "Worker")
                                    for k in ("Errors", "Duration", "Throttles"))
    dims = [{"Name": "FunctionName", "Value": {"Ref": "ApiFunction"}}]
    errors = alarms["ApiErrorsAlarm"]
    assert errors["Threshold"] == 0.1 and errors["ComparisonOperator"] == "GreaterThanThreshold"
    assert errors["TreatMissingData"] == "notBreaching" and errors["AlarmName"] == "svc-dev-api-errors"
    stats = {m["Id"]: m for m in errors["Metrics"]}
    assert stats["errors"]["MetricStat"]["Metric"] == {"Dimensions": dims, "MetricName": "Errors",
                                                      "Namespace": "AWS/Lambda"}
    assert stats["invocations"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert [m["Id"] for m in errors["Metrics"] if m["ReturnData"]] == ["rate"]
    assert stats["rate"]["Expression"] == "IF(invocations > 0, errors / invocations, 0)"
    duration = alarms["ApiDurationAlarm"]
    assert (duration["MetricName"], duration["Statistic"], duration["Threshold"]) == ("Duration", "Maximum", 10000)
    assert alarms["WorkerDurationAlarm"]["Threshold"] == 5000 and duration["Dimensions"] == dims
    throttles = alarms["ApiThrottlesAlarm"]
    assert (throttles["MetricName"], throttles["Statistic"], throttles["Threshold"]) == ("Throttles", "Sum", 0)


def test_observability_alarms_are_only_the_ones_asked_for():
    application = app([fn("api", ir.HttpTrigger("GET", "/a"))]).replace(
        observability=ir.Observability(tracing=False, alarms=("throttles",)))
    resources = build(application)["Resources"]
    assert [k for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"] == ["ApiThrottlesAlarm"]
    assert "Tracing" not in resources["ApiFunction"]["Properties"] and "ApiLogGroup" not in resources
    plain = build(app([fn("api", ir.HttpTrigger("GET", "/a"))]))["Resources"]
    assert not any(v["Type"] == "AWS::CloudWatch::Alarm" for v in plain.values())
