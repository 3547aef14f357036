"""The GCP provider: IR -> deployment description + function sources -> plan -> deploy.

    IR (sls_neutral.core.ir)
      -> model.build_deployment   functions (2nd gen units, each function's trigger configuration in its
                                  environment: SLSN_FUNCTION_CONFIG), Pub/Sub, Scheduler, buckets, Workflows, IAM
      -> emit                     functions/<name>.zip (code only: templates/main.py is the same in all, so
                                  functions with the same code have equal zips), starters/<wf>.zip,
                                  workflows/<name>.yaml, deployment.json (the zips unzipped beside them
                                  only with the source_folders setting)
      -> deploy.planner           a data-only plan from get/list calls
      -> deploy.executor          the google-cloud clients: upload, create/update with field masks, delete

Only the planner's readers and the executor talk to GCP; everything before is pure data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sls_neutral.core.provider import DeployContext, Provider
from sls_neutral.providers.gcp.capabilities import CAPABILITIES

if TYPE_CHECKING:  # pragma: no cover
    from sls_neutral.core.artifacts import ArtifactSet
    from sls_neutral.core.errors import Diagnostic
    from sls_neutral.core.ir import App
    from sls_neutral.core.plan import Plan


class GcpProvider(Provider):
    name = "gcp"
    version = "0.1.0"
    description = "Cloud Functions (2nd gen) + Pub/Sub + Cloud Scheduler + Cloud Storage + Workflows"
    capabilities = CAPABILITIES

    def settings_model(self):
        from sls_neutral.providers.gcp.settings import GcpSettings

        return GcpSettings

    def settings_fields(self):
        from sls_neutral.core.manifest.plain import boolean, dict_of, optional, string, text

        return {
            "project": (optional(string(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")), None),
            "project_number": (optional(string(r"^[0-9]{6,20}$")), None),
            "region": (string(min_length=1), "us-central1"),
            "labels": (dict_of(text, text), dict),
            "service_account_prefix": (string(r"^[a-z0-9-]*$", max_length=10), ""),
            "bucket_prefix": (optional(text), None),
            "public_http": (boolean, True),
            "ingress": (string(r"^(ALLOW_ALL|ALLOW_INTERNAL_ONLY|ALLOW_INTERNAL_AND_GCLB)$"), "ALLOW_ALL"),
            "source_folders": (boolean, False),
        }

    def check(self, app: "App") -> list["Diagnostic"]:
        from sls_neutral.providers.gcp.checks import check_app

        return check_app(app, app.settings("gcp"))

    def emit(self, app: "App", artifacts: "ArtifactSet") -> None:
        from sls_neutral.providers.gcp.emit import emit

        emit(app, app.settings("gcp"), artifacts)

    def plan(self, app: "App", artifacts: "ArtifactSet", ctx: DeployContext) -> "Plan":
        from sls_neutral.providers.gcp.deploy.planner import make_plan

        return make_plan(app, artifacts, ctx)

    def execute(self, app: "App", plan: "Plan", artifacts: "ArtifactSet", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.gcp.deploy.executor import execute

        return execute(app, plan, artifacts, ctx)

    def remove(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.gcp.deploy.executor import remove

        return remove(app, ctx)

    def info(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.gcp.deploy.executor import info

        return info(app, ctx)

    # ------------------------------------------------------------ the deployed stage (providers/gcp/operations.py)
    def invoke(self, app: "App", function: str, data: Any, ctx: DeployContext) -> Any:
        from sls_neutral.providers.gcp import operations

        return operations.invoke(app, function, data, ctx)

    def logs(self, app: "App", function: str, ctx: DeployContext, *, tail: bool = False) -> Any:
        from sls_neutral.providers.gcp import operations

        return operations.logs(app, function, ctx, tail=tail)

    def workflow_start(self, app: "App", workflow: str, data: Any, ctx: DeployContext, *,
                       wait: bool = False) -> dict[str, Any]:
        from sls_neutral.providers.gcp import operations

        return operations.workflow_start(app, workflow, data, ctx, wait=wait)

    def workflow_status(self, app: "App", execution_id: str, ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.gcp import operations

        return operations.workflow_status(app, execution_id, ctx)

    def workflow_history(self, app: "App", execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
        from sls_neutral.providers.gcp import operations

        return operations.workflow_history(app, execution_id, ctx)
