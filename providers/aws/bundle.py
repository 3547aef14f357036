"""One deterministic zip per function: its Python files, the neutral runtime, its dependencies.

Python sources are the handler's import closure inside the service (found with
``ast``; packages' ``__init__.py`` included), so editing one handler changes
only the zips of the functions that import it; non-Python files (templates,
data) go into every zip. Dependencies are installed with pip for the Lambda
platform and cached under ``.sls-neutral/cache/aws/deps/<key>/``, the key being
the sha256 of the requirements text, platform and Python version: 200 functions
sharing one requirements file install once.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from sls_neutral.core import ir
from sls_neutral.core.errors import SlsnError
from sls_neutral.core.sources import function_sources as core_function_sources
from sls_neutral.core.sources import import_closure, namespace_init, read_tracked, runtime_files  # noqa: F401 (re-exported)

PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}
_DEPS_MEMO: dict[str, dict[str, bytes]] = {}


# ------------------------------------------------------------ sources
def function_sources(root: Path, fn: ir.Function) -> dict[str, bytes]:
    return core_function_sources(root, fn.handler_file)


# ------------------------------------------------------------ dependencies
def requirement_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def deps_key(requirements: str, platform: str, python: str) -> str:
    material = "\n".join(requirement_lines(requirements)) + f"\n--platform {platform}\n--python {python}\n"
    return hashlib.sha256(material.encode()).hexdigest()


def install_dependencies(requirements: str, cache_root: Path, platform: str, python: str) -> dict[str, bytes]:
    """Files of the installed requirements (from the cache when present)."""
    lines = requirement_lines(requirements)
    if not lines:
        return {}
    key = deps_key(requirements, platform, python)
    if key in _DEPS_MEMO:
        return _DEPS_MEMO[key]
    target = cache_root / key
    if not (target / ".complete").is_file():
        _pip_install(lines, target, platform, python)
    files = {}
    for dirpath, dirnames, filenames in os.walk(target):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(target).as_posix()
            if rel == ".complete" or name.endswith((".pyc", ".pyo")) or path.is_symlink():
                continue
            mode = 0o755 if os.access(path, os.X_OK) and rel.startswith("bin/") else 0o644
            data = read_tracked(str(path))  # its origin lets an incremental build re-zip without a copy
            files[rel] = (data, mode) if mode != 0o644 else data
    _DEPS_MEMO[key] = files
    return files


def _pip_install(lines: list[str], target: Path, platform: str, python: str) -> None:
    import shutil
    import subprocess  # here: most packages install nothing, and subprocess costs every start-up ~3 ms

    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    req = tmp.parent / f".{target.name}.requirements-{os.getpid()}.txt"
    req.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
           "--platform", platform, "--only-binary=:all:", "--implementation", "cp", "--python-version", python,
           "--target", str(tmp), "-r", str(req)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    finally:
        req.unlink(missing_ok=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise SlsnError(f"installing dependencies for {platform} / Python {python} failed:\n{tail}",
                        hint="every requirement needs a wheel for the Lambda platform (--only-binary=:all:); "
                             "pin a version that publishes manylinux wheels or vendor the package")
    (tmp / ".complete").write_text("ok\n")
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


# ------------------------------------------------------------ zips
def zip_identity(fn: ir.Function, architecture: str) -> tuple:
    """Everything :func:`function_files` reads besides the service folder (keep the two in step).

    Functions that agree on it ship byte-identical zips (every function of one handler module, without
    dependencies or with the same ones), so the emitter builds each distinct zip once.
    """
    deps = (fn.requirements, fn.runtime, architecture) if fn.requirements else None
    return fn.handler_file, deps


def function_files(app: ir.App, fn: ir.Function, architecture: str) -> dict[str, bytes | tuple[bytes, int]]:
    root = Path(app.root)
    files: dict[str, bytes | tuple[bytes, int]] = {}
    if fn.requirements:
        req_path = root / fn.requirements
        try:
            text = req_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SlsnError(f"function '{fn.name}': cannot read requirements file '{fn.requirements}'",
                            position=fn.source, hint="the path is relative to the service folder") from exc
        python = fn.runtime.removeprefix("python")
        files.update(install_dependencies(text, root / ".sls-neutral" / "cache" / "aws" / "deps",
                                          PLATFORMS[architecture], python))
    files.update(function_sources(root, fn))
    files.update(runtime_files("aws"))
    files.update(namespace_init())
    return files


def starter_files() -> dict[str, bytes | tuple[bytes, int]]:
    """The workflow starter needs only the runtime and its AWS adapter."""
    return {**runtime_files("aws"), **namespace_init()}
