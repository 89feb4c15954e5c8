"""Issue 5, workload 6: a million events held by the TUI — resident memory against the raw text alone.

    python benchmarks/store_memory.py [LINES] [--file PATH] [--unpacked]

Each measurement runs in its own process (RSS is per process) on the same generated file
(``lnav_query.py``'s, ~370 MB for 1,000,000 lines):

* ``raw text``: the file's lines held in a Python list — the floor any tool that keeps the
  lines as Python strings pays, and the baseline of the ratio;
* ``meshtail TUI``: the real app (``MeshtailApp`` on the file, run headless with Textual's
  ``run_test``) after every line is read, parsed, stored and placed in the panes;
* with ``--unpacked``, the same store with access-log events kept fully parsed instead of
  packed (what the store did before packing) — to show what packing saves.

Target: meshtail ≤ 800 MB for 1,000,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_raw(path: str) -> dict[str, float]:
    start = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        kept = [line.rstrip("\n") for line in handle]
    gc.collect()
    return {"events": len(kept), "rss": rss_mb(), "seconds": time.perf_counter() - start}


def measure_tui(path: str, unpacked: bool) -> dict[str, float]:
    from meshtail.ingest import SourceSpec
    from meshtail.storage.packing import Packer
    from meshtail.ui.app import MeshtailApp

    if unpacked:

        class Unpacked(Packer):
            def pack(self, event):  # type: ignore[no-untyped-def]
                return event

        import meshtail.storage.store

        meshtail.storage.store.Packer = Unpacked  # type: ignore[misc]

    app = MeshtailApp(SourceSpec("files", paths=[path]))
    result: dict[str, float] = {}

    async def run() -> None:
        start = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            while not (
                (app.ingest is None or app.ingest.done) and all(v.complete for v in app.main_screen.views.values())
            ):
                await pilot.pause(0.5)
            result["seconds"] = time.perf_counter() - start
            await pilot.pause(1.0)
            gc.collect()
            result["events"] = len(app.store)
            result["rss"] = rss_mb()
            result["panes"] = {pane: len(view) for pane, view in app.main_screen.views.items()}  # type: ignore[assignment]

    asyncio.run(run())
    return result


def child(kind: str, path: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--file", path], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lines", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--file", default=str(Path(tempfile.gettempdir()) / "meshtail-bench" / "access.log"))
    parser.add_argument("--unpacked", action="store_true")
    parser.add_argument("--child", choices=("raw", "tui", "tui-unpacked"))
    args = parser.parse_args()
    if args.child:
        if args.child == "raw":
            result = measure_raw(args.file)
        else:
            result = measure_tui(args.file, args.child == "tui-unpacked")
        print(json.dumps(result))
        return
    from benchmarks.lnav_query import ensure_file

    ensure_file(Path(args.file), args.lines)
    size = Path(args.file).stat().st_size
    print(f"{args.lines:,} lines, {size / 1e6:.0f} MB file")
    kinds = ["raw", "tui"] + (["tui-unpacked"] if args.unpacked else [])
    results = {kind: child(kind, args.file) for kind in kinds}
    base = results["raw"]["rss"]
    labels = {"raw": "raw text in a list", "tui": "meshtail TUI (packed)", "tui-unpacked": "meshtail TUI unpacked"}
    for kind, result in results.items():
        extra = f"  panes {result['panes']}" if "panes" in result else ""
        print(
            f"{labels[kind]:24s} {result['events']:>10,.0f} events  RSS {result['rss']:7.0f} MB  "
            f"{result['rss'] / base:5.2f}x raw  loaded in {result['seconds']:5.1f} s{extra}"
        )


if __name__ == "__main__":
    main()
