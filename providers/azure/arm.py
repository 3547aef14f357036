"""The ARM template (``azuredeploy.json``) for one stage: infrastructure and least-privilege roles.

Two storage accounts keep the host's needs apart from the service's data:
the *host* account (AzureWebJobsStorage, Durable task hub, the deployment
package, workflow start queues) is used only by the host identity; the *data*
account holds the manifest's buckets and queues, reached by the per-group
identities through identity-based connections. Role assignments are scoped to
one queue, container, topic, subscription or secret each. Shared-key access is
disabled on both accounts and local auth on Service Bus: identities only.

The template is plain JSON built from dicts and written with sorted keys, so
the same manifest always gives the same bytes; role assignment names use ARM's
``guid()`` of (scope, identity, role), stable across deployments.
"""

from __future__ import annotations

from typing import Any

from sls_neutral.core import ir
from sls_neutral.providers.azure.model import START_QUEUE_PREFIX, AzureModel, RoleAssignment
from sls_neutral.providers.azure.roles import ROLES

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
API = {
    "identity": "2023-01-31",
    "storage": "2023-05-01",
    "servicebus": "2022-10-01-preview",
    "keyvault": "2023-07-01",
    "insights": "2020-02-02",
    "workspace": "2022-10-01",
    "web": "2023-12-01",
    "roles": "2022-04-01",
    "eventgrid": "2022-06-15",
    "alerts": "2021-08-01",
}
BLOB_POISON_QUEUE = "webjobs-blobtrigger-poison"  # where the blob extension puts a blob that kept failing
HOST_ROLES = ("Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor")


def iso_duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else ("" if days else "T0S"))


def _rid(kind: str, *names: str) -> str:
    quoted = ", ".join(f"'{n}'" for n in names)
    return f"resourceId('{kind}', {quoted})"


def identity_rid(name: str) -> str:
    return _rid("Microsoft.ManagedIdentity/userAssignedIdentities", name)


