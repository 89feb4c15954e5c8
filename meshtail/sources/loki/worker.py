"""A long history read in a process of its own: Loki's pages fetched and decoded beside meshtail's parsing.

A replay of a day is hundreds of query_range pages.  Their transport, JSON decoding, sorting, page-boundary
dedupe and timestamp formatting are ~5 µs a line — work that, on the parsing thread, adds to every line's
cost and (in the TUI) competes with the screen.  Once the first full page shows a read is long,
:class:`HistoryProcess` hands the window from a split point on to ``python -m meshtail.sources.loki.worker``
(this process reads up to the split meanwhile, ~:data:`HANDOFF_LINES`; the split is exact, query_range ranges
being half-open in nanoseconds): the same :class:`~.reader.Pager` (same paging, same
exact dedupe at equal-timestamp boundaries, same gap reports) runs there with its own client and reads up to
:data:`AHEAD` pages ahead, and hands over pages already made into what the source delivers: each line, its
RFC 3339 stamp, its stream (a small index; new streams' :class:`~meshtail.events.Source` sent once) and, only
where the live side needs them, its timestamps.  The parent is left with building one ``RawLine`` a line.

For a bounded read written by a plain writer (``scan --loki``), the job carries an :class:`~.parsed.Output` and
the split is the middle of the window's entries: the worker then also parses, filters and writes its half, into
spool files that the parent copies to its output after its own half (see :mod:`.parsed`).

Frames on the child's stdout: 8-byte big-endian length + a pickle (the child is our own program; nothing
else writes there).  The job comes on stdin the same way.  A child that dies, or cannot start, is a
:class:`~.client.LokiError` naming it, never lines lost quietly: the read fails as any Loki read fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import queue
import struct
import sys
import threading
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...events import Source
from ...text import visible
from .client import LokiClient, LokiError
from .config import LokiConfig
from .labels import Layout
from .logql import LogQuery
from .parsed import Counts, Output, parse_window, remove_spool
from .reader import Entries, Pager, stamp

# lines this process reads on after the first page, while the worker starts and reads ahead from the split
HANDOFF_LINES = 15_000
AHEAD = 4  # pages the worker holds made and ready (~2 MB each)
READ_BUFFER = 16 << 20  # the parent drains the pipe between its parsing turns, not only when it asks
_HEADER = struct.Struct(">Q")
ENV_SWITCH = "MESHTAIL_LOKI_WORKER"  # "0": every read in-process (a debugging aid)
PYTHON = sys.executable  # the worker runs in the interpreter meshtail runs in


@dataclass
class Job:
    """What the worker reads: one tenant's window from a split point to its end."""

    config: LokiConfig
    tenant: str | None
    tenant_label: str | None
    layout: Layout
    index_labels: set[str]
    query: LogQuery
    limit: int
    max_limit: int
    start_ns: int  # a split point: nothing at or after it was read before
    end_ns: int
    timestamps_from: int = -1  # send each line's timestamp from here on (-1: never): what Seen remembers
    output: Output | None = None  # parse and write the window too (.parsed), not only read it


@dataclass
class Page:
    """One page as the parent delivers it."""

    lines: list[str]
    stamps: list[str]
    streams: array  # type: ignore[type-arg]  # index into the parent's table of (key, Source), one a line
    timestamps: array | None  # type: ignore[type-arg]  # ns, one a line, when the job asked for them
    first_timed: int  # index of the first line whose timestamp is sent (timestamps[0] is its)
    lasts: list[tuple[int, int]]  # (stream index, newest timestamp in this page)
    newest: int


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


# ---- the parent's side ---------------------------------------------------------------------------------
def command(job: Job) -> list[str]:
    """The worker's command line.  In parse mode it names the spool and meshtail's pid as well: a meshtail killed
    after making the spool but before its job reached the worker (SIGKILL, an OOM kill) leaves a worker with no
    job, and only the command line can tell that worker which directory nobody will remove now."""
    argv = [PYTHON, "-m", "meshtail.sources.loki.worker"]
    if job.output is not None and job.output.spool:
        argv += [job.output.spool, str(job.output.parent)]
    return argv


