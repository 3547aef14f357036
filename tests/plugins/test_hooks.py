"""One test per hook: an inline plugin object is registered, the pipeline runs, the effect is checked.

tests/plugins/test_hook_docs.py fails when a hook in core/hookspecs.py has no
``test_hook_<name>`` here or no section in docs/plugins/hooks.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from sls_neutral.core.errors import Diagnostic, ManifestError, SlsnError
from sls_neutral.core.hookspecs import hookimpl
from sls_neutral.core.pipeline import Project
from sls_neutral.core.plan import Action, Plan
from sls_neutral.core.provider import FULL, Provider

MANIFEST = """\
service: hooks-demo
functions:
  hi:
    handler: src/hi.py:hi
    triggers:
      - http: {method: GET, path: /hi}
"""


class MemoryProvider(Provider):
    """A provider whose 'cloud' is a dict: enough to drive every deploy-stage hook."""

    name = "memory"
    version = "0"
    capabilities = {"http": FULL}

    def __init__(self):
        self.deployed: dict = {}
        self.fail = False

    def emit(self, app, artifacts):
        artifacts.add_json("functions.json", sorted(app.functions))

    def plan(self, app, artifacts, ctx):
        ops = [Action("create" if n not in self.deployed else "noop", "memory.function", n) for n in app.functions]
        return Plan("memory", app.service, app.stage, ops)

    def execute(self, app, plan, artifacts, ctx):
        if self.fail:
            raise SlsnError("the memory cloud is down")
        self.deployed.update({a.name: True for a in plan.changes})
        return {"provider": "memory", "message": "ok"}

    def remove(self, app, ctx):
        self.deployed.clear()
        return {"message": "removed"}

    def info(self, app, ctx):
        return {"functions": sorted(self.deployed)}


@pytest.fixture
def project(tmp_path, plugin_manager):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hi.py").write_text("def hi(request, ctx):\n    return 'hi'\n")
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST)
    provider = MemoryProvider()

    class Registers:
        @hookimpl
        def slsn_register_providers(self):
            return [provider]

    plugin_manager.register(Registers(), "memory-provider")

    def make(text: str = MANIFEST) -> Project:
        (tmp_path / "sls-neutral.yaml").write_text(text)
        return Project(config=tmp_path / "sls-neutral.yaml", plugins=plugin_manager)

    make.provider = provider
    make.pm = plugin_manager
    return make


def register(pm, name, **hooks):
    plugin = type(name, (), {k: staticmethod(hookimpl(v)) for k, v in hooks.items()})()
    pm.register(plugin, name)
    return plugin


def test_hook_slsn_register_providers(project):
    assert project().provider("memory") is project.provider
    with pytest.raises(SlsnError) as info:
        project().provider("memroy")
    assert "did you mean 'memory'" in str(info.value.hint)


def test_hook_slsn_manifest_schema(project):
    class Block(BaseModel):
        model_config = ConfigDict(extra="forbid")
        team: str

    register(project.pm, "ownership", slsn_manifest_schema=lambda: {"ownership": Block})  # block named after its plugin
    app = project(MANIFEST + "plugins: [ownership]\nownership: {team: media}\n").app
    assert app.extensions["ownership"].team == "media"
    with pytest.raises(ManifestError) as info:
        project(MANIFEST + "plugins: [ownership]\nownership: {teem: media}\n").app
    assert info.value.diagnostics[0].position.line == 8


def test_hook_slsn_add_commands(project, capsys):
    from sls_neutral.core.cli.main import build_app
    from typer.testing import CliRunner

    def add(app):
        @app.command("shout")
        def shout() -> None:
            print("HELLO")

    register(project.pm, "commands", slsn_add_commands=add)
    result = CliRunner().invoke(build_app(), ["shout"])
    assert result.exit_code == 0 and "HELLO" in result.output


def test_plugin_commands_named_like_builtin_ones_are_left_out(project, capsys):
    """The quick ``package`` path runs the built-in command without typer, so no plugin may replace it."""
    from sls_neutral.core.cli.main import build_app
    from typer.main import get_command

    def add(app):
        @app.command("package")
        def package() -> None:
            print("HIJACKED")

        @app.command()
        def deploy() -> None:  # named by its function
            print("HIJACKED")

        @app.command("shout")
        def shout() -> None:
            print("HELLO")

    register(project.pm, "commands", slsn_add_commands=add)
    command = get_command(build_app())
    err = capsys.readouterr().err
    assert "a plugin's command 'package' was left out" in err and "'deploy' was left out" in err
    assert command.commands["package"].callback.__module__ == "sls_neutral.core.cli.commands.package"
    assert command.commands["deploy"].callback.__module__ == "sls_neutral.core.cli.commands.deploy"
    assert "shout" in command.commands


def test_hook_slsn_validate_ir(project):
    def validate(app, provider):
        return [Diagnostic(f"{provider or 'no provider'}: functions must say hello", app.functions["hi"].source,
                           code="X1")] if "hello" not in app.functions else []

    register(project.pm, "validator", slsn_validate_ir=validate)
    with pytest.raises(ManifestError) as info:
        project().app
    assert info.value.diagnostics[0].message.startswith("no provider:")
    assert info.value.diagnostics[0].position.line == 3


def test_hook_slsn_validate_ir_warnings_do_not_stop(project):
    register(project.pm, "warner", slsn_validate_ir=lambda app: [Diagnostic("just saying", severity="warning")])
    assert project().app.service == "hooks-demo"  # old-style impl taking fewer arguments still works


def test_hook_slsn_transform_ir(project):
    def first(app, provider):
        return app.replace(params={"seen": [provider]})

    def second(app):
        return app.replace(params={"seen": app.params["seen"] + ["second"]})

    # pluggy's order: the last registered runs first (tryfirst/trylast adjust it), and each sees the previous result
    register(project.pm, "t2", slsn_transform_ir=second)
    register(project.pm, "t1", slsn_transform_ir=first)
    proj = project()
    assert proj.app_for("memory").params == {"seen": ["memory", "second"]}
    assert proj.app.params == {}  # the neutral IR is untouched


def test_hook_slsn_lint_rules(project):
    class Rule:
        id, severity, summary = "XX001", "warning", "example"

        def check(self, app, provider):
            return []

    register(project.pm, "rules", slsn_lint_rules=lambda: [Rule()])
    assert "XX001" in [r.id for r in project.pm.lint_rules()]


def test_hook_slsn_before_package(project):
    seen = []
    register(project.pm, "before", slsn_before_package=lambda app, provider: seen.append((app.service, provider)))
    project().package("memory", check=True)
    assert seen == [("hooks-demo", "memory")]


def test_hook_slsn_emit_artifacts(project, tmp_path):
    register(project.pm, "emitter", slsn_emit_artifacts=lambda app, provider, artifacts: artifacts.add(
        "extra/notice.txt", f"{provider}\n"))
    project().package("memory", tmp_path / "out")
    assert (tmp_path / "out" / "extra" / "notice.txt").read_text() == "memory\n"
    assert "extra/notice.txt" in (tmp_path / "out" / "artifacts.json").read_text()


def test_hook_slsn_after_package(project, tmp_path):
    seen = []
    register(project.pm, "after", slsn_after_package=lambda provider, artifacts: seen.append(artifacts.paths()))
    project().package("memory", tmp_path / "out")
    assert seen == [["functions.json"]]


def test_hook_slsn_plan(project):
    register(project.pm, "planner", slsn_plan=lambda plan: [Action("create", "memory.alarm", "errors")])
    _, _, _, plan, _ = project().plan("memory")
    assert [(a.resource_type, a.name) for a in plan.changes] == [("memory.function", "hi"), ("memory.alarm", "errors")]


def test_hook_slsn_before_deploy(project):
    def refuse(plan):
        raise SlsnError("change freeze")

    register(project.pm, "freeze", slsn_before_deploy=refuse)
    with pytest.raises(SlsnError, match="change freeze"):
        project().deploy("memory")
    assert project.provider.deployed == {}


def test_hook_slsn_after_deploy(project):
    results = []
    register(project.pm, "after-deploy", slsn_after_deploy=lambda result: results.append(result["message"]))
    project().deploy("memory")
    assert results == ["ok"] and project.provider.deployed == {"hi": True}


def test_hook_slsn_deploy_failed(project):
    errors = []
    register(project.pm, "failed", slsn_deploy_failed=lambda error: errors.append(str(error)))
    project.provider.fail = True
    with pytest.raises(SlsnError):
        project().deploy("memory")
    assert errors == ["the memory cloud is down"]


def test_hook_slsn_remove(project):
    removed = []
    register(project.pm, "remover", slsn_remove=lambda provider: removed.append(provider))
    project().deploy("memory")
    project().remove("memory")
    assert removed == ["memory"] and project.provider.deployed == {}


def test_hook_slsn_info(project):
    register(project.pm, "informer", slsn_info=lambda info: {"count": len(info["functions"])})
    project().deploy("memory")
    info = project().info("memory")
    assert info["functions"] == ["hi"] and info["plugins"]["informer"] == {"count": 1}


def test_misspelt_hook_fails_at_start_up(plugin_manager):
    class Typo:
        @hookimpl
        def slsn_valdate_ir(self, app):
            return []

    with pytest.raises(SlsnError) as info:
        plugin_manager.register(Typo(), "typo")
    assert "slsn_valdate_ir" in str(info.value)