class _Builder:
    def __init__(self, model: AzureModel):
        self.m = model
        self.n = model.names
        self.app = model.app
        self.tags = dict(sorted({**dict(model.settings.get("tags") or {}), **dict(getattr(model.app, "tags", {}) or {}),
                                 "sls-neutral-service": self.app.service,
                                 "sls-neutral-stage": self.app.stage}.items()))
        self.resources: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any]) -> None:
        self.resources.append(resource)

    # ------------------------------------------------------------ pieces
    def identities(self) -> None:
        for name in [self.n["host_identity"], *(g.identity for g in self.m.groups.values())]:
            self.add({"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": API["identity"],
                      "name": name, "location": "[parameters('location')]", "tags": self.tags})

    def storage(self) -> None:
        for key in ("host_storage", "storage"):
            self.add({"type": "Microsoft.Storage/storageAccounts", "apiVersion": API["storage"],
                      "name": self.n[key], "location": "[parameters('location')]", "tags": self.tags,
                      "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
                      "properties": {"allowBlobPublicAccess": False, "allowSharedKeyAccess": False,
                                     "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True,
                                     "defaultToOAuthAuthentication": True}})
        data, host = self.n["storage"], self.n["host_storage"]
        containers = [(host, self.n["deployment_container"])]
        containers += [(data, _container(b)) for b in self.app.buckets]
        for account, container in containers:
            self.add({"type": "Microsoft.Storage/storageAccounts/blobServices/containers",
                      "apiVersion": API["storage"], "name": f"{account}/default/{container}",
                      "dependsOn": [_rid("Microsoft.Storage/storageAccounts", account)],
                      "properties": {"publicAccess": "None"}})
        queues = [(data, q.physical) for q in self.m.queues.values() if not q.service_bus]
        if any(f.kind == "blob" for f in self.m.functions):
            queues.append((data, BLOB_POISON_QUEUE))
        queues += [(host, START_QUEUE_PREFIX + w) for w in self.app.workflows]
        for account, queue in queues:
            self.add({"type": "Microsoft.Storage/storageAccounts/queueServices/queues",
                      "apiVersion": API["storage"], "name": f"{account}/default/{queue}",
                      "dependsOn": [_rid("Microsoft.Storage/storageAccounts", account)], "properties": {}})

    def service_bus(self) -> None:
        if not self.m.uses_service_bus:
            return
        ns = self.n["servicebus"]
        self.add({"type": "Microsoft.ServiceBus/namespaces", "apiVersion": API["servicebus"], "name": ns,
                  "location": "[parameters('location')]", "tags": self.tags,
                  "sku": {"name": "Standard", "tier": "Standard"},
                  "properties": {"disableLocalAuth": True, "minimumTlsVersion": "1.2"}})
        ns_dep = [_rid("Microsoft.ServiceBus/namespaces", ns)]
        for name, q in self.m.queues.items():
            if not q.service_bus or q.dead_letter_for:
                continue
            spec = self.app.queues[name]
            props: dict[str, Any] = {
                "requiresSession": q.fifo,
                "lockDuration": iso_duration(min(max(spec.visibility_timeout, 5), 300)),
                "defaultMessageTimeToLive": iso_duration(spec.retention),
                "maxDeliveryCount": spec.max_receives or 10,
                "deadLetteringOnMessageExpiration": False,
            }
            self.add({"type": "Microsoft.ServiceBus/namespaces/queues", "apiVersion": API["servicebus"],
                      "name": f"{ns}/{name}", "dependsOn": ns_dep, "properties": props})
        for tname in self.app.topics:
            self.add({"type": "Microsoft.ServiceBus/namespaces/topics", "apiVersion": API["servicebus"],
                      "name": f"{ns}/{tname}", "dependsOn": ns_dep, "properties": {}})
        for topic, sub, forward in self.m.subscriptions:
            deps = [_rid("Microsoft.ServiceBus/namespaces/topics", ns, topic)]
            props = {"maxDeliveryCount": 10}
            if forward:
                props["forwardTo"] = forward
                deps.append(_rid("Microsoft.ServiceBus/namespaces/queues", ns, forward))
            self.add({"type": "Microsoft.ServiceBus/namespaces/topics/subscriptions",
                      "apiVersion": API["servicebus"], "name": f"{ns}/{topic}/{sub}", "dependsOn": deps,
                      "properties": props})

    def key_vault(self) -> None:
        if not self.m.uses_keyvault:
            return
        self.add({"type": "Microsoft.KeyVault/vaults", "apiVersion": API["keyvault"], "name": self.n["keyvault"],
                  "location": "[parameters('location')]", "tags": self.tags,
                  "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"},
                                 "enableRbacAuthorization": True, "enableSoftDelete": True,
                                 "softDeleteRetentionInDays": 7}})

    def insights(self) -> None:
        workspace = self.n["insights"] + "-logs"
        self.add({"type": "Microsoft.OperationalInsights/workspaces", "apiVersion": API["workspace"],
                  "name": workspace, "location": "[parameters('location')]", "tags": self.tags,
                  "properties": {"retentionInDays": self.retention_days(), "sku": {"name": "PerGB2018"}}})
        self.add({"type": "Microsoft.Insights/components", "apiVersion": API["insights"], "name": self.n["insights"],
                  "location": "[parameters('location')]", "tags": self.tags, "kind": "web",
                  "dependsOn": [_rid("Microsoft.OperationalInsights/workspaces", workspace)],
                  "properties": {"Application_Type": "web", "DisableLocalAuth": True,
                                 "WorkspaceResourceId": f"[{_rid('Microsoft.OperationalInsights/workspaces', workspace)}]"}})

    def retention_days(self) -> int:
        """Log Analytics keeps 30-730 days; the observability plugin's retention is clamped into that range."""
        obs = getattr(self.app, "observability", None)
        days = getattr(obs, "log_retention_days", None) or 30
        return max(30, min(int(days), 730))

    def app_settings(self) -> list[dict[str, str]]:
        n = self.n
        host_id = identity_rid(n["host_identity"])
        settings: dict[str, str] = {
            "AzureWebJobsStorage__accountName": n["host_storage"],
            "AzureWebJobsStorage__credential": "managedidentity",
            "AzureWebJobsStorage__clientId": f"[reference({host_id}, '{API['identity']}').clientId]",
            "APPLICATIONINSIGHTS_CONNECTION_STRING":
                f"[reference({_rid('Microsoft.Insights/components', n['insights'])}, '{API['insights']}')"
                ".ConnectionString]",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING":
                f"[concat('Authorization=AAD;ClientId=', reference({host_id}, '{API['identity']}').clientId)]",
            "SLSN_PROVIDER": "azure",
            "SLSN_SERVICE": self.app.service,
            "SLSN_STAGE": self.app.stage,
            "SLSN_STORAGE_ACCOUNT": n["storage"],
            "SLSN_HOST_STORAGE_ACCOUNT": n["host_storage"],
        }
        if self.m.plan == "consumption":
            settings["FUNCTIONS_EXTENSION_VERSION"] = "~4"
            settings["FUNCTIONS_WORKER_RUNTIME"] = "python"
            settings["SCM_DO_BUILD_DURING_DEPLOYMENT"] = "true"
            settings["ENABLE_ORYX_BUILD"] = "true"
        if self.m.uses_service_bus:
            settings["SLSN_SERVICEBUS_NAMESPACE"] = f"{n['servicebus']}.servicebus.windows.net"
        if self.m.uses_keyvault:
            settings["SLSN_KEYVAULT_URI"] = f"https://{n['keyvault']}.vault.azure.net/"
        for label, group in self.m.groups.items():
            client = f"[reference({identity_rid(group.identity)}, '{API['identity']}').clientId]"
            settings[f"SLSN_IDENTITY_{label}"] = client
            settings[f"SLSN_STORAGE_{label}__queueServiceUri"] = f"https://{n['storage']}.queue.core.windows.net"
            settings[f"SLSN_STORAGE_{label}__blobServiceUri"] = f"https://{n['storage']}.blob.core.windows.net"
            settings[f"SLSN_STORAGE_{label}__credential"] = "managedidentity"
            settings[f"SLSN_STORAGE_{label}__clientId"] = client
            if self.m.uses_service_bus:
                settings[f"SLSN_SERVICEBUS_{label}__fullyQualifiedNamespace"] = \
                    f"{n['servicebus']}.servicebus.windows.net"
                settings[f"SLSN_SERVICEBUS_{label}__credential"] = "managedidentity"
                settings[f"SLSN_SERVICEBUS_{label}__clientId"] = client
        for fn in self.app.functions.values():
            for key, value in fn.environment.items():
                settings.setdefault(key, value)
        return [{"name": k, "value": v} for k, v in sorted(settings.items())]

    def function_app(self) -> None:
        n, m = self.n, self.m
        flex = m.plan == "flex"
        self.add({"type": "Microsoft.Web/serverfarms", "apiVersion": API["web"], "name": n["plan"],
                  "location": "[parameters('location')]", "tags": self.tags, "kind": "functionapp",
                  "sku": {"name": "FC1", "tier": "FlexConsumption"} if flex else {"name": "Y1", "tier": "Dynamic"},
                  "properties": {"reserved": True}})
        identities = [n["host_identity"], *(g.identity for g in m.groups.values())]
        depends = [_rid("Microsoft.Web/serverfarms", n["plan"]),
                   _rid("Microsoft.Storage/storageAccounts", n["host_storage"]),
                   _rid("Microsoft.Insights/components", n["insights"]),
                   *(identity_rid(i) for i in identities)]
        site_config: dict[str, Any] = {"minTlsVersion": "1.2", "ftpsState": "Disabled",
                                       "appSettings": self.app_settings()}
        cors = any(t.cors for t, _, _ in self.app.http_routes)
        if cors:
            site_config["cors"] = {"allowedOrigins": ["*"], "supportCredentials": False}
        props: dict[str, Any] = {"serverFarmId": f"[{_rid('Microsoft.Web/serverfarms', n['plan'])}]",
                                 "httpsOnly": True, "siteConfig": site_config}
        version = self.app.runtime.removeprefix("python")
        if flex:
            memories = [f.memory for f in self.app.functions.values()] or [256]
            memory = 512 if max(memories) <= 512 else 2048 if max(memories) <= 2048 else 4096
            caps = [f.max_instances for f in self.app.functions.values() if f.max_instances]
            scale: dict[str, Any] = {"maximumInstanceCount": min([int(m.settings.get("maximum_instance_count") or 100),
                                                                  *caps]),
                                     "instanceMemoryMB": memory}
            ready = [{"name": f"function:{f.name}", "instanceCount": self.app.functions[f.target].warm}
                     for f in m.functions if f.target in self.app.functions and self.app.functions[f.target].warm]
            if ready:
                scale["alwaysReady"] = ready
            props["functionAppConfig"] = {
                "deployment": {"storage": {
                    "type": "blobContainer",
                    "value": f"[concat(reference({_rid('Microsoft.Storage/storageAccounts', n['host_storage'])}, "
                             f"'{API['storage']}').primaryEndpoints.blob, '{n['deployment_container']}')]",
                    "authentication": {"type": "UserAssignedIdentity",
                                       "userAssignedIdentityResourceId": f"[{identity_rid(n['host_identity'])}]"}}},
                "scaleAndConcurrency": scale,
                "runtime": {"name": "python", "version": version},
            }
        else:
            site_config["linuxFxVersion"] = f"Python|{version}"
        self.add({"type": "Microsoft.Web/sites", "apiVersion": API["web"], "name": n["function_app"],
                  "location": "[parameters('location')]", "tags": self.tags, "kind": "functionapp,linux",
                  "identity": {"type": "UserAssigned",
                               "userAssignedIdentities": {f"[{identity_rid(i)}]": {} for i in identities}},
                  "dependsOn": depends, "properties": props})

    def role_assignments(self) -> None:
        n = self.n
        host_roles = [RoleAssignment("host", role, "host_storage", n["host_storage"]) for role in HOST_ROLES]
        host_roles.append(RoleAssignment("host", "Monitoring Metrics Publisher", "insights", n["insights"]))
        for ra in host_roles + list(self.m.roles):
            identity = n["host_identity"] if ra.group == "host" else self.m.groups[ra.group].identity
            scope, dep = self._scope(ra)
            role_id = ROLES[ra.role]
            self.add({"type": "Microsoft.Authorization/roleAssignments", "apiVersion": API["roles"],
                      "name": f"[guid({dep}, '{identity}', '{role_id}')]",
                      "scope": scope,
                      "dependsOn": [dep, identity_rid(identity)],
                      "properties": {
                          "roleDefinitionId":
                              f"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '{role_id}')]",
                          "principalId": f"[reference({identity_rid(identity)}, '{API['identity']}').principalId]",
                          "principalType": "ServicePrincipal",
                          "description": f"sls-neutral: {ra.role} on {ra.scope_kind} {ra.scope_name}"}})

    def _scope(self, ra: RoleAssignment) -> tuple[str, str]:
        """(the extension-resource scope, the resourceId() of the scoped resource for dependsOn/guid)."""
        n = self.n
        kinds = {
            "queue": ("Microsoft.Storage/storageAccounts/queueServices/queues", (n["storage"], "default")),
            "host_queue": ("Microsoft.Storage/storageAccounts/queueServices/queues", (n["host_storage"], "default")),
            "container": ("Microsoft.Storage/storageAccounts/blobServices/containers", (n["storage"], "default")),
            "sb_queue": ("Microsoft.ServiceBus/namespaces/queues", (n["servicebus"],)),
            "sb_topic": ("Microsoft.ServiceBus/namespaces/topics", (n["servicebus"],)),
            "sb_subscription": ("Microsoft.ServiceBus/namespaces/topics/subscriptions", (n["servicebus"],)),
            "secret": ("Microsoft.KeyVault/vaults/secrets", (n["keyvault"],)),
            "host_storage": ("Microsoft.Storage/storageAccounts", ()),
            "insights": ("Microsoft.Insights/components", ()),
        }
        kind, parents = kinds[ra.scope_kind]
        names = [*parents, *ra.scope_name.split("/")]
        # the scope in ARM's relative form: provider/type/name/type/name...
        ns, *types = kind.split("/")
        segments = [ns, types[0], names[0]]
        for t, name in zip(types[1:], names[1:]):
            segments += [t, name]
        return "/".join(segments), _rid(kind, *names)

    def alerts(self) -> None:
        """The observability plugin's alarms as Application Insights log alerts, one per function and kind.

        ``errors``: the failed share of requests over 5 minutes above the threshold; ``duration``: any request
        longer than the threshold's share of the function's timeout. Functions do not throttle like Lambda, so
        ``throttles`` has no Azure alert (docs/providers/azure.md).
        """
        obs = getattr(self.app, "observability", None)
        alarms = set(getattr(obs, "alarms", ()) or ())
        if not alarms & {"errors", "duration"}:
            return
        insights = _rid("Microsoft.Insights/components", self.n["insights"])
        by_target: dict[str, list[str]] = {}
        for f in self.m.functions:
            if f.target in self.app.functions:
                by_target.setdefault(f.target, []).append(f.name)
        for fname, names in sorted(by_target.items()):
            quoted = ", ".join(f"'{n}'" for n in sorted(names))
            base = f"requests | where operation_Name in ({quoted})"
            queries = {}
            if "errors" in alarms:
                rate = float(getattr(obs, "error_rate_threshold", 0.05))
                queries["errors"] = (f"{base} | summarize total = count(), failed = countif(success == false) "
                                     f"| where total > 0 and todouble(failed) / total > {rate:g}")
            if "duration" in alarms:
                limit_ms = int(self.app.functions[fname].timeout * 1000 * float(getattr(obs, "duration_threshold",
                                                                                        0.8)))
                queries["duration"] = f"{base} | where duration > {limit_ms}"
            for kind, query in queries.items():
                self.add({"type": "Microsoft.Insights/scheduledQueryRules", "apiVersion": API["alerts"],
                          "name": f"alert-{self.app.service}-{self.app.stage}-{fname}-{kind}",
                          "location": "[parameters('location')]", "tags": self.tags,
                          "dependsOn": [insights],
                          "properties": {
                              "displayName": f"{self.app.service} ({self.app.stage}) {fname}: {kind}",
                              "severity": 2, "enabled": True, "evaluationFrequency": "PT5M", "windowSize": "PT5M",
                              "scopes": [f"[{insights}]"],
                              "criteria": {"allOf": [{"query": query, "timeAggregation": "Count",
                                                      "operator": "GreaterThan", "threshold": 0,
                                                      "failingPeriods": {"numberOfEvaluationPeriods": 1,
                                                                         "minFailingPeriodsToAlert": 1}}]}}})

    def event_subscriptions(self) -> None:
        if not self.m.event_subscriptions:
            return
        n = self.n
        topic = n["eventgrid_topic"]
        self.add({"type": "Microsoft.EventGrid/systemTopics", "apiVersion": API["eventgrid"], "name": topic,
                  "location": "[parameters('location')]", "tags": self.tags,
                  "dependsOn": [_rid("Microsoft.Storage/storageAccounts", n["storage"])],
                  "properties": {"source": f"[{_rid('Microsoft.Storage/storageAccounts', n['storage'])}]",
                                 "topicType": "Microsoft.Storage.StorageAccounts"}})
        keys = (f"listKeys(resourceId('Microsoft.Web/sites/host', '{n['function_app']}', 'default'), "
                f"'{API['web']}').systemKeys")
        for sub in self.m.event_subscriptions:
            if sub["kind"] == "blob":
                hook = f"/runtime/webhooks/blobs?functionName=Host.Functions.{sub['function']}&code="
                key = f"{keys}.blobs_extension"
            else:
                hook = f"/runtime/webhooks/EventGrid?functionName={sub['function']}&code="
                key = f"{keys}.eventgrid_extension"
            site = _rid("Microsoft.Web/sites", n["function_app"])
            url = f"[concat('https://', reference({site}, '{API['web']}').defaultHostName, '{hook}', {key})]"
            filt: dict[str, Any] = {"includedEventTypes": [sub["event_type"]],
                                    "subjectBeginsWith": sub["subject_begins_with"]}
            if sub["subject_ends_with"]:
                filt["subjectEndsWith"] = sub["subject_ends_with"]
            self.add({"condition": "[parameters('withEventSubscriptions')]",
                      "type": "Microsoft.EventGrid/systemTopics/eventSubscriptions", "apiVersion": API["eventgrid"],
                      "name": f"{topic}/{sub['function']}",
                      "dependsOn": [_rid("Microsoft.EventGrid/systemTopics", topic), site],
                      "properties": {"destination": {"endpointType": "WebHook",
                                                     "properties": {"endpointUrl": url}},
                                     "filter": filt, "eventDeliverySchema": "EventGridSchema",
                                     "retryPolicy": {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}}})


