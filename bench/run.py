"""sls-neutral against the Serverless Framework v3, side by side, in one run.

For N in --sizes (default 10 200 1000): generate the same service in both
formats (bench/gen.py), then time, interleaved, median of --runs (>= 5):
`serverless package` (AWS) vs `sls-neutral package -p aws` and `-p all`; and
`serverless --help` vs `sls-neutral --help`; with each command's peak RSS.
Also: an incremental `package -p all` after touching one handler at N=200, and
the figures of the other benches when present (runtime import, local HTTP,
workflow engine). Prints a table of medians and ratios and writes JSON to
bench/results/.

    flock /tmp/bench.lock python bench/run.py     # full run (~3 min; --peer-individually adds ~3)
    python bench/run.py --sizes 10 200 --runs 5
    python bench/run.py --peer-runs-large 3       # fewer serverless runs at N >= 1000 (said in the output)

Peak RSS is ``ru_maxrss`` of the waited process tree (the largest single process: node for the
peer, python for sls-neutral). Targets (issue #9) are checked at the end; the exit code is 0 either way.

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
INSTALL = HERE / ".venv"  # sls-neutral as users install it (gitignored)
#: what sls_neutral() runs: "wheel" (default) or "development" (--development-install)
MODE = {"install": "wheel", "in_place": False}
#: ``in_place``: every command of a size runs in one folder, cleaned before each run (--clean-in-place)


def ensure_peer() -> Path:
    if not SERVERLESS.exists():
        PEERS.mkdir(exist_ok=True)
        print("installing serverless@3 into bench/.peers/ ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "serverless@3"],
                       cwd=PEERS, check=True)
    return SERVERLESS


def env() -> dict[str, str]:
    """Dummy AWS credentials; no telemetry. Bytecode caching stays on, as in any pip-installed tool (a
    PYTHONDONTWRITEBYTECODE=1 shell would make every sls-neutral run recompile its modules)."""
    out = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIABENCHDUMMY", "AWS_SECRET_ACCESS_KEY": "dummy",
           "AWS_REGION": "us-east-1", "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off",
           "SLS_DEPRECATION_DISABLE": "*", "SLSN_DEBUG": "0"}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def sls_neutral() -> str:
    if MODE["install"] == "wheel":
        return str(INSTALL / "bin" / "sls-neutral")
    return shutil.which("sls-neutral") or str(Path(sys.executable).parent / "sls-neutral")


def install_ours() -> None:
    """Install this checkout as users get it: a wheel, in its own virtual environment (bench/.venv).

    The peer runs as npm installed it; sls-neutral should run as pip installs it. The development install
    is editable: setuptools' import hook for it runs at every start-up and resolves each sls_neutral
    module through its own finder (~10 ms a run that an installed package does not pay). The wheel is
    rebuilt from the working tree on every run, so the figures are those of the code being measured;
    dependencies come from the package index (or pip's cache) the first time.

    The venv's pip is a current one (>= 25.0), as ``pip install --upgrade pip``, pipx or uv give: the
    console script it writes starts ``sls-neutral`` without ``import re`` (pypa/pip#13166), which the
    launcher of the pip bundled with Python 3.11 (23.2) runs first, ~7 ms of every command.

    And it has no setuptools, as the venvs of Python 3.12+, pipx and uv have none: the copy Python 3.11's
    venv installs adds ``distutils-precedence.pth``, whose hook is imported at every interpreter start
    (~0.6 ms of every command, ~2 % of an incremental build). Nothing installed needs it at run time.
    """
    repo = HERE.parent
    python = INSTALL / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSTALL)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check", "pip>=25"],
                   check=True)  # a no-op once it is there
    subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "-qq", "--disable-pip-version-check", "setuptools"],
                   check=True)  # likewise
    with tempfile.TemporaryDirectory(prefix="wheel-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(repo, source, ignore=shutil.ignore_patterns(
            ".git", ".venv", ".peers", "results", ".cache", ".sls-neutral", "__pycache__", "build", "*.egg-info",
            ".pytest_cache", ".hypothesis", ".ruff_cache", "site"))
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp,
                        str(source)], check=True)
        wheel = next(Path(tmp).glob("sls_neutral-*.whl"))
        pip = [str(python), "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
        subprocess.run([*pip, f"{wheel}[all]"], check=True)  # the dependencies, when missing
        subprocess.run([*pip, "--force-reinstall", "--no-deps", str(wheel)], check=True)  # this checkout


def clean_outputs(root: Path) -> None:
    """Remove both tools' output folders (and caches) before every timed run.

    `serverless package` zips the whole service folder, dot-folders included: with sls-neutral's
    `.sls-neutral/` left over from the previous command it packaged our build output too (453 extra files
    at N=200), which made it slower and larger than on a clean service. Each tool is timed on a folder
    holding only the service.
    """
    for name in (".serverless", ".sls-neutral"):
        shutil.rmtree(root / name, ignore_errors=True)


def service_folders(n: int, work: Path, tag: str, count: int, *, individually: bool = False) -> list[Path]:
    """Where ``count`` timed commands run: by default a freshly generated copy of the service each.

    Every command starts in a folder that no command ran in before: nothing is deleted between timed
    runs. Removing the last run's output right before the next (the bench's first method, kept as
    ``--clean-in-place``) frees ~2,150 files (~470 inodes) at N=1000, and on ext4 without a journal, this machine's
    root filesystem, the inode allocator then skips every inode freed in the last minute or more
    (``recently_deleted()`` in fs/ext4/ialloc.c, only when there is no journal): each file the next
    command creates pays a scan of the inodes the cleanup just freed. That slowed ``package -p all`` at
    N=1000 by ~25 % (0.306 s against 0.242 s in fresh folders, 10 interleaved runs) and the peer, which
    writes a handful of files, not at all; a first build in a fresh checkout, what the table stands for,
    never pays it. The copies are made before the timed runs, flushed to disk, and removed with the
    work folder after the last one.
    """
    if MODE["in_place"]:
        return [generate(n, work / f"{tag}{n}", individually=individually)] * count
    folders = [generate(n, work / f"{tag}{n}-{i:02d}", individually=individually) for i in range(count)]
    os.sync()  # the copies' own writeback does not land in a timed run
    return folders


def bench_sizes(sizes: list[int], runs: int, work: Path, peer_runs_large: int | None = None) -> list[dict]:
    peer, ours, e = str(ensure_peer()), sls_neutral(), env()
    rows = []
    for n in sizes:
        peer_runs = peer_runs_large if (peer_runs_large and n >= 1000) else runs
        commands = {
            "serverless package": [peer, "package"],
            "sls-neutral package -p aws": [ours, "package", "-p", "aws"],
            "sls-neutral package -p all": [ours, "package", "-p", "all"],
        }
        folders = iter(service_folders(n, work, "svc", (runs + 1) * len(commands)))
        samples: dict[str, list] = {name: [] for name in commands}
        for name, cmd in commands.items():  # one untimed run each: page cache, bytecode cache
            if name == "serverless package" and n >= 1000:
                continue  # ~100 s, and its code is warm from the smaller sizes
            root = next(folders)
            clean_outputs(root)
            if run_once(cmd, cwd=str(root), env=e).returncode != 0:
                raise SystemExit(f"{name} failed at N={n}: rerun by hand in {root}")
        for i in range(runs):  # interleaved so drift in machine load hits every tool alike
            for name, cmd in commands.items():
                if name == "serverless package" and i >= peer_runs:
                    continue
                root = next(folders)
                clean_outputs(root)  # a no-op in a fresh folder (service_folders)
                sample = run_once(cmd, cwd=str(root), env=e)
                if sample.returncode != 0:
                    raise SystemExit(f"{name} failed at N={n}: rerun by hand in {root}")
                samples[name].append(sample)
        row = {"n": n}
        for name, values in samples.items():
            row[name] = summary(values)
        peer_t = row["serverless package"]["median_s"]
        row["speedup_aws"] = round(peer_t / row["sls-neutral package -p aws"]["median_s"], 1)
        row["speedup_all"] = round(peer_t / row["sls-neutral package -p all"]["median_s"], 1)
        rows.append(row)
        print(f"N={n}: serverless {peer_t:.2f} s, sls-neutral -p aws "
              f"{row['sls-neutral package -p aws']['median_s']:.2f} s, -p all "
              f"{row['sls-neutral package -p all']['median_s']:.2f} s", flush=True)
    return rows


def summary(samples: list) -> dict:
    """Median wall time, peak RSS and every sample of one command's runs."""
    return {"median_s": round(median([s.seconds for s in samples]), 3),
            "peak_rss_mb": round(max(s.peak_rss_mb for s in samples), 1),
            "runs": len(samples), "samples_s": [round(s.seconds, 3) for s in samples]}


def bench_peer_individually(sizes: list[int], runs: int, work: Path) -> list[dict]:
    """``serverless package`` with ``package.individually: true``: a zip per function, the packaging
    sls-neutral always does. Context for the table, not one of the targets (those compare with the
    peer's default, one zip of the whole service). A failed run is recorded with its last error line, and
    larger sizes are skipped (they fail the same way, only later)."""
    peer, e = str(ensure_peer()), env()
    rows = []
    for n in sizes:
        folders = service_folders(n, work, "individually", runs, individually=True)
        log = work / f"individually{n}.log"  # outside the service: serverless zips the whole folder
        samples = []
        for root in folders:
            clean_outputs(root)
            sample = run_once([peer, "package"], cwd=str(root), env=e, log=str(log))
            if sample.returncode != 0:
                failed = {"after_s": round(sample.seconds, 1), "returncode": sample.returncode,
                          "message": _error_line(log)}
                row = {"n": n, "failed": failed, **(summary(samples) if samples else {})}
                rows.append(row)  # the runs that passed before it are kept: the failure is not every run's
                print(f"N={n}: serverless package (individually) failed after {failed['after_s']} s in run "
                      f"{len(samples) + 1}: {failed['message']}", flush=True)
                return rows
            samples.append(sample)
        rows.append({"n": n, **summary(samples)})
        print(f"N={n}: serverless package (individually) {rows[-1]['median_s']:.2f} s", flush=True)
    return rows


def _error_line(log: Path) -> str:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def bench_help(runs: int) -> dict:
    peer, ours, e = str(ensure_peer()), sls_neutral(), env()
    peer_s, ours_s = [], []
    run_once([peer, "--help"], env=e)  # untimed: page cache, bytecode cache
    run_once([ours, "--help"], env=e)
    for _ in range(max(runs, 10)):
        peer_s.append(run_once([peer, "--help"], env=e))
        ours_s.append(run_once([ours, "--help"], env=e))
    p, o = median([s.seconds for s in peer_s]), median([s.seconds for s in ours_s])
    return {"serverless --help": {"median_s": round(p, 3), "peak_rss_mb": round(max(s.peak_rss_mb for s in peer_s), 1),
                                  "runs": len(peer_s)},
            "sls-neutral --help": {"median_s": round(o, 3), "peak_rss_mb": round(max(s.peak_rss_mb for s in ours_s), 1),
                                   "runs": len(ours_s)},
            "speedup": round(p / o, 1)}


def bench_incremental(runs: int, work: Path, n: int = 200) -> dict:
    ours, e = sls_neutral(), env()
    cold, warm = [], []
    for i, root in enumerate(service_folders(n, work, "incr", runs)):
        handler = root / "handlers" / "mod000.py"
        clean_outputs(root)
        cold.append(run_once([ours, "package", "-p", "all"], cwd=str(root), env=e))
        handler.write_text(handler.read_text() + f"\n# touched {i}\n")
        warm.append(run_once([ours, "package", "-p", "all"], cwd=str(root), env=e))
    c, w = median([s.seconds for s in cold]), median([s.seconds for s in warm])
    return {"n": n, "cold_s": round(c, 3), "incremental_s": round(w, 3), "ratio": round(w / c, 3), "runs": runs,
            "cold_samples_s": [round(s.seconds, 3) for s in cold],
            "incremental_samples_s": [round(s.seconds, 3) for s in warm]}


def other_benches() -> dict:
    """Figures of the cheap component benches (each prints one JSON line with --json).

    Local runtime throughput needs wrk and serverless-offline and takes minutes: run bench/local_http.py,
    bench/local_queue.py and bench/local_workers.py on their own.
    """
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
    lines = ["| N functions | `serverless package` (AWS) | `sls-neutral package -p aws` | `sls-neutral package -p all` "
             "(AWS + GCP + Azure + local) | speed-up `-p aws` | speed-up `-p all` | peak RSS serverless / `-p aws` / "
             "`-p all` |", "|---|---|---|---|---|---|---|"]
    for row in result["package"]:
        s, a, l = row["serverless package"], row["sls-neutral package -p aws"], row["sls-neutral package -p all"]
        runs = f" ({s['runs']} runs)" if s.get("runs", result["runs"]) != result["runs"] else ""
        lines.append(f"| {row['n']} | {s['median_s']:.2f} s{runs} | {a['median_s']:.2f} s | {l['median_s']:.2f} s | "
                     f"{row['speedup_aws']}x | {row['speedup_all']}x | {s['peak_rss_mb']:.0f} / {a['peak_rss_mb']:.0f} / "
                     f"{l['peak_rss_mb']:.0f} MB |")
    h = result["help"]
    lines.append(f"| `--help` | {h['serverless --help']['median_s']:.2f} s | {h['sls-neutral --help']['median_s']:.3f} s "
                 f"| | {h['speedup']}x | | {h['serverless --help']['peak_rss_mb']:.0f} / "
                 f"{h['sls-neutral --help']['peak_rss_mb']:.0f} MB |")
    lines.append("")
    sizes = {r["n"]: r for r in result["package"]}
    if 200 in sizes and 1000 in sizes:
        scale = sizes[1000]["sls-neutral package -p all"]["median_s"] / sizes[200]["sls-neutral package -p all"]["median_s"]
        peer_scale = sizes[1000]["serverless package"]["median_s"] / sizes[200]["serverless package"]["median_s"]
        lines.append(f"- Scaling t(1000)/t(200): `sls-neutral package -p all` {scale:.2f}, `serverless package` "
                     f"{peer_scale:.2f}.")
    if result.get("incremental"):
        inc = result["incremental"]
        lines.append(f"- Incremental `package -p all` after touching one handler at N={inc['n']}: "
                     f"{inc['incremental_s']:.2f} s vs cold {inc['cold_s']:.2f} s ({inc['ratio'] * 100:.0f} %).")
    comp = result.get("components", {})
    if "runtime_import" in comp and "handler_importtime_ms" in comp["runtime_import"]:
        r = comp["runtime_import"]
        lines.append(f"- Neutral runtime import (`-X importtime`): package {r['package_importtime_ms']} ms, a handler's "
                     f"imports {r['handler_importtime_ms']} ms (target <= {r['target_ms']:.0f} ms).")
    if "workflow_engine" in comp and "steps_per_s" in comp["workflow_engine"]:
        w = comp["workflow_engine"]
        lines.append(f"- Local workflow engine: {w['items']}-item map, max_concurrency {w['concurrency']}: "
                     f"{w['median_s']:.2f} s = {w['steps_per_s']} steps/s.")
    for row in result.get("peer_individually", []):
        if "failed" not in row:
            lines.append(f"- `serverless package` with `package.individually: true` (a zip per function, as sls-neutral "
                         f"packages) at N={row['n']}: {row['median_s']:.2f} s.")
        else:
            passed = (f"{row['runs']} run(s) passed (median {row['median_s']:.2f} s), then one " if "runs" in row
                      else "")
            lines.append(f"- `serverless package` with `package.individually: true` at N={row['n']}: {passed}failed "
                         f"after {row['failed']['after_s']} s ({row['failed']['message']}).")
    lines.append("- Local runtime HTTP/queue throughput: `bench/local_http.py`, `bench/local_queue.py`, "
                 "`bench/local_workers.py` (need wrk / serverless-offline; not in this run).")
    return "\n".join(lines)


def targets(result: dict) -> list[tuple[str, bool, str]]:
    """Issue #9's acceptance, checked on this run's figures."""
    out: list[tuple[str, bool, str]] = []
    sizes = {r["n"]: r for r in result["package"]}
    for n, want in ((200, 10), (1000, 20)):
        if n in sizes:
            got = sizes[n]["speedup_all"]
            out.append((f"package -p all >= {want}x faster than serverless package at N={n}", got >= want, f"{got}x"))
    if 200 in sizes and 1000 in sizes:
        scale = sizes[1000]["sls-neutral package -p all"]["median_s"] / sizes[200]["sls-neutral package -p all"]["median_s"]
        out.append(("t(1000)/t(200) <= 5.5", scale <= 5.5, f"{scale:.2f}"))
    h = result["help"]
    out.append(("--help >= 10x faster than serverless --help", h["speedup"] >= 10, f"{h['speedup']}x"))
    ours = h["sls-neutral --help"]["median_s"]
    out.append(("--help <= 0.20 s median", ours <= 0.20, f"{ours:.3f} s"))
    if result.get("incremental"):
        ratio = result["incremental"]["ratio"]
        out.append(("incremental package after one change <= 25 % of cold (N=200)", ratio <= 0.25, f"{ratio * 100:.0f} %"))
    if 1000 in sizes:
        peer, ours_rss = sizes[1000]["serverless package"]["peak_rss_mb"], sizes[1000]["sls-neutral package -p all"]["peak_rss_mb"]
        out.append(("peak RSS of package -p all below serverless at N=1000", ours_rss < peer,
                    f"{ours_rss:.0f} MB vs {peer:.0f} MB"))
    return out


def machine() -> dict:
    info = {"cores": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version(),
            "os": platform.platform(terse=True)}
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        info["memory_gib"] = round(kb / 1024 / 1024)
    except (OSError, StopIteration, ValueError):
        pass
    try:
        info["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    try:
        info["serverless"] = json.loads((PEERS / "node_modules" / "serverless" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        pass
    try:
        from importlib.metadata import version

        info["sls_neutral"] = version("sls-neutral")
    except Exception:  # noqa: BLE001 - informative only
        pass
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 200, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-runs-large", type=int, default=None,
                        help="serverless runs at N >= 1000 (default: --runs); it takes ~100 s per run there")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--peer-individually", action="store_true",
                        help="also time serverless package with package.individually: true (a zip per function, as "
                             "sls-neutral packages) at each size; context only, not a target")
    parser.add_argument("--skip-components", action="store_true")
    parser.add_argument("--clean-in-place", action="store_true",
                        help="run every command of a size in one service folder, removing the last run's output "
                             "before each (the first method; on ext4 without a journal the removal slows the next "
                             "command's file creation: see service_folders)")
    parser.add_argument("--settle", type=float, default=61.0,
                        help="seconds between the install's last file deletion (written back) and the first timed "
                             "build (default 61: ext4 without a journal slows file creation for a minute after "
                             "deletions, RECENTCY_MIN in fs/ext4/ialloc.c); 0 times at once")
    parser.add_argument("--development-install", action="store_true",
                        help="time the sls-neutral of this interpreter (the editable development install) instead "
                             "of a wheel of the checkout installed into bench/.venv")
    args = parser.parse_args()
    ensure_peer()
    MODE["in_place"] = args.clean_in_place
    if args.development_install:
        MODE["install"] = "development"
    else:
        print("installing this checkout's wheel into bench/.venv ...", flush=True)
        install_ours()
    # The install removed files (the previous install, the wheel's build copy of the checkout, npm's and
    # pip's temporary folders on a first run), and so may whatever ran before this bench. On ext4 without a
    # journal the inodes they freed slow every file creation until they are a minute old (six while not
    # written back; see service_folders): written back now, and the builds are timed once they have aged.
    os.sync()
    settled = time.monotonic() + args.settle
    # Not /tmp/slsn-bench-*: other benches clean those up by pattern. bench/results/ is gitignored.
    (HERE / "results").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="work-", dir=HERE / "results") as tmp:
        work = Path(tmp)
        result = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "runs": args.runs,
                  "sls_neutral_install": MODE["install"], "settle_s": args.settle,
                  "service_folders": "one, cleaned before each run" if MODE["in_place"] else "fresh for each run",
                  "peer_runs_large": args.peer_runs_large or args.runs, "help": bench_help(args.runs)}
        wait = settled - time.monotonic()  # --help creates no files: it is timed meanwhile
        if wait > 0:
            print(f"waiting {wait:.0f} s for the install's file deletions to age (--settle) ...", flush=True)
            time.sleep(wait)
        result["package"] = bench_sizes(args.sizes, args.runs, work, args.peer_runs_large)
        if not args.skip_incremental:
            result["incremental"] = bench_incremental(args.runs, work)
        if args.peer_individually:
            result["peer_individually"] = bench_peer_individually(args.sizes, args.runs, work)
        result["components"] = {} if args.skip_components else other_benches()
    os.sync()  # the work folder's removal, written back: a bench started right after is not slowed as long
    result["targets"] = [{"target": t, "met": ok, "value": v} for t, ok, v in targets(result)]
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    (out / "latest.json").write_text(text)
    (out / f"run-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    m = result["machine"]
    print(f"\n{result['date']}, {m.get('cores')} cores, {m.get('memory_gib', '?')} GiB, Python {m.get('python')}, "
          f"node {m.get('node', '?')}, serverless {m.get('serverless', '?')}, sls-neutral from a {MODE['install']} "
          f"install; median of {args.runs} interleaved runs"
          + (f" ({result['peer_runs_large']} for serverless at N >= 1000)" if args.peer_runs_large else "") + "\n")
    print(table(result))
    print()
    for t in result["targets"]:
        print(f"[{'met' if t['met'] else 'NOT met'}] {t['target']}: {t['value']}")
    print(f"\nwritten to {out / 'latest.json'}")


if __name__ == "__main__":
    main()
