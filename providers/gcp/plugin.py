"""Registers the GCP provider through the ``sls_neutral`` entry-point group.

Cheap to import: the provider imports google.cloud, functions_framework and pydantic
only inside the methods that need them.
"""

from sls_neutral.core.hookspecs import hookimpl


@hookimpl
def slsn_register_providers():
    from sls_neutral.providers.gcp.provider import GcpProvider

    return [GcpProvider()]
