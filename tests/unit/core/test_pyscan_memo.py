"""pyscan's memo: lru_cache's contract for the import scan, without importing functools."""

from __future__ import annotations

import pytest

from sls_neutral.core import pyscan


def test_results_are_remembered_until_cleared_and_the_oldest_goes_when_full():
    calls = []

    @pyscan._memo(maxsize=2)
    def square(n):
        calls.append(n)
        return n * n

    assert [square(2), square(2), square(3)] == [4, 4, 9] and calls == [2, 3]
    square(4)  # full: 2, the oldest, goes
    assert [square(3), square(2)] == [9, 4] and calls == [2, 3, 4, 2]
    square.cache_clear()
    square(4)
    assert calls == [2, 3, 4, 2, 4]


def test_an_exception_is_not_remembered():
    calls = []

    @pyscan._memo(maxsize=8)
    def parse(text):
        calls.append(text)
        raise SyntaxError(text)

    for _ in range(2):
        with pytest.raises(SyntaxError):
            parse("def")
    assert calls == ["def", "def"]


def test_the_import_scan_is_parsed_once_per_source():
    source = b"import json\nfrom .util import helper\n"
    first = pyscan.imports("pkg/mod.py", source)
    assert sorted(first) == [("json",), ("pkg", "util"), ("pkg", "util", "helper")]
    assert pyscan.imports("pkg/mod.py", source) is first


def test_primed_results_answer_only_for_the_bytes_they_were_computed_from():
    source = b"import json\n\ndef handle(event):\n    return event\n"
    edited = source + b"import os\n"
    # deliberately not what a parse gives: an answer from the primed table is recognisable
    pyscan.prime([("svc/primed_mod.py", source, (("primed",),))], [(source, ("primed_name",))])
    assert pyscan.imports("svc/primed_mod.py", source) == (("primed",),)
    assert pyscan.defined_names(source, "svc/primed_mod.py") == {"primed_name"}
    assert set(pyscan.imports("svc/primed_mod.py", edited)) == {("json",), ("os",)}  # other bytes: parsed
    assert pyscan.defined_names(edited, "svc/primed_mod.py") == {"json", "handle", "os"}
    assert pyscan.imports("svc/other_path.py", source) == (("json",),)  # same bytes elsewhere: parsed
    pyscan.defined_names(source, "x.py").add("mutated")  # callers get a copy
    assert pyscan.defined_names(source, "x.py") == {"primed_name"}


def test_a_pending_helper_is_asked_once_before_the_first_answer(monkeypatch):
    source = b"import pending_mod_dependency\n"
    calls = []

    def pending():
        calls.append(1)
        pyscan.prime([("pending_mod.py", source, (("from_helper",),))], [])

    monkeypatch.setattr(pyscan, "pending", pending)
    assert pyscan.imports("pending_mod.py", source) == (("from_helper",),)
    assert pyscan.imports("pending_mod.py", source) == (("from_helper",),)
    pyscan.defined_names(b"x = 1\n", "y.py")
    assert calls == [1] and pyscan.pending is None
