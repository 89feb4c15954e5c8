"""A long bounded history parsed in two processes at once, its output handed over in order.

A headless replay (``scan --loki``, ``tail --loki --to``) costs what parsing costs: ~35 µs a line for the
parser, the filter and the writer, on one core, while Loki (or the stand-in) and the page reading need little.
A file scan does the same work on the same core, so a Loki replay on one parsing thread can at best equal it.
Here the window is split in two at an exact nanosecond (query_range ranges are half-open): this process reads
and parses the first half as before, while the history worker (:mod:`.worker`) reads the second half and runs
the *same* pipeline on it -- the same filter text, access-log formats, redaction and writer -- into spool
files (segments) in a private directory.  Once this process has written its half, it copies the segments to
its output in order and merges the worker's counts into its own, so the output is what one process would have
written: the same events in the same order.

Only a bounded read with a plain writer qualifies (no tail to meet, no ``--order`` holding events, one tenant):
the TUI keeps reading through its store.  Each stream's parser in the worker starts at the split without the
stream's earlier lines.  Detection is per line except where a stream's history decides: a line that two access
formats match is read with the format the stream matched last.  So the worker's parsers start from each
stream's state after this process's first page (:meth:`~meshtail.pipeline.Pipeline.states`), which is the
stream's format for any stream that keeps one; a stream first seen, or changing format, between that page and
the split is the one case where a line both readings fit could be read differently than in one process.

The spool is bounded: the worker waits while :data:`MAX_SEGMENTS` segments of ~:data:`SEGMENT_BYTES` are
waiting to be copied, so a day's window costs disk in proportion to the part still ahead of this process's
writing, not to the window.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from ...counts import Counts as PipelineCounts
from ...events import AuditEvent, RawLine, Source, now_rfc3339
from ..health import health_event
from .client import LokiError
from .reader import Pager, stamp

# The worker's start-up (interpreter, parsers, first page) costs ~1 s of CPU, the time this process parses ~25,000
# lines in: it takes that many more than half (half of it each way), and the split is made only for a window
# of at least WORTH_LINES (read in two, a smaller one would end later than read in one).
STARTUP_LINES = 25_000
WORTH_LINES = 80_000
SEGMENT_BYTES = 32 << 20  # a segment is handed over once it holds this much output
MAX_SEGMENTS = 16  # the worker waits while this many are written and not yet copied (~512 MB of disk)
_WAIT = 0.02  # how often a waiting worker looks whether a segment was copied


def gap_event(
    source: Source, first_missing: int, why: str, where: str, tenant: str | None, extra: dict[str, object] | None = None
) -> AuditEvent:
    """The event for lines of a Loki read that may be lost after ``first_missing`` (both processes make it)."""
    after = stamp(first_missing - 1)
    attrs: dict[str, object] = {"meshtail.gap.after": after, "loki.url": where}
    if tenant:
        attrs["loki.tenant"] = tenant
    attrs |= extra or {}
    return health_event("meshtail.stream.gap", f"{why}: lines after {after} may be lost", "warning", source, attrs)


@dataclass
class Output:
    """How the worker writes what it parses, as this process's writer does (sent to it pickled)."""

    output: str  # the writer's format: "jsonl" or "text"
    redact: bool
    filter_text: str
    format_strings: list[str]  # the user's --format-string values, compiled again there
    encoding: str = "utf-8"  # of this process's output, for text written there
    errors: str = "strict"
    where: str = ""  # the Loki URL, as gap events name it
    spool: str = ""  # the private directory the segments go to (made by this process for the job)
    segment_bytes: int = SEGMENT_BYTES
    max_segments: int = MAX_SEGMENTS
    states: dict[Any, tuple[str | None, ...]] = field(default_factory=dict)  # Pipeline.states() after page one
    parent: int = field(default_factory=os.getpid)  # meshtail's process: the worker's parent while it lives


