"""User errors cross from a forked build process to the parent by pickle: they must arrive whole."""

import pickle

import pytest

from sls_neutral.core.errors import (Diagnostic, ManifestError, Position, SlsnError, UnsupportedFeatureError)


def _round_trip(error):
    return pickle.loads(pickle.dumps(error))


def test_a_manifest_error_keeps_every_diagnostic():
    diagnostics = [Diagnostic("first", Position("m.yaml", 3, 5), "fix it"),
                   Diagnostic("second", Position("m.yaml", 9), code="unknown-key")]
    copy = _round_trip(ManifestError(diagnostics))
    assert type(copy) is ManifestError
    assert copy.diagnostics == diagnostics
    assert copy.render() == ManifestError(diagnostics).render()


@pytest.mark.parametrize("error", [
    SlsnError("plain"),
    UnsupportedFeatureError("no workflows here", position=Position("m.yaml", 4, 1), hint="use aws"),
])
def test_keyword_arguments_survive(error):
    copy = _round_trip(error)
    assert type(copy) is type(error)
    assert (copy.message, copy.position, copy.hint, copy.render()) == \
        (error.message, error.position, error.hint, error.render())


def test_a_plugin_error_with_its_own_init_survives():
    class Refusal(SlsnError):
        def __init__(self, resource, limit):
            super().__init__(f"{resource} exceeds {limit}", hint="split it")
            self.resource = resource

    globals()["Refusal"] = Refusal  # pickle finds classes by module and name
    Refusal.__qualname__ = "Refusal"
    copy = _round_trip(Refusal("bucket", 3))
    assert (type(copy), copy.resource, copy.render()) == (Refusal, "bucket", Refusal("bucket", 3).render())
