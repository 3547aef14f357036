"""Package the GCP artifacts: one zip per function (and per workflow starter), Workflows YAML, deployment.json.

Each zip is what generateUploadUrl receives (and, unzipped, what ``gcloud functions deploy --source`` takes):
``main.py`` with the functions-framework entry points (rendered from templates/main.py.j2),
``requirements.txt``, the service's files (the handler's Python import closure and every non-Python file,
as on AWS: a function's source does not grow with the number of modules, and editing one module changes
only the functions that import it) and the neutral runtime with only the GCP adapter. With
``providers.gcp.source_folders: true`` each zip is also written unzipped beside it (``functions/<name>/``,
``starters/<workflow>/``), to read or to deploy with gcloud; by default only the zips are written, since
at a thousand functions the folders were most of the files and half of the build time.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any, Mapping

from sls_neutral.core import ir
from sls_neutral.core.artifacts import sha256
from sls_neutral.core.errors import SlsnError
from sls_neutral.core.sources import function_sources, namespace_init, runtime_files
from sls_neutral.providers.gcp.model import Unit, build_deployment, units_of
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
STEP_PATH = "/_slsn/step"
SOURCE_LABEL = "slsn-source"  # the deployed code's digest: the planner compares it, no download needed
SOURCE_LABEL_LENGTH = 20


TEMPLATE = "main.py.j2"
_FIELDS = ("what", "handler", "config", "http_doc")
_MARK = "\x00slsn-field\x00"
# The only Jinja the template uses: plain fields and ``{% if "<entry>" in entries %} ... {% endif %}`` blocks.
_TAG = re.compile(r'\{\{ *(\w+) *\}\}|\{% *if "(\w+)" in entries *%\}|\{% *endif *%\}|(\{[{%#])')


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("sls_neutral.providers.gcp", "templates"),
                              keep_trailing_newline=True, autoescape=False, undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=1)
def _template_source() -> str:
    from importlib.resources import files

    return files("sls_neutral.providers.gcp").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def _render_plain(source: str, values: Mapping[str, str], entries: tuple[str, ...]) -> str | None:
    """What Jinja renders for ``source``, or None when it uses more than fields and ``if ... in entries``.

    Jinja (default whitespace handling, ``keep_trailing_newline``) keeps the text around tags verbatim, so
    this is a cut-and-join; it saves importing jinja2 and compiling the template on a GCP-only build.
    """
    if "\r" in source:
        return None
    out: list[str] = []
    shown = [True]
    position = 0
    for match in _TAG.finditer(source):
        if shown[-1]:
            out.append(source[position:match.start()])
        position = match.end()
        field, entry, other = match.groups()
        if other is not None or (field is not None and field not in values):
            return None
        if field is not None:
            if shown[-1]:
                out.append(values[field])
        elif entry is not None:
            shown.append(shown[-1] and entry in entries)
        elif len(shown) == 1:
            return None  # an endif without its if
        else:
            shown.pop()
    if len(shown) != 1:
        return None
    out.append(source[position:])
    return "".join(out)


@lru_cache(maxsize=16)
def _skeleton(entries: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The template rendered once per set of entry points, cut at its fields: (literal pieces, field order).

    ``{{ x }}`` inserts ``str(x)`` unchanged (no autoescape, no filters), so joining the pieces with the values
    is the template's output for those values; only the ``{% if %}`` blocks depend on ``entries``.
    """
    marks = {name: f"{_MARK}{i}{_MARK}" for i, name in enumerate(_FIELDS)}
    text = _render_plain(_template_source(), marks, entries)
    if text is None:
        text = _environment().get_template(TEMPLATE).render(entries=list(entries), **marks)
    parts = text.split(_MARK)
    return tuple(parts[0::2]), tuple(int(i) for i in parts[1::2])


def render_main(*, what: str, handler: str, entries: list[str], config: Mapping[str, Any], http_doc: str) -> str:
    """``main.py``: the adapter's configuration is a Python literal of canonical JSON (byte-stable)."""
    literal = repr(json.dumps(config, sort_keys=True, separators=(",", ":")))
    values = (what, handler, f"__import__('json').loads({literal})", http_doc)
    pieces, order = _skeleton(tuple(entries))
    out = [pieces[0]]
    for field, piece in zip(order, pieces[1:]):
        out.append(values[field])
        out.append(piece)
    text = "".join(out)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text.rstrip("\n") + "\n"


