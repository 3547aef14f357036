"""``init``: copy a service template from the installed ``sls_neutral.templates`` package."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from sls_neutral.core.errors import SlsnError, did_you_mean

TEMPLATE_DIR = "init"
NAME_TOKEN = "__SERVICE__"


def available() -> list[str]:
    root = resources.files("sls_neutral.templates") / TEMPLATE_DIR
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def scaffold(template: str, target: Path, *, name: str | None = None, force: bool = False) -> list[str]:
    names = available()
    if template not in names:
        raise SlsnError(f"unknown template '{template}'", hint=did_you_mean(template, names) or
                        f"templates: {', '.join(names)}")
    service = name or re.sub(r"[^a-z0-9-]+", "-", target.name.lower()).strip("-") or "my-service"
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,38}", service):
        raise SlsnError(f"'{service}' is not a valid service name",
                        hint="use --name with lowercase letters, digits and '-', starting with a letter")
    source = resources.files("sls_neutral.templates") / TEMPLATE_DIR / template
    files: dict[str, bytes] = {}
    _walk(source, "", files)
    existing = [rel for rel in files if (target / rel).exists()]
    if existing and not force:
        raise SlsnError(f"{len(existing)} file(s) already exist in {target}, e.g. {existing[0]}",
                        hint="choose an empty folder or pass --force")
    for rel, data in sorted(files.items()):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data.replace(NAME_TOKEN.encode(), service.encode()))
    return sorted(files)


def _walk(node, prefix: str, out: dict[str, bytes]) -> None:
    for child in node.iterdir():
        if child.name in ("__pycache__",) or child.name.endswith(".pyc"):
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            _walk(child, rel + "/", out)
        else:
            out[rel] = child.read_bytes()
