"""sls-neutral: one provider-neutral serverless manifest, many clouds.

The pipeline, one home per stage::

    sls-neutral.yaml
      -> sls_neutral.core.manifest   load YAML with positions, resolve ${...}, validate (pydantic)
      -> sls_neutral.core.compiler   compile to the neutral IR (sls_neutral.core.ir)
      -> sls_neutral.core.lint       neutral checks; providers add their own
      -> sls_neutral.providers.<p>   IR -> artifacts -> data-only plan -> execute
      -> the cloud, or the local runtime

``sls_neutral.runtime`` is the stdlib-only package that ships inside every
function artifact; user code imports only that.

Plugins write ``from sls_neutral import hookimpl``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str):
    # Lazy so that importing the runtime inside a function artifact never needs pluggy.
    if name == "hookimpl":
        from sls_neutral.core.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(name)
