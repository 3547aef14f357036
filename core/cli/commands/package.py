"""``sls-neutral package``: write a provider's artifacts (or check them for drift).

The work is :func:`package`, a plain function. The typer command that :func:`register` adds and the quick
path (:mod:`sls_neutral.core.cli.quick`, which reads plain arguments without typer) both call it, so the
two cannot drift apart. This module imports typer only inside :func:`register`.
"""

from pathlib import Path

from sls_neutral.core.cli.common import (DEFAULT_CONFIG, OutputFormat, emit, print_warnings, project,
                                         providers_for)


def package(config: Path = DEFAULT_CONFIG, stage: str | None = None, param: list[str] | None = None,
            provider: str | None = None, out: Path | None = None, check: bool = False,
            output: OutputFormat = OutputFormat.text) -> None:
    """Write the provider's artifacts to a folder, atomically and byte-stable."""
    from sls_neutral.core import buildrecord, keepalive
    from sls_neutral.core.errors import ArtifactDriftError

    proj = project(config, stage, param)
    keepalive.keep(proj)  # the manifest, the IR and the rest live until the process ends
    recorder = None if check else buildrecord.start(proj)
    try:
        names = providers_for(proj, provider)
        targets = {name: (out / name if provider == "all" else out) if out else None for name in names}
        results = proj.package_many(names, targets, check=check, parallel=True)
    except BaseException:
        if recorder is not None:
            buildrecord.discard()
        raise
    if recorder is not None:
        buildrecord.stop()
    parts = [r.pop("_record", None) for r in results]
    print_warnings(proj)
    lines = []
    drift = []
    for r in results:
        if check:
            diffs = r["differences"]
            drift += [f"{r['provider']}: {d['status']} {d['path']}" for d in diffs]
            lines.append(f"{r['provider']}: {'up to date' if not diffs else f'{len(diffs)} differences'} "
                         f"({r['output']})")
        else:
            lines.append(f"{r['provider']}: wrote {r['files']} files to {r['output']}")
    emit({"results": results, "check": check, "clean": not drift}, output, "\n".join(lines + drift))
    if recorder is not None:
        buildrecord.finish(recorder, parts)
    keepalive.keep(recorder, results, parts)  # the records' recipes reference every output's bytes
    if drift:
        raise ArtifactDriftError(f"{len(drift)} artifact(s) differ from the manifest and sources",
                                 hint="run 'sls-neutral package' and commit the result")


def register(app) -> None:
    from typing import Annotated, Optional

    import typer

    from sls_neutral.core.cli.common import ConfigOpt, OutputOpt, ParamOpt, ProviderOpt, StageOpt

    # No ``from __future__ import annotations`` here: the annotations below are evaluated now, from these
    # local names, instead of being resolved later in the module's globals.
    @app.command("package")
    def package_command(config: ConfigOpt = DEFAULT_CONFIG, stage: StageOpt = None, param: ParamOpt = None,
                        provider: ProviderOpt = None,
                        out: Annotated[Optional[Path], typer.Option(
                            "-o", "--out", help="Output folder (default .sls-neutral/build/<stage>/<provider>; "
                                                "with -p all, one subfolder each).")] = None,
                        check: Annotated[bool, typer.Option(
                            "--check", help="Write nothing; exit 1 if the folder differs from what would be "
                                            "written (the GitOps drift gate).")] = False,
                        output: OutputOpt = OutputFormat.text) -> None:
        """Write the provider's artifacts to a folder, atomically and byte-stable."""
        package(config, stage, param, provider, out, check, output)
