"""Trust under attack: log text and other strings not written by meshtail never control the screen,
the filter or the output, and nothing meshtail writes holds a credential unless asked to."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meshtail.events import AuditEvent, RawLine, Source, dumps
from meshtail.parse.detect import StreamParser
from meshtail.query import FilterError, compile_filter, exact_term
from meshtail.settings.profiles import load
from meshtail.sinks.export import ExportError, export_jsonl
from meshtail.sinks.redact import redact_event
from meshtail.text import visible

from .conftest import lines, parse

ROOT = Path(__file__).parent.parent

# ---------------------------------------------------------------- untrusted text


def _unsafe_characters() -> list[str]:
    """Every Cc, Cf, Zl and Zp character of this Python's Unicode database, and a few lone surrogates."""
    found = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF and unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp")
    ]
    return [*found, "\ud800", "\udfff"]


UNSAFE = _unsafe_characters()


def test_every_control_and_format_character_becomes_a_visible_escape() -> None:
    assert len(UNSAFE) > 200 and "\t" in UNSAFE and "\u061c" in UNSAFE and "\u2060" in UNSAFE and "\ufeff" in UNSAFE
    missed = [f"U+{ord(ch):04X}" for ch in UNSAFE if visible(ch) == ch]
    assert not missed, f"shown raw: {missed[:10]}"
    assert visible("a\tb") == "a\\tb" and visible("\u200b") == "\\u200b" and visible("plain ascii") == "plain ascii"


SEEDS = [line for name in ("envoy-text.log", "istiod.log", "ztunnel.log", "envoy-json.log") for line in lines(name)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.integers(0, 400), st.lists(st.sampled_from(UNSAFE), min_size=1, max_size=4))
def test_no_control_or_format_character_reaches_summary_or_attributes(seed: str, at: int, planted: list[str]) -> None:
    line = seed[:at] + "".join(planted) + seed[at:]
    event = StreamParser().parse(RawLine(line, Source("file", path="x", line=1), "2026-01-01T00:00:00Z"))
    assert event.raw == line, "raw keeps the line exactly"

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        return []

    for text in [event.summary, *strings(event.attributes)]:
        bad = [f"U+{ord(ch):04X}" for ch in text if ch in UNSAFE]
        assert not bad, f"{bad} reached {text!r}"


def test_wide_and_combining_characters_cannot_move_the_decision_column() -> None:
    """A fullwidth or CJK path used to push DECISION right, showing a forged "allow" in its place."""
    from meshtail.ui.rows import resolve, row

    template = lines("envoy-text.log")[2]  # an RBAC denial at the egress gateway
    paths = [
        "/",
        "/ｆｕｌｌｗｉｄｔｈ／ａｌｌｏｗ",
        "/数据/中文路径/允许" * 3,
        "/e\u0301e\u0301e\u0301e\u0301/allow",
        "/a",
    ]
    columns = resolve(("time", "route", "principal", "request", "decision", "policy"), "auth")
    offsets = set()
    for path in paths:
        event = parse(template.replace('"HEAD / HTTP/2"', f'"HEAD {path} HTTP/2"'))
        assert event.outcome == "deny" and event.attributes["url.path"] == path, "the premise: the path is planted"
        text = row(event, columns, 160)
        from rich.cells import cell_len

        plain = text.plain
        at = plain.index(" deny ")
        offsets.add(cell_len(plain[:at]))
        assert cell_len(plain) == 160
    assert len(offsets) == 1, f"DECISION moved between rows: cell offsets {offsets}"


# ---------------------------------------------------------------- the filter language


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_exact_terms_from_log_values_are_never_filter_syntax(value: str) -> None:
    """The quick filter builds terms from log values: `/./`, `*`, quotes and parentheses stay literal."""
    event = parse(lines("envoy-text.log")[0])
    event.attributes["http.request.header.x-request-id"] = value
    query = compile_filter(exact_term("request_id", value))
    assert query.matches(event)
    event.attributes["http.request.header.x-request-id"] = value + "x"
    assert not query.matches(event), "only this exact value"
    event.attributes["http.request.header.x-request-id"] = "something else"
    assert not query.matches(event)


