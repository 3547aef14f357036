"""The quick ``package`` path reads its arguments exactly as typer does, or leaves them to typer."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from typer.main import get_command

from sls_neutral.core.cli import quick
from sls_neutral.core.cli.commands import package as package_module
from sls_neutral.core.cli.common import OutputFormat
from sls_neutral.core.cli.main import build_app

SIGNATURE = inspect.signature(package_module.package)

PLAIN = [
    [],
    ["-p", "all"],
    ["--provider", "aws"],
    ["--provider=gcp"],
    ["-p", "aws", "-p", "gcp"],
    ["--param", "region=eu-west-1", "--param", "size=2"],
    ["--param=a=b=c"],
    ["--check"],
    ["--check", "--check"],
    ["--output", "json"],
    ["--output=text"],
    ["-o", "out/dir", "-p", "all"],
    ["--out=deploy"],
    ["-c", "svc/sls-neutral.yaml", "--stage", "prod"],
    ["--config=other.yaml", "--stage=qa", "-p", "local", "--check", "--output", "json"],
]

FOR_TYPER = [
    ["--help"],
    ["-h"],
    ["-p", "aws", "--help"],
    ["-paws"],
    ["--bogus"],
    ["positional"],
    ["--output", "xml"],
    ["--output", "JSON"],
    ["-p"],
    ["--check=yes"],
    ["--", "-p", "aws"],
    ["-p", "-o"],
    ["--stage", ""],
    ["--stage="],
    ["--provid", "aws"],
]


def _typer_call(args: list[str], monkeypatch) -> dict:
    """What typer passes to ``package`` for ``args`` (nothing is built: ``package`` is replaced)."""
    calls = []
    monkeypatch.setattr(package_module, "package",
                        lambda *a, **kw: calls.append(dict(SIGNATURE.bind(*a, **kw).arguments)))
    command = get_command(build_app(with_plugins=False, only="package"))
    command.main(args=["package", *args], prog_name="sls-neutral", standalone_mode=False)
    assert len(calls) == 1
    return calls[0]


def _with_defaults(values: dict) -> dict:
    bound = SIGNATURE.bind(**values)
    bound.apply_defaults()
    return dict(bound.arguments)


@pytest.mark.parametrize("args", PLAIN, ids=lambda a: " ".join(a) or "no-args")
def test_plain_arguments_give_the_call_typer_makes(args, monkeypatch):
    parsed = quick.parse_package(args)
    assert parsed is not None, f"{args} should be read without typer"
    expected = _typer_call(args, monkeypatch)
    actual = _with_defaults(parsed)
    # typer hands over a tuple or list for a repeated option, None when absent
    expected["param"] = list(expected["param"]) if expected["param"] else None
    assert actual == expected
    assert isinstance(actual["output"], OutputFormat)
    assert all(isinstance(actual[k], Path) for k in ("config", "out") if actual[k] is not None)


@pytest.mark.parametrize("args", FOR_TYPER, ids=lambda a: " ".join(a))
def test_anything_else_is_left_to_typer(args):
    assert quick.parse_package(args) is None


def test_the_option_table_matches_the_typer_command():
    command = get_command(build_app(with_plugins=False, only="package")).commands["package"]
    from_typer = {}
    for param in command.params:
        if param.name == "help":
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            from_typer[opt] = (param.name, "flag" if param.is_flag else "repeated" if param.multiple else "value")
    from_quick = {opt: (name, kind if kind in ("flag", "repeated") else "value")
                  for opt, (name, kind) in quick.PACKAGE_OPTIONS.items()}
    assert from_quick == from_typer


def test_the_quick_path_keeps_the_typer_defaults():
    command = get_command(build_app(with_plugins=False, only="package")).commands["package"]
    typer_defaults = {p.name: p.default for p in command.params if p.name != "help"}
    plain = {name: p.default for name, p in SIGNATURE.parameters.items()}
    assert set(plain) == set(typer_defaults)
    for name, default in typer_defaults.items():
        if isinstance(default, OutputFormat) or isinstance(plain[name], OutputFormat):
            assert OutputFormat(default) == plain[name]
        elif default is None or isinstance(default, bool):
            assert plain[name] == default
        else:
            assert Path(default) == plain[name]
