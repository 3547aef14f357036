"""What goes into a function artifact: the user's sources and the neutral runtime.

The service folder is packaged with sensible exclusions (build output, VCS,
virtualenvs, caches, tests). The neutral runtime (``sls_neutral.runtime``) is
copied from the installed package, with only the adapter of the target
provider, so the artifact imports nothing from the rest of sls-neutral.
"""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Mapping

EXCLUDED_DIRS = {".sls-neutral", ".git", ".hg", ".venv", "venv", "env", "__pycache__", "node_modules",
                 ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "tests", "test", "build", "dist",
                 ".idea", ".vscode"}
# Deployment configuration never belongs in a function package: ours, and the other tools' a project may
# still carry (a service migrated with `sls-neutral import` keeps its serverless.yml, often 100+ KB,
# which was copied into every function).
EXCLUDED_FILES = {".DS_Store", "sls-neutral.yaml", "sls-neutral.yml", "serverless.yml", "serverless.yaml",
                  "serverless.json", "serverless.ts", "samconfig.toml"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".zip", ".egg-info")


def collect_sources(root: Path) -> dict[str, bytes]:
    """Every file of the service folder that belongs in a function artifact, keyed by POSIX path."""
    return dict(_collect(_resolved(str(root))))


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
    _closure_sources.cache_clear()
    _resolved.cache_clear()
    _imports.cache_clear()


def import_closure(sources: Mapping[str, bytes], entry: str) -> set[str]:
    """The .py files of ``sources`` reachable from ``entry`` through imports (absolute and relative)."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in seen or path not in sources:
            continue
        seen.add(path)
        parts = PurePosixPath(path).with_suffix("").parts
        for i in range(1, len(parts)):  # enclosing packages' __init__.py
            init = "/".join(parts[:i]) + "/__init__.py"
            if init in sources:
                todo.append(init)
        for name in _imports(path, sources[path]):
            for i in range(1, len(name) + 1):
                stem = "/".join(name[:i])
                for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                    if candidate in sources:
                        todo.append(candidate)
    return seen


@lru_cache(maxsize=4096)
def _imports(path: str, source: bytes) -> tuple[tuple[str, ...], ...]:
    """Dotted names one module imports (as tuples), relative imports anchored at its package; parsed once."""
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError):
        return ()
    package = PurePosixPath(path).with_suffix("").parts[:-1]
    out: list[tuple[str, ...]] = []
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            out += [tuple(a.name.split(".")) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base: tuple[str, ...] = tuple((node.module or "").split(".")) if node.module else ()
            if node.level:
                anchor = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                base = tuple(anchor) + base
            out += [base] + [base + (a.name,) for a in node.names]
    return tuple(out)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")  # the fields that hold statements


def _statements(tree: ast.Module):
    """Every statement of a module, nested ones included (imports are statements).

    Unlike ``ast.walk`` it does not descend into expressions, which are most of a module's nodes:
    ~8x faster, and the import scan of a service's modules is part of every cold package.
    """
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        yield node
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if block:
                todo.extend(block)


def function_sources(root: Path, handler_file: str) -> dict[str, bytes]:
    """The service files one function ships: its handler's Python import closure and every non-Python file.

    Editing one module changes only the artifacts of the functions that import it, and an artifact's size
    does not grow with the number of modules the service has. Memoized per handler file (do not mutate).
    """
    return _closure_sources(_resolved(str(root)), handler_file)


@lru_cache(maxsize=64)
def _resolved(root: str) -> str:
    return str(Path(root).resolve())


@lru_cache(maxsize=1024)
def _closure_sources(root: str, handler_file: str) -> dict[str, bytes]:
    sources = dict(_collect(root))
    python = import_closure(sources, handler_file)
    return {p: d for p, d in sources.items() if not p.endswith(".py") or p in python}


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
