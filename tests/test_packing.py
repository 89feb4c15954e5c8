"""One event protocol, built lazily: whatever path an event takes, what a user reads is what an eager parse makes.

The differential tests run every line of the test data both ways — expanded at once,
read attribute by attribute first, stored and read back — and require identical JSON.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

from meshtail.events import AuditEvent, RawLine, Source
from meshtail.parse.detect import StreamParser, compile_formats
from meshtail.query import compile_filter
from meshtail.sources.health import health_event
from meshtail.storage.packing import Packer
from meshtail.storage.store import EventStore
from meshtail.storage.views import PANES_BY_ID, View

from .conftest import lines

RECEIVED = "2026-01-01T00:00:00.000000Z"
DATA = Path(__file__).parent / "data"


def _events(texts: list[str], source: Source, parser: StreamParser | None = None, stamp: str | None = None):
    parser = parser or StreamParser()
    out = []
    for number, text in enumerate(texts, 1):
        src = Source(source.kind, source.namespace, source.pod, source.container, source.path, number)
        out.append(parser.parse(RawLine(text, src, RECEIVED, stamp)))
    return out


def _all_lines() -> list[tuple[str, str]]:
    """(file, line) for every line of the test data: the .log files and the corpus."""
    out = [(path.name, line) for path in sorted(DATA.glob("*.log")) for line in lines(path.name)]
    for path in sorted((DATA / "corpus").rglob("*.jsonl")):
        for text in path.read_text("utf-8").splitlines():
            out.append((path.name, json.loads(text)["raw"]))
    return out


ALL_LINES = _all_lines()
ACCESS = [t for t in lines("envoy-text.log") if t.startswith("[")]


def _parse_all(stamp: str | None = None) -> list[AuditEvent]:
    parser = StreamParser()
    return [
        parser.parse(RawLine(text, Source("file", path=name, line=n), RECEIVED, stamp))
        for n, (name, text) in enumerate(ALL_LINES, 1)
    ]


def test_every_line_gives_the_same_json_whichever_way_it_is_read() -> None:
    """Expanded at once, read one attribute at a time first, or stored and read back: identical JSON."""
    eager = [e.to_dict() for e in _parse_all()]
    assert len(eager) >= 100 and sum(e["format"] == "envoy-text" for e in eager) >= 20, "the premise: real lines"

    piecemeal = _parse_all()
    names = sorted({name for event in eager for name in event["attributes"]})
    for event in piecemeal:
        for name in names:  # every attribute through the one-attribute path before the full build
            event.attr(name)
        event.summary  # noqa: B018
    assert [e.to_dict() for e in piecemeal] == eager

    store = EventStore()
    store.extend(_parse_all())
    stored = [event.to_dict() for _, event in store.range(store.base, store.end)]
    assert stored == eager
    assert not any("meshtail.repack_mismatch" in e["attributes"] for e in stored)


def test_one_attribute_reads_agree_with_the_full_build() -> None:
    """The group readers behind `event.attr` (what filters use) give what the attributes say, for every line."""
    fast = _parse_all()
    full = [e.to_dict()["attributes"] for e in _parse_all()]
    # every name any event has, and names only other families have (filters ask for several places)
    names = {name for attrs in full for name in attrs} | {"ztunnel.duration_ms", "k8s.user", "k8s.namespace"}
    accessors = set()
    for event, attrs in zip(fast, full, strict=True):
        compiled = getattr(event._detail, "compiled", None)
        if compiled is None:
            continue
        for name in compiled.accessors:
            accessors.add(name)
            assert event.attr(name) == attrs.get(name), (name, event.raw)
        assert not event.expanded, "reading single attributes did not build the event"
        for name in names:
            assert event.attr(name) == attrs.get(name), (name, event.raw)
    assert {"http.response.status_code", "envoy.duration_ms", "url.path", "envoy.response_flags"} <= accessors


def test_access_lines_are_decided_without_building_attributes() -> None:
    events = _events(ACCESS, Source("file", path="x"))
    assert all(e.format == "envoy-text" and not e.expanded for e in events)
    assert {e.action for e in events} >= {"authz.deny", "route.no_route", "tcp.connection", "http.request"}
    assert all(not e.expanded for e in events), "category, outcome and action came from the deciding groups"


def test_kube_stream_lines_keep_their_kubelet_timestamp_and_pod() -> None:
    """Live lines carry the kubelet timestamp outside the text; `kubectl --prefix` lines name the pod inside it."""
    text = next(t for t in ACCESS if '"GET' in t)
    source = Source("sidecar", "shop", "cart-7d9", "istio-proxy")
    live = _events([text], source, stamp="2026-03-01T10:00:00.123456789Z")[0]
    prefixed = _events([f"[pod/web-1/istio-proxy] {text}"], Source("stdin"))[0]
    in_line = _events([f"2026-03-01T10:00:00.5Z {text}"], Source("stdin"))[0]
    odd = _events([text], source, stamp="2026-03-01T10:00:00+00:00")[0]
    store = EventStore()
    store.extend([live, prefixed, in_line, odd])
    for index, original in enumerate((live, prefixed, in_line, odd)):
        assert store.get(index).to_dict() == original.to_dict()
    assert store.get(0).attributes["k8s.log.timestamp"] == "2026-03-01T10:00:00.123456789Z"
    assert store.get(1).source.pod == "web-1"


def test_custom_format_events_are_read_with_the_same_format() -> None:
    formats = compile_formats(['[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% "%REQ(USER-AGENT)%"'])
    parser = StreamParser(formats)
    original = _events(['[2026-01-01T00:00:00.000Z] GET /admin 403 "curl/8"'], Source("stdin"), parser)[0]
    assert original.format == "envoy-text" and original.attr("http.response.status_code") == 403
    store = EventStore(packer=Packer(formats))
    store.append(original)
    assert store.get(0).to_dict() == original.to_dict()


def test_events_meshtail_makes_are_kept_whole() -> None:
    made = health_event("meshtail.stream.gap", "lost", "warning", attributes={"meshtail.gap.after": "x"})
    store = EventStore()
    store.extend([made, *_events(ACCESS[:2], Source("file", path="x"))])
    assert store.get(0) is made and store.get(1).to_dict()["raw"] == ACCESS[0]


def test_pane_filter_over_stored_events_finds_exactly_the_matches() -> None:
    originals = _events(ACCESS * 20, Source("file", path="x.log"))
    store = EventStore()
    store.extend(originals)
    for query in ("status:403", "duration:>100", "-status:200 method:GET", "denied", "policy:*deny*", ""):
        for pane in ("all", "auth", "routing"):
            view = View(store, PANES_BY_ID[pane], compile_filter(query))
            while not view.complete:
                view.catch_up(1.0)
            matcher = compile_filter(query).matches
            pane_ok = PANES_BY_ID[pane].matches
            expected = [
                i for i, e in enumerate(originals) if pane_ok(store.packer.kinds[store._kind[i]]) and matcher(e)
            ]
            assert list(view.indices) == expected, (query, pane)


def test_eviction_keeps_the_newest_and_counts_the_rest() -> None:
    originals = _events(ACCESS * 5, Source("file", path="x.log"))
    store = EventStore(capacity=7)
    for event in originals:
        store.append(event)
    assert len(store) == 7 and store.base == len(originals) - 7 and store.evicted == len(originals) - 7
    assert store.get(store.base - 1) is None
    assert [e.to_dict() for _, e in store.range(0, store.end)] == [e.to_dict() for e in originals[-7:]]


def test_stored_events_are_invisible_to_the_garbage_collector() -> None:
    """A million stored events must not make every full collection walk them (0.7 s pauses in the TUI)."""

    def tracked_after_storing(copies: int) -> int:
        store = EventStore()
        store.extend(_events(ACCESS * copies, Source("file", path="x.log")))
        gc.collect()
        count = len(gc.get_objects())
        assert store.end == len(ACCESS) * copies
        return count

    tracked_after_storing(1)  # caches warm
    one, many = tracked_after_storing(1), tracked_after_storing(50)
    assert many - one < 20, f"{many - one} more tracked objects for {49 * len(ACCESS)} more events"


def test_raw_lines_are_compressed_in_chunks_and_evicted_with_them() -> None:
    """Past a thousand events the raw lines live in compressed chunks; every event still reads back exactly."""
    from meshtail.storage.store import CHUNK

    originals = _events(ACCESS * 400, Source("file", path="x.log"))  # several chunks' worth
    capacity = len(originals) // 2 + 17
    store = EventStore(capacity=capacity)
    for start in range(0, len(originals), 333):  # in batches, as the ingest thread hands them over
        store.extend(originals[start : start + 333])
    assert sum(chunk.lines is None for chunk in store._chunks) >= 2, "the premise: full chunks were compressed"
    assert len(store._chunks) <= capacity // CHUNK + 2, "chunks wholly evicted were dropped"
    kept = [e.to_dict() for _, e in store.range(store.base, store.end)]
    assert kept == [e.to_dict() for e in originals[-capacity:]]
