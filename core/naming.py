"""Provider-safe resource names: one helper, parameterized by each provider's rules.

Names are built from parts (service, stage, resource), cleaned to the allowed
characters, and when too long truncated with a stable hash suffix, so the same
inputs always give the same name and two long names rarely collide.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class NameRules:
    max_length: int
    allowed: str = r"a-zA-Z0-9-"  # a regex character-class body
    separator: str = "-"
    lowercase: bool = False
    must_start_with_letter: bool = False
    hash_length: int = 8


AWS_LAMBDA = NameRules(64, r"a-zA-Z0-9-_")
AWS_SQS = NameRules(80, r"a-zA-Z0-9-_")  # ".fifo" is appended by the provider and counted
AWS_SNS = NameRules(256, r"a-zA-Z0-9-_")
AWS_S3 = NameRules(63, r"a-z0-9-", lowercase=True, must_start_with_letter=True)
AWS_IAM_ROLE = NameRules(64, r"a-zA-Z0-9+=,.@_-")
AWS_STATE_MACHINE = NameRules(80, r"a-zA-Z0-9-_")
GCP_FUNCTION = NameRules(63, r"a-z0-9-", lowercase=True, must_start_with_letter=True)
GCP_SERVICE_ACCOUNT = NameRules(30, r"a-z0-9-", lowercase=True, must_start_with_letter=True, hash_length=6)
GCP_PUBSUB = NameRules(255, r"a-zA-Z0-9-_.~+%", must_start_with_letter=True)
GCP_BUCKET = NameRules(63, r"a-z0-9-_", lowercase=True)
AZURE_FUNCTION_APP = NameRules(60, r"a-zA-Z0-9-")
AZURE_STORAGE_ACCOUNT = NameRules(24, r"a-z0-9", separator="", lowercase=True, hash_length=6)
AZURE_QUEUE = NameRules(63, r"a-z0-9-", lowercase=True)
AZURE_CONTAINER = NameRules(63, r"a-z0-9-", lowercase=True)


def stable_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


@lru_cache(maxsize=65536)
def resource_name(*parts: str, rules: NameRules) -> str:
    """Join ``parts`` under ``rules``; truncated names end with a stable hash of the full name.

    Memoized: a pure function that the providers call several times per function and resource.
    """
    joined = rules.separator.join(p for p in parts if p)
    if rules.lowercase:
        joined = joined.lower()
    cleaned = re.sub(f"[^{rules.allowed}]", rules.separator or "", joined)
    if rules.separator:
        cleaned = re.sub(re.escape(rules.separator) + "{2,}", rules.separator, cleaned).strip(rules.separator)
    if rules.must_start_with_letter and (not cleaned or not cleaned[0].isalpha()):
        cleaned = "x" + rules.separator + cleaned if rules.separator else "x" + cleaned
    if len(cleaned) <= rules.max_length:
        return cleaned
    suffix = stable_hash(joined, rules.hash_length)
    keep = rules.max_length - len(suffix) - len(rules.separator)
    head = cleaned[:keep].rstrip(rules.separator) if rules.separator else cleaned[:keep]
    return f"{head}{rules.separator}{suffix}"
