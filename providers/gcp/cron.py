"""Neutral schedules -> Cloud Scheduler's unix-cron (five fields, like the manifest's).

A cron passes through unchanged. A rate (whole minutes) becomes the cron that fires at the same
period when the period divides an hour or a day exactly; otherwise the nearest cron restarts at
each boundary, and the caller gets a note saying so.
"""

from __future__ import annotations

from sls_neutral.core import ir


def rate_to_cron(seconds: float) -> tuple[str, str]:
    """(cron, note): the note is empty when the cron fires at exactly the rate."""
    minutes = max(1, int(round(seconds / 60)))
    if minutes < 60:
        note = "" if 60 % minutes == 0 else f"rate {minutes}m becomes '*/{minutes} * * * *' (restarts each hour)"
        return ("* * * * *" if minutes == 1 else f"*/{minutes} * * * *"), note
    if minutes % 60 == 0 and minutes < 1440:
        hours = minutes // 60
        note = "" if 24 % hours == 0 else f"rate {hours}h becomes '0 */{hours} * * *' (restarts each day)"
        return (f"0 */{hours} * * *" if hours > 1 else "0 * * * *"), note
    if minutes % 1440 == 0:
        days = minutes // 1440
        if days == 1:
            return "0 0 * * *", ""
        return f"0 0 */{days} * *", f"rate {days}d becomes '0 0 */{days} * *' (restarts each month)"
    hours = max(1, minutes // 60)
    return (f"{minutes % 60} */{hours} * * *",
            f"rate {minutes}m has no exact cron; fires at minute {minutes % 60} every {hours}h")


def schedule_cron(trigger: ir.ScheduleTrigger) -> tuple[str, str]:
    if trigger.cron:
        return trigger.cron, ""
    return rate_to_cron(trigger.rate or 60)
