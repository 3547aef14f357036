"""`sls-neutral import serverless.yml`: what maps is converted, what does not is marked for review."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "golden" / "import"


def _load(text: str) -> dict:
    return YAML(typ="safe").load(text)


def test_photo_service_golden(cli, golden):
    result = cli("import", str(CASES / "photo-service.yml"), cwd=CASES)
    assert result.returncode == 0, result.stderr
    golden(CASES / "photo-service.expected.yaml", result.stdout)


def test_photo_service_mapping(cli, tmp_path):
    result = cli("import", str(CASES / "photo-service.yml"), cwd=CASES)
    m = _load(result.stdout)
    assert m["service"] == "photo-service"
    assert m["queues"] == {"resize-jobs": {"visibility_timeout": "120s", "dead_letter": {"max_receives": 3}}}
    assert m["functions"]["upload-photo"]["triggers"][0] == {"http": {"method": "POST", "path": "/photos"}}
    assert m["functions"]["on-upload"]["triggers"][0]["bucket"] == {
        "name": "photos", "events": ["created"], "prefix": "uploads/", "suffix": ".jpg"}
    assert m["functions"]["nightly"]["triggers"] == [{"schedule": {"cron": "0 3 * * 1-5"}},
                                                     {"schedule": {"rate": "2h"}}]
    assert m["workflows"]["checkout"]["steps"][0]["charge"]["call"] == "charge-card"
    assert m["defaults"]["environment"] == {"STAGE": "${stage}", "TABLE": "${service}-orders"}
    # what cannot be mapped is said, not dropped silently
    for note in ["AWS::DynamoDB::Table", "authorizers are not imported", "cron(0 12 L * ? *)",
                 "event 'stream'", "dynamodb:PutItem", "serverless-offline"]:
        assert note in result.stdout, note
    assert "# REVIEW: authorizers" in result.stdout


def test_imported_manifest_validates(cli, tmp_path):
    out = tmp_path / "sls-neutral.yaml"
    assert cli("import", str(CASES / "photo-service.yml"), "-o", str(out)).returncode == 0
    for module, funcs in {"api": ["upload"], "meta": ["on_upload"], "resize": ["resize"], "jobs": ["cleanup"],
                          "audit": ["record"], "pay": ["charge"]}.items():
        path = tmp_path / "src" / f"{module}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text("".join(f"def {f}(a, b):\n    return None\n" for f in funcs))
    result = cli("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_refuses_to_overwrite(cli, tmp_path):
    out = tmp_path / "sls-neutral.yaml"
    out.write_text("keep me")
    result = cli("import", str(CASES / "photo-service.yml"), "-o", str(out))
    assert result.returncode == 1 and out.read_text() == "keep me"


def test_not_a_serverless_file(cli, tmp_path):
    (tmp_path / "x.yml").write_text("- a\n- b\n")
    result = cli("import", str(tmp_path / "x.yml"))
    assert result.returncode == 1 and "does not look like a serverless.yml" in result.stderr


@pytest.mark.parametrize("n", [20, 200])
def test_bench_service_round_trips(cli, tmp_path, n):
    import sys

    sys.path.insert(0, str(REPO))
    from bench.gen import generate

    root = generate(n, tmp_path / f"svc{n}")
    (root / "sls-neutral.yaml").unlink()
    result = cli("import", "serverless.yml", "-o", "sls-neutral.yaml", cwd=root)
    assert result.returncode == 0, result.stderr
    check = cli("validate", "--output", "json", cwd=root)
    assert check.returncode == 0, check.stderr
    assert f'"functions": {n}' in check.stdout


def test_bench_serverless_yml_imports_validates_and_packages_for_every_provider(cli, tmp_path):
    """Issue 10's acceptance: bench/gen.py's serverless.yml -> import -> validate -> package -p all; and the
    imported service is the one bench/gen.py wrote as a neutral manifest (but for `idempotent:`, which a
    serverless.yml cannot say)."""
    import json
    import subprocess
    import sys

    root = tmp_path / "bench20"
    gen = subprocess.run([sys.executable, str(REPO / "bench" / "gen.py"), "20", str(root)], capture_output=True,
                         text=True, timeout=120)
    assert gen.returncode == 0, gen.stderr
    (root / "sls-neutral.yaml").rename(root / "generated.yaml")
    result = cli("import", "serverless.yml", "-o", "sls-neutral.yaml", cwd=root)
    assert result.returncode == 0, result.stderr
    imported = cli("validate", "--ir", "--output", "json", cwd=root)
    assert imported.returncode == 0, imported.stderr
    generated = cli("validate", "--ir", "--output", "json", "-c", "generated.yaml", cwd=root)
    assert generated.returncode == 0, generated.stderr
    mine, theirs = json.loads(imported.stdout)["ir"], json.loads(generated.stdout)["ir"]
    assert sorted(mine["functions"]) == sorted(theirs["functions"]) and len(mine["functions"]) == 20
    for name, function in mine["functions"].items():
        for key in ("handler", "memory", "timeout", "triggers", "grants", "environment"):
            assert function[key] == theirs["functions"][name][key], (name, key)
    assert (mine["queues"], mine["topics"]) == (theirs["queues"], theirs["topics"])

    package = cli("package", "-p", "all", "-o", "out", cwd=root)
    assert package.returncode == 0, package.stderr
    out = root / "out"
    assert {"aws", "azure", "gcp", "local"} <= {p.name for p in out.iterdir()}
    template = json.loads((out / "aws" / "template.cfn.json").read_text())
    assert sum(r["Type"] == "AWS::Lambda::Function" for r in template["Resources"].values()) == 20
    gcp = json.loads((out / "gcp" / "deployment.json").read_text())
    assert len(gcp["functions"]) == 20
    azure = json.loads((out / "azure" / "app" / "slsn_functions.json").read_text())
    assert len(azure["functions"]) == 20
