"""IR -> SAM template (a plain dict, written by yamlout).

One AWS::Serverless::Function per function with its own IAM role built from
its grants; queues, DLQs, topics (with SQS subscriptions and queue policies),
buckets, state machines from the ASL compiler, an HTTP API for every http
trigger, and outputs. Values known only at deploy time (queue URLs, topic
ARNs, the account id) reach functions through ``Fn::Sub`` in
``SLSN_RESOURCES``; secrets are referenced by name and read at runtime.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

from sls_neutral.core import ir
from sls_neutral.core.artifacts import compact_json_text
from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.aws import iam
from sls_neutral.providers.aws.cron import CronError, schedule_expression
from sls_neutral.providers.aws.names import (Names, bucket_arn_sub, function_arn_sub, log_group_arn_sub,
                                             logical_id, secret_arn_sub, state_machine_arn_sub)

TRANSFORM = "AWS::Serverless-2016-10-31"
ADAPTER_HANDLER = "sls_neutral.runtime.adapters.aws.handler"
STARTER_HANDLER = "sls_neutral.runtime.adapters.aws.start_workflow"
HTTP_API = "HttpApi"
PYTHON_RUNTIME = {"python3.11": "python3.11", "python3.12": "python3.12", "python3.13": "python3.13"}
HTTP_INTEGRATION_TIMEOUT_S = 30
STARTER_CODE = "functions/_workflow-starter.zip"
ALARM_PERIOD_S = 300
ALARM_KINDS = ("ErrorsAlarm", "DurationAlarm", "ThrottlesAlarm")


def function_code_path(name: str) -> str:
    return f"functions/{name}.zip"


def sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def _tags_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


class TemplateBuilder:
    """Builds the SAM template of one app; ``compile_asl`` is injected so tests can use the real one."""

    def __init__(self, app: ir.App, settings: dict[str, Any], compile_asl: Callable[..., dict] | None = None):
        self.app = app
        self.settings = settings
        self.names = Names(app.service, app.stage)
        self.compile_asl = compile_asl
        self.tags = {**dict(app.tags), **dict(settings.get("tags") or {}),
                     "sls-neutral:service": app.service, "sls-neutral:stage": app.stage}
        self.resources: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}

    # ------------------------------------------------------------ references
    def queue_id(self, name: str) -> str:
        return logical_id(name, "Queue")

    def topic_id(self, name: str) -> str:
        return logical_id(name, "Topic")

    def bucket_id(self, name: str) -> str:
        return logical_id(name, "Bucket")

    def function_id(self, name: str) -> str:
        return logical_id(name, "Function")

    def workflow_id(self, name: str) -> str:
        return logical_id(name, "StateMachine")

    def arn(self, kind: str, name: str, target: str) -> Any:
        """The IAM resource ARN expression of one resource."""
        if kind == "bucket":
            base = bucket_arn_sub(self.names.bucket_sub(name))
            return sub(base + "/*") if target == "objects" else sub(base)
        if kind == "queue":
            return {"Fn::GetAtt": [self.queue_id(name), "Arn"]}
        if kind == "topic":
            return {"Ref": self.topic_id(name)}
        if kind == "secret":
            return sub(secret_arn_sub(self.names.secret(name)))
        if kind == "workflow":
            return sub(state_machine_arn_sub(self.names.state_machine(name)))
        if kind == "function":
            return sub(function_arn_sub(self.names.function(name)))
        raise SlsnError(f"unknown resource kind '{kind}'")

    def physical_placeholder(self, kind: str, name: str) -> str:
        """The value of ``kind:name`` in SLSN_RESOURCES, as Fn::Sub text."""
        if kind == "bucket":
            return self.names.bucket_sub(name)
        if kind == "queue":
            return "${" + self.queue_id(name) + "}"  # Ref of a queue is its URL
        if kind == "topic":
            return "${" + self.topic_id(name) + "}"  # Ref of a topic is its ARN
        if kind == "secret":
            return self.names.secret(name)
        if kind == "workflow":
            return state_machine_arn_sub(self.names.state_machine(name))
        if kind == "function":
            return self.names.function(name)
        raise SlsnError(f"unknown resource kind '{kind}'")

    # ------------------------------------------------------------ build
    def build(self) -> dict[str, Any]:
        for queue in self.app.queues.values():
            self._queue(queue)
        for topic in self.app.topics.values():
            self._topic(topic)
        for bucket in self.app.buckets.values():
            self._bucket(bucket)
        if self.app.http_routes:
            self._http_api()
        for function in self.app.functions.values():
            self._function(function)
        for workflow in self.app.workflows.values():
            self._workflow(workflow)
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": TRANSFORM,
            "Description": f"sls-neutral service {self.app.service} (stage {self.app.stage})",
            "Resources": dict(sorted(self.resources.items())),
        }
        if self.outputs:
            template["Outputs"] = dict(sorted(self.outputs.items()))
        return template

    def _queue(self, queue: ir.Queue) -> None:
        props: dict[str, Any] = {
            "QueueName": self.names.queue(queue.name, queue.fifo),
            "VisibilityTimeout": int(math.ceil(queue.visibility_timeout)),
            "MessageRetentionPeriod": int(math.ceil(queue.retention)),
            "SqsManagedSseEnabled": True,
            "Tags": _tags_list(self.tags),
        }
        if queue.delay:
            props["DelaySeconds"] = int(math.ceil(queue.delay))
        if queue.fifo:
            props["FifoQueue"] = True
            props["ContentBasedDeduplication"] = True
        if queue.dead_letter:
            props["RedrivePolicy"] = {"deadLetterTargetArn": {"Fn::GetAtt": [self.queue_id(queue.dead_letter), "Arn"]},
                                      "maxReceiveCount": int(queue.max_receives or 5)}
        qid = self.queue_id(queue.name)
        self.resources[qid] = {"Type": "AWS::SQS::Queue", "Properties": dict(sorted(props.items()))}
        self.outputs[qid + "Url"] = {"Description": f"URL of queue '{queue.name}'", "Value": {"Ref": qid}}

    def _topic(self, topic: ir.Topic) -> None:
        tid = self.topic_id(topic.name)
        self.resources[tid] = {"Type": "AWS::SNS::Topic", "Properties": {
            "Tags": _tags_list(self.tags), "TopicName": self.names.topic(topic.name)}}
        for qname in topic.queues:
            qid = self.queue_id(qname)
            self.resources[logical_id(f"{topic.name}-to-{qname}", "Subscription")] = {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"Endpoint": {"Fn::GetAtt": [qid, "Arn"]}, "Protocol": "sqs",
                               "RawMessageDelivery": True, "TopicArn": {"Ref": tid}}}
        for qname in topic.queues:
            self._queue_policy(qname)

    def _queue_policy(self, qname: str) -> None:
        """One policy per queue, allowing exactly the topics subscribed to it."""
        pid = logical_id(qname, "QueuePolicy")
        if pid in self.resources:
            return
        topics = sorted(t.name for t in self.app.topics.values() if qname in t.queues)
        qid = self.queue_id(qname)
        self.resources[pid] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "sqs:SendMessage", "Condition": {"ArnEquals": {"aws:SourceArn": [
                    {"Ref": self.topic_id(t)} for t in topics]}},
                "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Resource": {"Fn::GetAtt": [qid, "Arn"]}}]},
            "Queues": [{"Ref": qid}]}}

    def _bucket(self, bucket: ir.Bucket) -> None:
        props: dict[str, Any] = {
            "BucketName": sub(self.names.bucket_sub(bucket.name)),
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "Tags": _tags_list(self.tags),
        }
        if bucket.versioning:
            props["VersioningConfiguration"] = {"Status": "Enabled"}
        self.resources[self.bucket_id(bucket.name)] = {"Type": "AWS::S3::Bucket",
                                                       "Properties": dict(sorted(props.items()))}

    def _http_api(self) -> None:
        props: dict[str, Any] = {"Tags": dict(sorted(self.tags.items()))}
        cors = [t for t, _, _ in self.app.http_routes if t.cors]
        if cors:
            methods = sorted({t.method for t in cors})
            props["CorsConfiguration"] = {"AllowHeaders": ["*"], "AllowMethods": ["*"] if "ANY" in methods
                                          else methods, "AllowOrigins": ["*"]}
        self.resources[HTTP_API] = {"Type": "AWS::Serverless::HttpApi", "Properties": props}
        self.outputs["HttpApiUrl"] = {"Description": "Base URL of the HTTP API", "Value": sub(
            "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/")}

    # ------------------------------------------------------------ functions
    def environment(self, fn: ir.Function, grants: tuple[ir.Grant, ...], extra: dict[str, str] | None = None
                    ) -> dict[str, Any]:
        resources: dict[str, str] = {}
        for grant in grants:
            for name, _action in iam.expand(self.app, grant):
                resources[f"{grant.kind}:{name}"] = self.physical_placeholder(grant.kind, name)
        for secret in fn.secret_environment.values():
            resources[f"secret:{secret}"] = self.names.secret(secret)
        env: dict[str, Any] = dict(fn.environment)
        env.update({
            "SLSN_PROVIDER": "aws",
            "SLSN_SERVICE": self.app.service,
            "SLSN_STAGE": self.app.stage,
            "SLSN_FUNCTION": fn.name,
            "SLSN_HANDLER": f"{fn.module}:{fn.handler_function}",
            "SLSN_GRANTS": ",".join(sorted({g.scope for g in grants})),
            "SLSN_SECRET_ENV": compact_json_text(dict(fn.secret_environment)),
            "SLSN_TIMEOUT_MS": str(int(fn.timeout * 1000)),
        })
        triggers = self.trigger_names(fn)
        if triggers:
            env["SLSN_TRIGGERS"] = compact_json_text(triggers)
        text = compact_json_text(resources)
        env["SLSN_RESOURCES"] = sub(text) if "${" in text else text
        env.update(extra or {})
        return dict(sorted(env.items()))

    def trigger_names(self, fn: ir.Function) -> dict[str, str]:
        """Physical name (a bucket's: its name prefix) -> neutral name of what triggers ``fn`` (the adapter
        names event sources with it)."""
        out = {}
        for trigger in fn.triggers:
            if isinstance(trigger, ir.QueueTrigger):
                queue = self.app.queues.get(trigger.queue)
                out[f"queue:{self.names.queue(trigger.queue, bool(queue and queue.fifo))}"] = trigger.queue
            elif isinstance(trigger, ir.TopicTrigger):
                out[f"topic:{self.names.topic(trigger.topic)}"] = trigger.topic
            elif isinstance(trigger, ir.BucketTrigger):
                prefix = self.names.bucket_sub(trigger.bucket).split("${", 1)[0]
                out[f"bucket:{prefix}"] = trigger.bucket
        return dict(sorted(out.items()))

    def role(self, role_id: str, physical_function: str, statements: list[dict[str, Any]]) -> None:
        policies = [{"PolicyName": "logs", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
            "Resource": [sub(log_group_arn_sub(physical_function)),
                         sub(log_group_arn_sub(physical_function) + ":*")]}]}}]
        if self.app.observability.tracing:
            # X-Ray accepts no resource-level scoping for segments: "*" is the only valid resource.
            policies.append({"PolicyName": "tracing", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Effect": "Allow",
                "Resource": "*"}]}})
        if statements:
            policies.append({"PolicyName": "grants", "PolicyDocument": {"Version": "2012-10-17",
                                                                        "Statement": statements}})
        self.resources[role_id] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]},
            "Policies": policies, "Tags": _tags_list(self.tags)}}

    def _function(self, fn: ir.Function) -> None:
        fid = self.function_id(fn.name)
        role_id = logical_id(fn.name, "Role")
        physical = self.names.function(fn.name)
        self.role(role_id, physical, iam.statements(self.app, fn.grants, self.arn))
        events: dict[str, Any] = {}
        for index, trigger in enumerate(fn.triggers):
            events.update(self._event(fn, index, trigger))
        props: dict[str, Any] = {
            "FunctionName": physical,
            "Handler": ADAPTER_HANDLER,
            "Runtime": PYTHON_RUNTIME.get(fn.runtime, fn.runtime),
            "Architectures": [self.settings.get("architecture") or "x86_64"],
            "MemorySize": int(fn.memory),
            "Timeout": int(math.ceil(fn.timeout)),
            "CodeUri": function_code_path(fn.name),
            "Role": {"Fn::GetAtt": [role_id, "Arn"]},
            "Environment": {"Variables": self.environment(fn, fn.grants)},
            "Tags": dict(sorted(self.tags.items())),
        }
        if fn.description:
            props["Description"] = fn.description[:256]
        if events:
            props["Events"] = dict(sorted(events.items()))
        if fn.max_instances:
            props["ReservedConcurrentExecutions"] = int(fn.max_instances)
        if fn.warm:
            props["AutoPublishAlias"] = "live"
            props["ProvisionedConcurrencyConfig"] = {"ProvisionedConcurrentExecutions": int(fn.warm)}
        if self.app.observability.tracing:
            props["Tracing"] = "Active"
        self.resources[fid] = {"Type": "AWS::Serverless::Function", "Properties": dict(sorted(props.items()))}
        if self.app.observability.log_retention_days:
            self.resources[logical_id(fn.name, "LogGroup")] = {"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": f"/aws/lambda/{physical}",
                "RetentionInDays": int(self.app.observability.log_retention_days)}}
        self._alarms(fn, fid, physical)

    def _alarms(self, fn: ir.Function, fid: str, physical: str) -> None:
        """The observability plugin's alarms as CloudWatch alarms on the function's AWS/Lambda metrics, each
        over one 5-minute period: ``errors`` - the failed share of invocations (metric math) above
        ``error_rate_threshold``; ``duration`` - the longest invocation above ``duration_threshold`` of the
        timeout; ``throttles`` - any throttled invocation. No actions: subscribe to them in CloudWatch."""
        obs = self.app.observability
        if not obs.alarms:
            return
        dimensions = [{"Name": "FunctionName", "Value": {"Ref": fid}}]

        def metric(name: str, stat: str) -> dict[str, Any]:
            return {"Metric": {"Dimensions": dimensions, "MetricName": name, "Namespace": "AWS/Lambda"},
                    "Period": ALARM_PERIOD_S, "Stat": stat}

        common = {"EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
                  "TreatMissingData": "notBreaching"}
        who = f"{self.app.service} ({self.app.stage}) {fn.name}"
        if "errors" in obs.alarms:
            rate = float(obs.error_rate_threshold)
            self.resources[logical_id(fn.name, "ErrorsAlarm")] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                **common, "AlarmName": f"{physical}-errors", "Threshold": rate,
                "AlarmDescription": f"{who}: more than {rate:.0%} of invocations failed in 5 minutes",
                "Metrics": [
                    {"Id": "errors", "MetricStat": metric("Errors", "Sum"), "ReturnData": False},
                    {"Id": "invocations", "MetricStat": metric("Invocations", "Sum"), "ReturnData": False},
                    {"Expression": "IF(invocations > 0, errors / invocations, 0)", "Id": "rate",
                     "Label": "error rate", "ReturnData": True}]}}
        if "duration" in obs.alarms:
            limit_ms = int(fn.timeout * 1000 * float(obs.duration_threshold))
            self.resources[logical_id(fn.name, "DurationAlarm")] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                **common, "AlarmName": f"{physical}-duration", "Threshold": limit_ms,
                "AlarmDescription": f"{who}: an invocation took more than {limit_ms} ms "
                                    f"({float(obs.duration_threshold):.0%} of its timeout)",
                "Dimensions": dimensions, "MetricName": "Duration", "Namespace": "AWS/Lambda",
                "Period": ALARM_PERIOD_S, "Statistic": "Maximum", "Unit": "Milliseconds"}}
        if "throttles" in obs.alarms:
            self.resources[logical_id(fn.name, "ThrottlesAlarm")] = {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                **common, "AlarmName": f"{physical}-throttles", "Threshold": 0,
                "AlarmDescription": f"{who}: invocations were throttled",
                "Dimensions": dimensions, "MetricName": "Throttles", "Namespace": "AWS/Lambda",
                "Period": ALARM_PERIOD_S, "Statistic": "Sum"}}

    def _event(self, fn: ir.Function, index: int, trigger: ir.Trigger) -> dict[str, Any]:
        if isinstance(trigger, ir.HttpTrigger):
            return {f"Http{index}": self.http_event(trigger, fn.timeout)}
        if isinstance(trigger, ir.QueueTrigger):
            props: dict[str, Any] = {"Queue": {"Fn::GetAtt": [self.queue_id(trigger.queue), "Arn"]},
                                     "BatchSize": int(trigger.batch_size),
                                     "FunctionResponseTypes": ["ReportBatchItemFailures"], "Enabled": True}
            if trigger.batch_size > 10:
                props["MaximumBatchingWindowInSeconds"] = 1
            return {f"Queue{index}": {"Type": "SQS", "Properties": dict(sorted(props.items()))}}
        if isinstance(trigger, ir.TopicTrigger):
            return {f"Topic{index}": {"Type": "SNS", "Properties": {"Topic": {"Ref": self.topic_id(trigger.topic)}}}}
        if isinstance(trigger, ir.ScheduleTrigger):
            return {f"Schedule{index}": self.schedule_event(trigger, f"{fn.name}:{index}")}
        if isinstance(trigger, ir.BucketTrigger):
            events = sorted({"created": "s3:ObjectCreated:*", "deleted": "s3:ObjectRemoved:*"}[e]
                            for e in trigger.events)
            props = {"Bucket": {"Ref": self.bucket_id(trigger.bucket)}, "Events": events}
            rules = [{"Name": k, "Value": v} for k, v in (("prefix", trigger.prefix), ("suffix", trigger.suffix)) if v]
            if rules:
                props["Filter"] = {"S3Key": {"Rules": rules}}
            return {f"Bucket{index}": {"Type": "S3", "Properties": props}}
        raise SlsnError(f"unknown trigger kind on function '{fn.name}'")

    def http_event(self, trigger: ir.HttpTrigger, timeout: float) -> dict[str, Any]:
        millis = int(min(HTTP_INTEGRATION_TIMEOUT_S, max(1, math.ceil(timeout))) * 1000)
        return {"Type": "HttpApi", "Properties": {
            "ApiId": {"Ref": HTTP_API}, "Method": trigger.method.upper() if trigger.method != "ANY" else "ANY",
            "Path": trigger.path, "PayloadFormatVersion": "2.0", "TimeoutInMillis": millis}}

    def schedule_event(self, trigger: ir.ScheduleTrigger, who: str) -> dict[str, Any]:
        try:
            expression = schedule_expression(trigger.cron, trigger.rate)
        except CronError as exc:
            raise SlsnError(f"{who}: {exc}", hint="see 'sls-neutral validate -p aws'") from exc
        # EventBridge Scheduler substitutes the <aws.scheduler.*> placeholders when it fires.
        payload = {"slsn": "schedule", "schedule": who, "time": "<aws.scheduler.scheduled-time>",
                   "id": "<aws.scheduler.execution-id>", "data": trigger.data}
        return {"Type": "ScheduleV2", "Properties": {
            "Input": json.dumps(payload, sort_keys=True, separators=(",", ":")),
            "ScheduleExpression": expression, "ScheduleExpressionTimezone": trigger.timezone or "UTC"}}

    # ------------------------------------------------------------ workflows
    def _workflow(self, wf: ir.Workflow) -> None:
        if self.compile_asl is None:
            raise SlsnError(f"workflow '{wf.name}' cannot be compiled for AWS: the ASL compiler "
                            "(sls_neutral.core.workflows.asl) is not installed", position=wf.source,
                            hint="upgrade sls-neutral; every release ships the ASL compiler")
        sid = self.workflow_id(wf.name)
        physical = self.names.state_machine(wf.name)
        substitutions = {}

        def task_resource(function_name: str) -> str:
            key = logical_id(function_name, "Arn")
            substitutions[key] = sub(function_arn_sub(self.names.function(function_name)))
            return "${" + key + "}"

        definition = self.compile_asl(wf, task_resource)
        role_id = logical_id(wf.name, "StateMachineRole")
        functions = [sub(function_arn_sub(self.names.function(f))) for f in wf.functions]
        functions += [sub(function_arn_sub(self.names.function(f)) + ":*") for f in wf.functions]
        statements = [{"Action": ["lambda:InvokeFunction"], "Effect": "Allow", "Resource": functions}] \
            if functions else []
        self.resources[role_id] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "steps", "PolicyDocument": {"Version": "2012-10-17",
                                                                    "Statement": statements}}] if statements else [],
            "Tags": _tags_list(self.tags)}}
        props: dict[str, Any] = {"Name": physical, "Type": "STANDARD", "Definition": definition,
                                 "Role": {"Fn::GetAtt": [role_id, "Arn"]}, "Tags": dict(sorted(self.tags.items()))}
        if substitutions:
            props["DefinitionSubstitutions"] = dict(sorted(substitutions.items()))
        events = {}
        for index, trigger in enumerate(wf.triggers):
            if isinstance(trigger, ir.ScheduleTrigger):
                event = self.schedule_event(trigger, f"{wf.name}:{index}")
                # A state machine receives the input document itself: the data plus the correlation envelope.
                event["Properties"]["Input"] = json.dumps(
                    trigger.data if trigger.data is not None else {}, sort_keys=True, separators=(",", ":"))
                events[f"Schedule{index}"] = event
            elif isinstance(trigger, ir.HttpTrigger):
                self._starter(wf, index, trigger)
        if events:
            props["Events"] = events
        self.resources[sid] = {"Type": "AWS::Serverless::StateMachine", "Properties": dict(sorted(props.items()))}
        self.outputs[sid + "Arn"] = {"Description": f"ARN of workflow '{wf.name}'", "Value": {"Ref": sid}}

    def _starter(self, wf: ir.Workflow, index: int, trigger: ir.HttpTrigger) -> None:
        """A small Lambda behind the route: StartExecution, then 202 {"execution_id"}."""
        physical = self.names.starter(wf.name)
        fid = logical_id(f"start-{wf.name}", "Function")
        role_id = logical_id(f"start-{wf.name}", "Role")
        grant = ir.Grant("workflow", wf.name, "start", implied=True)
        self.role(role_id, physical, iam.statements(self.app, (grant,), self.arn))
        existing = self.resources.get(fid)
        events = dict(existing["Properties"]["Events"]) if existing else {}
        events[f"Http{index}"] = self.http_event(trigger, HTTP_INTEGRATION_TIMEOUT_S)
        shim = ir.Function(name=f"start-{wf.name}", handler="", handler_file="", handler_function="",
                           module="", runtime=self.app.runtime, memory=128, timeout=10.0, environment={},
                           secret_environment={}, requirements=None, grants=(grant,), triggers=())
        env = self.environment(shim, (grant,), {"SLSN_STARTS": wf.name})
        env["SLSN_HANDLER"] = ""
        self.resources[fid] = {"Type": "AWS::Serverless::Function", "Properties": {
            "Architectures": [self.settings.get("architecture") or "x86_64"],
            "CodeUri": STARTER_CODE, "Environment": {"Variables": env}, "Events": dict(sorted(events.items())),
            "FunctionName": physical, "Handler": STARTER_HANDLER, "MemorySize": 128,
            "Role": {"Fn::GetAtt": [role_id, "Arn"]}, "Runtime": PYTHON_RUNTIME.get(self.app.runtime, self.app.runtime),
            "Tags": dict(sorted(self.tags.items())), "Timeout": 10}}


def build_sam_template(app: ir.App, settings: dict[str, Any]) -> dict[str, Any]:
    # the ASL compiler (and its condition grammar) is imported only for an app that has workflows
    return TemplateBuilder(app, settings, load_asl_compiler() if app.workflows else None).build()


def load_asl_compiler() -> Callable[..., dict] | None:
    try:
        from sls_neutral.core.workflows.asl import compile_asl
    except ImportError:
        return None
    return compile_asl

