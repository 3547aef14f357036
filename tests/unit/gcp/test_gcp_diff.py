"""Unit tests of the planner's comparisons: which update-mask paths differ, and when a replace is needed."""

from __future__ import annotations

import copy

from sls_neutral.providers.gcp.deploy import resources as res

SPEC = {
    "path": "projects/p/locations/r/functions/f", "description": "d", "labels": {"slsn-source": "abc", "a": "b"},
    "build": {"runtime": "python312", "entry_point": "http_entry", "source": "functions/f.zip"},
    "service": {"available_memory": "256Mi", "timeout_seconds": 10, "environment_variables": {"A": "1"},
                "max_instance_count": 100, "min_instance_count": 0, "ingress_settings": "ALLOW_ALL"},
}


def deployed(spec):
    """What the control plane returns for a function created from ``spec`` (plus platform additions)."""
    return {"name": spec["path"], "description": spec["description"], "labels": dict(spec["labels"]),
            "build_config": dict(spec["build"]), "state": "ACTIVE",
            "service_config": {**spec["service"], "environment_variables": {
                **spec["service"]["environment_variables"], "LOG_EXECUTION_ID": "true"},
                "timeout_seconds": spec["service"]["timeout_seconds"], "uri": "https://x"}}


def test_unchanged_function_has_no_paths():
    assert res.diff_function(SPEC, deployed(SPEC)) == []


def test_code_change_updates_the_source_and_labels():
    changed = copy.deepcopy(SPEC)
    changed["labels"]["slsn-source"] = "def"
    assert res.diff_function(changed, deployed(SPEC)) == ["labels", "build_config.source"]


def test_env_and_memory_changes_are_masked_individually():
    changed = copy.deepcopy(SPEC)
    changed["service"]["environment_variables"]["A"] = "2"
    changed["service"]["available_memory"] = "512Mi"
    assert res.diff_function(changed, deployed(SPEC)) == ["service_config.available_memory",
                                                         "service_config.environment_variables"]


def test_trigger_change_needs_a_replace():
    with_trigger = {**SPEC, "event_trigger": {"event_type": "google.cloud.pubsub.topic.v1.messagePublished",
                                              "pubsub_topic": "projects/p/topics/t"}}
    assert res.diff_function(with_trigger, deployed(SPEC)) is None


def test_subscription_topic_or_ordering_change_needs_a_replace():
    spec = {"path": "projects/p/subscriptions/s", "topic": "projects/p/topics/t", "enable_message_ordering": False,
            "ack_deadline_seconds": 60, "labels": {"a": "b"}}
    current = {"topic": "projects/p/topics/t", "ack_deadline_seconds": 60, "labels": {"a": "b"}}
    assert res.diff_subscription(spec, current) == []
    assert res.diff_subscription({**spec, "ack_deadline_seconds": 90}, current) == ["ack_deadline_seconds"]
    assert res.diff_subscription({**spec, "enable_message_ordering": True}, current) is None
