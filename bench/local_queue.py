"""End-to-end queue throughput on the local provider, through the worker processes, with durable acks.

    python bench/local_queue.py [--messages 20000] [--batch-size 10]

Starts the local runtime (``deploy --detach``) for a one-queue service, enqueues
N messages in one transaction, and times until every message was delivered to
the handler in a worker process and acknowledged in SQLite (queue depth 0).
Not part of CI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3000.0

MANIFEST = """service: queue-bench
runtime: python3.12
provider: local
queues:
  jobs:
    dead_letter: {{max_receives: 5}}
functions:
  work:
    handler: handler.py:work
    memory: 128MB
    triggers:
      - queue: {{name: jobs, batch_size: {batch}}}
"""
HANDLER = """def work(event, ctx):
    return None
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=10)
    args = parser.parse_args()

    from sls_neutral.providers.local.store import LocalStore

    root = Path(tempfile.mkdtemp(prefix="slsn-queue-bench-"))
    (root / "sls-neutral.yaml").write_text(MANIFEST.format(batch=args.batch_size))
    (root / "handler.py").write_text(HANDLER)
    cli = shutil.which("sls-neutral") or str(Path(sys.executable).parent / "sls-neutral")
    port = _free_port()
    subprocess.run([cli, "deploy", "--detach", "--port", str(port), "--no-lint"], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        store = LocalStore(root / ".sls-neutral/local/dev")
        bodies = [json.dumps({"n": i}).encode() for i in range(args.messages)]
        start = time.perf_counter()
        store.queue_send_many("jobs", bodies)
        while store.depth("jobs")["total"]:
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        dead = store.depth("jobs-dlq")["total"]
    finally:
        subprocess.run([cli, "remove"], cwd=root, stdout=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
    rate = args.messages / elapsed
    print(f"queue end to end: {args.messages} messages in {elapsed:.2f} s = {rate:,.0f} msgs/s "
          f"(batch_size {args.batch_size}, durable per-message acks; dead-lettered {dead}); target >= {TARGET:,.0f}")
    print(json.dumps({"messages": args.messages, "seconds": round(elapsed, 3), "msgs_per_s": round(rate, 1),
                      "dead_lettered": dead}, sort_keys=True))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    main()
