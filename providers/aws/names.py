"""Logical ids and physical names of the stack's resources.

Logical ids are CamelCase of the neutral name plus a kind suffix
(``charge-card`` -> ``ChargeCardFunction``). Physical names go through
core/naming so they fit AWS's rules and stay stable when truncated. Functions,
state machines, buckets and secrets get names known before deploy, so
environment variables and IAM policies can point at them with ``Fn::Sub``
instead of ``Ref``/``GetAtt`` -- which keeps the template free of circular
dependencies (an S3-triggered function that writes to its own bucket, a step
function that starts its own workflow).
"""

from __future__ import annotations

import re
from functools import lru_cache

from sls_neutral.core import naming

BUCKET_PREFIX = naming.NameRules(34, r"a-z0-9-", lowercase=True, must_start_with_letter=True)


_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def camel(name: str) -> str:
    parts = _NON_ALNUM.split(name)
    text = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return text if text[:1].isalpha() else "X" + text


@lru_cache(maxsize=65536)
def logical_id(name: str, kind: str) -> str:
    """``ChargeCard`` + ``Function``; CloudFormation allows alphanumerics only, at most 255.

    Memoized like naming.resource_name: the template builder and the nested-stack layout ask for the same
    ids many times per function.
    """
    base = camel(name)
    if len(base) + len(kind) > 200:
        base = base[:180] + naming.stable_hash(name, 8).upper()
    return base + kind


class Names:
    """Physical names of one service stage."""

    def __init__(self, service: str, stage: str):
        self.service = service
        self.stage = stage

    def function(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=naming.AWS_LAMBDA)

    def queue(self, name: str, fifo: bool = False) -> str:
        if fifo:
            rules = naming.NameRules(naming.AWS_SQS.max_length - 5, naming.AWS_SQS.allowed)
            return naming.resource_name(self.service, self.stage, name, rules=rules) + ".fifo"
        return naming.resource_name(self.service, self.stage, name, rules=naming.AWS_SQS)

    def topic(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=naming.AWS_SNS)

    def bucket_sub(self, name: str) -> str:
        """A Fn::Sub string: globally unique per account and region, at most 63 characters."""
        prefix = naming.resource_name(self.service, self.stage, name, rules=BUCKET_PREFIX)
        return prefix + "-${AWS::AccountId}-${AWS::Region}"

    def state_machine(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=naming.AWS_STATE_MACHINE)

    def secret(self, name: str) -> str:
        return f"{self.service}/{self.stage}/{name}"

    def stack(self) -> str:
        return naming.resource_name(self.service, self.stage, rules=naming.NameRules(128, r"a-zA-Z0-9-"))

    def starter(self, workflow: str) -> str:
        return naming.resource_name(self.service, self.stage, "start", workflow, rules=naming.AWS_LAMBDA)


# ARNs as Fn::Sub strings (no Ref, so no dependency edges).
def function_arn_sub(physical: str) -> str:
    return f"arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{physical}"


def state_machine_arn_sub(physical: str) -> str:
    return f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{physical}"


def execution_arn_sub(physical: str) -> str:
    return f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{physical}:*"


def secret_arn_sub(physical: str) -> str:
    # Secrets Manager appends "-" and 6 random characters to every secret ARN.
    return f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{physical}-??????"


def bucket_arn_sub(bucket_sub: str) -> str:
    return f"arn:${{AWS::Partition}}:s3:::{bucket_sub}"


def log_group_arn_sub(function_physical: str) -> str:
    return (f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/"
            f"{function_physical}")
