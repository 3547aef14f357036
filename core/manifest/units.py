"""Durations and sizes, parsed once at validation time.

Durations: integers are seconds; strings ``500ms``, ``30s``, ``5m``, ``2h``, ``4d``.
Sizes: integers are MB; strings ``512MB``, ``1GB``.
"""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_FACTORS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(MB|GB|M|G|MiB|GiB)\s*$", re.IGNORECASE)


def parse_duration(value: object) -> float:
    """Seconds as a float; raises ValueError with a user-facing message."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or a string like '30s', '5m', '500ms'")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):  # YAML's .nan and .inf: a NaN passed every comparison below
            spelled = ".nan" if value != value else ".inf" if value > 0 else "-.inf"
            raise ValueError(f"invalid duration {spelled}: use a finite number of seconds or a string like '30s'")
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1)) * _DURATION_FACTORS[match.group(2)]
        if value.strip().isdigit():
            return float(value.strip())
    raise ValueError(f"invalid duration {value!r}: use seconds or a string like '500ms', '30s', '5m', '2h', '4d'")


def parse_size_mb(value: object) -> int:
    """Megabytes as an int; raises ValueError with a user-facing message."""
    if isinstance(value, bool):
        raise ValueError("a size must be a number of MB or a string like '512MB' or '1GB'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("a size must be positive")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            number, unit = float(match.group(1)), match.group(2).upper()
            mb = number * 1024 if unit.startswith("G") else number
            if mb != int(mb) or mb <= 0:
                raise ValueError(f"invalid size {value!r}: must be a whole, positive number of MB")
            return int(mb)
    raise ValueError(f"invalid size {value!r}: use MB as an integer or a string like '512MB', '1GB'")


def format_duration(seconds: float) -> str:
    """The shortest exact spelling, for messages and docs."""
    for unit, factor in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= factor and seconds % factor == 0:
            return f"{int(seconds // factor)}{unit}"
    return f"{int(round(seconds * 1000))}ms"
