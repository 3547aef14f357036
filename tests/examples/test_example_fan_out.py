"""examples/fan-out: one topic, three subscribers (two functions and a queue), deployed locally and packaged."""

from __future__ import annotations

import json

import pytest

from examples_helpers import check_aws, check_azure, check_gcp, resource_types, trigger_types
from local_helpers import http, state_dir, wait_for

pytestmark = [pytest.mark.functional]


def log_lines(cli, root, function):
    out = cli("logs", function, "--output", "json", cwd=root)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in json.loads(out.stdout)]


def test_every_subscriber_observes_the_message(service_copy, deployed, cli):
    root = service_copy("fan-out")
    port, _ = deployed(root)
    crm = state_dir(root) / "buckets" / "crm"

    status, body = http(port, "POST", "/signups", body=b'{"name": "no email"}')
    assert status == 400 and json.loads(body) == {"error": "email is required"}  # nothing is published
    status, body = http(port, "POST", "/signups", body=b'{"email": "ada@example.com", "name": "Ada"}')
    assert status == 202 and json.loads(body) == {"accepted": "ada@example.com"}

    # subscriber 1, a function: crm-sync stores the contact
    contact = crm / "contacts" / "ada@example.com.json"
    wait_for(contact.exists, 30, what="crm-sync's contact")
    assert json.loads(contact.read_text()) == {"email": "ada@example.com", "name": "Ada"}
    # subscriber 2, the queue welcome-emails: send-welcome consumes it from the queue
    welcomed = crm / "welcomed" / "ada@example.com"
    wait_for(welcomed.exists, 30, what="send-welcome's marker (through the welcome-emails queue)")
    # subscriber 3, a function: analytics logs the domain
    signups = wait_for(lambda: [l for l in log_lines(cli, root, "analytics") if l.get("message") == "signup"], 30,
                       0.3, "analytics' log line")
    assert len(signups) == 1 and signups[0]["domain"] == "example.com"

    # One request, one correlation id: it follows the message through the topic and the queue.
    requests = [l for l in log_lines(cli, root, "signup") if l.get("outcome") == "ok"]
    assert len(requests) == 2  # the 400 and the 202
    request = next(l for l in requests if l["correlation_id"] == signups[0]["correlation_id"])
    sources = {}
    for function in ("crm-sync", "analytics", "send-welcome"):
        ok = [l for l in log_lines(cli, root, function) if l.get("outcome") == "ok"]
        assert len(ok) == 1, function  # each subscriber got the one message exactly once
        assert ok[0]["correlation_id"] == request["correlation_id"], function
        sources[function] = ok[0]["source"]
    assert sources == {"crm-sync": "topic signups", "analytics": "topic signups",
                       "send-welcome": "queue welcome-emails"}
    assert sorted(p.name for p in (crm / "contacts").iterdir()) == ["ada@example.com.json"]

    info = json.loads(cli("info", "--output", "json", cwd=root).stdout)
    topic = next(t for t in info["topics"] if t["name"] == "signups")
    assert topic["queues"] == ["welcome-emails"]
    assert sorted(s["function"] for s in topic["subscribers"]) == ["analytics", "crm-sync"]
    queue = next(q for q in info["queues"] if q["name"] == "welcome-emails")
    assert queue["consumers"] == ["send-welcome"] and queue["dead_letter"] == "welcome-emails-dlq"
    assert queue["depth"]["total"] == 0


def test_package_all_passes_each_providers_checks(packaged):
    out = packaged("fan-out").out
    template = check_aws(out, {"signup": "src/fanout.py", "crm-sync": "src/fanout.py",
                               "analytics": "src/fanout.py", "send-welcome": "src/fanout.py"})
    types = resource_types(template)
    assert types["AWS::SNS::Topic"] == 1
    assert types["AWS::SNS::Subscription"] == 3  # two functions and the queue
    assert types["AWS::SQS::Queue"] == 2 and types["AWS::SQS::QueuePolicy"] == 1  # + DLQ; SNS may send
    assert types["AWS::Lambda::EventSourceMapping"] == 1
    gcp = check_gcp(out)
    assert sorted(spec["kind"] for spec in gcp["functions"].values()) == ["http", "queue", "topic", "topic"]
    # Azure: a Service Bus topic with a subscription per subscriber (the queue's consumer included)
    assert trigger_types(check_azure(out)) == {"httpTrigger": 1, "serviceBusTrigger": 3}
