"""Issue 12: following Loki live — ``meshtail tail --loki`` at R lines/s, against a bare client and the kube path.

    python benchmarks/loki_tail.py [--rate 20000] [--seconds 20] [--streams 200] [--tail-frames 10]
                                   [--clients raw,meshtail,meshtail-1p] [--busy N] [--no-kube]

Three processes, as in production:

* **the stand-in** (this script with ``--serve``): a :class:`meshtail.demo.loki.LokiStandIn` with
  Loki's defaults (5,000-entry pages, 100 entries a tail frame, ``--tail-frames`` queued — Loki: 10 —
  entries dropped while the queue is full, at most 1,000 of them listed per frame) and, on the same
  event loop as Loki's ingester would be, a writer pushing RATE access lines a second for SECONDS
  over STREAMS streams (Promtail labels, namespace ``load``; 1–8 lines per stream at a time, as
  Envoy flushes), each stamped with the wall-clock time it was pushed (unique per stream).  It
  records every pushed (pod, timestamp), counts the entries its tail dropped (listed or past the
  1,000) and the query_range requests it served.  (The stand-in's ``label_string`` is memoised in
  this process only: it is a pure function, and json.dumps per push would make the writer, not
  the reader, the bottleneck.)
* **the client**, in its own process: ``python -m meshtail tail --loki URL -o jsonl -q`` (history
  of the last hour, then the tail with ``delay_for`` 2; every line parsed, classified and
  JSON-encoded; the parsing and writing in its writer process, ``meshtail.writer_process``),
  ``meshtail-1p`` (the same with ``MESHTAIL_WRITER_PROCESS=0``: all in one process, the baseline
  for it), or ``raw`` — this script with ``--raw-tail``: the tail websocket decoded and
  nothing else, the floor the stand-in allows (it does not read drops again).
* **this process** reads the client's stdout and notes when each entry arrives.

Before the window, one line per stream is pushed (meshtail needs streams to find its labels); the
writer starts once the tail is connected.  After SECONDS the writer stops; the client is stopped
when it has been quiet for ``delay_for`` + 3 s.

Printed per client: lines pushed and delivered, lost (pushed, never delivered; for meshtail split
into those after a ``meshtail.stream.gap``/``incomplete`` event for their stream and those lost
silently) and duplicated, matched as a multiset of (pod, timestamp); what the stand-in dropped and
what the client was told; end-to-end lag (arrival here − the entry's timestamp) p50/p95/p99/max,
and minus ``delay_for`` (Loki holds every entry that long on purpose); for meshtail, that lag split at
each event's ``received`` (before: Loki's hold, the stand-in, the socket, the read-ahead; after: parsing,
writing, the pipes); the client's CPU (% of one core over the window, per process) and peak RSS; the
stand-in's CPU.

Baseline in the same run (unless ``--no-kube``): ``benchmarks/live_follow.py``'s meshtail client —
``meshtail tail`` through the Kubernetes API against ``meshtail demo --serve --pods STREAMS
--load-rate RATE`` for the same SECONDS — and the ratios.  Issue 12's goal: p99 lag < ``delay_for``
+ 1 s, nothing lost without a gap event.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
F_SETPIPE_SZ = 1031  # Linux fcntl: a pipe's capacity
sys.path.insert(0, str(ROOT))

_POD = re.compile(rb'"pod":"([^"]+)"')
_STAMP = re.compile(rb'"k8s\.log\.timestamp":"([^"]+)"')
# one event's pod and kube timestamp (the writer's key order: source before attributes), line by line


def events_in(data: bytes, received: dict[tuple[bytes, bytes], bytes] | None = None) -> list[tuple[bytes, bytes]]:
    """Each event's (pod, kube timestamp) in whole JSONL lines (the writer's key order: source before attributes);
    ``received``, when given, gets each event's ``received`` (when meshtail read it), the first time it is seen.

    bytes.find, not a regex: a lazy ``"pod":…[^\n]*?"k8s.log.timestamp"`` regex cost ~17 µs an event (a third
    of a core at 20,000 lines/s, taken from the client's two cores); this is ~4 µs."""
    out = []
    for line in data.split(b"\n"):
        at = line.find(b'"pod":"')
        if at < 0:
            continue
        stamp = line.find(b'"k8s.log.timestamp":"', at)
        if stamp < 0:
            continue
        at, stamp = at + 7, stamp + 21
        key = (line[at : line.index(b'"', at)], line[stamp : line.index(b'"', stamp)])
        out.append(key)
        if received is not None and key not in received and (read := line.find(b'"received":"', 0, at)) >= 0:
            received[key] = line[read + 12 : line.index(b'"', read + 12)]
    return out


_TICKS = os.sysconf("SC_CLK_TCK")
ALNUM = "bcdfghjklmnpqrstvwxz2456789"


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def family(pid: int) -> list[int]:
    """``pid`` and its living descendants: the client and its writer process (meshtail.writer_process)."""
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        with contextlib.suppress(OSError):
            todo.extend(int(c) for c in Path(f"/proc/{one}/task/{one}/children").read_text().split())
    return found


def proc_status(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---- the stand-in process ------------------------------------------------------------------
def serve(rate: float, seconds: float, streams: int, pushed_path: Path, seed: int, tail_frames: int) -> None:
    """``--serve``: the stand-in and its writer; prints the URL, then ``writing <t>``/``written <t>``; on
    stdin EOF writes the pushed (pod, ns) list to ``pushed_path`` and a JSON line of counts, and exits."""
    from benchmarks.gen_access_log import lines as access_lines
    from meshtail.demo import loki as standin_module
    from meshtail.demo.loki import LokiStandIn

    rng = random.Random(seed)
    labels = []
    for i in range(streams):
        pod = f"load-{i:03d}-7c9d8b6f5d-{''.join(rng.choice(ALNUM) for _ in range(5))}"
        labels.append({"namespace": "load", "pod": pod, "container": "istio-proxy", "app": f"load-{i:03d}",
                       "job": f"load/load-{i:03d}"})  # fmt: skip
    pool = list(access_lines(min(int(rate * seconds) + streams, 400_000), seed=seed))
    dropped = Counter[str]()
    original_drop = standin_module._Tail.drop

    cap = standin_module.MAX_DROPPED_ENTRIES_PER_TAIL_RESPONSE

    def counting_drop(self, out):  # type: ignore[no-untyped-def]
        dropped["reported" if len(self.dropped) < cap else "unreported"] += 1  # Loki stops listing at 1,000
        original_drop(self, out)

    standin_module._Tail.drop = counting_drop  # type: ignore[method-assign]
    # the stand-in names a stream by json.dumps of each label on every push (~10 µs, half its push cost):
    # memoised here (a pure function of the labels), so the writer emulates an ingester, not Python's json
    plain_label_string = standin_module.label_string
    names: dict[tuple[tuple[str, str], ...], str] = {}

    def label_string(found: dict[str, str]) -> str:
        key = tuple(found.items())
        name = names.get(key)
        if name is None:
            name = names[key] = plain_label_string(found)
        return name

    standin_module.label_string = label_string  # type: ignore[assignment]
    standin = LokiStandIn(tail_frames=tail_frames)
    pushed: list[tuple[int, int]] = []
    last = [0] * streams

    def line_at(ns: int, index: int) -> str:
        text = pool[index % len(pool)]
        millis = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)) + f".{(ns // 10**6) % 1000:03d}Z"
        return f"[{millis}]{text[26:]}"

    def push(stream: int, count: int) -> None:
        now = time.time_ns()
        for _ in range(count):
            ts = max(now, last[stream] + 1)
            last[stream] = ts
            standin.push(labels[stream], ts, line_at(ts, len(pushed)))
            pushed.append((stream, ts))

    async def main() -> None:
        url = await standin.start()
        for stream in range(streams):
            push(stream, 1)
        print(url, flush=True)
        while standin.tails < 1:  # meshtail's tail is connected
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        started = time.monotonic()
        print(f"writing {time.time()}", flush=True)
        target = 0
        while (elapsed := time.monotonic() - started) < seconds:
            target = int(rate * elapsed)
            while len(pushed) - streams < target:
                push(rng.randrange(streams), min(rng.randint(1, 8), target - (len(pushed) - streams)))
            await asyncio.sleep(0.005)
        print(f"written {time.time()} {len(pushed) - streams}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
        with pushed_path.open("w") as handle:
            for stream, ts in pushed:
                handle.write(f"{labels[stream]['pod']}\t{ts}\n")
        print(json.dumps({"pushed": len(pushed), "dropped_reported": dropped["reported"],
                          "dropped_unreported": dropped["unreported"], "tails_open": standin.tails,
                          "duplicates": standin.duplicates,
                          "query_range": sum(1 for _m, path in standin.requests if "/query_range" in path)}),
              flush=True)  # fmt: skip
        await standin.stop()

    asyncio.run(main())


# ---- the floor: a bare websocket client ----------------------------------------------------
def raw_tail(url: str, delay_for: int) -> None:
    """``--raw-tail URL``: Loki's tail read and decoded, nothing else (what logcli --tail does, minus printing
    the lines): one ``{"pod":…,"k8s.log.timestamp":…}`` line per entry, a health-like line per dropped_entries."""
    import aiohttp
    import orjson

    from meshtail.sources.loki.reader import stamp

    out = sys.stdout.buffer

    async def main() -> None:
        params = {"query": '{namespace="load"}', "delay_for": str(delay_for), "limit": "1000",
                  "start": str(time.time_ns() - 3600 * 10**9)}  # fmt: skip
        tail = url.replace("http", "ws", 1) + "/loki/api/v1/tail"
        async with aiohttp.ClientSession() as session, session.ws_connect(tail, params=params, max_msg_size=0) as ws:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                frame = orjson.loads(message.data)
                rows = []
                for stream in frame.get("streams") or ():
                    pod = stream["stream"].get("pod", "")
                    for value in stream["values"]:
                        rows.append(f'{{"pod":"{pod}","k8s.log.timestamp":"{stamp(int(value[0]))}"}}\n')
                dropped = frame.get("dropped_entries")
                if dropped:
                    attrs = json.dumps({"loki.tail.dropped": len(dropped)})
                    rows.append(f'{{"format":"meshtail","action":"raw.dropped","attributes":{attrs}}}\n')
                out.write("".join(rows).encode())
                out.flush()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# ---- the benchmark -------------------------------------------------------------------------
def run_loki(
    client: str, rate: float, seconds: float, streams: int, delay_for: int, seed: int, tail_frames: int
) -> dict[str, Any]:
    from meshtail.demo.sentlog import excuse_for
    from meshtail.lag import epoch
    from meshtail.sources.loki.reader import parse_time, stamp

    tmp = Path(tempfile.mkdtemp(prefix="loki-tail-"))
    pushed_path = tmp / "pushed.tsv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--rate", str(rate), "--seconds", str(seconds), "--streams",
         str(streams), "--pushed", str(pushed_path), "--seed", str(seed), "--tail-frames", str(tail_frames)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().strip()
    if not url.startswith("http"):
        raise SystemExit(f"the stand-in did not start: {url!r}")
    command = (
        [sys.executable, "-m", "meshtail", "tail", "--loki", url, "-o", "jsonl", "-q"]
        if client.startswith("meshtail")
        else [sys.executable, __file__, "--raw-tail", url]
    )
    if client == "meshtail-1p":  # the baseline: parsing and writing in the reading process (no writer process)
        env = {**env, "MESHTAIL_WRITER_PROCESS": "0"}
    reader = subprocess.Popen(
        command,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    assert reader.stdout is not None and reader.stderr is not None
    arrivals: dict[tuple[bytes, bytes], float] = {}
    received: dict[tuple[bytes, bytes], bytes] = {}  # when meshtail read each entry (its events' ``received``)
    got: Counter[tuple[bytes, bytes]] = Counter()
    health: list[bytes] = []
    stderr: list[bytes] = []
    stdout = reader.stdout

    def read() -> None:
        # whole chunks, not lines: at 20,000 lines/s a per-line reader here (holding the GIL against the
        # main thread) is slower than the client, which then blocks writing its stdout and stops reading Loki
        fd, rest = stdout.fileno(), b""
        with contextlib.suppress(OSError):  # a pipe of 1 MB, not 64 kB: ~30 MB/s of JSONL rides out a slow turn
            fcntl.fcntl(fd, F_SETPIPE_SZ, 1 << 20)
        while chunk := os.read(fd, 1 << 20):
            now = time.time()
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            data, rest = data[:cut], data[cut:]
            if b'"format":"meshtail"' in data:
                health.extend(line for line in data.split(b"\n") if b'"format":"meshtail"' in line)
            for key in events_in(data, received if client.startswith("meshtail") else None):
                got[key] += 1
                arrivals.setdefault(key, now)

    threads = [threading.Thread(target=read, daemon=True),
               threading.Thread(target=lambda: stderr.extend(reader.stderr), daemon=True)]  # type: ignore[arg-type]  # fmt: skip
    for thread in threads:
        thread.start()
    writing = server.stdout.readline().split()
    if not writing or writing[0] != "writing":
        raise SystemExit(f"the stand-in did not start writing: {writing!r}")
    pids = family(reader.pid)  # (the writer process, when meshtail runs one, is started by now)
    cpu0, server0, wall0 = [proc_cpu(pid) for pid in pids], proc_cpu(server.pid), time.monotonic()
    written = server.stdout.readline().split()
    window = time.monotonic() - wall0
    cpus = [proc_cpu(pid) - before for pid, before in zip(pids, cpu0, strict=True)]
    cpu, server_cpu = sum(cpus), proc_cpu(server.pid) - server0
    # the last entries come delay_for later; then whatever the reader still works through
    quiet_since, seen = time.monotonic(), sum(got.values())
    give_up = time.monotonic() + 120
    while time.monotonic() - quiet_since < delay_for + 3 and time.monotonic() < give_up:
        time.sleep(0.25)
        if (now_seen := sum(got.values())) != seen:
            quiet_since, seen = time.monotonic(), now_seen
    drained = time.monotonic() - wall0 - window
    peak_rss = sum(proc_status(pid, "VmHWM") for pid in pids)
    reader.send_signal(signal.SIGINT)
    try:
        reader.wait(15)
    except subprocess.TimeoutExpired:
        reader.kill()
    for thread in threads:
        thread.join(10)
    server.stdin.close()
    counts = json.loads(server.stdout.readline())
    server.wait(30)

    pushed: Counter[tuple[bytes, bytes]] = Counter()
    ns_of: dict[tuple[bytes, bytes], int] = {}
    for row in pushed_path.read_text().splitlines():
        pod, ns = row.split("\t")
        key = (pod.encode(), stamp(int(ns)).encode())
        pushed[key] += 1
        ns_of[key] = int(ns)
    lost = pushed - got
    extra = got - pushed
    dup = sum(n - 1 for n in got.values() if n > 1)
    window_keys = list(ns_of)[streams:]  # the warm-up lines were history
    lags = [arrivals[k] - ns_of[k] / 1e9 for k in window_keys if k in arrivals]
    # the lag in two: until meshtail's source handed the entry on (Loki's hold, the stand-in, the socket, the
    # read-ahead) and after (parsing, writing, the pipes to here)
    stamps = ((k, epoch(received[k].decode())) for k in window_keys if k in arrivals and k in received)
    read_at = {k: at for k, at in stamps if at is not None}
    before = [read_at[k] - ns_of[k] / 1e9 for k in read_at]
    inside = [arrivals[k] - read_at[k] for k in read_at]
    events: Counter[str] = Counter()
    tail_dropped = tail_recovered = tail_lost = gaps = 0
    excuse_after: dict[bytes | None, int] = {}  # per pod (None: every pod): lines after this may be missing
    for line in health:
        obj = json.loads(line)
        events[obj.get("action")] += 1
        attrs = obj.get("attributes") or {}
        found = excuse_for(obj)  # (what the sent-log judge excuses: from when a gap or incomplete stream says)
        if found is not None and found[1].after:
            pod = (obj.get("source") or {}).get("pod")
            where = pod.encode() if pod else None
            excuse_after[where] = min(excuse_after.get(where, 2**63), parse_time(found[1].after))
        if obj.get("action") == "meshtail.stream.resume" and "loki.tail.dropped" in attrs:
            tail_dropped += attrs["loki.tail.dropped"]
            tail_recovered += attrs.get("loki.tail.recovered", 0)
            tail_lost += attrs.get("loki.tail.lost", 0)
        if obj.get("action") == "meshtail.stream.gap":
            gaps += 1
        if obj.get("action") == "raw.dropped":
            tail_dropped += attrs["loki.tail.dropped"]
    everywhere = excuse_after.get(None, 2**63)
    excused = sum(n for key, n in lost.items() if ns_of[key] > min(excuse_after.get(key[0], 2**63), everywhere))
    for path in tmp.iterdir():
        path.unlink()
    tmp.rmdir()
    return {
        "asked": rate, "window": window, "written": int(written[2]) if len(written) > 2 else 0,
        "pushed": sum(pushed.values()), "delivered": sum(got.values()), "lost": sum(lost.values()),
        "extra": sum(extra.values()), "dup": dup, "lags": lags, "before": before, "inside": inside,
        "cpu": cpu, "cpus": cpus, "server_cpu": server_cpu,
        "rss": peak_rss, "drained": drained, "counts": counts, "events": events, "tail_dropped": tail_dropped,
        "tail_recovered": tail_recovered, "tail_lost": tail_lost, "gaps": gaps, "excused": excused,
        "stderr": sorted({re.sub(rb"\d+(\.\d+)?", b"N", line.strip()).decode() for line in stderr}),
    }  # fmt: skip


def report(client: str, r: dict[str, Any], args: argparse.Namespace, delay_for: int) -> None:
    lags, counts = r["lags"], r["counts"]
    p50, p95, p99 = pct(lags, 0.5), pct(lags, 0.95), pct(lags, 0.99)
    print(f"Loki tail, {client} client ({args.streams} streams, stand-in queue {args.tail_frames} frames): "
          f"{r['written']:,} lines written in {r['window']:.1f} s ({r['written'] / r['window']:,.0f} lines/s; asked "
          f"{args.rate:,.0f}) plus {args.streams} before; the client went quiet {r['drained']:.1f} s after "
          "the writer")  # fmt: skip
    why = (f" ({r['excused']:,} after a gap or incomplete event for their stream, {r['lost'] - r['excused']:,} "
           "silently)" if client.startswith("meshtail") else " (a bare client does not read drops again)")  # fmt: skip
    print(f"  pushed {r['pushed']:,}, delivered {r['delivered']:,}: lost {r['lost']:,}{why}, "
          f"not pushed {r['extra']:,}, duplicated {r['dup']:,}")  # fmt: skip
    total_dropped = counts["dropped_reported"] + counts["dropped_unreported"]
    print(f"  the stand-in dropped {total_dropped:,} entries for this client: "
          f"{counts['dropped_reported']:,} listed in dropped_entries, {counts['dropped_unreported']:,} past Loki's "
          f"1,000 a frame (listed nowhere); the client saw {r['tail_dropped']:,} listed"
          + (f", read {r['tail_recovered']:,} again, gave up {r['tail_lost']:,}; gap events {r['gaps']}; "
             f"query_range requests {counts['query_range']:,}" if client.startswith("meshtail") else ""))  # fmt: skip
    if r["events"]:
        print(f"  health events: {dict(r['events'])}")
    print(f"  lag (arrival here − entry timestamp): p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s, max "
          f"{max(lags, default=float('nan')):.3f} s; minus delay_for: p50 {p50 - delay_for:.3f} s, p99 "
          f"{p99 - delay_for:.3f} s (goal p99 < delay_for + 1 s: "
          f"{'met' if p99 < delay_for + 1 else 'MISSED'})")  # fmt: skip
    if r["inside"]:
        before, inside = r["before"], r["inside"]
        print(f"  of which until meshtail's source handed the entry on (its `received`: Loki's hold, the stand-in, "
              f"the socket, the read-ahead) p50 {pct(before, .5):.3f} s, p99 {pct(before, .99):.3f} s; from then to "
              f"here (parsing, writing, the pipes) p50 {pct(inside, .5):.3f} s, "
              f"p99 {pct(inside, .99):.3f} s")  # fmt: skip
    split = (" (" + " + ".join(f"{100 * c / r['window']:.0f} %" for c in r["cpus"]) + ": reader + writer process)"
             if len(r["cpus"]) > 1 else "")  # fmt: skip
    print(f"  client CPU {r['cpu']:.1f} s = {100 * r['cpu'] / r['window']:.0f} % of a core{split}, peak RSS "
          f"{r['rss']:.0f} MB; "
          f"the stand-in (writer + Loki) {100 * r['server_cpu'] / r['window']:.0f} %")  # fmt: skip
    for line in r["stderr"]:
        print(f"  it said: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=20_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--busy", type=int, default=0, help="run N CPU-bound processes beside each client (a busy shared machine)"
    )
    parser.add_argument("--no-kube", action="store_true", help="skip the Kubernetes API baseline")
    parser.add_argument("--tail-frames", type=int, default=10,
                        help="tail frames the stand-in queues per client before dropping (Loki: 10)")  # fmt: skip
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pushed", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--raw-tail", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--clients",
        default="raw,meshtail",
        help="Loki clients to run: raw (the floor), meshtail, meshtail-1p "
        "(one process: the writer process switched off, the baseline for it)",
    )
    args = parser.parse_args()
    delay_for = 2  # LokiOptions' default, what `meshtail tail --loki` uses
    if args.serve:
        serve(args.rate, args.seconds, args.streams, args.pushed, args.seed, args.tail_frames)
        return
    if args.raw_tail:
        raw_tail(args.raw_tail, delay_for)
        return
    results = {}
    for client in args.clients.split(","):
        # --busy: a shared machine's neighbours, as CPU-bound processes running through the client's window
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
        try:
            results[client] = r = run_loki(
                client, args.rate, args.seconds, args.streams, delay_for, args.seed, args.tail_frames
            )
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
        if args.busy:
            print(f"(with {args.busy} busy process{'es' if args.busy > 1 else ''} beside it)")
        report(client, r, args, delay_for)
    if "meshtail" in results and "meshtail-1p" in results:
        two, one = results["meshtail"], results["meshtail-1p"]
        with contextlib.suppress(ZeroDivisionError):
            print(f"ratios writer process / one process: lag p99 minus delay_for "
                  f"{(pct(two['lags'], .99) - delay_for) / (pct(one['lags'], .99) - delay_for):.2f}, client CPU "
                  f"{(two['cpu'] / two['window']) / (one['cpu'] / one['window']):.2f}, the reading process's CPU "
                  f"{(two['cpus'][0] / two['window']) / (one['cpus'][0] / one['window']):.2f}")  # fmt: skip
    if args.no_kube or "meshtail" not in results:
        return
    r = results["meshtail"]
    lags = r["lags"]

    from benchmarks.live_follow import run_client

    k = run_client("meshtail", args.streams, args.rate, args.seconds, seed=5)
    print(f"Kubernetes API (live_follow.py, {args.streams} pods, --load-rate {args.rate:,.0f}, {args.seconds:.0f} s): "
          f"{k.rate:,.0f} lines/s served, {k.received:,} received, lost {k.lost}, duplicated {k.duplicated}; lag "
          f"p50 {k.pct(.5):.3f} s, p95 {k.pct(.95):.3f} s, p99 {k.pct(.99):.3f} s, max "
          f"{max(k.lags, default=float('nan')):.3f} s; CPU {100 * k.cpu / args.seconds:.0f} %, RSS {k.rss_mb:.0f} MB; "
          f"stand-in {100 * k.server_cpu / args.seconds:.0f} %")  # fmt: skip
    loki_cpu = r["cpu"] / r["window"]
    with contextlib.suppress(ZeroDivisionError):
        print(f"ratios Loki/kube: lag p99 {pct(lags, .99) / k.pct(.99):.2f} (minus delay_for "
              f"{(pct(lags, .99) - delay_for) / k.pct(.99):.2f}), CPU per second "
              f"{loki_cpu / (k.cpu / args.seconds):.2f}, RSS {r['rss'] / k.rss_mb:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
