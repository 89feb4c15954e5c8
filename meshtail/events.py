"""The audit event: one per input line, the unit every later stage works on.

Its JSON form (``AuditEvent.to_dict``) is the project's interchange format: ``scan``
and ``tail`` write it as JSONL, the TUI exports it, and ``schema/audit-event.schema.json``
describes it.  Keep the two in step.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, NamedTuple, Protocol

import orjson

Category = Literal["auth", "routing", "config", "other"]
Outcome = Literal["allow", "deny", "success", "failure", "change", "unknown"]
Severity = Literal["debug", "info", "warning", "error"]

SEVERITIES: tuple[str, ...] = ("debug", "info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


class Decision(NamedTuple):
    """What an event means for an audit: the part every pane, count and most filters read.

    Decided from the few fields of a line that decide (an access log's status, flags and
    details; a component's logger and message), before — and often instead of — building
    its attributes.
    """

    category: Category
    outcome: Outcome
    violation: bool
    severity: Severity
    action: str


@dataclass(slots=True)
class Source:
    """Where a line came from, as far as the source knows it."""

    kind: str = "file"
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    path: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.namespace is not None:
            out["namespace"] = self.namespace
        if self.pod is not None:
            out["pod"] = self.pod
        if self.container is not None:
            out["container"] = self.container
        if self.path is not None:
            out["path"] = self.path
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(slots=True)
class RawLine:
    """A line as a source delivers it, before any parsing.

    ``timestamp`` is the kubelet ``timestamps=true`` prefix when the source stripped
    one (Kubernetes log streams); ``received`` is when meshtail read the line.
    """

    text: str
    source: Source
    received: str
    timestamp: str | None = None
    decode_error: bool = False


MISSING: Any = object()  # "not known without expanding the event" (and "not set yet")


class Detail(Protocol):
    """How an event made from a line builds what it does not hold yet (one shared object per way).

    What it needs of one line sits in the event's ``_data``.  ``expand`` returns the
    attributes, the summary and the time, exactly as an eager parse would have made them;
    ``attr`` may answer for one attribute from what is at hand (an access log's regex
    groups) or return :data:`MISSING`; ``time`` likewise.  ``origin`` tells the store how
    the line was read (a hint for reading it again), its kubelet stamp and whether its
    bytes needed escaping.
    """

    def expand(self, event: AuditEvent) -> tuple[dict[str, Any], str, str | None]: ...

    def attr(self, event: AuditEvent, name: str) -> Any: ...

    def time(self, event: AuditEvent) -> str | None: ...

    def origin(self, event: AuditEvent) -> tuple[str, str | None, bool]: ...


class AuditEvent:
    """One typed audit event: the one shape every stage uses (store, views, filters, export, UI).

    It always holds where it came from, when it was received, the raw line and the
    :class:`Decision`; attributes, summary and (for events read back from the store) time
    are built on first read by its :class:`Detail`, identical to an eager parse.  Events
    meshtail makes itself (health, config changes) are built whole.  Field meanings are
    documented in the JSON Schema.
    """

    __slots__ = (
        "_attributes",
        "_data",
        "_detail",
        "_summary",
        "_time",
        "decision",
        "format",
        "index",
        "raw",
        "received",
        "source",
    )

    def __init__(
        self,
        time: str | None,
        received: str,
        category: str,
        outcome: str,
        violation: bool,
        severity: str,
        action: str,
        summary: str,
        format: str,
        source: Source,
        attributes: dict[str, Any] | None = None,
        raw: str = "",
    ) -> None:
        self._time = time
        self.received = received
        self.decision = Decision(category, outcome, violation, severity, action)  # type: ignore[arg-type]
        self._summary: str | None = summary
        self.format = format
        self.source = source
        self._attributes: dict[str, Any] | None = attributes if attributes is not None else {}
        self.raw = raw
        self._detail: Detail | None = None
        self._data: Any = None
        self.index: int | None = None  # its place in the store, once stored and read back

    @classmethod
    def lazy(
        cls,
        decision: Decision,
        format: str,
        source: Source,
        raw: str,
        received: str,
        detail: Detail,
        data: Any,
        time: str | None = MISSING,
    ) -> AuditEvent:
        """An event whose attributes and summary ``detail`` builds from ``data`` when first read."""
        event = cls.__new__(cls)
        event._time = time
        event.received = received
        event.decision = decision
        event._summary = None
        event.format = format
        event.source = source
        event._attributes = None
        event.raw = raw
        event._detail = detail
        event._data = data
        event.index = None
        return event

    # ---- the decision --------------------------------------------------------------------
    @property
    def category(self) -> str:
        return self.decision.category

    @property
    def outcome(self) -> str:
        return self.decision.outcome

    @property
    def violation(self) -> bool:
        return self.decision.violation

    @property
    def severity(self) -> str:
        return self.decision.severity

    @property
    def action(self) -> str:
        return self.decision.action

    # ---- built on first read -------------------------------------------------------------
    def _expand(self) -> None:
        assert self._detail is not None
        attributes, summary, time = self._detail.expand(self)
        self._attributes, self._summary = attributes, summary
        if self._time is MISSING:
            self._time = time

    @property
    def attributes(self) -> dict[str, Any]:
        if self._attributes is None:
            self._expand()
        return self._attributes  # type: ignore[return-value]

    @property
    def summary(self) -> str:
        if self._summary is None:
            self._expand()
        return self._summary  # type: ignore[return-value]

    @property
    def time(self) -> str | None:
        if self._time is MISSING:
            assert self._detail is not None
            found = self._detail.time(self)
            if found is MISSING:
                self._expand()
            else:
                self._time = found
        return self._time

    @property
    def expanded(self) -> bool:
        """True once attributes and summary exist (for tests and benchmarks)."""
        return self._attributes is not None

    def attr(self, name: str) -> Any:
        """One attribute (None when absent), without building the others when that can be avoided.

        Filters read events through this: ``status:403`` or ``duration:>250`` on an access
        log reads one regex group, not a 25-attribute dict.
        """
        if self._attributes is None and self._detail is not None:
            found = self._detail.attr(self, name)
            if found is not MISSING:
                return found
        return self.attributes.get(name)

    # ---- out -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        if self._attributes is None:
            self._expand()  # first: building them also finds the time
        time = self._time
        return {
            "time": time if time is not MISSING else self.time,
            "received": self.received,
            "category": decision.category,
            "outcome": decision.outcome,
            "violation": decision.violation,
            "severity": decision.severity,
            "action": decision.action,
            "summary": self._summary if self._summary is not None else self.summary,
            "format": self.format,
            "source": self.source.to_dict(),
            "attributes": self._attributes,
            "raw": self.raw,
        }

    def to_json(self) -> str:
        """One JSON object on one line (control characters escaped by the encoder)."""
        return dumps(self.to_dict())

    def __eq__(self, other: object) -> bool:
        """The same event: the same stored place, or (not stored) the same object."""
        if not isinstance(other, AuditEvent):
            return NotImplemented
        if self.index is not None and other.index is not None:
            return self.index == other.index
        return self is other

    def __hash__(self) -> int:
        return hash(self.index) if self.index is not None else id(self)

    def __repr__(self) -> str:
        return f"AuditEvent({self.format} {self.decision.action} {self.raw[:60]!r})"


# Characters JSON may carry literally but that a reader of the file must not get literally (in UTF-8): C1 controls
# and U+2028/U+2029, which str.splitlines() and JavaScript take for line ends (one record becomes two); bidi
# embeddings, overrides, isolates and the deprecated format controls, which make `cat` or `jq -r` show a line
# reordered (Trojan Source); zero-width and other invisible format characters (the Mongolian vowel separator, soft
# hyphen, BOM, interlinear annotation marks) and the tag characters ("ASCII smuggling").  Log text is
# attacker-controlled: written as \\uXXXX escapes (a surrogate pair above U+FFFF), the values read back the same.
_INVISIBLE = re.compile(
    rb"\xc2[\x80-\x9f\xad]|\xd8\x9c|\xe1\xa0\x8e|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xa4\xa6-\xaf]"
    rb"|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]|\xf3\xa0[\x80\x81][\x80-\xbf]"
)
_ASCII = bytes(range(128))


def _escaped(match: re.Match[bytes]) -> bytes:
    code = ord(match.group().decode("utf-8"))
    if code > 0xFFFF:
        code -= 0x10000
        return b"\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return b"\\u%04x" % code


def _escape_invisible(data: bytes) -> bytes:
    """``data`` with the characters above as JSON escapes.  Almost every record is ASCII (one check, 0.13 µs for
    2 KB); the rest are searched in their non-ASCII bytes alone (Go's "µs" in a duration: 1.9 µs, where a search of
    the whole record took 12).  Deleting the ASCII bytes leaves every multi-byte character whole."""
    if data.isascii() or _INVISIBLE.search(data.translate(None, _ASCII)) is None:
        return data
    return _INVISIBLE.sub(_escaped, data)


def dumps_bytes(obj: Any) -> bytes:
    """Compact JSON as UTF-8 bytes: the form of every JSONL line meshtail writes.

    orjson writes it about six times faster than the standard library (``benchmarks/
    parse_throughput.py``).  Values it refuses — integers beyond 64 bits, lone surrogates
    from decoded JSON — go through :mod:`json`; a lone surrogate becomes its ``\\uXXXX``
    escape, so the output is always valid UTF-8 and valid JSON.  Line separators, bidi and
    invisible format characters are escaped too (``_INVISIBLE``).
    """
    try:
        data = orjson.dumps(obj)
    except TypeError:
        data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
    return _escape_invisible(data)


def dumps_line(obj: Any) -> bytes:
    """:func:`dumps_bytes` and the newline that ends a JSONL line (orjson appends it without a copy)."""
    try:
        return _escape_invisible(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
    except TypeError:
        return dumps_bytes(obj) + b"\n"


def dumps(obj: Any) -> str:
    """:func:`dumps_bytes` as text."""
    return dumps_bytes(obj).decode("utf-8")


_second: list[Any] = [-1, ""]  # the last whole second formatted, and its text


def now_rfc3339() -> str:
    """The current UTC time as RFC 3339 with microseconds, for ``received``.

    Called for every chunk a live stream delivers, so the date part is formatted once a second.
    """
    micros = time.time_ns() // 1000
    second, fraction = divmod(micros, 1_000_000)
    cached = _second
    if cached[0] != second:
        cached[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        cached[0] = second
    return f"{cached[1]}.{fraction:06d}Z"


def load_schema() -> dict[str, Any]:
    """The audit-event JSON Schema shipped inside the package."""
    text = resources.files("meshtail").joinpath("schema/audit-event.schema.json").read_text("utf-8")
    return json.loads(text)
