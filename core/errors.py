"""User errors and diagnostics.

Every problem a user can fix is an :class:`SlsnError`; the CLI renders it as one
message with file:line:col, a caret snippet and a hint, and exits 1. Anything
else is a bug (exit 3). Diagnostics are collected, not raised one by one, so a
manifest with five mistakes reports five.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Position:
    """A place in a source file. ``line`` and ``col`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col or 1}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    """One problem: what is wrong, where, and what to do about it."""

    message: str
    position: Position | None = None
    hint: str | None = None
    code: str = "E"  # a short machine-readable kind, e.g. "unknown-key", "SN004"
    severity: str = "error"  # error | warning | info
    snippet: str | None = field(default=None, compare=False)

    def render(self, *, color: bool = False) -> str:
        where = f"{self.position}: " if self.position else ""
        lines = [f"{where}{self.severity}: {self.message}"]
        if self.snippet:
            lines.append(self.snippet)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        pos = self.position
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": pos.file if pos else None,
            "line": pos.line if pos else None,
            "col": pos.col if pos else None,
            "hint": self.hint,
        }


class SlsnError(Exception):
    """Base class of every user error. Rendered without traceback, exit code 1."""

    exit_code = 1

    def __init__(self, message: str, *, position: Position | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(self.message, self.position, self.hint, code=type(self).__name__)]

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def __reduce__(self):
        """Pickled whole, whatever a subclass's ``__init__`` takes: a forked build process sends the
        errors it met back to the parent (:mod:`sls_neutral.core.forkpool`)."""
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type, args: tuple, state: dict) -> SlsnError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class DiagnosticsError(SlsnError):
    """Several diagnostics at once (a manifest with many mistakes)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        diags = list(diagnostics)
        first = diags[0] if diags else Diagnostic("invalid input")
        super().__init__(first.message, position=first.position, hint=first.hint)
        self._diagnostics = diags

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self._diagnostics)

    def render(self) -> str:
        body = "\n".join(d.render() for d in self._diagnostics)
        errors = sum(1 for d in self._diagnostics if d.severity == "error")
        return f"{body}\n{errors} error{'s' if errors != 1 else ''} found"


class ManifestError(DiagnosticsError):
    """The manifest cannot be loaded, resolved or validated."""


class UnsupportedFeatureError(SlsnError):
    """The chosen provider cannot do something the manifest asks for."""


class ProviderNotInstalledError(SlsnError):
    """A provider's extra (its SDKs) is not installed."""


class PluginError(SlsnError):
    """A plugin failed to load or broke its contract."""


class ArtifactDriftError(SlsnError):
    """``package --check`` found differences between the folder and the build."""


class DeployError(SlsnError):
    """A deploy failed; the previous deployment keeps serving."""


class PermissionDeniedError(SlsnError):
    """A path escapes its root (zip slip, traversal) or similar refusal."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt key or name, or None."""
    import difflib  # only when something is misspelled

    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def caret_snippet(text: str | None, line: int, col: int) -> str | None:
    """Render the source line with a caret under the column (rustc/dagster style)."""
    if not text or line <= 0:
        return None
    lines = text.splitlines()
    if line > len(lines):
        return None
    src = lines[line - 1].replace("\t", " ")
    gutter = f"{line:>4} | "
    return f"{gutter}{src}\n{' ' * len(gutter)}{' ' * max(col - 1, 0)}^"


def relpath_for_display(path: Path, root: Path | None = None) -> str:
    """File names in messages are relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to((root or Path.cwd()).resolve()))
    except ValueError:
        return str(path)
