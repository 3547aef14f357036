"""The estimate as data (JSON) and as words: totals, lines, crossover per function and for the service."""

from __future__ import annotations

from typing import Any

from sls_neutral.core import ir
from sls_neutral.core.cost.estimate import (BILLERS, CONTAINER_NAMES, PROVIDERS, REPLACEABLE, container_bill,
                                            function_crossover, service_crossover)
from sls_neutral.core.cost.profile import Profile


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:.4f}"


def count(value: float) -> str:
    for factor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.0f}"


def build_report(app: ir.App, profile: Profile, free_tier: bool) -> dict[str, Any]:
    providers: dict[str, Any] = {}
    sentences: list[str] = []
    c = profile.container
    container_desc = f"{c.instances} x ({c.vcpu:g} vCPU, {c.memory_gb:g} GB)"
    for name in PROVIDERS:
        bill = BILLERS[name](app, profile, free_tier)
        box = container_bill(name, c, free_tier)
        fixed = box.total()
        service_x = service_crossover(name, app, profile, fixed, free_tier)
        per_function = {f.name: function_crossover(name, app, f, fixed, free_tier, profile.concurrency)
                        for f in profile.functions.values()}
        replaceable = bill.total(REPLACEABLE)
        low = sorted({line.item for line in bill.lines + box.lines if line.confidence == "low"})
        providers[name] = {
            "total": round(bill.total(), 6),
            "replaceable": round(replaceable, 6),
            "lines": [line.to_dict() for line in bill.lines],
            "unpriced": bill.unpriced,
            "notes": bill.notes + box.notes,
            "low_confidence": low,
            "container": {"kind": CONTAINER_NAMES[name], "size": container_desc, "monthly": round(fixed, 6),
                          "lines": [line.to_dict() for line in box.lines]},
            "crossover": {"service": _round(service_x),
                          "functions": {k: _round(v) for k, v in sorted(per_function.items())}},
        }
        sentences.append(_sentence(name, profile, replaceable, fixed, service_x, container_desc))
    return {
        "function_summary": _function_sentences(profile, providers),
        "free_tier": free_tier,
        "currency": "USD",
        "month_hours": 730,
        "profile": {
            "functions": {f.name: {"requests": f.requests, "duration_s": f.duration, "memory_mb": f.memory,
                                   "http": f.http} for f in profile.functions.values()},
            "workflows": {w.name: {"executions": w.executions, "transitions": w.transitions}
                          for w in profile.workflows.values()},
            "queues": {q.name: {"messages": q.messages, "payload_kb": q.payload_kb} for q in profile.queues.values()},
            "topics": {t.name: {"messages": t.messages, "payload_kb": t.payload_kb} for t in profile.topics.values()},
            "container": {"vcpu": c.vcpu, "memory_gb": c.memory_gb, "instances": c.instances},
            "concurrency": profile.concurrency,
        },
        "providers": providers,
        "summary": sentences,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else float(round(value))


def _sentence(provider: str, profile: Profile, serverless: float, container: float, crossover: float | None,
              size: str) -> str:
    now = profile.total_requests
    kind = CONTAINER_NAMES[provider]
    head = (f"{provider}: at {count(now)} requests/month the functions cost {money(serverless)} "
            f"(compute, requests, gateway) against {money(container)} for an always-on {kind} {size}")
    if now <= 0:
        return head + "; the profile has no requests, so there is no traffic mix to scale for a crossover."
    if crossover is None:
        return head + "; serverless stays cheaper at any volume up to 10 trillion requests/month."
    if crossover <= now:
        return head + (f"; the container is cheaper from {count(crossover)} requests/month, so at this load "
                       "an always-on container would save money (if it can carry the peak).")
    return head + (f"; the container becomes cheaper above {count(crossover)} requests/month "
                   f"({crossover / max(now, 1):.1f}x today's volume).")


def _function_sentences(profile: Profile, providers: dict[str, Any]) -> list[str]:
    """Per function: where a container already wins, and otherwise how far away the nearest crossover is."""
    out = []
    for f in profile.functions.values():
        crossings = {name: providers[name]["crossover"]["functions"].get(f.name) for name in PROVIDERS}
        won = sorted(name for name, x in crossings.items() if x is not None and x <= f.requests and f.requests)
        if won:
            out.append(f"{f.name}: at {count(f.requests)} requests/month an always-on container is already cheaper "
                       f"on {', '.join(won)}.")
            continue
        known = [(x, name) for name, x in crossings.items() if x]
        if known and f.requests:
            x, name = min(known)
            out.append(f"{f.name}: stays cheaper as a function until {count(x)} requests/month "
                       f"({x / f.requests:.1f}x today, first on {name}).")
    return out
