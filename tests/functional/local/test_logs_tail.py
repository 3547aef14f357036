"""`sls-neutral logs FUNCTION --tail` follows the local log file as lines are appended."""

import json
import queue
import subprocess
import sys
import threading
import time

import pytest

pytestmark = [pytest.mark.functional]


def test_logs_tail_follows_new_lines(service_copy):
    root = service_copy("photo-pipeline")
    log = root / ".sls-neutral" / "local" / "dev" / "logs" / "resize.log"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"message": "old line"}) + "\\n")
    proc = subprocess.Popen([sys.executable, "-m", "sls_neutral", "logs", "resize", "--tail"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        assert "old line" in lines.get(timeout=20)
        time.sleep(0.3)
        with open(log, "a") as fh:
            fh.write(json.dumps({"message": "new line"}) + "\\n")
        assert "new line" in lines.get(timeout=10)
    finally:
        proc.kill()
        proc.communicate(timeout=10)
