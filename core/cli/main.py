"""The ``sls-neutral`` entry point: builds the typer app and maps errors to exit codes.

Exit codes (CLI.md): 0 ok, 1 user error, 2 usage error, 3 internal error.
Tracebacks are shown only with ``SLSN_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from sls_neutral import __version__

TYPE_CHECKING = False  # typing itself is imported only to build the typer app (an incremental build never does)
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import typer

COMMAND_MODULES = (
    "init", "validate", "schema", "package", "plan", "deploy", "remove", "info", "invoke", "logs", "dev",
    "workflow", "lint", "cost", "matrix", "plugins", "importer",
)
COMMAND_NAMES = {("import" if m == "importer" else m): m for m in COMMAND_MODULES}


def _typer():
    """typer, imported on first use (a cached root ``--help`` never needs it) and made a module global:
    typer resolves the string annotations of the callbacks below in this module's namespace."""
    global typer
    import typer as module

    typer = module
    return module


def _version(value: bool) -> None:
    _typer()
    if value:
        typer.echo(f"sls-neutral {__version__}")
        raise typer.Exit(0)


def build_app(*, with_plugins: bool = True, only: str | None = None) -> typer.Typer:
    """The typer app; ``only`` (a built-in command's name) registers just that command.

    Building all 17 commands (importing their modules, typer inspecting every signature) cost ~25 ms of
    each run, for one of them. Help and errors read the same either way: a subcommand's help and usage
    line never list its siblings, and anything not a known command name builds the whole app.
    """
    global Annotated, Optional  # typer reads the callback's annotations in this module's namespace
    from typing import Annotated, Optional

    typer = _typer()
    app = typer.Typer(name="sls-neutral", no_args_is_help=True, add_completion=False,
                      context_settings={"help_option_names": ["-h", "--help"]},
                      help="One provider-neutral serverless manifest: local, AWS, GCP and Azure.",
                      pretty_exceptions_enable=False, rich_markup_mode=None)

    @app.callback()
    def _root(version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                              help="Print the version and exit.")] = None) -> None:
        """sls-neutral: package, deploy and run one manifest on any provider."""

    import importlib

    for name in ([COMMAND_NAMES[only]] if only in COMMAND_NAMES else COMMAND_MODULES):
        module = importlib.import_module(f"sls_neutral.core.cli.commands.{name}")
        module.register(app)
    if with_plugins and os.environ.get("SLSN_NO_PLUGIN_COMMANDS", "") in ("", "0"):
        builtin = (len(app.registered_commands), len(app.registered_groups))
        try:
            from sls_neutral.core.plugins import get_plugin_manager

            get_plugin_manager().hook.slsn_add_commands(app=app)
        except Exception as exc:  # a broken plugin must not break --help
            sys.stderr.write(f"warning: a plugin failed to add commands: {exc}\n")
        _drop_reserved(app.registered_commands, builtin[0])
        _drop_reserved(app.registered_groups, builtin[1])
    return app


def _drop_reserved(registry: list, builtin: int) -> None:
    """Leave out plugin commands named like a built-in one: the names are reserved.

    typer would let a plugin's ``package`` replace ours, yet the quick path (:mod:`sls_neutral.core.cli.quick`)
    runs the built-in ``package`` without building the typer app; one rule for both paths.
    """
    for info in registry[builtin:]:
        callback = getattr(info, "callback", None)
        name = info.name or (callback.__name__.replace("_", "-") if callback else None)
        if name in COMMAND_NAMES:
            registry.remove(info)
            sys.stderr.write(f"warning: a plugin's command '{name}' was left out: built-in command names are "
                             "reserved\n")


# Commands that do a bounded amount of work and exit: they run without the cyclic garbage collector.
BOUNDED_COMMANDS = {"validate", "schema", "package", "plan", "lint", "cost", "matrix", "plugins", "import", "init"}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in BOUNDED_COMMANDS:
        # Importing typer and pydantic, building the manifest models and compiling a large manifest
        # allocate hundreds of thousands of objects that live until exit; the collector's repeated passes
        # over them cost 10-25 % of a `package` run (0.34 s -> 0.30 s before the build at 1,000
        # functions) and free nothing. Long-running commands (dev, deploy, logs --tail) keep it.
        import gc

        from sls_neutral.core import keepalive

        gc.disable()
        keepalive.enabled = True  # freed by the exit below, not object by object on the way to it
    _exit(run(argv))


def _exit(code: int) -> None:
    """Exit without freeing the heap object by object.

    After ``package`` at 1,000 functions the interpreter holds millions of small objects (manifest, IR,
    templates); tearing them down one by one took 30-50 ms, ~5 % of the run, to free memory the operating
    system reclaims at once. When nothing else runs (no other thread), the exit handlers run, the
    standard streams are flushed and the process ends with ``os._exit``. Otherwise, and with
    ``SLSN_DEBUG=1``, the normal ``sys.exit``.
    """
    threading = sys.modules.get("threading")  # never imported: no other thread (an incremental build)
    if (threading is not None and threading.active_count() > 1) or \
            os.environ.get("SLSN_DEBUG", "") not in ("", "0"):
        sys.exit(code)
    import atexit

    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    except BrokenPipeError:
        pass
    except Exception:  # noqa: BLE001 - a failing exit handler or stream: let the normal exit report it
        sys.exit(code)
    os._exit(code)


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
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--help"], ["-h"]) and argv is None:
        return _root_help(args)
    if args == ["--version"]:  # what typer's eager option prints, without building the app (~60 ms)
        print(f"sls-neutral {__version__}")
        return 0
    if args[:1] == ["package"]:
        # The incremental path: when only service sources changed since the last build, replay it
        # without loading the framework (sls_neutral.core.replay); otherwise record this build for next time.
        from sls_neutral.core import replay

        code = replay.try_replay(args[1:])
        if code is not None:
            return code
        from sls_neutral.core import headstart

        if not {"-h", "--help"} & set(args):
            headstart.start(replay.manifest_path(args[1:]))  # parses the manifest while the framework imports
        from sls_neutral.core import buildrecord
        from sls_neutral.core.cli import quick

        plain = quick.parse_package(args[1:])
        buildrecord.invocation = (os.getcwd(), args[1:])
        try:
            if plain is None:
                return _run(argv)
            from sls_neutral.core.cli.commands.package import package

            return _guarded(lambda: package(**plain), click=False)
        finally:
            buildrecord.invocation = None
            headstart.stop()
    return _run(argv)


