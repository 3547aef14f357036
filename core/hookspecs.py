"""Every hook sls-neutral calls, grouped by pipeline stage.

Plugins implement them with ``from sls_neutral import hookimpl``. Every hook
name starts with ``slsn_``. An implementation may take fewer arguments than the
spec (pluggy passes only those it names), so adding an argument to a hook never
breaks an old plugin. Unless a docstring says ``firstresult``, every
implementation is called and the results are collected in a list.

Documented in docs/plugins/hooks.md; a meta-test fails when a hook here is
undocumented or untested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import BaseModel

    from sls_neutral.core.artifacts import ArtifactSet
    from sls_neutral.core.errors import Diagnostic
    from sls_neutral.core.ir import App
    from sls_neutral.core.plan import Plan
    from sls_neutral.core.provider import Provider

PROJECT = "sls_neutral"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------- registration
@hookspec
def slsn_register_providers() -> list["Provider"]:
    """Return the providers this plugin adds.

    Each is a :class:`sls_neutral.core.provider.Provider` instance (a name,
    a version, declared capabilities, and the emit/plan/execute methods).
    Return an empty list (or nothing) if the plugin adds none.
    """


@hookspec
def slsn_manifest_schema() -> Mapping[str, type["BaseModel"]]:
    """Return top-level manifest blocks this plugin owns: ``{block name: pydantic model}``.

    A block is validated by its model (its errors carry file:line like core
    errors) and reaches the IR in ``App.extensions[block]``. Use
    ``extra="forbid"`` on the model so typos are caught.
    """


@hookspec
def slsn_add_commands(app: Any) -> None:
    """Add commands to the typer application ``app`` (``app.command()(fn)`` or ``app.add_typer``).

    Import heavy libraries inside the command function, never at module level:
    ``sls-neutral --help`` must stay fast. The built-in commands' names are reserved: a plugin command
    named like one (``package``, ``deploy`` ...) is left out with a warning.
    """


# ---------------------------------------------------------------- compile
@hookspec
def slsn_validate_ir(app: "App", provider: str | None) -> list["Diagnostic"]:
    """Return diagnostics about the compiled IR (empty list when fine).

    ``provider`` is the target provider's name, or None when none is chosen.
    Diagnostics with severity ``error`` stop the command with exit code 1.
    """


@hookspec
def slsn_transform_ir(app: "App", provider: str) -> "App | None":
    """Return a changed copy of ``app`` (use ``app.replace(...)``), or None to leave it.

    Called once per target provider, after validation and before emit. The
    implementations run in turn, each seeing the previous one's result (the
    core chains them), so plugins compose.
    """


@hookspec
def slsn_lint_rules() -> list[Any]:
    """Return lint rules (objects with ``id``, ``severity``, ``summary`` and ``check(app, provider)``).

    See :mod:`sls_neutral.core.lint` for the rule protocol.
    """


# ---------------------------------------------------------------- package
@hookspec
def slsn_before_package(app: "App", provider: str) -> None:
    """Lifecycle notification: the provider is about to emit artifacts for ``app``."""


@hookspec
def slsn_emit_artifacts(app: "App", provider: str, artifacts: "ArtifactSet") -> None:
    """Add or change files in ``artifacts`` after the provider emitted them, before they are written.

    Use ``artifacts.add(path, data)``. Paths are POSIX, relative to the output folder.
    """


@hookspec
def slsn_after_package(app: "App", provider: str, artifacts: "ArtifactSet") -> None:
    """Lifecycle notification: the artifacts for ``provider`` are complete (and written, unless --check)."""


# ---------------------------------------------------------------- deploy
@hookspec
def slsn_plan(app: "App", provider: str, plan: "Plan") -> list[Any] | None:
    """Return extra plan actions (:class:`sls_neutral.core.plan.Action`) to append, or None.

    The plan is data; the provider's executor carries out the actions it knows.
    """


@hookspec
def slsn_before_deploy(app: "App", provider: str, plan: "Plan") -> None:
    """Lifecycle notification: the plan is about to be executed. Raise an SlsnError to refuse."""


@hookspec
def slsn_after_deploy(app: "App", provider: str, result: Mapping[str, Any]) -> None:
    """Lifecycle notification: the deploy finished; ``result`` is the provider's deploy result."""


@hookspec
def slsn_deploy_failed(app: "App", provider: str, error: BaseException) -> None:
    """Lifecycle notification: the deploy failed (the previous deployment keeps serving)."""


@hookspec
def slsn_remove(app: "App", provider: str) -> None:
    """Lifecycle notification: the stage was removed from ``provider``."""


@hookspec
def slsn_info(app: "App", provider: str, info: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Return extra entries for ``info`` output (merged under the plugin's name), or None."""
