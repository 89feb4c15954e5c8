"""Lines from files (plain or gzip) and standard input.

Bytes that are not UTF-8 are kept as backslash escapes and the line is flagged, so
an odd byte never stops a scan and never disappears.
"""

from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterator
from typing import BinaryIO

from ..events import RawLine, Source, now_rfc3339

_GZIP_MAGIC = b"\x1f\x8b"
_RECEIVED_EVERY = 1024  # lines between refreshes of the "received" clock


class SourceError(Exception):
    """An input that cannot be read; the message names it."""


def _open(path: str, stdin: io.BufferedReader | None = None) -> BinaryIO:
    """Open *path* for binary reading, transparently un-gzipping it (by content, not name)."""
    if path == "-":
        handle: io.BufferedReader = stdin or sys.stdin.buffer  # type: ignore[assignment]
    else:
        try:
            handle = open(path, "rb")
        except IsADirectoryError:
            raise SourceError(f"{path}: is a directory") from None
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file") from None
        except PermissionError:
            raise SourceError(f"{path}: permission denied") from None
        except OSError as exc:
            raise SourceError(f"{path}: {exc.strerror or exc}") from None
    if handle.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    return handle


def decode(data: bytes) -> tuple[str, bool]:
    """UTF-8 text of *data*, and whether some bytes had to be escaped."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), True


def read_lines(path: str, stdin: io.BufferedReader | None = None) -> Iterator[RawLine]:
    """Every line of *path* (``-`` for stdin) as a :class:`RawLine`, terminators removed.

    ``stdin`` replaces ``sys.stdin`` for ``-`` (the TUI reads a pipe it took over before the
    terminal got file descriptor 0 back).  Raises :class:`SourceError` (naming the path) if
    the input cannot be opened or read.
    """
    kind = "stdin" if path == "-" else "file"
    name = "<stdin>" if path == "-" else path
    handle = _open(path, stdin)
    received = now_rfc3339()
    number = 0
    try:
        for data in handle:
            number += 1
            if number % _RECEIVED_EVERY == 0:
                received = now_rfc3339()
            if data.endswith(b"\n"):
                data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
            text, bad = decode(data)
            yield RawLine(text, Source(kind, path=name, line=number), received, decode_error=bad)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"{name}: read error after line {number}: {exc}") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
