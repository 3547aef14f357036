"""SAM -> CloudFormation for the templates this provider writes, without samtranslator.

aws-sam-translator is general and slow: it deep-copies the whole OpenAPI body
for every HTTP event (quadratic in routes) and costs ~10 ms per function, which
made it 90 % of ``package -p aws`` at 200 functions. The templates
:mod:`sls_neutral.providers.aws.sam` builds use a small, fixed part of SAM, so
this module expands exactly that part the way samtranslator 1.x does; the
output is byte-identical (``tests/unit/aws/test_fastcfn.py`` compares the two on
every example, generated services and feature variants).

Anything outside that part (another SAM resource type, an unknown property, an
event type or property we do not expand, resource attributes on a SAM resource,
``AutoPublishAlias``...) raises :class:`Unsupported`, and
:func:`sls_neutral.providers.aws.translate.translate` falls back to
samtranslator for the whole template: a template we cannot expand here is never
expanded wrongly.

One deliberate difference: when several S3 events notify one bucket,
samtranslator writes the bucket's ``DependsOn`` in ``set`` order (it changes
with ``PYTHONHASHSEED``); we write it sorted, so the bytes are stable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

TRANSFORM = "AWS::Serverless-2016-10-31"
_TOP_LEVEL = {"AWSTemplateFormatVersion", "Transform", "Description", "Parameters", "Resources", "Outputs"}
_FUNCTION_PROPS = {"Architectures", "CodeUri", "Description", "Environment", "Events", "FunctionName", "Handler",
                   "MemorySize", "ReservedConcurrentExecutions", "Role", "Runtime", "Tags", "Timeout", "Tracing"}
# SAM property -> Lambda property, copied as is
_FUNCTION_COPY = {"Architectures": "Architectures", "Description": "Description", "Environment": "Environment",
                  "FunctionName": "FunctionName", "Handler": "Handler", "MemorySize": "MemorySize",
                  "ReservedConcurrentExecutions": "ReservedConcurrentExecutions", "Role": "Role",
                  "Runtime": "Runtime", "Timeout": "Timeout"}
_HTTP_API_PROPS = {"Tags", "CorsConfiguration"}
_CORS_KEYS = {"AllowHeaders": "allowHeaders", "AllowMethods": "allowMethods", "AllowOrigins": "allowOrigins"}
_STATE_MACHINE_PROPS = {"Name", "Type", "Definition", "DefinitionSubstitutions", "Role", "Tags", "Events"}
_SQS_PROPS = {"Queue", "BatchSize", "Enabled", "FunctionResponseTypes", "MaximumBatchingWindowInSeconds"}
_SCHEDULE_PROPS = {"ScheduleExpression", "ScheduleExpressionTimezone", "Input"}
_HTTP_EVENT_PROPS = {"ApiId", "Method", "Path", "PayloadFormatVersion", "TimeoutInMillis"}
_RESERVED_TAG_PREFIXES = ("lambda:", "httpapi:", "stateMachine:", "aws:")
_PATH_WILDCARD = re.compile(r"{([a-zA-Z0-9._-]+|proxy\+)}")
_PATH_PARAM = re.compile("{(.*?)}")
_X_ANY = "x-amazon-apigateway-any-method"


class Unsupported(Exception):
    """The template uses SAM this module does not expand: translate it with samtranslator."""


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise Unsupported(what)


def _tags(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    _need(isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
          f"{where}: Tags must be a map of strings")
    _need(not any(k.startswith(_RESERVED_TAG_PREFIXES) for k in value), f"{where}: reserved tag key")
    return value


def _fn_sub_arn(service: str, resource: str) -> str:
    return f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"


def translate_fast(sam: Mapping[str, Any]) -> dict[str, Any]:
    """The CloudFormation template samtranslator would produce (keys unsorted); raise Unsupported otherwise."""
    _need(isinstance(sam, Mapping) and set(sam) <= _TOP_LEVEL, "top-level keys")
    _need(sam.get("Transform") == TRANSFORM, "transform")
    resources = sam.get("Resources")
    _need(isinstance(resources, Mapping), "Resources")
    out_resources: dict[str, Any] = {}
    functions, apis, machines = [], [], []
    for rid, resource in resources.items():
        _need(isinstance(resource, Mapping) and isinstance(resource.get("Type"), str), f"{rid}: Type")
        rtype = resource["Type"]
        if rtype.startswith("AWS::Serverless::"):
            _need(set(resource) <= {"Type", "Properties"}, f"{rid}: resource attributes on a SAM resource")
            _need(isinstance(resource.get("Properties"), Mapping), f"{rid}: Properties")
            if rtype == "AWS::Serverless::Function":
                functions.append(rid)
            elif rtype == "AWS::Serverless::HttpApi":
                apis.append(rid)
            elif rtype == "AWS::Serverless::StateMachine":
                machines.append(rid)
            else:
                raise Unsupported(f"{rid}: {rtype}")
        else:
            out_resources[rid] = resource  # plain CloudFormation passes through
    _need(not (set(out_resources) & {f"{a}ApiGatewayDefaultStage" for a in apis}), "stage id clash")

    paths: dict[str, dict[str, Any]] = {a: {} for a in apis}
    generated: dict[str, Any] = {}
    bucket_updates: dict[str, dict[str, Any]] = {}

    def add(rid: str, resource: dict[str, Any]) -> None:
        _need(rid not in resources and rid not in generated, f"{rid}: logical id clash")
        generated[rid] = resource

    # samtranslator's order: functions, then state machines, then APIs (events edit the API bodies first).
    for fid in functions:
        props = resources[fid]["Properties"]
        _need(set(props) <= _FUNCTION_PROPS, f"{fid}: function properties {sorted(set(props) - _FUNCTION_PROPS)}")
        _need("Role" in props, f"{fid}: no Role (SAM would create one)")
        code = props.get("CodeUri")
        _need(isinstance(code, Mapping) and set(code) == {"Bucket", "Key"}, f"{fid}: CodeUri")
        lam: dict[str, Any] = {"Code": {"S3Bucket": code["Bucket"], "S3Key": code["Key"]}}
        for sam_key, cfn_key in _FUNCTION_COPY.items():
            if sam_key in props:
                lam[cfn_key] = props[sam_key]
        tags = _tags(props.get("Tags"), fid)
        lam["Tags"] = [{"Key": "lambda:createdBy", "Value": "SAM"}] + [{"Key": k, "Value": v}
                                                                         for k, v in tags.items()]
        if "Tracing" in props:
            _need(props["Tracing"] == "Active", f"{fid}: Tracing")
            lam["TracingConfig"] = {"Mode": "Active"}
        out_resources[fid] = {"Type": "AWS::Lambda::Function", "Properties": lam}
        events = props.get("Events") or {}
        _need(isinstance(events, Mapping), f"{fid}: Events")
        for ename, event in sorted(events.items(), key=_order_events):
            _need(isinstance(event, Mapping) and set(event) == {"Type", "Properties"}
                  and isinstance(event["Properties"], Mapping), f"{fid}.{ename}: event shape")
            _function_event(fid, ename, event["Type"], event["Properties"], resources, paths, add, bucket_updates)

    for sid in machines:
        props = resources[sid]["Properties"]
        _need(set(props) <= _STATE_MACHINE_PROPS, f"{sid}: state machine properties")
        _need({"Definition", "Role"} <= set(props) and isinstance(props["Definition"], Mapping), f"{sid}: definition")
        sm: dict[str, Any] = {"DefinitionString": {"Fn::Join": ["\n", json.dumps(
            props["Definition"], sort_keys=True, indent=4, separators=(",", ": ")).split("\n")]},
            "RoleArn": props["Role"]}
        if "DefinitionSubstitutions" in props:
            sm["DefinitionSubstitutions"] = props["DefinitionSubstitutions"]
        if "Name" in props:
            sm["StateMachineName"] = props["Name"]
        if "Type" in props:
            sm["StateMachineType"] = props["Type"]
        tags = _tags(props.get("Tags"), sid)
        sm["Tags"] = [{"Key": "stateMachine:createdBy", "Value": "SAM"}] + [{"Key": k, "Value": v}
                                                                              for k, v in tags.items()]
        out_resources[sid] = {"Type": "AWS::StepFunctions::StateMachine", "Properties": sm}
        events = props.get("Events") or {}
        _need(isinstance(events, Mapping), f"{sid}: Events")
        for ename, event in sorted(events.items(), key=_order_events):
            _need(isinstance(event, Mapping) and set(event) == {"Type", "Properties"} and event["Type"] == "ScheduleV2"
                  and isinstance(event["Properties"], Mapping), f"{sid}.{ename}: event")
            _schedule(sid + ename, event["Properties"], {"Ref": sid}, "states:StartExecution", "StartExecutionPolicy",
                      add)

    for aid in apis:
        props = resources[aid]["Properties"]
        _need(set(props) <= _HTTP_API_PROPS and "Tags" in props, f"{aid}: HttpApi properties")
        tags = _tags(props["Tags"], aid)
        body: dict[str, Any] = {"info": {"title": {"Ref": "AWS::StackName"}, "version": "1.0"},
                                "openapi": "3.0.1", "paths": paths[aid],
                                "tags": [{"name": k, "x-amazon-apigateway-tag-value": v} for k, v in tags.items()]
                                + [{"name": "httpapi:createdBy", "x-amazon-apigateway-tag-value": "SAM"}]}
        if "CorsConfiguration" in props:
            cors = props["CorsConfiguration"]
            _need(isinstance(cors, Mapping) and set(cors) <= set(_CORS_KEYS), f"{aid}: CorsConfiguration")
            body["x-amazon-apigateway-cors"] = {_CORS_KEYS[k]: v for k, v in cors.items()}
        out_resources[aid] = {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": body}}
        add(f"{aid}ApiGatewayDefaultStage", {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {
            "ApiId": {"Ref": aid}, "AutoDeploy": True, "StageName": "$default",
            "Tags": {**tags, "httpapi:createdBy": "SAM"}}})

    for bid, update in bucket_updates.items():
        bucket = dict(out_resources[bid])
        bucket["Properties"] = {**bucket.get("Properties", {}),
                                "NotificationConfiguration": {"LambdaConfigurations": update["configs"]}}
        bucket["DependsOn"] = sorted(update["depends"])
        out_resources[bid] = bucket
    out_resources.update(generated)

    out: dict[str, Any] = {k: v for k, v in sam.items() if k not in ("Transform", "Resources")}
    out["Resources"] = out_resources
    return out


def _order_events(item: tuple[str, Any]) -> Any:
    """samtranslator's SamFunction.order_events: by Path when there is one, else by the event's name."""
    name, event = item
    if not isinstance(event, Mapping):
        return name
    props = event.get("Properties", {})
    return props.get("Path", name) if isinstance(props, Mapping) else name


def _permission(fid: str, principal: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": fid}, "Principal": principal, **extra}}


def _function_event(fid: str, ename: str, etype: str, props: Mapping[str, Any], resources: Mapping[str, Any],
                    paths: dict[str, dict[str, Any]], add, bucket_updates: dict[str, dict[str, Any]]) -> None:
    eid = fid + ename
    function_arn = {"Fn::GetAtt": [fid, "Arn"]}
    if etype == "HttpApi":
        _need(set(props) <= _HTTP_EVENT_PROPS and {"ApiId", "Method", "Path"} <= set(props), f"{eid}: HttpApi")
        api_ref = props["ApiId"]
        _need(isinstance(api_ref, Mapping) and set(api_ref) == {"Ref"} and api_ref["Ref"] in paths, f"{eid}: ApiId")
        method, path = props["Method"], props["Path"]
        _need(isinstance(method, str) and isinstance(path, str) and path.startswith("/") and "$" not in path
              and (path == "/" or not path.endswith("/")), f"{eid}: route")
        key = _X_ANY if method.lower() in ("any", _X_ANY) else method.lower()
        methods = paths[api_ref["Ref"]].setdefault(path, {})
        _need(key not in methods, f"{eid}: route defined twice")
        integration: dict[str, Any] = {
            "httpMethod": "POST", "payloadFormatVersion": props.get("PayloadFormatVersion", "2.0"),
            "type": "aws_proxy",
            "uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                               f"${{{fid}.Arn}}/invocations"}}
        if props.get("TimeoutInMillis"):
            integration["timeoutInMillis"] = props["TimeoutInMillis"]
        definition: dict[str, Any] = {"responses": {}, "x-amazon-apigateway-integration": integration}
        params = _PATH_PARAM.findall(path)
        if params:
            unique: list[str] = []
            for p in params:
                if p not in unique:
                    unique.append(p)
            definition["parameters"] = [{"in": "path", "name": p, "required": True} for p in unique]
        methods[key] = definition
        verb = "*" if key == _X_ANY else method.upper()
        source = _fn_sub_arn("execute-api", "${__ApiId__}/${__Stage__}/" + verb + _PATH_WILDCARD.sub("*", path))
        add(eid + "Permission", _permission(fid, "apigateway.amazonaws.com", SourceArn={
            "Fn::Sub": [source, {"__ApiId__": api_ref, "__Stage__": "*"}]}))
    elif etype == "SQS":
        _need(set(props) <= _SQS_PROPS and "Queue" in props, f"{eid}: SQS")
        mapping: dict[str, Any] = {"EventSourceArn": props["Queue"], "FunctionName": {"Ref": fid}}
        for k in ("BatchSize", "Enabled", "FunctionResponseTypes", "MaximumBatchingWindowInSeconds"):
            if k in props:
                mapping[k] = props[k]
        add(eid, {"Type": "AWS::Lambda::EventSourceMapping", "Properties": mapping})
    elif etype == "SNS":
        _need(set(props) == {"Topic"}, f"{eid}: SNS")
        add(eid, {"Type": "AWS::SNS::Subscription", "Properties": {
            "Endpoint": function_arn, "Protocol": "lambda", "TopicArn": props["Topic"]}})
        add(eid + "Permission", _permission(fid, "sns.amazonaws.com", SourceArn=props["Topic"]))
    elif etype == "ScheduleV2":
        _schedule(eid, props, function_arn, "lambda:InvokeFunction", "LambdaPolicy", add)
    elif etype == "S3":
        _need(set(props) <= {"Bucket", "Events", "Filter"} and {"Bucket", "Events"} <= set(props), f"{eid}: S3")
        ref = props["Bucket"]
        _need(isinstance(ref, Mapping) and set(ref) == {"Ref"} and isinstance(ref["Ref"], str), f"{eid}: Bucket")
        bid = ref["Ref"]
        bucket = resources.get(bid)
        _need(isinstance(bucket, Mapping) and bucket.get("Type") == "AWS::S3::Bucket"
              and set(bucket) <= {"Type", "Properties"} and isinstance(bucket.get("Properties", {}), Mapping)
              and "NotificationConfiguration" not in bucket.get("Properties", {}), f"{eid}: bucket {bid}")
        events = [props["Events"]] if isinstance(props["Events"], str) else props["Events"]
        _need(isinstance(events, list), f"{eid}: Events")
        add(eid + "Permission", _permission(fid, "s3.amazonaws.com", SourceAccount={"Ref": "AWS::AccountId"}))
        update = bucket_updates.setdefault(bid, {"configs": [], "depends": set()})
        update["depends"].add(eid + "Permission")
        for event_type in events:
            config: dict[str, Any] = {"Function": function_arn}
            if props.get("Filter") is not None:
                config["Filter"] = props["Filter"]
            config["Event"] = event_type
            if config not in update["configs"]:
                update["configs"].append(config)
    else:
        raise Unsupported(f"{eid}: event type {etype}")


def _schedule(eid: str, props: Mapping[str, Any], target_arn: Any, action: str, policy_suffix: str, add) -> None:
    _need(set(props) <= _SCHEDULE_PROPS and "ScheduleExpression" in props, f"{eid}: ScheduleV2")
    role_id = eid + "Role"
    schedule: dict[str, Any] = {"FlexibleTimeWindow": {"Mode": "OFF"}, "Name": eid,
                                "ScheduleExpression": props["ScheduleExpression"]}
    if "ScheduleExpressionTimezone" in props:
        schedule["ScheduleExpressionTimezone"] = props["ScheduleExpressionTimezone"]
    target: dict[str, Any] = {"Arn": target_arn, "RoleArn": {"Fn::GetAtt": [role_id, "Arn"]}}
    if "Input" in props:
        target["Input"] = props["Input"]
    schedule["Target"] = target
    add(eid, {"Type": "AWS::Scheduler::Schedule", "Properties": schedule})
    add(role_id, {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
                                                    "Principal": {"Service": ["scheduler.amazonaws.com"]}}],
                                     "Version": "2012-10-17"},
        "Policies": [{"PolicyDocument": {"Statement": [{"Action": action, "Effect": "Allow",
                                                        "Resource": target_arn}]},
                      "PolicyName": eid + policy_suffix}]}})
