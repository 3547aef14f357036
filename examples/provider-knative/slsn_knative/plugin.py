"""Emit Knative Service, Broker/Trigger and PingSource manifests from the neutral IR.

Every function becomes a Knative Service running a container image built from
the function's source (the image reference is a placeholder the user's build
fills: ``ko`` or a CI step). Topics become Brokers, topic triggers become
Triggers filtering on the CloudEvents ``type`` and ``source``, schedules become
PingSources. Queues, buckets and workflows have no Knative core equivalent and
are refused at compile time with an alternative (declared capabilities), never
dropped.
"""

from __future__ import annotations

from typing import Any

from sls_neutral import hookimpl
from sls_neutral.core import ir
from sls_neutral.core.naming import NameRules, resource_name
from sls_neutral.core.provider import FULL, Provider, Support

K8S_NAME = NameRules(63, r"a-z0-9-", lowercase=True, must_start_with_letter=True)
UNSUPPORTED = Support("none", alternative="use the local, aws, gcp or azure provider, or a Knative eventing source")


class KnativeProvider(Provider):
    name = "knative"
    version = "0.1.0"
    description = "Knative Serving + Eventing manifests (example third-party provider)"
    capabilities = {
        "http": FULL, "topic": FULL, "schedule.cron": FULL, "schedule.timezone": FULL,
        "schedule.rate": Support("approx", note="rate converted to a cron PingSource"),
        "max_instances": FULL, "warm": Support("approx", note="autoscaling.knative.dev/min-scale"),
        "secret": Support("approx", note="a Kubernetes Secret with the same name, mounted as env"),
        "queue": UNSUPPORTED, "queue.fifo": UNSUPPORTED, "queue.dead_letter": UNSUPPORTED,
        "queue.delay": UNSUPPORTED, "topic.queue": UNSUPPORTED, "bucket": UNSUPPORTED,
        "bucket.created": UNSUPPORTED, "bucket.deleted": UNSUPPORTED, "bucket.filter": UNSUPPORTED,
        "workflow": UNSUPPORTED, "workflow.parallel": UNSUPPORTED, "workflow.map": UNSUPPORTED,
        "workflow.wait": UNSUPPORTED, "workflow.retry.jitter": UNSUPPORTED, "workflow.http": UNSUPPORTED,
        "http.cors": Support("approx", note="CORS is handled by the adapter, not the ingress"),
    }

    def emit(self, app: ir.App, artifacts) -> None:
        namespace = resource_name(app.service, app.stage, rules=K8S_NAME)
        docs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
        for topic in app.topics.values():
            docs.append({"apiVersion": "eventing.knative.dev/v1", "kind": "Broker",
                         "metadata": {"name": topic.name, "namespace": namespace}})
        for fn in app.functions.values():
            service = resource_name(fn.name, rules=K8S_NAME)
            docs.append(self.service(app, fn, service, namespace))
            for index, trigger in enumerate(fn.triggers):
                if isinstance(trigger, ir.TopicTrigger):
                    docs.append({"apiVersion": "eventing.knative.dev/v1", "kind": "Trigger",
                                 "metadata": {"name": f"{service}-{trigger.topic}", "namespace": namespace},
                                 "spec": {"broker": trigger.topic,
                                          "filter": {"attributes": {"type": "sls.topic.message"}},
                                          "subscriber": {"ref": {"apiVersion": "serving.knative.dev/v1",
                                                                 "kind": "Service", "name": service}}}})
                elif isinstance(trigger, ir.ScheduleTrigger):
                    docs.append({"apiVersion": "sources.knative.dev/v1", "kind": "PingSource",
                                 "metadata": {"name": f"{service}-tick-{index}", "namespace": namespace},
                                 "spec": {"schedule": trigger.cron or _rate_cron(trigger.rate),
                                          "timezone": trigger.timezone, "contentType": "application/json",
                                          "data": "{}",
                                          "sink": {"ref": {"apiVersion": "serving.knative.dev/v1",
                                                           "kind": "Service", "name": service}}}})
        artifacts.add("knative.yaml", "---\n".join(_yaml(d) for d in docs))

    def service(self, app: ir.App, fn: ir.Function, name: str, namespace: str) -> dict[str, Any]:
        env = [{"name": k, "value": v} for k, v in sorted(fn.environment.items())]
        env += [{"name": "SLSN_PROVIDER", "value": "knative"}, {"name": "SLSN_FUNCTION", "value": fn.name},
                {"name": "SLSN_HANDLER", "value": f"{fn.module}:{fn.handler_function}"},
                {"name": "SLSN_GRANTS", "value": ",".join(g.scope for g in fn.grants)}]
        env += [{"name": k, "valueFrom": {"secretKeyRef": {"name": s, "key": "value"}}}
                for k, s in sorted(fn.secret_environment.items())]
        annotations = {}
        if fn.warm:
            annotations["autoscaling.knative.dev/min-scale"] = str(fn.warm)
        if fn.max_instances:
            annotations["autoscaling.knative.dev/max-scale"] = str(fn.max_instances)
        template: dict[str, Any] = {"spec": {"timeoutSeconds": int(fn.timeout), "containers": [{
            "image": f"ko://{app.service}/{fn.name}", "env": env,
            "resources": {"limits": {"memory": f"{fn.memory}Mi"}}}]}}
        if annotations:
            template["metadata"] = {"annotations": annotations}
        labels = {"app.kubernetes.io/part-of": app.service, "sls-neutral/stage": app.stage, **app.tags}
        return {"apiVersion": "serving.knative.dev/v1", "kind": "Service",
                "metadata": {"name": name, "namespace": namespace, "labels": dict(sorted(labels.items()))},
                "spec": {"template": template}}


def _rate_cron(rate: float | None) -> str:
    minutes = int((rate or 60) // 60)
    if minutes < 60:
        return f"*/{minutes} * * * *"
    hours = minutes // 60
    return f"0 */{hours} * * *" if hours < 24 else "0 0 * * *"


def _yaml(doc: dict) -> str:
    """Deterministic YAML through JSON-compatible flow (sorted keys)."""
    import json

    lines: list[str] = []

    def emit(value: Any, indent: int) -> None:
        pad = " " * indent
        if isinstance(value, dict):
            for key in sorted(value):
                item = value[key]
                if isinstance(item, (dict, list)) and item:
                    lines.append(f"{pad}{key}:")
                    emit(item, indent + 2)
                else:
                    lines.append(f"{pad}{key}: {json.dumps(item)}")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and item:
                    first = True
                    for key in sorted(item):
                        sub = item[key]
                        prefix = f"{pad}- " if first else f"{pad}  "
                        first = False
                        if isinstance(sub, (dict, list)) and sub:
                            lines.append(f"{prefix}{key}:")
                            emit(sub, indent + 4)
                        else:
                            lines.append(f"{prefix}{key}: {json.dumps(sub)}")
                else:
                    lines.append(f"{pad}- {json.dumps(item)}")

    emit(doc, 0)
    return "\n".join(lines) + "\n"


@hookimpl
def slsn_register_providers():
    return [KnativeProvider()]
