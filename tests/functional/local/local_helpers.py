"""Helpers for tests that run a real local deployment (imported by name: test folders are not packages)."""

import http.client as httpclient
import json
import os
import signal
import socket
import time
from pathlib import Path

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port, method, path, body=None, headers=None, timeout=15):
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, data
    finally:
        conn.close()


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def state_dir(root: Path, stage: str = "dev") -> Path:
    return root / ".sls-neutral" / "local" / stage


def runtime_pid(root: Path) -> int:
    return json.loads((state_dir(root) / "runtime.json").read_text())["pid"]


def kill_tree(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


