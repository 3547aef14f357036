"""Exceptions handlers raise or catch; their names are part of the workflow error contract."""

from __future__ import annotations


class SlsnRuntimeError(RuntimeError):
    """The runtime cannot do what was asked (misconfigured environment, missing backend, ...)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} (hint: {self.hint})" if self.hint else text


class StepError(Exception):
    """A named failure a workflow can ``catch``/``retry`` by name (``StepError("OutOfStock", "sku 42")``)."""

    def __init__(self, name: str, message: str = ""):
        if not isinstance(name, str) or not name:
            raise TypeError("StepError needs a non-empty error name, e.g. StepError('OutOfStock', 'sku 42')")
        super().__init__(name, message)
        self.name = name
        self.message = message

    def __str__(self) -> str:
        return f"{self.name}: {self.message}" if self.message else self.name


class PermissionDenied(PermissionError):
    """The function used a resource its manifest ``permissions`` do not grant (same on every provider)."""


class NotFound(LookupError):
    """An object, secret or resource that does not exist."""


class InvalidKey(ValueError):
    """An object key the runtime refuses before any backend sees it (traversal, NUL, backslash, too long)."""


class FunctionTimeout(TimeoutError):
    """The invocation ran past the function's timeout; workflows see the error name ``Timeout``."""
