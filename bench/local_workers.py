"""Raw WorkerPool throughput: hello-world HTTP invocations straight into warm workers (no HTTP server).

    python bench/local_workers.py [--seconds 5] [--callers 32] [--workers 2] [--b64]

The whole local runtime must reach >= 1.2x serverless-offline's req/s with p99
<= 15 ms on 2 cores (bench/local_http.py measures that end to end); the pool's
own overhead has to be a small part of it. Calls go through ``ainvoke_http``
(raw bodies, what the HTTP front uses) or, with ``--b64``, through ``ainvoke``
with the base64 payload other callers use. Prints calls/s, p50/p99 latency, the
workers' RSS and how many calls were pipelined behind a running one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MANIFEST = """service: pool-bench
runtime: python3.12
provider: local
functions:
  hello:
    handler: handler.py:hello
    memory: 128MB
    triggers:
      - http: {method: GET, path: /hello}
"""
HANDLER = 'def hello(request, ctx):\n    return {"hello": "world"}\n'
PAYLOAD = {"method": "GET", "path": "/hello", "route": "GET /hello", "path_params": {}, "query_string": "",
           "headers": {"host": "127.0.0.1"}, "body_b64": base64.b64encode(b"").decode(), "correlation_id": "c"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(seconds: float, callers: int, workers: int, root: Path, b64: bool = False) -> None:
    from sls_neutral.core.pipeline import Project
    from sls_neutral.providers.local.workers import WorkerPool

    app = Project(root / "sls-neutral.yaml").app
    pool = WorkerPool(app, root / ".sls-neutral" / "local" / "dev", max_workers=workers)
    try:
        await asyncio.gather(*(pool.ainvoke("hello", "http", PAYLOAD) for _ in range(workers * 4)))  # warm
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        queued = 0

        async def call() -> dict:
            if b64:
                return await pool.ainvoke("hello", "http", PAYLOAD)
            return await pool.ainvoke_http("hello", "GET", "/hello", "GET /hello", {}, "", PAYLOAD["headers"], "c",
                                           b"")

        async def caller() -> None:
            nonlocal queued
            state = pool._functions["hello"]
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                pending = asyncio.ensure_future(call())
                await asyncio.sleep(0)
                queued += any(len(w.pending) > 1 for w in state.all)
                result = await pending
                latencies.append(time.perf_counter() - started)
                assert result["status"] == 200, result

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(callers)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        pids = pool.pids("hello")
        print(f"WorkerPool, {len(pids)} warm workers, {callers} concurrent callers, {seconds:g} s: "
              f"{len(latencies) / elapsed:,.0f} calls/s; p50 {latencies[len(latencies) // 2] * 1000:.2f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.2f} ms; "
              f"worker RSS {sum(rss_mb(p) for p in pids):.0f} MB total; a call was queued behind a running one "
              f"at {100 * queued / max(len(latencies), 1):.0f}% of the starts")
    finally:
        await pool.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--b64", action="store_true", help="the generic ainvoke path with base64 bodies")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "sls-neutral.yaml").write_text(MANIFEST, encoding="utf-8")
        (root / "handler.py").write_text(HANDLER, encoding="utf-8")
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(run(args.seconds, args.callers, args.workers, root, args.b64))


if __name__ == "__main__":
    main()
