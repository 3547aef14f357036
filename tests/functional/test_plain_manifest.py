"""The pydantic-free manifest check accepts only what pydantic accepts, with the same result.

core/manifest/plain.py validates well-formed manifests without importing pydantic; anything it is not
sure of goes to the pydantic models. Checked here on every manifest the project has (examples, the shared
fixtures, the lint and error corpora, workflow corpora, benchmark services) and on thousands of seeded
random mutations of them: whenever plain accepts, pydantic accepts with equal values, types and
fields-given; on every valid real manifest plain does accept (else the fast path would be dead code);
and a manifest compiles to the same IR either way.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from sls_neutral.core.manifest import load_manifest, plain, rules, schema
from sls_neutral.core.manifest.yamlpos import load_yaml_file
from tests.unit.core.test_plain_tables import normalized

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))


def _load(path: Path):
    """The YAML data of ``path``, or None when it is not YAML (some error-corpus files are broken on purpose)."""
    from sls_neutral.core.errors import ManifestError

    try:
        return load_yaml_file(path, path.name).data
    except ManifestError:
        return None


def _manifests() -> list[Path]:
    found = sorted(REPO.glob("examples/*/sls-neutral.yaml")) + sorted(REPO.glob("tests/lint_corpus/*/sls-neutral.yaml"))
    found += sorted(REPO.glob("tests/golden/errors/*.yaml"))
    if SHARED.exists():
        found += sorted(SHARED.glob("fixtures/*/sls-neutral.yaml")) + sorted(SHARED.glob("fixtures/reference/*.yaml"))
    return [path for path in found if _load(path) is not None]


def _workflow_manifests() -> list[dict]:
    out = []
    for path in sorted(REPO.glob("tests/workflows/corpus/*.yaml")):
        data = load_yaml_file(path, path.name).data
        if isinstance(data, dict) and isinstance(data.get("workflow"), dict):
            out.append({"service": "corpus", "workflows": {"w": data["workflow"]}})
    return out


def _bench_manifests() -> list[dict]:
    from bench import gen

    out = []
    for n in (10, 60):
        functions = gen.plan(n)
        text = gen.neutral_manifest(n, functions)
        from sls_neutral.core.manifest.yamlpos import load_yaml_text

        out.append(load_yaml_text(text, "bench.yaml").data)
    return out


def _core_data(data):
    """The top level as the loader validates it: plugin blocks are validated by their own models."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k in rules.TOP_LEVEL_KEYS}
    return data


def _pydantic(data):
    try:
        return schema.Manifest.model_validate(data)
    except ValidationError:
        return None


def _agree(data) -> tuple[bool, bool]:
    """(plain accepted, pydantic accepted); fails when plain accepts what pydantic refuses or reads differently."""
    fast = plain.check_manifest(copy.deepcopy(data))
    slow = _pydantic(copy.deepcopy(data))
    if fast is not None:
        assert slow is not None, f"plain accepted data pydantic refuses: {data!r:.400}"
        assert normalized(fast) == normalized(slow)
    return fast is not None, slow is not None


CORPUS = [pytest.param(path, id=str(path.relative_to(path.parents[2]))) for path in _manifests()]


@pytest.mark.parametrize("path", CORPUS)
def test_every_manifest_of_the_project(path):
    data = _core_data(_load(path))
    fast, slow = _agree(data)
    if slow and "${" not in path.read_text(encoding="utf-8"):
        assert fast, f"plain declined a valid manifest: {path}"


def test_workflow_and_benchmark_manifests():
    manifests = _workflow_manifests() + _bench_manifests()
    assert len(manifests) >= 10
    for data in manifests:
        fast, slow = _agree(data)
        assert slow and fast


# ---------------------------------------------------------------- seeded mutations
ODD_VALUES = [None, "", "x", "X", 0, -1, 1, 5, 60, 10001, 1.5, 60.0, float("inf"), True, False, [], {}, ["created"],
              "10", "30s", "1m", "-5s", "1GB", "512MB", "0MB", "GET", "get", "FETCH", "/a/{b}", "/a//b", "a",
              "* * * * *", "0 3 * * *", "bad cron", "Europe/Paris", "Mars/Phobos", "UTC", "bucket:photos:read",
              "queue:*:send", "a:b", "src/a.py:handle", "../a.py:h", "$.x", "python3.11", "python2", "SN012",
              {"http": {"path": "/x"}}, {"queue": {"name": "q"}}, {"set": {"$.a": 1}}, {"a": {"fail": {"error": "E"}}},
              "line\n", "a\nb"]
ODD_KEYS = ["bogus", "try", "try_", "catch", "retry", "result", "cors", "method", "cron", "rate", "name", "events",
            "dead_letter", "max_receives", "steps", "default", "return", "return_", "until", "seconds", "handler",
            "Name", "1", "env-var", "ok_name"]


def _nodes(value, path=()):
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nodes(v, path + (i,))


def _mutate(data, rng: random.Random):
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        nodes = list(_nodes(data))
        path, node = rng.choice(nodes)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = rng.random()
        if isinstance(node, dict) and node and action < 0.25:
            del node[rng.choice(list(node))]
        elif isinstance(node, dict) and action < 0.45:
            node[rng.choice(ODD_KEYS)] = copy.deepcopy(rng.choice(ODD_VALUES))
        elif isinstance(node, list) and node and action < 0.6:
            node.append(copy.deepcopy(rng.choice(node)))
        elif path:
            parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    return data


def test_seeded_mutations_never_make_plain_and_pydantic_disagree():
    bases = [_core_data(_load(p)) for p in _manifests()]
    bases = [b for b in bases if isinstance(b, dict) and _pydantic(b) is not None]
    bases += _workflow_manifests()
    rng = random.Random(20261206)
    accepted = refused_by_both = 0
    for _ in range(3000):
        fast, slow = _agree(_mutate(rng.choice(bases), rng))
        accepted += fast
        refused_by_both += not fast and not slow
    # both outcomes are exercised: plain accepts many mutants, and many are invalid
    assert accepted > 300 and refused_by_both > 300, (accepted, refused_by_both)


# ---------------------------------------------------------------- end to end
@pytest.mark.parametrize("name", sorted(p.parent.name for p in REPO.glob("examples/*/sls-neutral.yaml")))
def test_an_example_compiles_to_the_same_ir_either_way(name, monkeypatch):
    from sls_neutral.core.compiler import compile_app
    from sls_neutral.core.plugins import get_plugin_manager

    path = REPO / "examples" / name / "sls-neutral.yaml"
    extensions = get_plugin_manager().manifest_extensions
    fast = load_manifest(path, extension_models=extensions)
    monkeypatch.setattr(plain, "check_manifest", lambda data: None)
    slow = load_manifest(path, extension_models=extensions)
    assert isinstance(slow.model, schema.Manifest)
    if isinstance(fast.model, schema.Manifest):
        pytest.skip(f"{name} is validated by pydantic (its data is outside the plain check)")
    assert compile_app(fast) == compile_app(slow)
