"""When local schedules fire: cron (croniter) and rate, in the trigger's time zone.

Missed ticks are NOT replayed: a runtime that was stopped for a day does not fire
1,440 minute-ticks on start. The next tick is always computed from *now* (or from
the last recorded tick when that is more recent), so at most the regular ticks
from now on fire -- zero catch-up ticks, like a cloud scheduler that was disabled.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo


def schedule_key(owner_kind: str, owner: str, index: int) -> str:
    return f"{owner_kind}:{owner}:{index}"


def next_tick(trigger: Any, after: float, last_tick: float | None = None) -> float:
    """The first tick strictly after ``after`` (epoch seconds) -- never one before it."""
    if trigger.rate:
        rate = float(trigger.rate)
        if last_tick is not None and last_tick + rate > after:
            return last_tick + rate
        return after + rate
    from croniter import croniter

    tz = ZoneInfo(trigger.timezone or "UTC")
    base = datetime.fromtimestamp(after, tz)
    return float(croniter(trigger.cron, base).get_next(float))


def describe(ts: float, tz_name: str = "UTC") -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz_name or "UTC")).isoformat(timespec="seconds")


def utc_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
