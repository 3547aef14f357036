"""sls-neutral against the Serverless Framework v3, side by side, in one run.

For N in --sizes (default 10 200 1000): generate the same service in both
formats (bench/gen.py), then time, interleaved, median of --runs (>= 5):
`serverless package` (AWS) vs `sls-neutral package -p aws` and `-p all`; and
`serverless --help` vs `sls-neutral --help`; with each command's peak RSS.
Also: an incremental `package -p all` after touching one handler at N=200, and
the figures of the other benches when present (runtime import, local HTTP,
workflow engine). Prints a table of medians and ratios and writes JSON to
bench/results/.

    python bench/run.py                 # full run (several minutes: serverless is slow at N=1000)
    python bench/run.py --sizes 10 200 --runs 5

The peer is installed into bench/.peers/ (gitignored) with npm when missing.
Dummy AWS credentials are set: `serverless package` needs them but makes no call.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.gen import generate  # noqa: E402
from bench.measure import median, run_once  # noqa: E402

PEERS = HERE / ".peers"
SERVERLESS = PEERS / "node_modules" / ".bin" / "serverless"


def ensure_peer() -> Path:
    if not SERVERLESS.exists():
        PEERS.mkdir(exist_ok=True)
        print("installing serverless@3 into bench/.peers/ ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "serverless@3"],
                       cwd=PEERS, check=True)
    return SERVERLESS


def env() -> dict[str, str]:
    return {**os.environ, "AWS_ACCESS_KEY_ID": "AKIABENCHDUMMY", "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_REGION": "us-east-1", "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off",
            "SLS_DEPRECATION_DISABLE": "*", "SLSN_DEBUG": "0"}


def sls_neutral() -> str:
    return shutil.which("sls-neutral") or str(Path(sys.executable).parent / "sls-neutral")


def bench_sizes(sizes: list[int], runs: int, work: Path) -> list[dict]:
    peer, ours, e = str(ensure_peer()), sls_neutral(), env()
    rows = []
    for n in sizes:
        root = generate(n, work / f"svc{n}")
        commands = {
            "serverless package": ([peer, "package"], lambda: shutil.rmtree(root / ".serverless", ignore_errors=True)),
            "sls-neutral package -p aws": ([ours, "package", "-p", "aws"],
                                           lambda: shutil.rmtree(root / ".sls-neutral", ignore_errors=True)),
            "sls-neutral package -p all": ([ours, "package", "-p", "all"],
                                           lambda: shutil.rmtree(root / ".sls-neutral", ignore_errors=True)),
        }
        samples: dict[str, list] = {name: [] for name in commands}
        for _ in range(runs):  # interleaved so drift in machine load hits every tool alike
            for name, (cmd, clean) in commands.items():
                clean()
                sample = run_once(cmd, cwd=str(root), env=e)
                if sample.returncode != 0:
                    raise SystemExit(f"{name} failed at N={n}: rerun by hand in {root}")
                samples[name].append(sample)
        row = {"n": n}
        for name, values in samples.items():
            row[name] = {"median_s": round(median([s.seconds for s in values]), 3),
                         "peak_rss_mb": round(max(s.peak_rss_mb for s in values), 1)}
        peer_t = row["serverless package"]["median_s"]
        row["speedup_aws"] = round(peer_t / row["sls-neutral package -p aws"]["median_s"], 1)
        row["speedup_all"] = round(peer_t / row["sls-neutral package -p all"]["median_s"], 1)
        rows.append(row)
        print(f"N={n}: serverless {peer_t:.2f} s, sls-neutral -p aws "
              f"{row['sls-neutral package -p aws']['median_s']:.2f} s, -p all "
              f"{row['sls-neutral package -p all']['median_s']:.2f} s", flush=True)
    return rows


def bench_help(runs: int) -> dict:
    peer, ours, e = str(ensure_peer()), sls_neutral(), env()
    peer_s, ours_s = [], []
    for _ in range(max(runs, 10)):
        peer_s.append(run_once([peer, "--help"], env=e))
        ours_s.append(run_once([ours, "--help"], env=e))
    p, o = median([s.seconds for s in peer_s]), median([s.seconds for s in ours_s])
    return {"serverless --help": {"median_s": round(p, 3), "peak_rss_mb": round(max(s.peak_rss_mb for s in peer_s), 1)},
            "sls-neutral --help": {"median_s": round(o, 3), "peak_rss_mb": round(max(s.peak_rss_mb for s in ours_s), 1)},
            "speedup": round(p / o, 1)}


def bench_incremental(runs: int, work: Path, n: int = 200) -> dict:
    ours, e = sls_neutral(), env()
    root = generate(n, work / f"incr{n}")
    cold, warm = [], []
    handler = root / "handlers" / "mod000.py"
    for i in range(runs):
        shutil.rmtree(root / ".sls-neutral", ignore_errors=True)
        cold.append(run_once([ours, "package", "-p", "all"], cwd=str(root), env=e))
        handler.write_text(handler.read_text() + f"\n# touched {i}\n")
        warm.append(run_once([ours, "package", "-p", "all"], cwd=str(root), env=e))
    c, w = median([s.seconds for s in cold]), median([s.seconds for s in warm])
    return {"n": n, "cold_s": round(c, 3), "incremental_s": round(w, 3), "ratio": round(w / c, 3)}


def other_benches() -> dict:
    """Figures of the component benches, when their scripts exist (each prints one JSON line with --json)."""
    out = {}
    for name in ("runtime_import", "workflow_engine"):
        script = HERE / f"{name}.py"
        if script.exists():
            proc = subprocess.run([sys.executable, str(script), "--json"], capture_output=True, text=True,
                                  timeout=600)
            line = next((l for l in reversed(proc.stdout.splitlines()) if l.startswith("{")), None)
            out[name] = json.loads(line) if line else {"error": (proc.stderr or proc.stdout)[-300:]}
    return out


def table(result: dict) -> str:
    lines = ["| N | serverless package | sls-neutral -p aws | sls-neutral -p all (3 clouds + local) | speed-up aws | "
             "speed-up all | peak RSS serverless / sls-neutral all |", "|---|---|---|---|---|---|---|"]
    for row in result["package"]:
        s, a, l = row["serverless package"], row["sls-neutral package -p aws"], row["sls-neutral package -p all"]
        lines.append(f"| {row['n']} | {s['median_s']:.2f} s | {a['median_s']:.2f} s | {l['median_s']:.2f} s | "
                     f"{row['speedup_aws']}x | {row['speedup_all']}x | {s['peak_rss_mb']:.0f} MB / "
                     f"{l['peak_rss_mb']:.0f} MB |")
    h = result["help"]
    lines.append(f"\n`--help`: serverless {h['serverless --help']['median_s']:.2f} s, sls-neutral "
                 f"{h['sls-neutral --help']['median_s']:.3f} s ({h['speedup']}x).")
    sizes = {r["n"]: r for r in result["package"]}
    if 200 in sizes and 1000 in sizes:
        scale = sizes[1000]["sls-neutral package -p all"]["median_s"] / sizes[200]["sls-neutral package -p all"]["median_s"]
        lines.append(f"Scaling: t(1000)/t(200) for `package -p all` = {scale:.2f}.")
    if result.get("incremental"):
        inc = result["incremental"]
        lines.append(f"Incremental `package -p all` after touching one handler at N={inc['n']}: "
                     f"{inc['incremental_s']:.2f} s vs cold {inc['cold_s']:.2f} s ({inc['ratio'] * 100:.0f} %).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-incremental", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slsn-bench-") as tmp:
        work = Path(tmp)
        result = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                  f"Python {platform.python_version()}", "runs": args.runs,
                  "help": bench_help(args.runs), "package": bench_sizes(args.sizes, args.runs, work)}
        if not args.skip_incremental:
            result["incremental"] = bench_incremental(args.runs, work)
        result["components"] = other_benches()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print()
    print(table(result))
    print(f"\nwritten to {out / 'latest.json'}")


if __name__ == "__main__":
    main()
