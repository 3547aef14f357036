"""The Azure provider: IR -> Azure model -> function app package + ARM template -> plan -> deploy.

    IR (sls_neutral.core.ir)
      -> model.build_model        one function app, one Azure function per trigger, identity groups, roles
      -> emit_app / arm           app/ + app.zip (function_app.py in the v2 model), azuredeploy.json
      -> deploy.planner           a data-only plan from ARM what-if and the deployed package's hash
      -> deploy.executor          incremental ARM deployment, zip deploy, check the indexed functions

Only the executor and the planner's readers talk to Azure (azure-mgmt-resource,
azure-mgmt-web, the Kudu zip deploy endpoint); everything before is pure data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sls_neutral.core.provider import DeployContext, Provider
from sls_neutral.providers.azure.capabilities import CAPABILITIES

if TYPE_CHECKING:  # pragma: no cover
    from sls_neutral.core.artifacts import ArtifactSet
    from sls_neutral.core.errors import Diagnostic
    from sls_neutral.core.ir import App
    from sls_neutral.core.plan import Plan

APP_DIR = "app"
APP_ZIP = "app.zip"
TEMPLATE = "azuredeploy.json"
PARAMETERS = "azuredeploy.parameters.json"


class AzureProvider(Provider):
    name = "azure"
    version = "0.1.0"
    description = "Azure Functions (Python v2 model, Flex Consumption) + Durable Functions + ARM"
    capabilities = CAPABILITIES

    # ------------------------------------------------------------ compile time
    def settings_model(self):
        from sls_neutral.providers.azure.settings import AzureSettings

        return AzureSettings

    def settings_fields(self):
        from sls_neutral.core.manifest.plain import dict_of, integer, one_of, optional, string, text

        return {
            "subscription_id": (optional(text), None),
            "resource_group": (optional(string(min_length=1, max_length=90)), None),
            "location": (string(min_length=1), "eastus"),
            "plan": (one_of("flex", "consumption"), "flex"),
            "tags": (dict_of(text, text), dict),
            "storage_account": (optional(text), None),
            "maximum_instance_count": (integer(1, 1000), 100),
        }

    def check(self, app: "App") -> list["Diagnostic"]:
        from sls_neutral.providers.azure.checks import check_app

        return check_app(app, app.settings("azure"))

    def model(self, app: "App"):
        from sls_neutral.providers.azure.model import build_model

        return build_model(app, app.settings("azure"))

    # ------------------------------------------------------------ package
    def emit(self, app: "App", artifacts: "ArtifactSet") -> None:
        from sls_neutral.providers.azure.arm import build_template
        from sls_neutral.providers.azure.emit_app import package_files

        model = self.model(app)
        files = package_files(model)
        for path, data in files.items():
            artifacts.add(f"{APP_DIR}/{path}", data)
        artifacts.add_zip(APP_ZIP, files)
        artifacts.add_json(TEMPLATE, build_template(model))
        artifacts.add_json(PARAMETERS, {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"location": {"value": model.settings.get("location")},
                           "withEventSubscriptions": {"value": True}}})

    # ------------------------------------------------------------ deploy
    def plan(self, app: "App", artifacts: "ArtifactSet", ctx: DeployContext) -> "Plan":
        from sls_neutral.providers.azure.deploy.planner import make_plan

        return make_plan(self.model(app), artifacts, ctx)

    def execute(self, app: "App", plan: "Plan", artifacts: "ArtifactSet", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.azure.deploy.executor import execute

        return execute(self.model(app), plan, artifacts, ctx)

    def remove(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.azure.deploy.executor import remove

        return remove(self.model(app), ctx)

    def info(self, app: "App", ctx: DeployContext) -> dict[str, Any]:
        from sls_neutral.providers.azure.deploy.executor import info

        return info(self.model(app), ctx)

    # ------------------------------------------------------------ the deployed app
    def _api(self, app: "App", ctx: DeployContext):
        from sls_neutral.providers.azure.deploy import runtime_api
        from sls_neutral.providers.azure.deploy.clients import clients_for

        model = self.model(app)
        return runtime_api, clients_for(dict(model.settings), ctx.endpoint_url), model

    def invoke(self, app: "App", function: str, data: Any, ctx: DeployContext) -> Any:
        from sls_neutral.providers.azure import operations  # runtime_api.invoke, plus failure detection

        _, clients, model = self._api(app, ctx)
        return operations.invoke(clients, model, function, data)

    def logs(self, app: "App", function: str, ctx: DeployContext, *, tail: bool = False) -> Any:
        """Lines from Application Insights (traces, exceptions, invocations) of the function's Azure functions."""
        from sls_neutral.core.remote import LOGS_SINCE

        api, clients, model = self._api(app, ctx)
        return api.logs(clients, model, function, tail, say=lambda line: print(line, flush=True),
                        since=ctx.options.get(LOGS_SINCE))

    def workflow_start(self, app: "App", workflow: str, data: Any, ctx: DeployContext, *,
                       wait: bool = False) -> dict[str, Any]:
        api, clients, model = self._api(app, ctx)
        return api.workflow_start(clients, model, workflow, data, wait)

    def workflow_status(self, app: "App", execution_id: str, ctx: DeployContext) -> dict[str, Any]:
        api, clients, model = self._api(app, ctx)
        return api.workflow_status(clients, model, execution_id)

    def workflow_history(self, app: "App", execution_id: str, ctx: DeployContext) -> list[dict[str, Any]]:
        api, clients, model = self._api(app, ctx)
        return api.workflow_history(clients, model, execution_id)
