"""Every hook is documented in docs/plugins/hooks.md and has a test (datasette's meta-tests)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from sls_neutral.core import hookspecs

REPO = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name, obj in vars(hookspecs).items()
               if name.startswith("slsn_") and inspect.isfunction(obj))


def test_hooks_exist_and_are_prefixed():
    assert len(HOOKS) >= 15
    assert all(name.startswith("slsn_") for name in HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    docs = (REPO / "docs" / "plugins" / "hooks.md").read_text(encoding="utf-8")
    assert f"### `{hook}`" in docs, f"document {hook} in docs/plugins/hooks.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    tests = (REPO / "tests" / "plugins" / "test_hooks.py").read_text(encoding="utf-8")
    assert re.search(rf"def test_hook_{hook}\b", tests), f"add test_hook_{hook} to tests/plugins/test_hooks.py"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_spec_has_a_docstring_and_types(hook):
    fn = getattr(hookspecs, hook)
    assert inspect.getdoc(fn), f"{hook} needs a docstring saying its parameters and return contract"
    assert "return" in inspect.signature(fn).return_annotation.__str__() or fn.__annotations__.get("return")
