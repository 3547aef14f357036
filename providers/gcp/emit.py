"""Package the GCP artifacts: one zip per function (and per workflow starter), Workflows YAML, deployment.json.

Each zip is what generateUploadUrl receives (and, unzipped, what ``gcloud functions deploy --source`` takes):
``main.py`` with the functions-framework entry points (templates/main.py, the same file in every zip),
``requirements.txt``, the service's files (the handler's Python import closure and every non-Python file,
as on AWS: a function's source does not grow with the number of modules, and editing one module changes
only the functions that import it) and the neutral runtime with only the GCP adapter.

Nothing in a zip depends on the function's configuration: its routes, event sources and handler reach the
adapter through environment variables that deployment.json sets per function (``SLSN_FUNCTION_CONFIG``,
``SLSN_HANDLER``; see model.py). Functions whose handler module imports the same files and whose
``requirements.txt`` is the same (the same grant kinds, the same own requirements) therefore have
byte-identical zips: each distinct zip is built once here and written once (the artifact writer hard-links
the copies), and the source digest (label ``slsn-source``) changes only when the code does, so a changed
route is a configuration update at deploy, not a new build. The zips keep one path per function,
``functions/<name>.zip``: deployment.json, the GitOps script and a reviewer's diff name a function's source
by the function, and git stores equal zips once anyway.

With ``providers.gcp.source_folders: true`` each zip is also written unzipped beside it
(``functions/<name>/``, ``starters/<workflow>/``), to read or to deploy with gcloud; by default only the zips
are written, since at a thousand functions the folders were most of the files and half of the build time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.artifacts import deterministic_zip, members_digest
from sls_neutral.core.errors import SlsnError
from sls_neutral.core.sources import function_sources, namespace_init, runtime_files
from sls_neutral.providers.gcp.model import STEP_PATH, Unit, build_deployment, units_of
from sls_neutral.providers.gcp.names import Names

DEPLOYMENT = "deployment.json"
FUNCTIONS_FRAMEWORK = "functions-framework>=3.5,<4"
CLIENT_REQUIREMENTS = {
    "bucket": "google-cloud-storage>=2.14",
    "queue": "google-cloud-pubsub>=2.19",
    "topic": "google-cloud-pubsub>=2.19",
    "secret": "google-cloud-secret-manager>=2.18",
    "workflow": "google-cloud-workflows>=1.14",
}
SOURCE_LABEL = "slsn-source"  # the deployed code's digest: the planner compares it, no download needed
SOURCE_LABEL_LENGTH = 20
MAIN = "main.py"  # providers/gcp/templates/main.py: the same file in every function and starter zip


@lru_cache(maxsize=1)
def main_source() -> bytes:
    """``main.py``: it reads the function's configuration from the environment, so it is one file for all."""
    from pathlib import Path

    return (Path(__file__).parent / "templates" / MAIN).read_bytes()  # beside this module, as the runtime


def requirements(app: ir.App, fn: ir.Function | None, kinds: set[str]) -> str:
    lines = [FUNCTIONS_FRAMEWORK]
    lines += sorted({CLIENT_REQUIREMENTS[k] for k in kinds if k in CLIENT_REQUIREMENTS})
    if fn is not None and fn.requirements:
        path = app.root / fn.requirements
        try:
            own = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SlsnError(f"function '{fn.name}': cannot read requirements file '{fn.requirements}': {exc}",
                            hint="the path is relative to the service folder") from None
        lines += [line.strip() for line in own.splitlines()
                  if line.strip() and not line.strip().startswith("#")]
    seen: list[str] = []
    for line in lines:
        if line not in seen:
            seen.append(line)
    return "\n".join(seen) + "\n"


def step_url(app: ir.App, settings: Mapping[str, Any], function: str, *,
             units: Mapping[str, list[Unit]] | None = None, names: Names | None = None) -> str:
    """The URL a workflow calls for a step: the function URL (plus the step path when it also serves HTTP).

    Pass ``units`` (``units_of``) and ``names`` when asking for many steps: computing them is linear in the
    number of functions.
    """
    names = names or Names.from_settings(app.service, app.stage, settings)
    found = (units if units is not None else units_of(app, settings)).get(function) or []
    unit = next((u for u in found if u.kind in ("http", "step")), None)
    if unit is None:
        raise SlsnError(f"function '{function}' is called by a workflow but has no HTTPS unit on GCP",
                        hint="a workflow step must not be triggered only by events")
    url = names.function_url(unit.name)
    return url if unit.kind == "step" else url + STEP_PATH


