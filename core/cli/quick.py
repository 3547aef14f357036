"""``package`` without typer, when its arguments are plain.

Building the typer command costs about 40 ms of every run: importing typer, which imports pydantic for
its parameter adapters, then converting each parameter through them. That was a seventh of a cold
``package -p all`` of 200 functions. ``package`` is the command pipelines run over and over, and its
options are few and simple, so :func:`parse_package` reads them directly when every argument has one of
these forms::

    --option VALUE    --option=VALUE    -o VALUE    --flag

and returns None for anything else: ``--help``, an unknown option or a positional argument, a value
typer would refuse (``--output xml``), an attached short value (``-paws``), a value that starts with
``-`` or is empty, ``--``. typer then parses the same arguments and reports usage errors exactly as
before. Both paths call :func:`sls_neutral.core.cli.commands.package.package`. Unit tests check that they
make the same call for the same arguments, and that :data:`PACKAGE_OPTIONS` matches the typer command.

A plugin cannot replace a built-in command, so nothing a plugin registers is skipped here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sls_neutral.core.cli.common import OutputFormat

#: option string -> (parameter of ``package``, how its value is read)
PACKAGE_OPTIONS: dict[str, tuple[str, str]] = {
    "-c": ("config", "path"), "--config": ("config", "path"),
    "--stage": ("stage", "text"),
    "--param": ("param", "repeated"),
    "-p": ("provider", "text"), "--provider": ("provider", "text"),
    "-o": ("out", "path"), "--out": ("out", "path"),
    "--check": ("check", "flag"),
    "--output": ("output", "format"),
}


def parse_package(args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of ``package`` for ``args``, or None when typer should parse them."""
    values: dict[str, Any] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        name, equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        spec = PACKAGE_OPTIONS.get(name)
        if spec is None:
            return None
        parameter, kind = spec
        if kind == "flag":
            if equals:
                return None
            values[parameter] = True
            continue
        if equals:
            value = attached
        elif index < len(args):
            value = args[index]
            index += 1
        else:
            return None
        if not value or value.startswith("-"):
            return None
        if kind == "path":
            values[parameter] = Path(value)
        elif kind == "repeated":
            values.setdefault(parameter, []).append(value)
        elif kind == "format":
            if value not in OutputFormat.__members__:
                return None
            values[parameter] = OutputFormat(value)
        else:  # a later occurrence wins, as with click
            values[parameter] = value
    return values
