"""examples/photo-pipeline: packaged for every cloud.

Its end-to-end test on the local provider is tests/functional/local/test_photo_pipeline.py (upload API ->
bucket -> queue -> resize -> topic fan-out, and a poisoned photo in the DLQ); it is not repeated here.
"""

from __future__ import annotations

import pytest

from examples_helpers import REPO, check_aws, check_azure, check_gcp, resource_types, trigger_types

pytestmark = [pytest.mark.functional]


def test_the_end_to_end_test_exists():
    e2e = REPO / "tests" / "functional" / "local" / "test_photo_pipeline.py"
    assert 'service_copy("photo-pipeline")' in e2e.read_text()


def test_package_all_passes_each_providers_checks(packaged):
    out = packaged("photo-pipeline").out
    template = check_aws(out, {"api": "src/api.py", "on-upload": "src/on_upload.py", "resize": "src/resize.py",
                               "audit": "src/audit.py", "notify": "src/notify.py"})
    types = resource_types(template)
    assert types["AWS::Lambda::Function"] == 5 and types["AWS::S3::Bucket"] == 1
    assert types["AWS::SQS::Queue"] == 2  # resize-jobs + resize-jobs-dlq
    assert types["AWS::SNS::Subscription"] == 2 and types["AWS::Lambda::EventSourceMapping"] == 1
    queue = next(r for r in template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"
                 and "RedrivePolicy" in r["Properties"])
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 3
    gcp = check_gcp(out)
    assert sorted(s["kind"] for s in gcp["functions"].values()) == ["bucket", "http", "queue", "topic", "topic"]
    assert trigger_types(check_azure(out)) == {"httpTrigger": 2, "blobTrigger": 1, "queueTrigger": 1,
                                               "serviceBusTrigger": 2}
