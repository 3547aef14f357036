"""The local Backend: resource calls from a handler go straight to the stage's local store.

Worker processes run user code, so this backend opens the store itself from
``SLSN_STATE_DIR`` (``<service>/.sls-neutral/local/<stage>/``). It is the one
adapter that imports from ``sls_neutral.providers.local``: it only ever runs on
the developer's machine, where the full package is installed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sls_neutral.runtime.adapters import Backend
from sls_neutral.runtime.errors import NotFound, SlsnRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms at import; annotations are strings anyway
    from typing import Any


class LocalBackend(Backend):
    provider = "local"

    def __init__(self, state_dir: str | Path | None = None, store: Any = None):
        self._state_dir = state_dir
        self._store = store
        self._lock = threading.Lock()

    @property
    def store(self) -> Any:
        """The LocalStore, opened on first use (SQLite connections are per process and thread)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    state_dir = self._state_dir or os.environ.get("SLSN_STATE_DIR")
                    if not state_dir:
                        raise SlsnRuntimeError("SLSN_STATE_DIR is not set, so the local backend has no store",
                                               hint="run handlers through 'sls-neutral deploy -p local', "
                                                    "'dev' or 'invoke -p local'")
                    from sls_neutral.providers.local.store import LocalStore

                    self._store = LocalStore(Path(state_dir))
        return self._store

    def bucket_put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        self.store.bucket_put(bucket, key, data, content_type)

    def bucket_get(self, bucket: str, key: str) -> bytes:
        try:
            return self.store.bucket_get(bucket, key)
        except KeyError:
            raise NotFound(f"object '{key}' not found in bucket '{bucket}'") from None

    def bucket_delete(self, bucket: str, key: str) -> None:
        self.store.bucket_delete(bucket, key)

    def bucket_list(self, bucket: str, prefix: str) -> list[str]:
        return list(self.store.bucket_list(bucket, prefix))

    def queue_send(self, queue: str, body: bytes, delay: float, attributes: dict[str, str]) -> str:
        return self.store.queue_send(queue, body, delay, dict(attributes or {}))

    def topic_publish(self, topic: str, body: bytes, attributes: dict[str, str]) -> str:
        return self.store.topic_publish(topic, body, dict(attributes or {}))

    def secret_read(self, name: str) -> str:
        try:
            return self.store.secret_read(name)
        except KeyError as exc:
            raise NotFound(str(exc) if type(exc) is not KeyError else f"secret '{name}' has no local value") \
                from None

    def workflow_start(self, workflow: str, input: dict) -> str:
        return self.store.workflow_start(workflow, input)


def backend() -> LocalBackend:
    """get_backend() calls this once per process."""
    return LocalBackend()
