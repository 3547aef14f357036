"""The libyaml fast path of the manifest loader reads what ruamel reads: same data, same positions.

When it cannot be sure (tags, aliases, merge keys, duplicate keys, numbers YAML 1.1 and 1.2 read
differently, syntax errors), it must step aside so ruamel decides (and words the errors).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sls_neutral.core.manifest.yamlpos import _fast_load, _ruamel_load, load_yaml_text

REPO = Path(__file__).resolve().parents[3]
FILES = sorted(p for pattern in ("examples/**/*.yaml", "examples/**/*.yml", "tests/**/*.yaml", "tests/**/*.yml",
                                 "templates/**/*.yaml", "docs/**/*.yaml")
               for p in REPO.glob(pattern) if ".sls-neutral" not in p.parts)


def same(text: str) -> bool:
    """True when the fast path took the document (and then it must agree with ruamel)."""
    fast = _fast_load(text, "m.yaml")
    if fast is None:
        return False
    slow = _ruamel_load(text, "m.yaml")
    assert fast.data == slow.data
    assert [type(v) for v in _leaves(fast.data)] == [type(v) for v in _leaves(slow.data)]
    assert fast.value_pos == slow.value_pos
    assert fast.key_pos == slow.key_pos
    return True


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_every_yaml_file_of_the_repository():
    taken = 0
    for path in FILES:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            _ruamel_load(text, "m.yaml")
        except Exception:
            assert _fast_load(text, "m.yaml") is None or True  # errors: whatever fast does, load_yaml_text raises
            continue
        taken += same(text)
    assert taken >= 10


def test_generated_bench_manifest(tmp_path):
    sys.path.insert(0, str(REPO))
    from bench.gen import generate

    root = generate(50, tmp_path / "svc")
    assert same((root / "sls-neutral.yaml").read_text())


PLAIN = """\
service: my-app   # comment
empty:
nulls: [~, null, Null, NULL]
bools: [true, True, FALSE, false]
yaml11_words: [yes, no, on, off, y, n, Yes]
ints: [0, 7, -12, 1000000]
floats: [1.5, -0.25, 10.0]
strings: ["1", '2', "true", abc, a b c, "x: y"]
block: |
  line one
  line two
folded: >
  folded
  text
flow: {a: 1, b: [x, y], c: {d: e}}
nested:
  - name: one
    value:
      deep: [1, {k: v}]
  -
    - inner
"""


def test_plain_documents_are_read_identically():
    assert same(PLAIN)
    assert same("")
    assert same("just a scalar\n")
    assert same("- a\n- b\n")
    assert same("a: 12:30\nb: 10s\nc: 256MB\nd: 00000000-0000-0000-0000-000000000000\ne: 1h\n")


@pytest.mark.parametrize("text", [
    "a: 010\n", "a: 0o17\n", "a: 0x1F\n", "a: 1e3\n", "a: .inf\n", "a: 2024-01-01\n",
    "a: +5\n", "a: 1_000\n", "a: !Ref x\n", "a: &x 1\nb: *x\n", "base: &b {x: 1}\nc:\n  <<: *b\n",
    "a: 1\na: 2\n", "1: x\n", "? [a]\n: b\n", "a: [1\n", "a: 1\n---\nb: 2\n", "\ta: 1\n",
])
def test_anything_ambiguous_goes_to_ruamel(text):
    assert _fast_load(text, "m.yaml") is None
    try:
        expected = _ruamel_load(text, "m.yaml").data
    except Exception as exc:  # the same error either way
        with pytest.raises(type(exc)):
            load_yaml_text(text, "m.yaml")
    else:
        assert load_yaml_text(text, "m.yaml").data == expected
