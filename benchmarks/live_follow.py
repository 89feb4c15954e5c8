"""Issue 5, workloads 3 and 5: following many live streams — meshtail tail against kubectl logs -f.

    python benchmarks/live_follow.py [--pods 200] [--rate 20000] [--seconds 60] [--runs 1]

For each client, a fresh stand-in (``meshtail demo --serve``, its own process, same seed)
serves PODS extra sidecar pods in namespace ``load`` and writes RATE access-log lines per
second to them (``--load-rate``, in bursts per pod as Envoy flushes its log; the rest of the
mesh adds 40 lines/s) for SECONDS, recording every line it serves (``--sent-log``).  The client
follows the ``load`` pods' ``istio-proxy`` containers:

* meshtail: ``meshtail tail -n load -l version=v1 --no-config --tail 10 -o jsonl`` (every line
  parsed, classified and JSON-encoded)
* kubectl:  ``kubectl logs -f -n load -l version=v1 -c istio-proxy --timestamps --prefix
  --max-log-requests=PODS`` (lines copied as they are; with a selector kubectl starts from the
  last 10 lines of each container, hence meshtail's ``--tail 10``: neither reads a backlog)

This process reads the client's stdout and notes when each line arrives, so the lag is
end to end: arrival here minus the kubelet timestamp the stand-in gave the line when it
wrote it.  Printed per client: lines served to the selected pods and received, lost and
duplicated (matched by pod and timestamp), lag p50/p99/max, the client's CPU seconds and
peak RSS; then meshtail/kubectl ratios.  (kubectl opens its streams under its client-side
rate limit, 5 requests/s with a burst of 10, so 200 streams take it ~40 s to open; lines of
streams it has not opened yet are not served, so they count neither as received nor lost.)
Issue-5 targets: lag p99 < 1 s, zero lost.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MESHTAIL_POD = re.compile(rb'"pod":"([^"]+)"')
_MESHTAIL_STAMP = re.compile(rb'"k8s\.log\.timestamp":"([^"]+)"')
_KUBECTL = re.compile(rb"^\[pod/([^/]+)/[^\]]+\] (\S+) ")
_TICKS = os.sysconf("SC_CLK_TCK")


def epoch(stamp: bytes | str) -> float:
    text = stamp.decode() if isinstance(stamp, bytes) else stamp
    if text.endswith("Z"):
        text = text[:-1]
    head, _, frac = text.partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + (float("0." + frac) if frac else 0.0)


@dataclass
class Result:
    client: str
    served: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    lags: list[float] = field(default_factory=list)
    cpu: float = 0.0
    rss_mb: float = 0.0
    rate: float = 0.0
    server_cpu: float = 0.0

    def pct(self, q: float) -> float:
        if not self.lags:
            return float("nan")
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _proc_rss(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def client_command(name: str, kubeconfig: Path, pods: int, cache: Path) -> list[str]:
    if name == "meshtail":
        return [sys.executable, "-m", "meshtail", "tail", "--kubeconfig", str(kubeconfig), "-n", "load",
                "-l", "version=v1", "--no-config", "--tail", "10", "-o", "jsonl", "-q"]  # fmt: skip
    return ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache), "logs", "-f", "-n", "load",
            "-l", "version=v1", "-c", "istio-proxy", "--timestamps", "--prefix",
            f"--max-log-requests={pods}"]  # fmt: skip


def start_stand_in(
    tmp: Path, pods: int, rate: float, seed: int, traffic_for: float
) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """``meshtail demo --serve`` with PODS load pods at RATE lines/s; returns (process, kubeconfig, sent log)."""
    kubeconfig, sent = tmp / "kubeconfig", tmp / "sent.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "meshtail", "demo", "--serve", "--kubeconfig-out", str(kubeconfig),
         "--pods", str(pods), "--rate", "40", "--load-rate", str(rate), "--seed", str(seed),
         "--sent-log", str(sent), "--traffic-for", f"{traffic_for}s"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not kubeconfig.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    return server, kubeconfig, sent


def served_in_window(sent: Path, start: float, end: float) -> Counter[tuple[bytes, bytes]]:
    """(pod, kubelet timestamp) of every line the stand-in served to the ``load`` pods' followers,
    written in [start, end)."""
    expected: Counter[tuple[bytes, bytes]] = Counter()
    with sent.open("rb") as handle:
        for line in handle:
            stamp, _, rest = line.partition(b"\t")
            where, _, _ = rest.partition(b"\t")
            if where.startswith(b"load/") and start <= epoch(stamp) < end:
                expected[(where.split(b"/")[1], stamp)] += 1
    return expected


def run_client(name: str, pods: int, rate: float, seconds: float, seed: int) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix=f"live-{name}-"))
    server, kubeconfig, sent = start_stand_in(tmp, pods, rate, seed, traffic_for=seconds + 8)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = Result(name)
    try:
        client = subprocess.Popen(
            client_command(name, kubeconfig, pods, tmp / "cache"), env=env, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        got: Counter[tuple[bytes, bytes]] = Counter()
        first_lag: dict[tuple[bytes, bytes], float] = {}
        assert client.stdout is not None
        stdout = client.stdout

        def read() -> None:
            for line in stdout:
                now = time.time()
                if name == "meshtail":
                    pod, stamp = _MESHTAIL_POD.search(line), _MESHTAIL_STAMP.search(line)
                    if pod is None or stamp is None:
                        continue  # a health event, not a line
                    key = (pod.group(1), stamp.group(1))
                else:
                    match = _KUBECTL.match(line)
                    if match is None:
                        continue
                    key = (match.group(1), match.group(2))
                got[key] += 1
                if key not in first_lag:
                    first_lag[key] = now - epoch(key[1])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # measure a window that starts once the client has caught up with its start
        time.sleep(3.0)
        window_start = time.time()
        cpu_start = _proc_cpu(client.pid)
        server_start = _proc_cpu(server.pid)
        peak = 0.0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(1.0)
            peak = max(peak, _proc_rss(client.pid))
        window_end = time.time()
        result.cpu = _proc_cpu(client.pid) - cpu_start
        result.server_cpu = _proc_cpu(server.pid) - server_start
        result.rss_mb = peak
        # lines written before the window's end may still be on their way: wait until the
        # client has been quiet for 3 s (the stand-in stops writing a few seconds after the window)
        quiet_since, seen = time.monotonic(), sum(got.values())
        give_up = time.monotonic() + 120
        while time.monotonic() - quiet_since < 3.0 and time.monotonic() < give_up:
            time.sleep(0.5)
            now_seen = sum(got.values())
            if now_seen != seen:
                quiet_since, seen = time.monotonic(), now_seen
        client.send_signal(signal.SIGINT)
        try:
            client.wait(10)
        except subprocess.TimeoutExpired:
            client.kill()
        reader.join(10)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    expected = served_in_window(sent, window_start, window_end)
    in_window = Counter({key: count for key, count in got.items() if key in expected})
    result.served = sum(expected.values())
    result.received = sum(in_window.values())
    result.lost = sum((expected - in_window).values())
    result.duplicated = sum((in_window - expected).values())
    result.lags = [first_lag[key] for key in expected if key in first_lag]
    result.rate = result.served / (window_end - window_start)
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--clients", default="meshtail,kubectl")
    args = parser.parse_args()
    clients = args.clients.split(",")
    if "kubectl" in clients and shutil.which("kubectl") is None:
        raise SystemExit("kubectl not found")
    runs: dict[str, list[Result]] = {name: [] for name in clients}
    for run in range(args.runs):
        for name in clients:
            runs[name].append(run_client(name, args.pods, args.rate, args.seconds, seed=5 + run))
    print(f"{args.pods} pods, {args.rate:,.0f} lines/s asked of the load pods, {args.seconds:.0f} s window, "
          f"{args.runs} run(s), medians")  # fmt: skip
    header = f"{'client':9s} {'lines/s':>8s} {'served':>9s} {'received':>9s} {'lost':>5s} {'dup':>4s}"
    print(
        header + f" {'lag p50':>8s} {'lag p99':>8s} {'lag max':>8s} {'CPU s':>6s} {'CPU %':>6s} {'RSS MB':>7s} "
        f"{'stand-in CPU %':>14s}"
    )
    medians: dict[str, dict[str, float]] = {}
    for name, results in runs.items():
        m = {
            "rate": statistics.median(r.rate for r in results),
            "served": statistics.median(r.served for r in results),
            "received": statistics.median(r.received for r in results),
            "lost": max(r.lost for r in results),
            "dup": max(r.duplicated for r in results),
            "p50": statistics.median(r.pct(0.50) for r in results),
            "p99": statistics.median(r.pct(0.99) for r in results),
            "max": statistics.median(max(r.lags, default=float("nan")) for r in results),
            "cpu": statistics.median(r.cpu for r in results),
            "rss": statistics.median(r.rss_mb for r in results),
            "server": statistics.median(r.server_cpu for r in results),
        }
        medians[name] = m
        print(
            f"{name:9s} {m['rate']:8,.0f} {m['served']:9,.0f} {m['received']:9,.0f} {m['lost']:5,.0f} "
            f"{m['dup']:4,.0f} {m['p50']:7.3f}s {m['p99']:7.3f}s {m['max']:7.3f}s {m['cpu']:6.1f} "
            f"{100 * m['cpu'] / args.seconds:5.0f}% {m['rss']:7.0f} {100 * m['server'] / args.seconds:13.0f}%"
        )
    if "meshtail" in medians and "kubectl" in medians:
        ours, theirs = medians["meshtail"], medians["kubectl"]
        print(
            f"ratios meshtail/kubectl: lag p99 {ours['p99'] / theirs['p99']:.2f}, "
            f"CPU {ours['cpu'] / theirs['cpu']:.2f}, "
            f"RSS {ours['rss'] / theirs['rss']:.2f}"
        )


if __name__ == "__main__":
    main()
