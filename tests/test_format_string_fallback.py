"""``--format-string``: a line the user's format does not fit is left to detection; the format's own checks.

A line *fits* the user's format when its literal text is where the format puts it and every typed
field parses: the numbers meshtail reads as integers are digits (or ``-``), a time is what Envoy
prints for it (its default form, or the ``%START_TIME(<strftime>)%`` format's).  A line that would
match only with a field error is read as if no format had been given (it was read as a TCP
connection with ``status_code not a number "POST"`` and the rest of the line as its path).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser, compile_formats
from meshtail.parse.envoy_access import FormatError

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "mesh-sample.log"
SRC = Source("file", path="test.log", line=1)

# samples/mesh-sample.log line 46: an Istio 1.9+ RBAC denial
DENIAL = (
    '[2022-05-10T21:51:49.396Z] "HEAD / HTTP/2" 403 - rbac_access_denied_matched_policy[ns[istio-system]-policy'
    '[external-deny-developer-yahoo-com]-rule[0]] - "-" 0 0 0 - "10.100.0.6" "curl/7.83.0-DEV" '
    '"a503ba03-f09a-914d-85a4-995a0c1d5b16" "developer.yahoo.com" "-" outbound|443||developer.yahoo.com - '
    "10.100.2.6:8080 10.100.0.6:58370 developer.yahoo.com -"
)
MISFIT = "[%START_TIME%] %RESPONSE_CODE% %REQ(:PATH)%"  # the audit's format: matches DENIAL, status '"HEAD'


def read(parser: StreamParser, line: str, stamp: str | None = None):  # type: ignore[no-untyped-def]
    return parser.parse(RawLine(line, SRC, stamp))


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "meshtail", *args], capture_output=True, timeout=60, check=False)


# ------------------------------------------------------------------ a format that does not fit the line
def test_a_line_the_format_matches_only_with_field_errors_is_read_by_the_built_in_formats() -> None:
    parser = StreamParser(compile_formats([MISFIT]))
    event = read(parser, DENIAL)
    assert (event.category, event.outcome, event.action) == ("auth", "deny", "authz.deny")
    assert event.attributes["envoy.log_format"] == "istio-1.9"
    assert "meshtail.field_errors" not in event.attributes
    assert event.to_json() == read(StreamParser(), DENIAL).to_json()  # as if no format had been given
    # a line the format does fit is still read with it, in the same stream, and the stream goes back
    fits = read(parser, "[2024-05-01T10:00:00.000Z] 403 /admin?x=1")
    assert fits.attributes["envoy.log_format"] == "custom"
    assert fits.attributes["http.response.status_code"] == 403 and fits.attributes["url.path"] == "/admin"
    assert read(parser, DENIAL).attributes["envoy.log_format"] == "istio-1.9"
    # the store reads a line again with the hint it was read by: the same event
    again = parser.reparse(RawLine(DENIAL, SRC, None), "custom")
    assert again.to_json() == event.to_json()


def test_a_time_that_is_not_a_time_does_not_fit_and_the_line_stays_one_event() -> None:
    parser = StreamParser(compile_formats(["[%START_TIME%] %RESPONSE_CODE% %REQ(:PATH)%"]))
    event = read(parser, "[ERROR] 403 /admin")
    assert event.attributes.get("envoy.log_format") != "custom"
    assert event.raw == "[ERROR] 403 /admin"
    numbers = read(parser, "[2024-05-01T10:00:00.000Z] 4O3 /admin")  # a letter O in the status
    assert numbers.attributes.get("envoy.log_format") != "custom"
    assert "meshtail.field_errors" not in numbers.attributes
    absent = read(parser, "[2024-05-01T10:00:00.000Z] - /admin")  # Envoy's "-": no value, fits
    assert absent.attributes["envoy.log_format"] == "custom"


def test_the_next_format_string_is_tried_when_the_first_does_not_fit() -> None:
    parser = StreamParser(compile_formats(["%START_TIME% %RESPONSE_CODE% %REQ(:PATH)%", "%START_TIME% %REQ(:PATH)%"]))
    event = read(parser, "2024-05-01T10:00:00.000Z POST /pay")
    assert event.attributes["envoy.log_format"] == "custom-2"
    assert event.attributes["url.path"] == "POST /pay"
    assert "meshtail.field_errors" not in event.attributes


def test_scan_with_a_format_string_that_does_not_fit_finds_every_denial() -> None:
    def events(*args: str) -> list[dict[str, object]]:
        result = run("scan", "-q", "-o", "jsonl", *args, str(SAMPLE))
        assert result.returncode == 0, result.stderr
        read = [json.loads(line) for line in result.stdout.splitlines()]
        for event in read:
            del event["received"]  # when the line was read: differs between two runs
        return read

    assert len(events("-f", "outcome:deny")) == 5
    assert events("-f", "outcome:deny", "--format-string", MISFIT) == events("-f", "outcome:deny")
    # the format fits no line of the sample: every event is what it is without the format, one a line
    every = events("--format-string", MISFIT)
    assert every == events() and len(every) == len(SAMPLE.read_text().splitlines())


# ------------------------------------------------------------------ arguments Envoy refuses
@pytest.mark.parametrize(
    "operator",
    [
        "%REQ()%",
        "%RESP()%",
        "%TRAILER()%",
        "%REQ(?X-FORWARDED-FOR)%",
        "%REQ(:PATH?)%",
        "%DYNAMIC_METADATA()%",
        "%START_TIME(%Y-%m-%d%n)%",  # Envoy: "Format string contains newline"
    ],
)
def test_an_empty_header_name_or_required_argument_is_refused(operator: str) -> None:
    fmt = f"[%START_TIME%] {operator} %RESPONSE_CODE%"
    with pytest.raises(FormatError) as caught:
        compile_formats([fmt])
    assert operator in str(caught.value)
    assert caught.value.position == fmt.index(operator)


def test_scan_refuses_an_empty_header_name_with_exit_2_and_the_place() -> None:
    fmt = "[%START_TIME%] %REQ()% %RESPONSE_CODE%"
    result = run("scan", str(SAMPLE), "--format-string", fmt)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "%REQ()% has an empty header name" in err and "(at character 16)" in err
    lines = err.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret].index("^") == lines[caret - 1].index("%REQ()%")
    # an argument that may be left out may be empty (Envoy's default time form)
    assert run("scan", "-q", str(SAMPLE), "--format-string", "[%START_TIME()%] %REQ(:METHOD)%").returncode == 0


# ------------------------------------------------------------------ %START_TIME(<strftime>)%
# 2019-12-05T06:04:03.123456789Z (1575525843 s since the Epoch), as Envoy prints it for each format
STRFTIME_CASES = [
    ("%Y-%m-%dT%H:%M:%S%z", "2019-12-05T06:04:03+0000", "2019-12-05T06:04:03Z"),
    ("%Y-%m-%dT%H:%M:%S%z", "2019-12-05T07:04:03+0100", "2019-12-05T06:04:03Z"),
    ("%s", "1575525843", "2019-12-05T06:04:03Z"),
    ("%s.%3f", "1575525843.123", "2019-12-05T06:04:03.123Z"),
    ("%Y-%m-%dT%H:%M:%S.%f", "2019-12-05T06:04:03.123456789", "2019-12-05T06:04:03.123456789Z"),
    ("%Y-%m-%dT%H:%M:%S.%6f", "2019-12-05T06:04:03.123456", "2019-12-05T06:04:03.123456Z"),
    ("%d/%b/%Y:%H:%M:%S %z", "05/Dec/2019:06:04:03 +0000", "2019-12-05T06:04:03Z"),
    ("%a %b %e %T %Y", "Thu Dec  5 06:04:03 2019", "2019-12-05T06:04:03Z"),
    ("%F %T", "2019-12-05 06:04:03", "2019-12-05T06:04:03Z"),
    ("%Y-%m-%dT%H:%M:%E3SZ", "2019-12-05T06:04:03.123Z", "2019-12-05T06:04:03.123Z"),
    ("%Y-%m-%dT%H:%M:%S%Ez", "2019-12-05T11:34:03+05:30", "2019-12-05T06:04:03Z"),
    ("%d/%m/%YT%H:%M:%S%z %s", "05/12/2019T06:04:03+0000 1575525843", "2019-12-05T06:04:03Z"),
    ("%H:%M:%S", "06:04:03", None),  # no date: matched, kept as printed, no time read from it
    ("%E4Y-%m-%d %H:%M", "2019-12-05 06:04", "2019-12-05T06:04:00Z"),  # (a review: %E4Y was read as a fraction)
]


@pytest.mark.parametrize(("spec", "printed", "expected"), STRFTIME_CASES)
def test_start_time_with_a_strftime_format_matches_what_envoy_prints_and_sets_the_time(
    spec: str, printed: str, expected: str | None
) -> None:
    parser = StreamParser(compile_formats([f"[%START_TIME({spec})%] %RESPONSE_CODE% %REQ(:PATH)%"]))
    event = read(parser, f"[{printed}] 403 /admin")
    assert event.attributes["envoy.log_format"] == "custom"
    assert event.attributes["http.response.status_code"] == 403 and event.attributes["url.path"] == "/admin"
    assert event.time == expected
    if expected is None:
        assert event.attributes["envoy.start_time"] == printed
    other = read(parser, "[not what the format prints] 403 /admin")  # does not fit: not read with it
    assert other.attributes.get("envoy.log_format") != "custom"


def test_the_corpus_line_is_read_with_its_own_start_time_format() -> None:
    record = json.loads((ROOT / "tests/data/corpus/envoy/access-custom.jsonl").read_text().splitlines()[0])
    fmt = record["note"].split("format: ", 1)[1]
    assert "%START_TIME(%d/%m/%YT%H:%M:%S%z %s)%" in fmt
    event = read(StreamParser(compile_formats([fmt])), record["raw"].strip("`"), "2026-01-01T00:00:00Z")
    assert event.attributes["envoy.log_format"] == "custom"
    assert event.time == "2019-12-05T16:14:53Z"  # from the line, not the stamp it was received with
    assert event.attributes["envoy.response_flags"] == ["UT"] and event.attributes["envoy.duration_ms"] == 15001
    assert (event.category, event.outcome) == ("routing", "failure")


def test_scan_accepts_start_time_formats() -> None:
    line = "[2019-12-05T07:04:03+0100] 403 1575525843\n"
    path = ROOT / "tests" / "data" / "envoy-text.log"  # a real file of Istio lines: none fit, none lost
    for fmt in ("%START_TIME(%s)% %RESPONSE_CODE%", "[%START_TIME(%Y-%m-%dT%H:%M:%S%z)%] %RESPONSE_CODE% %DURATION%"):
        result = subprocess.run(
            [sys.executable, "-m", "meshtail", "scan", "-q", "-o", "jsonl", "--format-string", fmt, "-", str(path)],
            input=(line if "[" in fmt else "1575525843 403\n").encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        events = [json.loads(out) for out in result.stdout.splitlines()]
        assert events[0]["time"] == "2019-12-05T06:04:03Z"
        assert events[0]["attributes"]["envoy.log_format"] == "custom"
        assert all(event["attributes"].get("envoy.log_format") != "custom" for event in events[1:])


def test_other_time_operators_take_a_format_and_keep_one_attribute_name() -> None:
    fmt = "%START_TIME(%s)% %EMIT_TIME(%s.%3f)% %DOWNSTREAM_PEER_CERT_V_END(%Y-%m-%d)% %RESPONSE_CODE%"
    parser = StreamParser(compile_formats([fmt]))
    event = read(parser, "1575525843 1575525843.500 2020-01-31 200")
    assert event.attributes["envoy.log_format"] == "custom"
    assert event.attributes["envoy.emit_time"] == "1575525843.500"
    assert event.attributes["envoy.downstream_peer_cert_v_end"] == "2020-01-31"
    no_cert = read(parser, "1575525843 1575525843.500 - 200")  # no peer certificate: Envoy prints "-"
    assert no_cert.attributes["envoy.log_format"] == "custom"


def test_time_groups_stay_linear_on_hostile_lines() -> None:
    formats = [
        "%START_TIME(%s%3f)% %RESPONSE_CODE%",
        "[%START_TIME(%Y-%m-%d %H:%M:%E*S %E*z)%] %DURATION% %RESPONSE_CODE%",
        "[%START_TIME(%F %T)%] %BYTES_RECEIVED%%BYTES_SENT% %DURATION% %RESPONSE_CODE%",
    ]
    hostile = [
        "9" * 200_000 + "x",
        "[2019-12-05 06:04:03." + "1" * 200_000 + "x",
        "[2019-12-05 06:04:03] " + "9" * 200_000 + "x",
        "[2019-12-05 06:04:03 +05:30] " + "1 " * 100_000 + "x",
    ]
    for fmt in formats:
        parser = StreamParser(compile_formats([fmt]))
        for line in hostile:
            began = time.perf_counter()
            event = read(parser, line)
            assert time.perf_counter() - began < 2.0, (fmt, line[:40])
            assert event.attributes.get("envoy.log_format") != "custom"
