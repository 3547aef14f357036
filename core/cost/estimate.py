"""Monthly cost of an app on AWS, GCP and Azure, from list prices and a traffic profile.

The estimate is a list of priced lines per provider (compute, requests,
gateway, queues, topics, schedulers, workflows, always-on instances). Free
tiers are account-wide, so they are applied to each line's monthly total, not
per function. Lines whose price has low confidence are flagged; things we have
no trustworthy price for are listed as unpriced rather than guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sls_neutral.core import ir
from sls_neutral.core.cost.pricing import (SECONDS_PER_MONTH, UNPRICED, Price, azure_flex_size, gcp_vcpu,
                                           prices)
from sls_neutral.core.cost.profile import Container, FunctionLoad, Profile

PROVIDERS = ("aws", "gcp", "azure")
# What an always-on container replaces: the function compute, the per-request fees and the gateway.
REPLACEABLE = ("compute", "requests", "gateway")
CONTAINER_NAMES = {"aws": "Fargate task", "gcp": "Cloud Run min instance", "azure": "Container Apps replica"}


@dataclass(frozen=True)
class Line:
    provider: str
    category: str  # compute | requests | gateway | queues | topics | schedulers | workflows | always-on | container
    item: str  # the price's name
    quantity: float
    unit: str
    cost: float
    confidence: str
    source: str

    def to_dict(self) -> dict:
        return {"category": self.category, "item": self.item, "quantity": round(self.quantity, 6),
                "unit": self.unit, "cost": round(self.cost, 6), "confidence": self.confidence,
                "low_confidence": self.confidence == "low", "source": self.source}


@dataclass
class Bill:
    provider: str
    lines: list[Line] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, category: str, price: Price, quantity: float, unit: str, free_tier: bool) -> None:
        if quantity <= 0:
            return
        self.lines.append(Line(self.provider, category, price.what, quantity, unit, price.cost(quantity, free_tier),
                               price.confidence, price.source))

    def total(self, categories: tuple[str, ...] | None = None) -> float:
        return sum(line.cost for line in self.lines if categories is None or line.category in categories)


def ceil_to(seconds: float, step: float) -> float:
    """Round a billed duration up to the platform's granularity (1 ms on Lambda, 100 ms on Cloud Run)."""
    return math.ceil(round(seconds / step, 9)) * step


# ---------------------------------------------------------------- per provider
def aws_bill(app: ir.App, profile: Profile, free_tier: bool) -> Bill:
    p = prices()
    bill = Bill("aws")
    arch = "arm64" if str(app.settings("aws").get("architecture", "x86_64")) == "arm64" else "x86_64"
    fns = profile.functions.values()
    bill.add("requests", p["aws.lambda.requests"], sum(f.requests for f in fns), "requests", free_tier)
    gbs = sum(f.requests * ceil_to(f.duration, 0.001) * f.memory / 1024 for f in fns)
    bill.add("compute", p[f"aws.lambda.gbs.{arch}"], gbs, "GB-s", free_tier)
    # HTTP API meters each call per 512 KB of payload
    http = sum(f.requests * math.ceil(max(f.payload_kb, 1e-9) / 512) for f in fns if f.http)
    http += _workflow_http_starts(app, profile)
    bill.add("gateway", p["aws.httpapi.requests"], http, "requests", False)
    if http:
        bill.notes.append("API Gateway's free tier lasts 12 months for new accounts only, so it is not applied")
    std = sum(_sqs_requests(q) for q in profile.queues.values() if not q.fifo)
    fifo = sum(_sqs_requests(q) for q in profile.queues.values() if q.fifo)
    free_left = max(0.0, p["aws.sqs.requests"].free - std) if free_tier else 0.0
    bill.add("queues", p["aws.sqs.requests"], std, "requests", free_tier)
    bill.add("queues", p["aws.sqs.fifo.requests"], max(0.0, fifo - free_left), "requests", False)
    # topics are SNS: one request per 64 KB chunk published; deliveries to SQS and Lambda are free
    publishes = sum(t.messages * math.ceil(max(t.payload_kb, 1e-9) / 64) for t in profile.topics.values())
    bill.add("topics", p["aws.sns.publishes"], publishes, "requests", free_tier)
    bill.add("schedulers", p["aws.scheduler"], _schedule_invocations(app, profile), "invocations", free_tier)
    bill.add("workflows", p["aws.sfn.transitions"],
             sum(w.executions * w.transitions for w in profile.workflows.values()), "transitions", free_tier)
    for f in app.functions.values():
        if f.warm:
            bill.add("always-on", p["aws.lambda.pc.gbs"], f.warm * f.memory / 1024 * SECONDS_PER_MONTH,
                     "GB-s", False)
    return bill


