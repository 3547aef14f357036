"""Registers the AWS provider through the ``sls_neutral`` entry-point group.

Cheap to import: boto3, samtranslator, cfn-lint and pydantic are imported only
inside the provider's methods.
"""

from sls_neutral.core.hookspecs import hookimpl


@hookimpl
def slsn_register_providers():
    from sls_neutral.providers.aws.provider import AwsProvider

    return [AwsProvider()]
