"""The block reader (core/manifest/yamlblock.py) reads what ruamel reads: same data, same positions.

Whatever it takes must be read exactly as ruamel reads it (types of scalars included); whatever ruamel
refuses or reads differently, it must leave to the other paths. Checked on every YAML file of the
repository, on generated manifests and on random documents written in many styles, most of them outside
the subset or not YAML at all.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from sls_neutral.core.manifest.yamlblock import load_block
from sls_neutral.core.manifest.yamlpos import _ruamel_load

REPO = Path(__file__).resolve().parents[3]


def agrees(text: str) -> bool:
    """True when the block reader took the document; then ruamel must read the same."""
    block = load_block(text, "m.yaml")
    if block is None:
        return False
    try:
        slow = _ruamel_load(text, "m.yaml")
    except Exception as exc:  # pragma: no cover - the failure this test exists for
        raise AssertionError(f"the block reader took a document ruamel refuses ({exc}):\n{text}") from None
    assert block.data == slow.data, text
    assert _types(block.data) == _types(slow.data), text
    assert block.value_pos == slow.value_pos, text
    assert block.key_pos == slow.key_pos, text
    return True


def _types(value):
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def test_every_yaml_file_of_the_repository():
    listed = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    taken = 0
    for name in listed:
        try:
            text = (REPO / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        taken += agrees(text)
    assert taken >= 100  # nearly all: the manifests, the examples, the templates


def test_generated_bench_manifest(tmp_path):
    sys.path.insert(0, str(REPO))
    from bench.gen import generate

    root = generate(60, tmp_path / "svc")
    assert agrees((root / "sls-neutral.yaml").read_text())


SUBSET = """\
# a comment first
service: my-app   # trailing comment
count: 3
ratio: 0.5
negative: -7
on: yes
words: [yes, no, on, off, ~, null, true, FALSE, 1, -2, 1.5, 10s, 256MB, 12:30, a:b, http://x/y, /p]
quoted: {a: "x: y", b: 'it''s', c: "tab\\there \\u00e9 \\x41 \\"q\\" \\\\ \\/", "d e": 'f'}
empty_flows: {m: {}, s: [], n: {x: []}}
nested:
  deeper:
    - plain item
    - "quoted item"
    - k: v   # a compact mapping
      other: [1, {z: 2}]
    -   spaced: item
indentless:
- a
- b: c
  d: e
path: /photos/{id}
hash: a#b
after: done
"""


def test_the_subset_is_read_as_ruamel_reads_it():
    assert agrees(SUBSET)
    assert agrees("")
    assert agrees("# only a comment\n\n")
    assert agrees("a: 1")  # no final newline
    assert agrees("a: '\\x'\n")  # a backslash in single quotes is itself


@pytest.mark.parametrize("text", [
    "a: 010\n", "a: 0o17\n", "a: 0x1F\n", "a: 1e3\n", "a: .inf\n", "a: 2024-01-01\n", "a: +5\n", "a: 1_000\n",
    "a: !Ref x\n", "a: &x 1\nb: *x\n", "base: &b {x: 1}\nc:\n  <<: *b\n", "a: 1\na: 2\n", "1: x\n",
    "true: x\n", "? [a]\n: b\n", "a: [1\n", "a: 1\n---\nb: 2\n", "---\na: 1\n", "%YAML 1.2\n---\na: 1\n",
    "\ta: 1\n", "a:\tb\n", "a: b\r\nc: d\n", "\ufeffa: 1\n", "a: |\n  text\n", "a: >\n  text\n",
    "a:\n", "a:\nb: 1\n", "a: # nothing\nb: 1\n", "a: b: c\n", "a: b\n  c\n", "a: 'x\n  y'\n",
    'a: "x\n  y"\n', "a: [x,\n  y]\n", "a: {b: 1,}\n", "a: {b}\n", "a: {b:1}\n", "a: [b: 1]\n",
    "- a\n- b\n", "just a scalar\n", "a: - b\n", "a:\n  - - b\n", "a:\n  -\n    b: 1\n",
    'a: "\\q"\n', 'a: "\\ud800"\n', "a: x\n b: y\n", "a:\n    b: 1\n  c: 2\n", "a: @x\n", "a: `x\n",
    "a: 'x' y\n", 'a: "x"#c\n', "a: x\x07\n", "key with space: 1\n", "a : 1\n", "a: [x #c]\n",
])
def test_anything_else_is_left_to_the_other_paths(text):
    assert load_block(text, "m.yaml") is None


# ------------------------------------------------------------ random documents
KEYS = ["a", "b", "name", "on", "yes", "x-y", "a.b", "$ref", "k_1", "123", "true", "null", "a b", "x:y", "<<",
        "'sq'", '"dq"', '"with space"', "-dash", "é"]
SCALARS = ["word", "two words", "1", "-5", "1.5", "010", "0x1F", "1e3", ".inf", "~", "null", "true", "yes",
           "2024-01-01", "12:30", "a: b", "a:b", "a #b", "a#b", "-a", "- a", "?x", ":x", "x:", "[x]", "{x}",
           "/p/{id}", "http://h/p", "it's", 'say "hi"', "é", "\\", "", "%x", "@x", "&a", "*a", "!t", "|", ">",
           "a,b", "#c", "0", "-0.5", "256MB", "x'y"]


SAFE_KEYS = KEYS[:9]
SAFE_SCALARS = ["word", "two words", "1", "-5", "1.5", "~", "true", "yes", "12:30", "a:b", "/p/{id}", "http://h/p",
                "it's", "é", "0", "256MB", "a#b"]


def _key(rng):
    return rng.choice(KEYS if rng.random() < 0.15 else SAFE_KEYS)


def _scalar(rng):
    text = rng.choice(SCALARS if rng.random() < 0.15 else SAFE_SCALARS)
    style = rng.randrange(4)
    if style == 0:
        return "'" + text.replace("'", "''") + "'"
    if style == 1:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + escaped + rng.choice(["", "\\n", "\\t", "\\u00e9", "\\x41", "\\/", "\\ "]) + '"'
    return text


def _flow(rng, depth):
    if depth > 2 or rng.random() < 0.5:
        return _scalar(rng)
    space = rng.choice(["", " "])
    if rng.random() < 0.5:
        items = [_flow(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
        return "[" + space + ("," + rng.choice([" ", ""])).join(items) + space + "]"
    pairs = [f"{_key(rng)}:{rng.choice([' '] * 8 + ['  ', ''])}{_flow(rng, depth + 1)}"
             for _ in range(rng.randrange(0, 4))]
    return "{" + space + ", ".join(pairs) + space + "}"


def _comment(rng):
    return rng.choice(["", "", "", "", "", "  # note", " #x", "#tight"])


def _block(rng, indent, depth, out):
    """Lines of a block mapping at ``indent`` (and sometimes sequences under its keys)."""
    step = rng.choice([2, 2, 2, 4, 1, 3])
    for _ in range(rng.randrange(1, 5)):
        key = _key(rng)
        pad = " " * indent
        if rng.random() < 0.1:
            out.append(pad + rng.choice(["# a comment", "", "   "]))
        kind = rng.random()
        if depth < 3 and kind < 0.25:
            out.append(f"{pad}{key}:{_comment(rng)}")
            _block(rng, indent + step, depth + 1, out)
        elif depth < 3 and kind < 0.45:
            out.append(f"{pad}{key}:{_comment(rng)}")
            dash = indent + rng.choice([0, step])
            for _ in range(rng.randrange(1, 4)):
                if rng.random() < 0.4:
                    sub: list[str] = []
                    _block(rng, dash + 2, depth + 1, sub)
                    first = sub[0].lstrip(" ") if sub else "k: v"
                    out.append(" " * dash + "- " + first)
                    out.extend(sub[1:])
                else:
                    out.append(" " * dash + "- " + _flow(rng, 0) + _comment(rng))
        else:
            out.append(f"{pad}{key}:{rng.choice([' '] * 8 + ['  ', ''])}{_flow(rng, 0)}{_comment(rng)}")


def test_random_documents():
    rng = random.Random(1234)
    taken = 0
    for _ in range(6000):
        lines: list[str] = []
        _block(rng, 0, 0, lines)
        taken += agrees("\n".join(lines) + rng.choice(["\n", "", "\n\n"]))
    assert taken > 800  # enough of them are inside the subset to have tested it