@dataclass
class Counts(PipelineCounts):
    """What the worker's pipeline and writer counted, added to this process's own at the end."""

    entries: int = 0  # Loki entries read (before the pipeline splits batch lines)
    gaps: int = 0

    def minus(self, before: Counts) -> Counts:
        """What was counted since ``before`` (the worker sends running totals, meshtail adds what is new)."""

        def less(now: dict[str, int], then: dict[str, int]) -> dict[str, int]:
            return {key: value - then.get(key, 0) for key, value in now.items() if value != then.get(key, 0)}

        return Counts(
            lines=self.lines - before.lines,
            skipped=self.skipped - before.skipped,
            events=self.events - before.events,
            matched=self.matched - before.matched,
            formats_seen=less(self.formats_seen, before.formats_seen),
            health=less(self.health, before.health),
            written=self.written - before.written,
            redactions=self.redactions - before.redactions,
            entries=self.entries - before.entries,
            gaps=self.gaps - before.gaps,
        )


@dataclass
class ParallelOutput:
    """What ``run_live`` offers a bounded Loki read: the worker's settings, and where its work goes here.

    ``write_file`` copies one segment to the output after everything written so far (a broken output stops
    the run there); ``add_counts`` adds counts of the worker's to the pipeline's and the writer's;
    ``states`` is each stream's parser state, which the worker's parsers start from."""

    output: Output
    write_file: Callable[[str], None]
    add_counts: Callable[[Counts], None]
    states: Callable[[], dict[Any, tuple[str | None, ...]]]


def copy_file(path: str, out: TextIO) -> None:
    """Append the file at ``path`` to ``out``: as bytes when ``out`` has a binary buffer, else as text."""
    out.flush()
    binary = getattr(out, "buffer", None)
    with open(path, "rb") as segment:
        if binary is not None:
            while chunk := segment.read(1 << 20):
                binary.write(chunk)
            binary.flush()
        else:
            # (as the worker wrote it: this output's encoding and errors, or UTF-8 keeping undecodable bytes)
            encoding = getattr(out, "encoding", None) or "utf-8"
            out.write(segment.read().decode(encoding, getattr(out, "errors", None) or "surrogateescape"))