def _container(bucket: str) -> str:
    from sls_neutral.providers.azure.model import container_name

    return container_name(bucket)


def build_template(model: AzureModel) -> dict[str, Any]:
    b = _Builder(model)
    b.identities()
    b.storage()
    b.service_bus()
    b.key_vault()
    b.insights()
    b.function_app()
    b.role_assignments()
    b.alerts()
    b.event_subscriptions()
    for resource in b.resources:  # dependsOn entries are expressions: bracket them
        if "dependsOn" in resource:
            resource["dependsOn"] = [d if d.startswith("[") else f"[{d}]" for d in resource["dependsOn"]]
    n = model.names
    site = _rid("Microsoft.Web/sites", n["function_app"])
    outputs: dict[str, Any] = {
        "functionAppName": {"type": "string", "value": n["function_app"]},
        "defaultHostName": {"type": "string", "value": f"[reference({site}, '{API['web']}').defaultHostName]"},
    }
    return {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {"generator": "sls-neutral", "service": model.app.service, "stage": model.app.stage},
        "parameters": {
            "location": {"type": "string", "defaultValue": str(model.settings.get("location") or
                                                                "[resourceGroup().location]")},
            "withEventSubscriptions": {
                "type": "bool", "defaultValue": True,
                "metadata": {"description": "Event Grid subscriptions need the app's blob/Event Grid extension keys, "
                                            "which exist once the code is deployed: deploy with false first, then "
                                            "zip deploy, then true."}},
        },
        "resources": b.resources,
        "outputs": outputs,
    }


def resource_summary(template: dict[str, Any]) -> list[tuple[str, str]]:
    """(type, name) of every resource, for plans and tests."""
    return [(r["type"], r["name"]) for r in template["resources"]]


def uses_topic_queue(app: ir.App) -> bool:
    return any(t.queues for t in app.topics.values())
