"""Random YAML thrown at ``validate`` only ever gives exit 0 or 1 (never a crash, exit 3).

Two generators: raw text built from YAML's punctuation and manifest words, and
structured documents built from the manifest's own vocabulary (so the fuzzer
reaches deep into validation and the compiler, not only the YAML parser).
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sls_neutral.core.cli.main import run
from sls_neutral.core.manifest.schema import TOP_LEVEL_KEYS

WORDS = list(TOP_LEVEL_KEYS) + [
    "handler", "memory", "timeout", "triggers", "http", "queue", "topic", "schedule", "bucket", "method", "path",
    "name", "cron", "rate", "permissions", "environment", "steps", "call", "set", "switch", "parallel", "map",
    "wait", "try", "catch", "retry", "return", "fail", "result", "input", "when", "default", "items", "dead_letter",
    "max_receives", "fifo", "api", "jobs", "photos", "src/ok.py:h", "${env:HOME}", "${param:x}", "${self:service}",
    "${opt:a}", "${secret:k}", "${file(x.yaml):a}", "${", "}", "512MB", "10s", "0 3 * * *", "$.a", "$.a > 1", "no",
    "on", "yes", "null", "~", "-1", "1e9", "demo",
]

scalars = st.one_of(st.sampled_from(WORDS), st.integers(-5, 10**6), st.booleans(), st.none(),
                    st.text(max_size=12), st.floats(allow_nan=False, allow_infinity=False))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(WORDS), children, max_size=5)),
    max_leaves=25,
)
raw_text = st.lists(st.sampled_from(WORDS + [":", " ", "\n", "  ", "- ", "{", "}", "[", "]", ",", "'", '"', "\t",
                                             "#", "&a", "*a", "!!str", "? ", "|", ">"]), max_size=40).map("".join)

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _validate(tmp_path, text: str) -> int:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "ok.py").write_text("def h(r, c):\n    return None\n")
    (tmp_path / "sls-neutral.yaml").write_text(text, encoding="utf-8")
    return run(["validate", "-c", str(tmp_path / "sls-neutral.yaml")])


@FUZZ
@given(doc=documents)
def test_structured_documents(tmp_path, capsys, doc):
    if isinstance(doc, dict):
        doc.setdefault("service", "demo")
    code = _validate(tmp_path, json.dumps(doc))  # JSON is YAML 1.2
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert "internal error" not in out.err


@FUZZ
@given(text=raw_text)
def test_raw_text(tmp_path, capsys, text):
    code = _validate(tmp_path, "service: demo\n" + text)
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert "internal error" not in out.err
