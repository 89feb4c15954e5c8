"""Follow one container's log, resuming after breaks and stalls without losing or repeating a line.

A stream ends cleanly when the container stops, restarts or the pod goes; it breaks
(truncated chunked body, connection reset, API server restart) or stalls (kubelet log
rotation on older kubelets: no bytes while the container keeps running).  After a break
or a stall, or a clean end while the same container still runs, the follower reconnects
with ``sinceTime`` and :class:`~.resume.Resume` drops what was already delivered.  A
half-received last line is never counted as delivered: it comes again whole.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from ...events import AuditEvent, RawLine, Source, now_rfc3339
from ..files import decode
from ..health import StreamStats, health_event
from .client import KubeClient
from .errors import KubeError, backoff
from .proxies import Target
from .resume import Resume, instant_before, split_stamp, timestamp_key


class _Stalled(Exception):
    pass


class _Unverified(Exception):
    """The API server did not say which instance a previous=true read serves (it is not read then)."""


_PROBE_BYTES = 1 << 16  # how much of a quiet stream's log is read to see whether it moved on (see _log_moved_on)
_GONE_GRACE = 30.0  # how long an open stream of a deleted pod may stay quiet before it is cut (see _log_moved_on)


@dataclass
class FollowOptions:
    follow: bool = True
    since_seconds: int | None = None  # only for containers already running when meshtail started
    tail: int | None = None
    stall_timeout: float = 120.0
    reconnect_cap: float = 15.0
    # A resumed stream must send at once the lines of the second it resumes from (they were
    # delivered before, so the log holds them): no bytes for this long means the new
    # connection is stuck, and waiting for the stall timeout would fall minutes behind.
    resume_timeout: float = 5.0


class Follower:
    """One container instance's log stream."""

    def __init__(
        self,
        client: KubeClient,
        target: Target,
        on_line: Callable[[RawLine], None],
        on_event: Callable[[AuditEvent], None],
        options: FollowOptions,
        initial: bool,
        earlier_instance: bool = False,
        ahead: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.client = client
        self.target = target
        # told each chunk's lines before they are delivered one by one (the writer reads them for credentials at once)
        self.ahead = ahead
        # an instance that is no longer current and was never followed: read once through previous=true
        self.earlier_instance = earlier_instance
        self.on_line = on_line
        self.on_event = on_event
        self.options = options
        self.initial = initial
        self.stats = StreamStats()
        self.resume = Resume()
        self.pod_gone = False
        self.source = Source(kind=target.kind, namespace=target.namespace, pod=target.pod, container=target.container)
        self._path = f"/api/v1/namespaces/{target.namespace}/pods/{target.pod}/log"
        self._progress = time.monotonic()
        self._stalled = False
        self._partial = b""
        self._resumed_at: float | None = None
        self._dropped_at_resume = 0
        self._since: str | None = None
        self._previous_is_ours = True
        # the pod as last fetched when this instance was found replaced: its newer instances, handed to the
        # live source when this stream ends (the pod watch may be down and miss them: an instance that
        # runs and ends while nobody looks is read from there, or reported)
        self.replaced_in: dict[str, Any] | None = None
        self._bytes_read = 0  # on the current connection
        # resumes in a row that sent nothing at all: after two, the log may really hold nothing
        # newer (its last second rotated away), so the normal stall timeout applies again
        self._quick_stalls = 0
        self._finished = False
        self._reading_previous = False
        # a first stream limited by --tail/--since that broke before it delivered a line reconnects from the
        # second its first connection was answered (the API server's Date, a second early for the node's clock):
        # asking tailLines=0 again would skip every line written while it was down, and nothing would say so
        self._anchor: str | None = None
        # the second after the one the current connection was answered in, by the API server's clock: a line
        # stamped from then on is one this connection should have sent
        self._answered: str | None = None
        # when a quiet stream's look first found its pod deleted: the open stream may still hold the rest of the
        # log (a kubelet reads a deleted file it holds open), so it is not cut for a while
        self._gone_since: float | None = None

    # ---- events ------------------------------------------------------------------------
    def _event(self, action: str, summary: str, severity: str = "info", **attrs: object) -> None:
        attributes = {
            "meshtail.stream.lines": self.stats.lines,
            "meshtail.stream.reconnects": self.stats.reconnects,
            "meshtail.stream.duplicates_dropped": self.stats.duplicates_dropped,
        }
        if self.target.container_id:
            attributes["k8s.container.id"] = self.target.container_id
        attributes |= {k.replace("__", "."): v for k, v in attrs.items() if v is not None}
        self.on_event(health_event(action, summary, severity, self.source, attributes))

    def _resumed(self) -> None:
        """Report a finished resume once its replay is over (so the repeat count is known), and only once the new
        connection has sent something: a connection answered and then silent has not resumed (an audit saw
        "resumed" every 5 s from streams that delivered nothing)."""
        if self._resumed_at is None or self._bytes_read == 0:
            return
        gap = self._resumed_at
        self._resumed_at = None
        dropped = self.stats.duplicates_dropped - self._dropped_at_resume
        self._event(
            "meshtail.stream.resume",
            f"resumed from {self._since or 'the start'} after {gap:.1f}s; {dropped} repeated lines dropped",
            "info",
            meshtail__gap_seconds=round(gap, 3),
            meshtail__resume__since_time=self._since,
            meshtail__resume__repeats_dropped=dropped,
        )

    # ---- reading -----------------------------------------------------------------------
    def _lines(self, data: bytes, received: str) -> None:
        data = self._partial + data if self._partial else data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._partial = data
            return
        self._partial = data[cut + 1 :]
        whole = data[:cut]
        try:  # the common case: one decode for the whole chunk
            texts, bad_at = whole.decode("utf-8").split("\n"), None
        except UnicodeDecodeError:
            texts, bad_at = [], set()
            for position, raw in enumerate(whole.split(b"\n")):
                text, bad = decode(raw)
                texts.append(text)
                if bad:
                    bad_at.add(position)
        resume, stats, source, on_line = self.resume, self.stats, self.source, self.on_line
        stamped = [split_stamp(text) for text in texts]
        if self.ahead is not None:
            self.ahead([body for _, body in stamped])
        for position, (stamp, body) in enumerate(stamped):
            if not resume.accept(stamp, body):
                stats.duplicates_dropped += 1
                continue
            if self._resumed_at is not None and not resume.replaying:
                self._resumed()
            stats.lines += 1
            on_line(RawLine(body, source, received, stamp, bad_at is not None and position in bad_at))

    def _silence_limit(self) -> float:
        """How long this connection may send nothing before it counts as stuck."""
        waiting = self.resume.replaying or self._reading_previous or self._owes_backlog()
        if self._bytes_read == 0 and waiting and self._quick_stalls < 2:
            return min(self.options.resume_timeout, self.options.stall_timeout)
        return self.options.stall_timeout

    def _limited(self) -> bool:
        """Whether this stream asked only for part of its log (``--tail``/``--since`` on a first stream)."""
        return self.initial and (self.options.since_seconds is not None or self.options.tail is not None)

    def _owes_backlog(self) -> bool:
        """Nothing delivered yet from a request for the whole log: a log that holds lines sends them at once (a new
        instance always writes some), so a connection that stays silent is stuck, not quiet."""
        return self.resume.last is None and not self._limited()

    async def _watchdog(self, response: aiohttp.ClientResponse) -> None:
        while True:
            limit = self._silence_limit()
            await asyncio.sleep(max(0.05, min(limit / 4, 1.0)))
            if time.monotonic() - self._progress > self._silence_limit():
                asked = time.monotonic()
                if limit == self.options.stall_timeout:
                    if not await self._log_moved_on():
                        # a quiet container, not a stuck stream: an idle sidecar may say nothing for hours, and
                        # reconnecting (a warning, the last second sent again) every stall timeout is noise
                        self._progress = max(self._progress, asked)
                        self.stats.quiet_checks += 1
                        continue
                    # the look found newer lines: a container that spoke just now has them on their way here,
                    # so they get a moment to arrive before the stream counts as stuck (a quiet sidecar that
                    # spoke again was reconnected as stalled when the look came first)
                    await asyncio.sleep(min(1.0, limit / 2))
                    if self._progress >= asked:
                        continue
                self._stalled = True
                response.close()
                return

    async def _log_moved_on(self) -> bool:
        """Whether the log holds a line newer than the last one delivered (one bounded, non-following read from
        the last delivered second): the stream is stuck if so.  A failed look counts as stuck (reconnect)."""
        last = self.resume.last
        params = {**self._params(), "limitBytes": str(_PROBE_BYTES)}  # (from the last delivered second)
        params.pop("follow", None)
        try:
            async with self.client.stream(self._path, params, what=f"logs of {self.target.name}") as response:
                data = await asyncio.wait_for(response.content.read(_PROBE_BYTES), self.options.resume_timeout)
        except KubeError as exc:
            if exc.status != 404:
                return True
            # the pod is gone, but the open stream may still deliver the rest of its log: it is given a while
            # (at least the stall timeout again) before it counts as stuck and the gap is said -- unless it has not
            # sent a byte where one was due at once (a resume replaying its last second, a request of the whole
            # log): a connection that never answered delivers nothing more, and waiting the grace out on it held
            # the gap back past a test's half-minute (hypothesis: hang and churn together, seeds 1 and 46)
            if self._bytes_read == 0 and (self.resume.replaying or self._owes_backlog()):
                return True
            gone = self._gone_since = self._gone_since or time.monotonic()
            return time.monotonic() - gone >= max(self.options.stall_timeout, _GONE_GRACE)
        except (aiohttp.ClientError, ConnectionError, TimeoutError):
            return True
        # compared with: the last line delivered; with none, the second after this connection was answered, or for a
        # request of the whole log any line at all
        if last is None and not self._limited():
            return bool(data.strip())
        newer = timestamp_key(last) if last is not None else instant_before(self._answered or now_rfc3339())
        for text in data.decode("utf-8", "replace").splitlines():
            stamp, _ = split_stamp(text)
            if stamp is not None and timestamp_key(stamp) > newer:
                return True
        return len(data) >= _PROBE_BYTES  # (the second it resumes from filled the look: not known, so stuck)

    async def _read(self, response: aiohttp.ClientResponse, watchdog: bool = True) -> None:
        self._progress = time.monotonic()
        self._stalled = False
        self._bytes_read = 0
        watchdog_task = (
            asyncio.create_task(self._watchdog(response))
            if watchdog and (self.options.follow or self._reading_previous)
            else None
        )
        try:
            content = response.content
            while True:
                try:
                    chunk = await content.readany()
                except (aiohttp.ClientError, ConnectionError) as exc:
                    if self._stalled:
                        raise _Stalled() from exc
                    raise
                if not chunk:
                    if self._stalled:
                        raise _Stalled()
                    return
                self._progress = time.monotonic()
                self._bytes_read += len(chunk)
                self._lines(chunk, now_rfc3339())
        finally:
            if watchdog_task is not None:
                watchdog_task.cancel()

    async def _instance(self) -> str:
        """What became of this container instance: running | stopped | replaced | gone | unknown.

        Asked of the API server before every reconnect: after a restart the log endpoint serves the
        *new* container, whose lines belong to another stream.
        """
        t = self.target
        for attempt in range(6):  # reconnecting blind could read a restarted container's log as this one's
            try:
                pod = await self.client.get_json(
                    f"/api/v1/namespaces/{t.namespace}/pods/{t.pod}", what=f"get pod {t.pod}"
                )
                break
            except KubeError as exc:
                if exc.status == 404:
                    return "gone"
                await asyncio.sleep(backoff(attempt, cap=2.0))
        else:
            return "unknown"
        status = pod.get("status") or {}
        for entry in [*(status.get("containerStatuses") or []), *(status.get("initContainerStatuses") or [])]:
            if entry.get("name") == t.container:
                if entry.get("containerID") != t.container_id:
                    self.replaced_in = pod
                    previous = ((entry.get("lastState") or {}).get("terminated") or {}).get("containerID")
                    # previous=true serves the instance before the current one: only useful if that is us
                    self._previous_is_ours = previous in (None, t.container_id)
                    return "replaced"
                return "running" if "running" in (entry.get("state") or {}) else "stopped"
        return "gone"

    async def _drain_previous(self) -> str | None:
        """The container restarted while the stream was down: read the rest of this instance via previous=true.

        Returns None when it was read to its end, else why it cannot be.  Only a definite
        answer ends the attempts — the previous instance's log is gone, the pod was deleted,
        or the container restarted again so that "previous" is another instance now: a gap
        is a claim that the lines cannot be fetched again.  A broken, stuck or refused read
        is tried again (with back-off) for as long as the log is there; if meshtail stops
        meanwhile, the stream is reported incomplete.
        """
        what = f"previous logs of {self.target.name}"
        failures = 0
        while True:
            params = {"container": self.target.container, "timestamps": "true", "previous": "true"}
            since = self.resume.since_time()
            if since is not None:
                params["sinceTime"] = since
                self.resume.start_replay()
            self._bytes_read = 0
            self._reading_previous = True
            try:
                async with self.client.stream(self._path, params, what=what) as response:
                    # previous=true names no instance: it serves whichever one ran before the current one
                    # when the request arrived.  So which one that is is asked now that the log is being
                    # served, never before: an answer from before the request can be seconds old when
                    # meshtail's loop is held up (a slow reader of its output), and a restart meanwhile
                    # makes "previous" the next instance, whose lines its own stream delivers too.
                    fate = await self._instance()
                    if fate != "replaced" or not self._previous_is_ours:
                        response.close()
                        if fate == "gone":
                            return "the pod was deleted before it could be read"
                        if fate == "replaced":
                            return "the container restarted again before it could be read"
                        raise _Unverified(fate)
                    # a terminated container's log is all there: it comes at once, or the read is stuck
                    await self._read(response, watchdog=True)
            except _Unverified as exc:
                self.stats.last_error = f"reading the previous log: cannot tell which instance it is ({exc})"
            except _Stalled:
                self._drop_partial()
                self.stats.last_error = "reading the previous log: nothing received"
            except KubeError as exc:
                self._drop_partial()
                self.stats.last_error = exc.message
                if exc.status in (400, 404) and not exc.transient:
                    return f"its log is gone ({exc.message})"
            except (aiohttp.ClientError, ConnectionError, TimeoutError) as exc:
                self._drop_partial()
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
            else:
                self._flush_partial()
                return None
            finally:
                self.resume.end_replay()
                self._reading_previous = False
            self.stats.errors += 1
            failures = 0 if self._bytes_read else failures + 1  # a read that advanced is not a failure
            await asyncio.sleep(backoff(failures, cap=self.options.reconnect_cap))

    # ---- the loop ----------------------------------------------------------------------
    def _params(self) -> dict[str, str]:
        params = {"container": self.target.container, "timestamps": "true"}
        if self.options.follow:
            params["follow"] = "true"
        since = self.resume.since_time() or self._anchor
        if since is not None:
            params["sinceTime"] = since
        elif self.initial:
            if self.options.since_seconds is not None:
                params["sinceSeconds"] = str(self.options.since_seconds)
            if self.options.tail is not None and self.options.tail >= 0:
                params["tailLines"] = str(self.options.tail)
        return params

    def _note_answer(self, response: aiohttp.ClientResponse) -> None:
        """Keep the API server's clock at this answer: the second after it, and (first answer of a stream limited by
        --tail/--since) where a reconnect before any line must start so that nothing written meanwhile is skipped."""
        try:
            answered = parsedate_to_datetime(response.headers.get("Date", ""))
        except (TypeError, ValueError):
            answered = datetime.now(UTC)  # (no Date: this machine's clock)
        answered = answered.astimezone(UTC).replace(microsecond=0)
        self._answered = (answered + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self._anchor is None and self._limited() and self.resume.last is None:
            # a second early (the node's clock may lag the API server's), and as far back as --since reaches
            start = answered - timedelta(seconds=1 + (self.options.since_seconds or 0))
            self._anchor = start.strftime("%Y-%m-%dT%H:%M:%SZ")

    async def run(self) -> None:
        try:
            if self.earlier_instance:
                await self._run_earlier()
            else:
                await self._run()
        finally:
            self._finished = True

    async def _run_earlier(self) -> None:
        """An instance that started and was replaced while meshtail was not looking: read it via previous=true."""
        self._event("meshtail.stream.start", f"reading an instance that ran between two reads ({self.target.kind})")
        self.stats.state = "replaying"
        fate = await self._instance()
        if fate == "gone":
            self._gap("the pod was deleted before this instance's log could be read")
        elif not self._previous_is_ours:
            self._gap("the container restarted again before this instance's log could be read")
        elif (failed := await self._drain_previous()) is not None:
            self._gap(f"this instance's log: {failed}")
        self._end("instance read from the previous log")

    async def _run(self) -> None:
        attempt = 0
        broke_at: float | None = None
        retry_after: float | None = None
        waiting_reported = False
        while True:
            params = self._params()
            if "sinceTime" in params:
                self.resume.start_replay()
                self._since = params["sinceTime"]
            try:
                async with self.client.stream(self._path, params, what=f"logs of {self.target.name}") as response:
                    # The endpoint serves whichever instance is current.  After a break, or for a container
                    # that started while meshtail was busy, make sure it is still this one: if it restarted
                    # again meanwhile, this instance's lines are in the "previous" log.  The first connection
                    # is checked too: the pod list that named this instance can be older than the restart,
                    # and reading the new instance here would repeat the lines of its own stream.
                    self._note_answer(response)
                    verify = broke_at is not None or self.stats.lines == 0
                    if verify and (fate := await self._instance()) in ("replaced", "gone"):
                        # the log endpoint now serves another instance (or nothing): this stream is over
                        response.close()
                        self.resume.end_replay()
                        await self._finish_after_break(fate)
                        return
                    if broke_at is not None:
                        self._resumed_at = time.monotonic() - broke_at
                        self._dropped_at_resume = self.stats.duplicates_dropped
                        broke_at = None
                        # reported when the replayed second is over, or after a second of quiet at the latest
                        asyncio.get_running_loop().call_later(1.0, self._resumed)
                    else:
                        self._event("meshtail.stream.start", f"following {self.target.kind} log")
                    self.stats.state = "following"
                    try:
                        await self._read(response)
                    finally:
                        # back-off measures failures in a row: a connection that delivered ends the run
                        # (without this, breaks every few seconds grew the wait past the fault period)
                        if self._bytes_read:
                            attempt = 0
                            self._quick_stalls = 0
                self.resume.end_replay()
                self._resumed()
                if not self.options.follow:
                    self._flush_partial()
                    self._end("drained")
                    return
                state = await self._instance()
                if state in ("running", "unknown"):
                    self._partial = b""  # it will come again, whole
                    broke_at = time.monotonic()
                    self._reconnecting("the stream ended while the container still runs")
                    await asyncio.sleep(backoff(attempt, cap=self.options.reconnect_cap))
                    attempt += 1
                    continue
                # a clean end of a stopped, restarted or deleted container: the kubelet sent it all
                self._flush_partial()
                self._end({"gone": "pod deleted", "replaced": "container restarted"}.get(state, "container stopped"))
                return
            except _Stalled:
                self.stats.stalls += 1
                broke_at = time.monotonic()
                self._drop_partial()
                if self._bytes_read == 0 and self.resume.replaying:
                    why = (
                        f"the resumed stream sent nothing for {self._silence_limit():g}s although the log holds "
                        f"lines from {self._since} on (stuck connection)"
                    )
                    self._quick_stalls += 1
                elif self._bytes_read == 0 and self._owes_backlog():
                    why = (
                        f"the stream sent nothing for {self._silence_limit():g}s although a container's log holds "
                        "lines from its start (stuck connection)"
                    )
                    self._quick_stalls += 1
                else:
                    why = f"no output for {self.options.stall_timeout:g}s while the container runs (stall)"
                self._reconnecting(why, action="meshtail.stream.stall")
            except KubeError as exc:
                if exc.status == 404 or (self.pod_gone and exc.status in (400, 404)):
                    # the log went with the pod before it was read to its end: that part is lost
                    if broke_at is not None:
                        self._gap("the pod was deleted while its stream was down")
                    else:
                        self._gap("the pod was deleted before its log could be read")
                    self._drop_partial()
                    self._end("pod deleted")
                    return
                if exc.status == 400 and "waiting to start" in exc.message:
                    self.stats.state = "waiting"
                    if not waiting_reported:
                        waiting_reported = True
                        self._event("meshtail.stream.waiting", "container not running yet; waiting for it")
                    await asyncio.sleep(min(backoff(attempt), 5.0))
                    attempt += 1
                    continue
                self.stats.errors += 1
                self.stats.last_error = exc.message
                if exc.status in (400, 422):
                    # the request itself is wrong (422 Invalid: a log option the API refuses): asking again gets the
                    # same answer, so it is said once, not retried for ever (found by an outside audit)
                    self.stats.state = "failed"
                    self._event("meshtail.stream.error", exc.message, "error", error__message=exc.message)
                    return
                broke_at = broke_at or time.monotonic()
                if exc.status in (401, 403):
                    self.stats.state = "failed"
                    self._event(
                        "meshtail.stream.error", f"{exc.message}; retrying in 30s", "error", error__message=exc.message
                    )
                    await asyncio.sleep(30.0)
                    continue
                self._reconnecting(exc.message)
                retry_after = exc.retry_after
            except (aiohttp.ClientError, ConnectionError, TimeoutError) as exc:
                self.stats.errors += 1
                broke_at = broke_at or time.monotonic()
                self._drop_partial()
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self._reconnecting(f"the stream broke ({self.stats.last_error})")
            self.resume.end_replay()
            state = await self._instance()
            if state in ("gone", "replaced"):
                await self._finish_after_break(state)
                return
            delay = retry_after if retry_after is not None else backoff(attempt, cap=self.options.reconnect_cap)
            retry_after = None
            await asyncio.sleep(delay)
            attempt += 1

    async def _finish_after_break(self, fate: str) -> None:
        """The stream broke (or had not begun) and its container instance is no longer the current one."""
        if fate == "gone":
            self._gap("the pod was deleted while its stream was down", scope="container")
            self._end("pod deleted")
            return
        if not self._previous_is_ours:
            self._gap("the container restarted more than once while its stream was down")
        elif (failed := await self._drain_previous()) is not None:
            self._gap(f"the container restarted while its stream was down and the rest of its log: {failed}")
        self._end("container restarted")

    def _reconnecting(self, why: str, action: str = "meshtail.stream.reconnect") -> None:
        self.stats.reconnects += 1
        self.stats.state = "reconnecting"
        since = self.resume.since_time()
        where = f"from {since}" if since else "from the start"
        self._event(action, f"{why}; reconnecting {where}", "warning", error__message=why)

    def _gap(self, why: str, scope: str = "instance") -> None:
        """Lines may be lost and nothing can fetch them again: say so, with the last line delivered.

        ``scope`` says what the claim covers: this container ``instance``'s lines after the last one
        delivered, or the whole ``container`` (every instance after it: the pod was deleted, and with it the
        logs of instances that ran while meshtail was not looking)."""
        last = self.resume.last
        # (stated from just before the last delivered line: the break may have fallen inside a run of lines
        # sharing its timestamp, and those of the run not delivered are as lost as the ones after it)
        after = (
            f"lines written at or after {last}, other than those delivered, may be lost"
            if last
            else "lines it wrote may be lost"
        )
        if scope == "container":
            after = after.replace("lines", "lines of this container (any instance)", 1)
        self._event(
            "meshtail.stream.gap",
            f"{why}: {after}",
            "warning",
            meshtail__gap__after=instant_before(last) if last else None,
            meshtail__gap__scope=scope,
        )

    def behind(self) -> str | None:
        """Why lines of this stream may be unread right now (reconnecting, replaying, not started), or None."""
        if self._finished or self.stats.state in ("ended", "failed", "waiting"):
            return None
        if self.stats.state == "following" and self._bytes_read == 0 and self._owes_backlog():
            return "connected, and nothing received yet"  # (a new instance's log holds lines at once)
        if self.stats.state == "following" and not self.resume.replay_pending:
            return None
        if self.resume.replay_pending:
            return "replaying after a reconnect"
        return {"starting": "not yet connected", "reconnecting": "reconnecting"}.get(self.stats.state, self.stats.state)

    def report_incomplete(self, why: str) -> None:
        """meshtail stops while this stream is behind: say up to where it was read."""
        reason = self.behind()
        if reason is None:
            return
        last = self.resume.last
        # (from just before the last stamp delivered, as a gap: a stream broken inside a run of lines sharing that
        # stamp has not read the rest of the run either)
        after = (
            f"lines at or after {last} were not read, other than those delivered"
            if last
            else "none of its lines were read"
        )
        self._event(
            "meshtail.stream.incomplete",
            f"{why} while the stream was {reason}: {after}",
            "warning",
            meshtail__stream__last_delivered=last,
            meshtail__incomplete__after=instant_before(last) if last else None,
        )

    def _drop_partial(self) -> None:
        """A line cut by a break: not lost — the resume reads its second again and it comes whole."""
        self._partial = b""

    def _flush_partial(self) -> None:
        """At a real end of the log, an unterminated last line is a line."""
        if self._partial:
            self._lines(b"\n", now_rfc3339())

    def _end(self, why: str) -> None:
        self.stats.state = "ended"
        self._event("meshtail.stream.end", f"stream ended: {why} ({self.stats.lines} lines)")
