"""The CLI registers only the invoked command; what a user sees must not change (core/cli/main.py)."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sls_neutral.core.cli.main import COMMAND_NAMES, build_app


def _help(app, *args):
    result = CliRunner().invoke(app, [*args, "--help"], prog_name="sls-neutral")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", sorted(COMMAND_NAMES))
def test_a_command_built_alone_has_the_same_help_and_usage(name):
    full = build_app(with_plugins=False)
    alone = build_app(with_plugins=False, only=name)
    assert _help(alone, name) == _help(full, name)
    bad = [name, "--no-such-option"]
    runner = CliRunner()
    alone_error = runner.invoke(alone, bad, prog_name="sls-neutral")
    full_error = runner.invoke(full, bad, prog_name="sls-neutral")
    assert (alone_error.exit_code, alone_error.output) == (full_error.exit_code, full_error.output)
    assert alone_error.exit_code == 2


def test_every_command_module_is_reachable_by_name():
    full = get_command(build_app(with_plugins=False))
    assert set(full.commands) == set(COMMAND_NAMES)
