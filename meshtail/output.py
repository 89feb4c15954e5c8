"""Headless sinks: JSONL (the event schema, one object per line) and readable text."""

from __future__ import annotations

from typing import TextIO

from .events import AuditEvent
from .text import visible


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


def text_line(event: AuditEvent) -> str:
    """One readable line; every part is already free of control characters."""
    time = event.time or event.received
    flag = "!" if event.violation else " "
    return f"{time} {flag}{event.severity:<7} {event.category}/{event.action} {where(event)} {event.summary}"


class Writer:
    """Writes events in one output format to a text stream.

    JSONL goes straight to the stream's binary buffer when it has one (stdout does): the
    encoder's UTF-8 bytes are written as they are, without a round trip through ``str``.
    """

    def __init__(self, stream: TextIO, output: str) -> None:
        self.stream = stream
        self.format = output
        self.written = 0
        self._binary = getattr(stream, "buffer", None) if output == "jsonl" else None
        if self._binary is not None:
            stream.flush()  # anything already written as text goes first

    def write(self, event: AuditEvent) -> None:
        binary = self._binary
        if binary is not None:
            binary.write(event.to_json_bytes() + b"\n")
        else:
            line = event.to_json() if self.format == "jsonl" else text_line(event)
            self.stream.write(line)
            self.stream.write("\n")
        self.written += 1
