"""CloudFormation limits, and nested stacks when one stack would exceed them.

Limits are checked on the translated template, before anything is written:
500 resources, 200 outputs, 60 parameters, 1 MB body (templates are always
deployed from S3). Above them, functions move into child stacks in groups:
each child is a SAM template (``stacks/<group>.sam.json``, an
``AWS::Serverless::Application`` of the parent for ``sam deploy``) and its
translation (``stacks/<group>.cfn.json``, an ``AWS::CloudFormation::Stack`` of
the parent's CloudFormation template). Children are written as canonical JSON,
which SAM CLI, cfn-lint and CloudFormation read as they read YAML: they are
machine-made slices of the service (~320 KB each at 84 functions), and writing
them as YAML took ~40 ms of a 1,000-function build, JSON ~4 ms. The parent,
the template people read, stays YAML. Parent resources a child refers to
(queue URLs/ARNs, topic ARNs, the HTTP API id) become child parameters. Child
HTTP routes are plain ApiGatewayV2 routes on the parent's API, because SAM's
HttpApi events only reach an API in the same template. Functions with bucket
triggers stay in the parent: S3 notifications need the bucket in the same
template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.artifacts import canonical_json, sha256
from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.aws.names import function_arn_sub, logical_id
from sls_neutral.providers.aws.sam import ALARM_KINDS, HTTP_API
from sls_neutral.providers.aws.translate import DEPLOYMENT_BUCKET_PARAM, code_key, translate, with_s3_code

MAX_RESOURCES = 500
MAX_OUTPUTS = 200
MAX_PARAMETERS = 60
MAX_BODY_BYTES = 1_048_576
CHILD_RESOURCE_BUDGET = 400
CHILD_PARAMETER_BUDGET = 55
CFN_TEMPLATE = "template.cfn.json"
SAM_TEMPLATE = "template.yaml"


@dataclass
class Layout:
    """The SAM templates and their CloudFormation translations, by output path (do not edit them afterwards).

    ``rendered`` keeps the canonical JSON of CloudFormation templates serialized while laying out (a child's
    bytes name its S3 key, the bytes bound the body size), so :meth:`cfn_json` never serializes one twice.
    """

    sam_files: dict[str, Any] = field(default_factory=dict)
    cfn_files: dict[str, Any] = field(default_factory=dict)
    rendered: dict[str, bytes] = field(default_factory=dict)

    def cfn_json(self, path: str) -> bytes:
        """``canonical_json(cfn_files[path])``, serialized once."""
        data = self.rendered.get(path)
        if data is None:
            data = self.rendered[path] = canonical_json(self.cfn_files[path])
        return data


def violations(cfn: dict[str, Any], body: bytes | None = None) -> list[str]:
    """Which CloudFormation limits a translated template breaks (empty when it fits).

    ``body``: the template's canonical (indented) JSON when it is already serialized. The compact body that
    is measured is never longer (the same text without the indentation), so a ``body`` within the limit
    proves the size fits without serializing the template again.
    """
    out = []
    if len(cfn.get("Resources", {})) > MAX_RESOURCES:
        out.append(f"{len(cfn['Resources'])} resources (limit {MAX_RESOURCES})")
    if len(cfn.get("Outputs", {})) > MAX_OUTPUTS:
        out.append(f"{len(cfn['Outputs'])} outputs (limit {MAX_OUTPUTS})")
    if len(cfn.get("Parameters", {})) > MAX_PARAMETERS:
        out.append(f"{len(cfn['Parameters'])} parameters (limit {MAX_PARAMETERS})")
    if body is None or len(body) > MAX_BODY_BYTES:
        size = len(canonical_json(cfn, indent=None))
        if size > MAX_BODY_BYTES:
            out.append(f"{size} bytes of template body (limit {MAX_BODY_BYTES})")
    return out


def layout(app: ir.App, sam: dict[str, Any], keys: dict[str, str], region: str, *, force_split: bool = False
           ) -> Layout:
    if not force_split and not _too_many_resources(sam):
        cfn = _translate(sam, keys, region)
        body = canonical_json(cfn)
        if not violations(cfn, body):
            return Layout({SAM_TEMPLATE: sam}, {CFN_TEMPLATE: cfn}, {CFN_TEMPLATE: body})
    return _split(app, sam, keys, region)


def _translate(sam: dict[str, Any], keys: dict[str, str], region: str) -> dict[str, Any]:
    """One stack's CloudFormation, key order left as translated: canonical_json sorts when it writes."""
    return translate(with_s3_code(sam, keys), region, sorted_copy=False)


