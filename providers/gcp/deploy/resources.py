"""deployment.json entries <-> the client libraries' messages, and what differs between desired and deployed.

Each ``desired_*`` builds the proto-plus message to send; each ``diff_*`` compares a desired entry
with the deployed message (``to_dict`` of it) and returns the update-mask paths that differ, or
``None`` when an immutable field changed and the resource must be replaced.
"""

from __future__ import annotations

from typing import Any

from sls_neutral.providers.gcp.emit import SOURCE_LABEL

PLATFORM_ENV = {"LOG_EXECUTION_ID"}  # Cloud Functions adds it to every 2nd gen function


def as_dict(message: Any) -> dict[str, Any]:
    return type(message).to_dict(message, use_integers_for_enums=False, including_default_value_fields=False) \
        if _has_default_flag(message) else type(message).to_dict(message, use_integers_for_enums=False)


def _has_default_flag(message: Any) -> bool:
    import inspect

    return "including_default_value_fields" in inspect.signature(type(message).to_dict).parameters


# ---------------------------------------------------------------- functions
def desired_function(spec: dict[str, Any], storage_source: dict[str, str] | None = None) -> Any:
    from google.cloud import functions_v2

    service = spec["service"]
    build: dict[str, Any] = {"runtime": spec["build"]["runtime"], "entry_point": spec["build"]["entry_point"]}
    if storage_source:
        build["source"] = {"storage_source": storage_source}
    message: dict[str, Any] = {
        "name": spec["path"], "description": spec["description"], "labels": spec["labels"],
        "environment": "GEN_2", "build_config": build,
        "service_config": {k: v for k, v in service.items()},
    }
    if spec.get("event_trigger"):
        trigger = dict(spec["event_trigger"])
        trigger["event_filters"] = [dict(f) for f in trigger.get("event_filters", [])]
        message["event_trigger"] = trigger
    return functions_v2.Function(message)


SERVICE_FIELDS = ("available_memory", "available_cpu", "timeout_seconds", "max_instance_count",
                  "min_instance_count", "max_instance_request_concurrency", "environment_variables",
                  "service_account_email", "ingress_settings", "all_traffic_on_latest_revision")


def diff_function(spec: dict[str, Any], current: dict[str, Any]) -> list[str] | None:
    want_trigger = spec.get("event_trigger")
    have_trigger = current.get("event_trigger")
    if bool(want_trigger) != bool(have_trigger):
        return None
    if want_trigger:
        for key in ("event_type", "pubsub_topic", "retry_policy", "service_account_email"):
            if (want_trigger.get(key) or "") != (have_trigger.get(key) or ""):
                return None
        want_filters = sorted((f["attribute"], f["value"]) for f in want_trigger.get("event_filters", []))
        have_filters = sorted((f.get("attribute"), f.get("value")) for f in have_trigger.get("event_filters", []))
        if want_filters != have_filters:
            return None
    paths: list[str] = []
    labels = current.get("labels") or {}
    if labels != spec["labels"]:
        paths.append("labels")
    if labels.get(SOURCE_LABEL) != spec["labels"].get(SOURCE_LABEL):
        paths.append("build_config.source")
    if (current.get("description") or "") != spec["description"]:
        paths.append("description")
    build = current.get("build_config") or {}
    for key in ("runtime", "entry_point"):
        if build.get(key) != spec["build"][key]:
            paths.append(f"build_config.{key}")
    have = current.get("service_config") or {}
    for key in SERVICE_FIELDS:
        want = spec["service"].get(key)
        got = have.get(key)
        if key == "environment_variables":
            got = {k: v for k, v in (got or {}).items() if k not in PLATFORM_ENV}
        if _normal(want) != _normal(got):
            paths.append(f"service_config.{key}")
    return paths


def _normal(value: Any) -> Any:
    if value in (None, 0, False, "", {}, []):
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


