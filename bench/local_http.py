"""Hello-HTTP on the local provider vs serverless-offline, side by side in one run.

    python bench/local_http.py [--seconds 10] [--connections 32] [--skip-peer]

Both serve the same Python handler logic (``{"hello": "world"}``, the same
17-byte JSON body) on 127.0.0.1 and are loaded by ``wrk`` (Debian package
``wrk``; installed with apt-get when missing and possible) with 32 connections.
serverless-offline runs in its warm mode (its default: no ``--reloadHandler``),
where an idle Python process is reused and a new one starts only when all are
busy -- up to one per connection. Printed per server: requests/s, p99 latency,
the peak resident memory of the whole process tree (the runtime plus its worker
processes; node plus its shells and Python processes), sampled from /proc, CPU
per request and the number of processes in the tree.

The peer (npm ``serverless@3`` + ``serverless-offline@13``) is installed into
bench/.peers/offline/ (gitignored) on first use. Not part of CI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers" / "offline"
SERVERLESS = PEERS / "node_modules" / ".bin" / "serverless"
TARGETS = {"ratio": 1.2, "p99_ms": 15.0, "memory_fraction": 0.25}

NEUTRAL_MANIFEST = """service: hello-bench
runtime: python3.12
provider: local
providers:
  local: {{max_workers: {workers}}}
functions:
  hello:
    handler: handler.py:hello
    memory: 128MB
    triggers:
      - http: {{method: GET, path: /hello}}
"""
NEUTRAL_HANDLER = """def hello(request, ctx):
    return {"hello": "world"}
"""
PEER_CONFIG = """service: hello-bench
frameworkVersion: '3'
provider:
  name: aws
  runtime: python3.12
  region: us-east-1
plugins:
  - serverless-offline
functions:
  hello:
    handler: handler.hello
    events:
      - httpApi: {method: GET, path: /hello}
"""
PEER_HANDLER = """import json


def hello(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"hello": "world"}, separators=(",", ":"))}
"""  # the same 17-byte body as sls-neutral's answer to the same handler logic


# ---------------------------------------------------------------- tools
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("wrk is needed: install it with 'sudo apt-get install wrk' (Debian/Ubuntu) and run again")


def ensure_peer() -> Path:
    if not SERVERLESS.exists():
        PEERS.mkdir(parents=True, exist_ok=True)
        package = PEERS / "package.json"  # its own root, so npm does not install into a parent folder
        if not package.exists():
            package.write_text('{"name": "slsn-bench-peers-offline", "private": true}\n')
        print("installing serverless@3 + serverless-offline@13 into bench/.peers/offline/ ...", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "serverless@3",
                        "serverless-offline@13"], cwd=PEERS, check=True)
    return SERVERLESS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


# ---------------------------------------------------------------- memory of a process tree
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def tree_pids(root_pid: int) -> list[int]:
    tree = _children()
    todo, found = [root_pid], []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def tree_rss_mb(root_pid: int) -> float:
    tree = _children()
    todo, total = [root_pid], 0
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total / 1024 / 1024


class PeakSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._done.wait(0.2)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------- load
def _ms(text: str) -> float:
    """wrk's latency ("812.00us", "12.31ms", "1.02s"; "-nan" when nothing completed) in ms; inf if unreadable."""
    m = re.match(r"([\d.]+(?:[eE][-+]?\d+)?)(us|ms|s|m|h)$", text)
    if m is None:
        print(f"wrk latency {text!r} not understood; counted as infinite", file=sys.stderr)
        return float("inf")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}[unit]