def _too_many_resources(sam: dict[str, Any]) -> bool:
    """Whether the translation is sure to exceed MAX_RESOURCES, known without translating.

    Translation keeps every resource's logical id and each function event adds at least one resource (a
    permission, a mapping, a subscription, a schedule), so a large service is split without first
    translating the whole template only to throw it away.
    """
    resources = sam.get("Resources", {})
    count = len(resources)
    for resource in resources.values():
        if resource.get("Type") == "AWS::Serverless::Function":
            events = resource.get("Properties", {}).get("Events")
            count += len(events) if isinstance(events, dict) else 0
    return count > MAX_RESOURCES


# ------------------------------------------------------------ splitting
def _estimate(resource: dict[str, Any]) -> int:
    """Resources one SAM function becomes (function, role, per-event extras, alias/version)."""
    props = resource["Properties"]
    count = 1
    for event in props.get("Events", {}).values():
        count += {"HttpApi": 3, "SQS": 1, "SNS": 2, "ScheduleV2": 2}.get(event["Type"], 2)
    if props.get("AutoPublishAlias"):
        count += 2
    return count


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def _refs(value: Any, out: set[str]) -> None:
    """Logical ids ``value`` refers to (Ref, Fn::GetAtt, Fn::Sub); only containers are descended into.

    Most values are strings: ``type(item) is not str`` turns them away before the costlier isinstance.
    """
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            out.add(value["Ref"])
        if "Fn::GetAtt" in value:
            out.add(value["Fn::GetAtt"][0])
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            out.update(_SUB_NAME.findall(value["Fn::Sub"]))
        items = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return
    for item in items:
        if type(item) is not str and isinstance(item, (dict, list)):
            _refs(item, out)


