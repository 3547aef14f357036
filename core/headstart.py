"""A head start for a full ``package``: a forked helper parses the manifest and the handler modules while
this process imports the framework.

Why: everything before the providers fork (:mod:`sls_neutral.core.forkpool`) runs on one core while the
other idles: interpreter start, imports, loading and compiling the manifest, ~0.1 s of a ~0.28 s
``package -p all`` at 1,000 functions. Two pieces of it depend on files only, not on the framework:
reading the manifest with the block reader (:mod:`sls_neutral.core.manifest.yamlblock`, ~15 ms at 1,000
functions) and parsing the handler modules for their definitions and imports (:mod:`sls_neutral.core.pyscan`,
~10 ms for 100 modules). The helper is forked as soon as the incremental path has declined, when this
process has imported next to nothing, and does both while this process imports the rest (~30 ms).

Why it is safe: the helper computes with the same functions this process would call, sends plain data
(``marshal``) over a pipe, and each result is used only for the exact bytes this process reads itself:
the manifest's text, a module's source. A file edited in between is parsed here as before, and what the
build read (the incremental record's inputs) is still this process's own reading. The helper writes no
file, prints nothing and ends with ``os._exit``; whatever goes wrong in it (an exception, a manifest
outside the block reader's subset, a value marshal refuses) sends nothing for that piece, and this process
does the work itself, as it always did. Linux with more than one CPU only (as forkpool);
``SLSN_NO_HEADSTART=1`` turns it off.
"""

from __future__ import annotations

import marshal
import os
import sys

_STAGES = ("manifest", "scans")
_helper: _Helper | None = None


class _Helper:
    """The parent's end: the helper's pid and pipe, and what was read from it so far."""

    def __init__(self, pid: int, fd: int):
        self.pid = pid
        self.fd = fd
        self.owner = os.getpid()  # a process forked later (forkpool's child) must leave the pipe alone
        self.received: dict[str, object] = {}

    def take(self, stage: str) -> object:
        """The helper's result for ``stage`` (None when it sent none), reading the pipe up to it."""
        while stage not in self.received and self.fd >= 0 and os.getpid() == self.owner:
            name = _STAGES[len(self.received)]
            self.received[name] = self._read_one()
        return self.received.get(stage)

    def _read_one(self) -> object:
        try:
            size = int.from_bytes(_read_exactly(self.fd, 4), "little")
            return marshal.loads(_read_exactly(self.fd, size)) if size else None
        except (OSError, EOFError, ValueError, TypeError):
            self.close()
            return None

    def close(self, *, stop: bool = False) -> None:
        """Close the pipe and reap the helper; ``stop``: end it first (its results are no longer wanted)."""
        if self.fd >= 0 and os.getpid() == self.owner:
            os.close(self.fd)
            self.fd = -1
            try:
                if stop:
                    os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the helper ended early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def available() -> bool:
    from sls_neutral.core import forking

    return os.environ.get("SLSN_NO_HEADSTART", "") in ("", "0", "false") and forking.allowed()


def start(manifest: str) -> None:
    """Fork the helper for the manifest at ``manifest`` (as the command line names it), when available."""
    global _helper
    if _helper is not None or not available():
        return
    # Imported before the fork (this process needs them to load the manifest anyway), so the helper starts
    # parsing at once instead of importing them while this process does the same (~12 ms).
    import sls_neutral.core.manifest.yamlblock  # noqa: F401
    import sls_neutral.core.sources  # noqa: F401

    try:
        read, write = os.pipe()
    except OSError:  # out of file descriptors: no head start, the command itself decides
        return
    try:
        import fcntl

        fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, 1 << 20)  # the helper never waits for this process to read
    except (ImportError, AttributeError, OSError):
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:  # out of processes or memory: the work is done here, as without a helper
        os.close(read)
        os.close(write)
        return
    if pid == 0:
        os.close(read)
        _run_helper(write, manifest)  # never returns
    os.close(write)
    _helper = _Helper(pid, read)
    from sls_neutral.core import pyscan

    pyscan.pending = _take_scans


def manifest_data(path: str, text: str) -> tuple | None:
    """(data, value positions, key positions) of the manifest the helper read, when ``path`` is the same
    file and ``text`` what the helper read from it; None otherwise (the caller parses it)."""
    if _helper is None:
        return None
    sent = _helper.take("manifest")
    if not sent or sent[0] != os.path.realpath(path) or sent[1] != text:
        return None
    return sent[2:]


