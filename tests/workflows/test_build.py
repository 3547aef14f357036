"""Workflow validation in the IR compile: every mistake is a diagnostic at its file:line."""

from __future__ import annotations

import textwrap

import pytest

from sls_neutral.core.errors import ManifestError
from sls_neutral.core.manifest import load_manifest

from .corpus_loader import CORPUS

HEAD = """\
service: wf-build
runtime: python3.12
functions:
  f: {handler: steps.py:step}
workflows:
  w:
    steps:
"""


def compile_steps(steps: str):
    from sls_neutral.core.compiler import compile_app

    text = HEAD + textwrap.indent(textwrap.dedent(steps), "      ")
    return compile_app(load_manifest(CORPUS / "build.manifest.yaml", text=text))


def problems(steps: str) -> list[tuple[int, str]]:
    with pytest.raises(ManifestError) as info:
        compile_steps(steps)
    return [(d.position.line, d.message) for d in info.value.diagnostics]


def test_valid_workflow_compiles():
    app = compile_steps("""\
    - a: {call: f, retry: [{errors: [Busy], interval: 1s, max_delay: 5s}, {errors: [all]}]}
    - b: {try: [{c: {call: f}}], catch: [{errors: [X], steps: []}, {errors: [all], steps: []}]}
    """)
    assert [s.name for s in app.workflows["w"].steps] == ["a", "b"]


def test_duplicate_step_names_and_undeclared_function():
    found = problems("""\
    - a: {call: f}
    - a: {call: g}
    """)
    assert (9, "step name 'a' is used twice in workflow 'w' (first at line 8)") in found
    assert any(line == 9 and "undeclared function 'g'" in msg for line, msg in found)


def test_return_inside_map_and_bad_paths():
    found = problems("""\
    - m:
        map:
          items: $.xs
          steps: [{r: {return: 1}}]
    - s: {set: {"$.a..b": 1}}
    """)
    assert any(line == 11 and "'return' is not allowed" in msg for line, msg in found)
    assert any(line == 12 and "not a state path" in msg for line, msg in found)


def test_retry_and_catch_ranges_and_reachability():
    found = problems("""\
    - a: {call: f, retry: [{errors: [all], interval: 5s, max_delay: 1s}, {errors: [Busy]}]}
    - b:
        try: [{c: {call: f}}]
        catch:
          - {errors: [all], steps: []}
          - {errors: [X], steps: []}
    """)
    messages = [msg for _, msg in found]
    assert any("max_delay (1s) is shorter than its interval (5s)" in m for m in messages)
    assert sum("never used: an earlier entry matches all errors" in m for m in messages) == 2
    assert any(line == 8 and "never used" in msg for line, msg in found)


def test_bad_condition_is_reported_at_its_line():
    found = problems("""\
    - s:
        switch:
          - when: "$.a = 1"
            steps: [{t: {set: {$.b: 1}}}]
    """)
    assert any(line == 10 and "condition '$.a = 1'" in msg for line, msg in found)