@pytest.mark.parametrize("value", ["/./", "*", "/(a+)+$/", '") OR (cat:auth', "a\\b"])
def test_hostile_request_ids_select_only_their_request(value: str) -> None:
    events = [parse(line) for line in lines("envoy-text.log")]
    target = events[0]
    target.attributes["http.request.header.x-request-id"] = value
    query = compile_filter(exact_term("request_id", value))
    assert [e for e in events if query.matches(e)] == [target]


def test_a_catastrophic_regex_runs_in_linear_time() -> None:
    """`/(a+)+$/` against 28 a's and a `!` took 17 s with Python's re; RE2 answers at once."""
    query = compile_filter("path:/(a+)+$/")
    event = parse(lines("envoy-text.log")[0])
    event.attributes["url.path"] = "a" * 28 + "!"
    started = time.process_time()
    assert query.matches(event) is False
    event.attributes["url.path"] = "a" * 100_000 + "!"
    assert query.matches(event) is False
    assert time.process_time() - started < 5, "the premise of the check: it did not take seconds"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("path:/a{99999999999}/ ((((", "expected a term"),
        ("path:/a{99999999999}/ (b", "unclosed"),
        ("(" * 2000 + "a" + ")" * 2000, "nested more than"),
        ("NOT " * 1500 + "a", "nested more than"),
        ("-" * 1500 + "a", "nested more than"),
        ("path:/(x)\\1/", "bad regex"),
        ("path:/(?=x)/", "bad regex"),
        ("status:>=abc", "not a number"),
        ("time:>=notatime", "not a time"),
        ("severity:>=bogus", "not a severity"),
        ("duration:<soon", "not a number"),
        ("k8s.user:>=alice", "not a number or a time"),
    ],
)
def test_input_that_used_to_raise_or_mislead_is_a_filter_error(text: str, fragment: str) -> None:
    with pytest.raises(FilterError, match=fragment) as caught:
        compile_filter(text)
    assert 0 <= caught.value.position <= len(text)


def test_comparisons_of_the_right_kind_still_work() -> None:
    event = parse(lines("envoy-text.log")[0])
    status = event.attributes["http.response.status_code"]
    assert compile_filter(f"status:>={status} status:<{status + 1} duration:>=0").matches(event)
    assert compile_filter("time:>=2000-01-01 time:<2100-01-01T00:00").matches(event)
    assert compile_filter("severity:>=info").matches(event)
    assert not compile_filter("severity:>warning").matches(event)


def test_the_caret_sits_under_the_problem_by_terminal_cells() -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter("path:数据 status:>=x")
    query, caret = caught.value.pointer().split("\n")
    from rich.cells import cell_len

    assert cell_len(caret) - 1 == cell_len(query[: query.index(">=x") + 2])


def _corpus_events() -> list[AuditEvent]:
    names = [p.name for p in (ROOT / "tests" / "data").glob("*.log")]
    return [parse(line) for name in sorted(names) for line in lines(name)]


EVENTS = _corpus_events()
FIELDS_FOR_TERMS = ["status", "method", "path", "flags", "route", "cluster", "request_id", "policy", "details", "dst"]


