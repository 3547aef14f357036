"""SAM -> plain CloudFormation, offline, with aws-sam-translator.

The deploy path and tools without the SAM transform read the translated
template. Code locations become content-addressed S3 keys in the deployment
bucket (a template parameter), so the translated template is deterministic and
the same keys are what the deployer uploads.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any, Mapping

from sls_neutral.core.errors import SlsnError

DEPLOYMENT_BUCKET_PARAM = "DeploymentBucket"


class _OfflinePolicyLoader:
    """The managed-policy loader samtranslator asks for; the templates name no managed policy, so no AWS call."""

    def load(self) -> dict[str, str]:
        return {}


def code_key(service: str, stage: str, sha256: str, suffix: str = "zip") -> str:
    return f"{service}/{stage}/{'code' if suffix == 'zip' else 'templates'}/{sha256}.{suffix}"


def with_s3_code(sam: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``sam`` whose CodeUri paths are (DeploymentBucket, key) pairs; ``keys``: local path -> key."""
    # Copy-on-write: only the functions' Properties change; the rest is shared with ``sam`` (translate
    # never mutates its input: the samtranslator path deep-copies it first).
    out = dict(sam)
    resources = dict(out.get("Resources", {}))
    for rid, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        path = resource["Properties"].get("CodeUri")
        if isinstance(path, str):
            if path not in keys:
                raise SlsnError(f"no artifact for code path '{path}'")
            resources[rid] = {**resource, "Properties": {
                **resource["Properties"], "CodeUri": {"Bucket": {"Ref": DEPLOYMENT_BUCKET_PARAM}, "Key": keys[path]}}}
    if "Resources" in out:
        out["Resources"] = resources
    params = dict(out.get("Parameters") or {})
    params[DEPLOYMENT_BUCKET_PARAM] = {"Type": "String", "Description": "Bucket holding the function code"}
    out["Parameters"] = dict(sorted(params.items()))
    return out


def translate(sam: Mapping[str, Any], region: str = "us-east-1", *, sorted_copy: bool = True) -> dict[str, Any]:
    """The CloudFormation equivalent of a SAM template (no AWS calls).

    The part of SAM this provider writes is expanded natively (:mod:`.fastcfn`, byte-identical and ~100x
    faster); any other template goes through samtranslator. ``SLSN_AWS_TRANSLATOR=samtranslator`` forces it.

    ``sorted_copy=False`` is for a caller that only serializes the result with sorted keys (canonical_json):
    the native expansion is returned as built, which skips a JSON round trip of the whole template (a third
    of the expansion's cost), but its keys are in expansion order and it shares unchanged values (tags,
    environments, plain CloudFormation resources) with ``sam``: edit neither afterwards.
    """
    if os.environ.get("SLSN_AWS_TRANSLATOR", "") != "samtranslator":
        from sls_neutral.providers.aws.fastcfn import Unsupported, translate_fast

        try:
            fast = translate_fast(sam)
        except Unsupported:
            pass
        else:
            if not sorted_copy:
                return fast
            # json's C encoder and decoder rebuild the tree with sorted keys ~5x faster than _sorted
            return json.loads(json.dumps(fast, sort_keys=True, ensure_ascii=False))
    return translate_with_samtranslator(sam, region)


def translate_with_samtranslator(sam: Mapping[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """The reference expansion: aws-sam-translator, offline."""
    import logging

    from sls_neutral.core import buildrecord

    # samtranslator derives names from the code's S3 key (a Lambda version's hash) and orders some lists
    # by hash seed: an incremental replay could not reproduce them, so such a build is never replayed.
    buildrecord.refuse("samtranslator")

    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # A session with an explicit region needs no credentials and makes no call; samtranslator reads the
    # region and partition from it.
    session = boto3.session.Session(region_name=region, aws_access_key_id="offline",
                                    aws_secret_access_key="offline")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its metrics warn on stderr otherwise
    translator = Translator(None, Parser(), boto_session=session)
    try:
        result = translator.translate(copy.deepcopy(dict(sam)), {},
                                      get_managed_policy_map=_OfflinePolicyLoader().load)
    except InvalidDocumentException as exc:
        causes = "; ".join(str(c) for c in exc.causes) or str(exc)
        raise SlsnError(f"the SAM template does not translate: {causes}",
                        hint="this is a bug in the AWS provider; run with SLSN_DEBUG=1 and report it") from exc
    return _sorted(result)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value
