"""``sls-neutral import``: a Serverless Framework v3 service -> a neutral manifest.

Maps what has a neutral meaning (functions, httpApi/http/sqs/schedule/s3/sns
events, SQS queues and their redrive policies, SNS topics, S3 buckets, IAM
statements that name those resources, serverless-step-functions state machines
whose states map to the DSL) and marks everything else with a ``# REVIEW:``
comment for a human, instead of dropping it silently.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sls_neutral.core.errors import SlsnError

REVIEW = "REVIEW"
RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
S3_ACTIONS = {"s3:GetObject": "read", "s3:PutObject": "write", "s3:DeleteObject": "delete", "s3:ListBucket": "list"}
SQS_ACTIONS = {"sqs:SendMessage": "send", "sqs:ReceiveMessage": "consume", "sqs:DeleteMessage": "consume"}


@dataclass
class Conversion:
    manifest: dict[str, Any] = field(default_factory=dict)
    comments: dict[tuple, str] = field(default_factory=dict)  # path -> REVIEW note
    warnings: list[str] = field(default_factory=list)

    def review(self, path: tuple, note: str) -> None:
        self.comments[path] = note
        self.warnings.append(f"{'.'.join(str(p) for p in path)}: {note}")


# ---------------------------------------------------------------- loading
def load_serverless(path: Path) -> dict[str, Any]:
    """Read serverless.yml, keeping CloudFormation tags (!GetAtt, !Ref, !Sub) as readable values."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        return _plain(yaml.load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise SlsnError(f"file not found: {path}") from None
    except YAMLError as exc:
        raise SlsnError(f"{path}: not valid YAML: {exc}") from None


def _plain(node: Any) -> Any:
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(tag, str) and tag.startswith("!") and tag not in ("!!str", "!!map", "!!seq"):
        inner = node.value if hasattr(node, "value") and not isinstance(node, (dict, list)) else \
            _plain(dict(node) if isinstance(node, dict) else list(node))
        return {"Fn::" + tag[1:] if tag[1:] != "Ref" else "Ref": inner}
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "value") and not isinstance(node, (str, int, float, bool)):
        return node.value
    return node


# ---------------------------------------------------------------- helpers
def neutral_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", str(text)).lower()).strip("-")
    if not name or not name[0].isalpha():
        name = "x-" + name
    return name[:63]


