"""One stage's stack on CloudFormation: uploads, change sets, waiting, events.

Every object goes to the deployment bucket under a content-addressed key
(``<service>/<stage>/code/<sha256>.zip``, ``.../templates/<sha256>.json``), so
an unchanged deploy uploads nothing (HEAD first) and the deployed template
itself says which code runs. A change set is named after the template's hash:
a rerun after an interrupted deploy finds and reuses it.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet, canonical_json, sha256
from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Action
from sls_neutral.core.provider import DeployContext
from sls_neutral.providers.aws.deploy.clients import Clients
from sls_neutral.providers.aws.names import Names
from sls_neutral.providers.aws.translate import DEPLOYMENT_BUCKET_PARAM, code_key

CFN_TEMPLATE = "template.cfn.json"
MAX_INLINE_BODY = 51_200
TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
TERMINAL_ROLLED_BACK = {"UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"}
TERMINAL_DEAD = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"}
CHANGE_OPS = {"Add": "create", "Modify": "update", "Remove": "delete", "Import": "create", "Dynamic": "update"}


class Stack:
    def __init__(self, app: ir.App, settings: dict[str, Any], ctx: DeployContext):
        self.app = app
        self.settings = settings
        self.ctx = ctx
        self.clients = Clients(settings, ctx)
        self.names = Names(app.service, app.stage)
        self.name = settings.get("stack_name") or self.names.stack()
        self.prefix = f"{app.service}/{app.stage}/"
        self._bucket: str | None = settings.get("deployment_bucket")

    # ------------------------------------------------------------ the deployment bucket
    @property
    def bucket(self) -> str:
        if self._bucket is None:
            self._bucket = f"sls-neutral-deploy-{self.clients.account()}-{self.clients.region}"
        return self._bucket

    def bucket_exists(self) -> bool:
        s3 = self.clients("s3")
        try:
            s3.head_bucket(Bucket=self.bucket)
            return True
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise DeployError(f"cannot use deployment bucket '{self.bucket}': {exc}",
                              hint="set providers.aws.deployment_bucket to a bucket you own") from exc

    def ensure_bucket(self) -> None:
        if self.bucket_exists():
            return
        s3 = self.clients("s3")
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.clients.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.clients.region}
        self.ctx.say(f"creating deployment bucket {self.bucket}")
        s3.create_bucket(**kwargs)
        s3.put_public_access_block(Bucket=self.bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True})
        s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})

    def object_exists(self, key: str) -> bool:
        s3 = self.clients("s3")
        try:
            s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    # ------------------------------------------------------------ what to upload
    def objects(self, artifacts: ArtifactSet) -> dict[str, bytes]:
        """Content-addressed key -> bytes for every zip and nested template."""
        out: dict[str, bytes] = {}
        for artifact in artifacts:
            if artifact.path.endswith(".zip"):
                out[code_key(self.app.service, self.app.stage, artifact.sha256)] = artifact.data
            elif artifact.path.startswith("stacks/") and artifact.path.endswith(".cfn.json"):
                data = canonical_json(json.loads(artifact.data))
                out[code_key(self.app.service, self.app.stage, sha256(data), "json")] = data
        return dict(sorted(out.items()))

    def template(self, artifacts: ArtifactSet) -> dict[str, Any]:
        artifact = artifacts.get(CFN_TEMPLATE)
        if artifact is None:
            raise DeployError("the AWS artifacts have no template.cfn.json", hint="run sls-neutral package -p aws")
        return json.loads(artifact.data)

    def template_key(self, template: dict[str, Any]) -> tuple[str, bytes]:
        body = canonical_json(template, indent=None)  # compact: more templates fit the 51,200-byte inline limit
        return code_key(self.app.service, self.app.stage, sha256(body), "json"), body

    def parameters(self) -> list[dict[str, str]]:
        return [{"ParameterKey": DEPLOYMENT_BUCKET_PARAM, "ParameterValue": self.bucket}]

    def upload(self, objects: dict[str, bytes]) -> list[str]:
        """Upload what is missing (HEAD first); returns the keys uploaded."""
        done = []
        s3 = self.clients("s3")
        for key, data in objects.items():
            if self.object_exists(key):
                continue
            self.ctx.say(f"uploading s3://{self.bucket}/{key} ({len(data)} bytes)")
            s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            done.append(key)
        return done

    # ------------------------------------------------------------ the stack
    def describe(self) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError

        cfn = self.clients("cloudformation")
        try:
            stacks = cfn.describe_stacks(StackName=self.name)["Stacks"]
        except (cfn.exceptions.ClientError, BotoCoreError) as exc:
            if "does not exist" in str(exc):
                return None
            raise DeployError(f"cannot read stack {self.name} in {self.clients.region}: {exc}",
                              hint="configure AWS credentials (aws configure, AWS_PROFILE or environment "
                                   "variables) and check providers.aws.region") from exc
        return stacks[0] if stacks else None

    def deployed_template(self) -> dict[str, Any] | None:
        try:
            body = self.clients("cloudformation").get_template(StackName=self.name,
                                                               TemplateStage="Original")["TemplateBody"]
        except Exception:
            return None
        if isinstance(body, str):
            try:
                return json.loads(body)
            except ValueError:
                return None
        return body

    def up_to_date(self, stack: dict[str, Any] | None, template: dict[str, Any]) -> bool:
        if stack is None or stack["StackStatus"] not in TERMINAL_OK | TERMINAL_ROLLED_BACK:
            return False
        if stack["StackStatus"] in TERMINAL_ROLLED_BACK:
            return False  # the last update failed: the desired template is not the deployed one
        deployed_params = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        wanted = {p["ParameterKey"]: p["ParameterValue"] for p in self.parameters()}
        return self.deployed_template() == template and deployed_params == wanted

    def wait_stable(self, say: Callable[[str], None] | None = None, timeout: float = 3600) -> dict[str, Any] | None:
        """Wait while the stack is *_IN_PROGRESS (a previous, interrupted deploy may still run)."""
        deadline = time.time() + timeout
        seen: set[str] = set()
        while True:
            stack = self.describe()
            if stack is None or not stack["StackStatus"].endswith("_IN_PROGRESS") or \
                    stack["StackStatus"] == "REVIEW_IN_PROGRESS":
                return stack
            self.stream_events(seen, say)
            if time.time() > deadline:
                raise DeployError(f"stack {self.name} stayed {stack['StackStatus']} too long",
                                  hint="look at the stack events in the CloudFormation console")
            time.sleep(2)

    def stream_events(self, seen: set[str], say: Callable[[str], None] | None = None,
                      since: float | None = None) -> list[dict[str, Any]]:
        """Print stack events not printed yet (oldest first); returns them."""
        try:
            events = self.clients("cloudformation").describe_stack_events(StackName=self.name)["StackEvents"]
        except Exception:
            return []
        fresh = []
        for event in reversed(events):
            if event["EventId"] in seen:
                continue
            if since is not None and event["Timestamp"].timestamp() < since - 1:
                seen.add(event["EventId"])
                continue
            seen.add(event["EventId"])
            fresh.append(event)
            line = f"{event['LogicalResourceId']:<40} {event['ResourceStatus']}"
            if event.get("ResourceStatusReason"):
                line += f"  {event['ResourceStatusReason']}"
            (say or self.ctx.say)(line)
        return fresh

    def change_set_name(self, template_body: bytes) -> str:
        return "slsn-" + sha256(template_body + json.dumps(self.parameters()).encode())[:24]

    def create_change_set(self, template: dict[str, Any], stack: dict[str, Any] | None) -> dict[str, Any]:
        """Create (or reuse) the change set for ``template``; returns its description."""
        cfn = self.clients("cloudformation")
        key, body = self.template_key(template)
        name = self.change_set_name(body)
        existing = self._describe_change_set(name)
        if existing and existing["Status"] in ("CREATE_COMPLETE",) and \
                existing.get("ExecutionStatus") == "AVAILABLE":
            return existing
        if existing:
            cfn.delete_change_set(StackName=self.name, ChangeSetName=name)
        kind = "UPDATE" if stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS" else "CREATE"
        source: dict[str, Any]
        if len(body) <= MAX_INLINE_BODY:
            source = {"TemplateBody": body.decode("utf-8")}
        else:
            self.ensure_bucket()
            self.upload({key: body})
            source = {"TemplateURL": f"https://{self.bucket}.s3.{self.clients.region}.amazonaws.com/{key}"}
        tags = [{"Key": k, "Value": v} for k, v in sorted({**dict(self.app.tags),
                                                            **dict(self.settings.get("tags") or {})}.items())]
        try:
            cfn.create_change_set(StackName=self.name, ChangeSetName=name, ChangeSetType=kind,
                                  Parameters=self.parameters(), Tags=tags,
                                  Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM",
                                                "CAPABILITY_AUTO_EXPAND"], **source)
        except Exception as exc:
            if getattr(exc, "response", None) is None:
                raise
            raise DeployError(f"CloudFormation refused the template of stack {self.name}: {exc}",
                              hint="'sls-neutral package -p aws' writes it; cfn-lint template.cfn.json shows "
                                   "the details") from exc
        deadline = time.time() + 600
        while True:
            described = self._describe_change_set(name)
            if described and described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                return described
            if time.time() > deadline:
                raise DeployError(f"change set {name} was not ready in time", hint="retry the deploy")
            time.sleep(1)

    def _describe_change_set(self, name: str) -> dict[str, Any] | None:
        cfn = self.clients("cloudformation")
        try:
            return cfn.describe_change_set(StackName=self.name, ChangeSetName=name)
        except Exception:
            return None

    @staticmethod
    def change_actions(change_set: dict[str, Any]) -> list[Action]:
        actions = []
        for change in change_set.get("Changes", []):
            rc = change.get("ResourceChange", {})
            op = CHANGE_OPS.get(rc.get("Action", ""), "update")
            if op == "update" and rc.get("Replacement") == "True":
                op = "replace"
            actions.append(Action(op, rc.get("ResourceType", "?"), rc.get("LogicalResourceId", "?"),
                                  detail=rc.get("PhysicalResourceId") or ""))
        return sorted(actions, key=lambda a: (a.resource_type, a.name))

    @staticmethod
    def empty_change_set(change_set: dict[str, Any]) -> bool:
        reason = change_set.get("StatusReason") or ""
        return change_set["Status"] == "FAILED" and ("didn't contain changes" in reason or
                                                     "No updates" in reason)

    def failure_reasons(self, since: float) -> list[str]:
        try:
            events = self.clients("cloudformation").describe_stack_events(StackName=self.name)["StackEvents"]
        except Exception:
            return []
        out = []
        for event in events:
            if event["Timestamp"].timestamp() < since - 1:
                continue
            if event["ResourceStatus"].endswith("_FAILED") and event.get("ResourceStatusReason"):
                out.append(f"{event['LogicalResourceId']} ({event.get('ResourceType')}): "
                           f"{event['ResourceStatusReason']}")
        return list(reversed(out))

    def outputs(self, stack: dict[str, Any] | None = None) -> dict[str, str]:
        stack = stack or self.describe()
        if not stack:
            return {}
        return {o["OutputKey"]: o["OutputValue"] for o in sorted(stack.get("Outputs", []),
                                                                  key=lambda o: o["OutputKey"])}