class HistoryProcess:
    """The worker process and what it has said: the streams it named and the pages it read."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self.table: list[tuple[str, Source]] = []  # stream index -> (stream key, source)
        self.pages = 0
        self.split_timestamps = 0
        self.counts: Counts | None = None  # in parse mode: what the worker's pipeline counted in all

    async def start(self, job: Job) -> None:
        """Start the process and hand it ``job`` (it reads ahead at once); raises LokiError."""
        package_root = str(Path(__file__).resolve().parents[3])
        env = dict(os.environ)
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            self._process = process = await asyncio.create_subprocess_exec(
                *command(job),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                limit=READ_BUFFER,
                # its own session: a Ctrl-C at the terminal is meshtail's to act on; meshtail stops the worker
                # itself on its way out (close()), so the worker's end never races meshtail's own
                start_new_session=True,
            )
        except OSError as exc:
            raise LokiError(f"cannot start the Loki history reader process: {exc}") from None
        assert process.stdin is not None
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            process.stdin.write(_HEADER.pack(len(payload)) + payload)
            await process.stdin.drain()
            process.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            raise LokiError(await self._died("before it took its job")) from None

    async def read(self) -> Any:
        """Yields :class:`Page` objects and ``("gap", source, ts, why)`` tuples, in order, or in parse mode
        ``("segment", path, new streams, lasts, newest, Counts so far)`` tuples; raises LokiError."""
        process = self._process
        assert process is not None and process.stdout is not None
        while True:
            try:
                size = _HEADER.unpack(await process.stdout.readexactly(_HEADER.size))[0]
                frame = pickle.loads(await process.stdout.readexactly(size))
            except asyncio.IncompleteReadError:
                raise LokiError(await self._died("while reading")) from None
            kind = frame[0]
            if kind == "page":
                _, new, lines, stamps, streams, timestamps, first_timed, lasts, newest, pages = frame
                self.table.extend(new)
                self.pages = pages
                yield Page(lines, stamps, streams, timestamps, first_timed, lasts, newest)
            elif kind in ("gap", "segment"):
                if kind == "segment":
                    self.table.extend(frame[2])
                yield frame
            elif kind == "done":
                self.pages, self.split_timestamps = frame[1], frame[2]
                if len(frame) > 3:
                    self.counts = frame[3]
                return
            else:  # ("error", message, status, transient)
                raise LokiError(frame[1], frame[2], frame[3])

    async def _died(self, when: str) -> str:
        process = self._process
        assert process is not None
        code = await process.wait()
        said = b""
        if process.stderr is not None:
            with contextlib.suppress(Exception):
                said = await asyncio.wait_for(process.stderr.read(), 2)
        last = said.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        why = f": {visible(last[0][:200])}" if last[0] else ""  # (its text is shown: no control characters)
        return f"the Loki history reader process ended {when} (exit {code}){why}"

    def kill(self) -> None:
        """End the process now, without waiting (:meth:`close` waits): nothing it writes after this."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()

    async def close(self) -> None:
        self.kill()
        process = self._process
        self._process = None
        if process is None:
            return
        with contextlib.suppress(Exception):
            await process.wait()
        if process.stdin is not None:  # (closed once the job is written; still open if writing it failed)
            with contextlib.suppress(Exception):
                process.stdin.close()


# ---- the worker's side ---------------------------------------------------------------------------------
def _write_frames(frames: queue.Queue[bytes | None], spool: str | None) -> None:
    out = sys.stdout.buffer
    try:
        while True:
            frame = frames.get()
            if frame is None:
                out.flush()
                return
            out.write(_HEADER.pack(len(frame)))
            out.write(frame)
            out.flush()
    except OSError:  # meshtail is gone (its end of the pipe closed): nobody reads on, or copies the spool
        if spool:
            remove_spool(spool)
        os._exit(0)


