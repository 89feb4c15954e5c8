"""Shared helpers: real log lines from tests/data and the event schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from meshtail.events import AuditEvent, RawLine, Source, load_schema
from meshtail.parse.detect import StreamParser

DATA = Path(__file__).parent / "data"


def lines(name: str) -> list[str]:
    """The lines of tests/data/<name>, without terminators."""
    return (DATA / name).read_text("utf-8").splitlines()


def parse(line: str, source: Source | None = None, parser: StreamParser | None = None) -> AuditEvent:
    parser = parser or StreamParser()
    return parser.parse(RawLine(line, source or Source("file", path="test.log", line=1), "2026-01-01T00:00:00.000000Z"))


def parse_file(name: str, source: Source | None = None) -> list[AuditEvent]:
    parser = StreamParser()
    return [parse(line, source, parser) for line in lines(name)]


@pytest.fixture(scope="session")
def validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)
