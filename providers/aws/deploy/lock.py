"""A deploy lock: one object per stage, created with a conditional put (``If-None-Match: *``).

S3 refuses the second writer atomically, so two concurrent deploys of the same
stage cannot both pass. The lock records who holds it; it is taken over when it
is older than ``STALE_AFTER_S`` or when its holder is a process on this machine
that no longer runs (a deploy killed mid-way converges on the next run).
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any

from sls_neutral.core.errors import DeployError

STALE_AFTER_S = 30 * 60


def lock_key(service: str, stage: str) -> str:
    return f"{service}/{stage}/deploy.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DeployLock:
    def __init__(self, s3: Any, bucket: str, key: str, *, stale_after: float = STALE_AFTER_S):
        self.s3 = s3
        self.bucket = bucket
        self.key = key
        self.stale_after = stale_after
        self.held = False
        self.owner = {"host": socket.gethostname(), "pid": os.getpid()}

    def acquire(self) -> None:
        for _attempt in range(2):
            body = json.dumps({**self.owner, "since": time.time()}).encode()
            try:
                self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=body, IfNoneMatch="*")
                self.held = True
                return
            except self.s3.exceptions.ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                    raise
            holder = self._holder()
            if holder is not None and not self._stale(holder):
                since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.get("since", 0)))
                raise DeployError(
                    f"another deploy of this stage holds the lock (host {holder.get('host')}, pid "
                    f"{holder.get('pid')}, since {since})",
                    hint=f"wait for it to finish; a lock older than {int(self.stale_after // 60)} minutes is taken "
                         f"over, or delete s3://{self.bucket}/{self.key} if you are sure no deploy runs")
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        raise DeployError("could not take the deploy lock", hint="retry the deploy")

    def _holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read())
        except Exception:
            return None  # vanished or unreadable: treat as free

    def _stale(self, holder: dict[str, Any]) -> bool:
        if time.time() - float(holder.get("since", 0)) > self.stale_after:
            return True
        if holder.get("host") == self.owner["host"] and isinstance(holder.get("pid"), int):
            return not _alive(holder["pid"])
        return False

    def release(self) -> None:
        if self.held:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
            self.held = False

    def __enter__(self) -> "DeployLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
