"""Nested stacks: a 600-function service is split so every template fits CloudFormation's limits."""

from __future__ import annotations

import time

import pytest

from sls_neutral.core import ir
from sls_neutral.core.artifacts import canonical_json, sha256
from sls_neutral.providers.aws import stacks
from sls_neutral.providers.aws.translate import translate, with_s3_code
from sls_neutral.providers.aws.sam import TemplateBuilder, function_code_path

SETTINGS = {"region": "us-east-1", "architecture": "x86_64", "tags": {}}


def big_app(count: int) -> ir.App:
    queues = {f"q{i}": ir.Queue(f"q{i}", visibility_timeout=60) for i in range(8)}
    functions = {}
    for i in range(count):
        kind = i % 4
        trigger = (ir.HttpTrigger("GET", f"/r{i}/{{id}}") if kind == 0 else ir.QueueTrigger(f"q{i % 8}")
                   if kind == 1 else ir.TopicTrigger("news") if kind == 2 else ir.ScheduleTrigger(None, 300.0))
        functions[f"f{i:03d}"] = ir.Function(
            name=f"f{i:03d}", handler="src/h.py:h", handler_file="src/h.py", handler_function="h", module="src.h",
            runtime="python3.12", memory=256, timeout=10.0, environment={}, secret_environment={},
            requirements=None, grants=(ir.Grant("bucket", "files", "read"), ir.Grant("queue", f"q{i % 8}", "send")),
            triggers=(trigger,))
    functions["on-file"] = ir.Function(
        name="on-file", handler="src/h.py:h", handler_file="src/h.py", handler_function="h", module="src.h",
        runtime="python3.12", memory=256, timeout=10.0, environment={}, secret_environment={}, requirements=None,
        grants=(), triggers=(ir.BucketTrigger("files"),))
    return ir.App(service="big", stage="dev", runtime="python3.12", default_provider="aws", functions=functions,
                  queues=queues, topics={"news": ir.Topic("news")}, buckets={"files": ir.Bucket("files")},
                  secrets={}, workflows={}, provider_settings={"aws": SETTINGS})


