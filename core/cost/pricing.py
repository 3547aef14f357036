"""List prices for the estimator, read from ``sls_neutral/core/data/pricing.json``.

Every price is looked up by (provider, service, dimension) and keeps its source
and confidence, so an estimate can say which of its lines rest on a number we
are not sure of. Free-tier quantities are written here beside the item whose
``free_tier`` text states them (a unit test checks the text still says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sls_neutral.core import data

HOURS_PER_MONTH = 730.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass(frozen=True)
class Price:
    value: float  # USD per ``per`` units
    per: float  # 1 (per GB-s), 1e6 (per 1M requests), 1000 (per 1,000 transitions), ...
    what: str  # "Lambda requests"
    unit: str  # as written in the data file
    source: str
    confidence: str
    free: float = 0.0  # free units per month (in the same units as the quantity, not per ``per``)
    free_note: str = ""

    def cost(self, quantity: float, free_tier: bool) -> float:
        billable = max(0.0, quantity - (self.free if free_tier else 0.0))
        return billable * self.value / self.per

    @property
    def low(self) -> bool:
        return self.confidence == "low"


def _price(provider: str, service: str, dimension: str, per: float, what: str, free: float = 0.0,
           value: float | None = None) -> Price:
    item = data.find("pricing.json", provider=provider, service=service, dimension=dimension)
    amount = item["price_usd"] if value is None else value
    if amount is None:
        raise ValueError(f"pricing.json {provider}/{service}/{dimension} has no price")
    return Price(float(amount), per, what, str(item["unit"]), str(item["source"]).split(";")[0].strip(),
                 str(item.get("confidence") or "unknown"), free, str(item.get("free_tier") or ""))


@lru_cache(maxsize=None)
def prices() -> dict[str, Price]:
    """Every price the estimator uses, by a short key."""
    return {
        # AWS
        "aws.lambda.requests": _price("aws", "Lambda", "requests", 1e6, "Lambda requests", 1e6),
        "aws.lambda.gbs.x86_64": _price("aws", "Lambda", "duration x86_64", 1, "Lambda GB-s (x86_64)", 400_000),
        "aws.lambda.gbs.arm64": _price("aws", "Lambda", "duration arm64", 1, "Lambda GB-s (arm64)", 400_000),
        "aws.lambda.pc.gbs": _price("aws", "Lambda", "provisioned concurrency allocation x86", 1,
                                    "Lambda provisioned concurrency (allocation)"),
        "aws.httpapi.requests": _price("aws", "API Gateway HTTP API", "requests first 300M", 1e6,
                                       "API Gateway HTTP API requests"),
        "aws.sqs.requests": _price("aws", "SQS", "standard requests", 1e6, "SQS requests", 1e6),
        "aws.sqs.fifo.requests": _price("aws", "SQS", "FIFO requests", 1e6, "SQS FIFO requests", 1e6),
        "aws.sns.publishes": _price("aws", "SNS", "standard topic publishes", 1e6, "SNS publishes", 1e6),
        "aws.scheduler": _price("aws", "EventBridge Scheduler", "invocations", 1e6, "EventBridge Scheduler", 14e6),
        "aws.sfn.transitions": _price("aws", "Step Functions", "Standard state transitions", 1000,
                                      "Step Functions transitions", 4000),
        "aws.fargate.vcpu": _price("aws", "Fargate (baseline container)", "Linux/x86 vCPU", 1, "Fargate vCPU-h"),
        "aws.fargate.gb": _price("aws", "Fargate (baseline container)", "Linux/x86 memory", 1, "Fargate GB-h"),
        # GCP
        "gcp.run.requests": _price("gcp", "Cloud Run / Cloud Run functions (gen2)", "requests", 1e6,
                                   "Cloud Run requests", 2e6),
        "gcp.run.vcpus": _price("gcp", "Cloud Run / Cloud Run functions (gen2)", "request-based billing CPU", 1,
                                "Cloud Run vCPU-s", 180_000),
        "gcp.run.gibs": _price("gcp", "Cloud Run / Cloud Run functions (gen2)", "request-based billing memory", 1,
                               "Cloud Run GiB-s", 360_000),
        "gcp.pubsub.tib": _price("gcp", "Pub/Sub", "throughput (publish + each delivery)", 1,
                                 "Pub/Sub TiB", 10 / 1024),
        "gcp.workflows.steps": _price("gcp", "Workflows", "internal steps", 1000, "Workflows steps", 5000),
        "gcp.scheduler.jobs": _price("gcp", "Cloud Scheduler", "jobs", 1, "Cloud Scheduler jobs", 3),
        "gcp.min.vcpus": _price("gcp", "Cloud Run (instance-based billing / min instances / jobs)", "CPU", 1,
                                "Cloud Run min-instance vCPU-s", 240_000),
        "gcp.min.gibs": _price("gcp", "Cloud Run (instance-based billing)", "memory", 1,
                               "Cloud Run min-instance GiB-s", 450_000),
        # Azure
        "azure.consumption.executions": _price("azure", "Functions Consumption", "executions", 1e6,
                                               "Functions Consumption executions", 1e6),
        "azure.consumption.gbs": _price("azure", "Functions Consumption", "execution time", 1,
                                        "Functions Consumption GB-s", 400_000),
        "azure.flex.executions": _price("azure", "Functions Flex Consumption", "on-demand executions", 1e6,
                                        "Flex Consumption executions", 250_000),
        "azure.flex.gbs": _price("azure", "Functions Flex Consumption", "on-demand execution time", 1,
                                 "Flex Consumption GB-s", 100_000),
        "azure.flex.always_ready.gbs": _price("azure", "Functions Flex Consumption", "always-ready baseline", 1,
                                              "Flex always-ready baseline GB-s"),
        "azure.aca.vcpus": _price("azure", "Container Apps (baseline container, consumption)", "vCPU active", 1,
                                  "Container Apps vCPU-s", 180_000),
        "azure.aca.gibs": _price("azure", "Container Apps (baseline container, consumption)", "memory active", 1,
                                 "Container Apps GiB-s", 360_000),
    }


# Cloud Run functions give CPU in proportion to memory (see the pricing.json item "vCPU per memory size").
GCP_VCPU_BY_MEMORY = ((128, 0.083), (256, 0.167), (512, 0.333), (1024, 0.583), (2048, 1.0), (4096, 2.0),
                      (8192, 2.0), (16384, 4.0), (32768, 8.0))
AZURE_FLEX_SIZES = (512, 2048, 4096)


def gcp_vcpu(memory_mb: int) -> float:
    for size, vcpu in GCP_VCPU_BY_MEMORY:
        if memory_mb <= size:
            return vcpu
    return GCP_VCPU_BY_MEMORY[-1][1]


def azure_flex_size(memory_mb: int) -> int:
    return next((s for s in AZURE_FLEX_SIZES if memory_mb <= s), AZURE_FLEX_SIZES[-1])


UNPRICED = {
    "azure.queues": "Azure Service Bus / Storage queue operations (pricing.json has no trustworthy USD figure)",
    "azure.durable.storage": "Durable Functions storage transactions (no fixed price in pricing.json)",
}
