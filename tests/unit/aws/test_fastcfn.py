"""The native SAM expansion (providers/aws/fastcfn.py) against aws-sam-translator, template by template.

Every template the provider writes for the examples, for generated services (split into nested stacks
or not) and for hand-made feature variants must translate to the very same CloudFormation; a template
outside the supported part must fall back to samtranslator.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from sls_neutral.providers.aws import stacks
from sls_neutral.providers.aws.fastcfn import Unsupported, translate_fast
from sls_neutral.providers.aws.translate import _sorted, translate, translate_with_samtranslator, with_s3_code

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


def canonical(cfn: dict) -> str:
    """Bytes to compare; a bucket's DependsOn is in set order in samtranslator (hash seed), so sort it."""
    cfn = copy.deepcopy(cfn)
    for resource in cfn.get("Resources", {}).values():
        if isinstance(resource.get("DependsOn"), list):
            resource["DependsOn"] = sorted(resource["DependsOn"])
    return json.dumps(cfn, indent=2, sort_keys=True)


def assert_same(sam: dict) -> None:
    fast = _sorted(translate_fast(copy.deepcopy(sam)))
    reference = translate_with_samtranslator(sam)
    assert canonical(fast) == canonical(reference)


def sam_of(config: Path, *, settings: dict | None = None) -> dict:
    from sls_neutral.core.pipeline import Project
    from sls_neutral.providers.aws.sam import build_sam_template

    app = Project(config).app_for("aws")
    sam = build_sam_template(app, {**app.settings("aws"), **(settings or {})})
    keys = {r["Properties"]["CodeUri"]: f"svc/dev/code/{i:064x}.zip"
            for i, r in enumerate(sam["Resources"].values()) if r["Type"] == "AWS::Serverless::Function"}
    return with_s3_code(sam, keys)


EXAMPLE_MANIFESTS = sorted(p for p in EXAMPLES.glob("*/sls-neutral.yaml") if "knative" not in str(p))


@pytest.mark.parametrize("manifest", EXAMPLE_MANIFESTS, ids=lambda p: p.parent.name)
def test_examples_translate_like_samtranslator(manifest):
    try:
        sam = sam_of(manifest)
    except Exception as exc:  # an example that does not target AWS
        pytest.skip(f"{manifest.parent.name}: {exc}")
    assert_same(sam)


def _fn(name: str, events: dict | None = None, **extra) -> dict:
    props = {"Architectures": ["x86_64"], "CodeUri": {"Bucket": {"Ref": "DeploymentBucket"}, "Key": "k.zip"},
             "Environment": {"Variables": {"X": {"Fn::Sub": "${Q}"}}}, "FunctionName": name, "Handler": "h.h",
             "MemorySize": 128, "Role": {"Fn::GetAtt": ["R", "Arn"]}, "Runtime": "python3.12",
             "Tags": {"team": "x", "sls-neutral:service": "s"}, "Timeout": 3}
    if events:
        props["Events"] = events
    props.update(extra)
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def _http(method: str, path: str, **extra) -> dict:
    props = {"ApiId": {"Ref": "HttpApi"}, "Method": method, "Path": path, "PayloadFormatVersion": "2.0",
             "TimeoutInMillis": 3000, **extra}
    return {"Type": "HttpApi", "Properties": props}


