"""A headless live run's parsing and writing in a second process: the source keeps one core, the pipeline gets another.

Following Loki at 20,000 lines/s, one process spends ~6 µs a line in the source (the websocket frames decoded,
flattened, deduped) and ~20–35 µs parsing, filtering, redacting and writing each event: ~80 % of a core on a
busy 2-core machine, so any stall becomes lag that is not caught up (issue 12's goal is p99 < ``delay_for`` +
1 s).  Here ``meshtail tail`` keeps the source and hands each line on, batched, to ``python -m
meshtail.writer_process``, which runs the *same* :class:`~meshtail.pipeline.Pipeline` and
:class:`~meshtail.sinks.output.Writer` (the filter text, ``--format-string``\\ s, redaction) and writes to the
same stdout, inherited: the output is byte for byte what one process writes, in the same order, because one
ordered pipe carries every line and every event the source makes.

The pipe: 8-byte big-endian length + a pickle of ``(new sources, items)`` -- a new stream's
:class:`~meshtail.events.Source` is sent once and its lines name it by number; an item is a line as a tuple,
an :class:`~meshtail.events.AuditEvent` the source made (health, gaps), ``("history", flag)`` or
``("allowance", seconds)`` (how the lag is measured).  The child is
our own program, on a pipe nobody else holds.  A batch is sent once the source's current callback is done
(``call_soon``), so a websocket frame's lines travel together and wait for nothing.  Writes block when the
pipe is full: a child that cannot keep up slows the source, as a busy single process would -- Loki then drops
tail entries and says so, which the source reads again or reports as a gap -- never an unbounded buffer.

Ends: the parent closes the pipe; the child writes what is left, sends its counts (for the summary) on a second
pipe and exits.  A child whose stdout is closed (``| head``) exits with :data:`EXIT_BROKEN`, which ends the run
as a closed pipe does in one process; a child that dies otherwise is an error naming it, never output that
stops quietly.  The child has its own session (a Ctrl-C is the parent's to act on, and it closes the pipe); a
parent that is killed closes the pipe all the same, so the child writes what it holds and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pickle
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .counts import Counts
from .events import AuditEvent, RawLine, Source

_HEADER = struct.Struct(">Q")
ENV_SWITCH = "MESHTAIL_WRITER_PROCESS"  # "0": parse and write in meshtail's own process (a debugging aid)
EXIT_BROKEN = 32  # the child's output was closed (EPIPE)
EXIT_FAILED = 33  # the child could not go on (its output failed, or it did): Totals.failed says why
BATCH = 2000  # items a batch holds at most: a frame of a few hundred kB
PIPE_BYTES = 1 << 20  # the pipe's capacity, asked for (Linux's unprivileged maximum by default)
F_SETPIPE_SZ = 1031  # Linux fcntl
ID_CACHE = 50_000  # sources remembered by id (a cache: cleared when full, the numbers stay)
TICK = 0.2  # the child flushes its output at least this often, and checks the lag every fifth tick
PYTHON = sys.executable


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


@dataclass
class WriterJob:
    """How the child writes: as this process's writer and pipeline would (sent to it pickled, first)."""

    output: str  # "jsonl" or "text"
    redact: bool
    filter_text: str
    format_strings: list[str]  # the user's --format-string values, compiled again there
    encoding: str = "utf-8"  # of this process's stdout
    errors: str = "strict"
    results: int = -1  # the child's end of the pipe its counts go back on


@dataclass
class Totals(Counts):
    """What the child's pipeline and writer counted, for the parent's summary."""

    lag_peak: float = 0.0
    failed: str | None = None  # why the child stopped writing before the end (its output, or itself)

    def add_to(self, pipeline: Any, writer: Any) -> None:
        super().add_to(pipeline, writer)
        pipeline.lag.peak = max(pipeline.lag.peak, self.lag_peak)


