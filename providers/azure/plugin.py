"""Registers the Azure provider through the ``sls_neutral`` entry-point group.

Cheap to import: the provider class imports the Azure SDKs and pydantic
only inside the methods that need them.
"""

from sls_neutral.core.hookspecs import hookimpl


@hookimpl
def slsn_register_providers():
    from sls_neutral.providers.azure.provider import AzureProvider

    return [AzureProvider()]
