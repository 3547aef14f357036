"""Neutral schedules -> EventBridge Scheduler expressions.

A neutral cron has five fields (minute hour day-of-month month day-of-week,
day-of-week 0-7 with 0 and 7 = Sunday). AWS wants six fields with a year, one
of the two day fields set to ``?``, and day-of-week numbered 1-7 from Sunday.
"""

from __future__ import annotations


class CronError(ValueError):
    """A cron AWS cannot express (both day fields restricted)."""


_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _shift_dow_token(token: str) -> str:
    if token.isdigit():
        value = int(token)
        if value > 7:
            raise CronError(f"day-of-week {value} is out of range 0-7")
        return str(value % 7 + 1)
    return token.upper()


def _shift_dow(field: str) -> str:
    out = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            shifted = base
        elif "-" in base:
            lo, hi = base.split("-", 1)
            if lo.isdigit() and hi.isdigit() and int(hi) == 7 and int(lo) > 0:
                shifted = f"{int(lo) + 1}-7,1"  # ...-Sunday(7): Saturday is 7 on AWS, Sunday wraps to 1
            elif lo.isdigit() and hi.isdigit() and int(hi) == 7:
                shifted = "1-7"
            else:
                shifted = f"{_shift_dow_token(lo)}-{_shift_dow_token(hi)}"
        else:
            shifted = _shift_dow_token(base)
        out.append(shifted + (f"/{step}" if step else ""))
    return ",".join(out)


def cron_expression(cron: str) -> str:
    """``"0 3 * * *"`` -> ``"cron(0 3 * * ? *)"``."""
    fields = cron.split()
    if len(fields) != 5:
        raise CronError(f"'{cron}' does not have five fields")
    minute, hour, dom, month, dow = fields
    if dow in ("*", "?"):
        dow = "?"
    elif dom in ("*", "?"):
        dom, dow = "?", _shift_dow(dow)
    else:
        raise CronError(f"'{cron}' restricts both day-of-month and day-of-week; AWS cron allows only one "
                        "(use two schedules)")
    if dom == "?" and dow == "?":
        dom = "*"
    return f"cron({minute} {hour} {dom} {month.upper()} {dow} *)"


def rate_expression(seconds: float) -> str:
    """Whole minutes -> ``rate(N unit)`` with the largest unit that divides it."""
    total = int(round(seconds))
    if total < 60 or total % 60:
        raise CronError(f"rate of {seconds:g}s is not a whole number of minutes")
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if total % size == 0:
            n = total // size
            return f"rate({n} {unit}{'' if n == 1 else 's'})"
    raise CronError(f"rate of {seconds:g}s cannot be expressed")


def schedule_expression(cron: str | None, rate: float | None) -> str:
    if cron:
        return cron_expression(cron)
    if rate is None:
        raise CronError("a schedule needs cron or rate")
    return rate_expression(rate)

