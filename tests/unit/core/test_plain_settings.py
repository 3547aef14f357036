"""Each built-in provider's ``settings_fields`` (the pydantic-free check of ``providers.<name>``) agrees with
its pydantic ``settings_model``: same fields and defaults, and on seeded random blocks plain accepts only what
the model accepts, with the same complete mapping."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from sls_neutral.core.manifest.plain import check_flat
from sls_neutral.providers.aws.provider import AwsProvider
from sls_neutral.providers.azure.provider import AzureProvider
from sls_neutral.providers.gcp.provider import GcpProvider
from sls_neutral.providers.local.provider import LocalProvider

PROVIDERS = [AwsProvider(), GcpProvider(), AzureProvider(), LocalProvider()]
CANDIDATES = [None, "", "a", "us-east-1", "eu-west-3", "us-gov-west-1", "US-EAST-1", "arm64", "x86_64", "flex",
              "consumption", "bench-project", "my-project-1", "123456", "12345678901234567890123", "ALLOW_ALL",
              "ALLOW_INTERNAL_ONLY", "allow_all", "sa-", "abcdefghijk", "my.bucket-1", "ab", "Stack-1", "1stack",
              "x" * 91, "x" * 129, 0, 1, 64, 65, 100, 1000, 1001, 6, 6.5, -1, 0.0, True, False, {}, {"team": "a"},
              {"team": 1}, {1: "a"}, [], ["a"], float("inf")]


def _pydantic(model, data):
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError:
        return None


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_fields_and_defaults_match_the_model(provider):
    fields, model = provider.settings_fields(), provider.settings_model()
    assert set(fields) == set(model.model_fields)
    assert check_flat(fields, {}) == model().model_dump(mode="json")


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_seeded_blocks_never_make_plain_and_the_model_disagree(provider):
    fields, model = provider.settings_fields(), provider.settings_model()
    rng = random.Random(f"settings-{provider.name}")
    names = [*fields, "regoin", "extra"]
    accepted = 0
    for _ in range(3000):
        data = {rng.choice(names): rng.choice(CANDIDATES) for _ in range(rng.randint(0, 4))}
        fast = check_flat(fields, data)
        if fast is not None:
            assert fast == _pydantic(model, data), data
            accepted += 1
    assert accepted > 50, accepted


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_valid_values_of_every_field_are_accepted(provider):
    """Not a dead path: for every field some candidate the model accepts is accepted by plain as well."""
    fields, model = provider.settings_fields(), provider.settings_model()
    for name in fields:
        valid = [v for v in CANDIDATES if _pydantic(model, {name: v}) is not None]
        assert any(check_flat(fields, {name: v}) is not None for v in valid), name
