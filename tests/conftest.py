"""Shared helpers: real log lines from tests/data and the event schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from meshtail.events import AuditEvent, RawLine, Source, load_schema
from meshtail.parse.detect import StreamParser

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    """The lines of tests/data/<name>, without terminators."""
    return (DATA / name).read_text("utf-8").splitlines()


def corpus_raw(name: str, contains: str) -> str:
    """The raw line of the corpus record (tests/data/corpus/<name>) holding ``contains`` (its source is cited there)."""
    for row in (DATA / "corpus" / name).read_text("utf-8").splitlines():
        record = json.loads(row)
        if contains in record["raw"]:
            return str(record["raw"])
    raise LookupError(contains)


def parse(line: str, source: Source | None = None, parser: StreamParser | None = None) -> AuditEvent:
    parser = parser or StreamParser()
    return parser.parse(RawLine(line, source or Source("file", path="test.log", line=1), "2026-01-01T00:00:00.000000Z"))


def verdict(event: AuditEvent) -> tuple[str, str, str, bool]:
    """What a user filters on: the event's format, category (its pane), outcome and whether it is a violation."""
    return (event.format, event.category, event.outcome, event.violation)


def parse_file(name: str, source: Source | None = None) -> list[AuditEvent]:
    parser = StreamParser()
    return [parse(line, source, parser) for line in lines(name)]


@pytest.fixture(scope="session")
def validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# ---- the stand-in cluster ---------------------------------------------------------------


@pytest.fixture
async def demo(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A stand-in API server with the simulated mesh, no background traffic (tests call ``mesh.tick()``).

    Config changes and churn are off unless a test triggers them, so each test controls what happens.
    """
    from meshtail.demo.run import Demo, write_kubeconfig

    stand_in = Demo(seed=11, rate=0, config_every=0, churn_every=0)
    stand_in.logs.keep_removed = True
    await stand_in.start(traffic=False)
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, stand_in.kubeconfig())
    stand_in.kubeconfig_path = str(path)  # type: ignore[attr-defined]
    yield stand_in
    await stand_in.stop()


async def eventually(check, timeout: float = 10.0, interval: float = 0.02, describe=None):  # type: ignore[no-untyped-def]
    """Wait until ``check()`` is truthy (and return it); fail with the last value after ``timeout``."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            more = f"; {describe()}" if describe is not None else ""
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r}){more}")
        await asyncio.sleep(interval)
        value = check()
    return value


class Collector:
    """Collects what a live source delivers: raw lines and events (health, config)."""

    def __init__(self) -> None:
        self.lines: list[RawLine] = []
        self.events: list[AuditEvent] = []

    def line(self, raw: RawLine) -> None:
        self.lines.append(raw)

    def event(self, event: AuditEvent) -> None:
        self.events.append(event)

    def actions(self, prefix: str = "") -> list[str]:
        return [e.action for e in self.events if e.action.startswith(prefix)]

    def delivered(self, pod: str | None = None, container: str = "istio-proxy") -> list[tuple[str | None, str]]:
        return [
            (r.timestamp, r.text)
            for r in self.lines
            if (pod is None or r.source.pod == pod) and r.source.container == container
        ]


def children_running(parent: int, module: str) -> list[int]:
    """Running processes of ``parent`` whose command line names ``module`` (other runs' are not counted)."""
    import contextlib
    import os
    from pathlib import Path

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if module.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == parent:  # the field after the state: ppid
                        found.append(int(entry))
    return found
