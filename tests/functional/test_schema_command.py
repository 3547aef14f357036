"""`sls-neutral schema` prints the JSON Schema committed in docs/; a stale copy fails here."""

from __future__ import annotations

import json
from pathlib import Path

from sls_neutral.core.cli.main import run

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "schema" / "manifest.schema.json"


def test_schema_is_committed_and_current(capsys, golden):
    assert run(["schema"]) == 0
    printed = capsys.readouterr().out
    golden(COMMITTED, printed)


def test_schema_describes_the_manifest(capsys):
    run(["schema"])
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) == {"service"}
    assert {"functions", "workflows", "queues", "topics", "buckets", "secrets"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
