"""Entry points of one group, read straight from the installed distributions' metadata folders.

Every command loads the plugins, and ``importlib.metadata`` costs ~35 ms before it finds the first one
(importing it pulls in ``email`` and ``zipfile``, then it parses every distribution's metadata): a tenth
of a whole ``package`` run. Entry points live in ``entry_points.txt`` next to each distribution's
metadata (``*.dist-info`` / ``*.egg-info`` folders on ``sys.path``); reading only those files gives the
same entry points in ~2 ms. Whenever ``sys.path`` holds something this reader does not understand (a zip
or egg file, an unreadable entry), :func:`entry_points` falls back to ``importlib.metadata``.

Semantics follow ``importlib.metadata.entry_points``: distributions are found in ``sys.path`` order, and
of several with the same normalized name the first one wins.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

_SUFFIXES = (".dist-info", ".egg-info")


@dataclass(frozen=True)
class Distribution:
    """Name and version of the distribution an entry point comes from (read from its metadata on demand)."""

    path: str
    folder_name: str = field(compare=False)

    @property
    def name(self) -> str | None:
        return self._headers().get("name") or _folder_parts(self.folder_name)[0]

    @property
    def version(self) -> str | None:
        return self._headers().get("version") or _folder_parts(self.folder_name)[1]

    @property
    def _path(self) -> str:  # the key importlib.metadata's PathDistribution exposes; plugins.py caches by it
        return self.path

    def _headers(self) -> dict[str, str]:
        cached = _HEADERS.get(self.path)
        if cached is None:
            cached = _read_headers(self.path)
            _HEADERS[self.path] = cached
        return cached


@dataclass(frozen=True)
class EntryPoint:
    name: str
    value: str
    group: str
    dist: Distribution | None = None

    @property
    def module(self) -> str:
        return self.value.partition(":")[0].strip()

    @property
    def attr(self) -> str:
        return self.value.partition(":")[2].split("[")[0].strip()

    def load(self) -> Any:
        """What ``importlib.metadata.EntryPoint.load`` returns: the module, or ``module:attr.path``."""
        obj = importlib.import_module(self.module)
        for part in filter(None, self.attr.split(".")):
            obj = getattr(obj, part)
        return obj


_HEADERS: dict[str, dict[str, str]] = {}


class _Unreadable(Exception):
    """Something on sys.path this reader does not handle: use importlib.metadata instead."""


def entry_points(group: str) -> list[Any]:
    """The entry points of ``group`` from every distribution visible on ``sys.path``."""
    try:
        return _scan(group)
    except _Unreadable:
        from importlib import metadata

        return list(metadata.entry_points(group=group))


def _scan(group: str) -> list[EntryPoint]:
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        base = entry or "."
        try:
            children = sorted(os.listdir(base))
        except NotADirectoryError:
            raise _Unreadable(base) from None  # a zip or egg on sys.path
        except FileNotFoundError:
            continue
        except OSError:
            raise _Unreadable(base) from None
        for child in children:
            if not child.endswith(_SUFFIXES):
                continue
            name = _normalize(_folder_parts(child)[0] or "")
            if name in seen:
                continue
            folder = os.path.join(base, child)
            if not os.path.isdir(folder):
                if child.endswith(".egg-info"):
                    continue  # a PKG-INFO style file: no entry points
                raise _Unreadable(folder)
            seen.add(name)
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as handle:
                    text = handle.read()
            except FileNotFoundError:
                continue
            except OSError:
                raise _Unreadable(folder) from None
            dist = Distribution(folder, child)
            found.extend(EntryPoint(n, v, group, dist) for n, v in _section(text, group))
    return found


def _section(text: str, group: str) -> list[tuple[str, str]]:
    """``name = value`` lines of one ``[group]`` section of an entry_points.txt (an INI file)."""
    out = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line[1:-1].strip() == group
            continue
        if inside and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


_FOLDER = re.compile(r"^(?P<name>.+?)(?:-(?P<version>[^-]+?))?(?:-py[\d.]+)?\.(?:dist|egg)-info$")


def _folder_parts(folder_name: str) -> tuple[str | None, str | None]:
    match = _FOLDER.match(folder_name)
    return (match.group("name"), match.group("version")) if match else (None, None)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _read_headers(folder: str) -> dict[str, str]:
    """``Name`` and ``Version`` from the top of METADATA / PKG-INFO (RFC 822 headers; the body is skipped)."""
    out: dict[str, str] = {}
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(folder, filename), encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        break
                    key, sep, value = line.partition(":")
                    if sep and key.lower() in ("name", "version"):
                        out.setdefault(key.lower(), value.strip())
                    if len(out) == 2:
                        break
        except OSError:
            continue
        break
    return out
