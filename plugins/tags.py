"""The ``tags`` plugin: cost-allocation tags on every resource of every provider.

Manifest::

    plugins: [tags]
    tags:
      team: media
      cost-center: "4711"
      include_defaults: true   # also add service and stage tags

It fills ``App.tags``; each provider applies them in its own form (AWS Tags, GCP
labels, Azure tags), sanitizing keys and values to its rules.
"""

from __future__ import annotations

import re

from functools import lru_cache

from sls_neutral.core.hookspecs import hookimpl

NAME = "tags"
RESERVED_PREFIXES = ("aws:", "goog", "microsoft", "azure", "windows")


@lru_cache(maxsize=1)
def block_model():
    """Built on first use: plugin modules load on every command, so they import nothing heavy."""
    from pydantic import BaseModel, ConfigDict, Field

    class TagsBlock(BaseModel):
        model_config = ConfigDict(extra="allow")

        include_defaults: bool = Field(True, description="Also tag resources with service and stage.")

        def tags(self) -> dict[str, str]:
            extra = self.model_extra or {}
            return {str(k): _text(v) for k, v in sorted(extra.items())}

    return TagsBlock


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@hookimpl
def slsn_manifest_schema():
    return {NAME: block_model()}


@hookimpl
def slsn_validate_ir(app, provider):
    block = app.extensions.get(NAME)
    if block is None or NAME not in app.plugins:
        return []
    from sls_neutral.core.errors import Diagnostic, Position

    problems = []
    for key, value in block.tags().items():
        where = Position(app.manifest_file)
        if key.lower().startswith(RESERVED_PREFIXES):
            problems.append(Diagnostic(f"tag key '{key}' uses a prefix reserved by a cloud provider", where,
                                       "choose another key", code="tags"))
        if len(key) > 63 or len(value) > 256:
            problems.append(Diagnostic(f"tag '{key}' is too long (keys <= 63, values <= 256 characters, the "
                                       "strictest provider limits)", where, code="tags"))
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:/=+@ -]*", key):
            problems.append(Diagnostic(f"tag key '{key}' has characters some providers refuse", where,
                                       "use letters, digits, '-', '_' and start with a letter", code="tags"))
    return problems


@hookimpl
def slsn_transform_ir(app, provider):
    if NAME not in app.plugins:
        return None
    block = app.extensions.get(NAME) or block_model()()
    tags = dict(app.tags)
    if block.include_defaults:
        tags.update({"service": app.service, "stage": app.stage})
    tags.update(block.tags())
    return app.replace(tags=dict(sorted(tags.items())))