def adapter_config(app: ir.App, fn: ir.Function, units: list[Unit], names: Names) -> dict[str, Any]:
    """What the adapter needs to know about the function's triggers (routes, sources, filters)."""
    sources: dict[str, Any] = {}
    buckets: list[dict[str, Any]] = []
    schedule_index = 0
    for trigger in fn.triggers:
        if isinstance(trigger, ir.TopicTrigger):
            sources[names.topic_path(names.topic(trigger.topic))] = {"kind": "topic", "name": trigger.topic}
        elif isinstance(trigger, ir.QueueTrigger):
            queue = app.queues.get(trigger.queue)
            sources[names.topic_path(names.queue_topic(trigger.queue))] = {"kind": "queue", "name": trigger.queue}
            for topic in (queue.subscribed_topics if queue else ()):
                sources[names.topic_path(names.topic(topic))] = {"kind": "queue", "name": trigger.queue}
        elif isinstance(trigger, ir.ScheduleTrigger):
            topic = names.schedule_topic(fn.name, schedule_index)
            schedule_index += 1
            sources[names.topic_path(topic)] = {"kind": "schedule", "name": fn.name, "data": trigger.data}
        elif isinstance(trigger, ir.BucketTrigger):
            buckets.append({"bucket": names.bucket(trigger.bucket), "name": trigger.bucket,
                            "events": list(trigger.events), "prefix": trigger.prefix, "suffix": trigger.suffix})
    routes = [{"method": t.method, "path": t.path, "cors": t.cors} for t in fn.triggers
              if isinstance(t, ir.HttpTrigger)]
    return {"function": fn.name, "routes": routes, "sources": dict(sorted(sources.items())),
            "buckets": buckets, "step": fn.workflow_step or not fn.triggers,
            "fifo_queues": sorted(q.name for q in app.queues.values() if q.fifo),
            "step_only": not fn.triggers, "step_path": STEP_PATH}


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
    """The runtime with only the GCP adapter and the namespace ``__init__``: the same in every zip (do not mutate)."""
    files = dict(runtime_files("gcp"))
    files.update(namespace_init())
    return files


def function_files(app: ir.App, fn: ir.Function, units: list[Unit], names: Names,
                   shared: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    entries = sorted({u.entry_point for u in units})
    config = adapter_config(app, fn, units, names)
    http_doc = ("routes " + ", ".join(f"{r['method']} {r['path']}" for r in config["routes"])
                if config["routes"] else "workflow step (JSON in, JSON out)")
    main = render_main(what=f"function '{fn.name}'", handler=f"{fn.handler_file}:{fn.handler_function}",
                       entries=entries, config=config, http_doc=http_doc)
    files = dict(function_sources(app.root, fn.handler_file))
    files.update(_shared_files() if shared is None else shared)
    files["main.py"] = main.encode("utf-8")
    files["requirements.txt"] = requirements(app, fn, {g.kind for g in fn.grants} | (
        {"secret"} if fn.secret_environment else set())).encode("utf-8")
    return files


def starter_files(app: ir.App, wf: ir.Workflow, shared: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    main = render_main(what=f"the starter of workflow '{wf.name}'", handler="(none: starts the workflow)",
                       entries=["http_entry"], config={"function": f"{wf.name}-start", "routes": [
                           {"method": t.method, "path": t.path, "cors": t.cors} for t in wf.triggers
                           if isinstance(t, ir.HttpTrigger)], "starts": wf.name, "sources": {}, "buckets": [],
                           "step": False, "step_only": False, "step_path": STEP_PATH},
                       http_doc="starts an execution and answers 202 {\"execution_id\"}")
    files = dict(_shared_files() if shared is None else shared)
    files["main.py"] = main.encode("utf-8")
    files["requirements.txt"] = requirements(app, None, {"workflow"}).encode("utf-8")
    return files


def source_digest(files: Mapping[str, bytes]) -> str:
    """A hash of the files themselves (names and contents), independent of zip compression.

    Each file's sha256 comes from :func:`sls_neutral.core.artifacts.sha256`, remembered per bytes object: the
    runtime and shared sources are the same objects in every zip, and the zip writer hashes them too.
    """
    return hashlib.sha256(b"".join(
        b"%s\0%s\n" % (name.encode("utf-8"), sha256(files[name]).encode()) for name in sorted(files))).hexdigest()


def _add_source(artifacts, path: str, files: Mapping[str, bytes], folder: bool) -> None:
    """``path``.zip, and with ``source_folders`` the same files unzipped under ``path``/."""
    if folder:
        for name, data in files.items():
            artifacts.add(f"{path}/{name}", data)
    artifacts.add_zip(f"{path}.zip", files)


def emit(app: ir.App, settings: Mapping[str, Any], artifacts) -> dict[str, Any]:
    names = Names.from_settings(app.service, app.stage, settings)
    units = units_of(app, settings)
    folders = bool(settings.get("source_folders", False))
    shared = _shared_files()
    digests: dict[str, str] = {}
    for fname, fn in sorted(app.functions.items()):
        files = function_files(app, fn, units[fname], names, shared)
        digests[f"functions/{fname}.zip"] = source_digest(files)
        _add_source(artifacts, f"functions/{fname}", files, folders)
    for wname, wf in sorted(app.workflows.items()):
        if any(isinstance(t, ir.HttpTrigger) for t in wf.triggers):
            files = starter_files(app, wf, shared)
            digests[f"starters/{wname}.zip"] = source_digest(files)
            _add_source(artifacts, f"starters/{wname}", files, folders)
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
