"""Carry out a GCP plan with the google-cloud client libraries.

Order: service accounts, buckets, topics, subscriptions, functions (upload through generateUploadUrl,
create/update, wait on the long-running operation), workflows, Scheduler jobs, IAM policies, then
deletions of what is no longer declared (jobs and subscriptions before the functions and topics they
feed). An empty plan makes no call at all.
"""

from __future__ import annotations

import time
from typing import Any

from sls_neutral.core.errors import DeployError
from sls_neutral.core.plan import Plan
from sls_neutral.providers.gcp.deploy import resources as res
from sls_neutral.providers.gcp.deploy.clients import Clients

ORDER = ("iam.serviceAccount", "storage.bucket", "pubsub.topic", "pubsub.subscription", "functions.function",
         "workflows.workflow", "scheduler.job", "logging.bucket", "logging.sink", "monitoring.alertPolicy")
DELETE_ORDER = ("monitoring.alertPolicy", "logging.sink", "scheduler.job", "pubsub.subscription",
                "functions.function", "workflows.workflow", "pubsub.topic")
OPERATION_TIMEOUT = 1800.0


def _polling():
    """Poll long-running operations from 0.2 s up to 10 s apart (function builds take minutes on GCP)."""
    from google.api_core import retry
    from google.api_core.future import polling

    return retry.Retry(predicate=polling.POLLING_PREDICATE if hasattr(polling, "POLLING_PREDICATE")
                       else retry.if_exception_type(polling._OperationNotComplete),
                       initial=0.2, maximum=10.0, multiplier=1.5, timeout=OPERATION_TIMEOUT)


