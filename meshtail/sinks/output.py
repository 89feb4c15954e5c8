"""Headless sinks: JSONL (the event schema, one object per line) and readable text."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import TextIO

from ..events import AuditEvent, dumps_line
from ..text import visible
from .redact import redact_event, unhinted


def where(event: AuditEvent) -> str:
    """Where the event came from, short: ``ns/pod[container]`` or ``path:line``."""
    source = event.source
    if source.pod:
        place = f"{source.namespace}/{source.pod}" if source.namespace else source.pod
        if source.container:
            place += f"[{source.container}]"
        return visible(place)
    if source.path:
        return visible(f"{source.path}:{source.line}" if source.line else source.path)
    return source.kind


def text_line(event: AuditEvent, summary: str | None = None) -> str:
    """One readable line; every part is already free of control characters."""
    time = event.time or event.received
    flag = "!" if event.violation else " "
    text = event.summary if summary is None else summary
    return f"{time} {flag}{event.severity:<7} {event.category}/{event.action} {where(event)} {text}"


AHEAD_MIN = 4  # lines a chunk needs for :meth:`Writer.expect` to scan it at once
_NOTHING_AHEAD: tuple[Sequence[str], AbstractSet[int]] = ((), frozenset())


class Writer:
    """Writes events in one output format to a text stream, credentials redacted unless ``redact`` is False.

    JSONL goes straight to the stream's binary buffer when it has one (stdout does): the
    encoder's UTF-8 bytes are written as they are, without a round trip through ``str``.
    """

    def __init__(self, stream: TextIO, output: str, redact: bool = True) -> None:
        self.stream = stream
        self.format = output
        self.redact = redact
        self.written = 0
        self.redactions = 0
        self._binary = getattr(stream, "buffer", None) if output == "jsonl" else None
        if self._binary is not None:
            stream.flush()  # anything already written as text goes first
        # the lines told ahead and the ids of those with no credential hint (held: the ids name these texts only)
        self._ahead: tuple[Sequence[str], AbstractSet[int]] = _NOTHING_AHEAD

    def expect(self, texts: list[str]) -> None:
        """The lines a source read at once, before they are parsed: their events' credential pre-check is then
        one scan for them all (:func:`~meshtail.sinks.redact.unhinted`), not a call per line."""
        if self.redact and self.format == "jsonl":
            # (a chunk of a line or two: a call per line costs no more)
            self._ahead = (texts, unhinted(texts)) if len(texts) >= AHEAD_MIN else _NOTHING_AHEAD

    def write(self, event: AuditEvent) -> None:
        if self.format == "jsonl":
            obj = event.to_dict()
            if self.redact:
                obj, n = redact_event(obj, id(event.raw) in self._ahead[1])
                self.redactions += n
            data = dumps_line(obj)  # (with its newline)
            if self._binary is not None:
                self._binary.write(data)
            else:
                self.stream.write(data.decode("utf-8"))
        else:
            summary = None
            if self.redact:
                obj, n = redact_event(event.to_dict())
                self.redactions += n
                summary = obj["summary"]
            self.stream.write(text_line(event, summary))
            self.stream.write("\n")
        self.written += 1