def gcp_bill(app: ir.App, profile: Profile, free_tier: bool) -> Bill:
    p = prices()
    bill = Bill("gcp")
    fns = profile.functions.values()
    c = profile.concurrency
    bill.add("requests", p["gcp.run.requests"], sum(f.requests for f in fns), "requests", free_tier)
    bill.add("compute", p["gcp.run.vcpus"],
             sum(f.requests * ceil_to(f.duration, 0.1) * gcp_vcpu(f.memory) for f in fns) / c, "vCPU-s", free_tier)
    bill.add("compute", p["gcp.run.gibs"],
             sum(f.requests * ceil_to(f.duration, 0.1) * f.memory / 1024 for f in fns) / c, "GiB-s", free_tier)
    tib = 0.0
    for m in list(profile.queues.values()) + list(profile.topics.values()):
        tib += m.messages * max(m.payload_kb * 1024, 1000) * (1 + m.deliveries) / 2 ** 40
    bill.add("queues" if profile.queues else "topics", p["gcp.pubsub.tib"], tib, "TiB", free_tier)
    bill.add("schedulers", p["gcp.scheduler.jobs"], float(_schedule_jobs(app)), "jobs", free_tier)
    bill.add("workflows", p["gcp.workflows.steps"],
             sum(w.executions * w.transitions for w in profile.workflows.values()), "steps", free_tier)
    for f in app.functions.values():
        if f.warm:
            bill.add("always-on", p["gcp.min.vcpus"], f.warm * gcp_vcpu(f.memory) * SECONDS_PER_MONTH, "vCPU-s",
                     False)
            bill.add("always-on", p["gcp.min.gibs"], f.warm * f.memory / 1024 * SECONDS_PER_MONTH, "GiB-s", False)
    if any(f.http for f in fns):
        bill.notes.append("Cloud Run functions serve HTTPS directly: no gateway is priced")
    return bill


def azure_bill(app: ir.App, profile: Profile, free_tier: bool) -> Bill:
    p = prices()
    bill = Bill("azure")
    plan = str(app.settings("azure").get("plan") or "flex")
    fns = list(profile.functions.values())
    durable = sum(w.executions * (2 * w.calls + 1) for w in profile.workflows.values())
    executions = sum(f.requests for f in fns) + durable
    if plan == "consumption":
        bill.add("requests", p["azure.consumption.executions"], executions, "executions", free_tier)
        gbs = sum(f.requests * ceil_to(f.duration, 0.001) * min(ceil_to(f.memory, 128), 1536) / 1024 for f in fns)
        bill.add("compute", p["azure.consumption.gbs"], gbs, "GB-s", free_tier)
    else:
        bill.add("requests", p["azure.flex.executions"], executions, "executions", free_tier)
        gbs = sum(f.requests * ceil_to(f.duration, 0.1) * azure_flex_size(f.memory) / 1024 for f in fns)
        bill.add("compute", p["azure.flex.gbs"], gbs / profile.concurrency, "GB-s", free_tier)
        bill.notes.append("Flex Consumption bills at least 1 s per instance activity period; requests are "
                          "billed here at their own duration rounded up to 100 ms")
    if durable:
        bill.notes.append("Durable orchestrations count 2 executions per activity plus 1 (replays)")
        bill.unpriced.append(UNPRICED["azure.durable.storage"])
    if any(q.messages for q in profile.queues.values()) or any(t.messages for t in profile.topics.values()):
        bill.unpriced.append(UNPRICED["azure.queues"])
    for f in app.functions.values():
        if f.warm:
            bill.add("always-on", p["azure.flex.always_ready.gbs"],
                     f.warm * azure_flex_size(f.memory) / 1024 * SECONDS_PER_MONTH, "GB-s", False)
    return bill


BILLERS = {"aws": aws_bill, "gcp": gcp_bill, "azure": azure_bill}


