"""The function app package: function_app.py, host.json, requirements.txt, the sources and the runtime.

Everything is rendered from the :class:`AzureModel`, so the decorators in
``function_app.py``, the app settings in the ARM template and the roles always
name the same queues, containers and connections. The package is emitted
twice: as a folder (``app/``, to read and diff) and as ``app.zip`` (what zip
deploy uploads), both byte-stable.
"""

from __future__ import annotations

import json
import os
from typing import Any

from sls_neutral.core import buildrecord, ir
from sls_neutral.core.errors import SlsnError
from sls_neutral.providers.azure.model import STEP_ACTIVITY, AzureModel
from sls_neutral.providers.azure.render_app import render_function_app, workflow_module

CONFIG_FILE = "slsn_functions.json"
EXTENSION_BUNDLE = {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}
BASE_REQUIREMENTS = ("azure-functions>=1.18", "azure-identity>=1.15", "azure-storage-blob>=12.19",
                     "azure-storage-queue>=12.9")


def render_workflow_modules(model: AzureModel) -> dict[str, str]:
    """``slsn_workflows/<name>.py`` per workflow: the orchestrator from the Durable compiler."""
    if not model.app.workflows:
        return {}
    try:
        from sls_neutral.core.workflows.durable import compile_durable
    except ImportError as exc:  # the compiler ships with the core; a broken install is a user-visible error
        raise SlsnError(f"the Durable Functions workflow compiler is unavailable: {exc}",
                        hint="reinstall sls-neutral") from None
    out = {"slsn_workflows/__init__.py": '"""Durable orchestrators generated from the manifest\'s workflows."""\n'}
    for name, wf in model.app.workflows.items():
        out[f"slsn_workflows/{workflow_module(name)}.py"] = compile_durable(wf, STEP_ACTIVITY)
    return out


def host_json(model: AzureModel) -> dict[str, Any]:
    app = model.app
    timeouts = [f.timeout for f in app.functions.values()] or [30.0]
    seconds = int(max(timeouts))
    if model.plan == "consumption":
        seconds = min(seconds, 600)
    hours, rest = divmod(seconds, 3600)
    storage_queues = [q for q in model.queues.values() if not q.service_bus and not q.dead_letter_for]
    receives = [q.max_receives for q in storage_queues if q.max_receives]
    batch = [t.batch_size for f in app.functions.values() for t in f.triggers
             if isinstance(t, ir.QueueTrigger) and not model.queues[t.queue].service_bus]
    extensions: dict[str, Any] = {
        "http": {"routePrefix": ""},
        "queues": {"maxDequeueCount": min(receives) if receives else 5,
                   "batchSize": max(1, min(max(batch), 32)) if batch else 16,
                   "messageEncoding": "none"},
    }
    if model.uses_durable:
        hub = "".join(c for c in f"{app.service}{app.stage}" if c.isalnum())[:45]
        extensions["durableTask"] = {"hubName": hub if len(hub) >= 3 else f"slsn{hub}"}
    return {
        "version": "2.0",
        "extensionBundle": EXTENSION_BUNDLE,
        "functionTimeout": f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
        "extensions": extensions,
        "logging": {"logLevel": {"default": "Information"},
                    "applicationInsights": {"samplingSettings": {"isEnabled": True, "excludedTypes": "Request"}}},
    }


def requirements(model: AzureModel, sources: dict[str, bytes]) -> str:
    lines = list(BASE_REQUIREMENTS)
    if model.uses_durable:
        lines.append("azure-functions-durable>=1.2")
    if model.uses_service_bus:
        lines.append("azure-servicebus>=7.11")
    if model.uses_keyvault:
        lines.append("azure-keyvault-secrets>=4.7")
    seen = {line.split(">")[0].split("=")[0].strip().lower() for line in lines}
    for path in sorted({f.requirements for f in model.app.functions.values() if f.requirements}):
        data = sources.get(path)
        if data is None:
            raise SlsnError(f"requirements file '{path}' is not in the service folder",
                            hint="requirements paths are relative to the service root")
        buildrecord.note_input(os.path.join(model.app.root, path))  # parsed, not copied: edits need a full build
        for raw in data.decode("utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name = line.split(";")[0]
            for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", " "):
                name = name.split(sep)[0]
            if name.strip().lower() not in seen:
                seen.add(name.strip().lower())
                lines.append(line)
    return "\n".join(lines) + "\n"


def function_config(model: AzureModel) -> dict[str, Any]:
    """What the adapter needs per neutral function (one app hosts them all, so it cannot live in env vars)."""
    app = model.app
    functions = {}
    for name, fn in app.functions.items():
        functions[name] = {
            "handler": f"{fn.module}:{fn.handler_function}",
            "grants": sorted(g.scope for g in fn.grants),
            "resources": model.resources_for(fn),
            "secret_env": dict(sorted(fn.secret_environment.items())),
            "timeout_ms": int(fn.timeout * 1000),
            "group": model.function_group[name],
        }
    queues = {name: {"physical": q.physical, "service_bus": q.service_bus, "fifo": q.fifo}
              for name, q in sorted(model.queues.items())}
    return {"format": 1, "service": app.service, "stage": app.stage, "functions": functions, "queues": queues,
            "retention_s": {name: int(q.retention) for name, q in sorted(app.queues.items())},
            "workflows": sorted(app.workflows)}


def package_files(model: AzureModel) -> dict[str, bytes]:
    """Every file of the function app package, keyed by POSIX path."""
    from sls_neutral.core.artifacts import canonical_json
    from sls_neutral.core.sources import collect_sources, namespace_init, runtime_files

    sources = collect_sources(model.app.root)
    files: dict[str, bytes] = dict(sources)
    files.update(runtime_files("azure"))
    files.update(namespace_init())
    for path, text in render_workflow_modules(model).items():
        files[path] = text.encode("utf-8")
    files["function_app.py"] = render_function_app(model).encode("utf-8")
    files["host.json"] = canonical_json(host_json(model))
    files["requirements.txt"] = requirements(model, sources).encode("utf-8")
    files[CONFIG_FILE] = canonical_json(function_config(model))
    files[".funcignore"] = b"__pycache__/\n*.pyc\n.venv/\n"
    return dict(sorted(files.items()))


def expected_function_names(model: AzureModel) -> list[str]:
    return sorted(f.name for f in model.functions)


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True)
