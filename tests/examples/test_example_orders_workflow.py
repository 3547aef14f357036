"""examples/orders-workflow: validate -> choice on amount -> parallel charge/reserve with retry -> catch -> notify.

Deployed on the local provider, started through its http trigger, observed through `workflow status` and
`workflow history`; then packaged for every cloud (Step Functions, Cloud Workflows, Durable Functions).
"""

from __future__ import annotations

import json

import pytest

from examples_helpers import (check_aws, check_azure, check_gcp, gcp_workflow_schema_errors, resource_types,
                              shared_path, trigger_types)
from local_helpers import http, state_dir, wait_for

pytestmark = [pytest.mark.functional]

DONE = ("SUCCEEDED", "FAILED", "TIMED_OUT")
ENDED = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut")


def start_over_http(port, order: dict) -> str:
    status, body = http(port, "POST", "/orders", body=json.dumps(order).encode())
    assert status == 202, body
    return json.loads(body)["execution_id"]


def order_events(root) -> list[dict]:
    """What record-event (the order-events subscriber) logged so far, read from its log file: cheaper to poll
    than the CLI (`sls-neutral logs record-event`, used once at the end, reads the same file)."""
    log = state_dir(root) / "logs" / "record-event.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(l) for l in lines if '"message": "order event"' in l]


def status(cli, root, execution: str) -> dict:
    """`workflow status`, polled until the execution ended."""
    def ended():
        out = cli("workflow", "status", execution, "--output", "json", cwd=root)
        data = json.loads(out.stdout) if out.returncode == 0 else {}
        return data if data.get("status") in DONE else None
    return wait_for(ended, 60, 0.2, f"execution {execution} to end")


def history(cli, root, execution: str) -> list[dict]:
    """`workflow history`, polled until its last event ends the execution."""
    def ended():
        out = cli("workflow", "history", execution, "--output", "json", cwd=root)
        events = json.loads(out.stdout) if out.returncode == 0 else []
        return events if events and events[-1]["type"] in ENDED else None
    return wait_for(ended, 60, 0.2, f"execution {execution} to end")


def test_both_branches_of_the_choice_and_the_catch_path(service_copy, deployed, cli):
    root = service_copy("orders-workflow")
    port, _ = deployed(root)
    executions = {
        "normal": start_over_http(port, {"id": "o-normal", "amount": 42, "items": ["book"]}),
        "high": start_over_http(port, {"id": "o-high", "amount": 2000, "items": ["desk"]}),
        "declined": start_over_http(port, {"id": "o-declined", "amount": 6000}),
        "no-stock": start_over_http(port, {"id": "o-stock", "amount": 10, "items": ["unobtainium"]}),
        "invalid": start_over_http(port, {"id": "o-invalid"}),
    }
    # every order but the invalid one ends with notify -> topic order-events -> record-event
    wait_for(lambda: len(order_events(root)) >= 4, 60, 0.1, "four orders published by notify")

    # the switch on $.order.amount > 1000, both branches; `status` gives the output...
    high = status(cli, root, executions["high"])
    assert high["status"] == "SUCCEEDED"
    assert high["output"] == {"id": "o-high", "status": "CONFIRMED", "priority": "high"}
    # ... and `history` every step on the way (its last event carries the output)
    normal = history(cli, root, executions["normal"])
    assert normal[-1]["type"] == "ExecutionSucceeded"
    assert normal[-1]["detail"]["output"] == {"id": "o-normal", "status": "CONFIRMED", "priority": "normal"}
    assert not [e for e in normal if e["type"] == "ErrorCaught"]
    assert {e["step"] for e in normal if e["type"] == "StepSucceeded"} >= {"validate", "charge", "reserve", "both",
                                                                            "tell"}
    # the catch: a declined card (charge) or missing stock (reserve) fails the parallel step -> status FAILED
    declined = history(cli, root, executions["declined"])
    assert declined[-1]["detail"]["output"] == {"id": "o-declined", "status": "FAILED", "priority": "high"}
    caught = [e for e in declined if e["type"] == "ErrorCaught"]
    assert [(e["step"], e["detail"]["error"]) for e in caught] == [("fulfil", "PaymentDeclined")]
    no_stock = history(cli, root, executions["no-stock"])
    assert no_stock[-1]["detail"]["output"] == {"id": "o-stock", "status": "FAILED", "priority": "normal"}
    assert ("reserve", "OutOfStock") in {(e["step"], e["detail"]["error"]) for e in no_stock
                                         if e["type"] == "StepFailed"}
    # an error nobody catches fails the execution with its name
    invalid = status(cli, root, executions["invalid"])
    assert (invalid["status"], invalid["error"]) == ("FAILED", "InvalidOrder")

    # the retry: an amount ending in .13 times out twice (PaymentTimeout), then the charge goes through.
    # Started alone, so every attempt reaches the same warm worker, which counts the attempts.
    flaky = start_over_http(port, {"id": "o-flaky", "amount": 10.13})
    wait_for(lambda: len(order_events(root)) >= 5, 60, 0.1, "the flaky order's outcome")
    events = history(cli, root, flaky)
    assert events[-1]["detail"]["output"] == {"id": "o-flaky", "status": "CONFIRMED", "priority": "normal"}
    retries = [e["detail"] for e in events if e["type"] == "RetryScheduled" and e["step"] == "charge"]
    assert [(r["attempt"], r["error"]) for r in retries] == [(2, "PaymentTimeout"), (3, "PaymentTimeout")]
    assert all(0 <= r["delay"] <= 5 for r in retries)  # full jitter, under max_delay

    # notify published every outcome on order-events; record-event (a topic subscriber) logged each one
    out = cli("logs", "record-event", "--output", "json", cwd=root)
    events = [json.loads(l) for l in json.loads(out.stdout) if '"message": "order event"' in l]
    assert sorted((e["id"], e["status"]) for e in events) == [
        ("o-declined", "FAILED"), ("o-flaky", "CONFIRMED"), ("o-high", "CONFIRMED"), ("o-normal", "CONFIRMED"),
        ("o-stock", "FAILED")]


def test_package_all_passes_each_providers_checks(packaged):
    out = packaged("orders-workflow").out
    template = check_aws(out, {"validate-order": "src/orders.py", "charge-card": "src/payments.py",
                               "reserve-stock": "src/stock.py", "notify": "src/notify.py"})
    types = resource_types(template)
    assert types["AWS::StepFunctions::StateMachine"] == 1
    machine = next(r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    definition = json.dumps(machine["Properties"])
    assert "PaymentTimeout" in definition and "PaymentDeclined" in definition and "OutOfStock" in definition
    gcp = check_gcp(out)
    assert len(gcp["workflows"]) == 1
    indexed = check_azure(out)
    assert trigger_types(indexed) == {"orchestrationTrigger": 1, "activityTrigger": 1, "httpTrigger": 1,
                                      "queueTrigger": 1, "serviceBusTrigger": 1}
    assert indexed["process-order"] == [{"direction": "IN", "name": "context", "type": "orchestrationTrigger"}]


def test_gcp_workflow_validates_against_the_shared_schema(packaged):
    schema = shared_path("schemas", "gcp-workflows.schema.json")
    assert gcp_workflow_schema_errors(packaged("orders-workflow", "gcp").out, schema) == []