def compile_workflows(app: ir.App, settings: Mapping[str, Any],
                      units: Mapping[str, list[Unit]] | None = None) -> dict[str, str]:
    """Workflow name -> Cloud Workflows YAML, from the workflows compiler."""
    if not app.workflows:
        return {}
    try:
        from sls_neutral.core.workflows.gcp import compile_gcp, to_yaml
    except ImportError as exc:
        raise SlsnError(f"the Cloud Workflows compiler is not available ({exc})",
                        hint="install a complete sls-neutral (sls_neutral.core.workflows.gcp)") from None
    names = Names.from_settings(app.service, app.stage, settings)
    units = units if units is not None else units_of(app, settings)
    urls: dict[str, str] = {}

    def url(fname: str) -> str:
        if fname not in urls:
            urls[fname] = step_url(app, settings, fname, units=units, names=names)
        return urls[fname]

    out = {}
    for name, wf in sorted(app.workflows.items()):
        out[name] = to_yaml(compile_gcp(wf, url))
    return out


def _shared_files() -> dict[str, bytes]:
    """main.py, the runtime with only the GCP adapter and the namespace ``__init__``: in every zip (do not mutate)."""
    files = dict(runtime_files("gcp"))
    files.update(namespace_init())
    files[MAIN] = main_source()
    return files


def function_requirements(app: ir.App, fn: ir.Function) -> bytes:
    """The function's ``requirements.txt``: the clients its grants need, then its own requirements file."""
    return requirements(app, fn, requirement_kinds(fn)).encode("utf-8")


def requirement_kinds(fn: ir.Function) -> frozenset[str]:
    """The resource kinds whose client libraries the function needs: with its requirements file, all that its
    ``requirements.txt`` depends on."""
    return frozenset({g.kind for g in fn.grants} | ({"secret"} if fn.secret_environment else set()))


def function_files(app: ir.App, fn: ir.Function, shared: Mapping[str, bytes] | None = None,
                   requirements_txt: bytes | None = None) -> dict[str, bytes]:
    """The files of a function's zip: they depend on its handler file and its requirements, nothing else."""
    files = dict(function_sources(app.root, fn.handler_file))
    files.update(_shared_files() if shared is None else shared)
    files["requirements.txt"] = function_requirements(app, fn) if requirements_txt is None else requirements_txt
    return files


def starter_files(app: ir.App, shared: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """The files of a workflow starter's zip: the same for every workflow (the workflow is configuration)."""
    files = dict(_shared_files() if shared is None else shared)
    files["requirements.txt"] = requirements(app, None, {"workflow"}).encode("utf-8")
    return files


def source_digest(files: Mapping[str, bytes]) -> str:
    """A hash of the files themselves (names and contents), independent of zip compression
    (:func:`sls_neutral.core.artifacts.members_digest`, which the incremental build can recompute)."""
    return members_digest(files)


def _add_source(artifacts, path: str, data: bytes, files: Mapping[str, bytes], folder: bool) -> None:
    """``path``.zip, and with ``source_folders`` the same files unzipped under ``path``/."""
    if folder:
        for name, content in files.items():
            artifacts.add(f"{path}/{name}", content)
    artifacts.add(f"{path}.zip", data)


def emit(app: ir.App, settings: Mapping[str, Any], artifacts) -> dict[str, Any]:
    units = units_of(app, settings)
    folders = bool(settings.get("source_folders", False))
    shared = _shared_files()
    built: dict[tuple[str | None, bytes], tuple[dict[str, bytes], bytes, str]] = {}
    digests: dict[str, str] = {}

    def add(path: str, key: tuple[str | None, bytes], make) -> None:
        """One zip per distinct content (``key`` is what the files depend on), added under every path."""
        found = built.get(key)
        if found is None:
            files = make()
            found = built[key] = (files, deterministic_zip(files), source_digest(files))
        files, data, digest = found
        digests[f"{path}.zip"] = digest
        _add_source(artifacts, path, data, files, folders)

    requirements_by_key: dict[tuple[frozenset[str], str | None], bytes] = {}
    for fname, fn in sorted(app.functions.items()):
        needs = (requirement_kinds(fn), fn.requirements)  # functions alike share one requirements.txt
        wanted = requirements_by_key.get(needs)
        if wanted is None:  # read once: it is part of the key and of the zip
            wanted = requirements_by_key[needs] = function_requirements(app, fn)
        add(f"functions/{fname}", (fn.handler_file, wanted),
            lambda fn=fn, wanted=wanted: function_files(app, fn, shared, wanted))
    for wname, wf in sorted(app.workflows.items()):
        if any(isinstance(t, ir.HttpTrigger) for t in wf.triggers):
            add(f"starters/{wname}", (None, b""), lambda: starter_files(app, shared))
    yaml_by_workflow = compile_workflows(app, settings, units=units)
    for wname, text in yaml_by_workflow.items():
        artifacts.add(f"workflows/{wname}.yaml", text)
    deployment = build_deployment(app, settings, yaml_by_workflow)
    for spec in deployment["functions"].values():
        digest = digests.get(spec["build"]["source"], "")
        spec["build"]["source_digest"] = digest
        spec["labels"] = {**spec["labels"], SOURCE_LABEL: digest[:SOURCE_LABEL_LENGTH]}
    from sls_neutral.providers.gcp import observability  # alert policies, log bucket and sink (plugin only)

    observability.emit(app, settings, deployment, artifacts)
    artifacts.add_json(DEPLOYMENT, deployment)
    return deployment
