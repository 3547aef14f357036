"""The incremental ``package``: replay the last build when only service source files changed.

A full ``package`` spends most of its time before it builds anything (importing the CLI, pydantic and the
providers, validating and compiling the manifest), and an edit to one handler changes a few zips and the
digests that name them. After every successful full build the recorder (:mod:`sls_neutral.core.buildrecord`)
writes a *build record* next to the outputs: everything the build read, and how each output file was made.
This module, imported before anything heavy, checks the record and, when nothing but source files changed,
rebuilds only the outputs those files reach, byte for byte what a full build would write:

- **Inputs** (the manifest, every module the build imported, every other file it opened, the environment
  variables it read and every ``SLSN_*`` one, the arguments, the installed distributions) must be exactly
  as recorded (stat signature: size, mtime,
  ctime and inode; ctime cannot be set back by hand). Any difference: full build.
- **Listings** of every folder the build listed (the service walk included) must have the same names: an
  added or removed file means a full build.
- **Outputs** must be as the record left them (the index file's signature; no file newer than the index).
- **Sources** (files read through :mod:`sls_neutral.core.sources`) may change. For each changed one, what
  the build derived from it must still hold: the Python imports it makes (they decide which files each
  function ships) and, for a handler file, that it still defines the handlers. Otherwise: full build.
- Then: every zip holding a changed file is re-assembled (:mod:`sls_neutral.core.zipbytes`), every copied
  file is re-copied, and in every generated file (templates, deployment specs) each embedded digest of a
  rebuilt artifact, full or a hex prefix, is replaced by the new one, transitively (a child template names
  the code, its parent names the child). The index is updated and the set is rewritten all or nothing
  (an error puts the previous files back); the recorded command output is printed again.

Any doubt (an unreadable record, two origins of one member that now differ, a digest that would resolve
two ways, an exception) falls back to the full build, which writes a fresh record. ``SLSN_NO_REPLAY=1``
turns the fast path off. This module imports only the standard library, and little of it (no json, re,
ast or typing: every millisecond of start-up is a visible share of a ~40 ms build), plus zipbytes and
pyscan when a zip or a Python source changed.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

try:  # OpenSSL's sha256 without the rest of hashlib, which probes every algorithm it offers at import (~0.4 ms)
    from _hashlib import openssl_sha256 as _sha256
except ImportError:  # pragma: no cover - a Python built without OpenSSL
    from hashlib import sha256 as _sha256

FORMAT = 1
INDEX = "artifacts.json"
RECORD_DIR = os.path.join(".sls-neutral", "cache", "replay")
DEFAULT_CONFIG = "sls-neutral.yaml"
_DIST_SUFFIXES = (".dist-info", ".egg-info", ".pth", ".egg-link")


class Fallback(Exception):
    """The record cannot be replayed: build in full."""


# ------------------------------------------------------------ where and when a record applies
def service_root(args: list[str]) -> str:
    """The service folder of a ``package`` command line, as :class:`~sls_neutral.core.pipeline.Project`
    finds it: the folder of its manifest (:func:`manifest_path`)."""
    return os.path.dirname(os.path.realpath(manifest_path(args)))


def manifest_path(args: list[str]) -> str:
    """The manifest of a ``package`` command line: ``-c/--config`` (a folder means its sls-neutral.yaml),
    default the one in the working directory."""
    config = DEFAULT_CONFIG
    for i, arg in enumerate(args):
        if arg in ("-c", "--config") and i + 1 < len(args):
            config = args[i + 1]
        elif arg.startswith("--config="):
            config = arg.partition("=")[2]
        elif arg.startswith("-c") and len(arg) > 2 and not arg.startswith("--"):
            config = arg[2:]
    if os.path.isdir(config):
        config = os.path.join(config, DEFAULT_CONFIG)
    return config


def record_path(root: str, cwd: str, args: list[str]) -> str:
    name = _sha256("\0".join([cwd, *args]).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return os.path.join(root, RECORD_DIR, f"{name}.bin")


def invocation_key(cwd: str, args: list[str]) -> tuple:
    """What a build's result may depend on besides files and the environment: version, interpreter,
    arguments and the installed distributions (a new plugin)."""
    from sls_neutral import __version__

    return (FORMAT, __version__, sys.version, sys.executable, cwd, tuple(args), installed_fingerprint())


def environment_digest(names: list[str]) -> str:
    """A digest of the variables a build read (``names``) and of every ``SLSN_*`` one (they choose plugins
    before recording starts). Only a digest is kept: a variable may hold a secret."""
    wanted = (set(names) | {k for k in os.environ if k.startswith("SLSN_")}) - {"SLSN_DEBUG"}
    text = "\0".join(f"{k}={os.environ.get(k, chr(0))}" for k in sorted(wanted))
    return _sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def installed_fingerprint() -> str:
    """What is installed on ``sys.path``: the names of the distributions' metadata in each folder, the
    mtime of each folder that holds any (reinstalling a distribution recreates its ``.dist-info``, which
    changes the folder's mtime), and the mtimes of ``.pth`` and ``.egg-link`` files (rewritten in place).
    Folders without distributions (the service folder, under ``python -m``) count by their names only: a
    build writes into them. Stat-ing every ``.dist-info`` folder instead cost ~4 ms of a ~40 ms
    incremental build."""
    digest = _sha256()
    for folder in sys.path:
        try:
            with os.scandir(folder or ".") as it:
                names = sorted(entry.name for entry in it if entry.name.endswith(_DIST_SUFFIXES))
            folder_mtime = os.stat(folder or ".").st_mtime_ns if names else 0
        except OSError:
            continue
        digest.update(f"{folder}:{folder_mtime}\n".encode("utf-8", "surrogateescape"))
        for name in names:
            stamp = os.stat(os.path.join(folder or ".", name)).st_mtime_ns if name.endswith(_REWRITTEN) else 0
            digest.update(f"{name}:{stamp}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


_REWRITTEN = (".pth", ".egg-link")  # files pip may rewrite in place (their folder's mtime does not change)


#: a signature no file has: the next build reads the file and compares its content digest instead
UNTRUSTED = (-1, -1, -1, -1)


def racy_safe(sig: tuple[int, int, int, int], fresh_after: int) -> tuple[int, int, int, int]:
    """``sig``, or :data:`UNTRUSTED` for a file changed at ``fresh_after`` or later (the last 50 ms).

    File times come from a coarse clock: a file written again a few milliseconds after it was read can
    keep its size, times and inode, so its signature is trusted only once it is older than that (git's
    "racily clean" entries)."""
    return UNTRUSTED if sig[2] >= fresh_after else sig


def signature(path: str) -> tuple[int, int, int, int] | None:
    """(size, mtime, ctime, inode): a file rewritten, even with its old mtime restored, changes it."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def listing(folder: str) -> str:
    """A digest of a folder's names. Left out: sls-neutral's own state folder, and the hidden folders an
    artifact writer keeps beside an output set for a moment (``.aws.tmp-PID``, ``.aws.old-PID``, ...):
    never inputs, and with ``-o`` inside the service one process lists the folder while the other writes."""
    try:
        names = sorted(n for n in os.listdir(folder) if n != ".sls-neutral" and not _transient(n))
    except OSError:
        return ""
    return _sha256("\0".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def _transient(name: str) -> bool:
    """``.NAME.tmp-PID``, ``.NAME.old-PID`` or ``.NAME.journal-PID``: an artifact writer's work folder."""
    stem, dash, pid = name.rpartition("-")
    head, dot, kind = stem.rpartition(".")
    return dash == "-" and pid.isdigit() and dot == "." and kind in ("tmp", "old", "journal") \
        and head.startswith(".") and len(head) > 1


def sha256_hex(data: bytes) -> str:
    return _sha256(data).hexdigest()


# ------------------------------------------------------------ the fast path
def try_replay(args: list[str]) -> int | None:
    """Replay ``sls-neutral package ARGS`` from its record: the exit code, or None to build in full."""
    if os.environ.get("SLSN_NO_REPLAY", "") not in ("", "0") or "--check" in args:
        return None
    try:
        return Replay(args).run()
    except Fallback as reason:
        if os.environ.get("SLSN_DEBUG", "") not in ("", "0"):
            sys.stderr.write(f"sls-neutral: full build ({reason})\n")
        return None
    except Exception:  # noqa: BLE001 - never fail a build because the shortcut failed; build in full
        if os.environ.get("SLSN_DEBUG", "") not in ("", "0"):
            import traceback

            traceback.print_exc()
        return None


class Replay:
    def __init__(self, args: list[str]):
        self.args = args
        self.cwd = os.getcwd()
        self.root = service_root(args)
        self.path = record_path(self.root, self.cwd, args)
        self.changed: dict[str, bytes] = {}
        self.touched: dict[str, tuple] = {}
        self._read: dict[str, bytes] = {}
        self._zips: dict[tuple, bytes] = {}
        self._shas: dict[int, tuple[bytes, str]] = {}
        self._touched_bodies: dict[int, bool] = {}
        self._previous: dict[str, bytes] = {}  # output file -> the bytes the last build wrote, when read
        self.fresh_after = time.time_ns() - 50_000_000  # see racy_safe

    def run(self) -> int:
        try:
            with open(self.path, "rb") as handle:
                record = marshal.loads(handle.read())  # marshal.load(handle) reads in small pieces: 6x slower
        except (OSError, EOFError, ValueError, TypeError):
            raise Fallback("no record") from None
        if not isinstance(record, dict) or record.get("format") != FORMAT:
            raise Fallback("format")
        self.record = record
        if record["root"] != self.root or record["key"] != invocation_key(self.cwd, self.args) \
                or record["env"] != environment_digest(record["env_names"]):
            raise Fallback("invocation")
        self._check_inputs()
        self._find_changes()
        writes: dict[int, dict[str, bytes]] = {}
        if self.changed:
            self._check_derived()
            writes = self._rebuild()
            self._write(writes)
            self._update_record(writes)
        elif self.touched:
            self._update_record({})
        if os.environ.get("SLSN_DEBUG", "") not in ("", "0"):
            sys.stderr.write(f"sls-neutral: incremental build: {len(self.changed)} source(s) changed, "
                             f"{sum(len(f) for f in writes.values())} file(s) rewritten\n")
        for stream, text in record["transcript"]:
            (sys.stdout if stream == "out" else sys.stderr).write(text)
        sys.stdout.flush()
        sys.stderr.flush()
        return 0

    # -------------------------------------------------------- checks
    def _check_inputs(self) -> None:
        record = self.record
        for path, sig in record["inputs"].items():
            if signature(path) != sig:
                raise Fallback(f"input {path}")
        for folder, names in record["listings"].items():
            if listing(folder) != names:
                raise Fallback(f"listing {folder}")
        for _provider, out_dir, index_sig, recipes, _digests in record["outputs"]:
            if signature(os.path.join(out_dir, INDEX)) != index_sig:
                raise Fallback(f"outputs {out_dir}")
            self._check_untouched(out_dir, index_sig[2], recipes)

    @staticmethod
    def _check_untouched(out_dir: str, index_ctime: int, recipes: dict) -> None:
        """Every output file is one the index lists, none changed since the index was written."""
        expected = len(recipes) + 1
        count = 0
        cut = len(out_dir.rstrip(os.sep)) + 1
        todo = [out_dir]
        while todo:
            folder = todo.pop()
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                        continue
                    count += 1
                    rel = entry.path[cut:].replace(os.sep, "/")
                    if rel != INDEX and (rel not in recipes or entry.stat(follow_symlinks=False).st_ctime_ns
                                         > index_ctime):
                        raise Fallback(f"output {rel} changed")
        if count != expected:
            raise Fallback("output files missing")

    def _find_changes(self) -> None:
        for path, (size, mtime, ctime, ino, digest) in self.record["sources"].items():
            sig = signature(path)
            if sig is None:
                raise Fallback(f"source {path} gone")
            if sig == (size, mtime, ctime, ino):
                continue
            if os.path.islink(path):  # the service walk leaves links out: the full build decides
                raise Fallback(f"source {path} is now a link")
            with open(path, "rb") as handle:
                data = handle.read()
            if sha256_hex(data) == digest:
                self.touched[path] = sig
            else:
                self.changed[path] = data
                self.touched[path] = sig

    def _check_derived(self) -> None:
        """What the build derived from a changed file still holds: its imports, its handlers."""
        derived = self.record["derived"]
        for path, data in self.changed.items():
            facts = derived.get(path)
            if facts is None:
                continue
            rel, imports, handlers = facts
            from sls_neutral.core import pyscan

            if imports is not None and pyscan.imports(rel, data) != imports:
                raise Fallback(f"imports of {rel} changed")
            if handlers:
                try:
                    names = pyscan.defined_names(data, rel)
                except (SyntaxError, ValueError):
                    raise Fallback(f"{rel} does not parse") from None
                if not set(handlers) <= names:
                    raise Fallback(f"{rel} lost a handler")

    # -------------------------------------------------------- rebuild
    def _rebuild(self) -> dict[int, dict[str, bytes]]:
        """The new bytes of every output file that changes, by output folder."""
        writes: dict[int, dict[str, bytes]] = {}
        self.indexes: dict[int, dict[str, dict]] = {}
        self.index_texts: dict[int, bytes] = {}
        self.moved: dict[int, dict[str, str]] = {}
        for index, (_provider, out_dir, _sig, recipes, digests) in enumerate(self.record["outputs"]):
            files = self._rebuild_output(index, out_dir, recipes, digests)
            if files:
                writes[index] = files
        return writes

    def _rebuild_output(self, index: int, out_dir: str, recipes: dict, digests: dict) -> dict[str, bytes]:
        """Zips and copies first; then every generated file gets the new digests of what changed, full or
        as a hex prefix, until nothing more changes (a child template names the code, its parent the child)."""
        moved: dict[str, str] = {}
        self.moved[index] = moved
        for old, members in digests.items():  # members digests (GCP names its sources by them)
            if any(o in self.changed for _name, (_d, origins) in members for o in origins):
                new = sha256_hex(b"".join(b"%s\0%s\n" % (name.encode("utf-8"), self._member(ref)[1].encode())
                                          for name, ref in members))
                if new != old:
                    moved[old] = new
        with open(os.path.join(out_dir, INDEX), "rb") as handle:
            self.index_texts[index] = handle.read()
        entries = self.indexes[index] = index_files(self.index_texts[index])
        files: dict[str, bytes] = {}
        generated: list[str] = []
        for path, (kind, _mode, body) in recipes.items():
            if kind == "g":
                generated.append(path)
                continue
            data = self._zip(body, os.path.join(out_dir, path)) if kind == "z" and self._touches(body) else (
                self._member(body)[0] if kind == "f" else None)
            if data is not None:
                files[path] = data
                self._move(moved, entries[path]["sha256"], self._sha(data))
        if moved and generated:
            files.update(self._swap_generated(out_dir, generated, entries, moved))
        for path, entry in entries.items():  # a moved digest must not also name a file that stayed
            if path not in files and entry["sha256"] in moved:
                raise Fallback(f"{path} shares a digest with a changed file")
        return files

    def _swap_generated(self, out_dir: str, generated: list[str], entries: dict, moved: dict[str, str]
                        ) -> dict[str, bytes]:
        """Rounds: find where the digests that moved last round occur (each file's hex runs searched once per
        digest), rewrite the files that hold any, and let their own digests move in turn."""
        originals: dict[str, bytes] = {}
        runs: dict[str, _HexRuns] = {}
        for path in generated:
            with open(os.path.join(out_dir, path), "rb") as handle:
                originals[path] = self._previous[os.path.join(out_dir, path)] = handle.read()
            runs[path] = _HexRuns(originals[path])
        found: dict[str, list[tuple[int, int, str]]] = {}
        done: dict[str, bytes] = {}
        applied: dict[str, tuple] = {}  # path -> the replacements its current rewrite was made with
        searched: set[str] = set()
        while True:
            fresh = [old for old in moved if old not in searched]
            searched.update(fresh)
            for path in originals:
                for old in fresh:
                    spots = runs[path].occurrences(old)
                    if spots:
                        found.setdefault(path, []).extend((start, length, old) for start, length in spots)
            progress = False
            for path, spots in found.items():
                replacements = tuple(moved[old] for _start, _length, old in spots)
                if applied.get(path) == replacements:
                    continue  # the same edits as last round give the same bytes (~1 ms a large file)
                applied[path] = replacements
                data = _apply(originals[path], [(start, length, moved[old][:length].encode())
                                                for start, length, old in spots])
                if done.get(path) != data:
                    done[path] = data
                    self._move(moved, entries[path]["sha256"], self._sha(data), again=True)
                    progress = True
            if not progress and all(old in searched for old in moved):
                return done

    def _touches(self, body: list) -> bool:
        """Whether a zip recipe holds a changed file (recipes are shared objects: asked once each)."""
        hit = self._touched_bodies.get(id(body))
        if hit is None:
            hit = self._touched_bodies[id(body)] = any(
                o in self.changed for _n, _m, (_d, origins) in body for o in origins)
        return hit

    @staticmethod
    def _move(moved: dict[str, str], old: str, new: str, again: bool = False) -> None:
        if old == new:
            return
        if moved.get(old, new) != new and not again:
            raise Fallback(f"two files with digest {old[:12]} changed differently")
        moved[old] = new

    def _member(self, ref: tuple) -> tuple[bytes | None, str]:
        """(new content or None when unchanged, its digest) of a zip member or copied file."""
        digest, origins = ref
        if not origins:
            return None, digest
        hits = [o for o in origins if o in self.changed]
        if not hits:
            return None, digest
        if len(hits) != len(origins) or len({self.changed[o] for o in hits}) != 1:
            raise Fallback("a member with several origins changed in only some of them")
        data = self.changed[hits[0]]
        return data, self._sha(data)

    def _content(self, ref: tuple) -> bytes:
        data, _ = self._member(ref)
        if data is not None:
            return data
        digest, origins = ref
        if not origins:
            return self.record["blobs"][digest]
        cached = self._read.get(origins[0])
        if cached is None:
            with open(origins[0], "rb") as handle:
                cached = self._read[origins[0]] = handle.read()
        return cached

    def _zip(self, body: list, previous: str) -> bytes:
        """The archive of a zip recipe, assembled once per distinct recipe (every function of one handler
        module ships the same zip). The members that did not change are copied, compressed, from the
        ``previous`` archive (the output file the last build wrote, checked untouched): only the changed
        ones are read and compressed."""
        key = tuple((name, mode, digest, origins) for name, mode, (digest, origins) in body)
        cached = self._zips.get(key)
        if cached is not None:
            return cached
        from sls_neutral.core import zipbytes

        try:
            with open(previous, "rb") as handle:
                self._previous[previous] = handle.read()
            old = zipbytes.members_of(self._previous[previous])
        except OSError:
            old = {}
        entries = []
        total = 0
        for name, mode, ref in body:
            new, digest = self._member(ref)
            kept = old.get(name) if new is None else None
            if kept is not None and kept[3] == mode:
                zipbytes.MEMBER_CACHE[(name, mode, digest)] = kept[:2]  # assemble() takes it from there
                entries.append((name, b"", mode, digest))
                total += kept[2]
                continue
            data = self._content(ref)
            entries.append((name, data, mode, self._sha(data)))
            total += len(data)
        if not zipbytes.fits_plain(total, len(entries)):
            raise Fallback("a ZIP64 archive")
        cached = self._zips[key] = zipbytes.assemble(entries)
        return cached

    def _sha(self, data: bytes) -> str:
        digest = self._shas.get(id(data))
        if digest is None or digest[0] is not data:
            digest = self._shas[id(data)] = (data, sha256_hex(data))
        return digest[1]

    # -------------------------------------------------------- write
    def _write(self, writes: dict[int, dict[str, bytes]]) -> None:
        staged = [(index, files, self._index_text(index, files)) for index, files in sorted(writes.items())]
        for index, files, text in staged:
            out_dir, recipes = self.record["outputs"][index][1], self.record["outputs"][index][3]
            # what each file held: read during the rebuild, or the same bytes as a file that was (the
            # functions of one module share an archive), by the digests of the previous index
            by_digest = {}
            prefix = os.path.join(out_dir, "")
            for path, data in self._previous.items():
                if not path.startswith(prefix):  # another output's file (paths are out_dir joined with rel)
                    continue
                rel = path[len(prefix):].replace(os.sep, "/")
                if rel in self.indexes[index]:
                    by_digest[self.indexes[index][rel]["sha256"]] = data
            held = {os.path.join(out_dir, rel): by_digest.get(self.indexes[index][rel]["sha256"]) for rel in files}
            _write_set(out_dir, files, {p: recipes[p][1] for p in files}, text, self._sha, held)

    def _index_text(self, index: int, files: dict[str, bytes]) -> bytes:
        """The output's index with the rebuilt files' digests and sizes: the previous index edited in place
        (it is canonical JSON, one entry per file), which is what the full build would write."""
        text = self.index_texts[index]  # as read for the rebuild (the output is checked untouched)
        entries = self.indexes[index]
        for path, data in files.items():
            key = _json_string(path)
            old, new = entries[path], {"sha256": self._sha(data), "size": len(data)}
            block = b'%s: {\n      "sha256": "%s",\n      "size": %d\n    }'
            before = block % (key, old["sha256"].encode(), old["size"])
            if text.count(before) != 1:
                raise Fallback("unexpected index layout")
            text = text.replace(before, block % (key, new["sha256"].encode(), new["size"]))
        return text

    def _update_record(self, writes: dict[int, dict[str, bytes]]) -> None:
        """Carry the record forward: new source signatures and member digests, the new index signatures."""
        record = self.record
        sources = dict(record["sources"])
        for path, sig in self.touched.items():
            digest = self._sha(self.changed[path]) if path in self.changed else sources[path][4]
            sources[path] = racy_safe(sig, self.fresh_after) + (digest,)
        record["sources"] = sources

        def member(ref: tuple) -> tuple:
            return (self._member(ref)[1], ref[1]) if ref[1] else ref

        rebuilt: dict[int, list] = {}

        def body_of(kind: str, body: object) -> object:
            if kind == "f":
                return member(body)
            if kind != "z" or not self._touches(body):
                return body
            new = rebuilt.get(id(body))
            if new is None:
                new = rebuilt[id(body)] = [(name, mode, member(ref)) for name, mode, ref in body]
            return new

        outputs = []
        for index, (provider, out_dir, sig, recipes, digests) in enumerate(record["outputs"]):
            if index in writes:
                recipes = {path: (kind, mode, body_of(kind, body)) for path, (kind, mode, body) in recipes.items()}
                moved = self.moved.get(index, {})
                digests = {moved.get(old, old): [(name, member(ref)) for name, ref in members]
                           for old, members in digests.items()}
                sig = signature(os.path.join(out_dir, INDEX))
            outputs.append((provider, out_dir, sig, recipes, digests))
        record["outputs"] = outputs
        save(self.path, record)


def save(path: str, record: dict) -> None:
    """Write a record atomically (a reader sees the old one or the new one)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as handle:
        handle.write(marshal.dumps(record))
    os.replace(tmp, path)


def index_files(text: bytes) -> dict[str, dict]:
    """The ``files`` of an artifacts.json, read by its layout: canonical JSON as the full build writes it
    (sorted keys, two-space indent, one path per entry). Parsing with the json module would import it and
    re, ~3 ms of a ~40 ms incremental build. Anything else in the text (an escaped path, another layout):
    the json module reads it."""
    lines = text.split(b"\n")
    if lines[:2] == [b"{", b'  "files": {']:
        end = next((i for i in range(2, len(lines), 4) if lines[i] in (b"  }", b"  },")), 0)
        names, shas, sizes, closes = lines[2:end:4], lines[3:end:4], lines[4:end:4], lines[5:end:4]
        # each entry is four lines; the checks run over whole columns at once
        if end and b"".join(closes) == b"    }," * (len(closes) - 1) + b"    }" \
                and all(n[:5] == b'    "' and n[-4:] == b'": {' and b"\\" not in n and b'"' not in n[5:-4]
                        for n in names) \
                and all(len(h) == 83 and h[:17] == b'      "sha256": "' and h[-2:] == b'",' for h in shas) \
                and all(z[:14] == b'      "size": ' for z in sizes):
            return {n[5:-4].decode("utf-8"): {"sha256": h[17:-2].decode("ascii"), "size": int(z[14:])}
                    for n, h, z in zip(names, shas, sizes)}
    import json

    return json.loads(text)["files"]


def _json_string(text: str) -> bytes:
    """``json.dumps(text, ensure_ascii=False)`` as UTF-8, without importing json for plain paths."""
    if '"' in text or "\\" in text or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in text):
        import json

        return json.dumps(text, ensure_ascii=False).encode("utf-8")
    return b'"' + text.encode("utf-8") + b'"'


def _occurrences(data: bytes, old: str) -> list[tuple[int, int]]:
    """(start, length) of each place ``data`` holds digest ``old``: whole, or a hex prefix of at least 12
    characters (a label may hold the first 20)."""
    needle = old[:12].encode()
    spots = []
    start = data.find(needle)
    while start != -1:
        length = 12
        while length < 64 and start + length < len(data) and data[start + length] == ord(old[length]):
            length += 1
        spots.append((start, length))
        start = data.find(needle, start + length)
    return spots


# Every byte a lowercase hex digit becomes "x", every other byte " " (bytes.translate, in C).
_HEX_MARKS = bytes(0x78 if byte in b"0123456789abcdef" else 0x20 for byte in range(256))
_MIN_RUN = b"x" * 12


class _HexRuns:
    """A file's runs of 12 or more lowercase hex characters, joined by spaces: where its digests can be.

    A digest or prefix :func:`_occurrences` finds lies within one such run (it is 12 or more hex characters
    and a match stops at the first character that differs), so searching the runs finds the same places as
    searching the file, mapped back by each run's offset. Generated files are mostly not hex (a child
    template of 370 KB holds ~6 KB of it, a SAM child none): one pass here costs ~3 searches of the file,
    and a replay searched each file once per digest that moved (~8 for a template), ~4 ms of a ~28 ms
    incremental build at 200 functions.
    """

    __slots__ = ("text", "starts", "offsets")

    def __init__(self, data: bytes):
        marks = data.translate(_HEX_MARKS)
        parts: list[bytes] = []
        self.starts: list[int] = []  # where each run begins in the file
        self.offsets: list[int] = []  # and in ``text``
        at = 0
        start = marks.find(_MIN_RUN)
        while start != -1:
            end = marks.find(b" ", start)
            end = len(data) if end == -1 else end
            parts.append(data[start:end])
            self.starts.append(start)
            self.offsets.append(at)
            at += end - start + 1
            start = marks.find(_MIN_RUN, end)
        self.text = b" ".join(parts)

    def occurrences(self, old: str) -> list[tuple[int, int]]:
        """``_occurrences(data, old)`` of the file this was made of."""
        spots = []
        run = 0
        for at, length in _occurrences(self.text, old):  # ascending, so the run index only moves forward
            while run + 1 < len(self.offsets) and self.offsets[run + 1] <= at:
                run += 1
            spots.append((self.starts[run] + at - self.offsets[run], length))
        return spots


def _apply(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with each (start, length) span replaced; spans may not overlap."""
    out = []
    at = 0
    for start, length, new in sorted(edits):
        if start < at:
            raise Fallback("overlapping digests")
        out += [data[at:start], new]
        at = start + length
    out.append(data[at:])
    return b"".join(out)


def _swap_digests(data: bytes, moved: dict[str, str]) -> bytes:
    """``data`` with every occurrence of a moved digest replaced; the same object when none occurs."""
    runs = _HexRuns(data)
    edits = [(start, length, new[:length].encode()) for old, new in moved.items()
             for start, length in runs.occurrences(old)]
    return _apply(data, edits) if edits else data


def _write_set(out_dir: str, files: dict[str, bytes], modes: dict[str, int], index: bytes,
               digest=sha256_hex, held: dict[str, bytes | None] | None = None) -> None:
    """Replace ``files`` and the index in ``out_dir``, all or nothing.

    The full writer's discipline (:meth:`ArtifactSet.write`): the index goes first (a folder without one
    is rebuilt whole next time, so a process killed midway leaves nothing a later build trusts), new files
    are written beside and renamed over, identical new files share one inode, and an error puts the old
    contents back. They are kept in memory, read just before: a journal of hard links cost two file-system
    operations per file, a fifth of an incremental build. ``digest`` names contents (the caller has
    hashed them already, for the index); ``held`` has the old contents the caller already read.
    """
    pid = os.getpid()
    index_path = os.path.join(out_dir, INDEX)
    staged: list[tuple[str, str]] = []
    previous: dict[str, tuple[bytes, int]] = {}
    first: dict[tuple[str, int], str] = {}
    old_index = None
    try:
        for rel, data in sorted(files.items()):
            dest = os.path.join(out_dir, rel)
            old = (held or {}).get(dest)
            if old is None:
                with open(dest, "rb") as handle:
                    old = handle.read()
            previous[dest] = (old, modes[rel])
            tmp = f"{dest}.tmp-{pid}"
            key = (digest(data), modes[rel])
            if key in first:
                os.link(first[key], tmp)
            else:
                _write_file(tmp, data, modes[rel])
                first[key] = tmp
            staged.append((tmp, dest))
        with open(index_path, "rb") as handle:
            old_index = handle.read()
        os.unlink(index_path)
        for tmp, dest in staged:
            os.replace(tmp, dest)
        _write_file(f"{index_path}.tmp-{pid}", index, 0o644)
        os.replace(f"{index_path}.tmp-{pid}", index_path)
    except BaseException:
        for tmp, _dest in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        if old_index is not None:  # the index was removed: put the previous set back, the index last
            for dest, (data, mode) in previous.items():
                _write_file(f"{dest}.tmp-{pid}", data, mode)
                os.replace(f"{dest}.tmp-{pid}", dest)
            _write_file(f"{index_path}.tmp-{pid}", old_index, 0o644)
            os.replace(f"{index_path}.tmp-{pid}", index_path)
        raise


def _write_file(path: str, data: bytes, mode: int) -> None:
    """A new file with ``data`` and exactly ``mode`` (whatever the umask); plain system calls."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
