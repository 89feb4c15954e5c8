"""Issue 5, workload 4: drain 200 pods × 5,000 lines (no follow) — meshtail vs kubectl, same stand-in.

    python benchmarks/drain_vs_kubectl.py [PODS] [LINES] [RUNS]

meshtail: `meshtail tail -n load -l version=v1 --no-follow --no-config -o jsonl` (parses every line).
kubectl:  `kubectl logs -n load -l version=v1 -c istio-proxy --prefix --tail=-1 --max-log-requests=PODS`.
Both run as subprocesses against one stand-in API server (HTTPS) in this process; runs are
interleaved and the medians compared.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meshtail.demo.lines import Hop, envoy_access, utcnow  # noqa: E402
from meshtail.demo.run import Demo, write_kubeconfig  # noqa: E402


def prefill(demo: Demo, lines: int) -> int:
    total = 0
    now = utcnow()
    for pod in [p for p in demo.mesh.pods.values() if p.workload.namespace == "load"]:
        log = pod.logs["istio-proxy"]
        for i in range(lines):
            code = 200 if i % 17 else 503
            hop = Hop(
                "GET",
                f"/api/items/{i}",
                code,
                "-" if code == 200 else "UF,URX",
                "via_upstream",
                0,
                512 + i % 900,
                3 + i % 40,
                str(2 + i % 39),
                "-",
                "curl/8.5.0",
                f"{pod.name[-5:]}-{i:08d}",
                "load:8080",
                f"{pod.ip}:8080",
                "inbound|8080||",
                f"127.0.0.6:{40000 + i % 20000}",
                f"{pod.ip}:8080",
                f"10.244.9.{i % 250}:{30000 + i % 30000}",
                "outbound_.8080_._.load.load.svc.cluster.local",
                "default",
            )
            log.append(envoy_access(hop, now))
        total += len(log.lines)
    return total


async def timed(*command: str) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    count = 0
    assert process.stdout is not None
    while chunk := await process.stdout.read(1 << 20):
        count += chunk.count(b"\n")
    _, err = await process.communicate()
    return time.perf_counter() - start, count, err


async def main(pods: int, lines: int, runs: int) -> int:
    if shutil.which("kubectl") is None:
        print("kubectl not found")
        return 1
    demo = Demo(seed=3, rate=0, extra_pods=pods, config_every=0, churn_every=0, keep_lines=lines + 100)
    await demo.start(traffic=False)
    total = prefill(demo, lines)
    tmp = Path(tempfile.mkdtemp())
    kubeconfig = tmp / "kubeconfig"
    write_kubeconfig(kubeconfig, demo.kubeconfig())
    meshtail = [
        sys.executable,
        "-m",
        "meshtail.commands.cli",
        "tail",
        "--kubeconfig",
        str(kubeconfig),
        "-n",
        "load",
        "-l",
        "version=v1",
        "--no-follow",
        "--no-config",
        "-o",
        "jsonl",
        "-q",
    ]
    kubectl = [
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        "--cache-dir",
        str(tmp / "cache"),
        "logs",
        "-n",
        "load",
        "-l",
        "version=v1",
        "-c",
        "istio-proxy",
        "--prefix",
        "--tail=-1",
        f"--max-log-requests={pods}",
    ]
    results: dict[str, list[float]] = {"meshtail": [], "kubectl": []}
    counts: dict[str, int] = {}
    for _ in range(runs):
        for name, command in (("kubectl", kubectl), ("meshtail", meshtail)):
            seconds, count, err = await timed(*command)
            results[name].append(seconds)
            counts[name] = count
            if err.strip() and name == "kubectl":
                print(f"kubectl stderr: {err.decode()[:300]}")
    await demo.stop()
    k, m = statistics.median(results["kubectl"]), statistics.median(results["meshtail"])
    print(f"{pods} pods x {lines} lines = {total} lines in the stand-in; median of {runs}")
    for label, name, seconds in (("kubectl logs --prefix ", "kubectl", k), ("meshtail tail (parsed)", "meshtail", m)):
        print(f"{label}: {seconds:6.2f} s  {counts[name]:>9} lines out  {counts[name] / seconds:>9,.0f} lines/s")
    print(f"ratio meshtail/kubectl: {m / k:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    raise SystemExit(asyncio.run(main(*(args + [200, 5000, 3][len(args) :]))))
