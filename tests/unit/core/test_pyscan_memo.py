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
