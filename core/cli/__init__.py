"""The command line: typer, one command per module, fast start (no SDK imports at module level)."""
