"""Issue 12: history replay from Loki against ``meshtail scan`` of the same lines from files, same process.

    python benchmarks/loki_replay.py [--lines 1000000] [--runs 3] [--filter status:403] [--merged-sample 20000]

N realistic mesh lines (``--lines``; ~94 % Istio access lines from ``gen_access_log.py`` with
its 403 RBAC denials, NR, UF/URX, UH and TCP lines, ~2 % istiod and ~4 % ztunnel access
lines) are spread over 52 streams labelled as Promtail labels Kubernetes pods (``namespace``,
``pod``, ``container``, ``app``, ``job``): 48 sidecars, istiod and three ztunnels.  Envoy flushes
its access log in bursts and the shipper's timestamps here have millisecond precision, so lines
come in runs of 1–30 sharing one timestamp in a stream, and a third of the runs share their
timestamp with the previous run of another stream: query_range pages (5,000 entries) are cut
inside such runs all the time, which is what the pager must get exactly right.

The lines are pushed into a :class:`meshtail.demo.loki.LokiStandIn` in a process of its own (``--standin
process``, the default: this script with ``--serve-standin`` generates the same entries from the same seed,
so Loki's serving overlaps meshtail's parsing as with a real Loki on another host; ``--standin thread``
serves it from a thread of this process instead, sharing the GIL, as rounds before 2026-11-30 did) and
written, oldest first, to one file per stream (as the kubelet keeps them: ``scan`` gives
each file its own parser, as the Loki source gives each stream one).  After an untimed warm-up
(imports, parser indexes), interleaved, RUNS rounds of:

* **loki**  — ``cli.main(["scan", "--loki", URL, "--from", T0, "--to", T1, "-o", "jsonl", "-q"])``
  (the history of exactly the pushed window through ``run_live`` and the same writer)
* **file**  — ``cli.main(["scan", FILE…, "-o", "jsonl", "-q"])``
* the same two with ``-f FILTER`` (default ``status:403``: the Loki query then carries ``|= "403"``)
* **loki source only** — ``LokiSource`` (follow=False) with an ``on_line`` that counts: the pages
  and the source's own work, nothing parsed

stdout goes to /dev/null (in round 1 to a file, for the premise check).  Printed: lines/s of each
(wall clock), the Loki/file ratio of the rates (≥ 1.0 is issue 12's goal), the CPU seconds of the
client thread and of the stand-in (its process, or its thread with ``--standin thread``; meshtail asks for the
next page while it parses the current one, so only the part of Loki's serving that parsing does not cover adds
to the wall time), the query_range pages, the RSS growth during round 1 (peak — ``getrusage`` after resetting the
high-water mark through ``/proc/self/clear_refs`` — minus RSS at the start; the Loki replay runs
first, on a heap nothing was freed from), and what the dedupe memory holds at the end.

The premise is checked on round 1's output (redaction on, as timed): every event's raw line,
and for Loki its pod and timestamp, are compared as multisets (of hashes) with what was pushed —
the same events from both, none lost, none duplicated, every Loki event at its stream and
timestamp; with the filter, the same events with and without pushdown.  Last, the first
``--merged-sample`` lines are scanned as one merged file against one file per stream.

Like the CLI in separate processes, each run starts from CPython's default GC thresholds
(``run_live`` applies meshtail's streaming settings for the Loki runs itself); the stand-in's
entries are frozen out of the collector after the push, as if they lived in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from benchmarks.gen_access_log import NAMESPACES, SERVICES
from benchmarks.gen_access_log import lines as access_lines
from meshtail.demo import lines as shapes
from meshtail.demo.loki import LokiStandIn
from meshtail.sources.loki.reader import stamp

try:
    from meshtail.commands import cli
except ImportError:  # before the commands package
    from meshtail import cli  # type: ignore[no-redef]

DEFAULT_GC = gc.get_threshold()
HEX = "0123456789abcdef"
ALNUM = "bcdfghjklmnpqrstvwxz2456789"


# ---- the data ------------------------------------------------------------------------------
def make_streams(rng: random.Random) -> tuple[list[dict[str, str]], list[int], int, list[int]]:
    """Promtail label sets: (all streams, sidecar indexes, istiod index, ztunnel indexes)."""
    streams: list[dict[str, str]] = []

    def pod(app: str, namespace: str, container: str, name: str) -> int:
        streams.append({"namespace": namespace, "pod": name, "container": container, "app": app,
                        "job": f"{namespace}/{app}"})  # fmt: skip
        return len(streams) - 1

    sidecars = []
    for namespace in NAMESPACES:
        for service in SERVICES:
            replicaset = "".join(rng.choice(HEX) for _ in range(9))
            for _ in range(2 if service in ("productpage", "reviews", "cart", "search") else 1):
                suffix = "".join(rng.choice(ALNUM) for _ in range(5))
                sidecars.append(pod(service, namespace, "istio-proxy", f"{service}-v1-{replicaset}-{suffix}"))
    istiod = pod("istiod", "istio-system", "discovery", "istiod-7d4f8b9c6-x2k9p")
    ztunnels = [pod("ztunnel", "istio-system", "istio-proxy", f"ztunnel-{s}") for s in ("4xk2p", "9qzrt", "m7c5w")]
    return streams, sidecars, istiod, ztunnels


def istiod_line(rng: random.Random, when: datetime, n: int) -> str:
    roll = rng.random()
    if roll < 0.4:
        message = (f"Push debounce stable[{n}] 1 for config AuthorizationPolicy/{rng.choice(NAMESPACES)}/deny-admin: "
                   f"{100 + rng.random():.6f}ms since last change, {100 + rng.uniform(0, 500):.6f}ms since last push, "
                   "full=true")  # fmt: skip
    elif roll < 0.7:
        message = f"XDS: Pushing Services:{len(SERVICES)} ConnectedEndpoints:{rng.randint(40, 60)} Version:{n}"
    else:
        service = rng.choice(SERVICES)
        message = (f"LDS: PUSH for node:{service}-v1-{rng.randrange(16**9):09x}.{rng.choice(NAMESPACES)} "
                   f"resources:{rng.randint(8, 40)} size:{rng.uniform(5, 90):.1f}kB")  # fmt: skip
    return shapes.istiod(when, "info", "ads", message)


def ztunnel_line(rng: random.Random, when: datetime) -> str:
    src, dst = rng.choice(SERVICES), rng.choice(SERVICES)
    src_ns, dst_ns = rng.choice(NAMESPACES), rng.choice(NAMESPACES)
    dst_ip = f"10.244.{rng.randrange(4)}.{rng.randrange(2, 250)}"
    fields: dict[str, str | int] = {
        "src.addr": f"10.244.{rng.randrange(4)}.{rng.randrange(2, 250)}:{rng.randint(32768, 60999)}",
        "src.workload": f"{src}-v1-{rng.randrange(16**9):09x}-{rng.randrange(36**5):05d}",
        "src.namespace": src_ns,
        "src.identity": f"spiffe://cluster.local/ns/{src_ns}/sa/{src}",
        "dst.addr": f"{dst_ip}:15008",
        "dst.hbone_addr": f"{dst_ip}:9080",
        "dst.service": f"{dst}.{dst_ns}.svc.cluster.local",
        "dst.workload": f"{dst}-v1-{rng.randrange(16**9):09x}-{rng.randrange(36**5):05d}",
        "dst.namespace": dst_ns,
        "dst.identity": f"spiffe://cluster.local/ns/{dst_ns}/sa/{dst}",
        "direction": "inbound",
    }
    if rng.random() < 0.15:
        rejection = "connection closed due to policy rejection: allow policies exist, but none allowed"
        fields |= {"bytes_sent": 0, "bytes_recv": 0, "duration": "0ms", "error": rejection}
        return shapes.ztunnel_access(when, "error", fields)
    fields |= {"bytes_sent": rng.randint(100, 9000), "bytes_recv": rng.randint(100, 3000),
               "duration": f"{rng.randint(1, 80)}ms"}  # fmt: skip
    return shapes.ztunnel_access(when, "info", fields)


def mesh_entries(count: int, base_ns: int, seed: int = 12) -> tuple[list[dict[str, str]], list[tuple[int, int, str]]]:
    """(streams, entries): ``count`` entries ``(stream index, ts ns, line)`` in time order, from ``base_ns``."""
    rng = random.Random(seed)
    streams, sidecars, istiod, ztunnels = make_streams(rng)
    access: Iterator[str] = access_lines(count, seed=seed)
    entries: list[tuple[int, int, str]] = []
    ts = base_ns
    pushes = 0
    while len(entries) < count:
        if rng.random() < 0.65:  # a new millisecond; else this run shares the previous run's timestamp
            ts += rng.randint(1, 3) * 1_000_000
        roll = rng.random()
        if roll < 0.02:
            stream, size, kind = istiod, rng.randint(1, 4), "istiod"
        elif roll < 0.06:
            stream, size, kind = rng.choice(ztunnels), rng.randint(1, 8), "ztunnel"
        else:
            stream, size, kind = rng.choice(sidecars), rng.randint(1, 30), "access"
        size = min(size, count - len(entries))
        when = datetime.fromtimestamp(ts / 1e9, UTC)
        millis = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(ts // 1_000_000) % 1000:03d}Z"
        for _ in range(size):
            if kind == "access":
                line = next(access)
                line = f"[{millis}]{line[26:]}"  # the line's own start time: its Loki timestamp
            elif kind == "istiod":
                pushes += 1
                line = istiod_line(rng, when, pushes)
            else:
                line = ztunnel_line(rng, when)
            entries.append((stream, ts, line))
    return streams, entries


# ---- the stand-in in its own thread --------------------------------------------------------
class ServedLoki:
    """A LokiStandIn served by an event loop in a thread (the client's loop never runs it)."""

    def __init__(self, standin: LokiStandIn) -> None:
        self.standin = standin
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="loki-standin", daemon=True)
        self.thread.start()
        self.url = asyncio.run_coroutine_threadsafe(standin.start(), self.loop).result(30)
        assert self.thread.ident is not None
        self._clock = time.pthread_getcpuclockid(self.thread.ident)

    def cpu(self) -> float:
        return time.clock_gettime(self._clock)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.standin.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def requests(self) -> list[tuple[str, str]]:
        return list(self.standin.requests)


