"""The data-only plan: what an Azure deploy would change, read from Azure without changing it.

Two independent parts, each skipped when unchanged:
- infrastructure: the last ARM deployment of this stage carries our template's sha256 as a tag; if it
  matches, nothing is sent; otherwise ARM what-if (incremental mode) lists every resource change;
- code: the app's latest Kudu deployment carries the package's sha256 as its message; if it matches,
  no upload.
Only reads and what-if (a POST that changes nothing) are made here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Action, Plan

TEMPLATE_TAG = "slsn-template-sha256"
OPS = {"Create": "create", "Modify": "update", "Deploy": "update", "Delete": "delete", "NoChange": "noop",
       "Ignore": "skip", "Unsupported": "skip", "NoEffect": "noop"}


def deployment_name(model) -> str:
    return f"slsn-{model.app.service}-{model.app.stage}"[:64]


def infra_sha(artifacts) -> str:
    from sls_neutral.providers.azure.provider import PARAMETERS, TEMPLATE

    return _sha(artifacts.get(TEMPLATE).data + b"\0" + artifacts.get(PARAMETERS).data)


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)


def get_deployment(clients, name: str) -> dict[str, Any] | None:
    from azure.core.exceptions import HttpResponseError

    try:
        result = clients.deployments().deployments.get(clients.resource_group, name)
    except HttpResponseError as exc:
        if _status(exc) == 404:
            return None
        raise DeployError(f"reading ARM deployment '{name}' failed: {exc.message}",
                          hint="check the subscription, resource group and your credentials") from None
    return result.as_dict() if hasattr(result, "as_dict") else dict(result)


def what_if(clients, name: str, template: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    from azure.core.exceptions import HttpResponseError

    body = {"properties": {"mode": "Incremental", "template": template, "parameters": parameters}}
    try:
        poller = clients.deployments().deployments.begin_what_if(clients.resource_group, name, body)
        result = poller.result()
    except HttpResponseError as exc:
        raise DeployError(f"ARM what-if failed: {exc.message}", hint="run 'sls-neutral package -p azure' and "
                          "check azuredeploy.json with 'az deployment group what-if'") from None
    data = result.as_dict() if hasattr(result, "as_dict") else dict(result)
    return list((data.get("properties") or {}).get("changes") or data.get("changes") or [])


def kudu_latest(clients, app_name: str) -> dict[str, Any] | None:
    request = urllib.request.Request(f"{clients.kudu_base(app_name)}/api/deployments/latest",
                                     headers={"Authorization": f"Bearer {clients.token()}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise DeployError(f"reading the app's deployments failed: HTTP {exc.code}",
                          hint="the deploying identity needs Website Contributor on the function app") from None
    except urllib.error.URLError as exc:
        raise DeployError(f"the app's deployment endpoint is unreachable: {exc.reason}") from None


def parameters_for(artifacts, with_event_subscriptions: bool) -> dict[str, Any]:
    from sls_neutral.providers.azure.provider import PARAMETERS

    params = json.loads(artifacts.get(PARAMETERS).data)["parameters"]
    params["withEventSubscriptions"] = {"value": with_event_subscriptions}
    return params


def make_plan(model, artifacts, ctx) -> Plan:
    from sls_neutral.providers.azure.deploy.clients import clients_for
    from sls_neutral.providers.azure.provider import APP_ZIP, TEMPLATE

    clients = clients_for(dict(model.settings), ctx.endpoint_url)
    name = deployment_name(model)
    plan = Plan("azure", model.app.service, model.app.stage)
    template = json.loads(artifacts.get(TEMPLATE).data)
    sha = infra_sha(artifacts)
    zip_sha = artifacts.get(APP_ZIP).sha256
    app_name = model.names["function_app"]

    ctx.say(f"reading ARM deployment {name}")
    deployed = get_deployment(clients, name)
    first = deployed is None
    tags = (deployed or {}).get("tags") or {}
    state = ((deployed or {}).get("properties") or {}).get("provisioning_state") or \
        ((deployed or {}).get("properties") or {}).get("provisioningState")
    infra = first or tags.get(TEMPLATE_TAG) != sha or state != "Succeeded"
    if infra:
        ctx.say("ARM what-if (incremental)")
        for change in what_if(clients, name, template, parameters_for(artifacts, True)):
            op = OPS.get(change.get("change_type") or change.get("changeType"), "update")
            rid = change.get("resource_id") or change.get("resourceId") or ""
            plan.actions.append(Action(op, _type_of(rid), _name_of(rid), "ARM what-if"))
    else:
        plan.actions.append(Action("noop", "Microsoft.Resources/deployments", name, "template unchanged"))

    latest = None if first else kudu_latest(clients, app_name)
    code = latest is None or latest.get("message") != zip_sha or latest.get("status") != 4
    plan.actions.append(Action("upload" if code else "skip", "Microsoft.Web/sites/zipdeploy", app_name,
                               f"app.zip sha256 {zip_sha[:12]}" + ("" if code else " (deployed)")))
    plan.data.update({"deployment": name, "infra": infra, "code": code, "first": first, "template_sha": sha,
                      "zip_sha": zip_sha, "function_app": app_name,
                      "event_subscriptions": bool(model.event_subscriptions)})
    if first and model.event_subscriptions:
        plan.notes.append("first deploy: Event Grid subscriptions are created after the code is uploaded "
                          "(they need the app's extension keys)")
    return plan


def _name_of(resource_id: str) -> str:
    """".../providers/Microsoft.Storage/storageAccounts/acct/queueServices/default/queues/q" -> "acct/default/q"."""
    parts = resource_id.split("/providers/")[-1].split("/")
    return "/".join(parts[i] for i in range(2, len(parts), 2)) or resource_id


def _type_of(resource_id: str) -> str:
    """"/subscriptions/.../providers/Microsoft.Storage/storageAccounts/x/queueServices/default/queues/q" -> type."""
    parts = resource_id.split("/providers/")[-1].split("/")
    if len(parts) < 2:
        return "resource"
    types = [parts[0] + "/" + parts[1]] + [parts[i] for i in range(3, len(parts), 2)]
    return "/".join(types)
