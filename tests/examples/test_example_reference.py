"""examples/reference: MANIFEST.md's example manifest, run on the local provider and packaged for every cloud.

Its workflow's last step returns ``$.status``; the success path sets it too (``confirmed``), so an order that
is neither declined nor invalid ends CONFIRMED instead of failing on a missing path.
"""

from __future__ import annotations

import json

import pytest

from examples_helpers import (EXAMPLE_ENV, check_aws, check_azure, check_gcp, gcp_workflow_schema_errors,
                              resource_types, shared_path, trigger_types)
from local_helpers import http, state_dir, wait_for

pytestmark = [pytest.mark.functional]


def start(cli, root, order: dict) -> dict:
    result = cli("workflow", "start", "process-order", "--input", json.dumps(order), "--wait", "--output", "json",
                 cwd=root, env=EXAMPLE_ENV)
    return json.loads(result.stdout)


def test_every_path_of_the_workflow_ends_with_a_status(cli, service_copy):
    root = service_copy("reference")
    confirmed = start(cli, root, {"id": "o1", "amount": 20})
    assert confirmed["status"] == "SUCCEEDED", confirmed
    assert confirmed["output"] == {"id": "o1", "status": "CONFIRMED"}
    declined = start(cli, root, {"id": "o2", "amount": 9000})  # pay.py declines above 5,000: caught
    assert declined["status"] == "SUCCEEDED" and declined["output"] == {"id": "o2", "status": "FAILED"}
    invalid = start(cli, root, {"id": "o3"})  # orders.py raises InvalidOrder: not caught
    assert (invalid["status"], invalid["error"]) == ("FAILED", "InvalidOrder")

    history = cli("workflow", "history", confirmed["execution_id"], "--output", "json", cwd=root, env=EXAMPLE_ENV)
    events = json.loads(history.stdout)
    assert [e["type"] for e in events][-1] == "ExecutionSucceeded"
    assert events[-1]["detail"]["output"] == {"id": "o1", "status": "CONFIRMED"}


def test_upload_pipeline_and_order_endpoint_on_the_local_runtime(cli, service_copy, deployed):
    root = service_copy("reference")
    port, _ = deployed(root, env=EXAMPLE_ENV)
    status, body = http(port, "POST", "/photos", body=b"\xff\xd8" + b"x" * 2000)
    assert status == 201, body
    key = json.loads(body)["key"]
    bucket = state_dir(root) / "buckets" / "photos"
    # bucket trigger -> on-upload -> resize-jobs -> resize writes the thumbnail; photo-events -> audit logs it
    thumb = bucket / "thumbs" / key.rsplit("/", 1)[-1]
    wait_for(thumb.exists, 30, what="the thumbnail written by resize")
    assert thumb.read_bytes() == (bucket / key).read_bytes()[:1024]

    def audited():
        out = cli("logs", "audit", "--output", "json", cwd=root, env=EXAMPLE_ENV)
        return [json.loads(line) for line in json.loads(out.stdout) if '"message": "audit"' in line]
    assert wait_for(audited, 30, 0.3, "audit's log line")[0]["data"] == {"uploaded": key}

    status, body = http(port, "POST", "/orders", body=b'{"id": "o9", "amount": 12}')
    assert status == 202, body
    execution = json.loads(body)["execution_id"]

    def finished():
        out = cli("workflow", "status", execution, "--output", "json", cwd=root, env=EXAMPLE_ENV)
        data = json.loads(out.stdout) if out.returncode == 0 else {}
        return data if data.get("status") in ("SUCCEEDED", "FAILED") else None
    assert wait_for(finished, 30, 0.3, "the order execution")["output"] == {"id": "o9", "status": "CONFIRMED"}


def test_package_all_passes_each_providers_checks(packaged):
    out = packaged("reference").out
    template = check_aws(out, {"api": "src/api.py", "resize": "src/resize.py", "charge-card": "src/pay.py",
                               "validate-order": "src/orders.py"})
    types = resource_types(template)
    assert types["AWS::StepFunctions::StateMachine"] == 1 and types["AWS::Scheduler::Schedule"] == 1
    assert types["AWS::Lambda::Function"] == 9  # 8 functions + the workflow's http starter
    assert types["AWS::SQS::Queue"] == 2  # resize-jobs and its dead-letter queue
    gcp = check_gcp(out)
    assert len(gcp["workflows"]) == 1 and len(gcp["scheduler_jobs"]) == 1
    assert trigger_types(check_azure(out)) == {"httpTrigger": 3, "blobTrigger": 1, "queueTrigger": 2,
                                               "serviceBusTrigger": 1, "timerTrigger": 1,
                                               "orchestrationTrigger": 1, "activityTrigger": 1}


def test_gcp_workflow_validates_against_the_shared_schema(packaged):
    schema = shared_path("schemas", "gcp-workflows.schema.json")
    assert gcp_workflow_schema_errors(packaged("reference", "gcp").out, schema) == []
