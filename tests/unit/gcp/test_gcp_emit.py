"""Unit tests of the GCP emit helpers: one main.py for every function, the source digest."""

from __future__ import annotations

import ast
import hashlib

from sls_neutral.providers.gcp import emit
from sls_neutral.providers.gcp.model import CONFIG_ENV

ENTRIES = {"http_entry", "event_entry", "queue_entry"}  # every entry point a unit's entryPoint may name


def test_main_py_defines_every_entry_point_and_reads_its_configuration_from_the_environment():
    """One file for all functions: nothing in it names a function, a route or a source."""
    source = emit.main_source().decode("utf-8")
    tree = ast.parse(source)
    assert {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} == ENTRIES
    assert "_adapter.configure_from_env()" in source and CONFIG_ENV in source
    assert "{{" not in source and "{%" not in source  # not a template: copied verbatim


def test_main_py_is_in_the_shared_files():
    assert emit._shared_files()[emit.MAIN] is emit.main_source()


def test_source_digest_hashes_names_and_contents():
    files = {"main.py": b"print(1)\n", "big.bin": bytes(range(256)) * 4, "empty": b""}
    expected = hashlib.sha256()
    for name in sorted(files):
        expected.update(name.encode() + b"\0" + hashlib.sha256(files[name]).hexdigest().encode() + b"\n")
    assert emit.source_digest(files) == expected.hexdigest()
    assert emit.source_digest({**files, "main.py": b"print(2)\n"}) != expected.hexdigest()
