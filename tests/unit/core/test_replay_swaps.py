"""The pure parts of the incremental build: swapping digests in generated files, merging zip origins."""

from __future__ import annotations

import hashlib

import pytest

from sls_neutral.core import buildrecord, replay


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


OLD, NEW, OTHER = digest("old"), digest("new"), digest("other")


def test_full_digests_and_prefixes_are_swapped_and_the_rest_is_kept():
    data = (f'{{"key": "code/{OLD}.zip", "label": "{OLD[:20]}", "other": "{OTHER}", '
            f'"short": "{OLD[:8]}"}}').encode()
    swapped = replay._swap_digests(data, {OLD: NEW})
    assert swapped == (f'{{"key": "code/{NEW}.zip", "label": "{NEW[:20]}", "other": "{OTHER}", '
                       f'"short": "{OLD[:8]}"}}').encode()  # under 12 characters is not a digest


def test_nothing_to_swap_returns_the_same_object():
    data = f"nothing here but {OTHER}".encode()
    assert replay._swap_digests(data, {OLD: NEW}) is data


def test_every_occurrence_is_swapped():
    data = f"{OLD} {OLD} {OLD[:30]}x".encode()
    assert replay._swap_digests(data, {OLD: NEW}) == f"{NEW} {NEW} {NEW[:30]}x".encode()


def test_several_digests_in_one_file():
    data = f"a={OLD};b={OTHER}".encode()
    second = digest("second")
    assert replay._swap_digests(data, {OLD: NEW, OTHER: second}) == f"a={NEW};b={second}".encode()


def test_digests_sharing_a_prefix_refuse():
    twin = OLD[:12] + "0" * 52
    with pytest.raises(replay.Fallback):
        replay._swap_digests(f"{OLD}".encode(), {OLD: NEW, twin: OTHER})


def test_searching_the_hex_runs_finds_what_searching_the_file_finds():
    """_HexRuns searches only a file's runs of 12+ lowercase hex characters: the same places, mapped back."""
    import random

    rng = random.Random(11)
    digests = [digest(str(i)) for i in range(4)]
    pieces = ["", " ", "/", '"', "-", "fade", "0", "A", "F", "g", "code/", ".zip", "\n", "\u00e9"]
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(0, 12)):
            roll = rng.random()
            if roll < 0.4:
                chosen = rng.choice(digests)
                parts.append(chosen[:rng.choice([64, 64, 20, 12, 11, 30])])
            elif roll < 0.5:
                parts.append("%x" % rng.getrandbits(rng.randint(4, 80)))
            else:
                parts.append(rng.choice(pieces))
        data = "".join(parts).encode()
        runs = replay._HexRuns(data)
        for old in digests:
            assert runs.occurrences(old) == replay._occurrences(data, old), data


def test_digests_next_to_other_hex_are_found_inside_the_run():
    data = f"fade{OLD}0 {OLD[:12]}".encode()
    runs = replay._HexRuns(data)
    assert runs.occurrences(OLD) == [(4, 64), (70, 12)] == replay._occurrences(data, OLD)
    assert replay._HexRuns(b"no hex here: XYZ").text == b""


def test_a_member_from_two_origins_keeps_both():
    calls = [[("a.py", 0o644, "d", b"one")], [("a.py", 0o644, "d", b"two")]]
    refs = {id(calls[0][0][3]): ("d", ("/s/a.py",)), id(calls[1][0][3]): ("d", ("/t/a.py",))}
    members = buildrecord._members(calls, lambda data: refs[id(data)])
    assert members == [("a.py", 0o644, ("d", ("/s/a.py", "/t/a.py")))]


def test_a_member_both_copied_and_generated_is_marked():
    calls = [[("a.py", 0o644, "d", b"one")], [("a.py", 0o644, "d", b"gen")]]
    refs = {id(calls[0][0][3]): ("d", ("/s/a.py",)), id(calls[1][0][3]): ("d", ())}
    members = buildrecord._members(calls, lambda data: refs[id(data)])
    assert members == [("a.py", 0o644, ("d", ("/s/a.py", "<generated>")))]


def test_an_index_is_read_by_its_layout_as_json_would_read_it():
    """replay.index_files reads artifacts.json without the json module; anything unusual goes to json."""
    import json
    import random

    from sls_neutral.core import replay
    from sls_neutral.core.artifacts import canonical_json

    rng = random.Random(7)
    names = ["a.json", "functions/fn0001.zip", "dir/x y.txt", "caf\u00e9.py", 'q"uote', "back\\slash", "tab\tx",
             "\u2028sep", "\x7fdel"]
    for _ in range(300):
        files = {f"{rng.choice(names)}{i}": {"sha256": "%064x" % rng.getrandbits(256), "size": rng.randint(0, 10**7)}
                 for i in range(rng.randint(0, 6))}
        text = canonical_json({"files": files, "format": 1, "provider": "gcp"})
        assert replay.index_files(text) == files
        for name in files:
            assert replay._json_string(name) == json.dumps(name, ensure_ascii=False).encode("utf-8")


def test_a_signature_is_trusted_only_once_the_file_is_older_than_the_window():
    from sls_neutral.core import replay

    sig = (10, 1_000, 5_000, 7)
    assert replay.racy_safe(sig, fresh_after=5_001) == sig
    assert replay.racy_safe(sig, fresh_after=5_000) == replay.UNTRUSTED
    assert replay.UNTRUSTED != sig


@pytest.mark.parametrize("name, transient", [
    (".aws.tmp-123", True), (".gcp.old-9", True), (".azure.journal-77", True), (".x.tmp-1", True),
    ("aws", False), (".aws.tmp-", False), (".tmp-12", False), (".hidden", False), ("a.tmp-1", False),
    (".aws.tmp-12a", False), (".aws.bak-1", False),
])
def test_a_writers_work_folders_are_not_part_of_a_listing(name, transient):
    """With -o inside the service, one build process lists the folder while the other writes beside it."""
    from sls_neutral.core import replay

    assert replay._transient(name) is transient
