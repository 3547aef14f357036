"""Carry out an Azure plan: incremental ARM deployment, zip deploy, then check what the app indexed.

The only module that changes anything in Azure. Order matters on a first deploy: the infrastructure
(without Event Grid subscriptions), then the code, then the subscriptions, which need the extension keys
that exist once the host has loaded the code.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from sls_neutral.core.errors import DeployError
from sls_neutral.providers.azure.deploy.planner import (TEMPLATE_TAG, deployment_name, get_deployment, kudu_latest,
                                                        parameters_for)


def arm_deploy(clients, model, artifacts, sha: str | None, with_event_subscriptions: bool, ctx) -> dict[str, Any]:
    from azure.core.exceptions import HttpResponseError

    from sls_neutral.providers.azure.provider import TEMPLATE

    name = deployment_name(model)
    body: dict[str, Any] = {"properties": {"mode": "Incremental",
                                           "template": json.loads(artifacts.get(TEMPLATE).data),
                                           "parameters": parameters_for(artifacts, with_event_subscriptions)},
                            "tags": {TEMPLATE_TAG: sha or "partial"}}
    ctx.say(f"ARM deployment {name} (incremental{'' if with_event_subscriptions else ', without event subscriptions'})")
    try:
        poller = clients.deployments().deployments.begin_create_or_update(clients.resource_group, name, body)
        while not poller.done():
            ctx.say(f"  {name}: {poller.status()}")
            poller.wait(5)
        result = poller.result()
    except HttpResponseError as exc:
        raise DeployError(f"ARM deployment '{name}' failed: {exc.message}",
                          hint="see the deployment's operations in the portal or "
                               f"'az deployment operation group list -g {clients.resource_group} -n {name}'") from None
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    state = (data.get("properties") or {}).get("provisioning_state")
    if state not in (None, "Succeeded"):
        raise DeployError(f"ARM deployment '{name}' ended {state}")
    return data


def zip_deploy(clients, model, artifacts, ctx) -> None:
    from sls_neutral.providers.azure.provider import APP_ZIP

    artifact = artifacts.get(APP_ZIP)
    app_name = model.names["function_app"]
    path = "/api/publish?RemoteBuild=true" if model.plan == "flex" else "/api/zipdeploy?isAsync=true"
    url = f"{clients.kudu_base(app_name)}{path}&Deployer=sls-neutral&message={artifact.sha256}"
    ctx.say(f"zip deploy {APP_ZIP} ({len(artifact.data) // 1024} KiB) to {app_name}")
    request = urllib.request.Request(url, data=artifact.data, method="POST", headers={
        "Authorization": f"Bearer {clients.token()}", "Content-Type": "application/zip"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeployError(f"zip deploy to '{app_name}' failed: HTTP {exc.code}",
                          hint="the deploying identity needs Website Contributor on the function app") from None
    except urllib.error.URLError as exc:
        raise DeployError(f"zip deploy endpoint unreachable: {exc.reason}") from None
    deadline = time.monotonic() + 900
    while True:
        latest = kudu_latest(clients, app_name) or {}
        if latest.get("message") == artifact.sha256 and latest.get("complete"):
            if latest.get("status") != 4:
                raise DeployError(f"zip deploy to '{app_name}' failed (Kudu status {latest.get('status')})",
                                  hint=f"see https://{app_name}.scm.azurewebsites.net/api/deployments/latest/log")
            return
        if time.monotonic() > deadline:
            raise DeployError(f"zip deploy to '{app_name}' did not finish in 15 minutes")
        ctx.say("  waiting for the remote build")
        time.sleep(2)


def indexed_functions(clients, model) -> list[str]:
    from azure.core.exceptions import HttpResponseError

    try:
        envelopes = list(clients.web().web_apps.list_functions(clients.resource_group, model.names["function_app"]))
    except HttpResponseError as exc:
        raise DeployError(f"listing the app's functions failed: {exc.message}") from None
    return sorted((e.name or "").split("/")[-1] for e in envelopes)


def check_indexed(clients, model, ctx, attempts: int = 30) -> list[str]:
    from sls_neutral.providers.azure.emit_app import expected_function_names

    expected = expected_function_names(model)
    found: list[str] = []
    for _ in range(attempts):
        found = indexed_functions(clients, model)
        if found == expected:
            return found
        time.sleep(0.2 if clients.endpoint_url else 5)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    raise DeployError(f"the app indexed {len(found)} functions, expected {len(expected)}"
                      + (f"; missing: {', '.join(missing)}" if missing else "")
                      + (f"; unexpected: {', '.join(extra)}" if extra else ""),
                      hint="a function_app.py import error hides every function: check the app's logs "
                           "(Application Insights, 'traces' with severity >= 3)")


def execute(model, plan, artifacts, ctx) -> dict[str, Any]:
    from sls_neutral.providers.azure.deploy.clients import clients_for

    clients = clients_for(dict(model.settings), ctx.endpoint_url)
    data = plan.data
    sha = data["template_sha"]
    later_subscriptions = data["first"] and data["event_subscriptions"]
    if data["infra"]:
        arm_deploy(clients, model, artifacts, None if later_subscriptions else sha, not later_subscriptions, ctx)
    if data["code"]:
        zip_deploy(clients, model, artifacts, ctx)
    if later_subscriptions:
        arm_deploy(clients, model, artifacts, sha, True, ctx)
    functions = check_indexed(clients, model, ctx)
    host = f"{model.names['function_app']}.azurewebsites.net"
    return {"provider": "azure", "function_app": model.names["function_app"], "url": f"https://{host}",
            "functions": functions, "infrastructure": "deployed" if data["infra"] else "unchanged",
            "code": "uploaded" if data["code"] else "unchanged",
            "message": f"azure: {model.names['function_app']} "
                       f"(infrastructure {'deployed' if data['infra'] else 'unchanged'}, "
                       f"code {'uploaded' if data['code'] else 'unchanged'}, {len(functions)} functions) "
                       f"https://{host}"}


def info(model, ctx) -> dict[str, Any]:
    from sls_neutral.providers.azure.deploy.clients import clients_for

    clients = clients_for(dict(model.settings), ctx.endpoint_url)
    deployed = get_deployment(clients, deployment_name(model))
    latest = kudu_latest(clients, model.names["function_app"]) if deployed else None
    return {"provider": "azure", "deployed": deployed is not None, "function_app": model.names["function_app"],
            "resource_group": clients.resource_group,
            "url": f"https://{model.names['function_app']}.azurewebsites.net",
            "package_sha256": (latest or {}).get("message"),
            "functions": indexed_functions(clients, model) if deployed else []}


# Deleted by 'remove', in this order (children go with their parents; role assignments with their scopes).
REMOVED_TYPES = ("Microsoft.EventGrid/systemTopics", "Microsoft.Insights/scheduledQueryRules", "Microsoft.Web/sites",
                 "Microsoft.Web/serverfarms", "Microsoft.Insights/components", "Microsoft.OperationalInsights/workspaces",
                 "Microsoft.ServiceBus/namespaces", "Microsoft.Storage/storageAccounts",
                 "Microsoft.ManagedIdentity/userAssignedIdentities")


def remove(model, ctx) -> dict[str, Any]:
    """Delete the stage's resources; the data storage account and the Key Vault are kept (they hold your data)."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

    from sls_neutral.providers.azure.arm import API, build_template
    from sls_neutral.providers.azure.deploy.clients import clients_for

    clients = clients_for(dict(model.settings), ctx.endpoint_url)
    template = build_template(model)
    kept = {("Microsoft.Storage/storageAccounts", model.names["storage"]),
            ("Microsoft.KeyVault/vaults", model.names["keyvault"])}
    versions = {"Microsoft.EventGrid": API["eventgrid"], "Microsoft.Web": API["web"],
                "Microsoft.Insights/components": API["insights"], "Microsoft.Insights/scheduledQueryRules":
                API["alerts"], "Microsoft.OperationalInsights": API["workspace"], "Microsoft.ServiceBus":
                API["servicebus"], "Microsoft.Storage": API["storage"], "Microsoft.ManagedIdentity": API["identity"]}
    deleted, retained = [], sorted(f"{t} {n}" for t, n in kept if any(
        r["type"] == t and r["name"] == n for r in template["resources"]))
    client = clients.resources()
    for rtype in REMOVED_TYPES:
        for resource in template["resources"]:
            if resource["type"] != rtype or (rtype, resource["name"]) in kept:
                continue
            version = next(v for k, v in versions.items() if rtype.startswith(k))
            rid = clients.resource_id(rtype, resource["name"])
            ctx.say(f"deleting {rtype} {resource['name']}")
            try:
                client.resources.begin_delete_by_id(rid, api_version=version).result()
            except ResourceNotFoundError:
                continue
            except HttpResponseError as exc:
                raise DeployError(f"deleting {rtype} '{resource['name']}' failed: {exc.message}",
                                  hint="run 'sls-neutral remove' again; deleted resources are skipped") from None
            deleted.append(f"{rtype} {resource['name']}")
    try:
        clients.deployments().deployments.begin_delete(clients.resource_group, deployment_name(model)).result()
    except ResourceNotFoundError:
        pass
    return {"provider": "azure", "deleted": deleted, "retained": retained,
            "message": f"azure: removed {len(deleted)} resources of {model.app.service} ({model.app.stage}); kept "
                       + (", ".join(retained) if retained else "nothing") + " (your data: delete them yourself)"}
