"""Soak: the live source against the stand-in with every fault on a random schedule; correctness and memory.

    python benchmarks/soak.py [SECONDS] [RATE] [SEED]

Runs in one process (stand-in + live source) for SECONDS (600 by default) with every fault
kind at once, each on a jittered (random, seeded) schedule, samples RSS every 10 s, and at the
end checks the strict oracle of ``tests/fault_harness.py``: every line a followed container
wrote arrives exactly once, or a true gap event covers it.  Prints the figures for the
benchmark README; exit status 1 on any loss or duplicate.
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
    "cut=3s,split=4s,reset=5s,hang=9s,stall=20s,restart-api=30s,expire=15s,churn=1s,restart-container=7s,"
    "429=0.02,503=0.01,token=25s,jitter=0.7"
)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(seconds: float, rate: float, seed: int) -> int:
    from tests.fault_harness import run_with_faults

    samples: list[tuple[float, float]] = []
    start = time.monotonic()

    async def sample() -> None:
        while True:
            samples.append((time.monotonic() - start, rss_mb()))
            await asyncio.sleep(10)

    sampler = asyncio.create_task(sample())
    run = await run_with_faults(
        Path(tempfile.mkdtemp()), FAULTS, seconds=seconds, rate=rate, stall_timeout=5.0, seed=seed, settle=60.0
    )
    sampler.cancel()
    served, delivered = len(run.served | run.all_written), sum(run.delivered.values())
    print(f"soak {seconds:.0f}s at {rate:.0f} lines/s, seed {seed}, with {FAULTS}")
    print("faults injected: " + ", ".join(f"{k} {v}" for k, v in sorted(run.injected.counts.items())))
    print("what clients met: " + ", ".join(f"{k} {v}" for k, v in sorted(run.demo.state.faulted.items())))
    print(
        f"lines written by followed containers {served}, delivered {delivered}, duplicated {len(run.duplicated)}, "
        f"lost without a gap event {len(run.missing_unreported)}, gap events {run.health('meshtail.stream.gap')} "
        f"(false: {len(run.false_gaps)})"
    )
    print(
        f"reconnects {run.health('meshtail.stream.reconnect')}, resumes {run.health('meshtail.stream.resume')}, "
        f"stalls {run.health('meshtail.stream.stall')}, streams seen {len(run.source.streams)}"
    )
    print("RSS MB over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples))
    for line in run.missing_unreported[:5]:
        print(f"  lost: {line[0]} {line[1]} {line[2][:100]}")
    for text in run.false_gaps[:5]:
        print(f"  false gap: {text[:200]}")
    return 1 if run.duplicated or run.missing_unreported or run.false_gaps else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    raise SystemExit(
        asyncio.run(
            main(
                float(args[0]) if len(args) > 0 else 600,
                float(args[1]) if len(args) > 1 else 300,
                int(args[2]) if len(args) > 2 else 1,
            )
        )
    )