class ProcessLoki:
    """The stand-in in a process of its own, as a real Loki is: its serving overlaps the client's parsing.

    The child (this script with ``--serve-standin``) generates the same entries from the same seed and
    base time, pushes them, and answers ``requests`` on stdin with the requests it served (JSON).
    """

    def __init__(self, lines: int, base_ns: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-standin", "--lines", str(lines), "--base-ns", str(base_ns)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None and self.process.stdin is not None
        self._in, self._out = self.process.stdin, self.process.stdout
        hello = self._out.readline().split()
        if len(hello) != 2 or hello[0] != "serving":
            raise SystemExit(f"the stand-in did not start: {hello!r}")
        self.url = hello[1]

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def requests(self) -> list[tuple[str, str]]:
        self._in.write("requests\n")
        self._in.flush()
        return [tuple(r) for r in json.loads(self._out.readline())]  # type: ignore[misc]

    def close(self) -> None:
        self._in.close()
        self.process.wait(30)


def serve_standin(lines: int, base_ns: int) -> None:
    """The child of :class:`ProcessLoki`."""
    streams, entries = mesh_entries(lines, base_ns)
    standin = LokiStandIn()
    for stream, ts, line in entries:
        standin.push(streams[stream], ts, line)
    del entries
    gc.collect()
    gc.freeze()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    url = asyncio.run_coroutine_threadsafe(standin.start(), loop).result(30)
    print("serving", url, flush=True)
    for command in sys.stdin:
        if command.strip() == "requests":
            print(json.dumps(list(standin.requests)), flush=True)
    asyncio.run_coroutine_threadsafe(standin.stop(), loop).result(30)


Served = ServedLoki | ProcessLoki


# ---- running the CLI in this process -------------------------------------------------------
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> bool:
    """Reset the RSS high-water mark that getrusage reports (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def read_output(path: Path, with_place: bool) -> tuple[Counter[int], Counter[str]]:
    """A JSONL output: hashes of each event's key (raw line; for Loki also pod and timestamp), health actions."""
    keys: Counter[int] = Counter()
    health: Counter[str] = Counter()
    with path.open("rb") as handle:
        for line in handle:
            obj = orjson.loads(line)
            if obj.get("format") == "meshtail":
                health[obj.get("action", "")] += 1
            elif with_place:
                keys[hash((obj["source"].get("pod"), obj["attributes"].get("k8s.log.timestamp"), obj["raw"]))] += 1
            else:
                keys[hash(obj["raw"])] += 1
    return keys, health


@contextlib.contextmanager
def stdout_to(stream: object) -> Iterator[None]:
    saved = sys.stdout
    sys.stdout = stream  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = saved


def run_cli(argv: list[str], served: Served, out: Path | None = None) -> dict[str, Any]:
    """One ``meshtail`` command in this process (stdout to /dev/null, or to ``out``): wall, client CPU,
    stand-in CPU, query_range pages, RSS before and at its peak, what it said on stderr."""
    gc.set_threshold(*DEFAULT_GC)  # as a fresh process would start (run_live tunes it for Loki reads)
    gc.collect()
    pages_before = len(served.requests())
    err = io.StringIO()
    with open(out or os.devnull, "w", encoding="utf-8") as sink:
        before = rss_mb()
        peak_ok = reset_peak()
        wall0, cpu0, server0 = time.perf_counter(), time.thread_time(), served.cpu()
        worker0 = children_cpu()
        with stdout_to(sink), contextlib.redirect_stderr(err):
            status = cli.main(argv)
        wall, cpu, server = time.perf_counter() - wall0, time.thread_time() - cpu0, served.cpu() - server0
        worker = children_cpu() - worker0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if peak_ok else float("nan")
    if status != 0:
        raise SystemExit(f"meshtail {' '.join(argv)} exited {status}: {err.getvalue().strip()}")
    requests = served.requests()[pages_before:]
    pages = sum(1 for _method, path in requests if path.startswith("/loki/api/v1/query_range"))
    said = tuple(dict.fromkeys(re.sub(r"\d+(\.\d+)?", "N", line) for line in err.getvalue().splitlines()))
    return {
        "wall": wall,
        "cpu": cpu,
        "worker": worker,
        "server": server,
        "rss0": before,
        "peak": peak,
        "pages": pages,
        "stderr": said,
    }


def children_cpu() -> float:
    """CPU seconds of this process's ended children: meshtail's Loki history worker (the stand-in process is
    still running, so it is not counted here; it is measured through /proc as ``served.cpu()``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pushed_query(served: Served) -> str:
    """The query of the last query_range request that carried a line filter."""
    for _method, path in reversed(served.requests()):
        if path.startswith("/loki/api/v1/query_range"):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("query", [""])[0]
            if "|" in query:
                return query
    return "(none)"


def run_transport(served: Served, start_ns: int, end_ns: int, filter_text: str = "") -> dict[str, Any]:
    """The Loki source alone (``LokiSource``, follow=False, ``on_line`` counting): pages in, nothing parsed."""
    from meshtail.sources.loki import LokiClient, LokiConfig, LokiOptions, LokiSelection, LokiSource

    gc.set_threshold(*DEFAULT_GC)
    gc.collect()
    lines = 0
    seen_bytes = [0, 0]  # what the exact-dedupe memory holds at the end: bytes (sets, tuples, lines), entries

    def on_line(_raw: object) -> None:
        nonlocal lines
        lines += 1

    async def read() -> None:
        async with LokiClient(LokiConfig.from_args(served.url, env={})) as client:
            options = LokiOptions(start_ns=start_ns, end_ns=end_ns, follow=False)
            source = LokiSource(client, LokiSelection(), on_line, lambda _e: None, options, filter_text)
            await source.run()
            for state in source._states.values():
                for bucket in state.seen._buckets.values():
                    seen_bytes[0] += sys.getsizeof(bucket) + sum(sys.getsizeof(t) + sys.getsizeof(t[1]) for t in bucket)
                    seen_bytes[1] += len(bucket)

    before = rss_mb()
    peak_ok = reset_peak()
    wall0, cpu0, server0, worker0 = time.perf_counter(), time.thread_time(), served.cpu(), children_cpu()
    asyncio.run(read())
    wall, cpu, server = time.perf_counter() - wall0, time.thread_time() - cpu0, served.cpu() - server0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 if peak_ok else float("nan")
    worker = children_cpu() - worker0
    return {"wall": wall, "cpu": cpu, "worker": worker, "server": server, "rss0": before, "peak": peak,
            "pages": 0, "lines": lines, "seen": seen_bytes[1], "seen_mb": seen_bytes[0] / 2**20}  # fmt: skip


# ---- main ----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--filter", default="status:403", help="the filter of the pushed-down pair ('' : none)")
    parser.add_argument("--no-verify", action="store_true", help="do not check the premise on the first round")
    parser.add_argument("--merged-sample", type=int, default=20_000,
                        help="also scan the first N lines as one merged file (0: skip)")  # fmt: skip
    parser.add_argument("--standin", choices=("process", "thread"), default="process",
                        help="the stand-in in its own process (as a real Loki; default) or in a thread of this one "
                        "(sharing the GIL: its serving and the client's parsing cannot overlap)")  # fmt: skip
    parser.add_argument("--serve-standin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-ns", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_standin:
        serve_standin(args.lines, args.base_ns)
        return

    t0 = time.perf_counter()
    rss_start = rss_mb()
    base_ns = (time.time_ns() // 1_000_000_000 - 3 * 3600) * 1_000_000_000  # three hours ago
    streams, entries = mesh_entries(args.lines, base_ns)
    generated = time.perf_counter() - t0
    rss_generated = rss_mb()

    t1 = time.perf_counter()
    served: Served
    if args.standin == "process":
        served = ProcessLoki(args.lines, base_ns)  # the same entries, generated again there from the same seed
        rss_pushed = rss_generated
    else:
        standin = LokiStandIn()  # Loki's defaults: max_entries_limit_per_query 5,000
        for stream, ts, line in entries:
            standin.push(streams[stream], ts, line)
        rss_pushed = rss_mb()
        if standin.duplicates:
            print(f"note: {standin.duplicates} generated entries were exact repeats, kept once as Loki keeps them")
        gc.collect()
        gc.freeze()  # the stand-in's data: out of the collector's sight, as if it lived in another process
        served = ServedLoki(standin)
    pushed_in = time.perf_counter() - t1

    tmp = Path(tempfile.mkdtemp(prefix="loki-replay-"))
    seen: set[tuple[int, int, str]] = set()
    unique: list[tuple[int, int, str]] = []
    for entry in entries:
        if entry not in seen:  # what Loki holds: each (stream, timestamp, line) once
            seen.add(entry)
            unique.append(entry)
    del seen, entries
    paths = write_stream_files(tmp, streams, unique)
    window_bytes = sum(len(line.encode()) + 1 for _s, _ts, line in unique)
    first, last = unique[0][1], unique[-1][1]
    same_ts = Counter(ts for _s, ts, _l in unique)
    shared = sum(n for n in same_ts.values() if n > 1)
    window = ["--from", str(first), "--to", str(last + 1)]
    print(f"{len(unique):,} lines ({window_bytes / 2**20:,.0f} MB) in {len(streams)} streams over "
          f"{(last - first) / 1e9:,.1f} s of Loki time ({len(unique) * 1e9 / (last - first):,.0f} lines/s); "
          f"{shared:,} lines share their timestamp with another line "
          f"({len(same_ts):,} distinct timestamps)")  # fmt: skip
    print(f"generated in {generated:.1f} s; pushed into the stand-in in {pushed_in:.1f} s "
          f"({len(unique) / pushed_in:,.0f} pushes/s); RSS {rss_start:.0f} MB, {rss_generated:.0f} MB with the lines, "
          f"{rss_pushed:.0f} MB with the stand-in's entries ({(rss_pushed - rss_generated) * 2**20 / len(unique):.0f} "
          "bytes/entry besides the line)")  # fmt: skip
    print(f"stand-in at {served.url}; files {tmp}/stream-*.log (one per stream, as the kubelet keeps them)")

    filt = ["-f", args.filter] if args.filter else []
    commands = {  # the Loki replay first: its RSS growth in round 1 is measured on a heap nothing was freed from
        "loki": ["scan", "--loki", served.url, *window, "-o", "jsonl", "-q"],
        "file": ["scan", *paths, "-o", "jsonl", "-q"],
    }
    if args.filter:
        commands["loki " + args.filter] = ["scan", "--loki", served.url, *window, *filt, "-o", "jsonl", "-q"]
        commands["file " + args.filter] = ["scan", *paths, *filt, "-o", "jsonl", "-q"]
    # warm-up (untimed): imports and the parsers' indexes, so RSS growth is the read's, not the first import's
    smallest = min(paths, key=lambda p: Path(p).stat().st_size)
    run_cli(["scan", smallest, "-o", "jsonl", "-q"], served)
    run_cli(["scan", "--loki", served.url, "--from", str(first), "--to", str(first + 10_000_000), "-o", "jsonl",
             "-q"], served)  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in [*commands, "loki source only"]}
    for run in range(args.runs):  # interleaved, so machine noise hits all alike
        for name, argv in commands.items():
            out = tmp / f"{name.replace(' ', '_').replace(':', '_')}.jsonl" if run == 0 and not args.no_verify else None
            results[name].append(run_cli(argv, served, out))
            print(f"  round {run + 1} {name:18s} {results[name][-1]['wall']:7.2f} s", flush=True)
        results["loki source only"].append(run_transport(served, first, last + 1))
        print(
            f"  round {run + 1} {'loki source only':18s} {results['loki source only'][-1]['wall']:7.2f} s", flush=True
        )
        if run == 0 and not args.no_verify:
            verify(tmp, list(commands), streams, unique, args.filter)

    n = len(unique)
    print()
    print(f"{n:,} lines, median of {args.runs} round(s); wall clock, CPU seconds of the client (this thread) and of "
          f"the stand-in ({args.standin}); RSS growth = peak during the run - RSS at its start, round 1 (later rounds "
          "reuse freed memory)")  # fmt: skip
    print(f"{'':18s} {'lines/s':>10s} {'wall s':>7s} {'client CPU':>10s} {'worker':>7s} {'stand-in':>8s} "
          f"{'pages':>6s} {'RSS start':>9s} {'growth':>7s}")  # fmt: skip
    medians: dict[str, dict[str, float]] = {}
    for name, runs in results.items():
        m = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "stderr"}
        m["growth"] = runs[0]["peak"] - runs[0]["rss0"]
        medians[name] = m
        print(f"{name:18s} {n / m['wall']:10,.0f} {m['wall']:7.2f} {m['cpu']:10.2f} {m['worker']:7.2f} "
              f"{m['server']:8.2f} "
              f"{m['pages'] or '':>6} {m['rss0']:7.0f}MB {m['growth']:5.0f}MB")  # fmt: skip
    print()
    pairs = [("loki", "file")] + ([("loki " + args.filter, "file " + args.filter)] if args.filter else [])
    for loki, file in pairs:
        ours, base = medians[loki], medians[file]
        print(f"ratio {loki!r}/{file!r}: rate {base['wall'] / ours['wall']:.2f} (≥ 1.00 is issue 12's goal); "
              f"client CPU (its thread + its history worker) {(ours['cpu'] + ours['worker']) / base['cpu']:.2f}× "
              f"the file scan's; client + stand-in CPU "
              f"{(ours['cpu'] + ours['worker'] + ours['server']) / base['cpu']:.2f}×")  # fmt: skip
    only = medians["loki source only"]
    print(f"the Loki source alone (pages in, lines counted, nothing parsed): {n / only['wall']:,.0f} lines/s, client "
          f"CPU {only['cpu']:.2f} s, stand-in {only['server']:.2f} s; at its end the exact-dedupe memory (Seen) held "
          f"{only['seen']:,.0f} entries, {only['seen_mb']:,.0f} MB: the last lookback (delay_for + 10 s) of the "
          "window, "
          "kept to meet a tail that a bounded read never opens")  # fmt: skip
    print(f"RSS growth during the Loki replay (round 1): {medians['loki']['growth']:.0f} MB for a "
          f"{window_bytes / 2**20:,.0f} MB window read in {medians['loki']['pages']:.0f} pages; the file scan: "
          f"{medians['file']['growth']:.0f} MB")  # fmt: skip
    print(f"the LogQL sent with -f {args.filter!r}: {pushed_query(served)}" if args.filter else "")
    said = Counter(line for runs in results.values() for r in runs for line in r.get("stderr", ()))
    for line, count in said.items():
        print(f"stderr ({count} runs): {line}")
    if args.merged_sample:
        merged_cliff(tmp, streams, unique[: args.merged_sample], served)
    served.close()
    shutil.rmtree(tmp, ignore_errors=True)


def verify(
    tmp: Path, names: list[str], streams: list[dict[str, str]], unique: list[tuple[int, int, str]], filt: str
) -> None:
    """The first round's outputs: the same events from file and Loki, none lost, none duplicated, each at its
    stream and timestamp (compared as multisets of hashes)."""
    pushed_raw = Counter(hash(line) for _s, _ts, line in unique)
    pushed_place = Counter(hash((streams[s]["pod"], stamp(ts), line)) for s, ts, line in unique)
    got = {}
    for name in names:
        path = tmp / f"{name.replace(' ', '_').replace(':', '_')}.jsonl"
        got[name] = read_output(path, with_place=name.startswith("loki"))
        path.unlink()
    print("  premise (first round's output; redaction on, as timed):")
    for name, (keys, health) in got.items():
        print(f"    {name:18s} {sum(keys.values()):>10,} events; health events {dict(health) or '-'}")
    file_all, loki_all = got["file"][0], got["loki"][0]
    lost = sum((pushed_place - loki_all).values())
    extra = sum((loki_all - pushed_place).values())
    dup = sum(n - 1 for n in loki_all.values() if n > 1)
    same = sum(file_all.values()) == sum(loki_all.values())
    print(f"    every line: file {sum(file_all.values()):,} events, its raw lines = those pushed: "
          f"{file_all == pushed_raw}; Loki {sum(loki_all.values()):,} events: lost {lost}, not pushed or at the "
          f"wrong stream/time {extra}, duplicated {dup}")  # fmt: skip
    ok = file_all == pushed_raw and same and lost == extra == dup == 0
    if filt:
        file_f, loki_f = got["file " + filt][0], got["loki " + filt][0]
        wanted = Counter()  # the filter's events at their place: the file scan's raw lines, placed as pushed
        placed = {hash(line): hash((streams[s]["pod"], stamp(ts), line)) for s, ts, line in unique}
        for key, count in file_f.items():
            wanted[placed[key]] += count
        lost_f, extra_f = sum((wanted - loki_f).values()), sum((loki_f - wanted).values())
        dup_f = sum(n - 1 for n in loki_f.values() if n > 1)
        print(f"    {filt}: file {sum(file_f.values()):,} events, Loki (pushed down) {sum(loki_f.values()):,}: "
              f"lost {lost_f}, extra {extra_f}, duplicated {dup_f}")  # fmt: skip
        ok = ok and lost_f == extra_f == dup_f == 0
    print(f"    premise {'holds' if ok else 'DOES NOT HOLD'}")


def write_stream_files(where: Path, streams: list[dict[str, str]], entries: list[tuple[int, int, str]]) -> list[str]:
    """One file per stream, oldest line first: ``scan`` gives each file its own parser, as Loki streams get."""
    by_stream: dict[int, list[str]] = {}
    for stream, _ts, line in entries:
        by_stream.setdefault(stream, []).append(line)
    paths = []
    for stream, texts in sorted(by_stream.items()):
        labels = streams[stream]
        path = where / f"stream-{stream:02d}-{labels['namespace']}-{labels['pod']}.log"
        path.write_text("".join(text + "\n" for text in texts), encoding="utf-8")
        paths.append(str(path))
    return paths


def merged_cliff(
    where: Path, streams: list[dict[str, str]], sample: list[tuple[int, int, str]], served: Served
) -> None:
    """The same lines as ONE file (every stream interleaved by time) against one file per stream."""
    merged = where / "merged.log"
    merged.write_text("".join(line + "\n" for _s, _ts, line in sample), encoding="utf-8")
    split = where / "split"
    split.mkdir()
    paths = write_stream_files(split, streams, sample)
    one = run_cli(["scan", str(merged), "-o", "jsonl", "-q"], served)
    many = run_cli(["scan", *paths, "-o", "jsonl", "-q"], served)
    print(f"the first {len(sample):,} lines as one merged file: {len(sample) / one['wall']:,.0f} lines/s; as one file "
          f"per stream: {len(sample) / many['wall']:,.0f} lines/s ({one['wall'] / many['wall']:.1f}× slower merged: "
          "after an istiod or ztunnel line the parser tries the text families first, and the last of them, "
          "access_loose, reads every following access line the slow way)")  # fmt: skip


if __name__ == "__main__":
    main()
