"""The built-in rules SN001-SN017, in id order."""

from __future__ import annotations

from sls_neutral.core.lint.rules.design import (MonolithFunction, SyncFunctionChain, UnboundedConsumerConcurrency,
                                                WorkflowMisfit)
from sls_neutral.core.lint.rules.limits import (ConsumerLeaseShorterThanTimeout, HttpTimeoutOverGateway,
                                                ImplicitOrInvalidSizing, PayloadOverPathLimit,
                                                TimeoutOverPlatformMax)
from sls_neutral.core.lint.rules.operations import AlwaysOnCost, ObservabilityGaps
from sls_neutral.core.lint.rules.reliability import (AtLeastOnceWithoutIdempotency, DeadLetterMisconfigured,
                                                     MissingDeadLetter, RecursiveTrigger)
from sls_neutral.core.lint.rules.security import SharedIdentity, WildcardScope

BUILTIN_RULES = tuple(sorted((
    TimeoutOverPlatformMax(), HttpTimeoutOverGateway(), ImplicitOrInvalidSizing(),
    ConsumerLeaseShorterThanTimeout(), MissingDeadLetter(), DeadLetterMisconfigured(), RecursiveTrigger(),
    WildcardScope(), SharedIdentity(), AtLeastOnceWithoutIdempotency(), SyncFunctionChain(), MonolithFunction(),
    PayloadOverPathLimit(), WorkflowMisfit(), UnboundedConsumerConcurrency(), AlwaysOnCost(), ObservabilityGaps(),
), key=lambda r: r.id))
