"""The ``warmup`` plugin: one neutral ``warm: N`` per function, each cloud's cold-start mitigation.

``warm: N`` on a function (or ``warmup: {default: N}`` for all http functions)
becomes AWS provisioned concurrency, GCP min instances or Azure Flex
always-ready instances; the local provider pre-starts N workers. The plugin
also reports what warm instances cost per month (``info``), because they are
billed whether or not they serve traffic.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from sls_neutral.core.hookspecs import hookimpl

NAME = "warmup"
# Approximate list prices per GB-second of an idle warm instance (see core/data/pricing.json for sources).
IDLE_PRICE_PER_GB_S = {"aws": 0.0000041667, "gcp": 0.0000025, "azure": 0.000004}
SECONDS_PER_MONTH = 730 * 3600


@lru_cache(maxsize=1)
def block_model():
    """Built on first use: plugin modules load on every command, so they import nothing heavy."""
    from pydantic import BaseModel, ConfigDict, Field

    class WarmupBlock(BaseModel):
        model_config = ConfigDict(extra="forbid")

        default: int = Field(0, ge=0, le=100, description="warm instances for every http function that sets none")
        max_per_function: int = Field(50, ge=1, le=1000)

    return WarmupBlock


def _block(app):
    return app.extensions.get(NAME) or block_model()()


def warm_cost(app, provider: str) -> dict[str, float]:
    """Monthly USD of keeping each function's warm instances (memory x time, idle price)."""
    price = IDLE_PRICE_PER_GB_S.get(provider)
    if price is None:
        return {}
    return {f.name: round(f.warm * f.memory / 1024 * SECONDS_PER_MONTH * price, 2)
            for f in app.functions.values() if f.warm}


@hookimpl
def slsn_manifest_schema():
    return {NAME: block_model()}


@hookimpl
def slsn_validate_ir(app, provider):
    if NAME not in app.plugins:
        return []
    from sls_neutral.core.errors import Diagnostic

    block = _block(app)
    return [Diagnostic(f"function '{f.name}' asks for {f.warm} warm instances; the limit is "
                       f"{block.max_per_function}", f.source, "lower warm: or raise warmup.max_per_function",
                       code="warmup") for f in app.functions.values() if f.warm > block.max_per_function]


@hookimpl
def slsn_transform_ir(app, provider):
    if NAME not in app.plugins:
        return None
    default = _block(app).default
    if not default:
        return None
    from sls_neutral.core import ir

    functions = {name: (dataclasses.replace(f, warm=default)
                        if not f.warm and any(isinstance(t, ir.HttpTrigger) for t in f.triggers) else f)
                 for name, f in app.functions.items()}
    return app.replace(functions=functions)


@hookimpl
def slsn_info(app, provider, info):
    if NAME not in app.plugins:
        return None
    costs = warm_cost(app, provider)
    return {"warm_instances": {f.name: f.warm for f in app.functions.values() if f.warm},
            "monthly_cost_usd": costs, "total_usd": round(sum(costs.values()), 2)} if costs else None
