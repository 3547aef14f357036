"""Provider limits the lint rules compare against, read from ``sls_neutral/core/data/limits.json``.

Each number is looked up in the data file by (provider, service, limit) so the
finding can cite its source. Where the data file states a limit in words
("10-600 s (default 10 s)"), the number we use is written here beside the item
it comes from, and a unit test checks the words still contain it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sls_neutral.core import data

CLOUDS = ("aws", "gcp", "azure")
TARGETS = CLOUDS + ("local",)

MiB = 1.048576  # 1 MiB in MB (10^6 bytes): payload limits are compared in MB


@dataclass(frozen=True)
class Limit:
    """One number with where it comes from."""

    value: float
    unit: str
    what: str  # "Lambda max timeout"
    source: str
    confidence: str

    def cite(self) -> str:
        return f"{self.what} {_fmt(self.value)} {self.unit} ({self.confidence} confidence: {self.source})"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _limit(provider: str, service: str, limit: str, value: float | None = None, unit: str | None = None,
           what: str | None = None) -> Limit:
    item = data.find("limits.json", provider=provider, service=service, limit=limit)
    number = item["value"] if value is None else value
    if not isinstance(number, (int, float)):
        raise ValueError(f"limits.json {provider}/{service}/{limit} is not numeric; pass the value explicitly")
    return Limit(float(number), unit or str(item.get("unit") or ""), what or f"{service} {limit}",
                 str(item["source"]).split(";")[0].strip(), str(item.get("confidence") or "unknown"))


@dataclass(frozen=True)
class ProviderLimits:
    """The limits one target enforces; ``None`` means "no such limit" (the local provider has few)."""

    provider: str
    timeout_event: Limit | None = None  # max timeout of an event-driven function
    timeout_http: Limit | None = None  # max timeout of an http-only function
    gateway_timeout: Limit | None = None  # the front door's cap on an http response
    gateway_is_error: bool = False  # past the cap the client always gets 5xx (AWS) vs. a soft cap
    memory_min: float | None = None
    memory_max: Limit | None = None
    memory_tiers: tuple[int, ...] = ()  # fixed instance sizes (Azure Flex)
    lease_factor: float = 1.0  # consumer lease must be >= factor x timeout (SQS recommends 6)
    lease_max: Limit | None = None  # the lease cannot exceed this (Pub/Sub 600 s, Service Bus lock 5 min)
    lease_name: str = "visibility timeout"
    max_receives_range: tuple[int, int] | None = None  # the platform clamps dead-letter attempts to this
    payload_http: Limit | None = None
    payload_queue: Limit | None = None
    payload_ordered_queue: Limit | None = None  # where FIFO / topic-fed queues use another service (Azure SB)
    queue_lease_managed: bool = False  # the host keeps plain queue messages invisible while they run (Azure)
    payload_topic: Limit | None = None
    payload_step: Limit | None = None  # a workflow step's input/output
    short_workflow_max: Limit | None = None  # the cheap/short workflow flavour's max duration


@lru_cache(maxsize=None)
def limits_for(provider: str, azure_plan: str = "flex") -> ProviderLimits:
    """The limits of one target. Unknown targets (third-party providers) get the neutral, limit-free set."""
    if provider == "aws":
        return ProviderLimits(
            "aws",
            timeout_event=_limit("aws", "Lambda", "max timeout", what="Lambda max timeout"),
            timeout_http=_limit("aws", "Lambda", "max timeout", what="Lambda max timeout"),
            gateway_timeout=_limit("aws", "API Gateway HTTP API", "max integration timeout", unit="s",
                                   what="API Gateway HTTP API integration timeout"),
            gateway_is_error=True,
            memory_min=128,
            memory_max=_limit("aws", "Lambda", "memory range", 10240, "MB", "Lambda max memory"),
            lease_factor=6.0,
            lease_name="SQS visibility timeout",
            payload_http=_limit("aws", "Lambda", "sync invoke payload (request and response)",
                                what="Lambda synchronous payload"),
            payload_queue=_limit("aws", "SQS", "max message size", 1 * MiB, "MB", "SQS max message size"),
            payload_topic=_limit("aws", "Lambda", "async invoke payload", what="Lambda asynchronous payload"),
            payload_step=_limit("aws", "Step Functions", "state input/output payload", 262144 / 1e6, "MB",
                                "Step Functions state payload"),
            short_workflow_max=_limit("aws", "Step Functions", "max execution duration", 300, "s",
                                      "Step Functions Express max duration"),
        )
    if provider == "gcp":
        return ProviderLimits(
            "gcp",
            timeout_event=_limit("gcp", "Cloud Run functions (gen2)", "max timeout event-driven",
                                 what="Cloud Run functions event-driven max timeout"),
            timeout_http=_limit("gcp", "Cloud Run functions (gen2)", "max timeout HTTP",
                                what="Cloud Run functions HTTP max timeout"),
            memory_min=128,
            memory_max=_limit("gcp", "Cloud Run functions (gen2)", "max memory", 32768, "MB",
                              "Cloud Run functions max memory"),
            lease_factor=1.0,
            lease_max=_limit("gcp", "Pub/Sub", "ack deadline", 600, "s", "Pub/Sub max ack deadline"),
            lease_name="Pub/Sub ack deadline",
            max_receives_range=(5, 100),
            payload_http=_limit("gcp", "Cloud Run functions (gen2)", "HTTP request / response size", 32, "MB",
                                "Cloud Run functions HTTP request size"),
            payload_queue=_limit("gcp", "Cloud Run functions (gen2)", "event size", 512 * 1000 / 1e6, "MB",
                                 "Eventarc event size"),
            payload_topic=_limit("gcp", "Cloud Run functions (gen2)", "event size", 512 * 1000 / 1e6, "MB",
                                 "Eventarc event size"),
            payload_step=_limit("gcp", "Workflows", "execution limits", 512 * 1000 / 1e6, "MB",
                                "Workflows variable memory"),
        )
    if provider == "azure":
        if azure_plan == "consumption":
            timeout = _limit("azure", "Functions Consumption", "timeout", 600, "s",
                             "Azure Functions Consumption max timeout")
            memory = dict(memory_max=_limit("azure", "Functions Consumption", "memory per instance", 1536, "MB",
                                            "Azure Functions Consumption memory per instance"))
        else:
            timeout = None  # Flex Consumption: no maximum (only the 230 s HTTP cap)
            memory = dict(memory_tiers=(512, 2048, 4096),
                          memory_max=_limit("azure", "Functions Flex Consumption", "instance sizes", 4096, "MB",
                                            "Azure Flex Consumption largest instance"))
        return ProviderLimits(
            "azure",
            timeout_event=timeout,
            timeout_http=timeout,
            gateway_timeout=_limit("azure", "Functions (all plans)", "HTTP response time",
                                   what="Azure Functions HTTP response time"),
            memory_min=128,
            lease_factor=1.0,
            lease_max=_limit("azure", "Service Bus", "lock duration / delivery count", 300, "s",
                             "Service Bus max lock duration"),
            lease_name="Service Bus lock duration",
            payload_http=_limit("azure", "Functions", "request size / URL", 100, "MB", "Azure Functions request size"),
            payload_queue=_limit("azure", "Storage Queue", "max message size", 64 * 1000 / 1e6, "MB",
                                 "Azure Storage Queue message size"),
            payload_ordered_queue=_limit("azure", "Service Bus", "message size", 256 * 1000 / 1e6, "MB",
                                         "Service Bus Standard message size"),
            queue_lease_managed=True,
            payload_topic=_limit("azure", "Service Bus", "message size", 256 * 1000 / 1e6, "MB",
                                 "Service Bus Standard message size"),
            **memory,
        )
    return ProviderLimits(provider, lease_factor=1.0)
