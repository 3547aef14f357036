"""What goes into a function artifact: the user's sources and the neutral runtime.

The service folder is packaged with sensible exclusions (build output, VCS,
virtualenvs, caches, tests). The neutral runtime (``sls_neutral.runtime``) is
copied from the installed package, with only the adapter of the target
provider, so the artifact imports nothing from the rest of sls-neutral.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

EXCLUDED_DIRS = {".sls-neutral", ".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules",
                 ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "tests", "test", "build", "dist",
                 ".idea", ".vscode"}
EXCLUDED_FILES = {".DS_Store", "sls-neutral.yaml", "sls-neutral.yml"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".zip", ".egg-info")


def collect_sources(root: Path) -> dict[str, bytes]:
    """Every file of the service folder that belongs in a function artifact, keyed by POSIX path."""
    return dict(_collect(str(Path(root).resolve())))


@lru_cache(maxsize=8)
def _collect(root: str) -> tuple[tuple[str, bytes], ...]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name in EXCLUDED_FILES or name.endswith(EXCLUDED_SUFFIXES) or name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            out.append((path.relative_to(root).as_posix(), path.read_bytes()))
    return tuple(out)


def clear_cache() -> None:
    _collect.cache_clear()
    _runtime.cache_clear()


def runtime_files(provider: str | None = None, prefix: str = "sls_neutral/runtime") -> dict[str, bytes]:
    """The runtime package as files under ``prefix``, with only ``provider``'s adapter (and local)."""
    return {f"{prefix}/{rel}": data for rel, data in _runtime(provider)}


@lru_cache(maxsize=8)
def _runtime(provider: str | None) -> tuple[tuple[str, bytes], ...]:
    import sls_neutral.runtime as runtime

    base = Path(runtime.__file__).parent
    out = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(base).as_posix()
        if rel.startswith("adapters/") and provider is not None:
            stem = rel.split("/", 1)[1].removesuffix(".py")
            if stem not in ("__init__", provider):
                continue
        out.append((rel, path.read_bytes()))
    return tuple(out)


def namespace_init() -> dict[str, bytes]:
    """A tiny ``sls_neutral/__init__.py`` for artifacts: the runtime without the framework."""
    return {"sls_neutral/__init__.py": b'"""sls-neutral runtime (packaged inside a function artifact)."""\n'}