# ---- the parent's side ---------------------------------------------------------------------------------
class WriterProcess:
    """The child, and :meth:`line`/:meth:`event` for a source to call instead of a pipeline's.

    ``ended`` is done when the child ends; before :meth:`close` that is a broken output
    (:attr:`broken`) or a failure (:attr:`failure` names it)."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._pipe = -1
        self._results = -1
        # a Source's number in the child: by what it says (a Loki stream with structured metadata makes a new,
        # equal Source per metadata set -- an OTLP trace id per line), so the table grows with the streams only;
        # and by id, a cache in front of that (with the objects kept alive so no id is reused while it holds them)
        self._numbers: dict[tuple[Any, ...], int] = {}
        self._by_id: dict[int, tuple[int, Source]] = {}
        self._new: list[Source] = []
        self._items: list[Any] = []
        self._scheduled = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ended: asyncio.Task[int] | None = None
        self.broken = False
        self.failure: str | None = None
        self.lines = 0

    @staticmethod
    def usable(out: TextIO) -> bool:
        """The child writes to ``out``'s file descriptor: a real file, pipe or terminal only."""
        if not enabled():
            return False
        try:
            out.fileno()
        except (AttributeError, OSError, ValueError):
            return False
        return True

    async def start(self, job: WriterJob, out: TextIO) -> None:
        """Start the child writing to ``out`` (flushed first: what is written there goes before it); raises OSError."""
        self._loop = asyncio.get_running_loop()
        out.flush()
        read_end, self._pipe = os.pipe()
        results_read, results_write = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(self._pipe, F_SETPIPE_SZ, PIPE_BYTES)
        package_root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = package_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        job.results = results_write
        try:
            self._process = await asyncio.create_subprocess_exec(
                PYTHON,
                "-m",
                "meshtail.writer_process",
                stdin=read_end,
                stdout=out.fileno(),
                env=env,
                pass_fds=(results_write,),
                start_new_session=True,  # a Ctrl-C is meshtail's: it closes the pipe, the child then ends
            )
        except OSError:
            for fd in (read_end, self._pipe, results_read, results_write):
                os.close(fd)
            self._pipe = -1
            raise
        finally:
            if self._process is not None:
                os.close(read_end)
                os.close(results_write)
        self._results = results_read
        self.ended = asyncio.create_task(self._process.wait(), name="writer process")
        self._send(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))

    # the source's two callbacks -------------------------------------------------------------------------
    def line(self, raw: RawLine) -> None:
        source = raw.source
        known = self._by_id.get(id(source))
        if known is None or known[1] is not source:
            known = (self._number(source), source)
            if len(self._by_id) >= ID_CACHE:
                self._by_id.clear()
            self._by_id[id(source)] = known
        self._items.append((known[0], raw.text, raw.received, raw.timestamp, raw.decode_error))
        self._later()

    def _number(self, source: Source) -> int:
        said = _said(source)
        number = self._numbers.get(said)
        if number is None:
            number = self._numbers[said] = len(self._numbers)
            self._new.append(source)
        return number

    def event(self, event: AuditEvent) -> None:
        self._items.append(event)
        self._later()

    def history(self, reading: bool) -> None:
        """The source is reading history (its lines are old by design: no lag is measured) or not."""
        self._items.append(("history", reading))
        self._later()

    def allowance(self, seconds: float) -> None:
        """Seconds every line is late by design (Loki's ``delay_for``): the lag is measured beyond them."""
        self._items.append(("allowance", seconds))
        self._later()

    def _later(self) -> None:
        if len(self._items) >= BATCH:
            self.flush()
        elif not self._scheduled and self._loop is not None:
            self._scheduled = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Send what is batched (after the source's current callback: a frame's lines go together)."""
        self._scheduled = False
        if self._pipe < 0:  # (the child is gone: ``ended`` ends the run, and nothing sent now is written)
            self._items.clear()
            return
        if not self._items:
            return
        self.lines += sum(1 for item in self._items if type(item) is tuple and len(item) == 5)
        frame = pickle.dumps((self._new, self._items), protocol=pickle.HIGHEST_PROTOCOL)
        self._new, self._items = [], []
        self._send(frame)

    def _send(self, payload: bytes) -> None:
        data = memoryview(_HEADER.pack(len(payload)) + payload)
        try:
            while data:  # (blocking: a full pipe holds the source back, as a busy single process would)
                written = os.write(self._pipe, data)
                data = data[written:]
        except OSError:
            # the child is gone: ``ended`` says how; nothing more is sent
            os.close(self._pipe)
            self._pipe = -1

    async def close(self) -> Totals | None:
        """Send the rest, close the pipe and wait for the child to write it: its counts, or None if it failed."""
        self._closing = True
        self.flush()
        if self._pipe >= 0:
            os.close(self._pipe)
            self._pipe = -1
        if self._process is None or self.ended is None:
            return None
        code = await asyncio.shield(self.ended)
        data = await asyncio.to_thread(_read_all, self._results)
        os.close(self._results)
        self._results = -1
        self._judge(code)
        if code not in (0, EXIT_BROKEN, EXIT_FAILED) or not data:
            return None
        totals: Totals = pickle.loads(data)
        if totals.failed is not None:
            self.failure = totals.failed
        return totals

    def _judge(self, code: int) -> None:
        if code == EXIT_BROKEN:
            self.broken = True
        elif code not in (0, EXIT_FAILED) and self.failure is None:
            self.failure = f"the writer process ended (exit {code}): output stops at what it had written"

    def judge(self) -> None:
        """After ``ended``: say why the child ended before it was asked to."""
        if self.ended is not None and self.ended.done() and not self.ended.cancelled():
            code = self.ended.result()
            self._judge(code)
            if not self.broken and self.failure is None and not self._closing and code != EXIT_FAILED:
                self.failure = "the writer process ended before meshtail did: output stops at what it had written"


def _said(source: Source) -> tuple[Any, ...]:
    """Everything a Source says (its slots), as a key: equal sources are one stream to the child."""
    return tuple(getattr(source, name, None) for name in _SOURCE_FIELDS)


_SOURCE_FIELDS = tuple(Source.__slots__) + (() if "cluster" in Source.__slots__ else ("cluster",))


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


# ---- the child's side ----------------------------------------------------------------------------------
class _Frames:
    """Frames from a pipe: ``next(timeout)`` gives one, None when none came in time; EOFError at its end."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False

    def _end(self) -> int:
        """Where the first frame in the buffer ends, or 0 while it is not whole."""
        if len(self.buffer) < _HEADER.size:
            return 0
        end = _HEADER.size + _HEADER.unpack_from(self.buffer)[0]
        return end if len(self.buffer) >= end else 0

    def _complete(self) -> bytes | None:
        end = self._end()
        if not end:
            return None
        frame = bytes(self.buffer[_HEADER.size : end])
        del self.buffer[:end]
        return frame

    def waiting(self) -> bool:
        """A frame is already here, or more bytes are (so the output need not be flushed yet)."""
        return bool(self._end()) or bool(select.select([self.fd], [], [], 0)[0])

    def next(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while True:
            frame = self._complete()
            if frame is not None:
                return frame
            if self.eof:
                raise EOFError
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.eof = True
                if self.buffer:
                    raise EOFError  # (a parent killed mid-frame: the partial frame is not a line)
            self.buffer += chunk


def serve(job: WriterJob, frames: _Frames, out: TextIO) -> tuple[Totals, bool]:
    """Run the pipeline on every frame until the pipe ends, or ``out`` is closed (then True: broken)."""
    from .commands.exitcodes import say
    from .gctune import tune_for_streaming
    from .lag import say_lag
    from .parse.detect import compile_formats
    from .pipeline import Pipeline
    from .query import compile_filter
    from .sinks.output import Writer

    writer = Writer(out, job.output, redact=job.redact)
    pipeline = Pipeline(writer.write, compile_filter(job.filter_text), compile_formats(job.format_strings))
    tune_for_streaming()
    sources: list[Source] = []
    on_line, on_event = pipeline.line, pipeline.event
    history = False
    broken = True  # until the pipe's end is written out whole
    failed: str | None = None
    ticks = 0
    next_tick = time.monotonic() + TICK
    try:
        while True:
            frame = frames.next(max(0.0, next_tick - time.monotonic()))
            if frame is not None:
                new, items = pickle.loads(frame)
                sources.extend(new)
                writer.expect([item[1] for item in items if type(item) is tuple and len(item) == 5])
                for item in items:
                    if type(item) is tuple:
                        if len(item) == 5:
                            number, text, received, timestamp, decode_error = item
                            on_line(RawLine(text, sources[number], received, timestamp, decode_error))
                        elif item[0] == "history":
                            history = item[1]
                        else:  # ("allowance", seconds)
                            pipeline.lag.allowance = item[1]
                    else:
                        on_event(item)
                if not frames.waiting():
                    out.flush()  # nothing more here yet: what is written goes out now
            if time.monotonic() >= next_tick:
                next_tick = time.monotonic() + TICK
                out.flush()
                ticks += 1
                if pipeline.lag.live(history):
                    say_lag(pipeline.lag, ticks, say)
    except EOFError:
        with contextlib.suppress(BrokenPipeError):
            out.flush()
            broken = False
    except BrokenPipeError:
        pass
    except OSError as exc:  # the output cannot be written (a full disk, a terminal gone): said once, here
        failed = f"cannot write the output: {exc.strerror or exc}"
    except Exception as exc:  # a failure of the pipeline itself: one line, as a failing source is said
        failed = f"the writer process failed: {exc!r}"
    totals = Totals(lag_peak=pipeline.lag.peak, failed=failed)
    totals.take(pipeline, [writer])
    return totals, broken


def main() -> int:
    # a stop is meshtail's to make: it closes the pipe and this process writes what it holds and ends; a signal
    # sent to every process of the service (systemctl stop, pkill) must not end it first with lines in the pipe
    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.SIG_IGN)
    frames = _Frames(sys.stdin.fileno())
    try:
        first = frames.next(3600.0)
    except EOFError:
        return 0  # the parent stopped before it handed over a job
    if first is None:
        return 0
    job: WriterJob = pickle.loads(first)
    out = sys.stdout
    out.reconfigure(encoding=job.encoding, errors=job.errors)  # type: ignore[attr-defined]
    totals, broken = serve(job, frames, out)
    with contextlib.suppress(OSError):  # (a parent that is gone reads no counts)
        os.write(job.results, pickle.dumps(totals, protocol=pickle.HIGHEST_PROTOCOL))
        os.close(job.results)
    if totals.failed is not None:
        with contextlib.suppress(OSError):
            os.close(1)  # (nothing more is written; the interpreter's own flush at its end must not fail)
        return EXIT_FAILED
    return EXIT_BROKEN if broken else 0


if __name__ == "__main__":
    # (this module's own names, not __main__'s: what it pickles back is read as meshtail.writer_process's)
    from meshtail.writer_process import main as _main

    os._exit(_main())  # (no interpreter teardown: the output is flushed and the counts sent)
