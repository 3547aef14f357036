"""Fixtures of the Azure functional tests: a small service, the fake ARM control plane, packaging helpers."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"

SMALL_SERVICE = """\
service: photo-app
runtime: python3.12
provider: azure
providers:
  azure: {subscription_id: "00000000-0000-0000-0000-000000000001", resource_group: photo-rg, location: eastus}
buckets:
  photos: {}
queues:
  resize-jobs:
    dead_letter: {max_receives: 5}
functions:
  api:
    handler: src/api.py:handle
    permissions: [bucket:photos:write, queue:resize-jobs:send]
    triggers:
      - http: {method: POST, path: /photos}
      - http: {method: GET, path: "/photos/{id}"}
  on-upload:
    handler: src/meta.py:on_upload
    triggers:
      - bucket: {name: photos, events: [created], prefix: uploads/, suffix: .jpg}
    permissions: [queue:resize-jobs:send]
  resize:
    handler: src/resize.py:resize
    triggers:
      - queue: {name: resize-jobs, batch_size: 10}
    permissions: [bucket:photos:read, bucket:photos:write]
  cleanup:
    handler: src/jobs.py:cleanup
    triggers:
      - schedule: {rate: 1h}
"""


def load_fake():
    """The fake control plane module, loaded by path (tests/ is not a package)."""
    name = "slsn_test_azure_control_plane"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "fakes" / "azure_control_plane.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def fake_azure():
    fake = load_fake().FakeAzure()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def small_service(tmp_path) -> Path:
    root = tmp_path / "photo-app"
    (root / "src").mkdir(parents=True)
    for name in ("api.py", "meta.py", "resize.py", "jobs.py"):
        shutil.copy(EXAMPLES / "reference" / "src" / name, root / "src" / name)
    (root / "sls-neutral.yaml").write_text(SMALL_SERVICE, encoding="utf-8")
    return root


@pytest.fixture
def azure_env(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION)
    return {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION}


# ---------------------------------------------------------------- Azurite (the Storage emulator, npm)
# SLSN_AZURITE_CACHE: another install folder (e.g. one shared between clones)
AZURITE_DIR = Path(os.environ.get("SLSN_AZURITE_CACHE") or REPO / "tests" / ".cache" / "azurite")
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def ensure_azurite() -> Path:
    """The azurite binary, installed with npm into the gitignored tests/.cache/azurite on first use.

    CI runs on a fresh clone, so the first test session installs it; pytest-xdist workers take a file lock so
    only one of them runs npm, and an install counts only once npm wrote its lock file (it does so last).
    """
    binary = AZURITE_DIR / "node_modules" / ".bin" / "azurite"

    def installed() -> bool:
        lock_file = AZURITE_DIR / "package-lock.json"
        return binary.exists() and lock_file.exists() and '"node_modules/azurite"' in lock_file.read_text()

    if installed():
        return binary
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm are not installed: Azurite (npm package 'azurite') cannot run")
    import fcntl
    import subprocess

    AZURITE_DIR.mkdir(parents=True, exist_ok=True)
    with open(AZURITE_DIR.parent / "azurite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing: wait for it
        if installed():
            return binary
        try:
            result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefer-offline",
                                     "--prefix",
                                     str(AZURITE_DIR), "azurite@3"], capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            pytest.skip("installing Azurite with npm timed out")
        if result.returncode != 0 or not installed():
            pytest.skip(f"installing Azurite with npm failed: {result.stderr.strip()[:300]}")
    return binary


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """Azurite blob + queue on 127.0.0.1 (free ports); yields a connection string; stopped after the session."""
    import socket
    import subprocess
    import time

    binary = ensure_azurite()
    blob, queue, table = _free_port(), _free_port(), _free_port()
    data = tmp_path_factory.mktemp("azurite")
    proc = subprocess.Popen([str(binary), "--silent", "--skipApiVersionCheck", "--loose", "--location", str(data),
                             "--blobHost", "127.0.0.1", "--blobPort", str(blob), "--queueHost", "127.0.0.1",
                             "--queuePort", str(queue), "--tableHost", "127.0.0.1", "--tablePort", str(table)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    for port in (blob, queue):
        while True:
            if proc.poll() is not None:
                pytest.skip(f"Azurite exited: {proc.stderr.read().decode()[:300]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    proc.kill()
                    pytest.skip("Azurite did not start within 60 s")
                time.sleep(0.1)
    yield (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
           f"BlobEndpoint=http://127.0.0.1:{blob}/{AZURITE_ACCOUNT};"
           f"QueueEndpoint=http://127.0.0.1:{queue}/{AZURITE_ACCOUNT};")
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
