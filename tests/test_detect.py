"""The pipeline's promises: one event per line, wrappers handled, hostile text made harmless, schema-valid."""

from __future__ import annotations

import json

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import MAX_PARSE, StreamParser
from meshtail.sources.files import decode

from .conftest import DATA, lines, parse, verdict

ALL_FILES = sorted(path.name for path in DATA.glob("*.log"))


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_real_line_yields_a_schema_valid_event(name, validator):
    parser = StreamParser()
    for line in lines(name):
        event = parser.parse(RawLine(line, Source("file", path=name, line=1), "2026-01-01T00:00:00Z"))
        document = json.loads(event.to_json())
        validator.validate(document)
        assert document["raw"] == line
        assert event.format != "unknown", line


def test_unrecognised_line_is_kept_and_marked():
    event = parse("just some application chatter")
    assert (event.format, event.category, event.outcome, event.action) == (
        "unknown",
        "other",
        "unknown",
        "log.unparsed",
    )
    assert event.attributes["meshtail.unparsed"] is True
    assert event.raw == "just some application chatter"


def test_empty_line_is_an_event_too(validator):
    event = parse("")
    assert event.format == "unknown" and event.summary == "(empty line)"
    validator.validate(event.to_dict())


def test_kubelet_timestamp_prefix_is_peeled_and_kept():
    line = "2025-01-02T03:04:05.123456789Z " + lines("envoy-text.log")[2]
    event = parse(line)
    assert event.format == "envoy-text" and event.action == "authz.deny"
    assert event.attributes["k8s.log.timestamp"] == "2025-01-02T03:04:05.123456789Z"
    assert event.raw == line


def test_kubelet_time_is_used_when_the_line_has_none():
    event = parse("2025-01-02T03:04:05.123456789Z hello")
    assert event.time == "2025-01-02T03:04:05.123456789Z"


def test_cri_prefix_and_kubectl_prefix():
    cri = parse("2025-01-02T03:04:05.1Z stdout F " + lines("istiod.log")[0])
    assert cri.format == "istiod"
    prefixed = parse("[pod/productpage-v1-6c6c87ffff-tk7r5/istio-proxy] " + lines("envoy-text.log")[0])
    assert prefixed.format == "envoy-text"
    assert (prefixed.source.pod, prefixed.source.container) == ("productpage-v1-6c6c87ffff-tk7r5", "istio-proxy")


def test_istio_line_with_single_spaces_is_not_mistaken_for_a_kubelet_prefix():
    event = parse("2021-01-15T19:26:07.147099Z info sds SDS: PUSH resource=ROOTCA")
    assert event.format == "istio-agent"


def test_mixed_stream_switches_family_and_back():
    parser = StreamParser()
    mixed = [
        lines("envoy-text.log")[0],
        lines("istio-agent.log")[5],
        lines("envoy-component.log")[6],
        lines("envoy-text.log")[1],
    ]
    formats = [parse(line, parser=parser).format for line in mixed]
    assert formats == ["envoy-text", "istio-agent", "envoy-component", "envoy-text"]
    assert parser.counts == {"envoy-text": 2, "istio-agent": 1, "envoy-component": 1}


def test_control_characters_and_bidi_never_reach_summary_or_attributes(validator):
    hostile_path = "/\x1b]0;owned\x07\x1b[2J\u202eevil\r"
    line = lines("envoy-text.log")[0].replace("/status/418", hostile_path)
    event = parse(line)
    assert event.format == "envoy-text"
    for text in (event.summary, event.attributes["url.path"]):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\r" not in text
    assert "\\x1b]0;owned" in event.attributes["url.path"]
    assert event.raw == line  # the raw line stays exact; JSON escapes it
    assert "\\u001b" in event.to_json()
    validator.validate(event.to_dict())


def test_control_characters_in_json_values_are_escaped():
    line = '{"level":"info","time":"2020-10-17T14:54:40.680797Z","scope":"sds","msg":"x\\u001b[31mred"}'
    event = parse(line)
    assert "\x1b" not in event.summary and "\x1b" not in event.attributes["log.message"]


def test_hostile_json_keys_become_safe_attribute_names(validator):
    event = parse('{"level":"info","time":"2020-10-17T14:54:40Z","msg":"m","bad key\\u001b[0m":"v"}')
    assert all("\x1b" not in key and " " not in key for key in event.attributes)
    validator.validate(event.to_dict())


def test_markup_is_kept_as_text():
    event = parse("[bold]hi[/] [@click=app.quit]x[/]")
    assert event.summary == "[bold]hi[/] [@click=app.quit]x[/]"


def test_invalid_utf8_is_escaped_and_flagged(validator):
    text, bad = decode(b"GET /caf\xe9 \xff")
    assert bad and text == "GET /caf\\xe9 \\xff"
    event = StreamParser().parse(RawLine(text, Source("stdin"), "2026-01-01T00:00:00Z", decode_error=bad))
    assert event.attributes["meshtail.decode_error"] is True
    validator.validate(event.to_dict())


def test_megabyte_line_is_one_event_not_parsed(validator):
    line = "[" + "A" * (MAX_PARSE + 10)
    event = parse(line)
    assert event.format == "unknown"
    assert "longer than" in event.attributes["meshtail.parse_error"]
    assert event.raw == line
    validator.validate(event.to_dict())


def test_long_access_log_line_with_huge_user_agent_parses():
    line = lines("envoy-text.log")[0].replace("curl/7.73.0-DEV", "x" * 500_000)
    event = parse(line)
    assert event.format == "envoy-text" and len(event.attributes["user_agent.original"]) == 500_000


def test_parser_exception_keeps_the_line(monkeypatch):
    parser = StreamParser()

    def boom(body, source):
        raise RuntimeError("bug")

    monkeypatch.setattr(parser, "_json", boom)
    event = parser.parse(RawLine('{"a":1}', Source("file"), "2026-01-01T00:00:00Z"))
    assert event.format == "unknown" and event.attributes["meshtail.parse_error"] == "RuntimeError: bug"


def test_kubectl_prefix_only_accepts_kubernetes_names():
    event = parse("[pod/evil\x1b[2J/istio-proxy] hello")
    assert event.source.pod is None
    assert "\x1b" not in event.summary


def test_a_denial_in_a_line_longer_than_meshtail_parses_is_still_a_denial_and_reads_the_same_again(validator):
    """A 403 whose path an attacker made 10 MB long: stored as unparsed, the store's re-read took the access format
    and showed "denied" on a log.unparsed row that the Auth and Violations panes left out (an outside audit).  The
    strict access formats read it in one pass, first time and every time."""
    from meshtail.storage.store import EventStore

    denied = lines("envoy-text.log")[3].replace("/v1/models/bert-emotion-model:predict", "/" + "A" * (MAX_PARSE + 10))
    assert len(denied) > MAX_PARSE and " 403 " in denied  # the premise: a denial past the limit
    event = parse(denied)
    assert verdict(event) == ("envoy-text", "auth", "deny", True)
    assert event.attributes["meshtail.long_line"] == len(denied)
    validator.validate(event.to_dict())
    store = EventStore()
    store.extend([event, parse("small line after")])
    again = store.get(0)
    assert again is not None and (again.category, again.outcome, again.action) == ("auth", "deny", event.action)
    assert "meshtail.repack_mismatch" not in again.attributes
    # not an access line: kept whole, unparsed, with the reason
    other = parse("x" * (MAX_PARSE + 10))
    assert other.format == "unknown" and "longer than" in other.attributes["meshtail.parse_error"]