def _take_scans() -> None:
    """Give pyscan what the helper found (called by pyscan's first question), and let the helper go."""
    if _helper is None:
        return
    sent = _helper.take("scans")
    _helper.close()
    if sent:
        from sls_neutral.core import pyscan

        pyscan.prime(*sent)


def stop() -> None:
    """Let the helper go, if still running (nothing more will be asked of it)."""
    global _helper
    if _helper is not None:
        _helper.close(stop=True)
        from sls_neutral.core import keepalive

        keepalive.keep(_helper)  # what it sent (the manifest's data and positions) lives until the process ends
        _helper = None
        from sls_neutral.core import pyscan

        pyscan.pending = None


# ------------------------------------------------------------ the helper process
def _run_helper(fd: int, manifest: str) -> None:
    """Parse, send, exit: never returns, never raises, never writes but to ``fd``."""
    try:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it quietly, with its parent
        data = _send(fd, _manifest_stage, manifest)
        _send(fd, _scan_stage, manifest, data)
    except BaseException:  # noqa: BLE001 - the parent does the work itself
        pass
    finally:
        os._exit(0)


def _send(fd: int, stage, *args):
    """Run one stage and send its result (nothing, when it fails); returns what the next stage needs."""
    try:
        payload, carried = stage(*args)
        body = marshal.dumps(payload) if payload is not None else b""
    except Exception:  # noqa: BLE001
        body, carried = b"", None
    _write_all(fd, len(body).to_bytes(4, "little") + body)
    return carried


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _manifest_stage(manifest: str) -> tuple[tuple | None, object]:
    real = os.path.realpath(manifest)
    raw = _read_regular(real)
    if raw is None:
        return None, None
    text = raw.decode("utf-8").replace("\r\n", "\n")  # as yamlpos.load_yaml_file reads it
    from sls_neutral.core.manifest.yamlblock import load_block

    doc = load_block(text, manifest)
    if doc is None:
        return None, None
    return (real, text, doc.data, doc.value_pos, doc.key_pos), doc.data


def _scan_stage(manifest: str, data: object) -> tuple[tuple | None, None]:
    """Definitions of the handler modules the manifest names, and imports of what they import."""
    functions = data.get("functions") if isinstance(data, dict) else None
    if not isinstance(functions, dict):
        return None, None
    from pathlib import PurePosixPath

    from sls_neutral.core import pyscan, sources
    from sls_neutral.core.manifest import rules

    handlers = set()
    for spec in functions.values():
        handler = spec.get("handler") if isinstance(spec, dict) else None
        try:
            rules.handler(handler)  # FILE.py:FUNCTION inside the service, as the loader requires
        except (TypeError, ValueError):
            continue
        handlers.add(PurePosixPath(handler.rsplit(":", 1)[0]).as_posix())  # as the compiler reads it
    tree = _ServiceFiles(os.path.dirname(os.path.realpath(manifest)))
    names_of = []
    for handler in sorted(handlers):
        source = tree.get(handler)
        if source is None:
            continue
        try:
            names_of.append((source, tuple(sorted(pyscan.defined_names(source, handler)))))
        except (SyntaxError, ValueError):
            continue
        sources.import_closure(tree, handler)  # fills pyscan.imports' cache
    imports_of = [(path, source, found) for (path, source), found in pyscan.imports.cache_items()]
    return (imports_of, names_of), None


def _read_regular(path: str) -> bytes | None:
    """A regular file's bytes; None for anything else (a FIFO or a device would hold the helper, and this
    process waiting for it) or when it cannot be read."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


class _ServiceFiles:
    """The service's Python files as the import closure asks for them: read on first use. It may hold more
    than the build's sources (it does not apply their exclusions): a module scanned for nothing only
    primes a result nobody asks for."""

    def __init__(self, root: str):
        self.root = root
        self.read: dict[str, bytes | None] = {}

    def get(self, path: str) -> bytes | None:
        if path not in self.read:
            self.read[path] = _read_regular(os.path.join(self.root, path))
        return self.read[path]

    def __contains__(self, path: str) -> bool:
        return path.endswith(".py") and self.get(path) is not None

    def __getitem__(self, path: str) -> bytes:
        data = self.get(path)
        if data is None:
            raise KeyError(path)
        return data
