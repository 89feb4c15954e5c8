"""Soak: the live source against the stand-in with every fault, for a while; memory and correctness.

    python benchmarks/soak.py [SECONDS] [RATE]

Runs in one process (stand-in + live source), samples RSS every 10 s, and at the end checks
that every served line arrived exactly once (or its stream reported a gap).  Prints the
figures for the benchmark README.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAULTS = (
    "cut=3s,reset=5s,stall=20s,restart-api=30s,expire=15s,churn=1s,restart-container=7s,429=0.02,503=0.01,token=25s"
)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(seconds: float, rate: float) -> int:
    from tests.fault_harness import run_with_faults

    samples: list[tuple[float, float]] = []
    start = time.monotonic()

    async def sample() -> None:
        while True:
            samples.append((time.monotonic() - start, rss_mb()))
            await asyncio.sleep(10)

    sampler = asyncio.create_task(sample())
    run = await run_with_faults(Path(tempfile.mkdtemp()), FAULTS, seconds=seconds, rate=rate, stall_timeout=5.0)
    sampler.cancel()
    served, delivered = len(run.served), sum(run.delivered.values())
    print(f"soak {seconds:.0f}s at {rate:.0f} lines/s with {FAULTS}")
    print("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(run.injected.counts.items())))
    print(
        f"lines served {served}, delivered {delivered}, duplicated {len(run.duplicated)}, "
        f"lost without a gap event {len(run.missing_unreported)}, gap events {run.health('meshtail.stream.gap')}"
    )
    print(
        f"reconnects {run.health('meshtail.stream.reconnect')}, resumes {run.health('meshtail.stream.resume')}, "
        f"stalls {run.health('meshtail.stream.stall')}, streams seen {len(run.source.streams)}"
    )
    print("RSS MB over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples))
    return 1 if run.duplicated or run.missing_unreported else 0


if __name__ == "__main__":
    raise SystemExit(
        asyncio.run(
            main(float(sys.argv[1]) if len(sys.argv) > 1 else 300, float(sys.argv[2]) if len(sys.argv) > 2 else 300)
        )
    )
