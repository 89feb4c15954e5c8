"""Issue 5, workload 3 (TUI side): the TUI ingesting a busy mesh while a user presses keys.

    python benchmarks/tui_ingest.py [--pods 200] [--rate 20000] [--seconds 60]

A stand-in (``meshtail demo --serve``, its own process) serves PODS extra sidecar pods and
writes RATE access-log lines/s to them (``--load-rate``).  In this process the real ``MeshtailApp`` follows the
``load`` pods (run headless with Textual's ``run_test``), and a Pilot presses a pane key
(``2``, ``3``, ``1``, …) every 250 ms.

Measured over the window:
* store lag — when an event reached the store minus the kubelet timestamp of its line;
* lines lost — every line the stand-in wrote to the followed pods in the window (its
  ``--sent-log``) against the events in the store (by pod and timestamp);
* key answer time — from sending a pane key (``Pilot.press``) until the app writes the first
  frame that shows the new pane; the baseline is the same presses on the same app with
  ingestion stopped (same process, same run, same stored events), so the ratio is the cost
  of ingesting.
Targets: store lag p99 < 1 s, zero lost, key answer p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.live_follow import epoch, served_in_window, start_stand_in  # noqa: E402
from meshtail.ingest import SourceSpec  # noqa: E402
from meshtail.sources.kube.follow import FollowOptions  # noqa: E402
from meshtail.sources.kube.live import Selection  # noqa: E402
from meshtail.ui.app import MeshtailApp  # noqa: E402

KEYS = ["2", "3", "1", "5", "1"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


PANE_OF_KEY = {"1": "all", "2": "auth", "3": "routing", "4": "config", "5": "violations"}


async def press_for(pilot, app: MeshtailApp, displays: list[tuple[float, str]], seconds: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Press pane keys for ``seconds``; for each, the time until a frame showing that pane was written."""
    times = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        key = KEYS[i % len(KEYS)]
        i += 1
        pane = PANE_OF_KEY[key]
        start = time.perf_counter()
        await pilot.press(key)
        give_up = time.perf_counter() + 10
        while time.perf_counter() < give_up:
            first = next((t for t, current in displays if t >= start and current == pane), None)
            if first is not None:
                times.append(first - start)
                break
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.25)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tui-ingest-"))
    server, kubeconfig, sent = start_stand_in(tmp, args.pods, args.rate, 5, traffic_for=args.seconds + 10)
    selection = Selection(namespaces=["load"], selector="version=v1", config=False)
    # the last 10 lines of each container, as kubectl does with a selector: no backlog to read first
    spec = SourceSpec("kube", kubeconfig=str(kubeconfig), selection=selection, options=FollowOptions(tail=10))
    app = MeshtailApp(spec)
    arrivals: list[tuple[float, tuple[bytes, bytes]]] = []
    store = app.store
    original_extend = store.extend

    def extend(events):  # type: ignore[no-untyped-def]
        events = list(events)
        now = time.time()
        for event in events:
            stamp = event.attributes.get("k8s.log.timestamp")
            if stamp is not None and event.source.namespace == "load":
                arrivals.append((now, (event.source.pod.encode(), stamp.encode())))
        original_extend(events)

    store.extend = extend  # type: ignore[method-assign]
    # every frame the app writes to its (headless) terminal, with the pane it showed
    displays: list[tuple[float, str]] = []
    original_display = app._display

    def display(screen, update):  # type: ignore[no-untyped-def]
        original_display(screen, update)
        if update is not None and not app._batch_count:  # a frame was rendered (headless: not written)
            displays.append((time.perf_counter(), app.main_screen.current))

    app._display = display  # type: ignore[method-assign]
    result: dict[str, object] = {}
    # full (generation 2) garbage collections pause both threads: count and time them
    collections: list[float] = []
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            collections.append(time.perf_counter() - started.pop())

    gc.callbacks.append(on_gc)

    async def run() -> None:
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(3.0)  # streams open
            window_start = time.time()
            gc_before = len(collections)
            result["busy"] = await press_for(pilot, app, displays, args.seconds)
            window_end = time.time()
            result["gc"] = collections[gc_before:]
            result["window"] = (window_start, window_end)
            await pilot.pause(4.0)  # the last lines of the window arrive
            server.send_signal(signal.SIGINT)
            server.wait(15)
            app.ingest.stop()  # type: ignore[union-attr]
            await pilot.pause(1.0)
            result["idle"] = await press_for(pilot, app, displays, min(20.0, args.seconds / 2))
            result["stored"] = len(app.store)

    try:
        asyncio.run(run())
    finally:
        if server.poll() is None:
            server.kill()
    window_start, window_end = result["window"]  # type: ignore[misc]
    expected = served_in_window(sent, window_start, window_end)
    got: Counter[tuple[bytes, bytes]] = Counter()
    lags = []
    for now, key in arrivals:
        if key in expected:
            got[key] += 1
            lags.append(now - epoch(key[1]))
    served = sum(expected.values())
    lost = sum((expected - got).values())
    dup = sum((got - expected).values())
    busy, idle = result["busy"], result["idle"]  # type: ignore[assignment]
    seconds = window_end - window_start
    print(f"{args.pods} pods, {args.rate:,.0f} lines/s asked of the load pods, {seconds:.0f} s window")
    print(f"lines served to followed pods {served:,} ({served / seconds:,.0f}/s), stored {sum(got.values()):,}, "
          f"lost {lost}, duplicated {dup}")  # fmt: skip
    print(f"store lag p50 {pct(lags, 0.5):.3f} s  p99 {pct(lags, 0.99):.3f} s  max {max(lags, default=0):.3f} s")
    print(
        f"key answer while ingesting: p50 {1000 * pct(busy, 0.5):.0f} ms  p95 {1000 * pct(busy, 0.95):.0f} ms  "
        f"max {1000 * max(busy):.0f} ms  ({len(busy)} presses)"
    )
    print(
        f"key answer idle (baseline): p50 {1000 * pct(idle, 0.5):.0f} ms  p95 {1000 * pct(idle, 0.95):.0f} ms  "
        f"({len(idle)} presses)"
    )
    pauses = result["gc"]  # type: ignore[assignment]
    print(
        f"full garbage collections in the window: {len(pauses)}, "
        f"longest {1000 * max(pauses, default=0):.0f} ms, total {1000 * sum(pauses):.0f} ms"
    )
    print(f"ratio busy/idle p95: {pct(busy, 0.95) / pct(idle, 0.95):.2f}; median ratio "
          f"{statistics.median(busy) / statistics.median(idle):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
