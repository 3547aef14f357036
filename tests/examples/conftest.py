"""Fixtures of the example tests: a real local deployment, and each example packaged once per worker.

Every folder of examples/ with a manifest has a module here (``test_example_<name>.py``) that runs it
end-to-end on the local provider and checks what ``sls-neutral package -p all`` writes for each cloud.
The helpers live in ``examples_helpers.py``; the local ones are reused from tests/functional/local.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "functional" / "local", HERE.parent / "functional" / "aws"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from local_helpers import free_port, kill_tree, state_dir  # noqa: E402

from examples_helpers import Packaged, package_all  # noqa: E402


@pytest.fixture
def deployed(cli):
    """``deploy --detach`` a service folder on a free port; kill it (and so its workers) after the test.

    tests/functional/local's fixture, but for the teardown (fixtures do not cross sibling conftests).
    """
    pytest.importorskip("sls_neutral.providers.local.workers", reason="the worker pool is not installed")
    started: list[Path] = []

    def deploy(root: Path, *extra: str, env: dict | None = None):
        port = free_port()
        result = cli("deploy", "--detach", "--port", str(port), *extra, cwd=root, timeout=120, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        started.append(root)
        return port, result

    yield deploy
    # SIGKILL instead of `sls-neutral remove` (a graceful stop takes ~2 s; tests/functional/local tests remove):
    # the runtime leads its process group, and its workers exit when their socket to it closes.
    for root in started:
        run = state_dir(root) / "runtime.json"
        if run.exists():
            kill_tree(json.loads(run.read_text())["pid"])


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    """``packaged(example, provider="all")`` -> the result of ``package -p PROVIDER`` on a copy of the example.

    Cached per worker process: the checks of one example share one packaging run when xdist gives them to
    the same worker, and a one-provider request is served from an ``all`` run when there is one.
    """
    done: dict[tuple[str, str], Packaged] = {}

    def get(name: str, provider: str = "all") -> Packaged:
        key = (name, provider) if (name, "all") not in done else (name, "all")
        if key not in done:
            done[key] = package_all(name, tmp_path_factory.mktemp(f"pkg-{name}"), provider)
        return done[key]

    return get