class Executor:
    def __init__(self, deployment: dict[str, Any], artifacts, clients: Clients, ctx):
        self.deployment = deployment
        self.artifacts = artifacts
        self.clients = clients
        self.ctx = ctx
        self.done: list[str] = []

    def wait(self, operation: Any, what: str) -> Any:
        started = time.monotonic()
        self.ctx.say(f"  waiting for {what} ...")
        result = operation.result(timeout=OPERATION_TIMEOUT, polling=_polling())
        self.ctx.say(f"  {what}: done in {time.monotonic() - started:.1f}s")
        return result

    # ------------------------------------------------------------ per resource type
    def service_account(self, action) -> None:
        account = self.deployment["service_accounts"][action.params["key"]]
        self.clients.create_service_account(account["account_id"], account["display_name"])

    def bucket(self, action) -> None:
        spec = self.deployment["buckets"][action.params["name"]]
        storage = self.clients.storage
        if action.op == "create":
            bucket = storage.bucket(spec["name"])
            bucket.labels = spec["labels"]
            bucket.versioning_enabled = spec["versioning"]
            bucket.iam_configuration.uniform_bucket_level_access_enabled = spec["uniform_bucket_level_access"]
            bucket.iam_configuration.public_access_prevention = spec["public_access_prevention"]
            storage.create_bucket(bucket, project=self.deployment["project"], location=spec["location"])
        else:
            bucket = storage.get_bucket(spec["name"])
            bucket.labels = spec["labels"]
            bucket.versioning_enabled = spec["versioning"]
            bucket.patch()

    def topic(self, action) -> None:
        spec = self.deployment["topics"][action.params["name"]]
        if action.op == "create":
            self.clients.publisher.create_topic(request=res.desired_topic(spec))
        else:
            self.clients.publisher.update_topic(request={"topic": res.desired_topic(spec),
                                                         "update_mask": {"paths": action.params["paths"]}})

    def subscription(self, action) -> None:
        spec = self.deployment["subscriptions"][action.params["name"]]
        subscriber = self.clients.subscriber
        if action.op == "replace":
            subscriber.delete_subscription(subscription=spec["path"])
        if action.op in ("create", "replace"):
            subscriber.create_subscription(request=res.desired_subscription(spec))
        else:
            subscriber.update_subscription(request={"subscription": res.desired_subscription(spec),
                                                    "update_mask": {"paths": action.params["paths"]}})

    def upload(self, spec: dict[str, Any]) -> dict[str, str]:
        """generateUploadUrl, then PUT the zip to the signed URL; returns the storage source to build from."""
        import requests

        location = spec["path"].split("/functions/")[0]
        target = self.clients.functions.generate_upload_url(request={"parent": location})
        data = self.artifacts.get(spec["build"]["source"]).data
        self.ctx.say(f"  uploading {spec['build']['source']} ({len(data) // 1024} KiB)")
        reply = requests.put(target.upload_url, data=data, headers={"content-type": "application/zip"},
                             timeout=300)
        if reply.status_code >= 300:
            raise DeployError(f"uploading the source of '{spec['name']}' failed: {reply.status_code}",
                              hint="retry the deploy; the upload URL is valid for a few minutes")
        source = target.storage_source
        return {"bucket": source.bucket, "object_": source.object_}

    def function(self, action) -> None:
        spec = self.deployment["functions"][action.params["name"]]
        client = self.clients.functions
        location, _, function_id = spec["path"].rpartition("/functions/")
        if action.op == "replace":
            self.wait(client.delete_function(name=spec["path"]), f"delete of function {spec['name']}")
        if action.op in ("create", "replace"):
            function = res.desired_function(spec, self.upload(spec))
            self.wait(client.create_function(parent=location, function=function, function_id=function_id),
                      f"function {spec['name']}")
            return
        paths = list(action.params["paths"])
        storage_source = self.upload(spec) if "build_config.source" in paths else None
        function = res.desired_function(spec, storage_source)
        self.wait(client.update_function(function=function, update_mask={"paths": paths}),
                  f"update of function {spec['name']}")

    def workflow(self, action) -> None:
        spec = self.deployment["workflows"][action.params["name"]]
        source = self.artifacts.get(spec["source"]).data.decode("utf-8")
        workflow = res.desired_workflow(spec, source, self.deployment["project"])
        client = self.clients.workflows
        location, _, workflow_id = spec["path"].rpartition("/workflows/")
        if action.op == "create":
            self.wait(client.create_workflow(parent=location, workflow=workflow, workflow_id=workflow_id),
                      f"workflow {spec['name']}")
        else:
            self.wait(client.update_workflow(workflow=workflow, update_mask={"paths": action.params["paths"]}),
                      f"update of workflow {spec['name']}")

    def job(self, action) -> None:
        spec = self.deployment["scheduler_jobs"][action.params["name"]]
        location = spec["path"].rsplit("/jobs/", 1)[0]
        if action.op == "create":
            self.clients.scheduler.create_job(parent=location, job=res.desired_job(spec))
        else:
            self.clients.scheduler.update_job(job=res.desired_job(spec), update_mask={"paths": action.params["paths"]})

    def observability(self, action) -> None:
        from sls_neutral.providers.gcp.deploy import observability

        observability.apply(self.deployment, self.artifacts, self.clients, action)

    def delete(self, action) -> None:
        path = action.params.get("path", "")
        kind = action.resource_type
        if kind == "scheduler.job":
            self.clients.scheduler.delete_job(name=path)
        elif kind == "pubsub.subscription":
            self.clients.subscriber.delete_subscription(subscription=path)
        elif kind == "pubsub.topic":
            self.clients.publisher.delete_topic(topic=path)
        elif kind == "functions.function":
            self.wait(self.clients.functions.delete_function(name=path), f"delete of function {action.name}")
        elif kind == "workflows.workflow":
            self.wait(self.clients.workflows.delete_workflow(name=path), f"delete of workflow {action.name}")
        elif kind in ("monitoring.alertPolicy", "logging.sink"):
            from sls_neutral.providers.gcp.deploy import observability

            observability.delete(self.clients, action)

    # ------------------------------------------------------------ the run
    def run(self, plan: Plan) -> dict[str, Any]:
        handlers = {"iam.serviceAccount": self.service_account, "storage.bucket": self.bucket,
                    "pubsub.topic": self.topic, "pubsub.subscription": self.subscription,
                    "functions.function": self.function, "workflows.workflow": self.workflow,
                    "scheduler.job": self.job, "logging.bucket": self.observability,
                    "logging.sink": self.observability, "monitoring.alertPolicy": self.observability}
        changes = [a for a in plan.changes]
        for kind in ORDER:
            for action in [a for a in changes if a.resource_type == kind and a.op != "delete"]:
                self.ctx.say(f"{action.op} {kind} {action.name}")
                handlers[kind](action)
                self.done.append(f"{action.op} {kind} {action.name}")
        for action in [a for a in changes if a.resource_type.startswith("iam.") and a.resource_type !=
                       "iam.serviceAccount"]:
            self.ctx.say(f"set IAM policy of {action.name}")
            self.clients.set_policy(action.params["resource_type"], action.name, action.params["policy"])
            self.done.append(f"update {action.resource_type} {action.name}")
        for kind in DELETE_ORDER:
            for action in [a for a in changes if a.resource_type == kind and a.op == "delete"]:
                self.ctx.say(f"delete {kind} {action.name}")
                self.delete(action)
                self.done.append(f"delete {kind} {action.name}")
        urls = {name: spec["url"] for name, spec in self.deployment["functions"].items()
                if spec["kind"] in ("http", "starter")}
        return {"provider": "gcp", "project": self.deployment["project"], "region": self.deployment["region"],
                "changes": self.done, "urls": dict(sorted(urls.items())),
                "message": _message(self.deployment, len(self.done), urls)}


