"""Local workflow engine throughput: a 1,000-item map, max_concurrency 10, over a trivial step.

    python bench/workflow_engine.py [--items 1000] [--concurrency 10] [--runs 3]

The step invoker runs in-process (no worker pool), so the figure is the
engine's own cost: the SQLite journal write per call plus the history
events, thread hand-offs and state copies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sls_neutral.core.workflows.engine import WorkflowEngine  # noqa: E402


def build_app(concurrency: int):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "workflows"))
    from corpus_loader import CorpusCase

    body = {"steps": [{"each": {"map": {"items": "$.items", "max_concurrency": concurrency, "steps": [
        {"double": {"call": "double", "input": {"n": "$.item"}}}]}, "result": "$.doubled"}}]}
    return CorpusCase(name="bench", file=Path("bench"), functions={"double": {}}, workflow_body=body,
                      cases=[]).app()


def run_once(items: int, concurrency: int) -> float:
    app = build_app(concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        engine = WorkflowEngine(Path(tmp) / "bench.db", app, lambda fn, data, cid: data["n"] * 2)
        try:
            started = time.perf_counter()
            execution_id = engine.start("bench", {"items": list(range(items))})
            result = engine.wait(execution_id, 600)
            elapsed = time.perf_counter() - started
        finally:
            engine.close()
    assert result["status"] == "SUCCEEDED", result
    assert result["output"]["doubled"] == [n * 2 for n in range(items)]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print one JSON line (for bench/run.py)")
    args = parser.parse_args()
    samples = [run_once(args.items, args.concurrency) for _ in range(args.runs)]
    med = statistics.median(samples)
    print(f"workflow engine: {args.items}-item map, max_concurrency {args.concurrency}: median {med:.2f} s "
          f"over {args.runs} runs = {args.items / med:.0f} steps/s (min {min(samples):.2f}, max {max(samples):.2f})")
    if args.json:
        import json

        print(json.dumps({"items": args.items, "concurrency": args.concurrency, "median_s": round(med, 3),
                          "steps_per_s": round(args.items / med), "runs": args.runs}))


if __name__ == "__main__":
    main()
