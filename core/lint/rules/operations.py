"""Rules about running costs and visibility (SN016, SN017)."""

from __future__ import annotations

from typing import Iterator

from sls_neutral.core import ir
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.lint.model import Rule

WARMER_SECONDS = 60  # a schedule this frequent on a function is usually a warmer


class AlwaysOnCost(Rule):
    id = "SN016"
    name = "always-on-cost"
    severity = "info"
    summary = "Instances kept warm (or a warmer schedule) cost as much as an always-on container."
    fix = "compare with 'sls-neutral cost': at steady load run it as a container; else drop warm"
    catches = "paying the serverless premium for steady load"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        if provider not in ("aws", "gcp", "azure"):
            return
        from sls_neutral.core.cost.estimate import BILLERS, container_bill
        from sls_neutral.core.cost.profile import Container, Profile

        container = container_bill(provider, Container(), False).total()
        for f in app.functions.values():
            subject = f"function:{f.name}"
            if f.warm:
                one = app.replace(functions={f.name: f})
                bill = BILLERS[provider](one, Profile({}), False)
                warm = bill.total(("always-on",))
                verdict = ("more than" if warm >= container else "a share of")
                shaky = any(line.confidence == "low" for line in bill.lines if line.category == "always-on")
                yield self.finding(
                    f"function '{f.name}' keeps {f.warm} instance{'s' if f.warm > 1 else ''} of {f.memory} MB warm: "
                    f"about ${warm:,.2f}/month on {provider} before any request, {verdict} an always-on "
                    f"0.5 vCPU/1 GB container (${container:,.2f}/month)"
                    + (" (from a low-confidence price)" if shaky else ""), f.source, app, subject=subject)
            for t in f.triggers:
                if isinstance(t, ir.ScheduleTrigger) and _every_minute(t):
                    yield self.finding(f"function '{f.name}' runs every minute or more often: if this is a "
                                       "warmer, it buys little (one warm instance) and bills every tick",
                                       f.source, app, subject=subject,
                                       hint="use warm: N (provisioned/min instances) or accept cold starts")


def _every_minute(t: ir.ScheduleTrigger) -> bool:
    if t.rate is not None:
        return t.rate <= WARMER_SECONDS
    return bool(t.cron) and t.cron.split()[0] in ("*", "*/1")


class ObservabilityGaps(Rule):
    id = "SN017"
    name = "observability-gaps"
    severity = "info"
    summary = "No tracing or no log retention: failures are hard to follow and logs are kept (and billed) forever."
    fix = "enable the observability plugin: plugins: [observability] (tracing, 30-day retention, alarms)"
    catches = "a request lost between a queue and a workflow with no trace; log storage growing without end"

    def findings(self, app: ir.App, provider: str) -> Iterator[Diagnostic]:
        if provider == "local" or not app.functions:
            return
        obs = app.observability
        gaps = []
        if not obs.tracing:
            gaps.append("tracing is off")
        if obs.log_retention_days is None:
            gaps.append("logs are kept forever (no retention)")
        if not obs.alarms:
            gaps.append("no alarms on errors")
        if gaps:
            yield self.finding(f"service '{app.service}': {'; '.join(gaps)}", None, app)