def execute(app, plan: Plan, artifacts, ctx) -> dict[str, Any]:
    deployment = plan.data.get("deployment")
    if deployment is None:
        from sls_neutral.providers.gcp.deploy.planner import load_deployment

        deployment = load_deployment(artifacts)
    if plan.is_empty:
        ctx.say("no changes")
        urls = {n: s["url"] for n, s in sorted(deployment["functions"].items()) if s["kind"] in ("http", "starter")}
        return {"provider": "gcp", "project": deployment["project"], "region": deployment["region"],
                "changes": [], "urls": urls, "message": _message(deployment, 0, urls)}
    clients = Clients(deployment["project"], deployment["region"], ctx.endpoint_url)
    return Executor(deployment, artifacts, clients, ctx).run(plan)


def _message(deployment: dict[str, Any], changes: int, urls: dict[str, str]) -> str:
    lines = [f"deployed {deployment['service']} ({deployment['stage']}) to {deployment['project']}/"
             f"{deployment['region']}: " + (f"{changes} change(s)" if changes else "no changes")]
    lines += [f"  {name}: {url}" for name, url in sorted(urls.items())]
    return "\n".join(lines)


def remove(app, ctx) -> dict[str, Any]:
    """Delete every function, workflow, job, subscription and topic labelled with this service and stage.

    Buckets (data) and service accounts (identities other grants may name) are kept; the message says so.
    """
    from sls_neutral.core.errors import DeployError
    from sls_neutral.providers.gcp.deploy.planner import build_plan
    from sls_neutral.providers.gcp.model import labels_for
    from sls_neutral.providers.gcp.names import Names

    settings = app.settings("gcp")
    if not settings.get("project"):
        raise DeployError("providers.gcp.project is not set", hint="set providers.gcp.project to the project id")
    names = Names.from_settings(app.service, app.stage, settings)
    nothing: dict[str, Any] = {"service": app.service, "stage": app.stage, "project": names.project,
                               "region": names.region, "labels": labels_for(app, settings), "functions": {},
                               "topics": {}, "subscriptions": {}, "scheduler_jobs": {}, "buckets": {},
                               "workflows": {}, "service_accounts": {}, "iam_bindings": [],
                               "platform_bindings": [], "notes": []}
    clients = Clients(names.project, names.region, ctx.endpoint_url)
    plan = build_plan(nothing, None, clients)
    done = Executor(nothing, None, clients, ctx).run(plan)["changes"] if not plan.is_empty else []
    kept = ", ".join([names.bucket(b) for b in sorted(app.buckets)] + (  # logs are data too: the log bucket stays
        [f"log bucket {names.log_bucket()}"] if app.observability.log_retention_days else [])) or "none"
    return {"provider": "gcp", "removed": done,
            "message": f"removed {len(done)} resource(s) of {app.service} ({app.stage}); buckets kept: {kept}"}


def info(app, ctx) -> dict[str, Any]:
    """Deployed functions of this service and stage, with their state and URL."""
    from sls_neutral.providers.gcp.deploy.planner import ours
    from sls_neutral.providers.gcp.names import Names

    settings = app.settings("gcp")
    names = Names.from_settings(app.service, app.stage, settings)
    clients = Clients(names.project, names.region, ctx.endpoint_url)
    deployment = {"service": app.service, "stage": app.stage}
    functions = {}
    for fn in clients.functions.list_functions(parent=names.location):
        data = res.as_dict(fn)
        if ours(data.get("labels"), deployment):
            functions[fn.name.rsplit("/", 1)[-1]] = {"state": data.get("state"), "url": data.get("url")}
    return {"provider": "gcp", "project": names.project, "region": names.region, "functions": functions}
