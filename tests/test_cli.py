"""``meshtail scan`` as a user runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "mesh-sample.log"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "meshtail", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_jsonl_has_exactly_one_valid_event_per_input_line(validator):
    result = run("scan", str(SAMPLE), "--output", "jsonl")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().splitlines()
    raw_lines = SAMPLE.read_text().splitlines()
    assert len(out) == len(raw_lines)
    events = [json.loads(line) for line in out]
    for event in events:
        validator.validate(event)
    assert [event["raw"] for event in events] == raw_lines
    assert [event["source"]["line"] for event in events] == list(range(1, len(raw_lines) + 1))
    assert sum(event["format"] == "unknown" for event in events) == 1
    assert b"1 not recognised" in result.stderr


def test_filter_selects_denials():
    result = run("scan", str(SAMPLE), "-o", "jsonl", "--filter", "cat:auth outcome:deny")
    events = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert events and all(e["category"] == "auth" and e["outcome"] == "deny" for e in events)
    assert {e["action"] for e in events} == {"authz.deny"}


def test_text_output_is_readable_and_marks_violations():
    result = run("scan", str(SAMPLE), "--filter", "action:resource.delete")
    line = result.stdout.decode().strip()
    assert line.startswith("2024-10-15T10:02:00.501Z !warning config/resource.delete")
    assert "mallory was denied delete on authorizationpolicies shop/deny-admin" in line


def test_stdin_and_gzip(tmp_path):
    data = SAMPLE.read_bytes()
    from_stdin = run("scan", "-", "-o", "jsonl", stdin=data)
    assert from_stdin.returncode == 0
    assert json.loads(from_stdin.stdout.splitlines()[0])["source"]["kind"] == "stdin"
    packed = tmp_path / "rotated.log.1"  # gzip detected by content, not by name
    packed.write_bytes(gzip.compress(data))
    from_gzip = run("scan", str(packed), "-o", "jsonl")
    assert from_gzip.stdout.count(b"\n") == data.count(b"\n")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_reads_as_its_text(tmp_path: Path, encoding: str) -> None:
    """Windows PowerShell 5 writes `kubectl logs … > f` as UTF-16: read as UTF-8, every line was unparsed and a
    stray NUL line was added (found by an outside audit).  With a byte-order mark or without, gzipped or not."""
    text = SAMPLE.read_text("utf-8")
    plain = run("scan", str(SAMPLE), "-o", "jsonl")
    wide = tmp_path / "kubectl-logs.txt"
    wide.write_bytes(text.encode(encoding))
    assert wide.read_bytes().count(b"\x00") > len(text) // 3, "the premise: every other byte is NUL"
    for path in (wide, tmp_path / "kubectl-logs.txt.gz"):
        if path.suffix == ".gz":
            path.write_bytes(gzip.compress(wide.read_bytes()))
        done = run("scan", str(path), "-o", "jsonl")
        assert done.returncode == 0, done.stderr
        got = [(e["raw"], e["format"], e["action"]) for e in map(json.loads, done.stdout.splitlines())]
        assert got == [(e["raw"], e["format"], e["action"]) for e in map(json.loads, plain.stdout.splitlines())]


def test_bad_filter_exits_2_with_a_pointer():
    result = run("scan", str(SAMPLE), "--filter", "status:403 (cat:auth")
    assert result.returncode == 2
    assert b"unclosed '('" in result.stderr and b"           ^" in result.stderr
    assert result.stdout == b""


def test_bad_format_string_and_bad_option_exit_2():
    assert run("scan", str(SAMPLE), "--format-string", "%START_TIME").returncode == 2
    assert run("scan", "--output", "xml").returncode == 2


def test_unreadable_input_is_named_and_exits_1_after_reading_the_rest(tmp_path):
    result = run("scan", str(tmp_path / "missing.log"), str(SAMPLE), "-o", "jsonl")
    assert result.returncode == 1
    assert b"missing.log: no such file" in result.stderr
    assert result.stdout.count(b"\n") == len(SAMPLE.read_text().splitlines())
    directory = run("scan", str(tmp_path))
    assert directory.returncode == 1 and b"is a directory" in directory.stderr


def test_binary_garbage_control_characters_and_huge_lines_do_not_crash(tmp_path, validator):
    path = tmp_path / "hostile.log"
    path.write_bytes(b"\xff\xfe\x00bad\n\x1b]52;c;ZXZpbA==\x07 clipboard\r\n" + b"[" * 3_000_000 + b"\nlast")
    result = run("scan", str(path), "-o", "jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(events) == 4
    for event in events:
        validator.validate(event)
    assert events[0]["attributes"]["meshtail.decode_error"] is True
    assert "\x1b" not in events[1]["summary"] and events[1]["raw"].startswith("\x1b]52")
    text = run("scan", str(path))
    assert b"\x1b" not in text.stdout and b"\x07" not in text.stdout


@pytest.mark.parametrize("args", [("--help",), ("scan", "--help"), ("tail", "--help"), ("demo", "--help")])
def test_help(args):
    result = run(*args)
    assert result.returncode == 0 and b"meshtail" in result.stdout


def test_bare_meshtail_without_a_cluster_says_what_to_do(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    result = subprocess.run(
        [sys.executable, "-m", "meshtail"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**env, "HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert b"no kubeconfig found" in result.stderr and b"meshtail demo" in result.stderr


def test_every_data_file_of_the_package_is_shipped():
    """A non-editable install (the README's quick start) must carry the stylesheet and the schema."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["meshtail"]
    package = root / "meshtail"
    data = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert data, "the package has data files (schema, stylesheet)"
    for path in data:
        assert any(fnmatch.fnmatch(path, pattern) for pattern in patterns), f"{path} is not in package-data"


def test_a_live_pipe_is_read_line_by_line_not_in_blocks(tmp_path):
    """`kubectl logs -f | meshtail -`: a line shows as soon as it arrives (files are read a megabyte at a time)."""
    import os
    import threading

    from meshtail.sources.files import read_batches

    read_end, write_end = os.pipe()
    os.write(write_end, b"first line\r\nsecond")
    got: list[str] = []
    arrived = threading.Event()

    def reader() -> None:
        with os.fdopen(read_end, "rb") as handle:
            for batch in read_batches("-", handle):
                got.extend(batch.texts)
                arrived.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert arrived.wait(5), "the first complete line must not wait for more input"
    assert got == ["first line"]  # the CR of CRLF removed; the partial line not yet delivered
    os.write(write_end, b" half\nthird\n")
    os.close(write_end)
    thread.join(5)
    assert got == ["first line", "second half", "third"]


def test_batches_number_lines_across_blocks_and_flag_bad_bytes(tmp_path):
    from meshtail.sources.files import read_batches

    path = tmp_path / "big.log"
    lines = [f"line {i} " + "x" * (i % 300) for i in range(20_000)]
    lines[12_345] = "caf\xe9"
    path.write_bytes(b"\n".join(line.encode("latin-1") for line in lines) + b"\n")
    seen = []
    for batch in read_batches(str(path), size=64 * 1024):
        for position, text in enumerate(batch.texts):
            seen.append((batch.first + position, text, position in batch.bad))
    assert len(seen) == 20_000 and [n for n, _, _ in seen] == list(range(1, 20_001))
    assert seen[12_345] == (12_346, "caf\\xe9", True)
    assert all(not bad for n, _, bad in seen if n != 12_346)
    assert [t for _, t, _ in seen[:3]] == lines[:3]


def test_top_level_help_shows_the_tui_options_and_the_commands():
    result = run("--help")
    assert result.returncode == 0
    out = result.stdout.decode()
    for option in ("-n NS, --namespace NS", "-A, --all-namespaces", "-l SEL", "--profile NAME", "--capacity N", "FILE"):
        assert option in out, option
    assert "'-' for stdin" in out
    for command in ("demo ", "tail ", "scan ", "profiles "):
        assert f"\n  {command}" in out, command


def test_a_filter_that_starts_with_a_negation_is_a_filter_not_an_option():
    everything = run("scan", str(SAMPLE), "-o", "jsonl").stdout.decode().splitlines()
    result = run("scan", str(SAMPLE), "-o", "jsonl", "--filter", "-outcome:success")
    assert result.returncode == 0, result.stderr
    kept = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert kept and len(kept) < len(everything)  # the premise: the negation removed some, kept some
    assert all(event["outcome"] != "success" for event in kept)
    short = run("scan", str(SAMPLE), "-o", "jsonl", "-f", "-outcome:success")
    assert [json.loads(line)["raw"] for line in short.stdout.decode().splitlines()] == [e["raw"] for e in kept]


def test_bad_format_string_points_at_the_place():
    result = run("scan", str(SAMPLE), "--format-string", '[%START_TIME] "%REQ(:METHOD)%"')
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert lines[-2] == '  [%START_TIME] "%REQ(:METHOD)%"'
    assert lines[-1] == "   ^"  # under the '%' that is never closed


def test_unknown_format_operator_is_refused_with_the_known_ones():
    # a typo Envoy itself would refuse at config load ("Not supported field in StreamInfo")
    result = run("scan", str(SAMPLE), "--format-string", '[%START_TIME%] "%REQ(:METHOD)%" %RESPONSE_CODES%')
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "unknown command operator %RESPONSE_CODES%; did you mean %RESPONSE_CODE%" in err
    lines = err.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret].index("^") == lines[caret - 1].index("%RESPONSE_CODES%")
    assert "UPSTREAM_TRANSPORT_FAILURE_REASON" in err and "DYNAMIC_METADATA(…)" in err
    # every operator of Istio's own formats and a long-tail real one are accepted
    ok = run(
        "scan", str(SAMPLE), "-q", "--format-string", "[%START_TIME%] %DOWNSTREAM_PEER_FINGERPRINT_256% %BYTES_SENT%"
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("command", [["scan", "-"], ["-"]], ids=["scan", "tui"])
def test_a_closed_stdin_is_named_not_a_traceback(command: list[str]) -> None:
    """Found by an outside audit: `meshtail scan - <&-` ended in an AttributeError traceback, and the TUI in a
    Textual traceback and exit 0."""
    import os

    done = subprocess.run(
        [sys.executable, "-m", "meshtail", *command],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        preexec_fn=lambda: os.close(0),  # the premise: the child starts with no fd 0
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "standard input is closed" in err and "Traceback" not in err


def test_the_tui_refuses_a_terminal_as_its_standard_input() -> None:
    """Found by an outside audit: `meshtail -` typed at a shell opened the screen on an empty store, and the stdin
    reader took the keys as log lines: q and Ctrl+C did nothing, only kill ended it (leaving the terminal raw)."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        assert os.isatty(follower), "the premise: the child's stdin is a terminal"
        done = subprocess.run(
            [sys.executable, "-m", "meshtail", "-"],
            stdin=follower,
            capture_output=True,
            cwd=ROOT,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(leader)
        os.close(follower)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "standard input is the terminal" in err and "meshtail -" in err


def test_a_file_truncated_while_read_is_said_not_a_silent_end(tmp_path: Path) -> None:
    """Found by an outside audit: a file cut short while meshtail read it (copytruncate log rotation) ended the read
    silently, exit 0, its lines past that point gone unsaid. The reader now names the file, the byte and the line."""
    from meshtail.sources.files import SourceError, read_batches

    path = tmp_path / "rotated.log"
    path.write_bytes(b"".join(b"line %d of the log before rotation\n" % n for n in range(2000)))
    batches = read_batches(str(path), size=4096)
    first = next(batches)
    assert first.texts and first.texts[0] == "line 0 of the log before rotation"  # the premise: reading began
    with open(path, "r+b") as handle:
        handle.truncate(0)  # copytruncate: the same file, emptied
        handle.write(b"new\n")
    with pytest.raises(SourceError, match=r"rotated\.log: the file was truncated to 4 bytes while meshtail read it"):
        for _ in batches:
            pass
    # the same file read whole, untouched: no such claim
    path.write_bytes(b"a\nb\n")
    assert [t for b in read_batches(str(path)) for t in b.texts] == ["a", "b"]


@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_a_negative_or_endless_duration_is_a_usage_error(value: str) -> None:
    """float() took "-5", "nan" and "inf" as durations (found by an outside audit: --since -5 asked the API for
    a negative sinceSeconds)."""
    done = run("tail", "--since", value, "--no-follow")
    assert done.returncode == 2, done.stderr
    assert b"invalid duration" in done.stderr and b"Traceback" not in done.stderr


class _InAPty:
    """A meshtail command on a pseudo-terminal (its screen read back as bytes), killed if a test leaves it."""

    def __init__(self, command: list[str]) -> None:
        import os
        import pty

        self.leader, follower = pty.openpty()
        self.child = subprocess.Popen(
            command,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"},
            start_new_session=True,
        )
        os.close(follower)
        self.seen = b""

    def read_for(self, seconds: float) -> None:
        import os
        import select
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.leader], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.leader, 65536)
                except OSError:
                    return

    def drawn(self, text: bytes) -> int:
        """Wait for the screen (the alternate screen entered, ``text`` on it); how much was read by then."""
        for _ in range(100):
            self.read_for(0.2)
            if b"\x1b[?1049h" in self.seen and text in self.seen:
                break
        assert b"\x1b[?1049h" in self.seen, "the premise: the app entered the alternate screen"
        return len(self.seen)

    def ended(self, seconds: float) -> int | None:
        import time

        end = time.monotonic() + seconds
        while time.monotonic() < end and self.child.poll() is None:
            self.read_for(0.2)
            time.sleep(0.05)  # (once the terminal is closed a read fails at once: the wait is by the clock)
        self.read_for(0.3)
        return self.child.poll()

    def close(self) -> None:
        import os

        if self.child.poll() is None:
            self.child.kill()
            self.child.wait(timeout=10)
        os.close(self.leader)


def test_sigterm_ends_the_tui_and_gives_the_terminal_back() -> None:
    """Found by an outside audit: `kill PID` (or `timeout`) left the shell in the alternate screen with echo off.
    Now the app quits as `q` does: the screen is left (``ESC[?1049l``) and the exit status is 128+15."""
    import signal

    app = _InAPty([sys.executable, "-m", "meshtail", str(SAMPLE)])
    try:
        drawn = app.drawn(b"mesh-sample")
        app.child.send_signal(signal.SIGTERM)
        app.ended(10)
        assert app.child.wait(timeout=20) == 128 + signal.SIGTERM
        assert b"\x1b[?1049l" in app.seen[drawn:], "the alternate screen was left"
    finally:
        app.close()


def test_a_signal_ends_the_tui_even_when_its_orderly_exit_never_comes() -> None:
    """Found by an outside audit: a tmux pane closed under load left meshtail orphaned, deaf to SIGTERM, holding its
    streams (Textual's shutdown waited forever on the vanished terminal).  An app whose exit never completes (here
    ``exit`` does nothing) is ended all the same, the terminal given back, the status 128+signal."""
    import signal

    script = (
        "import sys; import meshtail.ui.app as m; from meshtail.ingest import SourceSpec\n"
        "m.SIGNAL_GRACE = 1.0\n"
        "app = m.MeshtailApp(SourceSpec('files', paths=[sys.argv[1]]))\n"
        "app.exit = lambda *args, **kwargs: None\n"
        "app.run()\n"
    )
    app = _InAPty([sys.executable, "-c", script, str(SAMPLE)])
    try:
        drawn = app.drawn(b"mesh-sample")
        app.child.send_signal(signal.SIGTERM)
        status = app.ended(20)
        assert status == 128 + signal.SIGTERM, "the process ended by itself"
        assert b"\x1b[?1049l" in app.seen[drawn:], "the alternate screen was left"
    finally:
        app.close()


def test_the_tui_refuses_an_output_that_is_no_terminal() -> None:
    """`meshtail FILE | tail` wrote the screen's escape codes into the pipe and ran on, deaf to SIGTERM."""
    done = subprocess.run(
        [sys.executable, "-m", "meshtail", str(SAMPLE)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"not a terminal" in done.stderr and b"\x1b[" not in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("demo", "--serve", "--port", "70000"), b"invalid port '70000'"),
        (("demo", "--port", "-1", "-o", "text"), b"invalid port '-1'"),
        (("demo", "--loki", "--loki-port", "99999"), b"invalid port '99999'"),
        (("demo", "--rate", "0"), b"invalid number '0' (more than 0)"),
        (("demo", "--pods", "-1"), b"invalid number '-1' (0 or more)"),
        (("--capacity", "0", str(SAMPLE)), b"invalid number '0' (more than 0)"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(args: tuple[str, ...], words: bytes) -> None:
    """Found by an outside audit: a port out of range ended in bind()'s traceback, --capacity 0 ran with a store of
    one event, --rate -5 and --pods -1 were taken."""
    done = run(*args)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("output", ["jsonl", "text"])
def test_an_output_that_takes_no_more_is_one_line_not_a_traceback(output: str) -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "meshtail", "scan", str(SAMPLE), "-o", output],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == b"meshtail: cannot write the output: No space left on device"
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("-n", "shop"), b"-n, -l, -c and --since on scan read Loki: give --loki URL"),
        (("--since", "1h"), b"-n, -l, -c and --since on scan read Loki: give --loki URL"),
        (("--loki-tenant", "team-a"), b"--loki-tenant needs --loki URL"),
        (("--loki-insecure",), b"--loki-insecure needs --loki URL"),
        (("--loki", "http://127.0.0.1:9"), b"scan reads files or --loki, not both"),
    ],
)
def test_loki_flags_on_a_scan_of_files_say_what_is_wrong(args: tuple[str, ...], words: bytes) -> None:
    """Found by an outside audit: `scan -n shop FILE` said "files or --loki, not both" with no --loki given, and
    --loki-tenant, --loki-insecure and --loki-token-file were ignored on files without a word."""
    done = run("scan", *args, str(SAMPLE))
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and done.stdout == b""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--profile", "nope", str(SAMPLE)), b"no profile 'nope'"),
        (("demo", "--profile", "denials", "-o", "text"), b"--profile starts the TUI"),
        (("profiles", "list", "extra"), b"profiles list takes no NAME"),
    ],
)
def test_profile_arguments_that_cannot_be_used_are_usage_errors(args: tuple[str, ...], words: bytes) -> None:
    """Found by an outside audit: a missing profile exited 1 (not the usage status), demo -o ignored --profile
    without a word, and `profiles list` took a stray NAME."""
    done = run(*args)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and b"Traceback" not in done.stderr


