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
