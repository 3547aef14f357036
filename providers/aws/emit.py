"""Assemble the AWS artifact set: zips first (their hashes name the S3 keys), then the templates."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Iterator

from sls_neutral.core import ir
from sls_neutral.core.artifacts import ArtifactSet, canonical_json, deterministic_zip
from sls_neutral.providers.aws import bundle, stacks
from sls_neutral.providers.aws.names import Names
from sls_neutral.providers.aws.sam import STARTER_CODE, build_sam_template, function_code_path
from sls_neutral.providers.aws.translate import code_key
from sls_neutral.providers.aws.yamlout import dump

SAM_TEMPLATE = "template.yaml"
CFN_TEMPLATE = "template.cfn.json"
DEPLOY_INDEX = "deploy.json"


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the duration of an emit.

    An emit allocates hundreds of thousands of dicts and lists (templates, their translations) that stay
    alive until it ends and are then freed by reference counting: templates hold no reference cycles. Each
    collection their allocations trigger traverses them (and everything else alive) for nothing; at 1000
    functions that was a tenth of the emit. Nothing is lost: the collector resumes afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def emit_stack(app: ir.App, settings: dict[str, Any], artifacts: ArtifactSet) -> None:
    with collection_paused():
        _emit_stack(app, settings, artifacts)


def _emit_stack(app: ir.App, settings: dict[str, Any], artifacts: ArtifactSet) -> None:
    sam = build_sam_template(app, settings)
    keys: dict[str, str] = {}
    zips: dict[tuple, bytes] = {}  # bundle.zip_identity -> zip: one per handler module, not per function
    for fn in app.functions.values():
        path = function_code_path(fn.name)
        identity = bundle.zip_identity(fn, settings["architecture"])
        data = zips.get(identity)
        if data is None:
            data = zips[identity] = deterministic_zip(bundle.function_files(app, fn, settings["architecture"]))
        artifact = artifacts.add(path, data)
        keys[path] = code_key(app.service, app.stage, artifact.sha256)
    if any(r["Properties"].get("CodeUri") == STARTER_CODE for r in sam["Resources"].values()
           if r["Type"] == "AWS::Serverless::Function"):
        artifact = artifacts.add_zip(STARTER_CODE, bundle.starter_files())
        keys[STARTER_CODE] = code_key(app.service, app.stage, artifact.sha256)
    layout = stacks.layout(app, sam, keys, settings["region"])
    for path, data in layout.sam_files.items():  # template.yaml; nested children as JSON (stacks.py)
        artifacts.add(path, canonical_json(data) if path.endswith(".json") else dump(data))
    for path in layout.cfn_files:
        artifacts.add(path, layout.cfn_json(path))
    artifacts.add_json(DEPLOY_INDEX, {
        "stack_name": settings.get("stack_name") or Names(app.service, app.stage).stack(),
        "region": settings["region"],
        "code": dict(sorted(keys.items())),
        "nested": sorted(p for p in layout.cfn_files if p != CFN_TEMPLATE),
        "parameters": {"DeploymentBucket": "<the deployment bucket>"},
    })