# ---------------------------------------------------------------- Pub/Sub
def desired_topic(spec: dict[str, Any]) -> Any:
    from google.pubsub_v1 import types

    return types.Topic(name=spec["path"], labels=spec["labels"])


def diff_topic(spec: dict[str, Any], current: dict[str, Any]) -> list[str] | None:
    return [] if (current.get("labels") or {}) == spec["labels"] else ["labels"]


SUBSCRIPTION_FIELDS = ("ack_deadline_seconds", "message_retention_duration", "retry_policy", "dead_letter_policy",
                       "push_config", "labels")


def subscription_body(spec: dict[str, Any]) -> dict[str, Any]:
    body = {k: spec[k] for k in SUBSCRIPTION_FIELDS if k in spec}
    body.update(name=spec["path"], topic=spec["topic"], enable_message_ordering=spec["enable_message_ordering"])
    body.setdefault("push_config", {})
    return body


def desired_subscription(spec: dict[str, Any]) -> Any:
    from google.pubsub_v1 import types

    return types.Subscription(subscription_body(spec))


def diff_subscription(spec: dict[str, Any], current: dict[str, Any]) -> list[str] | None:
    if current.get("topic") != spec["topic"] or bool(current.get("enable_message_ordering")) != bool(
            spec["enable_message_ordering"]):
        return None
    body = subscription_body(spec)
    return [key for key in SUBSCRIPTION_FIELDS if _normal(body.get(key)) != _normal(current.get(key))]


# ---------------------------------------------------------------- Cloud Scheduler
def job_body(spec: dict[str, Any]) -> dict[str, Any]:
    body = {"name": spec["path"], "schedule": spec["schedule"], "time_zone": spec["time_zone"],
            "description": spec["description"]}
    if "pubsub_target" in spec:
        body["pubsub_target"] = dict(spec["pubsub_target"])
    if "http_target" in spec:
        body["http_target"] = dict(spec["http_target"])
    return body


def desired_job(spec: dict[str, Any]) -> Any:
    import base64

    from google.cloud import scheduler_v1

    body = job_body(spec)
    for target in ("pubsub_target", "http_target"):
        key = "data" if target == "pubsub_target" else "body"
        if target in body and key in body[target]:
            body[target] = {**body[target], key: base64.b64decode(body[target][key])}
    return scheduler_v1.Job(body)


def diff_job(spec: dict[str, Any], current: dict[str, Any]) -> list[str] | None:
    body = job_body(spec)
    paths = []
    for key in ("schedule", "time_zone", "description", "pubsub_target", "http_target"):
        want, have = body.get(key), current.get(key)
        if isinstance(have, dict) and isinstance(want, dict):
            have = {k: v for k, v in have.items() if k in want}
        if _normal(want) != _normal(have):
            paths.append(key)
    return paths


# ---------------------------------------------------------------- Workflows
def desired_workflow(spec: dict[str, Any], source: str, project: str) -> Any:
    from google.cloud import workflows_v1

    return workflows_v1.Workflow(name=spec["path"], description=spec["description"], labels=spec["labels"],
                                 source_contents=source,
                                 service_account=f"projects/{project}/serviceAccounts/{spec['service_account']}",
                                 call_log_level=spec["call_log_level"])


def diff_workflow(spec: dict[str, Any], source: str, project: str, current: dict[str, Any]) -> list[str] | None:
    paths = []
    if current.get("source_contents") != source:
        paths.append("source_contents")
    account = current.get("service_account") or ""
    if account.rsplit("/", 1)[-1] != spec["service_account"]:
        paths.append("service_account")
    if (current.get("labels") or {}) != spec["labels"]:
        paths.append("labels")
    if (current.get("description") or "") != spec["description"]:
        paths.append("description")
    if (current.get("call_log_level") or "CALL_LOG_LEVEL_UNSPECIFIED") != spec["call_log_level"]:
        paths.append("call_log_level")
    return paths
