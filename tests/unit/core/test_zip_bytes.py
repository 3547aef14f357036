"""The zip assembled from cached members is byte for byte what zipfile writes for the same entries."""

from __future__ import annotations

import io
import os
import random
import zipfile

import pytest

from sls_neutral.core import artifacts
from sls_neutral.core.artifacts import _assemble, _zipfile_bytes, deterministic_zip, sha256


def entries(files: dict) -> list:
    out = []
    for name in sorted(files):
        value = files[name]
        data, mode = value if isinstance(value, tuple) else (value, 0o644)
        out.append((name, data, mode, sha256(data)))
    return out


CASES = {
    "empty archive": {},
    "empty file": {"a.py": b""},
    "modes and folders": {"bin/run.sh": (b"#!/bin/sh\necho hi\n", 0o755), "pkg/__init__.py": b"", "pkg/m.py": b"x = 1\n"},
    "non-ascii name": {"données/é.txt": "é ü".encode(), "z.py": b"print(1)\n" * 100},
    "incompressible": {"blob.bin": random.Random(7).randbytes(200_000), "small": b"s"},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_assembled_zip_equals_zipfile_output(name):
    files = entries(CASES[name])
    assembled = _assemble(files)
    assert assembled == _zipfile_bytes(files)
    with zipfile.ZipFile(io.BytesIO(assembled)) as zf:
        assert zf.testzip() is None
        for entry_name, data, mode, _ in files:
            assert zf.read(entry_name) == data
            assert (zf.getinfo(entry_name).external_attr >> 16) & 0o777 == mode


def test_random_trees_match(tmp_path):
    rng = random.Random(11)
    for _ in range(20):
        files = {f"d{rng.randrange(3)}/f{i}.py": rng.randbytes(rng.randrange(0, 5000)) * rng.randrange(1, 4)
                 for i in range(rng.randrange(1, 30))}
        assert _assemble(entries(files)) == _zipfile_bytes(entries(files))


def test_members_are_reused_across_archives():
    shared = os.urandom(10_000)
    artifacts._MEMBER_CACHE.clear()
    deterministic_zip({"shared.bin": shared, "main.py": b"a"})
    deterministic_zip({"shared.bin": shared, "main.py": b"b"})
    names = sorted(k[0] for k in artifacts._MEMBER_CACHE)
    assert names.count("shared.bin") == 1 and names.count("main.py") == 2


def _random_json(rng, floats):
    def value(depth):
        pick = rng.randrange(9 if depth < 4 else 6)
        if pick == 0:
            return rng.choice(["", "é ü \u2028 \x00 \x1f \\ \" / \t\n", "plain", "日本", "\U0001F600"])
        if pick == 1:
            return rng.choice([rng.randrange(-10**20, 10**20), rng.randrange(-2**63, 2**64), 0, -1])
        if pick == 2:
            return rng.choice(floats)
        if pick == 3:
            return rng.choice([True, False, None])
        if pick in (4, 5):
            return rng.choice([{}, [], ()])
        if pick in (6, 7):
            return {rng.choice(["b", "a", "é", "Z", "10", "9", "", "\U0001F600", "\uffff"]) + str(i):
                    value(depth + 1) for i in range(rng.randrange(0, 5))}
        return [value(depth + 1) for _ in range(rng.randrange(0, 5))]

    return value(0)


PLAIN_FLOATS = [0.0, -0.0, 1.5, 1e16, 1e-4, 1e-10, 1e300, 3.141592653589793, 0.30000000000000004, 2.0]
ODD_FLOATS = [float("nan"), float("inf"), float("-inf"), 1e-5, -9.99e-5, 1e-7, 1.5e-9]


def test_canonical_json_is_what_json_dumps_writes():
    """For JSON's own values (finite floats outside 1e-9..1e-4 included) the bytes are json.dumps's."""
    import json

    from sls_neutral.core.artifacts import canonical_json

    rng = random.Random(5)
    for _ in range(400):
        data = _random_json(rng, PLAIN_FLOATS)
        expected = (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, separators=(",", ": "))
                    + "\n").encode()
        assert canonical_json(data) == expected
        compact = (json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        assert canonical_json(data, indent=None) == compact


def test_the_python_encoder_writes_what_orjson_writes(monkeypatch):
    """Data orjson refuses (integers beyond 64 bits) goes through the pure-Python encoder, so the two must
    agree on everything, the odd floats included: the same data gives the same bytes whichever wrote it."""
    from sls_neutral.core import artifacts

    assert artifacts._orjson() is not None, "orjson is a dependency"
    rng = random.Random(7)
    samples = [_random_json(rng, PLAIN_FLOATS + ODD_FLOATS) for _ in range(400)]
    fast = [artifacts.canonical_json(data) for data in samples]
    for data, expected in zip(samples, fast):
        out: list[str] = []
        artifacts._indented(data, out, "\n", "  ")
        assert ("".join(out) + "\n").encode() == expected
    expected = b'{\n  "big": 1180591620717411303424,\n  "tiny": 0.00001\n}\n'
    assert artifacts.canonical_json({"big": 2**70, "tiny": 1e-5}) == expected


def test_canonical_json_odd_values():
    import dataclasses
    import enum
    from collections import namedtuple

    from sls_neutral.core.artifacts import canonical_json

    # JSON has no NaN or infinity: null, in both encoders
    assert canonical_json({"x": float("nan"), "y": [float("-inf")]}) == b'{\n  "x": null,\n  "y": [\n    null\n  ]\n}\n'
    assert canonical_json({1: [float("inf")]}) == b'{\n  "1": [\n    null\n  ]\n}\n'  # by json.dumps

    class Size(enum.IntEnum):
        SMALL = 128

    class Kind(str, enum.Enum):
        HTTP = "http"

    Pair = namedtuple("Pair", "a b")
    assert canonical_json({"k": Kind.HTTP, "n": Size.SMALL, "p": Pair(1, "x")}, indent=None) == \
        b'{"k":"http","n":128,"p":[1,"x"]}\n'  # as json.dumps writes them

    @dataclasses.dataclass
    class Thing:
        a: int

    with pytest.raises(TypeError):
        canonical_json({"thing": Thing(1)})


def test_members_of_an_archive_are_what_member_would_make():
    """The incremental path copies unchanged members out of the previous archive (core/replay.py)."""
    import hashlib

    from sls_neutral.core import zipbytes

    entries = [("a.py", b"print(1)\n" * 50, 0o644), ("bin/run", b"#!/bin/sh\n", 0o755), ("caf\u00e9.txt", b"", 0o644)]
    entries = [(name, data, mode, hashlib.sha256(data).hexdigest()) for name, data, mode in entries]
    archive = zipbytes.assemble(entries)
    found = zipbytes.members_of(archive)
    assert list(found) == [name for name, *_ in entries]
    for name, data, mode, digest in entries:
        local, central, size, kept_mode = found[name]
        assert (local, central) == zipbytes.member(name, data, mode, digest)
        assert (size, kept_mode) == (len(data), mode)
    # rebuilt from the copies alone, byte for byte
    zipbytes.MEMBER_CACHE.clear()
    for name, _data, mode, digest in entries:
        zipbytes.MEMBER_CACHE[(name, mode, digest)] = found[name][:2]
    assert zipbytes.assemble([(name, b"", mode, digest) for name, _d, mode, digest in entries]) == archive
    zipbytes.MEMBER_CACHE.clear()


def test_members_of_anything_else_is_empty():
    from sls_neutral.core import zipbytes

    archive = zipbytes.assemble([("a", b"x", 0o644, "d")])
    zipbytes.MEMBER_CACHE.clear()
    assert zipbytes.members_of(b"") == {} and zipbytes.members_of(b"not a zip" * 10) == {}
    assert zipbytes.members_of(archive[:-1]) == {}
    assert zipbytes.members_of(archive[:10] + b"?" + archive[11:]) == {}  # a damaged local header


def test_compact_json_text_is_json_dumps():
    """The environment variables' JSON: orjson for maps of text, json.dumps for the rest; the same text."""
    import json

    from sls_neutral.core.artifacts import compact_json_text

    rng = random.Random(11)
    pool = ["a", "é", "\u2028", "\x00", "\x7f", '"', "\\", "/", "日本", "\U0001F600", "${X}", "k:n", "<&>"]
    samples = [{"".join(rng.choice(pool) for _ in range(rng.randrange(0, 4))):
                "".join(rng.choice(pool) for _ in range(rng.randrange(0, 4))) for _ in range(rng.randrange(0, 5))}
               for _ in range(2000)]
    samples += [{"b": 1, "a": [1.5, None, 1e-05]}, {"x": {"y": "z"}}, ["list"], "text", {"k": float("nan")}]
    for value in samples:
        assert compact_json_text(value) == json.dumps(value, sort_keys=True, separators=(",", ":")), value
