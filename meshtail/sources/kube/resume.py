"""Exactly-once delivery across reconnects of one container's log stream.

The API server truncates ``sinceTime`` to whole seconds, so a resumed stream repeats
lines already delivered.  A count is not enough to skip them (the second may hold lines
that were never delivered), so each line is compared by its full kubelet timestamp and
content: everything older than the last delivered timestamp is a repeat, and at that
exact timestamp the lines already delivered are skipped once each (a multiset, so two
identical lines in the same nanosecond both survive).
"""

from __future__ import annotations

from collections import Counter


def timestamp_key(stamp: str) -> str:
    """A sortable form of a kubelet timestamp: ``YYYY-MM-DDTHH:MM:SS.fffffffffZ`` (nine digits)."""
    if len(stamp) == 30 and stamp[19] == "." and stamp[-1] == "Z":
        return stamp
    head, _, rest = stamp.partition(".")
    if not rest:
        return head.rstrip("Z") + ".000000000Z"
    digits = rest.rstrip("Z")
    return f"{head}.{digits[:9]:0<9}Z"


def instant_before(stamp: str) -> str:
    """The kubelet timestamp one nanosecond before ``stamp`` (in :func:`timestamp_key` form).

    A gap says the lines *after* a stamp may be lost; a stream broken inside a run of lines that share
    its last delivered stamp may have lost the rest of that run too, so the gap is stated from just before it."""
    from datetime import UTC, datetime, timedelta

    key = timestamp_key(stamp)
    nanos = int(key[20:29])
    if nanos:
        return f"{key[:20]}{nanos - 1:09d}Z"
    second = datetime.strptime(key[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC) - timedelta(seconds=1)
    return second.strftime("%Y-%m-%dT%H:%M:%S") + ".999999999Z"


def split_stamp(line: str) -> tuple[str | None, str]:
    """Split ``<RFC3339Nano> <text>`` as the log endpoint sends it with ``timestamps=true``."""
    space = line.find(" ")
    if 19 <= space <= 36 and line[4] == "-" and line[10] == "T":
        return line[:space], line[space + 1 :]
    return None, line


class Resume:
    """Dedupe state of one stream."""

    def __init__(self) -> None:
        self.last: str | None = None
        # the lines delivered at the last timestamp: most timestamps hold one line, so that one is
        # kept as it is, and a Counter is made only when a second line shares its timestamp
        self._first_at_last: str | None = None
        self._more_at_last: Counter[str] | None = None
        self._replay: Counter[str] | None = None

    @property
    def _at_last(self) -> Counter[str]:
        found = Counter(self._more_at_last or ())
        if self._first_at_last is not None:
            found[self._first_at_last] += 1
        return found

    @property
    def replaying(self) -> bool:
        return self._replay is not None

    @property
    def replay_pending(self) -> bool:
        """True while a replay has not yet re-sent every line already delivered at the last timestamp.

        Until then the stream is behind what it had read; afterwards it has caught up, even if
        the container writes nothing newer.
        """
        return self._replay is not None and any(count > 0 for count in self._replay.values())

    def since_time(self) -> str | None:
        """``sinceTime`` for the reconnect: the last delivered second (the server truncates anyway)."""
        return None if self.last is None else self.last[:19] + "Z"

    def start_replay(self) -> None:
        """A reconnect is about to re-send lines from ``since_time()``: skip those already delivered."""
        if self.last is not None:
            self._replay = Counter(self._at_last)

    def end_replay(self) -> None:
        self._replay = None

    def accept(self, stamp: str | None, text: str) -> bool:
        """True if the line is new (and now counts as delivered); False for a repeat."""
        if stamp is None:
            return True
        key = timestamp_key(stamp)
        last = self.last
        if last is None or key > last:
            self._replay = None
            self.last = key
            self._first_at_last, self._more_at_last = text, None
            return True
        if key == last:
            replay = self._replay
            if replay is not None and replay[text] > 0:
                replay[text] -= 1
                return False
            if self._more_at_last is None:
                self._more_at_last = Counter()
            self._more_at_last[text] += 1
            return True
        # older than the last delivered line: a repeat when replaying; out of order otherwise
        return self._replay is None