@st.composite
def filters_from_the_corpus(draw):  # type: ignore[no-untyped-def]
    """Filters made of values the corpus holds, so they match something and the pre-check is exercised."""
    from meshtail.query.fields import resolve

    terms = []
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELDS_FOR_TERMS))
        values = [str(v) for e in EVENTS for v in resolve(field)(e) if str(v).strip() and '"' not in str(v)]
        if not values:
            continue
        value = draw(st.sampled_from(values))
        shape = draw(st.sampled_from(["plain", "prefix", "suffix", "exact"]))
        if shape == "prefix" and len(value) > 3:
            value = value[: len(value) // 2] + "*"
        elif shape == "suffix" and len(value) > 3:
            value = "*" + value[len(value) // 2 :]
        term = exact_term(field, value) if shape == "exact" else f'{field}:"{value}"'
        if draw(st.booleans()) and terms:
            terms[-1] = f"({terms[-1]} OR {term})"
        else:
            terms.append(term)
    return " ".join(terms) or "status:200"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(filters_from_the_corpus())
def test_the_precheck_never_rejects_a_line_the_filter_matches(text: str) -> None:
    """For every corpus event, matches(e) implies precheck(e.raw): a pre-check may only skip non-matches."""
    query = compile_filter(text)
    matched = [e for e in EVENTS if query.matches(e)]
    # the premise: only filters that match something and have a pre-check count as examples
    # (hypothesis gives up loudly if too few do, so the property cannot pass vacuously)
    assume(matched and query.precheck is not None)
    missed = [e.raw for e in matched if not query.precheck(e.raw)]
    assert not missed, f"{text!r} matches but its pre-check rejects: {missed[0][:120]}"


# ---------------------------------------------------------------- profiles and other strings


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('panes = [["auth"]]', "panes': must be a list of strings"),
        ('columns = { auth = [["time"]] }', "must be a list of column names"),
        ('columns = { auth = "time" }', "must be a list of column names"),
        ('columns = { auth = ["time", "nope"] }', "unknown column 'nope'"),
        ('columns = { nope = ["time"] }', "unknown pane 'nope'"),
        ("namespaces = [1, 2]", "namespaces': must be a list of strings"),
    ],
)
def test_profiles_of_the_wrong_shape_are_reported_with_file_line_and_key(tmp_path: Path, body: str, message: str):
    path = tmp_path / "profiles.toml"
    path.write_text(f'[profiles.ok]\nfilter = "cat:auth"\n\n[profiles.bad]\n{body}\n')
    profiles, problems = load(path)
    assert "ok" in profiles and "bad" not in profiles, "the good profile still loads"
    assert len(problems) == 1 and f"{path}:5" in problems[0] and message in problems[0], problems


@pytest.mark.parametrize(
    "header",
    ['[profiles."esc\\u001b]52;c;eA==\\u202ename"]', "[ profiles . 'spaced[name]' ]", '[profiles."has space"]'],
)
def test_a_profile_name_written_with_escapes_or_quotes_is_reported_at_its_line(tmp_path: Path, header: str) -> None:
    """An outside audit: a bad name written with a TOML escape was reported without its line (the header was looked
    for as the name's own characters)."""
    path = tmp_path / "profiles.toml"
    path.write_text(f'[profiles.ok]\nfilter = "cat:auth"\n\n{header}\nfilter = "x"\n')
    profiles, problems = load(path)
    assert "ok" in profiles and len(problems) == 1, problems
    assert f"{path}:4: profile " in problems[0] and "\x1b" not in problems[0], problems


def test_profiles_list_and_show_print_no_escape_sequence(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "profiles.toml").write_text(
        '[profiles.planted]\nfilter = "cat:auth \\u001b]52;c;cHduZWQ=\\u0007"\ndescription = "\\u202eevil \\u001b[2J"\n'
    )
    env = {**os.environ, "MESHTAIL_CONFIG_DIR": str(config), "PYTHONPATH": str(ROOT)}
    for args in (["profiles", "list"], ["profiles", "show", "planted"]):
        done = subprocess.run([sys.executable, "-m", "meshtail", *args], capture_output=True, env=env, timeout=60)
        out = done.stdout.decode() + done.stderr.decode()
        assert "planted" in out, "the premise: the profile is printed"
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out


def test_an_unreadable_file_with_an_escape_sequence_in_its_name_is_named_safely(tmp_path: Path) -> None:
    name = tmp_path / "log\x1b]0;owned\x07.txt"
    done = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", str(name)],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    err = done.stderr.decode()
    assert done.returncode == 1 and "cannot read" in err and "\\x1b]0;owned" in err and "\x1b" not in err


def test_a_file_name_that_is_not_utf8_is_written_as_raw_bytes_are(tmp_path: Path) -> None:
    """Found by an outside audit: the OS keeps such a name's bytes as lone surrogates, and the JSONL said
    ``"path":"bad\\udcff\\udcfe.log"``, which strict JSON readers (serde_json) refuse.  Written ``\\xff`` as in raw."""
    name = os.fsdecode(b"bad\xff\xfe.log")
    assert "\udcff" in name, "the premise: the OS hands meshtail the name's bytes as lone surrogates"
    (tmp_path / name).write_bytes(b"one line\n")
    done = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", "-o", "jsonl", name],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"\\udc" not in done.stdout
    event = json.loads(done.stdout)
    assert event["source"]["path"] == "bad\\xff\\xfe.log"
    event["source"]["path"].encode("utf-8")  # no lone surrogate left


