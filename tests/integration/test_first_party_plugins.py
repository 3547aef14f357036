"""tags, warmup and observability: enabled from the manifest, they fill the IR providers read."""

from __future__ import annotations

import pytest

from sls_neutral.core.errors import ManifestError
from sls_neutral.core.pipeline import Project
from sls_neutral.core.plugins import PluginManager

BASE = """\
service: plug-app
stage: prod
functions:
  api:
    handler: src/h.py:h
    memory: 1GB
    triggers:
      - http: {method: GET, path: /x}
  job:
    handler: src/h.py:h
    warm: 2
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "h.py").write_text("def h(r, c):\n    return None\n")

    def make(extra: str) -> Project:
        (tmp_path / "sls-neutral.yaml").write_text(BASE + extra)
        return Project(config=tmp_path / "sls-neutral.yaml", plugins=PluginManager())

    return make


def provider_view(project: Project, provider: str = "aws"):
    """The IR after every plugin's slsn_transform_ir, as a provider receives it."""
    return project.plugins.transform_ir(project.app, provider)


def test_tags_reach_the_provider_view(project):
    app = provider_view(project("plugins: [tags]\ntags: {team: media, cost-center: 4711}\n"))
    assert app.tags == {"cost-center": "4711", "service": "plug-app", "stage": "prod", "team": "media"}


def test_tags_without_defaults(project):
    app = provider_view(project("plugins: [tags]\ntags: {team: media, include_defaults: false}\n"))
    assert app.tags == {"team": "media"}


def test_tags_reject_reserved_prefix(project):
    with pytest.raises(ManifestError, match="reserved"):
        project("plugins: [tags]\ntags: {'aws:owner': me}\n").app


def test_block_without_enabling_the_plugin_is_an_error(project):
    with pytest.raises(ManifestError) as info:
        project("tags: {team: media}\n").app
    assert "plugins: [tags]" in info.value.diagnostics[0].hint
    assert info.value.diagnostics[0].position.line == 12


def test_plugin_not_enabled_changes_nothing(project):
    app = provider_view(project(""))
    assert app.tags == {} and not app.observability.tracing


def test_warmup_default_applies_to_http_functions_only(project):
    app = provider_view(project("plugins: [warmup]\nwarmup: {default: 3}\n"))
    assert app.functions["api"].warm == 3
    assert app.functions["job"].warm == 2  # its own setting wins


def test_warmup_cost_in_info(project):
    from sls_neutral.plugins.warmup import warm_cost

    app = provider_view(project("plugins: [warmup]\nwarmup: {default: 1}\n"))
    costs = warm_cost(app, "aws")
    # 1 instance x 1 GB x 730 h x 3600 s x 0.0000041667 $/GB-s
    assert costs["api"] == pytest.approx(10.95, abs=0.01)
    assert costs["job"] == pytest.approx(2 * 0.25 * 730 * 3600 * 0.0000041667, abs=0.01)


def test_warmup_limit(project):
    with pytest.raises(ManifestError, match="limit is 1"):
        project("plugins: [warmup]\nwarmup: {max_per_function: 1}\n").app


def test_observability_defaults_and_settings(project):
    app = provider_view(project("plugins: [observability]\n"))
    assert app.observability.tracing and app.observability.log_retention_days == 30
    assert app.observability.alarms == ("duration", "errors", "throttles")
    app = provider_view(project("plugins: [observability]\nobservability: {tracing: false, log_retention: 14d, "
                                "alarms: [errors]}\n"))
    assert (app.observability.tracing, app.observability.log_retention_days, app.observability.alarms) == (
        False, 14, ("errors",))


def test_observability_block_is_strict(project):
    with pytest.raises(ManifestError, match="unknown key 'alarm'"):
        project("plugins: [observability]\nobservability: {alarm: [errors]}\n").app
