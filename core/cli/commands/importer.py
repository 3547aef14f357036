"""``sls-neutral import``: convert a Serverless Framework service to a neutral manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app) -> None:
    @app.command("import")
    def import_(source: Annotated[Path, typer.Argument(help="A serverless.yml file.")],
                out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Write the manifest here "
                                                            "(default: print it).")] = None) -> None:
        """Convert a Serverless Framework v3 service (serverless.yml) into sls-neutral.yaml."""
        from sls_neutral.core.importer import run_import

        run_import(source, out)