# ---------------------------------------------------------------- credentials


SECRET_LINES = [
    # a custom format logging the Authorization header with no name beside the value
    (
        ["--format-string", "[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %REQ(AUTHORIZATION)%"],
        "[2024-05-01T10:00:00.000Z] GET /api 200 opaque-Api-Key-0123456789",
        "opaque-Api-Key-0123456789",
    ),
    (
        ["--format-string", "[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %REQ(COOKIE)%"],
        "[2024-05-01T10:00:00.000Z] GET /api 200 session=9f8e7d6c5b4a",
        "9f8e7d6c5b4a",
    ),
    # a JSON access log with header fields
    (
        [],
        '{"start_time":"2024-05-01T10:00:00.000Z","method":"GET","path":"/x","response_code":200,'
        '"response_flags":"-","upstream_cluster":"outbound|80||x","authorization":"Basic dXNlcjpodW50ZXIy",'
        '"x_api_key":"k-1234567890"}',
        "dXNlcjpodW50ZXIy",
    ),
    # Envoy's debug header dump
    (
        [],
        "2024-05-01T10:00:00.000000Z\tdebug\tenvoy http\t[C7][S123] request headers complete (end_stream=true):\n"
        "':authority', 'x'\n'authorization', 'Bearer abcdef.ghijkl.mnopqr'",
        "abcdef.ghijkl.mnopqr",
    ),
    # userinfo in an authority
    (
        [],
        '[2024-05-01T10:00:00.000Z] "GET /x HTTP/1.1" 200 - via_upstream - "-" 0 2 3 2 "-" "curl" "rid" '
        '"admin:hunter2secret@internal.svc:8080" "10.0.0.1:80" outbound|80||x - 10.0.0.2:80 10.0.0.3:1 - default',
        "hunter2secret",
    ),
    # query secrets of every kind
    *[
        (
            [],
            f'[2024-05-01T10:00:00.000Z] "GET /x?a=1&{name}=s3cr3tVALUE99 HTTP/1.1" 200 - via_upstream - "-" 0 2 3 2 '
            '"-" "curl" "rid" "x" "10.0.0.1:80" outbound|80||x - 10.0.0.2:80 10.0.0.3:1 - default',
            "s3cr3tVALUE99",
        )
        for name in (
            "auth_token",
            "private_token",
            "access-token",
            "jwt",
            "password",
            "secret",
            "X-Goog-Signature",
            "X-Amz-Signature",
            "sig",
        )
    ],
]


@pytest.mark.parametrize(("flags", "line", "secret"), SECRET_LINES)
@pytest.mark.parametrize("output", ["jsonl", "text"])
def test_scan_redacts_raw_summary_and_attributes_by_default(
    tmp_path: Path, flags: list[str], line: str, secret: str, output: str
) -> None:
    path = tmp_path / "in.log"
    path.write_text(line + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "meshtail", "scan", str(path), "-q", *flags]
    plain = subprocess.run([*base, "-o", "jsonl", "--no-redact"], capture_output=True, env=env, timeout=60)
    assert secret in plain.stdout.decode(), "the premise: the secret is in the line meshtail read"
    redacted = subprocess.run([*base, "-o", output], capture_output=True, env=env, timeout=60).stdout.decode()
    assert redacted and secret not in redacted, redacted
    if output == "jsonl":
        before = [json.loads(text) for text in plain.stdout.decode().splitlines()]
        after = [json.loads(text) for text in redacted.splitlines()]
        assert any(r["attributes"].get("meshtail.redacted", 0) >= 1 for r in after)
        for original, shown in zip(before, after, strict=True):
            if secret in original["raw"]:
                assert "[REDACTED]" in shown["raw"], "raw is redacted too"


