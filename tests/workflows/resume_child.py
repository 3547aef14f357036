"""A stand-in local runtime for the kill-and-resume test: runs the engine's driver until killed.

Usage: python resume_child.py DB_PATH CALLS_FILE. Every step invocation appends
the function's name to CALLS_FILE (fsync'd), so the test can count runs.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_loader import CorpusCase  # noqa: E402

from sls_neutral.core.workflows.engine import StepFailure, WorkflowEngine  # noqa: E402

FUNCTIONS = {"record": {}, "flaky": {}}
WORKFLOWS = {
    "timer": {"steps": [
        {"before": {"call": "record", "input": {"n": 1}}},
        {"pause": {"wait": {"seconds": 2}}},
        {"after": {"call": "record", "input": {"n": 2}}},
    ]},
    "retry": {"steps": [
        {"shaky": {"call": "flaky", "retry": [{"errors": ["Busy"], "interval": "2s", "max_attempts": 2}]}},
        {"after": {"call": "record", "input": {"n": 3}}},
    ]},
}


def app():
    base = CorpusCase(name="timer", file=Path("resume"), functions=FUNCTIONS, workflow_body=WORKFLOWS["timer"],
                      cases=[]).app()
    other = CorpusCase(name="retry", file=Path("resume"), functions=FUNCTIONS, workflow_body=WORKFLOWS["retry"],
                       cases=[]).app()
    return base.replace(workflows={**base.workflows, **other.workflows})


def main(db_path: str, calls_file: str) -> None:
    lock = threading.Lock()

    def invoke(function, data, correlation_id):
        with lock:
            with open(calls_file, "a") as f:
                f.write(f"{correlation_id} {function}\n")
                f.flush()
                os.fsync(f.fileno())
            with open(calls_file) as f:
                count = sum(1 for line in f if line.split() == [correlation_id, function])
        if function == "flaky" and count == 1:
            raise StepFailure("Busy", "first attempt")
        return {"function": function, "input": data}

    engine = WorkflowEngine(Path(db_path), app(), invoke, poll_interval=0.05)
    print("ready", flush=True)
    engine.run(threading.Event())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
