"""`sls-neutral matrix` from declared capabilities, and `validate -p X` refusing what X cannot do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sls_neutral.core.cli.main import run
from sls_neutral.core.hookspecs import hookimpl
from sls_neutral.core.plugins import PluginManager, reset_plugin_manager
from sls_neutral.core.provider import FEATURES, FULL, Provider, Support

CORPUS = Path(__file__).resolve().parents[2] / "lint_corpus"


class Everything(Provider):
    name = "everything"
    capabilities = {feature: FULL for feature in FEATURES}


class Partial(Provider):
    """No topics at all; FIFO queues only approximately."""

    name = "partial"
    capabilities = {**{feature: FULL for feature in FEATURES},
                    "topic": Support("none", alternative="a queue per subscriber, sent to by the publisher"),
                    "topic.queue": Support("none", note="no fan-out", alternative="send to each queue"),
                    "queue.fifo": Support("approx", note="ordered per message group | best effort")}


class FakeProviders:
    @hookimpl
    def slsn_register_providers(self):
        return [Everything(), Partial()]


@pytest.fixture
def fakes():
    """Only the fake providers: installed ones are not loaded, so the matrix is exactly what we declared."""
    from sls_neutral.plugins import observability

    manager = PluginManager(autoload=False)
    manager.register(FakeProviders(), "fakes")
    manager.register(observability, "observability")  # the corpus services enable it
    reset_plugin_manager(manager)
    yield manager
    reset_plugin_manager(None)


def test_json_matrix_has_every_feature_for_every_provider(fakes, capsys):
    assert run(["matrix", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["providers"] == ["everything", "partial"]
    assert [row["feature"] for row in data["features"]] == list(FEATURES)
    topic = next(row for row in data["features"] if row["feature"] == "topic")
    assert topic["providers"]["partial"] == {"level": "none", "note": "",
                                             "alternative": "a queue per subscriber, sent to by the publisher"}
    assert topic["providers"]["everything"]["level"] == "full"


def test_markdown_matrix_has_a_notes_column(fakes, capsys):
    run(["matrix", "--format", "markdown"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| feature | everything | partial | notes |"
    fifo = next(line for line in lines if line.startswith("| `queue.fifo`"))
    assert fifo == "| `queue.fifo` | yes | approx. | partial: ordered per message group \\| best effort |"
    topic_queue = next(line for line in lines if line.startswith("| `topic.queue`"))
    assert "partial: no fan-out; instead: send to each queue" in topic_queue
    http = next(line for line in lines if line.startswith("| `http`"))
    assert http.endswith("| yes | yes |  |")


def test_text_matrix_marks_levels(fakes, capsys):
    run(["matrix"])
    out = capsys.readouterr().out
    topic = next(line for line in out.splitlines() if line.startswith("topic "))
    assert topic.split() == ["topic", "yes", "-"]
    fifo = next(line for line in out.splitlines() if line.startswith("queue.fifo"))
    assert fifo.split() == ["queue.fifo", "yes", "~"]


def test_validate_refuses_a_feature_the_provider_lacks(fakes, capsys):
    config = str(CORPUS / "lost-events" / "sls-neutral.yaml")  # uses a topic
    assert run(["validate", "-p", "partial", "-c", config]) == 1
    err = capsys.readouterr().err
    assert "provider 'partial' does not support topic" in err
    assert "function 'welcome'" in err and "topic 'signups'" in err
    assert "instead: a queue per subscriber, sent to by the publisher" in err
    assert run(["validate", "-p", "everything", "-c", config]) == 0


def test_lint_shows_the_unsupported_feature_beside_the_rules(fakes, capsys):
    config = str(CORPUS / "lost-events" / "sls-neutral.yaml")
    assert run(["lint", "-p", "partial", "-c", config, "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["code"] for f in findings} == {"unsupported", "SN005"}


def test_matrix_for_a_manifest_shows_only_its_features_and_who_uses_them(fakes, capsys):
    config = str(CORPUS / "lost-events" / "sls-neutral.yaml")
    assert run(["matrix", "-c", config, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    features = {row["feature"]: row for row in data["features"]}
    assert "topic" in features and "workflow" not in features
    assert "function 'welcome'" in features["topic"]["used_by"]
    assert run(["matrix", "-c", config]) == 0
    topic = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("topic "))
    assert topic.startswith("topic") and "function 'welcome'" in topic


def test_matrix_provider_option_picks_columns_and_refuses_unknown(fakes, capsys):
    assert run(["matrix", "-p", "partial", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["providers"] == ["partial"]
    assert run(["matrix", "-p", "nope"]) == 1
    assert "provider 'nope' is not installed" in capsys.readouterr().err