# an Envoy access line whose path carries what a JSON writer may leave literal: a line separator (str.splitlines()
# and JavaScript end a line there), a bidi override (Trojan Source: `cat` and `jq -r` show the line reordered), a
# zero-width space, an isolate, a BOM and a C1 NEL
INVISIBLE_PATH = "/a\u2028b\u202ec\u200bd\u2066e\ufefff\x85g\U000e0041h\u206ai\u180ej"  # (and a tag character)
INVISIBLE_LINE = (
    f'[2024-05-01T10:00:00.000Z] "GET {INVISIBLE_PATH} HTTP/1.1" 200 - via_upstream - "-" 0 2 3 2 "-" "curl" "r-1"'
    ' "api" "10.0.0.1:80" outbound|80||api - 10.0.0.2:80 10.0.0.3:1 - default'
)


@pytest.mark.parametrize("redact", [[], ["--no-redact"]])
def test_jsonl_output_escapes_line_separators_bidi_and_invisible_characters(tmp_path: Path, redact: list[str]) -> None:
    """Found by an outside audit: ``scan -o jsonl`` and the TUI's export wrote these characters literally, so one
    record read as two by line-splitting readers and a viewer showed the text reordered. Written as ``\\uXXXX``, the
    values read back exactly as logged."""
    path = tmp_path / "in.log"
    path.write_bytes(INVISIBLE_LINE.encode() + b"\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", str(path), "-q", "-o", "jsonl", *redact],
        capture_output=True,
        env=env,
        timeout=60,
    ).stdout
    text = out.decode("utf-8")
    assert len(text.splitlines()) == 1, text
    for char in "\u2028\u202e\u200b\u2066\ufeff\x85\U000e0041\u206a\u180e":
        assert char not in text, repr(char)
    record = json.loads(text)
    assert record["raw"] == INVISIBLE_LINE  # the premise: the characters were read, and come back exact
    exported = dumps({"raw": INVISIBLE_LINE})  # the TUI's export and copy write through the same function
    assert len(exported.splitlines()) == 1 and "\u202e" not in exported
    assert json.loads(exported)["raw"] == INVISIBLE_LINE


def test_redaction_counts_every_value_it_replaced() -> None:
    event = parse(
        '[2024-05-01T10:00:00.000Z] "GET /x?token=abcdef123&key=zyx98765 HTTP/1.1" 200 - - - "-" 0 2 3 2 '
        '"-" "curl" "rid" "x" "10.0.0.1:80" outbound|80||x - 10.0.0.2:80 10.0.0.3:1 - default'
    )
    out, count = redact_event(event.to_dict())
    assert "abcdef123" not in json.dumps(out) and "zyx98765" not in json.dumps(out)
    assert count == out["attributes"]["meshtail.redacted"] >= 4, "raw, summary and url.query each had them"


_HINTED = [
    "Bearer abcdefgh12",
    "x?access_token=1",
    "user:pw@host",
    "ſecret",  # (RE2 folds the long s to s)
    "eyJhbGciOi.eyJzdWIi.sig",
    "a basic b",
    "API_KEY",
    "\udcff token",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([*_HINTED, "", "basic", "bas", "ic ", "\udcff", "é", "\n", "-", *lines("envoy-text.log")]),
            st.text(max_size=40),
        ),
        max_size=12,
    )
)
def test_a_chunk_is_read_for_credential_hints_as_each_line_alone_would_be(texts: list[str]) -> None:
    from meshtail.sinks.redact import _hinted, unhinted

    texts = [text if i % 2 else "".join(list(text)) for i, text in enumerate(texts)]  # (one object, or copies)
    clean = unhinted(texts)
    assert [id(text) in clean for text in texts] == [not _hinted(text) for text in texts]


