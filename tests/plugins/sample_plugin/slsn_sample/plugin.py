"""Adds an 'echo' provider, a 'sample' manifest block, and observes the lifecycle."""

from __future__ import annotations

import json
import os

from pydantic import BaseModel, ConfigDict

from sls_neutral import hookimpl
from sls_neutral.core.provider import FULL, Provider


def _record(event: str) -> None:
    path = os.environ.get("SLSN_SAMPLE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(event + "\n")


class SampleBlock(BaseModel):
    model_config = ConfigDict(extra="forbid")
    greeting: str = "hello"


class EchoProvider(Provider):
    name = "echo"
    version = "1.2.3"
    description = "writes the IR's function list (sample third-party provider)"
    capabilities = {"http": FULL}

    def emit(self, app, artifacts):
        artifacts.add_json("functions.json", sorted(app.functions))


@hookimpl
def slsn_register_providers():
    return [EchoProvider()]


@hookimpl
def slsn_manifest_schema():
    return {"sample": SampleBlock}


@hookimpl
def slsn_before_package(app, provider):
    _record(f"before_package:{provider}")


@hookimpl
def slsn_emit_artifacts(app, provider, artifacts):
    block = app.extensions.get("sample")
    artifacts.add("greeting.txt", (block.greeting if block else "none") + "\n")
    _record(f"emit:{provider}")


@hookimpl
def slsn_after_package(app, provider, artifacts):
    _record(f"after_package:{provider}:{len(artifacts)}")


@hookimpl
def slsn_add_commands(app):
    @app.command("sample-hello")
    def sample_hello() -> None:
        """Say hello from the sample plugin."""
        print(json.dumps({"sample": "hello"}))
