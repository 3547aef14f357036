"""Helpers of the GCP functional tests: build an example's artifacts in process, a recording Backend."""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


def workflows_compiler_present() -> bool:
    try:
        importlib.import_module("sls_neutral.core.workflows.gcp")
    except ImportError:
        return False
    return True


def build(service_dir: Path, out_dir: Path, *, without_workflow_yaml: bool = False):
    """Emit the gcp artifacts of a service into ``out_dir``; returns (app, deployment dict).

    ``without_workflow_yaml`` builds the functions of a service whose workflows cannot be compiled
    (the Workflows compiler missing from this checkout): function artifacts do not depend on the YAML.
    """
    from sls_neutral.core.pipeline import Project
    from sls_neutral.core.sources import clear_cache
    from sls_neutral.providers.gcp import emit as gcp_emit

    clear_cache()
    project = Project(service_dir)
    original = gcp_emit.compile_workflows
    if without_workflow_yaml:
        gcp_emit.compile_workflows = lambda app, settings, **_: {}
    try:
        app, _, artifacts = project.build("gcp")
    finally:
        gcp_emit.compile_workflows = original
    artifacts.write(out_dir)
    return app, json.loads((out_dir / "deployment.json").read_text())


def unzipped(out: Path, source: str) -> Path:
    """The folder of one function or starter zip (``functions/<name>.zip``, ``starters/<workflow>.zip``).

    ``package`` writes only the zips unless ``providers.gcp.source_folders`` is set; the zip, unzipped, is what
    Cloud Functions builds, so the tests serve exactly that. Extracted afresh on each call (a test may rebuild
    ``out``), beside ``out`` rather than inside it.
    """
    import shutil

    from sls_neutral.core.artifacts import safe_extract

    target = out.with_name(out.name + ".sources") / source.removesuffix(".zip")
    shutil.rmtree(target, ignore_errors=True)
    safe_extract((out / source).read_bytes(), target)
    return target


def function_env(deployment: dict[str, Any], unit: str) -> dict[str, str]:
    """The unit's environment as the deploy sets it (``serviceConfig.environmentVariables``): the runtime contract's
    ``SLSN_*`` variables, ``SLSN_FUNCTION_CONFIG`` (routes, event sources) among them, and the function's own."""
    return dict(deployment["functions"][unit]["service"]["environment_variables"])


def serve(monkeypatch, out: Path, deployment: dict[str, Any], unit: str):
    """The unit as Cloud Functions runs it, in process: the environment the deploy would set (from deployment.json;
    main.py reads its configuration from it at import), the zip unzipped, main.py loaded by functions-framework
    with the unit's entry point. Returns the Flask app (``.test_client()`` to call it)."""
    import functions_framework

    spec = deployment["functions"][unit]
    forget_service_modules()
    set_env(monkeypatch, function_env(deployment, unit))
    source = unzipped(out, spec["build"]["source"]) / "main.py"
    return functions_framework.create_app(spec["build"]["entry_point"], str(source))


def process_env(deployment: dict[str, Any], unit: str, folder: Path) -> dict[str, str]:
    """The environment of a ``functions-framework`` process serving the unit from its unzipped ``folder``: this
    process's variables without ``SLSN_*`` ones, then the unit's as the deploy sets them, the folder first on
    PYTHONPATH (the artifact's own runtime, not the installed framework)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLSN_")}
    env.update(function_env(deployment, unit), PYTHONPATH=str(folder))
    return env


class RecordingBackend:
    """Keeps what handlers do to resources in memory (the google-cloud clients need GCP)."""

    provider = "gcp"

    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.sent: list[tuple[str, str, bytes, dict]] = []
        self.started: list[tuple[str, dict]] = []

    def bucket_put(self, bucket, key, data, content_type):
        self.objects[(bucket, key)] = data

    def bucket_get(self, bucket, key):
        from sls_neutral.runtime import NotFound

        if (bucket, key) not in self.objects:
            raise NotFound(key)
        return self.objects[(bucket, key)]

    def bucket_delete(self, bucket, key):
        self.objects.pop((bucket, key), None)

    def bucket_list(self, bucket, prefix):
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def queue_send(self, queue, body, delay, attributes):
        self.sent.append(("queue", queue, body, dict(attributes)))
        return f"m{len(self.sent)}"

    def topic_publish(self, topic, body, attributes):
        self.sent.append(("topic", topic, body, dict(attributes)))
        return f"m{len(self.sent)}"

    def secret_read(self, name):
        return f"secret-of-{name}"

    def workflow_start(self, workflow, input):
        self.started.append((workflow, input))
        return f"projects/p/locations/r/workflows/{workflow}/executions/e{len(self.started)}"


def install_backend(backend) -> None:
    from sls_neutral.runtime import adapters
    from sls_neutral.runtime.adapters import gcp

    gcp.reset_backend(backend)
    getattr(adapters, "_backends", {}).pop("gcp", None)


def forget_service_modules() -> None:
    """Each example has its own ``src`` package and each function folder its own ``main``."""
    from sls_neutral.runtime import dispatch

    for name in list(sys.modules):
        if name == "src" or name.startswith("src.") or name == "main":
            del sys.modules[name]
    # functions-framework appends each loaded function folder to sys.path; an earlier example's folder
    # would shadow this one's ``src`` package
    sys.path[:] = [p for p in sys.path if not (Path(p, "main.py").is_file() and Path(p, "sls_neutral").is_dir())]
    dispatch.clear_handlers()


def set_env(monkeypatch, env: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith("SLSN_")]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # At cold start the runtime writes each secret-backed variable into os.environ (SLSN_SECRET_ENV maps
    # them); put them under monkeypatch too, or a secret filled here leaks into later tests' subprocesses
    # (it made the scheduled-cleanup example's "no secret configured" case pass the secret along).
    for key in json.loads(env.get("SLSN_SECRET_ENV") or "{}"):
        monkeypatch.delenv(key, raising=False)
