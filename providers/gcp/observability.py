"""The ``observability`` plugin on GCP: Cloud Monitoring alert policies, a Cloud Logging bucket and sink, Cloud Trace.

Pure data from the IR (``App.observability``) and the deployment description, like model.py:

- **alarms** -> one Cloud Monitoring alert policy (REST ``projects.alertPolicies``, v3) per function and alarm
  kind, written as ``monitoring/<display name>.json`` (the request body, sorted keys; ``gcloud alpha monitoring
  policies create --policy-from-file`` takes it too). 2nd gen functions are Cloud Run services, so the conditions read
  the Cloud Run request metrics of the ``cloud_run_revision`` resource, filtered on the function's units
  (services); every trigger kind (HTTPS, Eventarc, Pub/Sub push) arrives as a request there:

  - ``errors``: the share of requests answered ``5xx`` (``run.googleapis.com/request_count``, ratio of
    ``response_code_class = "5xx"`` to all) above ``error_rate_threshold`` over 5 minutes;
  - ``duration``: the 99th percentile of ``run.googleapis.com/request_latencies`` over 5 minutes above
    ``duration_threshold`` x the unit's timeout (one condition per distinct timeout of the function's units);
  - ``throttles``: any request answered ``429`` in 5 minutes (Cloud Run's answer when no instance can take a
    request: ``max_instances`` reached, or scaling could not keep up).

  Policies get server-assigned ids; the deploy finds them by display name among the policies labelled with
  this service and stage (``userLabels``), and compares the ``slsn-spec`` label (a digest of the body) to
  decide whether to patch.
- **log_retention_days** -> a dedicated log bucket (``projects.locations.buckets``, location ``global``) with
  ``retentionDays``, and a sink (``projects.sinks``) routing the stage's Cloud Run services' logs into it. The
  ``_Default`` bucket and sink are never touched.
- **tracing** -> nothing to deploy: Cloud Run traces requests into Cloud Trace by itself; the adapter writes
  ``logging.googleapis.com/trace`` into ``ctx.log`` lines so logs and traces correlate.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sls_neutral.core import ir
from sls_neutral.providers.gcp.names import LOG_BUCKET_LOCATION, SERVICE_LABEL, STAGE_LABEL, Names, label_value

MONITORING_DIR = "monitoring"
FUNCTION_LABEL = "slsn-function"
ALARM_LABEL = "slsn-alarm"
SPEC_LABEL = "slsn-spec"  # digest of the policy body: the planner patches when it differs
SPEC_LENGTH = 20
ALIGNMENT = "300s"
RETENTION_DAYS = (1, 3650)  # Cloud Logging bucket retention
SINK_FILTER_MAX = 20000  # characters of a sink filter
RUN_RESOURCE = 'resource.type = "cloud_run_revision"'
REQUEST_COUNT = 'metric.type = "run.googleapis.com/request_count"'
REQUEST_LATENCIES = 'metric.type = "run.googleapis.com/request_latencies"'
SEVERITY = {"errors": "ERROR", "duration": "WARNING", "throttles": "WARNING"}


def enabled(app: ir.App) -> bool:
    obs = app.observability
    return bool(obs.tracing or obs.log_retention_days or obs.alarms)


def marker(service: str, stage: str) -> str:
    """The owner prefix of descriptions (log buckets and sinks take no labels), as Scheduler jobs carry it."""
    return f"sls-neutral {service}/{stage}:"


def spec_digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:SPEC_LENGTH]


def _services_match(services: list[str]) -> str:
    """Unit names are ``[a-z0-9-]``: no regex escaping needed."""
    if len(services) == 1:
        return f'resource.labels.service_name = "{services[0]}"'
    return f'resource.labels.service_name = monitoring.regex.full_match("{"|".join(services)}")'


def _sum(aligner: str = "ALIGN_DELTA", reducer: str = "REDUCE_SUM") -> list[dict[str, Any]]:
    return [{"alignmentPeriod": ALIGNMENT, "crossSeriesReducer": reducer, "perSeriesAligner": aligner}]


def _threshold(display: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {"displayName": display, "conditionThreshold": {
        "comparison": "COMPARISON_GT", "duration": "0s", "trigger": {"count": 1}, **condition}}


def conditions(kind: str, fname: str, units: list[dict[str, Any]], obs: ir.Observability) -> list[dict[str, Any]]:
    services = sorted(u["name"] for u in units)
    match = _services_match(services)
    requests = f"{RUN_RESOURCE} AND {REQUEST_COUNT} AND {match}"
    if kind == "errors":
        rate = float(obs.error_rate_threshold)
        return [_threshold(f"{fname}: more than {rate:.0%} of requests answered 5xx in 5 minutes", {
            "filter": f'{requests} AND metric.labels.response_code_class = "5xx"', "aggregations": _sum(),
            "denominatorFilter": requests, "denominatorAggregations": _sum(), "thresholdValue": rate})]
    if kind == "duration":
        out = []
        by_timeout: dict[int, list[str]] = {}
        for unit in units:
            by_timeout.setdefault(int(unit["service"]["timeout_seconds"]), []).append(unit["name"])
        for timeout, names in sorted(by_timeout.items()):
            limit_ms = int(timeout * 1000 * float(obs.duration_threshold))
            out.append(_threshold(
                f"{fname}: 99th percentile latency above {limit_ms} ms "
                f"({float(obs.duration_threshold):.0%} of its {timeout} s timeout)", {
                    "filter": f"{RUN_RESOURCE} AND {REQUEST_LATENCIES} AND {_services_match(sorted(names))}",
                    "aggregations": _sum("ALIGN_PERCENTILE_99", "REDUCE_MAX"), "thresholdValue": limit_ms}))
        return out
    if kind == "throttles":
        return [_threshold(f"{fname}: requests refused with 429 (no instance available)", {
            "filter": f'{requests} AND metric.labels.response_code = "429"', "aggregations": _sum(),
            "thresholdValue": 0})]
    raise ValueError(f"unknown alarm kind {kind!r}")


DOCUMENTATION = {
    "errors": "More than {rate:.0%} of the requests to function `{fn}` of {who} were answered with a 5xx status in "
              "5 minutes (a raised exception, a failed workflow step or a nacked queue message).",
    "duration": "Requests to function `{fn}` of {who} took longer than {share:.0%} of the function's timeout "
                "(99th percentile over 5 minutes).",
    "throttles": "Requests to function `{fn}` of {who} were refused with 429: no instance was available "
                 "(max instances reached, or scaling could not keep up).",
}


def policy_body(app: ir.App, names: Names, fname: str, kind: str, units: list[dict[str, Any]]) -> dict[str, Any]:
    obs = app.observability
    who = f"{app.service} ({app.stage})"
    body: dict[str, Any] = {
        "displayName": names.alert_policy(fname, kind),
        "combiner": "OR",
        "enabled": True,
        "severity": SEVERITY[kind],
        "conditions": conditions(kind, fname, units, obs),
        "documentation": {"mimeType": "text/markdown", "content": DOCUMENTATION[kind].format(
            rate=float(obs.error_rate_threshold), share=float(obs.duration_threshold), fn=fname, who=who)
            + "\n\nManaged by sls-neutral: edits here are replaced by the next deploy that changes this policy; "
              "notification channels added here are kept."},
        "userLabels": {SERVICE_LABEL: label_value(app.service), STAGE_LABEL: label_value(app.stage),
                       FUNCTION_LABEL: label_value(fname), ALARM_LABEL: kind},
    }
    body["userLabels"][SPEC_LABEL] = spec_digest(body)
    body["userLabels"] = dict(sorted(body["userLabels"].items()))
    return body


def sink_filter(names: Names, services: list[str]) -> tuple[str, str | None]:
    """(the sink's filter, a note when the exact list was too long and a name prefix is used instead)."""
    quoted = " OR ".join(json.dumps(s) for s in services)
    exact = (f'(resource.type="cloud_run_revision" AND resource.labels.service_name=({quoted})) OR '
             f'(resource.type="cloud_function" AND resource.labels.function_name=({quoted}))')
    if len(exact) <= SINK_FILTER_MAX:
        return exact, None
    prefix = names.function("") + "-"
    return (f'(resource.type="cloud_run_revision" AND resource.labels.service_name=~"^{prefix}") OR '
            f'(resource.type="cloud_function" AND resource.labels.function_name=~"^{prefix}")',
            f"observability: the log sink filter lists {len(services)} services, over Cloud Logging's "
            f"{SINK_FILTER_MAX}-character limit; it matches the name prefix '{prefix}' instead (services of "
            "another stage or service with that prefix are routed too)")


def section(app: ir.App, names: Names, deployment: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any],
                                                                             list[str]]:
    """(the deployment's ``observability`` entry, policy bodies by artifact path, notes)."""
    obs = app.observability
    notes: list[str] = []
    units_by_function: dict[str, list[dict[str, Any]]] = {}
    for spec in deployment["functions"].values():
        if spec.get("function"):
            units_by_function.setdefault(spec["function"], []).append(spec)
    policies: dict[str, Any] = {}
    bodies: dict[str, Any] = {}
    for fname in sorted(units_by_function):
        for kind in sorted(set(obs.alarms)):
            body = policy_body(app, names, fname, kind, units_by_function[fname])
            display = body["displayName"]
            source = f"{MONITORING_DIR}/{display}.json"
            bodies[source] = body
            policies[display] = {"display_name": display, "function": fname, "alarm": kind, "source": source,
                                 "spec": body["userLabels"][SPEC_LABEL]}
    owner = marker(app.service, app.stage)
    log_bucket = log_sink = None
    if obs.log_retention_days:
        low, high = RETENTION_DAYS
        days = max(low, min(high, int(obs.log_retention_days)))
        if days != obs.log_retention_days:
            notes.append(f"observability: log retention clamped to {days} days (Cloud Logging buckets keep "
                         f"{low}..{high} days)")
        bucket = names.log_bucket()
        path = names.log_bucket_path(bucket)
        log_bucket = {"id": bucket, "path": path, "location": LOG_BUCKET_LOCATION, "retention_days": days,
                      "description": f"{owner} function logs, kept {days} days (observability plugin)"}
        services = sorted(deployment["functions"])
        if services:
            text, note = sink_filter(names, services)
            if note:
                notes.append(note)
            sink = names.log_sink()
            log_sink = {"name": sink, "path": names.log_sink_path(sink),
                        "destination": f"logging.googleapis.com/{path}", "filter": text,
                        "description": f"{owner} routes the functions' logs to {bucket}"}
    if not obs.tracing:
        notes.append("observability: tracing is off, but Cloud Run traces sampled requests into Cloud Trace by "
                     "itself; there is no switch to turn that off")
    entry = {"tracing": bool(obs.tracing), "alert_policies": dict(sorted(policies.items())),
             "log_bucket": log_bucket, "log_sink": log_sink}
    return entry, bodies, notes


def emit(app: ir.App, settings: Any, deployment: dict[str, Any], artifacts) -> None:
    """Add the ``observability`` entry (and notes) to the deployment and the policy bodies to the artifacts.

    Nothing at all when the plugin is not enabled: the artifacts of such a service do not change."""
    if not enabled(app):
        return
    names = Names.from_settings(app.service, app.stage, settings)
    entry, bodies, notes = section(app, names, deployment)
    deployment["observability"] = entry
    deployment["notes"] = sorted(set(deployment.get("notes") or []) | set(notes))
    for path, body in sorted(bodies.items()):
        artifacts.add_json(path, body)
