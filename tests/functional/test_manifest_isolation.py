"""Loading a manifest leaves the parsed file data as it was: the stage merge and variables work on copies.

The loader copies only what it edits (the top level, or everything when a stage block is merged in place),
so these guard against the file's data (kept for positions and error snippets) being edited through the
loaded model.
"""

from __future__ import annotations

import copy

from sls_neutral.core.manifest import load_manifest

MANIFEST = """\
service: iso
runtime: python3.12
params:
  envs:
    A: "1"
stages:
  prod:
    defaults:
      memory: 512
    functions:
      api:
        timeout: 20s
functions:
  api:
    handler: app.py:handle
    environment: ${param:envs}
    triggers:
      - http: {method: GET, path: /}
"""


def _load(tmp_path, stage=None):
    (tmp_path / "app.py").write_text("def handle(event, context):\n    return {}\n")
    path = tmp_path / "sls-neutral.yaml"
    path.write_text(MANIFEST)
    return load_manifest(path, stage=stage)


def test_a_stage_merge_does_not_edit_the_file_data(tmp_path):
    loaded = _load(tmp_path, stage="prod")
    assert loaded.model.defaults.memory == 512 and loaded.model.functions["api"].timeout == 20
    data = loaded.doc.data
    assert "memory" not in (data.get("defaults") or {}) and "timeout" not in data["functions"]["api"]


def test_a_whole_mapping_from_a_variable_is_a_copy(tmp_path):
    loaded = _load(tmp_path)
    before = copy.deepcopy(loaded.doc.data)
    environment = loaded.model.functions["api"].environment
    assert environment == {"A": "1"}
    assert environment is not loaded.doc.data["params"]["envs"]
    environment["B"] = "2"
    assert loaded.doc.data == before