def test_six_hundred_functions_split_within_limits():
    app = big_app(600)
    sam = TemplateBuilder(app, SETTINGS).build()
    keys = {function_code_path(name): f"big/dev/code/{i:064x}.zip" for i, name in enumerate(app.functions)}
    started = time.time()
    layout = stacks.layout(app, sam, keys, "us-east-1")
    assert time.time() - started < 60
    parent = layout.cfn_files[stacks.CFN_TEMPLATE]
    children = {p: t for p, t in layout.cfn_files.items() if p != stacks.CFN_TEMPLATE}
    assert len(children) >= 3
    for template in [parent, *children.values()]:
        assert stacks.violations(template) == []
    nested = [r for r in parent["Resources"].values() if r["Type"] == "AWS::CloudFormation::Stack"]
    assert len(nested) == len(children)
    assert all("TemplateURL" in r["Properties"] and "DeploymentBucket" in r["Properties"]["Parameters"]
               for r in nested)
    lambdas = [k for t in [parent, *children.values()] for k, r in t["Resources"].items()
               if r["Type"] == "AWS::Lambda::Function"]
    assert len(lambdas) == len(set(lambdas)) == 601
    # the S3-triggered function stays with its bucket; HTTP routes in children target the parent's API
    assert "OnFileFunction" in parent["Resources"]
    child = next(iter(children.values()))
    routes = [r for r in child["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert routes and all(r["Properties"]["ApiId"] == {"Ref": "PHttpApi"} for r in routes)
    permissions = [r for r in child["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"
                   and r["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    assert permissions and all(r["Properties"]["SourceArn"]["Fn::Sub"].endswith(":${PHttpApi}/*") for r in permissions)
    assert "PHttpApi" in child["Parameters"]
    assert set(layout.sam_files) == {stacks.SAM_TEMPLATE} | {p.replace(".cfn.json", ".sam.json") for p in children}


def test_small_service_stays_one_stack():
    app = big_app(8)
    sam = TemplateBuilder(app, SETTINGS).build()
    keys = {function_code_path(name): f"k{i}" for i, name in enumerate(app.functions)}
    layout = stacks.layout(app, sam, keys, "us-east-1")
    assert list(layout.cfn_files) == [stacks.CFN_TEMPLATE]
    assert not any(r["Type"] == "AWS::CloudFormation::Stack" for r in layout.cfn_files[stacks.CFN_TEMPLATE]["Resources"].values())


def test_violations_name_each_limit():
    template = {"Resources": {f"R{i}": {} for i in range(501)}, "Outputs": {f"O{i}": {} for i in range(201)},
                "Parameters": {f"P{i}": {} for i in range(61)}}
    found = " ".join(stacks.violations(template))
    assert "501 resources" in found and "201 outputs" in found and "61 parameters" in found


def test_alarms_and_log_groups_move_with_their_function():
    app = big_app(300).replace(observability=ir.Observability(tracing=True, log_retention_days=7,
                                                              alarms=("duration", "errors", "throttles")))
    sam = TemplateBuilder(app, SETTINGS).build()
    keys = {function_code_path(name): f"big/dev/code/{i:064x}.zip" for i, name in enumerate(app.functions)}
    layout = stacks.layout(app, sam, keys, "us-east-1")
    assert len(layout.cfn_files) > 2
    alarms = 0
    for template in layout.cfn_files.values():
        assert stacks.violations(template) == []
        resources = template["Resources"]
        for rid, resource in resources.items():
            if resource["Type"] == "AWS::CloudWatch::Alarm":
                alarms += 1
                function = rid.removesuffix("ErrorsAlarm").removesuffix("DurationAlarm").removesuffix(
                    "ThrottlesAlarm") + "Function"
                assert function in resources, rid  # the metric's FunctionName is a Ref in the same stack
            if resource["Type"] == "AWS::Lambda::Function":
                assert rid.removesuffix("Function") + "LogGroup" in resources
    assert alarms == 3 * 301


OBSERVED = ir.Observability(tracing=True, log_retention_days=7, alarms=("duration", "errors", "throttles"))


@pytest.mark.parametrize("count,observed", [(8, False), (100, False), (125, False), (130, False), (140, False),
                                            (600, False), (60, True), (90, True)])
def test_split_decided_before_translating_only_when_the_translation_is_too_big(count, observed):
    app = big_app(count)
    if observed:
        app = app.replace(observability=OBSERVED)
    sam = TemplateBuilder(app, SETTINGS).build()
    keys = {function_code_path(name): f"k{i}" for i, name in enumerate(app.functions)}
    resources = len(translate(with_s3_code(sam, keys))["Resources"])
    if stacks._too_many_resources(sam):
        assert resources > stacks.MAX_RESOURCES  # a lower bound: never splits a service that fits
    else:
        assert resources <= 2 * stacks.MAX_RESOURCES  # and not far off: large services skip translating whole


@pytest.mark.parametrize("count", [8, 600])
def test_layout_keeps_the_bytes_it_serialized(count):
    app = big_app(count)
    sam = TemplateBuilder(app, SETTINGS).build()
    keys = {function_code_path(name): f"k{i}" for i, name in enumerate(app.functions)}
    layout = stacks.layout(app, sam, keys, "us-east-1")
    assert set(layout.rendered) == set(layout.cfn_files)  # every template was serialized while laying out
    for path, template in layout.cfn_files.items():
        assert layout.cfn_json(path) == canonical_json(template), path
    parent = layout.cfn_files[stacks.CFN_TEMPLATE]["Resources"]
    for path in layout.cfn_files:
        if path != stacks.CFN_TEMPLATE:  # a child's S3 key is the hash of exactly the bytes written
            digest = sha256(layout.cfn_json(path))
            assert any(digest in r["Properties"]["TemplateURL"]["Fn::Sub"] for r in parent.values()
                       if r["Type"] == "AWS::CloudFormation::Stack"), path


def test_violations_measure_the_compact_body_even_when_given_the_indented_one():
    template = {"Resources": {"R": {"Type": "X", "Properties": {"Body": "x" * (stacks.MAX_BODY_BYTES - 100)}}}}
    indented = canonical_json(template)
    assert len(indented) > stacks.MAX_BODY_BYTES >= len(canonical_json(template, indent=None))
    assert stacks.violations(template, indented) == []
    template["Resources"]["R"]["Properties"]["Body"] += "x" * 200
    assert "bytes of template body" in " ".join(stacks.violations(template, canonical_json(template)))


def test_a_computed_attribute_of_a_parent_resource_is_refused_not_turned_into_a_broken_parameter():
    resources = {"AFunction": {"Type": "AWS::Serverless::Function", "Properties": {
        "FunctionName": "a", "Environment": {"Variables": {"G": {"Fn::GetAtt": ["Queue", {"Ref": "Attr"}]}}}}}}
    all_resources = {**resources, "Queue": {}, "Attr": {}}
    with pytest.raises(stacks.SlsnError, match="computed attribute name"):
        stacks._child_template(big_app(1), "functions-01", resources, all_resources, {"AFunction": {"Queue"}})
