"""Schedules to Azure's 6-field NCRONTAB (``{second} {minute} {hour} {day} {month} {day-of-week}``)."""

from __future__ import annotations

from typing import NamedTuple


class Schedule(NamedTuple):
    expression: str
    exact: bool  # False when a rate could only be approximated


def cron_to_ncrontab(cron: str) -> str:
    """A 5-field cron gains a leading seconds field of 0; day-of-week 7 (Sunday) becomes 0."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 cron fields, got {len(fields)}: {cron!r}")
    dow = fields[4]
    if dow == "7":
        fields[4] = "0"
    return " ".join(["0", *fields])


def rate_to_ncrontab(seconds: float) -> Schedule:
    """A rate in whole minutes as NCRONTAB; exact when it divides an hour (or a day, or is whole days)."""
    minutes = int(seconds // 60)
    if minutes <= 0:
        raise ValueError("rates are whole minutes")
    if minutes < 60:
        return Schedule(f"0 */{minutes} * * * *" if minutes > 1 else "0 * * * * *", 60 % minutes == 0)
    if minutes % 60 == 0:
        hours = minutes // 60
        if hours < 24:
            return Schedule(f"0 0 */{hours} * * *" if hours > 1 else "0 0 * * * *", 24 % hours == 0)
        if hours % 24 == 0:
            days = hours // 24
            return Schedule(f"0 0 0 */{days} * *" if days > 1 else "0 0 0 * * *", days == 1)
    # e.g. 90 minutes: the closest NCRONTAB restarts the count every day
    hours, rest = divmod(minutes, 60)
    return Schedule(f"0 {rest} */{hours} * * *", False)


def zone_minute_parts(timezone: str, year: int = 2025) -> list[int]:
    """The minute parts of a zone's UTC offsets over a year (0 for most zones, 30 or 45 for a few)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    parts = set()
    day = dt.datetime(year, 1, 1, 12, tzinfo=dt.timezone.utc)
    for _ in range(0, 366, 7):
        offset = day.astimezone(zone).utcoffset() or dt.timedelta(0)
        parts.add(int(offset.total_seconds() // 60) % 60)
        day += dt.timedelta(days=7)
    return sorted(parts)


def zoned_cron_to_ncrontab(cron: str, timezone: str) -> str:
    """A schedule that fires at least whenever ``cron`` matches in ``timezone`` (the adapter filters).

    NCRONTAB has no time zone on Linux plans, so the timer fires at the cron's minutes (shifted by the zone's
    offset minutes) every hour in UTC, and the adapter runs the handler only when the cron matches the local
    time: exact across DST changes, at the cost of up to 24 timer invocations a day.
    """
    minute = cron.split()[0]
    if minute.isdigit() or all(p.isdigit() for p in minute.split(",")):
        minutes = sorted({(int(m) - part) % 60 for m in minute.split(",") for part in zone_minute_parts(timezone)})
        return f"0 {','.join(str(m) for m in minutes)} * * * *"
    return "0 * * * * *"
