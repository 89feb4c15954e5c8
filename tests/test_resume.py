"""Exactly-once across reconnects: the rules the follower relies on, one by one."""

from __future__ import annotations

from meshtail.sources.kube.resume import Resume, split_stamp, timestamp_key

T = "2026-01-02T03:04:05"


def test_a_resume_repeats_the_last_second_and_only_new_lines_pass() -> None:
    resume = Resume()
    delivered = [(f"{T}.100000000Z", "a"), (f"{T}.200000000Z", "b"), (f"{T}.200000000Z", "b")]
    assert all(resume.accept(s, t) for s, t in delivered)
    assert resume.since_time() == f"{T}Z", "sinceTime is the last delivered second"
    resume.start_replay()
    # the server re-sends everything from 03:04:05 on, plus what came after the break
    replay = [*delivered, (f"{T}.200000000Z", "b"), (f"{T}.300000000Z", "c")]
    assert [resume.accept(s, t) for s, t in replay] == [False, False, False, True, True]


def test_identical_lines_in_one_nanosecond_are_counted_not_collapsed() -> None:
    resume = Resume()
    assert resume.accept(f"{T}.5Z", "same") and resume.accept(f"{T}.5Z", "same")
    resume.start_replay()
    assert resume.accept(f"{T}.500000000Z", "same") is False
    assert resume.accept(f"{T}.500000000Z", "same") is False
    assert resume.accept(f"{T}.500000000Z", "same") is True, "a third one was never delivered"


def test_without_a_reconnect_nothing_is_dropped() -> None:
    resume = Resume()
    assert resume.accept(f"{T}.2Z", "x")
    assert resume.accept(f"{T}.1Z", "out of order but new"), "only a replay may drop older lines"
    assert resume.accept(None, "no timestamp")


def test_timestamps_compare_whatever_their_precision() -> None:
    assert timestamp_key("2026-01-02T03:04:05Z") == "2026-01-02T03:04:05.000000000Z"
    assert timestamp_key("2026-01-02T03:04:05.12Z") == "2026-01-02T03:04:05.120000000Z"
    assert timestamp_key("2026-01-02T03:04:05.120000000Z") == "2026-01-02T03:04:05.120000000Z"
    assert split_stamp('2025-01-02T03:04:05.123456789Z [2025-01-02T03:04:05.123Z] "GET') == (
        "2025-01-02T03:04:05.123456789Z",
        '[2025-01-02T03:04:05.123Z] "GET',
    )
    assert split_stamp("not a stamp at all") == (None, "not a stamp at all")
