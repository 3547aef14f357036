"""Provider adapters: platform events <-> the neutral types, and one resource ``Backend`` per provider.

``get_backend()`` imports ``sls_neutral.runtime.adapters.<SLSN_PROVIDER>`` only
when a handler first touches a resource, so a function that never uses a
client never pays for a cloud SDK import.
"""

from __future__ import annotations

import os

from sls_neutral.runtime.errors import SlsnRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any

_backends: dict[str, Any] = {}


class Backend:
    """Resource operations against one provider; clients call these after the permission check.

    Names are neutral (manifest) names; a backend maps them to physical ids itself.
    The base refuses every operation with a clear message, so a partial backend
    fails loudly rather than silently doing nothing.
    """

    provider = "none"

    def _unsupported(self, operation: str) -> SlsnRuntimeError:
        return SlsnRuntimeError(f"the {self.provider} backend does not support {operation}",
                                hint="this resource kind is not available on this provider")

    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        raise self._unsupported("bucket put")

    def bucket_get(self, bucket: str, key: str) -> bytes:
        raise self._unsupported("bucket get")

    def bucket_delete(self, bucket: str, key: str) -> None:
        raise self._unsupported("bucket delete")

    def bucket_list(self, bucket: str, prefix: str) -> list[str]:
        raise self._unsupported("bucket list")

    def queue_send(self, queue: str, body: bytes, delay: float, attributes: dict[str, str]) -> str:
        raise self._unsupported("queue send")

    def topic_publish(self, topic: str, body: bytes, attributes: dict[str, str]) -> str:
        raise self._unsupported("topic publish")

    def secret_read(self, name: str) -> str:
        raise self._unsupported("secret read")

    def workflow_start(self, workflow: str, input: dict) -> str:
        raise self._unsupported("workflow start")


def _create(provider: str) -> Any:
    from importlib import import_module

    if not provider.isidentifier():
        raise SlsnRuntimeError(f"SLSN_PROVIDER={provider!r} is not a provider name")
    try:
        module = import_module(f"sls_neutral.runtime.adapters.{provider}")
    except ModuleNotFoundError as exc:
        if exc.name != f"sls_neutral.runtime.adapters.{provider}":
            raise
        raise SlsnRuntimeError(f"no runtime adapter for provider '{provider}'",
                               hint="the artifact ships only its own provider's adapter; redeploy") from None
    factory = getattr(module, "backend", None) or getattr(module, "create_backend", None)
    if callable(factory):
        return factory()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Backend) and value is not Backend:
            return value()
    raise SlsnRuntimeError(f"the '{provider}' adapter defines no Backend")


def get_backend(provider: str | None = None) -> Any:
    """The backend of ``provider`` (default ``SLSN_PROVIDER``), created once per process."""
    provider = provider or os.environ.get("SLSN_PROVIDER") or ""
    if not provider:
        raise SlsnRuntimeError("SLSN_PROVIDER is not set, so the runtime does not know which cloud it runs on",
                               hint="run the handler through 'sls-neutral invoke' or a deployed function")
    backend = _backends.get(provider)
    if backend is None:
        backend = _backends[provider] = _create(provider)
    return backend


def reset_backends() -> None:
    """Forget cached backends (tests, and the local worker after a reload)."""
    _backends.clear()
