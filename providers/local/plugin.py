"""Registers the local provider through the sls_neutral entry-point group (cheap to import)."""

from sls_neutral.core.hookspecs import hookimpl


@hookimpl
def slsn_register_providers():
    from sls_neutral.providers.local.provider import LocalProvider

    return [LocalProvider()]
