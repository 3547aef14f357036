import io
import zipfile

import pytest

from sls_neutral.core.artifacts import ArtifactSet, canonical_json, deterministic_zip, safe_relpath
from sls_neutral.core.errors import PermissionDeniedError


def test_zip_is_byte_stable_and_order_independent():
    one = deterministic_zip({"b.py": b"b", "a/x.py": b"x"})
    two = deterministic_zip({"a/x.py": b"x", "b.py": b"b"})
    assert one == two
    infos = zipfile.ZipFile(io.BytesIO(one)).infolist()
    assert [i.filename for i in infos] == ["a/x.py", "b.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}


def test_zip_keeps_executable_mode():
    data = deterministic_zip({"run.sh": (b"#!/bin/sh\n", 0o755)})
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert (info.external_attr >> 16) & 0o777 == 0o755


@pytest.mark.parametrize("bad", ["/etc/passwd", "../x", "a/../../x", "a\\b", "", "a/\x00"])
def test_paths_cannot_escape(bad):
    with pytest.raises(PermissionDeniedError):
        safe_relpath(bad)


def test_canonical_json_sorted_lf():
    assert canonical_json({"b": 1, "a": [2]}) == b'{\n  "a": [\n    2\n  ],\n  "b": 1\n}\n'


def test_index_lists_every_file_with_sha():
    s = ArtifactSet("x")
    s.add("t.txt", "hi\r\n")
    rendered = s.rendered()
    assert rendered["t.txt"] == b"hi\n"  # LF only
    assert b'"t.txt"' in rendered["artifacts.json"] and b"sha256" in rendered["artifacts.json"]


def test_redundant_separators_are_normalized():
    assert safe_relpath("a//b/./c") == "a/b/c"
