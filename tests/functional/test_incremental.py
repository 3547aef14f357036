"""The incremental ``package`` (core/replay.py, core/buildrecord.py): after an edit to service sources it
rewrites exactly what a full build would, byte for byte, and anything else falls back to a full build.

Every test compares the replayed output with a full build of the same sources (``SLSN_NO_REPLAY=1`` in a
copy of the service), and reads the CLI's ``SLSN_DEBUG`` line to know which path ran.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.gen import generate  # noqa: E402
from sls_neutral.core.replay import service_root  # noqa: E402

REPLAYED = "sls-neutral: incremental build"
FULL = "sls-neutral: full build"


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in sorted(folder.rglob("*")) if p.is_file()}


#: a build does not record inputs changed in its last 50 ms (file times come from a coarse clock)
FRESH_S = 0.06


@pytest.fixture
def build(cli):
    """``build(service, *args)`` runs ``package`` with SLSN_DEBUG, which says on stderr which path ran.

    It first lets the test's own edits age past the window in which a build does not trust a file's
    signature (the manifest just written would keep the build from recording; see racy_safe)."""

    def run(service: Path, *args: str, env: dict | None = None):
        time.sleep(FRESH_S)
        proc = cli("package", *args, cwd=service, env={"SLSN_DEBUG": "1", **(env or {})})
        assert proc.returncode == 0, proc.stderr
        return proc

    return run


@pytest.fixture
def reference(cli, tmp_path):
    """The output of a full build of a copy of ``service`` (no record involved)."""

    def full(service: Path, *args: str, env: dict | None = None) -> dict[str, tuple[bytes, int]]:
        copy = tmp_path / f"reference-{service.name}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(service, copy, ignore=shutil.ignore_patterns(".sls-neutral", "__pycache__"))
        proc = cli("package", *args, cwd=copy, env={"SLSN_NO_REPLAY": "1", **(env or {})})
        assert proc.returncode == 0, proc.stderr
        return tree(copy / ".sls-neutral" / "build")

    return full


def outputs(service: Path) -> dict[str, tuple[bytes, int]]:
    return tree(service / ".sls-neutral" / "build")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


@pytest.fixture
def bench_service(tmp_path) -> Path:
    """30 functions of every trigger kind in 3 handler modules (the benchmark's shape), AWS nested stacks off."""
    return generate(30, tmp_path / "svc")


@pytest.mark.parametrize("providers", [["-p", "all"], ["-p", "aws"], ["-p", "gcp"], ["-p", "azure"]])
def test_edits_replay_byte_for_byte(bench_service, build, reference, providers):
    handler = bench_service / "handlers" / "mod001.py"
    first = build(bench_service, *providers)
    assert FULL in first.stderr  # no record yet
    edits = [
        lambda: append(handler, "\n# a comment\n"),
        lambda: handler.write_text(handler.read_text().replace('"fn": "fn0012"', '"fn": "renamed"')),
        lambda: append(handler, "\n\ndef helper(event, context):\n    return 1\n"),  # a new function
        lambda: append(bench_service / "handlers" / "mod002.py", "\nX = 1\n"),
    ]
    for edit in edits:
        edit()
        proc = build(bench_service, *providers)
        assert REPLAYED in proc.stderr, proc.stderr
        assert proc.stdout == first.stdout  # the same report as the full build printed
        assert outputs(bench_service) == reference(bench_service, *providers)


def test_a_touched_but_unchanged_file_rewrites_nothing(bench_service, build):
    build(bench_service, "-p", "aws")
    before = outputs(bench_service)
    os.utime(bench_service / "handlers" / "mod000.py")
    proc = build(bench_service, "-p", "aws")
    assert "0 source(s) changed, 0 file(s) rewritten" in proc.stderr
    assert outputs(bench_service) == before


def test_the_examples_replay_byte_for_byte(service_copy, build, reference):
    for name in ("fan-out", "http-api", "orders-workflow", "photo-pipeline", "scheduled-cleanup"):
        service = service_copy(name)
        build(service, "-p", "all")
        module = [p for p in sorted((service / "src").glob("*.py")) if p.name != "__init__.py"][0]
        append(module, "\n# edited\n")
        proc = build(service, "-p", "all")
        assert REPLAYED in proc.stderr, (name, proc.stderr)
        assert outputs(service) == reference(service, "-p", "all"), name


@pytest.mark.parametrize("change, reason", [
    ("manifest", "input"),
    ("new file", "listing"),
    ("new import", "imports of handlers/mod001.py changed"),
    ("output edited", "changed"),
    ("record corrupt", "no record"),
    ("env read by the manifest", "invocation"),
    ("SLSN variable", "invocation"),
])
def test_anything_but_a_source_edit_builds_in_full(bench_service, build, reference, change, reason):
    manifest = bench_service / "sls-neutral.yaml"
    manifest.write_text(manifest.read_text().replace("  timeout: 10s", "  timeout: ${env:BENCH_TIMEOUT, 10s}"))
    env = {"BENCH_TIMEOUT": "10s"}
    build(bench_service, "-p", "all", env=env)
    if change == "manifest":
        append(manifest, "# a comment\n")
    elif change == "new file":
        (bench_service / "handlers" / "extra.py").write_text("X = 1\n")
    elif change == "new import":
        append(bench_service / "handlers" / "mod001.py", "\nimport handlers.mod002\n")
    elif change == "output edited":
        zipped = bench_service / ".sls-neutral" / "build" / "dev" / "aws" / "functions" / "fn0000.zip"
        zipped.write_bytes(zipped.read_bytes() + b"x")
    elif change == "record corrupt":
        for record in (bench_service / ".sls-neutral" / "cache" / "replay").iterdir():
            record.write_bytes(b"not a record")
    elif change == "env read by the manifest":
        env = {"BENCH_TIMEOUT": "20s"}
    elif change == "SLSN variable":
        env = {**env, "SLSN_NO_FORK": "1"}
    append(bench_service / "handlers" / "mod000.py", "\n# and an edit\n")
    proc = build(bench_service, "-p", "all", env=env)
    assert f"{FULL} (" in proc.stderr and reason in proc.stderr, proc.stderr
    assert REPLAYED not in proc.stderr
    assert outputs(bench_service) == reference(bench_service, "-p", "all", env=env)
    again = build(bench_service, "-p", "all", env=env)  # the full build recorded itself again
    assert REPLAYED in again.stderr, again.stderr


def test_an_unrelated_environment_variable_does_not_matter(bench_service, build):
    build(bench_service, "-p", "aws", env={"SOMETHING_ELSE": "1"})
    append(bench_service / "handlers" / "mod000.py", "\n# edit\n")
    proc = build(bench_service, "-p", "aws", env={"SOMETHING_ELSE": "2"})
    assert REPLAYED in proc.stderr, proc.stderr


def test_a_removed_handler_is_reported_by_the_full_build(bench_service, cli, build):
    build(bench_service, "-p", "aws")
    module = bench_service / "handlers" / "mod000.py"
    module.write_text(module.read_text().replace("def handle_0003(", "def other_0003("))
    proc = cli("package", "-p", "aws", cwd=bench_service, env={"SLSN_DEBUG": "1"})
    assert proc.returncode == 1
    assert "lost a handler" in proc.stderr and "does not define 'handle_0003'" in proc.stderr


def test_a_syntax_error_is_reported_by_the_full_build(bench_service, cli, build):
    build(bench_service, "-p", "aws")
    append(bench_service / "handlers" / "mod000.py", "\ndef broken(:\n")
    proc = cli("package", "-p", "aws", cwd=bench_service)
    assert proc.returncode == 1
    assert "syntax error" in proc.stderr


def test_a_parsed_requirements_file_is_an_input(service_copy, build, reference):
    service = service_copy("reference")
    env = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000"}
    build(service, "-p", "all", env=env)
    append(service / "requirements.txt", "# pinned later\n")
    proc = build(service, "-p", "all", env=env)
    assert FULL in proc.stderr and "input" in proc.stderr, proc.stderr
    assert outputs(service) == reference(service, "-p", "all", env=env)


def test_check_and_no_replay_never_replay(bench_service, cli, build):
    build(bench_service, "-p", "aws")
    append(bench_service / "handlers" / "mod000.py", "\n# edit\n")
    check = cli("package", "-p", "aws", "--check", cwd=bench_service, env={"SLSN_DEBUG": "1"})
    assert check.returncode == 1 and REPLAYED not in check.stderr  # drift: the zip is out of date
    proc = build(bench_service, "-p", "aws", env={"SLSN_NO_REPLAY": "1"})
    assert REPLAYED not in proc.stderr
    assert cli("package", "-p", "aws", "--check", cwd=bench_service).returncode == 0


def test_json_output_is_replayed_too(bench_service, build):
    first = build(bench_service, "-p", "gcp", "--output", "json")
    append(bench_service / "handlers" / "mod000.py", "\n# edit\n")
    proc = build(bench_service, "-p", "gcp", "--output", "json")
    assert REPLAYED in proc.stderr and proc.stdout == first.stdout


def test_an_output_folder_outside_the_service_replays(bench_service, tmp_path, build, reference):
    out = tmp_path / "dist"
    build(bench_service, "-p", "aws", "-o", str(out))
    (tmp_path / "unrelated.txt").write_text("the folder beside the outputs changes\n")
    append(bench_service / "handlers" / "mod000.py", "\n# edit\n")
    proc = build(bench_service, "-p", "aws", "-o", str(out))
    assert REPLAYED in proc.stderr, proc.stderr
    expected = {path.removeprefix("dev/aws/"): value for path, value in reference(bench_service, "-p", "aws").items()}
    assert tree(out) == expected


def test_a_failed_build_records_nothing(bench_service, cli, build):
    module = bench_service / "handlers" / "mod000.py"
    good = module.read_text()
    module.write_text(good.replace("def handle_0003(", "def other_0003("))
    assert cli("package", "-p", "aws", cwd=bench_service).returncode == 1
    assert not (bench_service / ".sls-neutral" / "cache" / "replay").exists()
    module.write_text(good)
    proc = build(bench_service, "-p", "aws")
    assert f"{FULL} (no record)" in proc.stderr


def test_a_source_replaced_by_a_link_builds_in_full(bench_service, tmp_path, build):
    build(bench_service, "-p", "aws")
    module = bench_service / "handlers" / "mod002.py"
    target = tmp_path / "elsewhere.py"
    target.write_text(module.read_text() + "\n# moved\n")
    module.unlink()
    module.symlink_to(target)
    proc = build(bench_service, "-p", "aws")
    assert f"{FULL} (" in proc.stderr and REPLAYED not in proc.stderr, proc.stderr


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edit_sequences_always_match_a_full_build(bench_service, build, reference, seed):
    """Whatever path each build takes, its output is the full build's. A seeded sequence of edits: some
    replay (body edits, new functions, data files), some must not (new imports, new files, a touch of the
    manifest)."""
    import random

    rng = random.Random(seed)
    (bench_service / "handlers" / "table.json").write_text('{"rows": 1}\n')
    build(bench_service, "-p", "all")
    modules = sorted((bench_service / "handlers").glob("mod*.py"))
    paths = {"replay": 0, "full": 0}
    for step in range(8):
        kind = rng.choice(["comment", "body", "function", "data", "import", "new file", "touch manifest"])
        module = rng.choice(modules)
        if kind == "comment":
            append(module, f"\n# step {step}\n")
        elif kind == "body":
            module.write_text(module.read_text().replace('return {"fn"', f'return {{"step": {step}, "fn"', 1))
        elif kind == "function":
            append(module, f"\n\ndef extra_{step}(event, context):\n    return {step}\n")
        elif kind == "data":
            (bench_service / "handlers" / "table.json").write_text(f'{{"rows": {step}}}\n')
        elif kind == "import":
            append(module, f"\nimport json as json_{step}  # noqa\n")
        elif kind == "new file":
            (bench_service / "handlers" / f"new_{step}.txt").write_text("new\n")
        else:
            append(bench_service / "sls-neutral.yaml", f"# step {step}\n")
        proc = build(bench_service, "-p", "all")
        paths["replay" if REPLAYED in proc.stderr else "full"] += 1
        assert outputs(bench_service) == reference(bench_service, "-p", "all"), (step, kind, proc.stderr)
    assert paths["replay"] and paths["full"], paths  # the sequence exercised both paths


def test_an_output_folder_inside_the_service_replays(service_copy, build, cli):
    service = service_copy("http-api")
    build(service, "-p", "all", "-o", "deploy")
    second = build(service, "-p", "all", "-o", "deploy")
    assert "listing" in second.stderr  # the first build listed the service before deploy/ existed
    append(service / "src" / "items.py", "\n# edit\n")
    proc = build(service, "-p", "all", "-o", "deploy")
    assert REPLAYED in proc.stderr, proc.stderr
    replayed = tree(service / "deploy")
    full = cli("package", "-p", "all", "-o", "deploy", cwd=service, env={"SLSN_NO_REPLAY": "1"})
    assert full.returncode == 0, full.stderr
    assert tree(service / "deploy") == replayed


def test_the_service_root_follows_the_config_option():
    for args in (["-c", "/no/such/dir/app.yaml"], ["--config", "/no/such/dir/app.yaml"],
                 ["--config=/no/such/dir/app.yaml"], ["-c/no/such/dir/app.yaml"]):
        assert service_root(args) == "/no/such/dir", args


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_failed_incremental_write_puts_the_previous_set_back(tmp_path, monkeypatch, fail_at):
    """replay._write_set: the index goes first, and any error restores every old file, then the index."""
    from sls_neutral.core import replay

    out = tmp_path / "aws"
    (out / "functions").mkdir(parents=True)
    old = {"functions/a.zip": b"old a", "functions/b.zip": b"old b", "template.json": b"old template"}
    for rel, data in old.items():
        (out / rel).write_bytes(data)
    (out / replay.INDEX).write_bytes(b"old index")
    new = {"functions/a.zip": b"new a", "functions/b.zip": b"new a", "template.json": b"new template"}
    real_replace, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == fail_at:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(replay.os, "replace", flaky)
    with pytest.raises(OSError):
        replay._write_set(str(out), new, {rel: 0o644 for rel in new}, b"new index")
    monkeypatch.setattr(replay.os, "replace", real_replace)
    assert {rel: (out / rel).read_bytes() for rel in old} == old
    assert (out / replay.INDEX).read_bytes() == b"old index"
    assert sorted(p.name for p in out.rglob("*") if ".tmp-" in p.name) == []


def test_an_incremental_write_replaces_the_set_and_links_identical_files(tmp_path):
    from sls_neutral.core import replay

    out = tmp_path / "gcp"
    out.mkdir()
    for rel in ("a.zip", "b.zip"):
        (out / rel).write_bytes(b"old")
    (out / replay.INDEX).write_bytes(b"old index")
    replay._write_set(str(out), {"a.zip": b"same", "b.zip": b"same"}, {"a.zip": 0o644, "b.zip": 0o644}, b"index")
    assert (out / "a.zip").read_bytes() == (out / "b.zip").read_bytes() == b"same"
    assert (out / "a.zip").stat().st_ino == (out / "b.zip").stat().st_ino
    assert (out / replay.INDEX).read_bytes() == b"index"
    assert sorted(p.name for p in out.iterdir()) == ["a.zip", "artifacts.json", "b.zip"]


def test_an_untrusted_signature_makes_the_next_build_compare_contents(tmp_path):
    """A source written just before a build is recorded as UNTRUSTED: the next build reads it and compares
    digests (same content: only its signature is renewed; new content: it is a change)."""
    from sls_neutral.core import replay

    same, edited = tmp_path / "same.py", tmp_path / "edited.py"
    same.write_bytes(b"x = 1\n")
    edited.write_bytes(b"y = 1\n")
    run = object.__new__(replay.Replay)
    run.changed, run.touched = {}, {}
    run.record = {"sources": {str(same): (*replay.UNTRUSTED, replay.sha256_hex(b"x = 1\n")),
                              str(edited): (*replay.UNTRUSTED, replay.sha256_hex(b"y = 0\n"))}}
    run._find_changes()
    assert set(run.touched) == {str(same), str(edited)}
    assert run.changed == {str(edited): b"y = 1\n"}


def test_installing_or_removing_a_distribution_changes_the_fingerprint(tmp_path, monkeypatch):
    """The invocation key holds what is installed: a new plugin must make the next package a full build."""
    from sls_neutral.core import replay

    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "plain_module.py").write_text("")
    monkeypatch.setattr(sys, "path", [str(site)])
    first = replay.installed_fingerprint()
    assert replay.installed_fingerprint() == first  # nothing changed

    def later(path):  # a file system's mtime can be coarse: make each change visibly later
        stamp = os.stat(path).st_mtime_ns + 10_000_000
        os.utime(path, ns=(stamp, stamp))

    (site / "plugin-1.0.dist-info").mkdir()
    later(site)
    installed = replay.installed_fingerprint()
    assert installed != first
    (site / "editable.pth").write_text("/src/a\n")
    later(site)
    with_pth = replay.installed_fingerprint()
    (site / "editable.pth").write_text("/src/b\n")  # rewritten in place: the folder's mtime may not move
    later(site / "editable.pth")
    assert replay.installed_fingerprint() not in (with_pth, installed)
    (site / "plugin-1.0.dist-info").rmdir()
    later(site)
    assert replay.installed_fingerprint() not in (installed, first)
    (site / "plugin-1.0.dist-info").mkdir()
    later(site)
    before = replay.installed_fingerprint()
    (site / "plugin-1.0.dist-info").rmdir()  # pip install --force-reinstall: the same name, recreated
    (site / "plugin-1.0.dist-info").mkdir()
    later(site)
    assert replay.installed_fingerprint() != before
