"""Map the repository's top-level folders into the single ``sls_neutral`` namespace.

The repository keeps the pipeline visible in its folder names (core/, providers/,
plugins/, templates/), while users import one namespace: ``sls_neutral.core``,
``sls_neutral.providers.aws``... Nothing is importable as a bare ``core``.
Packages are discovered by walking each root so a new sub-package needs no edit here.
"""

import os

from setuptools import setup

ROOTS = {
    "sls_neutral": "src/sls_neutral",
    "sls_neutral.core": "core",
    "sls_neutral.providers": "providers",
    "sls_neutral.plugins": "plugins",
    "sls_neutral.templates": "templates",
}
SKIP = {"__pycache__", ".pytest_cache", "build", ".sls-neutral"}


def _packages():
    found = []
    for package, folder in ROOTS.items():
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP and not d.startswith("."))
            if "__init__.py" not in filenames:
                dirnames[:] = []
                continue
            rel = os.path.relpath(dirpath, folder)
            found.append(package if rel == "." else package + "." + rel.replace(os.sep, "."))
    return sorted(found)


setup(
    packages=_packages(),
    package_dir=ROOTS,
    package_data={"": ["**/*.json", "**/*.yaml", "**/*.yml", "**/*.txt", "**/*.md", "**/*.sql",
                       "**/*.toml", "py.typed"],
                  "sls_neutral.templates": ["**/*", "**/.gitignore"]},
    include_package_data=True,
)
