"""10,000 messages, 10 % of handler calls raising, the runtime SIGKILLed mid-run and started again.

Afterwards every message is processed or in the DLQ -- none lost -- and duplicates are bounded by what
was in flight at the kill (at-least-once). The handler records processed ids with O_APPEND writes.
"""

import json
import os
import signal
import time

import pytest

from sls_neutral.providers.local.store import LocalStore

from local_helpers import runtime_pid, state_dir, wait_for

pytestmark = [pytest.mark.functional, pytest.mark.slow]
N = 10_000

MANIFEST = """service: reliable
runtime: python3.12
provider: local
queues:
  jobs:
    visibility_timeout: 3s
    dead_letter: {max_receives: 3}
functions:
  work:
    handler: src/work.py:work
    timeout: 1s
    idempotent: true
    triggers:
      - queue: {name: jobs, batch_size: 10}
"""
HANDLER = """import os
import random

OUT = os.open(os.environ["PROCESSED_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def work(event, ctx):
    if random.random() < 0.10:
        raise RuntimeError("flaky dependency")
    os.write(OUT, f"{event.data['n']}\\n".encode())
"""


def _processed(path):
    try:
        return [int(x) for x in path.read_text().split()]
    except FileNotFoundError:
        return []


def test_sigkill_mid_run_loses_nothing(tmp_path, deployed, cli):
    processed_file = tmp_path / "processed.txt"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "work.py").write_text(HANDLER)
    (tmp_path / "sls-neutral.yaml").write_text(MANIFEST.replace("timeout: 1s", "timeout: 1s\n    environment: "
                                                                "{PROCESSED_FILE: '%s'}" % processed_file))
    started = time.time()
    deployed(tmp_path, "--no-lint")
    store = LocalStore(state_dir(tmp_path))
    store.queue_send_many("jobs", [json.dumps({"n": i}).encode() for i in range(N)])

    wait_for(lambda: len(_processed(processed_file)) >= N * 0.3, 40, 0.02, "a third of the messages")
    os.kill(runtime_pid(tmp_path), signal.SIGKILL)  # no chance to ack, release or clean up
    at_kill = len(_processed(processed_file))
    assert at_kill < N, "the kill must happen mid-run"

    deployed(tmp_path, "--no-lint")  # a fresh runtime on the same state
    wait_for(lambda: store.depth("jobs")["total"] == 0, 50, 0.1, "the queue to drain after the restart")

    processed = _processed(processed_file)
    dead = [json.loads(m["body"])["n"] for m in store.peek("jobs-dlq", limit=N)]
    assert set(processed) | set(dead) == set(range(N)), "a message was lost"
    duplicates = len(processed) - len(set(processed))
    assert duplicates <= 200, f"{duplicates} duplicates: more than what can be in flight at a kill"
    assert 0 < len(dead) < N * 0.01  # ~0.1 % fail three times in a row
    assert time.time() - started < 60