def _split(app: ir.App, sam: dict[str, Any], keys: dict[str, str], region: str) -> Layout:
    resources = sam["Resources"]
    movable = []
    for fn in sorted(app.functions.values(), key=lambda f: f.name):
        if any(isinstance(t, ir.BucketTrigger) for t in fn.triggers):
            continue
        fid = logical_id(fn.name, "Function")
        # the function and what belongs to it alone: its role, log group and alarms
        movable.append((fid, logical_id(fn.name, "Role"), logical_id(fn.name, "LogGroup"),
                        *(logical_id(fn.name, kind) for kind in ALARM_KINDS)))
    groups: list[list[tuple[str, ...]]] = []
    budget = params = 0
    current: list[tuple[str, ...]] = []
    current_refs: set[str] = set()
    # what each movable resource refers to, walked once: the grouping below reads it, and so does
    # _child_template, which leaves a resource referring only to its own stack as it is
    refs_of: dict[str, set[str]] = {}
    for item in movable:
        cost = _estimate(resources[item[0]]) + sum(1 for rid in item[1:] if rid in resources)
        refs: set[str] = set()
        for rid in item:
            if rid in resources:
                own = refs_of[rid] = set()
                _refs(resources[rid], own)
                refs |= own
        refs -= set(item)
        new_refs = refs - current_refs
        if current and (budget + cost > CHILD_RESOURCE_BUDGET or params + 2 * len(new_refs) > CHILD_PARAMETER_BUDGET):
            groups.append(current)
            current, current_refs, budget, params = [], set(), 0, 0
            new_refs = refs
        current.append(item)
        current_refs |= new_refs
        budget += cost
        params += 2 * len(new_refs)
    if current:
        groups.append(current)

    parent = {**sam, "Resources": dict(sam["Resources"])}  # only the resource map is edited below
    out = Layout()
    children_cfn: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}
    for number, group in enumerate(groups, start=1):
        name = f"functions-{number:02d}"
        stack_id = logical_id(name, "Stack")
        child_resources = {}
        for ids in group:
            for rid in ids:
                if rid in parent["Resources"]:
                    child_resources[rid] = parent["Resources"].pop(rid)
        child, param_values = _child_template(app, name, child_resources, sam["Resources"], refs_of)
        out.sam_files[f"stacks/{name}.sam.json"] = child
        child_cfn = _translate(child, keys, region)
        body = canonical_json(child_cfn)  # written as is, and its hash names the child's S3 key
        problems = violations(child_cfn, body)
        if problems:
            raise SlsnError(f"nested stack '{name}' still exceeds CloudFormation limits: {', '.join(problems)}",
                            hint="split the service into smaller services")
        path = f"stacks/{name}.cfn.json"
        out.cfn_files[path] = child_cfn
        out.rendered[path] = body
        children_cfn[stack_id] = (path, child_cfn, param_values)
        parent["Resources"][stack_id] = {"Type": "AWS::Serverless::Application", "Properties": {
            "Location": f"stacks/{name}.sam.json",
            "Parameters": {k: v for k, v in param_values.items() if k != DEPLOYMENT_BUCKET_PARAM}}}
    parent["Resources"] = dict(sorted(parent["Resources"].items()))
    apps = {k: parent["Resources"].pop(k) for k in children_cfn}
    parent_cfn = _translate(parent, keys, region)
    parent["Resources"].update(apps)
    parent["Resources"] = dict(sorted(parent["Resources"].items()))
    for stack_id, (path, child_cfn, param_values) in children_cfn.items():
        key = code_key(app.service, app.stage, sha256(out.rendered[path]), "json")
        parent_cfn["Resources"][stack_id] = {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "Parameters": {**param_values, DEPLOYMENT_BUCKET_PARAM: {"Ref": DEPLOYMENT_BUCKET_PARAM}},
            "TemplateURL": {"Fn::Sub": "https://${" + DEPLOYMENT_BUCKET_PARAM + "}.s3.${AWS::Region}."
                                       "${AWS::URLSuffix}/" + key}}}
    parent_cfn["Resources"] = dict(sorted(parent_cfn["Resources"].items()))
    if parent_cfn.get("Outputs") and len(parent_cfn["Outputs"]) > MAX_OUTPUTS:
        keep = {k: v for k, v in parent_cfn["Outputs"].items() if not k.endswith("QueueUrl")}
        parent_cfn["Outputs"] = keep
        parent["Outputs"] = {k: v for k, v in parent.get("Outputs", {}).items() if k in keep}
    out.sam_files[SAM_TEMPLATE] = parent
    out.cfn_files[CFN_TEMPLATE] = parent_cfn
    problems = violations(parent_cfn, out.cfn_json(CFN_TEMPLATE))
    if problems:
        raise SlsnError(f"the parent stack exceeds CloudFormation limits even with functions in nested stacks: "
                        f"{', '.join(problems)}", hint="split the service into smaller services")
    return out


def _rewritten(container: dict | list, pairs, rewrite) -> dict | list:
    """``container`` with each dict or list child passed through ``rewrite``; copied only when a child
    changed (copy on write: most resources refer to nothing outside their own stack)."""
    copy = None
    for key, item in pairs:
        if type(item) is not str and isinstance(item, (dict, list)):
            new = rewrite(item)
            if new is not item:
                if copy is None:
                    copy = dict(container) if isinstance(container, dict) else list(container)
                copy[key] = new
    return container if copy is None else copy


