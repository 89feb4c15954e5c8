"""The UI's non-UI parts: the bounded store, incremental views, redaction, atomic export, profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meshtail.query import compile_filter
from meshtail.settings.profiles import BUILTINS, Profile, delete, load, save
from meshtail.sinks.export import ExportError, export_jsonl
from meshtail.sinks.redact import redact_event, redact_text
from meshtail.storage.store import EventStore
from meshtail.storage.views import PANES_BY_ID, View

from .conftest import parse_file


def test_store_evicts_oldest_and_views_keep_absolute_indices() -> None:
    events = parse_file("envoy-text.log")
    store = EventStore(capacity=5)
    view = View(store, PANES_BY_ID["all"])
    store.extend(events[:4])
    view.catch_up()
    assert list(view.indices) == [0, 1, 2, 3]
    store.extend(events[4:9])
    view.catch_up()
    assert store.base == 4 and store.evicted == 4 and len(store) == 5
    assert list(view.indices) == [4, 5, 6, 7, 8] and view.event(0).to_dict() == events[4].to_dict()


def test_reads_racing_eviction_never_return_a_neighbour() -> None:
    """The ingest thread evicts while the UI reads: a read returns the event asked for, or nothing."""
    import sys
    import threading

    from meshtail.sources.health import health_event

    store = EventStore(capacity=64)
    stop = threading.Event()

    def ingest() -> None:
        n = 0
        while not stop.is_set():
            store.extend([health_event("meshtail.test", str(i)) for i in range(n, n + 16)])
            n += 16

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows within a second
    writer = threading.Thread(target=ingest)
    writer.start()
    wrong: list[tuple[int, str]] = []
    reads = found = 0
    try:
        while reads < 300_000 and not wrong:
            index = store.end - 40
            event = store.get(index)
            reads += 1
            if event is not None:
                found += 1
                if event.summary != str(index):
                    wrong.append((index, event.summary))
    finally:
        stop.set()
        writer.join()
        sys.setswitchinterval(interval)
    assert store.evicted > 10_000, "the premise: eviction ran all along"
    assert found > 1000, "the premise: most reads found their event"
    assert not wrong, f"read index {wrong[0][0]} and got event {wrong[0][1]}"


def test_refilter_is_incremental_and_complete() -> None:
    events = parse_file("envoy-text.log") * 2000
    store = EventStore()
    store.extend(events)
    view = View(store, PANES_BY_ID["routing"])
    view.set_query(compile_filter("status:>=500"))
    steps = 0
    while not view.complete:
        view.catch_up(budget_seconds=0.001)
        steps += 1
    assert steps > 1, "a big re-filter is spread over several steps"
    expected = [
        i
        for i, e in enumerate(events)
        if e.category == "routing" and (e.attributes.get("http.response.status_code") or 0) >= 500
    ]
    assert list(view.indices) == expected


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-123456", "abc.def-123456"),
        ("cookie: session=9f8e7d6c; theme=dark", "9f8e7d6c"),
        ("set-cookie=sid=XYZ12345", "XYZ12345"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2ln", "eyJzdWIiOiJib2IifQ"),
        ("GET /cb?code=4/0AX4XfWh&state=1", "4/0AX4XfWh"),
        ("x-api-key: AKIA1234567890", "AKIA1234567890"),
    ],
)
def test_redaction_removes_credentials_and_says_so(text: str, secret: str) -> None:
    out, count = redact_text(text)
    assert secret not in out and "[REDACTED]" in out and count >= 1


def test_redacted_event_keeps_its_shape(validator) -> None:  # type: ignore[no-untyped-def]
    event = parse_file("envoy-text.log")[0].to_dict()
    event["attributes"]["http.request.header.authorization"] = "Bearer abcdefghijk"
    redacted, count = redact_event(event)
    validator.validate(redacted)
    assert count == 1 and redacted["attributes"]["meshtail.redacted"] == 1
    assert event["attributes"]["http.request.header.authorization"] == "Bearer abcdefghijk", "the original is kept"


def test_export_is_atomic_and_refuses_to_clobber(tmp_path: Path, validator) -> None:  # type: ignore[no-untyped-def]
    events = parse_file("envoy-text.log")
    target = tmp_path / "out.jsonl"
    result = export_jsonl(events, target)
    assert result.count == len(events)
    for line in target.read_text().splitlines():
        validator.validate(json.loads(line))
    with pytest.raises(ExportError, match="exists"):
        export_jsonl(events[:1], target)

    def failing():  # type: ignore[no-untyped-def]
        yield events[0]
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="no space left"):
        export_jsonl(failing(), target, overwrite=True)
    assert len(target.read_text().splitlines()) == len(events), "the old file is intact"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"], "no partial file is left behind"


def test_profiles_round_trip_and_report_file_line_key(tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    save(Profile("shop", "ns:shop outcome:deny", ["auth", "all"], {"auth": ["time", "route"]}, "", ["shop"]), path)
    profiles, problems = load(path)
    assert not problems and profiles["shop"].columns == {"auth": ["time", "route"]}
    assert set(BUILTINS) <= set(profiles)
    path.write_text(path.read_text() + '\n[profiles.bad]\nfilter = "status:403 ("\ncolour = "red"\n')
    profiles, problems = load(path)
    assert "shop" in profiles and "bad" not in profiles
    line = path.read_text().splitlines().index('colour = "red"') + 1
    assert problems == [
        f"{path}:{line}: profile 'bad', key 'colour': unknown key (known: columns, context, description, "
        "filter, loki, namespaces, panes, selector)"
    ]
    assert delete("shop", path) and "shop" not in load(path)[0]
    path.write_text("[profiles\n")
    profiles, problems = load(path)
    assert "denials" in profiles and "invalid TOML" in problems[0] and "line 1" in problems[0]


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs (unwritable even for root)")
def test_export_to_an_unwritable_place_says_so(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot write /sys/meshtail\.jsonl: permission denied"):
        export_jsonl(parse_file("envoy-text.log"), "/sys/meshtail.jsonl")


@pytest.mark.skipif(not Path("/proc/sys/kernel").is_dir(), reason="needs Linux procfs")
def test_export_into_a_folder_that_makes_no_files_names_the_folder(tmp_path: Path) -> None:
    """/proc answers ENOENT for a new file in a folder that is there: "the folder does not exist" was untrue."""
    assert Path("/proc/sys/kernel").is_dir(), "the premise: the folder exists"
    with pytest.raises(ExportError, match=r"x\.jsonl: no file can be created in /proc/sys/kernel"):
        export_jsonl(parse_file("envoy-text.log"), "/proc/sys/kernel/x.jsonl")
    with pytest.raises(ExportError, match=r"the folder does not exist"):
        export_jsonl(parse_file("envoy-text.log"), tmp_path / "missing" / "x.jsonl")
