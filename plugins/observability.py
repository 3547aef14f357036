"""The ``observability`` plugin: tracing on, log retention set, alarms on errors, duration and throttles.

Manifest::

    plugins: [observability]
    observability:
      tracing: true            # default true
      log_retention: 14d       # default 30d
      alarms: [errors, duration, throttles]

It fills ``App.observability``; providers map it to X-Ray and CloudWatch alarms,
Cloud Trace and alerting policies, Application Insights and metric alerts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from sls_neutral.core.hookspecs import hookimpl

NAME = "observability"


@lru_cache(maxsize=1)
def block_model():
    """Built on first use: plugin modules load on every command, so they import nothing heavy."""
    from pydantic import BaseModel, ConfigDict, Field

    from sls_neutral.core.manifest.schema import Duration

    class ObservabilityBlock(BaseModel):
        model_config = ConfigDict(extra="forbid")

        tracing: bool = True
        log_retention: Duration = 30 * 86400.0
        alarms: list[Literal["errors", "duration", "throttles"]] = Field(
            default_factory=lambda: ["errors", "duration", "throttles"])
        error_rate_threshold: float = Field(0.05, gt=0, le=1)
        duration_threshold: float = Field(0.8, gt=0, le=1)

    return ObservabilityBlock


@hookimpl
def slsn_manifest_schema():
    return {NAME: block_model()}


@hookimpl
def slsn_transform_ir(app, provider):
    if NAME not in app.plugins:
        return None
    from sls_neutral.core import ir

    block = app.extensions.get(NAME) or block_model()()
    days = max(1, int(round(block.log_retention / 86400)))
    return app.replace(observability=ir.Observability(
        tracing=block.tracing, log_retention_days=days, alarms=tuple(sorted(set(block.alarms))),
        error_rate_threshold=block.error_rate_threshold, duration_threshold=block.duration_threshold))