def variants() -> dict[str, dict]:
    base_resources = {
        "Bk": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "x", "Tags": [{"Key": "a", "Value": "1"}]}},
        "Q": {"Type": "AWS::SQS::Queue", "Properties": {}}, "T": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
    }
    api = {"HttpApi": {"Type": "AWS::Serverless::HttpApi", "Properties": {"Tags": {"b": "2", "a": "1"}}}}
    cors_api = {"HttpApi": {"Type": "AWS::Serverless::HttpApi", "Properties": {"Tags": {"a": "1"}, "CorsConfiguration": {
        "AllowHeaders": ["*"], "AllowMethods": ["GET", "POST"], "AllowOrigins": ["*"]}}}}
    out = {
        "routes": {**base_resources, **cors_api, "AFunction": _fn("a", {
            "Http0": _http("ANY", "/{proxy+}"), "Http1": _http("GET", "/x/{id}/y/{z}"),
            "Http2": _http("POST", "/x/{id}/y/{z}"), "Http3": _http("GET", "/"), "Http4": _http("DELETE", "/a/{id}/{id}"),
            "Http5": _http("PUT", "/files/{path+}")}, Tracing="Active", ReservedConcurrentExecutions=5,
            Description="desc")},
        "events": {**base_resources, "BFunction": _fn("b", {
            "Queue0": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Q", "Arn"]}, "BatchSize": 50,
                                                      "Enabled": True, "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                                      "MaximumBatchingWindowInSeconds": 1}},
            "Queue1": {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": ["Q", "Arn"]}}},
            "Bucket0": {"Type": "S3", "Properties": {"Bucket": {"Ref": "Bk"},
                                                     "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}},
            "Bucket1": {"Type": "S3", "Properties": {"Bucket": {"Ref": "Bk"}, "Events": "s3:ObjectCreated:*", "Filter": {
                "S3Key": {"Rules": [{"Name": "prefix", "Value": "p/"}]}}}},
            "Schedule2": {"Type": "ScheduleV2", "Properties": {"Input": "{}", "ScheduleExpression": "rate(1 hour)",
                                                               "ScheduleExpressionTimezone": "UTC"}},
            "Schedule3": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(2 hours)"}}}),
            "CFunction": _fn("c", {"Bucket0": {"Type": "S3", "Properties": {"Bucket": {"Ref": "Bk"},
                                                                          "Events": ["s3:ObjectCreated:*"]}},
                                   "Topic1": {"Type": "SNS", "Properties": {"Topic": {"Ref": "T"}}}}),
            "DFunction": _fn("d", Tags={})},
        "machine": {**base_resources, **api, "SM": {"Type": "AWS::Serverless::StateMachine", "Properties": {
            "Name": "sm", "Type": "STANDARD", "Definition": {"StartAt": "A", "Comment": "é ünïcode", "States": {
                "A": {"Type": "Task", "Resource": "${FnArn}", "End": True}}},
            "Role": {"Fn::GetAtt": ["R", "Arn"]}, "Tags": {"a": "1"}, "DefinitionSubstitutions": {"FnArn": "y"},
            "Events": {"Schedule0": {"Type": "ScheduleV2", "Properties": {
                "Input": "{\"a\":1}", "ScheduleExpression": "rate(1 hour)", "ScheduleExpressionTimezone": "Europe/Paris"}}}}}},
        "empty-api": {**api},
    }
    templates = {}
    for name, resources in out.items():
        templates[name] = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
                           "Description": name, "Parameters": {"DeploymentBucket": {"Type": "String"}},
                           "Resources": resources, "Outputs": {"O": {"Value": {"Ref": next(iter(resources))}}}}
    return templates


@pytest.mark.parametrize("name", sorted(variants()))
def test_feature_variants_translate_like_samtranslator(name):
    assert_same(variants()[name])


@pytest.mark.parametrize("change", [
    lambda t: t["Resources"]["AFunction"]["Properties"].update(AutoPublishAlias="live"),
    lambda t: t["Resources"]["AFunction"]["Properties"].update(Policies=["AWSLambdaBasicExecutionRole"]),
    lambda t: t["Resources"]["AFunction"]["Properties"].pop("Role"),
    lambda t: t["Resources"]["AFunction"].update(Condition="IsProd"),
    lambda t: t["Resources"]["AFunction"]["Properties"]["Events"]["Http0"]["Properties"].update(Auth={}),
    lambda t: t["Resources"].update(Api={"Type": "AWS::Serverless::Api", "Properties": {"StageName": "x"}}),
    lambda t: t.update(Globals={"Function": {"Timeout": 3}}),
])
def test_anything_else_falls_back_to_samtranslator(change):
    template = variants()["routes"]
    change(template)
    with pytest.raises(Unsupported):
        translate_fast(copy.deepcopy(template))


def test_fallback_gives_samtranslator_output():
    template = variants()["routes"]
    template["Resources"]["AFunction"]["Properties"]["AutoPublishAlias"] = "live"
    assert canonical(translate(template)) == canonical(translate_with_samtranslator(template))


def test_nested_stack_layout_is_identical_with_either_translator(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO))
    from bench.gen import generate

    root = generate(200, tmp_path / "svc")
    from sls_neutral.core.pipeline import Project
    from sls_neutral.providers.aws.sam import build_sam_template

    app = Project(root).app_for("aws")
    settings = app.settings("aws")
    sam = build_sam_template(app, settings)
    keys = {r["Properties"]["CodeUri"]: f"bench/dev/code/{i:064x}.zip"
            for i, r in enumerate(sam["Resources"].values()) if r["Type"] == "AWS::Serverless::Function"}
    fast = stacks.layout(app, copy.deepcopy(sam), keys, settings["region"])
    monkeypatch.setenv("SLSN_AWS_TRANSLATOR", "samtranslator")
    reference = stacks.layout(app, copy.deepcopy(sam), keys, settings["region"])
    assert len(fast.cfn_files) > 1  # nested stacks
    assert sorted(fast.cfn_files) == sorted(reference.cfn_files)
    for path in fast.cfn_files:
        assert canonical(fast.cfn_files[path]) == canonical(reference.cfn_files[path]), path
    assert json.dumps(fast.sam_files, sort_keys=True) == json.dumps(reference.sam_files, sort_keys=True)
