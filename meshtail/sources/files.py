"""Lines from files (plain or gzip) and standard input.

Bytes that are not UTF-8 are kept as backslash escapes and the line is flagged, so
an odd byte never stops a scan and never disappears.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..events import RawLine, Source, now_rfc3339

_GZIP_MAGIC = b"\x1f\x8b"
BINARY_LOOK = 8192  # how far into an input a NUL byte says it is no text


class SourceError(Exception):
    """An input that cannot be read; the message names it."""


def _open(path: str, stdin: io.BufferedReader | None = None) -> BinaryIO:
    """Open *path* for binary reading, transparently un-gzipping it (by content, not name)."""
    if path == "-":
        if stdin is None and sys.stdin is None:
            raise SourceError("-: standard input is closed")  # (`meshtail scan - <&-`: found by an outside audit)
        handle: io.BufferedReader = stdin or sys.stdin.buffer  # type: ignore[assignment,union-attr]
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
        handle = gzip.GzipFile(fileobj=handle)  # type: ignore[assignment]
    encoding = _utf16(handle.peek(4096)[:4096])
    if encoding is not None:
        return _Recoded(handle, encoding)  # type: ignore[return-value]
    return handle


def _utf16(start: bytes) -> str | None:
    """``utf-16`` when *start* opens with a UTF-16 byte-order mark, ``utf-16-le``/``-be`` when it has none but
    every other byte is NUL beside printable ones (Windows PowerShell 5's ``kubectl logs … > f`` writes UTF-16;
    read as UTF-8 every line was unparsed and a stray NUL line was added: found by an outside audit)."""
    # (a mark alone is not enough: "\xff\xfe" also opens binary garbage, which stays bytes escaped line by line)
    marked = start[:2] in (b"\xff\xfe", b"\xfe\xff")
    body = start[2:] if marked else start
    pairs = len(body) // 2
    if pairs < 4:
        return None
    for zero_at, name in ((1, "utf-16-le"), (0, "utf-16-be")):
        zeros = body[zero_at::2][:pairs]
        text = body[1 - zero_at :: 2][:pairs]
        if zeros.count(0) >= pairs * 0.95 and sum(32 <= b < 127 or b in (9, 10, 13) for b in text) >= pairs * 0.9:
            return "utf-16" if marked else name
    return None


class _Recoded:
    """A UTF-16 input read as UTF-8 bytes, a block at a time (a live pipe's lines still come as they arrive)."""

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")

    def read1(self, size: int = -1) -> bytes:
        while True:
            data = self._handle.read1(size)  # type: ignore[attr-defined]
            text = self._decoder.decode(data, final=not data)
            if text or not data:
                return text.encode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._handle.close()


def decode(data: bytes) -> tuple[str, bool]:
    """UTF-8 text of *data*, and whether some bytes had to be escaped."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "backslashreplace"), True


def path_text(path: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by the OS as lone surrogates, which strict JSON readers
    refuse) written ``\\xff`` as in ``raw`` (found by an outside audit: ``"path":"bad\\udcff.log"``)."""
    if path.isascii():
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class LineBatch:
    """Lines read together: ``texts[i]`` is line ``first + i`` (1-based); ``bad`` holds the
    positions whose bytes were not UTF-8; all were received at ``received``."""

    first: int
    texts: list[str]
    bad: frozenset[int]
    received: str
    note: str | None = None  # what the reader says of the input with its first lines (a binary file)

    def raw_lines(self, path: str, keep: Callable[[str], bool] | None = None) -> Iterator[RawLine]:
        """The lines of this batch read from *path* (``-``: stdin) as :class:`RawLine`.

        With ``keep``, lines it rejects are skipped before any object is made for them
        (``scan`` passes the filter's pre-check here).
        """
        kind, name = ("stdin", "<stdin>") if path == "-" else ("file", path_text(path))
        first, bad, received = self.first, self.bad, self.received
        for position, text in enumerate(self.texts):
            if keep is None or keep(text):
                source = Source(kind, path=name, line=first + position)
                yield RawLine(text, source, received, decode_error=position in bad)


def _batch(block: bytes, first: int) -> LineBatch:
    """Split a block of whole lines (no final terminator) and decode it, in bulk when it is clean UTF-8."""
    if b"\r" in block:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in block.split(b"\n")]
        block = b"\n".join(lines)
    try:
        return LineBatch(first, block.decode("utf-8").split("\n"), frozenset(), now_rfc3339())
    except UnicodeDecodeError:
        texts: list[str] = []
        bad: set[int] = set()
        for position, line in enumerate(block.split(b"\n")):
            text, failed = decode(line)
            texts.append(text)
            if failed:
                bad.add(position)
        return LineBatch(first, texts, frozenset(bad), now_rfc3339())


def _check_not_truncated(handle: BinaryIO, name: str, lines: int) -> None:
    """A regular file that ends before the bytes already read from it was truncated while being read (log rotation
    by copytruncate): what it held past that point is gone, and the last line read may be cut.  Said, not
    swallowed (found by an outside audit: the read just ended, exit 0)."""
    if not isinstance(handle, io.BufferedReader):
        return  # (a gzip stream: its size says nothing of the position)
    try:
        info = os.fstat(handle.fileno())
        position = handle.tell()
    except (OSError, ValueError):
        return
    if stat.S_ISREG(info.st_mode) and info.st_size < position:
        raise SourceError(
            f"{name}: the file was truncated to {info.st_size} bytes while meshtail read it (at byte {position}, after"
            f" line {lines}, the last of which may be cut): what it held past that point is gone"
        )


def read_batches(path: str, stdin: io.BufferedReader | None = None, size: int = 1 << 20) -> Iterator[LineBatch]:
    """Every line of *path* (``-`` for stdin) in batches, terminators (``\\n``, ``\\r\\n``) removed.

    Reads with ``read1`` so a live pipe (``kubectl logs -f | meshtail -``) yields each line
    as soon as it arrives instead of waiting for a full block; a large file is split and
    decoded a megabyte at a time, which is what makes ``scan`` fast.  Raises
    :class:`SourceError` (naming the path) if the input cannot be opened or read.
    """
    name = "<stdin>" if path == "-" else path
    handle = _open(path, stdin)
    number = 0
    pending: list[bytes] = []
    note: str | None = None
    looked = isinstance(handle, _Recoded)  # (UTF-16 has a NUL in every other byte: text all the same)
    try:
        while True:
            data = handle.read1(size)  # type: ignore[attr-defined]
            if not data:
                break
            if not looked:
                looked = True
                nul = data.find(b"\x00", 0, BINARY_LOOK)
                if nul >= 0:
                    # no log holds a NUL: an image, an archive, a core dump named on the command line.  Read all the
                    # same (nothing is dropped), but said once, so screens of escaped bytes are not taken for logs
                    note = (
                        f"{path_text(name)}: looks like a binary file (a NUL byte at byte {nul + 1}); its bytes are"
                        " read as text lines, escaped"
                    )
            cut = data.rfind(b"\n")
            if cut < 0:
                pending.append(data)  # a line longer than one read: keep gathering it
                continue
            if pending:
                pending.append(data[:cut])
                block = b"".join(pending)
                pending.clear()
            else:
                block = data[:cut]
            batch = _batch(block, number + 1)
            batch.note, note = note, None
            number += len(batch.texts)
            yield batch
            if cut + 1 < len(data):
                pending.append(data[cut + 1 :])
        if pending:
            batch = _batch(b"".join(pending), number + 1)
            batch.note = note
            number += len(batch.texts)
            yield batch
        _check_not_truncated(handle, name, number)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"{name}: read error after line {number}: {exc}") from None
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