def test_read_ahead_changes_no_byte_of_the_output() -> None:
    import io

    from meshtail.pipeline import Pipeline
    from meshtail.sinks.output import Writer

    texts = [
        *lines("envoy-text.log"),
        '[2024-05-01T10:00:00.000Z] "GET /x?token=abcdef123 HTTP/1.1" 200 - - - "-" 0 2 3 2 '
        '"-" "curl" "rid" "x" "10.0.0.1:80" outbound|80||x - 10.0.0.2:80 10.0.0.3:1 - default',
        *lines("envoy-component.log")[:20],
    ]
    written = []
    for ahead in (0, 1, 3, 1000):
        buffer = io.BytesIO()
        writer = Writer(io.TextIOWrapper(buffer, encoding="utf-8"), "jsonl")
        pipeline = Pipeline(writer.write)
        for start in range(0, len(texts), ahead or len(texts)):
            chunk = texts[start : start + (ahead or len(texts))]
            if ahead:
                writer.expect(chunk)
            for text in chunk:
                pipeline.line(RawLine(text, Source("pod", namespace="ns", pod="p"), "2026-01-01T00:00:00.000000Z"))
        writer.stream.flush()
        written.append((buffer.getvalue(), writer.redactions))
    assert written[0][1] >= 2, "the token is redacted in raw, summary and url.query"
    assert all(one == written[0] for one in written)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_overwrite_replaces_only_regular_files(tmp_path: Path) -> None:
    events = [parse(lines("envoy-text.log")[0])]
    device = tmp_path / "null-device"
    os.mknod(device, 0o600 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere.jsonl")
    sock_path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        for target, kind in (
            (device, "a device"),
            (fifo, "a FIFO"),
            (link, "a symbolic link"),
            (sock_path, "a socket"),
        ):
            with pytest.raises(ExportError, match=f"it is {kind}, not a regular file"):
                export_jsonl(events, target, overwrite=True)
        assert os.path.exists(device) and not os.path.isfile(device), "the device node is still a device"
        assert not (tmp_path / "elsewhere.jsonl").exists(), "nothing written through the link"
        regular = tmp_path / "regular.jsonl"
        regular.write_text("old\n")
        assert export_jsonl(events, regular, overwrite=True).count == 1
    finally:
        server.close()


def test_tail_jsonl_is_redacted_by_default_and_compare_still_matches(tmp_path: Path) -> None:
    """The demo's own credential-bearing lines leave `tail` redacted; the sent-log comparison sees through that."""
    from meshtail.demo.sentlog import compare

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kubeconfig, sent, out = tmp_path / "kc", tmp_path / "sent.log", tmp_path / "out.jsonl"
    server = subprocess.Popen(
        [sys.executable, "-m", "meshtail", "demo", "--serve", "--kubeconfig-out", str(kubeconfig), "--rate", "200",
         "--sent-log", str(sent), "--duration", "25", "--seed", "3"],
        stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            if kubeconfig.exists():
                break
            time.sleep(0.1)
        with open(out, "wb") as sink:
            subprocess.run(
                [sys.executable, "-m", "meshtail", "tail", "--kubeconfig", str(kubeconfig), "-A", "-o", "jsonl",
                 "--duration", "8", "-q"],
                stdout=sink, env=env, timeout=60,
            )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    redacted = [r for r in records if r["attributes"].get("meshtail.redacted")]
    assert redacted, "the premise: the demo wrote credentials and tail redacted them"
    assert not any("Bearer ey" in r["raw"] or ("access_token=" in r["raw"] and "[REDACTED]" not in r["raw"])
                   for r in records)  # fmt: skip
    result = compare(sent, out)
    assert not result.unexplained and not result.duplicated and not result.never_served


@pytest.mark.parametrize(
    "name", ["envoy-text.log", "envoy-json.log", "envoy-component.log", "istiod.log", "istio-agent.log", "ztunnel.log"]
)
def test_a_number_of_any_length_in_any_field_is_no_crash(name: str) -> None:
    """Found by a review: a 5,000-digit duration or port in an access line raised ValueError (Python refuses to
    convert 4,300 digits and more) from the attribute builder, and `scan` died with it.  Every run of digits of
    these files' lines, one at a time, is blown up; every line must still be one event that writes out."""
    tried = 0
    for text in lines(name):
        for run in re.finditer(r"\d+", text):
            line = text[: run.start()] + "7" * 5000 + text[run.end() :]
            event = StreamParser().parse(RawLine(line, Source("file", path=name, line=1), "2026-01-01T00:00:00Z"))
            assert dumps(event.to_dict())
            tried += 1
    assert tried >= 6, "the premise: numbers were blown up"
