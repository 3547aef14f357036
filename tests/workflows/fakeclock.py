"""An injectable clock whose sleep advances time at once, so waits and retries cost no real time."""

from __future__ import annotations

import threading
import time


class FakeClock:
    def __init__(self, start: float | None = None):
        self.t = time.time() if start is None else start
        self.lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.t += max(seconds, 0.0)
        time.sleep(0)  # let other threads run

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.t += seconds