async def _run(job: Job, frames: queue.Queue[bytes | None]) -> None:
    def send(item: tuple[Any, ...]) -> bytes:
        return pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)

    async def put(item: tuple[Any, ...]) -> None:
        await asyncio.to_thread(frames.put, send(item))

    gaps: list[tuple[Any, ...]] = []
    index: dict[str, int] = {}
    async with LokiClient(job.config) as client:
        entries = Entries(job.layout, job.tenant_label)
        if job.output is not None:  # parse mode (.parsed): this process parses and writes its part too
            try:
                await parse_window(job, client, entries, put)
            except LokiError as exc:
                await put(("error", exc.message, exc.status, exc.transient))
            return
        pager = Pager(
            client,
            job.tenant,
            entries,
            job.index_labels,
            lambda source, ts, why: gaps.append(("gap", source, ts, why)),
            job.limit,
            job.max_limit,
        )
        try:
            async for batch in pager.read(job.query, job.start_ns, job.end_ns):
                for gap in gaps:
                    await asyncio.to_thread(frames.put, send(gap))
                gaps.clear()
                new: list[tuple[str, Source]] = []
                streams = array("I")
                lines: list[str] = []
                stamps: list[str] = []
                lasts: dict[int, int] = {}
                timed = array("q")
                first_timed = -1
                for ts, key, line, source in batch:
                    at = index.get(key)
                    if at is None:
                        at = index[key] = len(index)
                        new.append((key, source))
                    streams.append(at)
                    lines.append(line)
                    stamps.append(stamp(ts))
                    lasts[at] = ts
                    if job.timestamps_from >= 0 and ts >= job.timestamps_from:
                        if first_timed < 0:
                            first_timed = len(lines) - 1
                        timed.append(ts)
                frame = (
                    "page",
                    new,
                    lines,
                    stamps,
                    streams,
                    timed if first_timed >= 0 else None,
                    first_timed,
                    list(lasts.items()),
                    batch[-1][0],
                    pager.pages,
                )
                await asyncio.to_thread(frames.put, send(frame))
            for gap in gaps:
                await asyncio.to_thread(frames.put, send(gap))
            await asyncio.to_thread(frames.put, send(("done", pager.pages, pager.split_timestamps)))
        except LokiError as exc:
            await asyncio.to_thread(frames.put, send(("error", exc.message, exc.status, exc.transient)))


def _read_job() -> Job | None:
    """The job from stdin, or None when meshtail stopped or died before it was all written."""
    stdin = sys.stdin.buffer
    header = stdin.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = _HEADER.unpack(header)[0]
    payload = stdin.read(size)
    return pickle.loads(payload) if len(payload) == size else None


def _orphaned_spool(argv: list[str]) -> None:
    """No job came.  A meshtail that stopped on purpose removes the spool it made and ends this process; a
    meshtail that was killed cannot, so this process removes it once its parent is seen gone (the pipe closes
    a moment before the kernel hands this process to a new parent: it waits a little for that, no longer)."""
    if len(argv) != 2:
        return  # a fetch-only job: no spool
    spool, parent = argv[0], int(argv[1])
    for _look in range(_ORPHAN_LOOKS):
        if os.getppid() != parent:
            remove_spool(spool)
            return
        time.sleep(0.02)


_ORPHAN_LOOKS = 250  # 5 s


def main(argv: list[str]) -> None:
    job = _read_job()
    if job is None:
        _orphaned_spool(argv)
        return
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    spool = job.output.spool if job.output is not None else None
    writer = threading.Thread(target=_write_frames, args=(frames, spool), name="frames", daemon=True)
    writer.start()
    try:
        asyncio.run(_run(job, frames))
    finally:
        frames.put(None)
        writer.join()


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        main(sys.argv[1:])
