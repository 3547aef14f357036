"""Control-plane clients, built in one place so tests can point them at a fake ARM endpoint.

Real deploys use ``DefaultAzureCredential`` against Azure Resource Manager.
With ``--endpoint-url`` every management client gets that ``base_url`` and a
static bearer token (``SLSN_AZURE_TOKEN``, default a fixed test value), and the
Kudu (zip deploy) endpoint becomes ``<endpoint>/scm/<app>`` - the shape the
fake control plane in tests/fakes/azure_control_plane.py serves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sls_neutral.core.errors import DeployError

ARM_SCOPE = "https://management.azure.com/.default"
DEFAULT_TEST_TOKEN = "slsn-local-test-token"


class _StaticHeaderPolicy:
    """Adds a fixed bearer token (the fake control plane speaks plain http, where azure-core refuses tokens)."""

    def __init__(self, token: str):
        self.token = token

    def on_request(self, request: Any) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"

    def on_response(self, request: Any, response: Any) -> None:
        return None

    def on_exception(self, request: Any) -> None:
        return None


@dataclass
class Clients:
    subscription_id: str
    resource_group: str
    endpoint_url: str | None

    def _kwargs(self) -> dict[str, Any]:
        if not self.endpoint_url:
            return {}
        from azure.core.pipeline.policies import SansIOHTTPPolicy

        policy = type("StaticBearer", (_StaticHeaderPolicy, SansIOHTTPPolicy), {})(self.token())
        return {"base_url": self.endpoint_url.rstrip("/"), "authentication_policy": policy,
                "polling_interval": 0.05}

    def token(self) -> str:
        if self.endpoint_url:
            return os.environ.get("SLSN_AZURE_TOKEN", DEFAULT_TEST_TOKEN)
        return self.credential().get_token(ARM_SCOPE).token

    def credential(self):
        if self.endpoint_url:
            from azure.core.credentials import AccessToken

            token = os.environ.get("SLSN_AZURE_TOKEN", DEFAULT_TEST_TOKEN)

            class _Static:
                def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
                    return AccessToken(token, 4102444800)

            return _Static()
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()

    def deployments(self):
        from azure.mgmt.resource.deployments import DeploymentsMgmtClient

        return DeploymentsMgmtClient(self.credential(), self.subscription_id, **self._kwargs())

    def resources(self):
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self.credential(), self.subscription_id, **self._kwargs())

    def resource_id(self, rtype: str, name: str) -> str:
        """The id of a resource of this resource group: child names ("a/b") interleave with the type's parts."""
        namespace, *types = rtype.split("/")
        names = name.split("/")
        path = "/".join(f"{t}/{n}" for t, n in zip(types, names))
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"{namespace}/{path}")

    def web(self):
        from azure.mgmt.web import WebSiteManagementClient

        return WebSiteManagementClient(self.credential(), self.subscription_id, **self._kwargs())

    def kudu_base(self, app_name: str) -> str:
        if self.endpoint_url:
            return f"{self.endpoint_url.rstrip('/')}/scm/{app_name}"
        return f"https://{app_name}.scm.azurewebsites.net"


def clients_for(settings: dict[str, Any], endpoint_url: str | None) -> Clients:
    subscription = settings.get("subscription_id")
    if not subscription:
        raise DeployError("providers.azure.subscription_id is not set",
                          hint="set it in sls-neutral.yaml, e.g. subscription_id: ${env:AZURE_SUBSCRIPTION_ID}")
    return Clients(str(subscription), str(settings["resource_group"]), endpoint_url)