def convert_variables(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    text = re.sub(r"\$\{sls:stage\}|\$\{opt:stage(?:,[^}]*)?\}|\$\{self:provider\.stage(?:,[^}]*)?\}", "${stage}", text)
    text = text.replace("${self:service}", "${service}")
    return text


def handler_path(handler: str) -> str:
    module, _, func = handler.rpartition(".")
    return f"{module}.py:{func}" if module else f"{handler}.py:handler"


def _logical_ref(value: Any) -> str | None:
    """The logical id behind !GetAtt X.Arn / !Ref X / {'Fn::GetAtt': [X, Arn]}."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att:
            return str(att[0])
        if isinstance(att, str):
            return att.split(".")[0]
    if isinstance(value, str) and value.startswith("arn:aws:sqs:"):
        return value.rsplit(":", 1)[-1]
    if isinstance(value, str) and value.startswith("arn:aws:sns:"):
        return value.rsplit(":", 1)[-1]
    return None


def schedule_expression(expr: str) -> dict[str, Any] | None:
    match = re.fullmatch(r"rate\(\s*(\d+)\s+(\w+)\s*\)", expr.strip())
    if match and match.group(2) in RATE_UNITS:
        seconds = int(match.group(1)) * RATE_UNITS[match.group(2)]
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds % size == 0:
                return {"rate": f"{seconds // size}{unit}"}
    match = re.fullmatch(r"cron\((.+)\)", expr.strip())
    if match:
        fields = match.group(1).split()
        if len(fields) == 6:
            minute, hour, dom, month, dow, year = fields
            if year not in ("*", "?"):
                return None
            dom = "*" if dom == "?" else dom
            dow = "*" if dow == "?" else _aws_dow(dow)
            if dow is None or "L" in dom or "W" in dom or "#" in (dow or ""):
                return None
            return {"cron": " ".join([minute, hour, dom, month, dow])}
    return None


def _aws_dow(dow: str) -> str | None:
    names = {"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}

    def one(token: str) -> str:
        if token.upper() in names:
            return str(names[token.upper()])
        if token.isdigit():
            return str((int(token) - 1) % 7)  # AWS: 1=SUN; cron: 0=SUN
        raise ValueError(token)

    try:
        parts = []
        for piece in dow.split(","):
            if "-" in piece:
                a, b = piece.split("-")
                parts.append(f"{one(a)}-{one(b)}")
            else:
                parts.append(one(piece))
        return ",".join(parts)
    except ValueError:
        return None


# ---------------------------------------------------------------- conversion
class _Converter:
    def __init__(self, source: dict[str, Any]):
        self.src = source
        self.out = Conversion()
        self.queues: dict[str, dict] = {}  # logical id -> {"name", "settings"}
        self.topics: dict[str, str] = {}  # logical id or topic name -> neutral name
        self.buckets: dict[str, str] = {}

    def run(self) -> Conversion:
        provider = self.src.get("provider") or {}
        m = self.out.manifest
        m["service"] = neutral_name(convert_variables(self.src.get("service", "imported")))
        runtime = provider.get("runtime", "python3.12")
        m["runtime"] = runtime if runtime in ("python3.11", "python3.12", "python3.13") else "python3.12"
        if runtime != m["runtime"]:
            self.out.review(("runtime",), f"runtime {runtime} is not supported; using python3.12")
        m["provider"] = "aws" if provider.get("name", "aws") == "aws" else "local"
        aws = {k: v for k, v in (("region", provider.get("region")),
                                  ("architecture", provider.get("architecture"))) if v}
        if provider.get("tags"):
            aws["tags"] = provider["tags"]
        if aws:
            m["providers"] = {"aws": {k: convert_variables(v) for k, v in aws.items()}}
        defaults: dict[str, Any] = {}
        if provider.get("memorySize"):
            defaults["memory"] = f"{provider['memorySize']}MB"
        if provider.get("timeout"):
            defaults["timeout"] = f"{provider['timeout']}s"
        if provider.get("environment"):
            defaults["environment"] = {k: convert_variables(v) for k, v in provider["environment"].items()}
        if defaults:
            m["defaults"] = defaults
        self.resources()
        self.functions()
        self.iam()
        self.state_machines()
        for key in ("buckets", "queues", "topics", "secrets", "functions", "workflows"):
            if key in m and not m[key]:
                del m[key]
        for key in sorted(set(self.src) - {"service", "provider", "functions", "resources", "frameworkVersion",
                                           "package", "stepFunctions", "plugins", "custom", "useDotenv",
                                           "configValidationMode", "variablesResolutionMode"}):
            self.out.warnings.append(f"top-level '{key}' has no neutral equivalent and was not imported")
        for plugin in self.src.get("plugins") or []:
            if plugin != "serverless-step-functions":
                self.out.warnings.append(f"plugin '{plugin}' was not imported: check what it did")
        return self.out

    def resources(self) -> None:
        res = ((self.src.get("resources") or {}).get("Resources") or {})
        m = self.out.manifest
        dlq_targets = {}
        for logical, spec in res.items():
            props = spec.get("Properties") or {}
            if spec.get("Type") == "AWS::SQS::Queue":
                redrive = props.get("RedrivePolicy") or {}
                target = _logical_ref(redrive.get("deadLetterTargetArn"))
                if target:
                    dlq_targets[target] = (logical, int(redrive.get("maxReceiveCount", 5)))
        for logical, spec in res.items():
            kind, props = spec.get("Type"), spec.get("Properties") or {}
            if kind == "AWS::SQS::Queue":
                if logical in dlq_targets:
                    continue  # becomes the dead_letter of its source queue
                name = neutral_name(props.get("QueueName", logical)).removesuffix("-fifo")
                settings: dict[str, Any] = {}
                if props.get("VisibilityTimeout") is not None:
                    settings["visibility_timeout"] = f"{props['VisibilityTimeout']}s"
                if props.get("MessageRetentionPeriod") is not None:
                    settings["retention"] = f"{props['MessageRetentionPeriod']}s"
                if props.get("FifoQueue"):
                    settings["fifo"] = True
                if props.get("DelaySeconds"):
                    settings["delay"] = f"{props['DelaySeconds']}s"
                redrive = props.get("RedrivePolicy") or {}
                if redrive:
                    settings["dead_letter"] = {"max_receives": int(redrive.get("maxReceiveCount", 5))}
                self.queues[logical] = {"name": name}
                m.setdefault("queues", {})[name] = settings
            elif kind == "AWS::SNS::Topic":
                name = neutral_name(props.get("TopicName", logical))
                self.topics[logical] = name
                m.setdefault("topics", {})[name] = {}
            elif kind == "AWS::S3::Bucket":
                name = neutral_name(props.get("BucketName", logical))
                self.buckets[logical] = name
                m.setdefault("buckets", {})[name] = {"versioning": True} if (
                    props.get("VersioningConfiguration") or {}).get("Status") == "Enabled" else {}
            else:
                self.out.warnings.append(f"resource {logical} ({kind}) has no neutral equivalent; "
                                         "keep it in a provider-specific stack")

    def queue_for(self, arn: Any, where: tuple) -> str | None:
        logical = _logical_ref(arn)
        if logical in self.queues:
            return self.queues[logical]["name"]
        if logical:
            name = neutral_name(logical)
            self.out.manifest.setdefault("queues", {}).setdefault(name, {})
            self.out.review(where, f"queue '{logical}' is defined outside this service; declared here as '{name}'")
            return name
        self.out.review(where, f"cannot tell which queue {arn!r} is")
        return None

    def topic_for(self, spec: Any) -> str:
        if isinstance(spec, str):
            key = _logical_ref(spec) or spec
        else:
            key = spec.get("topicName") or _logical_ref(spec.get("arn")) or "topic"
        name = self.topics.get(key) or neutral_name(key)
        self.topics.setdefault(key, name)
        self.out.manifest.setdefault("topics", {}).setdefault(name, {})
        return name

    def functions(self) -> None:
        m = self.out.manifest
        m["functions"] = {}
        for raw_name, fn in (self.src.get("functions") or {}).items():
            name = neutral_name(raw_name)
            base = ("functions", name)
            out: dict[str, Any] = {"handler": handler_path(fn.get("handler", f"{raw_name}.handler"))}
            if fn.get("image"):
                self.out.review(base, "container image functions are not supported; package the code instead")
            if fn.get("memorySize"):
                out["memory"] = f"{fn['memorySize']}MB"
            if fn.get("timeout"):
                out["timeout"] = f"{fn['timeout']}s"
            if fn.get("environment"):
                out["environment"] = {k: convert_variables(v) for k, v in fn["environment"].items()}
            if fn.get("description"):
                out["description"] = str(fn["description"])
            if fn.get("provisionedConcurrency"):
                out["warm"] = int(fn["provisionedConcurrency"])
            triggers, permissions = [], []
            for index, event in enumerate(fn.get("events") or []):
                trigger = self.event(event, base + ("triggers", index), permissions)
                if trigger:
                    triggers.append(trigger)
            if triggers:
                out["triggers"] = triggers
            if permissions:
                out["permissions"] = sorted(set(permissions))
            m["functions"][name] = out

    def event(self, event: dict, where: tuple, permissions: list[str]) -> dict | None:
        (kind, spec), = event.items() if isinstance(event, dict) and len(event) == 1 else ((None, None),)
        if kind in ("httpApi", "http"):
            if isinstance(spec, str):
                if spec.strip() == "*":
                    return {"http": {"method": "ANY", "path": "/{proxy+}"}}
                method, _, path = spec.strip().partition(" ")
                spec = {"method": method, "path": path}
            method = str(spec.get("method", "ANY")).upper().replace("*", "ANY")
            path = "/" + str(spec.get("path", "/")).lstrip("/")
            trigger = {"method": method, "path": path.rstrip("/") or "/"}
            if spec.get("cors"):
                trigger["cors"] = True
            if spec.get("authorizer"):
                self.out.review(where, "authorizers are not imported: add authentication in the handler or gateway")
            return {"http": trigger}
        if kind == "sqs":
            arn = spec if not isinstance(spec, dict) else spec.get("arn")
            queue = self.queue_for(arn, where)
            if not queue:
                return None
            trigger = {"name": queue}
            if isinstance(spec, dict) and spec.get("batchSize"):
                trigger["batch_size"] = int(spec["batchSize"])
            return {"queue": trigger}
        if kind == "schedule":
            expr = spec if isinstance(spec, str) else spec.get("rate")
            expr = expr[0] if isinstance(expr, list) else expr
            converted = schedule_expression(str(expr))
            if converted is None:
                self.out.review(where, f"schedule {expr!r} has no 5-field cron equivalent; set it by hand")
                return None
            if isinstance(spec, dict) and spec.get("input") is not None:
                converted["data"] = spec["input"]
            return {"schedule": converted}
        if kind == "s3":
            bucket_spec = spec if isinstance(spec, str) else spec.get("bucket")
            bucket = self.buckets.get(_logical_ref(bucket_spec) or "", None) or neutral_name(
                bucket_spec if isinstance(bucket_spec, str) else "bucket")
            self.out.manifest.setdefault("buckets", {}).setdefault(bucket, {})
            trigger: dict[str, Any] = {"name": bucket}
            event_name = (spec.get("event") if isinstance(spec, dict) else None) or "s3:ObjectCreated:*"
            trigger["events"] = ["deleted"] if "ObjectRemoved" in event_name else ["created"]
            for rule in (spec.get("rules") if isinstance(spec, dict) else None) or []:
                trigger.update({k: v for k, v in rule.items() if k in ("prefix", "suffix")})
            return {"bucket": trigger}
        if kind == "sns":
            return {"topic": {"name": self.topic_for(spec)}}
        self.out.review(where, f"event '{kind}' has no neutral equivalent and was not imported")
        return None

    def iam(self) -> None:
        provider = self.src.get("provider") or {}
        statements = list(provider.get("iamRoleStatements") or []) + list(
            ((provider.get("iam") or {}).get("role") or {}).get("statements") or []) if isinstance(
            (provider.get("iam") or {}).get("role"), dict) else list(provider.get("iamRoleStatements") or [])
        if not statements:
            return
        scopes, unmapped = set(), []
        for st in statements:
            actions = st.get("Action") or []
            actions = [actions] if isinstance(actions, str) else actions
            resources = st.get("Resource") or []
            resources = [resources] if not isinstance(resources, list) else resources
            for action in actions:
                mapped = False
                for resource in resources:
                    scope = self.scope_for(action, resource)
                    if scope:
                        scopes.add(scope)
                        mapped = True
                if not mapped:
                    unmapped.append(action)
        if scopes:
            for fn in self.out.manifest.get("functions", {}).values():
                fn["permissions"] = sorted(set(fn.get("permissions", [])) | scopes)
            self.out.warnings.append("service-wide IAM statements became permissions of every function; "
                                     "narrow them per function")
        for action in sorted(set(unmapped)):
            self.out.warnings.append(f"IAM action {action} has no neutral scope and was not imported")

    def scope_for(self, action: str, resource: Any) -> str | None:
        text = resource if isinstance(resource, str) else ""
        logical = _logical_ref(resource)
        if action in S3_ACTIONS:
            name = self.buckets.get(logical or "") or (neutral_name(text.split(":::")[1].split("/")[0])
                                                       if ":::" in text else None)
            if name and name in self.out.manifest.get("buckets", {}):
                return f"bucket:{name}:{S3_ACTIONS[action]}"
        if action in SQS_ACTIONS and logical in self.queues:
            return f"queue:{self.queues[logical]['name']}:{SQS_ACTIONS[action]}"
        if action == "sns:Publish":
            name = self.topics.get(logical or "")
            if name:
                return f"topic:{name}:publish"
        return None

    def state_machines(self) -> None:
        machines = ((self.src.get("stepFunctions") or {}).get("stateMachines") or {})
        for raw_name, machine in machines.items():
            name = neutral_name(machine.get("name", raw_name))
            steps = self.asl_steps(machine.get("definition") or {}, ("workflows", name))
            if steps:
                self.out.manifest.setdefault("workflows", {})[name] = {"steps": steps}

    def asl_steps(self, definition: dict, where: tuple) -> list[dict] | None:
        states = definition.get("States") or {}
        current, steps, seen = definition.get("StartAt"), [], set()
        functions = self.out.manifest.get("functions", {})
        while current and current not in seen:
            seen.add(current)
            state = states.get(current) or {}
            step_name = neutral_name(current)
            kind = state.get("Type")
            if kind == "Task":
                target = _logical_ref(state.get("Resource")) or str(state.get("Resource", ""))
                fn = neutral_name(target.removesuffix("LambdaFunction").split(":")[-1])
                if fn not in functions:
                    self.out.review(where, f"state {current}: task resource {state.get('Resource')!r} does not "
                                           "name a function of this service; workflow not imported")
                    return None
                step: dict[str, Any] = {"call": fn}
                if state.get("Retry"):
                    step["retry"] = [{"errors": [e if e != "States.ALL" else "all" for e in r.get("ErrorEquals", [])],
                                      "interval": f"{r.get('IntervalSeconds', 1)}s",
                                      "max_attempts": r.get("MaxAttempts", 3),
                                      "backoff_rate": float(r.get("BackoffRate", 2.0))} for r in state["Retry"]]
                steps.append({step_name: step})
            elif kind == "Wait" and "Seconds" in state:
                steps.append({step_name: {"wait": {"seconds": int(state["Seconds"])}}})
            elif kind == "Pass" and isinstance(state.get("Result"), (dict, str, int, float)) and state.get("ResultPath"):
                steps.append({step_name: {"set": {state["ResultPath"]: state["Result"]}}})
            elif kind == "Succeed":
                break
            elif kind == "Fail":
                steps.append({step_name: {"fail": {"error": state.get("Error", "Failed"),
                                                   "cause": state.get("Cause", "")}}})
                break
            else:
                self.out.review(where, f"state {current} ({kind}) needs a human translation; workflow not imported")
                return None
            if state.get("End"):
                break
            current = state.get("Next")
        return steps or None


def convert(source: dict[str, Any]) -> Conversion:
    if not isinstance(source, dict) or "functions" not in source and "service" not in source:
        raise SlsnError("this does not look like a serverless.yml (no service or functions)")
    return _Converter(source).run()


# ---------------------------------------------------------------- rendering
def render(conversion: Conversion, source_name: str) -> str:
    """YAML with a header and ``# REVIEW:`` comments where a human must decide."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    def commented(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            node = CommentedMap()
            for k, v in value.items():
                node[k] = commented(v, path + (k,))
                note = conversion.comments.get(path + (k,))
                if note:
                    node.yaml_add_eol_comment(f"{REVIEW}: {note}", k)
            return node
        if isinstance(value, list):
            seq = CommentedSeq(commented(v, path + (i,)) for i, v in enumerate(value))
            for i in range(len(value)):
                note = conversion.comments.get(path + (i,))
                if note:
                    seq.yaml_add_eol_comment(f"{REVIEW}: {note}", i)
            return seq
        return value

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    buffer = StringIO()
    yaml.dump(commented(conversion.manifest, ()), buffer)
    header = [f"# Imported from {source_name} by `sls-neutral import`.",
              "# Lines marked REVIEW need a human decision; the list below says what was not imported."]
    header += [f"# - {w}" for w in conversion.warnings] or ["# (everything was imported)"]
    return "\n".join(header) + "\n" + buffer.getvalue()


def run_import(source: Path, out: Path | None) -> None:
    conversion = convert(load_serverless(Path(source)))
    text = render(conversion, Path(source).name)
    if out is None:
        sys.stdout.write(text)
    else:
        if out.exists():
            raise SlsnError(f"{out} already exists", hint="choose another path with -o")
        out.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {out} ({len(conversion.warnings)} notes to review)\n")
