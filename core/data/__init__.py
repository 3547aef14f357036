"""Reference data shipped with the package: provider limits and list prices.

``limits.json`` and ``pricing.json`` keep, for every figure, where it came from
(``source``), when (``source_date``) and how sure we are (``confidence``), so
lint messages and cost estimates can say how much to trust a number. They are
read through :func:`load` so the project works without any checkout beside it.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

DATA_FILES = ("limits.json", "pricing.json")


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """The parsed data file ``name`` (one of :data:`DATA_FILES`); cached, treat as read-only."""
    if name not in DATA_FILES:
        raise ValueError(f"unknown data file {name!r}; known: {', '.join(DATA_FILES)}")
    # beside this module, as the runtime files are read (importlib.resources costs every start-up ~3 ms)
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as handle:
        text = handle.read()
    return json.loads(text)


def find(name: str, **match: Any) -> dict[str, Any]:
    """The single item of data file ``name`` whose fields equal ``match`` (e.g. provider, service, limit)."""
    items = [i for i in load(name)["items"] if all(i.get(k) == v for k, v in match.items())]
    if len(items) != 1:
        raise LookupError(f"{name}: expected one item matching {match}, found {len(items)}")
    return items[0]
