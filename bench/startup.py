"""Startup time of `sls-neutral --help`: median of 10 fresh processes (target <= 0.20 s on this machine).

    python bench/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import median, run_once  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("sls-neutral") or str(Path(sys.executable).parent / "sls-neutral")
    run_once([exe, "--help"])  # warm the OS page cache once
    samples = [run_once([exe, "--help"]) for _ in range(args.runs)]
    med = median([s.seconds for s in samples])
    print(f"sls-neutral --help: median {med:.3f} s over {args.runs} runs "
          f"(min {min(s.seconds for s in samples):.3f}, max {max(s.seconds for s in samples):.3f}); "
          f"peak RSS {median([s.peak_rss_mb for s in samples]):.0f} MB; target <= 0.20 s: "
          f"{'met' if med <= 0.20 else 'NOT met'}")


if __name__ == "__main__":
    main()
