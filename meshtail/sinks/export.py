"""Write events to a JSONL file atomically: the whole file or nothing, an existing file intact on error."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..events import AuditEvent, dumps
from .redact import redact_event


class ExportError(Exception):
    """The export could not be written; the message names the path and the reason."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    redactions: int


def _reason(exc: OSError, folder: Path | None = None) -> str:
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        if folder is not None and folder.is_dir():
            # ENOENT from a folder that is there: a kernel file system (/proc) that makes no new files
            return f"no file can be created in {folder}"
        return "the folder does not exist"
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    return exc.strerror or str(exc)


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def export_jsonl(
    events: Iterable[AuditEvent], path: str | os.PathLike[str], redact: bool = True, overwrite: bool = False
) -> ExportResult:
    """One JSON object per line in the event schema, credentials redacted unless ``redact`` is False."""
    target = Path(os.path.expanduser(os.fspath(path)))
    if not target.name:
        raise ExportError("no file name given")
    if target.is_dir():
        raise ExportError(f"cannot write {target}: is a directory")
    try:
        found = os.lstat(target)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {_reason(exc)}") from exc
    if found is not None:
        if not overwrite:
            raise ExportError(f"{target} exists (choose overwrite to replace it)")
        if not stat.S_ISREG(found.st_mode):
            # replacing a device node, FIFO, socket or symlink (as root: /dev/sda) is never what an export means
            raise ExportError(f"cannot overwrite {target}: it is {_kind(found.st_mode)}, not a regular file")
    parent = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=parent)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {_reason(exc, parent)}") from exc
    count = redactions = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for event in events:
                obj = event.to_dict()
                if redact:
                    obj, n = redact_event(obj)
                    redactions += n
                handle.write(dumps(obj))
                handle.write("\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails if the file appeared meanwhile, instead of replacing it
            os.unlink(tmp)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, FileExistsError):
            raise ExportError(f"{target} exists (choose overwrite to replace it)") from exc
        raise ExportError(f"cannot write {target}: {_reason(exc)}") from exc
    return ExportResult(target, count, redactions)