# ------------------------------------------------------------ cached root help
HELP_CACHE_FORMAT = 1
_HELP_ENV = ("SLSN_NO_PLUGIN_COMMANDS", "SLSN_DISABLE_PLUGIN_AUTOLOAD", "SLSN_PLUGINS", "SLSN_DISABLED_PLUGINS",
             "COLUMNS", "LINES", "TERMINAL_WIDTH", "_TYPER_FORCE_DISABLE_TERMINAL", "NO_COLOR", "FORCE_COLOR", "TERM",
             "LANG", "LC_ALL")


def _help_cache_file() -> Path | None:
    """Where the root ``--help`` text is kept, keyed by everything it depends on; None: do not cache.

    The key: sls-neutral's version and CLI sources (mtimes), the Python, the installed distributions
    (names and mtimes of the *.dist-info / *.egg-info / *.pth entries on sys.path: installing or removing
    a plugin changes it), the variables that select plugins or shape the output, the terminal width and
    whether stdout is a terminal. Building the typer app only to print the same text cost ~3x the rest of
    the start-up. ``SLSN_NO_HELP_CACHE=1`` turns it off.
    """
    if os.environ.get("SLSN_NO_HELP_CACHE", "") not in ("", "0"):
        return None
    import hashlib
    import shutil
    from pathlib import Path

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    digest = hashlib.sha256()
    digest.update(repr((HELP_CACHE_FORMAT, __version__, sys.version, sys.executable, sys.argv[0],
                        shutil.get_terminal_size().columns, sys.stdout.isatty(),
                        [os.environ.get(k, "") for k in _HELP_ENV])).encode())
    cli = os.path.dirname(os.path.abspath(__file__))
    for folder in (cli, os.path.join(cli, "commands")):
        with os.scandir(folder) as it:
            for entry in sorted(it, key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    digest.update(f"{entry.name}:{st.st_mtime_ns}:{st.st_size}\n".encode())
    for folder in sys.path:
        try:
            with os.scandir(folder or ".") as it:
                for entry in sorted(it, key=lambda e: e.name):
                    if entry.name.endswith((".dist-info", ".egg-info", ".pth", ".egg-link")):
                        digest.update(f"{folder}/{entry.name}:{entry.stat().st_mtime_ns}\n".encode())
        except OSError:
            continue
    return Path(base) / "sls-neutral" / f"help-{digest.hexdigest()[:32]}.txt"


def _root_help(args: list[str]) -> int:
    try:
        cache = _help_cache_file()
    except Exception:  # noqa: BLE001 - the cache is an optimisation, never a failure
        cache = None
    if cache is not None:
        try:
            text = cache.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError):
            cache = None
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
            return 0
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _run(args)
    sys.stdout.write(out.getvalue())
    sys.stderr.write(err.getvalue())
    if cache is not None and code == 0 and out.getvalue() and not err.getvalue():
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f"{cache.name}.tmp-{os.getpid()}")
            tmp.write_text(out.getvalue(), encoding="utf-8")
            os.replace(tmp, cache)
        except OSError:
            pass
    return code


def _run(argv: list[str] | None = None) -> int:
    typer = _typer()
    args = list(sys.argv[1:] if argv is None else argv)

    def call():
        wanted = args[0] if args and args[0] in COMMAND_NAMES else None  # a root option first: build all
        command = typer.main.get_command(build_app(only=wanted))
        return command.main(args=args, prog_name="sls-neutral", standalone_mode=False)

    return _guarded(call, click=True)


def _guarded(call, *, click: bool) -> int:
    """Run a command and map what it raises to an exit code and one message (CLI.md).

    ``click``: the command ran through typer, whose exit, abort and usage-error exceptions are expected.
    """
    from sls_neutral.core.errors import SlsnError

    debug = os.environ.get("SLSN_DEBUG", "") not in ("", "0")
    try:
        result = call()
        return result if isinstance(result, int) else 0
    except SlsnError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        sys.stderr.write(exc.render() + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if click and isinstance(exc, _exit_types()):
            return exc.exit_code
        if click and isinstance(exc, _abort_types()):
            sys.stderr.write("aborted\n")
            return 1
        if click and isinstance(exc, _usage_error_types()):
            exc.show()
            return 2  # CLI.md: every usage error (unknown command or option, bad value) exits 2
        # a bug: say so, show the traceback only when asked
        if debug:
            import traceback

            traceback.print_exc()
        else:
            sys.stderr.write(f"internal error: {type(exc).__name__}: {exc}\n"
                             "  this is a bug in sls-neutral or a plugin; rerun with SLSN_DEBUG=1 for a traceback\n")
        return 3
