"""The ``sls-neutral`` entry point: builds the typer app and maps errors to exit codes.

Exit codes (CLI.md): 0 ok, 1 user error, 2 usage error, 3 internal error.
Tracebacks are shown only with ``SLSN_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from sls_neutral import __version__

COMMAND_MODULES = (
    "init", "validate", "schema", "package", "plan", "deploy", "remove", "info", "invoke", "logs", "dev",
    "workflow", "lint", "cost", "matrix", "plugins", "importer",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sls-neutral {__version__}")
        raise typer.Exit(0)


def build_app(*, with_plugins: bool = True) -> typer.Typer:
    app = typer.Typer(name="sls-neutral", no_args_is_help=True, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]},
                      help="One provider-neutral serverless manifest: local, AWS, GCP and Azure.",
                      pretty_exceptions_enable=False, rich_markup_mode=None)

    @app.callback()
    def _root(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                              help="Print the version and exit.")] = None) -> None:
        """sls-neutral: package, deploy and run one manifest on any provider."""

    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"sls_neutral.core.cli.commands.{name}")
        module.register(app)
    if with_plugins and os.environ.get("SLSN_NO_PLUGIN_COMMANDS", "") in ("", "0"):
        try:
            from sls_neutral.core.plugins import get_plugin_manager

            get_plugin_manager().hook.slsn_add_commands(app=app)
        except Exception as exc:  # a broken plugin must not break --help
            sys.stderr.write(f"warning: a plugin failed to add commands: {exc}\n")
    return app


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def _usage_error_types() -> tuple[type[BaseException], ...]:
    """Click's usage-error base, and typer's vendored copy of it.

    typer >= 0.2x ships its own click (``typer._click``), whose exceptions do not derive from
    ``click.ClickException``; we find that base through a public class rather than a private import.
    """
    import click

    vendored = [c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"]
    return tuple({click.ClickException, *vendored})


def _exit_types() -> tuple[type[BaseException], ...]:
    import click

    return tuple({click.exceptions.Exit, typer.Exit})


def _abort_types() -> tuple[type[BaseException], ...]:
    import click

    return tuple({click.exceptions.Abort, typer.Abort})


def run(argv: list[str] | None = None) -> int:
    from sls_neutral.core.errors import SlsnError

    debug = os.environ.get("SLSN_DEBUG", "") not in ("", "0")
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        command = typer.main.get_command(build_app())
        result = command.main(args=args, prog_name="sls-neutral", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except SlsnError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(exc.render() + "\n")
        return exc.exit_code
    except _exit_types() as exc:
        return exc.exit_code
    except _abort_types():
        sys.stderr.write("aborted\n")
        return 1
    except _usage_error_types() as exc:
        exc.show()
        return 2  # CLI.md: every usage error (unknown command or option, bad value) exits 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so, show the traceback only when asked
        if debug:
            import traceback

            traceback.print_exc()
        else:
            sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n"
                             "  this is a bug in sls-neutral or a plugin; rerun with SLSN_DEBUG=1 for a traceback\n")
        return 3