# ---- the worker's side -----------------------------------------------------------------------------------
class _Spool:
    """Numbered segment files in ``output.spool``, each opened as the writer's stream."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.number = 0
        self.path = ""
        self.stream: TextIO | None = None

    def open(self) -> TextIO:
        self.number += 1
        self.path = os.path.join(self.output.spool, f"{self.number:08d}.out")
        opened = open(self.path, "w", encoding=self.output.encoding, errors=self.output.errors, buffering=1 << 20)
        self.stream = opened
        return opened

    def size(self) -> int:
        assert self.stream is not None
        self.stream.flush()  # (JSONL goes to the binary buffer under the text layer: both are counted)
        return self.stream.buffer.tell()

    def close(self) -> str:
        assert self.stream is not None
        self.stream.close()
        self.stream = None
        return self.path

    async def room(self) -> None:
        """Wait while :attr:`Output.max_segments` segments are waiting to be copied (meshtail removes each one
        it has copied)."""
        while len(os.listdir(self.output.spool)) >= self.output.max_segments:
            self.check_parent()
            await asyncio.sleep(_WAIT)

    def check_parent(self) -> None:
        """A worker whose meshtail is gone (a closed terminal's SIGHUP to it alone, a kill) removes the spool
        and ends: nobody will copy it, and it may hold what a --no-redact run did not redact."""
        if os.getppid() != self.output.parent:  # (meshtail's pid, sent: it may be gone before this one asks)
            remove_spool(self.output.spool)
            os._exit(0)


def remove_spool(spool: str) -> None:
    """Remove a spool while another thread of this worker may still be opening a segment in it, or removing it too.

    A plain ``rmtree`` lost the first race (a segment made after it listed the directory left the directory
    behind, its error ignored): the directory is first renamed, so no new segment can be made under its name.
    Both of the worker's threads may get here at once (the frames thread on a closed pipe, the reading thread on
    its parent gone) and each ends the process right after: one lock makes the second wait for the first, and each
    removes both names until neither is there (a segment whose path was resolved before the rename may still land).
    """
    gone = f"{spool}.removed"
    with _REMOVING:
        with contextlib.suppress(OSError):
            os.rename(spool, gone)
        for _attempt in range(50):
            for path in (gone, spool):
                shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(gone) and not os.path.lexists(spool):
                return
            time.sleep(0.01)


_REMOVING = threading.Lock()

# a spool's name carries the pid of the meshtail that made it ("meshtail-loki-<pid>-<random>", and the name a
# removal renames it to), so a later meshtail can tell one whose owner is gone
SPOOL_PREFIX = "meshtail-loki-"
_SPOOL_NAME = re.compile(rf"{re.escape(SPOOL_PREFIX)}(\d{{1,10}})-\w{{1,64}}(?:\.removed)?")


def make_spool() -> str:
    """A new private spool directory (0700) under the temporary directory, named for this process."""
    sweep_spools(tempfile.gettempdir())
    return tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-")


def sweep_spools(directory: str) -> int:
    """Remove the spools in ``directory`` whose meshtail is gone: its worker removes a spool it sees orphaned,
    but a meshtail killed between making a spool and starting the worker leaves one nobody knows of.  Only
    this user's, only directories, never one whose process still runs (or whose pid another user's process
    has taken since: that one stays).  Returns how many were removed."""
    removed = 0
    try:
        entries = os.scandir(directory)
    except OSError:
        return 0
    with entries:
        for entry in entries:
            named = _SPOOL_NAME.fullmatch(entry.name)
            if named is None or int(named.group(1)) == os.getpid():
                continue
            try:
                if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
            except OSError:
                continue
            if _running(int(named.group(1))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # (another user's process: not ours to judge)
    return True


async def parse_window(job: Any, client: Any, entries: Any, put: Callable[[tuple[Any, ...]], Awaitable[None]]) -> None:
    """The worker's read in parse mode: ``job``'s window parsed and written to segments.

    Frames put: ``("segment", path, new streams, lasts, newest, Counts so far)`` for each written segment, then
    ``("done", pages, split timestamps, Counts)``.  A Loki error hands over the segment so far (complete: pages
    fail between pages) and is raised for the caller to send on; a spool that cannot be written (a full disk)
    is raised as one too, after the last complete segment: what is output is what was written whole."""
    from ...gctune import tune_for_streaming
    from ...parse.detect import compile_formats
    from ...pipeline import Pipeline
    from ...query import compile_filter
    from ...sinks.output import Writer

    output: Output = job.output
    spool = _Spool(output)
    writers: list[Writer] = []

    def new_writer() -> Writer:
        writer = Writer(spool.open(), output.output, redact=output.redact)
        writers.append(writer)
        return writer

    current = [new_writer()]
    pipeline = Pipeline(
        lambda event: current[0].write(event),
        compile_filter(output.filter_text),
        compile_formats(output.format_strings),
    )
    pipeline.carried = dict(output.states)  # each stream's parser goes on as this process's first page left it
    counts = Counts()

    def on_gap(source: Source, first_missing: int, why: str) -> None:
        counts.gaps += 1
        pipeline.event(gap_event(source, first_missing, why, output.where, job.tenant))

    pager = Pager(client, job.tenant, entries, job.index_labels, on_gap, job.limit, job.max_limit)
    index: dict[str, int] = {}
    new: list[tuple[str, Source]] = []
    lasts: dict[int, int] = {}
    newest = -1

    def counted() -> Counts:
        counts.take(pipeline, writers)
        return counts

    async def hand_over() -> None:
        nonlocal new, lasts
        stream = current[0].stream
        stream.flush()
        path = spool.close()
        await put(("segment", path, new, list(lasts.items()), newest, counted()))
        new, lasts = [], {}

    tune_for_streaming()
    on_line = pipeline.line
    try:
        try:
            async for batch in pager.read(job.query, job.start_ns, job.end_ns):
                spool.check_parent()
                received = now_rfc3339()
                for ts, key, line, source in batch:
                    on_line(RawLine(line, source, received, stamp(ts)))
                    at = index.get(key)
                    if at is None:
                        at = index[key] = len(index)
                        new.append((key, source))
                    lasts[at] = ts
                counts.entries += len(batch)
                if batch:
                    newest = batch[-1][0]
                if spool.size() >= output.segment_bytes:
                    await hand_over()
                    await spool.room()
                    current[0] = new_writer()
        except LokiError:
            await hand_over()  # what was written before a Loki error is output all the same, in its place
            raise
        await hand_over()
    except OSError as exc:
        raise LokiError(
            f"cannot write the Loki history spool in {os.path.dirname(output.spool) or '.'} "
            f"({exc.strerror or exc}): the read stops after what was written whole"
        ) from None
    await put(("done", pager.pages, pager.split_timestamps, counted()))
    while os.path.isdir(output.spool):  # until meshtail has copied it all and ends this process, or is gone
        spool.check_parent()
        await asyncio.sleep(_WAIT * 5)
