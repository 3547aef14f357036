import json

from sls_neutral.core.artifacts import ArtifactSet
from sls_neutral.core.provider import FEATURES
from sls_neutral.providers.local.dispatch import retry_backoff, subscriptions
from sls_neutral.providers.local.planning import diff_deployments
from sls_neutral.providers.local.provider import LocalProvider, deployment_description
from sls_neutral.providers.local.store import InvalidKey, validate_key, secret_env_name

import pytest


def test_every_feature_is_declared_full():
    provider = LocalProvider()
    assert set(provider.capabilities) == set(FEATURES)
    assert all(provider.support(f).level == "full" for f in FEATURES)
    assert "not replayed" in provider.support("schedule.cron").note


def test_emit_is_deterministic_and_has_no_paths_or_clock(photo_app):
    a, b = ArtifactSet("local"), ArtifactSet("local")
    LocalProvider().emit(photo_app, a)
    LocalProvider().emit(photo_app, b)
    assert a.rendered() == b.rendered()
    data = json.loads(a.rendered()["local/deployment.json"])
    assert data["topics"] == {"photo-events": {"functions": ["audit"], "queues": []}}
    assert data["queues"]["resize-jobs"]["max_receives"] == 3
    assert {"method": "GET", "path": "/photos/{id}", "target": "function:api", "cors": True} in data["routes"]


def test_plan_diff(photo_app):
    desired = deployment_description(photo_app)
    first = diff_deployments(None, desired)
    assert {a.op for a in first} == {"create"}
    assert [a.op for a in diff_deployments(desired, desired) if a.op != "noop"] == []
    changed = json.loads(json.dumps(desired))
    changed["functions"]["resize"]["timeout"] = 99
    del changed["queues"]["resize-jobs-dlq"]
    ops = {(a.op, a.resource_type, a.name) for a in diff_deployments(desired, changed) if a.op != "noop"}
    assert ops == {("update", "local.function", "resize"), ("delete", "local.queue", "resize-jobs-dlq")}


def test_subscriptions_from_the_ir(photo_app):
    subs = {(s.queue, s.function, s.batch_size) for s in subscriptions(photo_app)}
    assert subs == {("resize-jobs", "resize", 5), ("~topic/photo-events/audit", "audit", 10),
                    ("~bucket/photos/on-upload", "on-upload", 10)}


def test_retry_backoff_grows_and_is_capped():
    assert retry_backoff(1) < retry_backoff(2) < retry_backoff(3)
    assert retry_backoff(50) == 10.0


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "a//b", "a/", "", "a\x00b", "a\\b", "./a"])
def test_keys_that_could_escape_are_refused(key):
    with pytest.raises(InvalidKey):
        validate_key(key)


def test_valid_keys_and_secret_env_names():
    assert validate_key("uploads/2024/a.b.jpg") == "uploads/2024/a.b.jpg"
    assert secret_env_name("stripe-key") == "SLSN_SECRET_STRIPE_KEY"
