"""``sls-neutral schema``: print the manifest's JSON Schema."""

from __future__ import annotations


def register(app) -> None:
    @app.command("schema")
    def schema() -> None:
        """Print the manifest's JSON Schema (the same file as docs/schema/manifest.schema.json)."""
        import sys

        from sls_neutral.core.artifacts import canonical_json
        from sls_neutral.core.manifest.schema import manifest_json_schema

        sys.stdout.write(canonical_json(manifest_json_schema()).decode())
