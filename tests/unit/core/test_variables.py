from pathlib import Path

import pytest

from sls_neutral.core.manifest.variables import VariableContext, VariableError, resolve_string


def ctx(**kw):
    base = dict(root=Path("/nonexistent"), stage="dev", service="demo", params={"level": "INFO", "n": 3},
                options={"region": "eu-west-1"}, env={"HOME": "/home/u", "WHICH": "HOME"})
    base.update(kw)
    c = VariableContext(**base)
    c.self_lookup = lambda dotted: {"service": "demo", "a.b": [1, 2]}.get(dotted)
    return c


@pytest.mark.parametrize("text,expected", [
    ("${env:HOME}", "/home/u"),
    ("${env:MISSING, fallback}", "fallback"),
    ("${env:MISSING, 'quoted, comma'}", "quoted, comma"),
    ("${opt:region}", "eu-west-1"),
    ("${param:level}", "INFO"),
    ("${param:n}", 3),  # a whole-string variable keeps its type
    ("x-${param:n}-y", "x-3-y"),
    ("${stage}-${service}", "dev-demo"),
    ("${env:${env:WHICH}}", "/home/u"),  # nested
    ("${self:service}", "demo"),
    ("${secret:stripe}", "${secret:stripe}"),  # never resolved at build time
    ("pre ${secret:k} ${stage}", "pre ${secret:k} dev"),
])
def test_resolution(text, expected):
    assert resolve_string(text, ctx()) == expected


def test_option_overrides_param():
    assert resolve_string("${param:level}", ctx(options={"level": "DEBUG"})) == "DEBUG"


@pytest.mark.parametrize("text,fragment", [
    ("${env:NOPE}", "is not set"),
    ("${opt:nope}", "was not given"),
    ("${param:nope}", "not defined for stage 'dev'"),
    ("${bogus:x}", "unknown variable source"),
    ("${nothing}", "unknown variable"),
    ("${env:HOME", "unterminated"),
])
def test_errors(text, fragment):
    with pytest.raises(VariableError) as info:
        resolve_string(text, ctx())
    assert fragment in info.value.message


def test_mapping_cannot_be_embedded_in_text():
    c = ctx()
    c.self_lookup = lambda dotted: {"k": 1}
    with pytest.raises(VariableError):
        resolve_string("x ${self:a}", c)


def test_self_cycle_is_reported_not_looped():
    c = ctx()
    c.self_lookup = lambda dotted: "${self:" + dotted + "}"
    with pytest.raises(VariableError):
        resolve_string("${self:a}", c)