def container_bill(provider: str, container: Container, free_tier: bool) -> Bill:
    """The always-on alternative: ``instances`` containers running all month."""
    p = prices()
    bill = Bill(provider)
    n = container.instances
    if provider == "aws":
        bill.add("container", p["aws.fargate.vcpu"], n * container.vcpu * SECONDS_PER_MONTH / 3600, "vCPU-h", False)
        bill.add("container", p["aws.fargate.gb"], n * container.memory_gb * SECONDS_PER_MONTH / 3600, "GB-h",
                 False)
        bill.notes.append("a load balancer in front of Fargate is not included")
    elif provider == "gcp":
        bill.add("container", p["gcp.min.vcpus"], n * container.vcpu * SECONDS_PER_MONTH, "vCPU-s", free_tier)
        bill.add("container", p["gcp.min.gibs"], n * container.memory_gb * SECONDS_PER_MONTH, "GiB-s", free_tier)
    else:
        bill.add("container", p["azure.aca.vcpus"], n * container.vcpu * SECONDS_PER_MONTH, "vCPU-s", free_tier)
        bill.add("container", p["azure.aca.gibs"], n * container.memory_gb * SECONDS_PER_MONTH, "GiB-s", free_tier)
    return bill


# ---------------------------------------------------------------- helpers
def _sqs_requests(q) -> float:
    """Send (per 64 KB chunk) plus receive and delete, batched by the consumer's batch size."""
    chunks = math.ceil(max(q.payload_kb, 1e-9) / 64)
    return q.messages * chunks + 2 * q.messages / max(1, q.batch_size)


def _schedules(app: ir.App) -> list[ir.ScheduleTrigger]:
    triggers = [t for f in app.functions.values() for t in f.triggers if isinstance(t, ir.ScheduleTrigger)]
    triggers += [t for w in app.workflows.values() for t in w.triggers if isinstance(t, ir.ScheduleTrigger)]
    return triggers


def _schedule_jobs(app: ir.App) -> int:
    return len(_schedules(app))


def _schedule_invocations(app: ir.App, profile: Profile) -> float:
    from sls_neutral.core.cost.profile import schedule_invocations

    return sum(schedule_invocations(t) for t in _schedules(app))


def _workflow_http_starts(app: ir.App, profile: Profile) -> float:
    return sum(profile.workflows[w.name].executions for w in app.workflows.values()
               if w.name in profile.workflows and any(isinstance(t, ir.HttpTrigger) for t in w.triggers))


# ---------------------------------------------------------------- crossover
def replaceable_cost(provider: str, app: ir.App, profile: Profile, free_tier: bool) -> float:
    return BILLERS[provider](app, profile, free_tier).total(REPLACEABLE)


MAX_REQUESTS = 1e13


def crossover(cost_at, fixed: float) -> float | None:
    """The smallest monthly request count R with cost_at(R) >= fixed (cost_at is non-decreasing), or None."""
    if cost_at(0.0) >= fixed:
        return 0.0
    if cost_at(MAX_REQUESTS) < fixed:
        return None
    lo, hi = 0.0, MAX_REQUESTS
    for _ in range(200):
        mid = (lo + hi) / 2
        if cost_at(mid) >= fixed:
            hi = mid
        else:
            lo = mid
        if hi - lo <= max(1.0, hi * 1e-9):
            break
    return hi


def function_crossover(provider: str, app: ir.App, load: FunctionLoad, container: float, free_tier: bool,
                       concurrency: int) -> float | None:
    """Requests/month at which this function alone costs as much as the always-on container."""
    def cost_at(requests: float) -> float:
        single = Profile({load.name: FunctionLoad(load.name, requests, load.duration, load.memory, load.http)},
                         concurrency=concurrency)
        return replaceable_cost(provider, app, single, free_tier)

    return crossover(cost_at, container)


def service_crossover(provider: str, app: ir.App, profile: Profile, container: float,
                      free_tier: bool) -> float | None:
    """Total requests/month (same mix as the profile) at which the service's compute costs the container."""
    total = profile.total_requests
    if total <= 0:
        return None

    def cost_at(requests: float) -> float:
        return replaceable_cost(provider, app, profile.scaled(requests / total), free_tier)

    return crossover(cost_at, container)

