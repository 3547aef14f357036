"""Artifacts: built in memory, byte-stable, written atomically.

A provider adds files to an :class:`ArtifactSet`; the core writes the set to a
temporary sibling folder and renames it into place, so a failure never leaves
half an artifact set. Bytes are deterministic: JSON with sorted keys and LF,
zips with fixed timestamps and permissions and sorted entries, no absolute
paths or clock values. ``artifacts.json`` indexes every file with its sha256;
``package --check`` compares a folder with what would be written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Mapping

from sls_neutral.core.errors import PermissionDeniedError, SlsnError

INDEX = "artifacts.json"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755


def safe_relpath(path: str) -> str:
    """A normalized POSIX relative path, refusing absolute paths and '..' (zip slip)."""
    if not path or "\\" in path or "\x00" in path:
        raise PermissionDeniedError(f"invalid artifact path {path!r}")
    pure = PurePosixPath(path)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts) or path.startswith("/"):
        raise PermissionDeniedError(f"artifact path {path!r} escapes the output folder",
                                    hint="paths are relative and may not contain '..'")
    return pure.as_posix()


def canonical_json(data: Any, *, indent: int | None = 2) -> bytes:
    """Sorted keys, LF, a final newline: the same data always gives the same bytes."""
    text = json.dumps(data, sort_keys=True, indent=indent, ensure_ascii=False, separators=(",", ": ") if indent
                      else (",", ":"))
    return (text + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_ZIP_CACHE: dict[str, bytes] = {}
_ZIP_DISK_CACHE: Path | None = None


def set_zip_cache_dir(path: Path | None) -> None:
    """Persist compressed zips by content key (``.sls-neutral/cache/zip``) so a rebuild recompresses nothing."""
    global _ZIP_DISK_CACHE
    _ZIP_DISK_CACHE = Path(path) if path else None


def deterministic_zip(files: Mapping[str, bytes | tuple[bytes, int]]) -> bytes:
    """Zip ``{path: bytes | (bytes, mode)}`` with sorted entries, fixed times and modes.

    Memoized by content hash so an unchanged function is not recompressed twice in a process.
    """
    entries = []
    digest = hashlib.sha256()
    for name in sorted(files):
        value = files[name]
        data, mode = (value if isinstance(value, tuple) else (value, FILE_MODE))
        name = safe_relpath(name)
        entries.append((name, data, mode))
        digest.update(name.encode() + b"\0" + oct(mode).encode() + b"\0" + sha256(data).encode() + b"\n")
    key = digest.hexdigest()
    cached = _ZIP_CACHE.get(key)
    if cached is not None:
        return cached
    disk = _ZIP_DISK_CACHE / f"{key}.zip" if _ZIP_DISK_CACHE else None
    if disk is not None and disk.is_file():
        cached = disk.read_bytes()
        _ZIP_CACHE[key] = cached
        return cached
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = ((stat.S_IFREG | mode) & 0xFFFF) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    result = buffer.getvalue()
    _ZIP_CACHE[key] = result
    if disk is not None:
        try:
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_bytes(result)
            os.replace(tmp, disk)
        except OSError:
            pass  # the cache is an optimisation; a read-only disk must not fail the build
    return result


def safe_extract(zip_bytes: bytes, target: Path) -> list[str]:
    """Extract a zip, refusing entries that escape ``target`` (zip slip) or are links."""
    target = target.resolve()
    names = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for info in zf.infolist():
            name = safe_relpath(info.filename.rstrip("/")) if info.filename.rstrip("/") else ""
            mode = (info.external_attr >> 16) & 0o170000
            if mode == stat.S_IFLNK:
                raise PermissionDeniedError(f"zip entry {info.filename!r} is a symbolic link")
            dest = (target / name).resolve()
            if not str(dest).startswith(str(target) + os.sep) and dest != target:
                raise PermissionDeniedError(f"zip entry {info.filename!r} escapes the target folder")
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(info))
            names.append(name)
    return names


@dataclass(frozen=True)
class Artifact:
    path: str
    data: bytes
    mode: int = FILE_MODE

    @property
    def sha256(self) -> str:
        return sha256(self.data)


class ArtifactSet:
    """The files one provider emits, in memory, keyed by POSIX relative path."""

    def __init__(self, provider: str):
        self.provider = provider
        self._files: dict[str, Artifact] = {}

    def add(self, path: str, data: bytes | str, *, mode: int = FILE_MODE) -> Artifact:
        path = safe_relpath(path)
        if path == INDEX:
            raise SlsnError(f"'{INDEX}' is written by the core")
        if isinstance(data, str):
            data = data.replace("\r\n", "\n").encode("utf-8")
        artifact = Artifact(path, bytes(data), mode)
        self._files[path] = artifact
        return artifact

    def add_json(self, path: str, data: Any) -> Artifact:
        return self.add(path, canonical_json(data))

    def add_zip(self, path: str, files: Mapping[str, bytes | tuple[bytes, int]]) -> Artifact:
        return self.add(path, deterministic_zip(files))

    def remove(self, path: str) -> None:
        self._files.pop(safe_relpath(path), None)

    def get(self, path: str) -> Artifact | None:
        return self._files.get(path)

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def __iter__(self):
        return iter(self._files[p] for p in sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def paths(self) -> list[str]:
        return sorted(self._files)

    def index(self) -> dict[str, Any]:
        return {"provider": self.provider, "format": 1,
                "files": {a.path: {"sha256": a.sha256, "size": len(a.data)} for a in self}}

    def rendered(self) -> dict[str, bytes]:
        """Every file as it will be on disk, the index included."""
        out = {a.path: a.data for a in self}
        out[INDEX] = canonical_json(self.index())
        return out

    # ------------------------------------------------------------ disk
    def write(self, out_dir: Path) -> None:
        """Write to a temporary sibling and rename into place (all or nothing).

        Files whose sha256 matches the previous output's index are hard-linked from it instead of
        rewritten, so an incremental build after one change writes little.
        """
        out_dir = Path(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        previous = _previous_index(out_dir)
        try:
            tmp.mkdir()
            made: set[Path] = set()
            for path, data in self.rendered().items():
                dest = tmp / path
                if dest.parent not in made:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    made.add(dest.parent)
                artifact = self._files.get(path)
                mode = artifact.mode if artifact else FILE_MODE
                if artifact is not None and previous.get(path) == artifact.sha256 and _link(
                        out_dir / path, dest, mode, artifact.sha256):
                    continue
                dest.write_bytes(data)
                os.chmod(dest, mode)
            if out_dir.exists():
                os.rename(out_dir, old)
            os.rename(tmp, out_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old.exists() and not out_dir.exists():
                os.rename(old, out_dir)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def diff(self, out_dir: Path) -> list[tuple[str, str]]:
        """(status, path) for every difference between ``out_dir`` and this set: added/changed/removed."""
        expected = self.rendered()
        actual: dict[str, Path] = {}
        out_dir = Path(out_dir)
        if out_dir.is_dir():
            for p in sorted(out_dir.rglob("*")):
                if p.is_file():
                    actual[p.relative_to(out_dir).as_posix()] = p
        changes = []
        for path in sorted(set(expected) | set(actual)):
            if path not in actual:
                changes.append(("missing", path))
            elif path not in expected:
                changes.append(("extra", path))
            elif actual[path].read_bytes() != expected[path]:
                changes.append(("changed", path))
        return changes


def _previous_index(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / INDEX).read_text(encoding="utf-8"))
        return {path: entry["sha256"] for path, entry in data.get("files", {}).items()}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return {}


def _link(source: Path, dest: Path, mode: int, expected_sha: str) -> bool:
    """Hard-link an unchanged file from the previous output; False when it cannot be trusted or linked.

    The content is re-hashed (the index may be stale if someone edited the folder by hand): reading is
    still much cheaper than writing a new file.
    """
    try:
        st = source.stat()
        if (st.st_mode & 0o777) != mode or source.is_symlink() or sha256(source.read_bytes()) != expected_sha:
            return False
        os.link(source, dest)
        return True
    except OSError:
        return False


def read_tree(root: Path, files: Iterable[str]) -> dict[str, bytes]:
    """Read files relative to ``root`` (refusing escapes), for packaging handlers."""
    out = {}
    base = root.resolve()
    for rel in files:
        rel = safe_relpath(rel)
        path = (base / rel).resolve()
        if not str(path).startswith(str(base) + os.sep):
            raise PermissionDeniedError(f"{rel!r} resolves outside the service folder")
        out[rel] = path.read_bytes()
    return out
