"""Load the conformance corpus (docs/design/contracts.md section 4) and compile each workflow to the IR.

Each case is compiled through the real manifest pipeline (schema, builder,
validation), exactly as a workflow under ``workflows:`` in a manifest, so
runners exercise the same IR the providers get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from sls_neutral.core import ir

CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class CorpusCase:
    name: str
    file: Path
    functions: dict[str, dict]
    workflow_body: dict
    cases: list[dict]
    skip: dict[str, str] = field(default_factory=dict)  # runner -> reason it cannot run this file

    def app(self) -> ir.App:
        from sls_neutral.core.compiler import compile_app
        from sls_neutral.core.manifest import load_manifest

        manifest = {
            "service": "wf-corpus", "runtime": "python3.12", "provider": "local",
            "functions": {fn: {"handler": "steps.py:step"} for fn in sorted(self.functions)},
            "workflows": {self.name: self.workflow_body},
        }
        loaded = load_manifest(CORPUS / f"{self.name}.manifest.yaml", text=json.dumps(manifest, indent=1))
        return compile_app(loaded)

    def workflow(self, app: ir.App | None = None) -> ir.Workflow:
        return (app or self.app()).workflows[self.name]


def load_corpus() -> list[CorpusCase]:
    yaml = YAML(typ="safe")
    out = []
    for path in sorted(CORPUS.glob("*.yaml")):
        if path.name.endswith(".manifest.yaml"):
            continue
        data = yaml.load(path.read_text())
        out.append(CorpusCase(name=data["name"], file=path, functions=data.get("functions") or {},
                              workflow_body=data["workflow"], cases=data["cases"], skip=data.get("skip") or {}))
    return out


def case_ids(corpus: list[CorpusCase]) -> list[tuple[CorpusCase, int, dict[str, Any]]]:
    """(file, index, case) triples for pytest parametrisation."""
    return [(c, i, case) for c in corpus for i, case in enumerate(c.cases)]
