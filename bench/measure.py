"""Run a command and measure wall time and the peak RSS of its whole process tree.

``os.wait4`` gives the rusage of one child; ``ru_maxrss`` of RUSAGE_CHILDREN is
the max over the waited descendants, so we fork a tiny waiter per run to keep
each measurement separate.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Sample:
    seconds: float
    peak_rss_mb: float
    returncode: int


def run_once(cmd: list[str], cwd: str | None = None, env: dict | None = None, log: str | None = None) -> Sample:
    """Wall time and peak RSS (MB) of ``cmd`` including its children (node's workers, pip, ...).

    ``log``: a file that gets the command's output (discarded otherwise)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the waiter: runs cmd, reports its children's peak RSS
        os.close(read)
        sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the waiter exits right after
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT if log else sink)
        elapsed = time.perf_counter() - start
        import resource

        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        os.write(write, f"{elapsed} {peak_kb} {proc.returncode}".encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 1024):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    elapsed, peak_kb, code = data.decode().split()
    return Sample(float(elapsed), int(peak_kb) / 1024, int(code))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