def test_a_binary_file_is_said_to_be_one_and_still_read_whole(tmp_path: Path) -> None:
    """A core dump or an archive named by mistake gave screens of escaped bytes and no word (an outside audit): a
    NUL byte near the start is said once, on stderr, and every line is still an event.  Text, and UTF-16 (a NUL in
    every other byte), are not."""
    blob = bytes(range(256)) * 40 + b"\nend\n"
    path = tmp_path / "core.bin"
    path.write_bytes(blob)
    done = run("scan", str(path), "-q", "-o", "jsonl")
    assert done.returncode == 0
    assert done.stderr.count(b"looks like a binary file") == 1 and b"core.bin" in done.stderr
    assert len(done.stdout.splitlines()) == blob.count(b"\n")  # every line still an event
    for quiet in (SAMPLE, tmp_path / "wide.log"):
        if quiet.name == "wide.log":
            quiet.write_bytes(SAMPLE.read_text("utf-8").encode("utf-16"))
        assert b"binary" not in run("scan", str(quiet), "-q", "-o", "jsonl").stderr, quiet


async def test_the_tui_says_a_binary_file_is_one_in_a_health_row(tmp_path: Path) -> None:
    from meshtail.ingest import SourceSpec
    from meshtail.ui.app import MeshtailApp

    path = tmp_path / "core.bin"
    path.write_bytes(bytes(range(256)) * 4 + b"\n")
    app = MeshtailApp(SourceSpec("files", paths=[str(path)]))
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if app.ingest is not None and app.ingest.done:
                break
        held = app.store.range(app.store.base, app.store.base + len(app.store))
        said = [e.summary for _i, e in held if e.action == "meshtail.source.warning"]
    assert len(said) == 1 and "looks like a binary file" in said[0] and "core.bin" in said[0]
