"""Issue 5, workload 1: a query over a saved access log, meshtail scan against lnav, same file, same answers.

    python benchmarks/lnav_query.py [LINES] [RUNS] [--file PATH]

Writes LINES generated Istio access-log lines (default 1,000,000, ~370 MB; kept and
reused in the file) and, for each query, runs

* ``meshtail scan --filter Q --output jsonl FILE``
* ``lnav -n -c ';SELECT * FROM istio_access WHERE …' -c ':write-json-to -' FILE`` with the
  custom format in ``benchmarks/lnav/istio_access.json`` (installed into a private
  ``$HOME`` so the user's lnav setup is untouched)

interleaved RUNS times, checks that both return the same number of events, and prints
median wall times and meshtail/lnav (target ≤ 1.0).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gen_access_log import lines as generate  # noqa: E402

QUERIES = [
    # (label, meshtail filter, lnav WHERE clause)
    ("status 403", "status:403", "WHERE code = 403"),
    ("duration > 250 ms (no pre-check)", "duration:>250", "WHERE duration > 250"),
    ("no filter (every line out)", "", ""),
]


def ensure_file(path: Path, count: int) -> None:
    marker = path.with_suffix(".count")
    if path.exists() and marker.exists() and marker.read_text().strip() == str(count):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for line in generate(count):
            out.write(line + "\n")
    marker.write_text(str(count))


def meshtail_cmd(query: str, path: Path) -> list[str]:
    cmd = [sys.executable, "-m", "meshtail", "scan", "--quiet", "--output", "jsonl"]
    if query:
        cmd += ["--filter", query]
    return [*cmd, str(path)]


def lnav_cmd(where: str, path: Path) -> list[str]:
    return ["lnav", "-n", "-c", f";SELECT * FROM istio_access {where}".strip(), "-c", ":write-json-to -", str(path)]


def run(cmd: list[str], env: dict[str, str], count_rows: bool) -> tuple[float, int]:
    """Wall time and number of events written (JSONL lines, or rows of lnav's JSON array)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        subprocess.run(cmd, stdout=out, env=env, check=True)
        seconds = time.perf_counter() - start
        out.seek(0)
        rows = _count(out, b'"log_line": ' if count_rows else b"\n")
    return seconds, rows


def _count(handle, needle: bytes) -> int:
    """Occurrences of *needle* in a file read by chunks (a match across two chunks counts once)."""
    total, carry = 0, b""
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        data = carry + chunk
        total += data.count(needle)
        # keep a tail too short to hold a whole match, so nothing is counted twice
        carry = data[len(data) - len(needle) + 1 :]
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lines", nargs="?", type=int, default=1_000_000)
    parser.add_argument("runs", nargs="?", type=int, default=3)
    parser.add_argument("--file", type=Path, default=Path(tempfile.gettempdir()) / "meshtail-bench" / "access.log")
    args = parser.parse_args()
    if shutil.which("lnav") is None:
        raise SystemExit("lnav is not installed (Debian: apt install lnav)")
    ensure_file(args.file, args.lines)
    size = args.file.stat().st_size
    home = tempfile.mkdtemp(prefix="lnav-home-")
    lnav_env = {**os.environ, "HOME": home}
    subprocess.run(
        ["lnav", "-i", str(HERE / "lnav" / "istio_access.json")],
        env=lnav_env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    version = subprocess.run(["lnav", "-V"], capture_output=True, text=True, env=lnav_env).stdout.strip()
    print(f"{args.lines:,} lines, {size / 1e6:.0f} MB, {version}, median of {args.runs} interleaved runs")
    print(f"{'query':36s} {'events':>9s} {'meshtail':>9s} {'lnav':>9s} {'ratio':>6s}")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    for label, query, where in QUERIES:
        ours: list[float] = []
        theirs: list[float] = []
        counts = set()
        for _ in range(args.runs):
            seconds, ours_rows = run(meshtail_cmd(query, args.file), env, False)
            ours.append(seconds)
            seconds, their_rows = run(lnav_cmd(where, args.file), lnav_env, True)
            theirs.append(seconds)
            counts.add((ours_rows, their_rows))
        (ours_rows, their_rows), *others = sorted(counts)
        same = "" if ours_rows == their_rows and not others else f"  COUNTS DIFFER: {sorted(counts)}"
        mine, lnav = statistics.median(ours), statistics.median(theirs)
        print(f"{label:36s} {ours_rows:9,d} {mine:8.2f}s {lnav:8.2f}s {mine / lnav:6.2f}{same}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
