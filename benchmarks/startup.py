"""Issue 5, workload 7: ``meshtail demo`` from the command line to the first event on screen.

    python benchmarks/startup.py [RUNS]

Runs each command in a pseudo-terminal (120x40) the way a user starts it and reads what it
draws until a marker appears:

* baseline: a minimal Textual app that draws one line — the floor for any Textual program
  on this machine (interpreter start, Textual import, first frame);
* ``meshtail demo``: stand-in API server started, kubeconfig written, pods listed, log
  streams opened, the first event parsed, stored and drawn as a row (its action name on
  screen).

Prints the median time of RUNS interleaved runs and the ratio to the baseline.  Target: < 2 s.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASELINE = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("baseline-ready")

Hello().run()
"""
# an event row shows its action; these are the first actions the demo produces
EVENT_ROW = re.compile(rb"(resource\.observed|http\.request|authz\.deny|tcp\.connection|meshtail\.stream\.start)")


def time_to_marker(argv: list[str], marker: re.Pattern[bytes], timeout: float = 30.0) -> float:
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of known size, then the command
        os.environ["TERM"] = "xterm-256color"
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                break
            if not data:
                break
            seen = seen[-200:] + data
            if marker.search(seen):
                elapsed = time.perf_counter() - start
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.read(fd, 1 << 16)  # drain so the child can exit
            except OSError:
                break
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    baseline_cmd = [sys.executable, "-c", BASELINE]
    meshtail_cmd = [sys.executable, "-m", "meshtail", "demo"]
    base: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        base.append(time_to_marker(baseline_cmd, re.compile(rb"baseline-ready")))
        ours.append(time_to_marker(meshtail_cmd, EVENT_ROW))
    b, m = statistics.median(base), statistics.median(ours)
    print(f"median of {runs} runs (pseudo-terminal 120x40)")
    print(f"bare Textual app, first frame        {b:6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in base)})")
    print(f"meshtail demo, first event on screen {m:6.2f} s   (runs: {', '.join(f'{x:.2f}' for x in ours)})")
    print(f"ratio meshtail/baseline: {m / b:.2f}; target < 2 s: {'met' if m < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
