"""Property tests: any text in, exactly one schema-valid event out; any filter text, a result or a FilterError."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.query import FilterError, compile_filter

from .conftest import lines, parse

SEEDS = [
    line
    for name in ("envoy-text.log", "envoy-component.log", "istiod.log", "k8s-audit-derived.log")
    for line in lines(name)
]
CONTROL = st.sampled_from(["\x1b[31m", "\x1b]8;;http://x\x07", "\r", "\x00", "\u202e", "\x9b", '"', "[/", "{"])


@st.composite
def mangled_lines(draw):
    """Real lines cut, spliced and salted with control characters and quotes."""
    line = draw(st.sampled_from(SEEDS))
    cut = draw(st.integers(0, len(line)))
    insert = draw(st.one_of(st.text(max_size=20), CONTROL))
    return line[:cut] + insert + line[cut + draw(st.integers(0, 5)) :]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), mangled_lines()))
def test_any_line_gives_one_valid_event(validator, text):
    parser = StreamParser()
    event = parser.parse(RawLine(text, Source("file", path="fuzz", line=1), "2026-01-01T00:00:00Z"))
    document = json.loads(event.to_json())
    validator.validate(document)
    assert document["raw"] == text
    for value in (event.summary, *[v for v in event.attributes.values() if isinstance(v, str)]):
        assert "\x1b" not in value and "\x00" not in value and "\u202e" not in value


FILTER_ALPHABET = st.sampled_from([*list('abcst:/*()"-<>=.0123456789 ORNOT|\\i'), "status", "cat", " OR ", "path"])


@settings(max_examples=500, deadline=None)
@given(st.lists(FILTER_ALPHABET, max_size=25).map("".join))
def test_any_filter_text_compiles_or_reports_a_position(text):
    try:
        compiled = compile_filter(text)
    except FilterError as exc:
        assert 0 <= exc.position <= len(text)
        return
    event = parse(SEEDS[0])
    assert isinstance(compiled.matches(event), bool)
    if compiled.precheck is not None and compiled.matches(event):
        assert compiled.precheck(event.raw)