def tree_cpu_seconds(root_pid: int) -> float:
    """user + system CPU time of a process tree: cost per request stays comparable on a busy machine."""
    tree = _children()
    todo, ticks = [root_pid], 0
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk_once(wrk: str, url: str, seconds: int, connections: int, pid: int) -> dict[str, float]:
    sampler = PeakSampler(pid)
    sampler.start()
    cpu_before = tree_cpu_seconds(pid)
    out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True).stdout
    cpu = tree_cpu_seconds(pid) - cpu_before
    peak = sampler.stop()
    processes = len(tree_pids(pid))
    found = re.search(r"(\d+) requests in", out)
    if found is None:
        raise SystemExit(f"wrk gave no result for {url}:\n{out}")
    requests = int(found.group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"req_per_s": rps, "p99_ms": _ms(p99.group(1)) if p99 else float("inf"), "peak_mb": peak,
            "non_2xx": int(errors.group(1)) if errors else 0, "cpu_us_per_req": 1e6 * cpu / max(requests, 1),
            "processes": processes, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def start_neutral(workers: int) -> tuple[str, int, Callable[[], None]]:
    root = Path(tempfile.mkdtemp(prefix="slsn-bench-"))
    (root / "sls-neutral.yaml").write_text(NEUTRAL_MANIFEST.format(workers=workers))
    (root / "handler.py").write_text(NEUTRAL_HANDLER)
    port = free_port()
    cli = shutil.which("sls-neutral") or str(Path(sys.executable).parent / "sls-neutral")
    subprocess.run([cli, "deploy", "--detach", "--port", str(port), "--no-lint"], cwd=root, check=True,
                   stdout=subprocess.DEVNULL)
    runfile = json.loads((root / ".sls-neutral/local/dev/runtime.json").read_text())

    def stop() -> None:
        subprocess.run([cli, "remove"], cwd=root, stdout=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)

    return f"http://127.0.0.1:{port}/hello", runfile["pid"], stop


def start_peer() -> tuple[str, int, Callable[[], None]]:
    serverless = ensure_peer()
    root = Path(tempfile.mkdtemp(prefix="sls-offline-bench-"))
    (root / "serverless.yml").write_text(PEER_CONFIG)
    (root / "handler.py").write_text(PEER_HANDLER)
    (root / "node_modules").symlink_to(PEERS / "node_modules")
    port, lambda_port = free_port(), free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIABENCHDUMMY", "AWS_SECRET_ACCESS_KEY": "dummy",
           "SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off", "SLS_DEPRECATION_DISABLE": "*"}
    proc = subprocess.Popen([str(serverless), "offline", "start", "--host", "127.0.0.1", "--httpPort", str(port),
                             "--lambdaPort", str(lambda_port), "--noPrependStageInUrl", "--noTimeout"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

    def stop() -> None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)

    return f"http://127.0.0.1:{port}/hello", proc.pid, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per server (medians reported)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-peer", action="store_true", help="only measure sls-neutral")
    parser.add_argument("--workers", type=int, default=4, help="worker processes for the hello function "
                        "(providers.local.max_workers; 4 is the runtime's default)")
    args = parser.parse_args()
    wrk = ensure_wrk()
    servers: dict[str, tuple[str, int, Callable[[], None]]] = {}
    try:
        servers["sls-neutral (local)"] = start_neutral(args.workers)
        if not args.skip_peer:
            servers["serverless-offline@13"] = start_peer()
        for url, _, _ in servers.values():
            wait_http(url)
            subprocess.run([wrk, "-t2", f"-c{args.connections}", "-d2s", url], stdout=subprocess.DEVNULL)
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
        for _ in range(args.rounds):  # alternate, so a burst of load elsewhere hits both alike
            for name, (url, pid, _) in servers.items():
                rounds[name].append(wrk_once(wrk, url, args.seconds, args.connections, pid))
    finally:
        for _, _, stop in servers.values():
            stop()
    results = {name: {"req_per_s": round(statistics.median(r["req_per_s"] for r in rs), 1),
                      "p99_ms": round(statistics.median(r["p99_ms"] for r in rs), 2),
                      "peak_mb": round(max(r["peak_mb"] for r in rs), 1),
                      "non_2xx": sum(r["non_2xx"] for r in rs),
                      "cpu_us_per_req": round(statistics.median(r["cpu_us_per_req"] for r in rs)),
                      "processes": max(r["processes"] for r in rs),
                      "socket_errors": [r["socket_errors"] for r in rs if r["socket_errors"]],
                      "rounds": [[round(r["req_per_s"]), round(r["p99_ms"], 1)] for r in rs]}
               for name, rs in rounds.items()}
    print(f"\nhello-http, wrk -t2 -c{args.connections}, {args.rounds} alternating rounds of {args.seconds} s on "
          f"127.0.0.1 (medians; peak = whole process tree)")
    print(f"{'server':<26}{'req/s':>10}{'p99 ms':>10}{'peak MB':>10}{'CPU us/req':>12}{'non-2xx':>9}{'procs':>7}")
    for name, r in results.items():
        print(f"{name:<26}{r['req_per_s']:>10.0f}{r['p99_ms']:>10.1f}{r['peak_mb']:>10.0f}"
              f"{r['cpu_us_per_req']:>12}{r['non_2xx']:>9}{r['processes']:>7}")
    if len(results) == 2:
        ours, peer = results["sls-neutral (local)"], results["serverless-offline@13"]
        ratio = ours["req_per_s"] / peer["req_per_s"]
        mem = ours["peak_mb"] / peer["peak_mb"]
        print(f"\nthroughput {ratio:.2f}x (target >= {TARGETS['ratio']}x), p99 {ours['p99_ms']:.1f} ms "
              f"(target <= {TARGETS['p99_ms']:.0f} ms), memory {mem:.2f} of the peer's "
              f"(target <= {TARGETS['memory_fraction']}), CPU per request {ours['cpu_us_per_req']} vs "
              f"{peer['cpu_us_per_req']} us")
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
