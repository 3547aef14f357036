"""Import cost of the neutral runtime (target <= 15 ms): every cold start pays it.

Median of N fresh interpreters of ``python -c 'import sls_neutral.runtime'`` minus the
median of a bare ``python -c pass``, plus ``-X importtime``'s own cumulative figure,
for the package alone and for what a handler really loads (the public names + dispatch).

    python bench/runtime_import.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_MS = 15.0
PACKAGE = "import sls_neutral.runtime"
HANDLER = ("from sls_neutral.runtime import Request, Response, Event, Context, StepError\n"
           "from sls_neutral.runtime import dispatch")


def wall_ms(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - started) * 1000


def importtime_us(code: str) -> int:
    """What ``code`` imported, per ``-X importtime``: the cumulative times of its top-level imports."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], check=True, capture_output=True,
                         text=True).stderr
    total, after_site = 0, False
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name.startswith(" ") and not name.startswith("  "):  # a top-level import (no nesting indent)
            if after_site:
                total += int(parts[1])
            elif name.strip() == "site":
                after_site = True
    return total


def measure(label: str, code: str, runs: int, baseline: float) -> float:
    walls = [wall_ms(code) for _ in range(runs)]
    cumulative = statistics.median(importtime_us(code) for _ in range(runs)) / 1000
    extra = statistics.median(walls) - baseline
    # -X importtime is the figure judged: wall-clock deltas on a shared machine carry +-10 ms of noise.
    print(f"{label}: -X importtime {cumulative:.1f} ms (median of {runs}); wall +{extra:.1f} ms over bare "
          f"python; target <= {TARGET_MS:.0f} ms: {'met' if cumulative <= TARGET_MS else 'NOT met'}")
    return cumulative


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="also print one JSON line (for bench/run.py)")
    args = parser.parse_args()
    wall_ms(PACKAGE)  # warm the page cache and the bytecode cache
    wall_ms(HANDLER)
    baseline = statistics.median(wall_ms("pass") for _ in range(args.runs))
    print(f"bare python -c pass: {baseline:.1f} ms (median of {args.runs})")
    package = measure("import sls_neutral.runtime", PACKAGE, args.runs, baseline)
    handler = measure("a handler's imports (public names + dispatch)", HANDLER, args.runs, baseline)
    if args.json:
        import json

        print(json.dumps({"package_importtime_ms": round(package, 1), "handler_importtime_ms": round(handler, 1),
                          "target_ms": TARGET_MS, "runs": args.runs}))


if __name__ == "__main__":
    main()
