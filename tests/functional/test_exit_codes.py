"""CLI.md's exit codes for usage errors: 2, with click's usage line, never "internal error"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args, says", [
    (["nosuch"], "No such command 'nosuch'"),
    (["validate", "--bogus"], "No such option: --bogus"),
    (["invoke", "-f", "x"], "No such option: -f"),
    (["validate", "--output", "xml"], "'xml' is not one of"),
    (["logs", "f", "--since", "yesterday"], "Invalid value for '--since'"),
])
def test_usage_errors_exit_2_with_a_usage_line(cli, tmp_path, args, says):
    result = cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Usage: sls-neutral" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_version_exits_0(cli, tmp_path):
    result = cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("sls-neutral ")


def test_the_whole_output_arrives_through_a_pipe_before_the_fast_exit(cli):
    """main() ends with os._exit after flushing: a large answer must still arrive whole."""
    import json

    result = cli("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert len(result.stdout) > 10_000 and "properties" in schema


@pytest.mark.parametrize("args, collector_on", [(["schema"], False), (["--version"], True)])
def test_bounded_commands_run_without_the_cyclic_collector(tmp_path, args, collector_on):
    """main() turns the collector off for commands that do bounded work and exit (see BOUNDED_COMMANDS)."""
    import subprocess
    import sys

    script = ("import atexit, gc, sys\n"
              "atexit.register(lambda: sys.stderr.write(f'collector={gc.isenabled()}\\n'))\n"
              f"sys.argv = ['sls-neutral', *{args!r}]\n"
              "from sls_neutral.core.cli.main import main\nmain()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"collector={collector_on}" in result.stderr
