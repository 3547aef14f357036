"""package -p gcp: goldens, byte stability, the Workflows schema, the artifact layout.

A golden says that something changed; the fine-grained tests say what must hold.
``pytest --update-goldens`` rewrites them (review the diff).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import pytest

from gcp_helpers import EXAMPLES, REPO, build, workflows_compiler_present

GOLDEN = REPO / "tests" / "golden" / "gcp"
DIGEST = re.compile(r'"(source_digest|source_sha256|slsn-source)": "[0-9a-f]+"')


def stable(deployment_bytes: bytes) -> str:
    """deployment.json without the content digests (they follow every runtime and handler edit)."""
    return DIGEST.sub(lambda m: f'"{m.group(1)}": "<digest>"', deployment_bytes.decode("utf-8"))


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("gcp-golden")
    build(EXAMPLES / "reference", out, without_workflow_yaml=not workflows_compiler_present())
    return out


def member(zip_path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(name)


def test_reference_goldens(reference_out, golden):
    golden(GOLDEN / "reference" / "deployment.json", stable((reference_out / "deployment.json").read_bytes()))
    golden(GOLDEN / "reference" / "main.py", member(reference_out / "functions/on-upload.zip", "main.py"))
    golden(GOLDEN / "reference" / "api.requirements.txt",
           member(reference_out / "functions/api.zip", "requirements.txt"))


def test_every_zip_has_the_same_main_py(reference_out):
    """main.py names no function: the configuration is in deployment.json, per unit (SLSN_FUNCTION_CONFIG)."""
    deployment = json.loads((reference_out / "deployment.json").read_text())
    sources = {spec["build"]["source"] for spec in deployment["functions"].values()}
    assert any(s.startswith("starters/") for s in sources)
    assert {member(reference_out / s, "main.py") for s in sources} == {(GOLDEN / "reference" / "main.py").read_bytes()}
    for name, spec in deployment["functions"].items():
        config = json.loads(spec["service"]["environment_variables"]["SLSN_FUNCTION_CONFIG"])
        assert config["function"] == (spec["function"] or f"{spec['workflow']}-start"), name


def test_functions_with_the_same_code_share_byte_identical_zips(reference_out):
    """validate-order and reserve-stock: one handler module, the same requirements; only their configuration
    differs, and that is not in the zip. The copy is a hard link of the first (written once)."""
    deployment = json.loads((reference_out / "deployment.json").read_text())
    validate = deployment["functions"]["photo-app-dev-validate-order"]
    reserve = deployment["functions"]["photo-app-dev-reserve-stock"]
    assert validate["build"]["source"] != reserve["build"]["source"]  # each function keeps its own path
    one, two = (reference_out / validate["build"]["source"]), (reference_out / reserve["build"]["source"])
    assert one.read_bytes() == two.read_bytes()
    assert one.stat().st_ino == two.stat().st_ino
    assert validate["build"]["source_digest"] == reserve["build"]["source_digest"]
    assert validate["labels"]["slsn-source"] == reserve["labels"]["slsn-source"]
    env = "SLSN_FUNCTION_CONFIG"
    assert validate["service"]["environment_variables"][env] != reserve["service"]["environment_variables"][env]
    # a different handler module is a different zip
    api = deployment["functions"]["photo-app-dev-api"]
    assert api["build"]["source_digest"] != validate["build"]["source_digest"]


def test_a_configuration_change_leaves_the_sources_alone(tmp_path):
    """A new route, another event source, another handler function in the same module: deployment.json changes
    (the unit's environment), no zip does, so the source label the planner compares stays."""
    service = tmp_path / "reference"
    shutil.copytree(EXAMPLES / "reference", service, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    before = tmp_path / "before"
    build(service, before, without_workflow_yaml=True)
    manifest = service / "sls-neutral.yaml"
    text = manifest.read_text()
    route = '      - http: {method: GET, path: "/photos/{id}"}\n'
    assert text.count(route) == 1
    manifest.write_text(text.replace(route, route + '      - http: {method: DELETE, path: "/photos/{id}"}\n'))
    after = tmp_path / "after"
    build(service, after, without_workflow_yaml=True)
    zips = sorted(p.relative_to(before).as_posix() for p in before.rglob("*.zip"))
    assert zips and zips == sorted(p.relative_to(after).as_posix() for p in after.rglob("*.zip"))
    assert [z for z in zips if (before / z).read_bytes() != (after / z).read_bytes()] == []
    old, new = (json.loads((d / "deployment.json").read_text())["functions"]["photo-app-dev-api"]
                for d in (before, after))
    assert old["labels"] == new["labels"] and old["build"] == new["build"]
    routes = json.loads(new["service"]["environment_variables"]["SLSN_FUNCTION_CONFIG"])["routes"]
    assert {"method": "DELETE", "path": "/photos/{id}", "cors": False} in routes
    assert {k for k in old["service"]["environment_variables"]
            if old["service"]["environment_variables"][k] != new["service"]["environment_variables"][k]} == {
        "SLSN_FUNCTION_CONFIG"}


def test_only_zips_by_default(reference_out):
    """The zips are what is deployed; the unzipped folders are opt-in (``source_folders``)."""
    index = json.loads((reference_out / "artifacts.json").read_text())
    sources = [p for p in index["files"] if p.startswith(("functions/", "starters/"))]
    assert sources and all(p.count("/") == 1 and p.endswith(".zip") for p in sources), sources
    assert any(p.startswith("starters/") for p in sources)
    assert not [p for kind in ("functions", "starters") for p in (reference_out / kind).iterdir() if p.is_dir()]


def test_source_folders_are_the_zips_unzipped(tmp_path, reference_out):
    """With ``source_folders: true`` each zip also lands unzipped beside it, file for file; nothing else changes."""
    service = tmp_path / "reference"
    shutil.copytree(EXAMPLES / "reference", service, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
    manifest = service / "sls-neutral.yaml"
    text = manifest.read_text()
    block = "gcp:   {project: my-project, region: us-central1}"
    assert text.count(block) == 1
    manifest.write_text(text.replace(block, block[:-1] + ", source_folders: true}"))
    out = tmp_path / "out"
    build(service, out, without_workflow_yaml=not workflows_compiler_present())
    index = json.loads((out / "artifacts.json").read_text())
    deployment = json.loads((out / "deployment.json").read_text())
    zips = sorted({spec["build"]["source"] for spec in deployment["functions"].values()})
    assert any(z.startswith("starters/") for z in zips)
    for zip_name in zips:
        folder = zip_name.removesuffix(".zip")
        with zipfile.ZipFile(out / zip_name) as zf:
            in_zip = {name: zf.read(name) for name in zf.namelist()}
        on_disk = {p.relative_to(out / folder).as_posix(): p.read_bytes()
                   for p in (out / folder).rglob("*") if p.is_file()}
        assert on_disk == in_zip, zip_name
        assert {p.removeprefix(folder + "/") for p in index["files"] if p.startswith(folder + "/")} == set(in_zip)
    # the zips and everything else are the same bytes as without the folders
    for path, entry in json.loads((reference_out / "artifacts.json").read_text())["files"].items():
        assert index["files"][path] == entry, path


def test_function_zip_is_self_contained_and_deterministic(reference_out, tmp_path):
    with zipfile.ZipFile(reference_out / "functions" / "api.zip") as zf:
        names = set(zf.namelist())
        infos = zf.infolist()
    assert {"main.py", "requirements.txt", "src/api.py", "sls_neutral/__init__.py",
            "sls_neutral/runtime/__init__.py", "sls_neutral/runtime/adapters/gcp.py"} <= names
    assert not any(n.startswith(("sls_neutral/runtime/adapters/aws", "sls_neutral/runtime/adapters/azure",
                                 "sls_neutral/core", "sls_neutral/providers")) for n in names)
    assert "sls-neutral.yaml" not in names
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    again = tmp_path / "again"
    build(EXAMPLES / "reference", again, without_workflow_yaml=not workflows_compiler_present())
    for path in ("deployment.json", "functions/api.zip", "functions/resize.zip"):
        assert (again / path).read_bytes() == (reference_out / path).read_bytes(), path


def test_cli_package_writes_the_layout(cli, service_copy):
    root = service_copy("fan-out")
    result = cli("package", "-p", "gcp", "-o", "out", cwd=root)
    assert result.returncode == 0, result.stderr
    out = root / "out"
    deployment = json.loads((out / "deployment.json").read_text())
    for spec in deployment["functions"].values():
        assert (out / spec["build"]["source"]).is_file()
    index = json.loads((out / "artifacts.json").read_text())
    assert "deployment.json" in index["files"]


def test_every_workflow_yaml_validates_against_the_schema(tmp_path):
    from conftest_shared import shared_path

    schema_path = shared_path("schemas", "gcp-workflows.schema.json")
    if not workflows_compiler_present():
        pytest.skip("the Cloud Workflows compiler (sls_neutral.core.workflows.gcp) is not in this checkout")
    import jsonschema
    from ruamel.yaml import YAML

    schema = json.loads(schema_path.read_text())
    checked = 0
    for manifest in sorted(EXAMPLES.glob("*/sls-neutral.yaml")):
        out = tmp_path / manifest.parent.name
        try:
            _, deployment = build(manifest.parent, out)
        except Exception as exc:  # an example that does not build for gcp has nothing to validate
            if "workflow" in str(exc).lower():
                raise
            continue
        for spec in deployment["workflows"].values():
            document = YAML(typ="safe").load((out / spec["source"]).read_text())
            jsonschema.validate(document, schema)
            checked += 1
    assert checked >= 1


def test_reference_iam_bindings_equal_what_the_grants_imply(reference_out):
    """Written out by hand from examples/reference/sls-neutral.yaml: one role on one resource per grant."""
    deployment = json.loads((reference_out / "deployment.json").read_text())
    topic = "projects/my-project/topics/photo-app-dev-{}".format
    function = "projects/my-project/locations/us-central1/functions/photo-app-dev-{}".format
    bucket = "my-project-photo-app-dev-photos"
    expected = {
        "fn-api": {("bucket", bucket, "roles/storage.objectCreator"),
                   ("topic", topic("queue-resize-jobs"), "roles/pubsub.publisher"),
                   ("secret", "projects/my-project/secrets/photo-app-dev-stripe-key",
                    "roles/secretmanager.secretAccessor"),
                   ("workflow", "projects/my-project/locations/us-central1/workflows/photo-app-dev-process-order",
                    "roles/workflows.invoker")},
        "fn-on-upload": {("topic", topic("queue-resize-jobs"), "roles/pubsub.publisher"),
                         ("topic", topic("photo-events"), "roles/pubsub.publisher")},
        "fn-resize": {("bucket", bucket, "roles/storage.objectViewer"),
                      ("bucket", bucket, "roles/storage.objectCreator")},
        "fn-audit": set(), "fn-cleanup": set(), "fn-charge-card": set(), "fn-validate-order": set(),
        "fn-reserve-stock": set(),
        "wf-process-order": {("function", function(f), "roles/run.invoker")
                             for f in ("charge-card", "reserve-stock", "validate-order")},
        "start-process-order": {("workflow", "projects/my-project/locations/us-central1/workflows/"
                                             "photo-app-dev-process-order", "roles/workflows.invoker")},
    }
    expected["fn-on-upload"] = {(k, r.replace("photo-events", "topic-photo-events"), role)
                                for k, r, role in expected["fn-on-upload"]}
    emails = {f"fn-{spec['function']}": spec["service"]["service_account_email"]
              for spec in deployment["functions"].values() if spec.get("function")}
    emails["start-process-order"] = deployment["functions"]["photo-app-dev-process-order-start"]["service"][
        "service_account_email"]
    emails["wf-process-order"] = deployment["workflows"]["photo-app-dev-process-order"]["service_account"]
    assert len(set(emails.values())) == len(emails) == len(expected)  # one identity each
    assert all(len(e.split("@")[0]) <= 30 for e in emails.values())  # service account ids: 6-30 characters
    for account, want in expected.items():
        member = f"serviceAccount:{emails[account]}"
        got = {(b["resource_type"], b["resource"], b["role"]) for b in deployment["iam_bindings"]
               if b["member"] == member}
        assert got == want, account
    assert not any(b["resource_type"] == "project" for b in deployment["iam_bindings"])
    # step functions are invoked by their workflow only, never publicly or by the event identity
    step = deployment["functions"]["photo-app-dev-charge-card"]
    assert step["invokers"] == []
    assert deployment["functions"]["photo-app-dev-api"]["invokers"] == ["allUsers"]