def _child_template(app: ir.App, name: str, resources: dict[str, Any], all_resources: dict[str, Any],
                    refs_of: dict[str, set[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A child SAM template for ``resources`` and the parent-side parameter values it needs.

    ``refs_of``: the logical ids each resource refers to (:func:`_refs`). A resource that refers only to
    resources of this child has nothing to rewrite and is used as it is (templates are never edited once
    built); the others are rewritten copy-on-write, so only the containers on the way to a reference to
    the parent are new.
    """
    params: dict[str, Any] = {}
    values: dict[str, Any] = {}
    # Only a function's Events map is edited in place (rewrite() below never edits what it is given).
    body = {rid: {**r, "Properties": {**r["Properties"], "Events": dict(r["Properties"]["Events"])}}
            if isinstance(r.get("Properties"), dict) and isinstance(r["Properties"].get("Events"), dict) else r
            for rid, r in resources.items()}
    extra: dict[str, Any] = {}

    def param_for(rid: str, attr: str | None) -> str:
        pname = f"P{rid}{attr or ''}"
        if pname not in params:
            params[pname] = {"Type": "String"}
            values[pname] = {"Fn::GetAtt": [rid, attr]} if attr else {"Ref": rid}
        return pname

    def sub_name(match: re.Match) -> str:
        rid = match.group(1)
        if rid in all_resources and rid not in resources:
            return "${" + param_for(rid, None) + "}"
        return match.group(0)

    api: str | None = None

    def api_name() -> str:
        """What the child's routes call the HTTP API: the parameter passing the parent's, made on first use
        (the rewrite below would have made the same of ``Ref: HttpApi`` and ``${HttpApi}``)."""
        nonlocal api
        if api is None:
            outside = HTTP_API in all_resources and HTTP_API not in resources
            api = param_for(HTTP_API, None) if outside else HTTP_API
        return api

    def rewrite(value: Any) -> Any:
        """``value`` with references to parent resources naming parameters: ``value`` itself when none does."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, arg),) = value.items()
                if key == "Ref":
                    if arg in all_resources and arg not in resources:
                        return {"Ref": param_for(arg, None)}
                elif key == "Fn::GetAtt":
                    if arg[0] not in resources:
                        if not isinstance(arg[1], str):  # the parameter would need a name from a value
                            raise SlsnError(f"nested stack '{name}': Fn::GetAtt of parent resource '{arg[0]}' "
                                            "with a computed attribute name cannot be passed to a child stack",
                                            hint="name the attribute literally in the template")
                        return {"Ref": param_for(arg[0], arg[1])}
                elif key == "Fn::Sub" and isinstance(arg, str):
                    text = _SUB_NAME.sub(sub_name, arg)
                    return value if text == arg else {"Fn::Sub": text}
            return _rewritten(value, value.items(), rewrite)
        if isinstance(value, list):
            return _rewritten(value, enumerate(value), rewrite)
        return value

    for rid, resource in list(body.items()):
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        events = props.get("Events", {})
        for ename in sorted(events):
            event = events[ename]
            if event["Type"] != "HttpApi":
                continue
            del events[ename]
            extra.update(_http_route(rid, ename, event["Properties"], props["FunctionName"], api_name()))
        if not events:
            props.pop("Events", None)
    body = {rid: resource if rid in refs_of and refs_of[rid] <= resources.keys() else rewrite(resource)
            for rid, resource in body.items()}
    body.update(extra)  # built naming the API's parameter: nothing in it to rewrite
    child = {"AWSTemplateFormatVersion": "2010-09-09", "Transform": "AWS::Serverless-2016-10-31",
             "Description": f"sls-neutral service {app.service} (stage {app.stage}): {name}",
             "Parameters": dict(sorted(params.items())), "Resources": dict(sorted(body.items()))}
    if not params:
        child.pop("Parameters")
    return child, dict(sorted(values.items()))


def _http_route(fid: str, ename: str, props: dict[str, Any], physical: str, api: str) -> dict[str, Any]:
    """Integration + route + invoke permission on the parent's HTTP API, which the child knows as ``api``."""
    base = f"{fid}{ename}"
    route_key = f"{props['Method'] if props['Method'] != 'ANY' else 'ANY'} {props['Path']}"
    return {
        f"{base}Integration": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {
            "ApiId": {"Ref": api}, "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {"Fn::Sub": function_arn_sub(physical)},
            "PayloadFormatVersion": "2.0", "TimeoutInMillis": props["TimeoutInMillis"]}},
        f"{base}Route": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {
            "ApiId": {"Ref": api}, "RouteKey": route_key,
            "Target": {"Fn::Sub": "integrations/${" + base + "Integration}"}}},
        f"{base}Permission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "Action": "lambda:InvokeFunction", "FunctionName": {"Ref": fid},
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                                     "${" + api + "}/*"}}},
    }


