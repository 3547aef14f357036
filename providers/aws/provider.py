"""The AWS provider: IR -> SAM template + Lambda zips -> CloudFormation change sets.

    IR (sls_neutral.core.ir)
      -> sam.TemplateBuilder     template.yaml (SAM): functions, roles from grants, queues, topics, buckets,
                                 state machines (ASL from the workflows compiler), HTTP API, outputs
      -> bundle                  functions/<name>.zip: the handler's import closure, the runtime, deps for Lambda
      -> translate               template.cfn.json: the same stack as plain CloudFormation (samtranslator, offline)
      -> stacks                  limits (500 resources, 200 outputs, 1 MB, 60 parameters); nested stacks above
      -> deploy.planner/executor change sets against CloudFormation; content-addressed uploads; a deploy lock

Only the deploy package talks to AWS (boto3); everything before is pure data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sls_neutral.core.provider import DeployContext, Provider
from sls_neutral.providers.aws.capabilities import CAPABILITIES

if TYPE_CHECKING:  # pragma: no cover
    from sls_neutral.core.artifacts import ArtifactSet
    from sls_neutral.core.errors import Diagnostic
    from sls_neutral.core.ir import App
    from sls_neutral.core.plan import Plan

SAM_TEMPLATE = "template.yaml"
CFN_TEMPLATE = "template.cfn.json"
DEPLOY_INDEX = "deploy.json"


def settings_of(app: "App") -> dict[str, Any]:
    raw = dict(app.settings("aws") or {})
    raw.setdefault("region", "us-east-1")
    raw.setdefault("architecture", "x86_64")
    return raw


class AwsProvider(Provider):
    name = "aws"
    version = "0.1.0"
    description = "AWS Lambda + API Gateway HTTP API + SQS/SNS/S3 + Step Functions, via SAM/CloudFormation"
    capabilities = CAPABILITIES

    # ------------------------------------------------------------ compile time
    def settings_model(self):
        from sls_neutral.providers.aws.settings import AwsSettings

        return AwsSettings

    def settings_fields(self):
        from sls_neutral.core.manifest.plain import dict_of, one_of, optional, string, text

        return {
            "region": (string(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"), "us-east-1"),
            "architecture": (one_of("x86_64", "arm64"), "x86_64"),
            "tags": (dict_of(text, text), dict),
            "deployment_bucket": (optional(string(r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$", 3, 63)), None),
            "stack_name": (optional(string(r"^[A-Za-z][A-Za-z0-9-]*$", 1, 128)), None),
            "profile": (optional(string(min_length=1)), None),
        }

    def check(self, app: "App") -> list["Diagnostic"]:
        from sls_neutral.providers.aws.checks import check_app

        return check_app(app, settings_of(app))

    # ------------------------------------------------------------ package
    def emit(self, app: "App", artifacts: "ArtifactSet") -> None:
        from sls_neutral.providers.aws.emit import emit_stack

        emit_stack(app, settings_of(app), artifacts)

    # ------------------------------------------------------------ deploy
    def plan(self, app: "App", artifacts: "ArtifactSet", ctx: DeployContext) -> "Plan":
        from sls_neutral.providers.aws.deploy.planner import make_plan

        return make_plan(app, settings_of(app), artifacts, ctx)

    def execute(self, app: "App", plan: "Plan", artifacts: "ArtifactSet", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.aws.deploy.executor import execute

        return execute(app, settings_of(app), plan, artifacts, ctx)

    def remove(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.aws.deploy.executor import remove

        return remove(app, settings_of(app), ctx)

    def info(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.aws.deploy.executor import info

        return info(app, settings_of(app), ctx)

    # ------------------------------------------------------------ the deployed stage (providers/aws/operations.py)
    def invoke(self, app: "App", function: str, data: Any, ctx: DeployContext) -> Any:
        from sls_neutral.providers.aws import operations

        return operations.invoke(app, settings_of(app), function, data, ctx)

    def logs(self, app: "App", function: str, ctx: DeployContext, *, tail: bool = False) -> Any:
        from sls_neutral.providers.aws import operations

        return operations.logs(app, settings_of(app), function, ctx, tail=tail)

    def workflow_start(self, app: "App", workflow: str, data: Any, ctx: DeployContext, *,
                       wait: bool = False) -> dict[str, Any]:
        from sls_neutral.providers.aws import operations

        return operations.workflow_start(app, settings_of(app), workflow, data, ctx, wait=wait)

    def workflow_status(self, app: "App", execution_id: str, ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.aws import operations

        return operations.workflow_status(app, settings_of(app), execution_id, ctx)

    def workflow_history(self, app: "App", execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
        from sls_neutral.providers.aws import operations

        return operations.workflow_history(app, settings_of(app), execution_id, ctx)
