"""keepalive: the CLI keeps its large structures until os._exit; everywhere else objects are freed as usual."""

from __future__ import annotations

import gc
import weakref

from sls_neutral.core import keepalive


class _Big:
    pass


def test_objects_are_freed_as_usual_unless_the_cli_turned_keeping_on(monkeypatch):
    monkeypatch.setattr(keepalive, "_kept", [])
    monkeypatch.setattr(keepalive, "enabled", False)
    dropped = _Big()
    ref = weakref.ref(dropped)
    keepalive.keep(dropped)
    del dropped
    gc.collect()
    assert ref() is None and keepalive._kept == []

    monkeypatch.setattr(keepalive, "enabled", True)
    kept = _Big()
    ref = weakref.ref(kept)
    keepalive.keep(kept, "and more")
    del kept
    gc.collect()
    assert ref() is not None and len(keepalive._kept) == 2


def test_only_main_turns_it_on_and_only_for_bounded_commands(monkeypatch):
    from sls_neutral.core.cli import main as cli

    monkeypatch.setattr(keepalive, "enabled", False)
    exits = []
    monkeypatch.setattr(cli, "_exit", exits.append)
    monkeypatch.setattr(cli, "run", lambda argv=None: 0)
    was = gc.isenabled()
    try:
        cli.main(["logs", "x"])  # long-running commands free as they go
        assert keepalive.enabled is False
        cli.main(["package", "-p", "aws"])
        assert keepalive.enabled is True and exits == [0, 0]
    finally:
        keepalive.enabled = False
        if was:
            gc.enable()
