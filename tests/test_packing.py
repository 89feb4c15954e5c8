"""The store keeps access-log events packed; what a user reads back must be the event that was stored."""

from __future__ import annotations

from meshtail.events import RawLine, Source
from meshtail.packing import PackedEvent, Packer
from meshtail.parse.detect import StreamParser, compile_formats
from meshtail.query import compile_filter
from meshtail.store import EventStore
from meshtail.views import PANES_BY_ID, View

from .conftest import lines

RECEIVED = "2026-01-01T00:00:00.000000Z"


def _events(texts: list[str], source: Source, parser: StreamParser | None = None, stamp: str | None = None):
    parser = parser or StreamParser()
    out = []
    for number, text in enumerate(texts, 1):
        src = Source(source.kind, source.namespace, source.pod, source.container, source.path, number)
        out.append(parser.parse(RawLine(text, src, RECEIVED, stamp)))
    return out


def test_envoy_text_events_read_back_exactly_as_parsed() -> None:
    """Every real access line (all Istio variants, hostile ones too) comes back identical from the store."""
    texts = lines("envoy-text.log")
    # and a hostile one: an OSC 52 clipboard write and Rich markup in the user agent
    hostile = next(t for t in texts if '"curl/' in t).replace('"curl/', '"\x1b]52;c;aGk=\x07[red]curl/', 1)
    texts.append(hostile)
    originals = _events(texts, Source("file", path="envoy-text.log"))
    assert "\\x1b]52" in originals[-1].attributes["user_agent.original"]
    store = EventStore()
    store.extend(originals)
    packed = [event for _, event in store.range(store.base, store.end)]
    assert (
        sum(isinstance(event, PackedEvent) for event in packed)
        == sum(event.format == "envoy-text" for event in originals)
        >= 10
    )
    for original, stored in zip(originals, packed, strict=True):
        assert stored.to_dict() == original.to_dict()
        assert (stored.time, stored.summary, stored.source) == (original.time, original.summary, original.source)
        assert "meshtail.repack_mismatch" not in stored.attributes


def test_kube_stream_lines_keep_their_kubelet_timestamp_and_pod() -> None:
    """Live lines carry the kubelet timestamp outside the text; `kubectl --prefix` lines name the pod inside it."""
    text = next(t for t in lines("envoy-text.log") if t.startswith("[20") and '"GET' in t)
    source = Source("sidecar", "shop", "cart-7d9", "istio-proxy")
    live = _events([text], source, stamp="2026-03-01T10:00:00.123456789Z")[0]
    prefixed = _events([f"[pod/web-1/istio-proxy] {text}"], Source("stdin"))[0]
    in_line = _events([f"2026-03-01T10:00:00.5Z {text}"], Source("stdin"))[0]
    store = EventStore()
    store.extend([live, prefixed, in_line])
    for index, original in enumerate((live, prefixed, in_line)):
        stored = store.get(index)
        assert isinstance(stored, PackedEvent)
        assert stored.to_dict() == original.to_dict()
    assert store.get(0).attributes["k8s.log.timestamp"] == "2026-03-01T10:00:00.123456789Z"
    assert store.get(1).source.pod == "web-1"


def test_custom_format_events_are_read_with_the_same_format() -> None:
    formats = compile_formats(['[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% "%REQ(USER-AGENT)%"'])
    parser = StreamParser(formats)
    original = _events(['[2026-01-01T00:00:00.000Z] GET /admin 403 "curl/8"'], Source("stdin"), parser)[0]
    assert original.format == "envoy-text" and original.attributes["http.response.status_code"] == 403
    store = EventStore(packer=Packer(formats))
    store.append(original)
    assert store.get(0).to_dict() == original.to_dict()


def test_other_formats_are_stored_as_they_are() -> None:
    config = _events(lines("istiod.log")[:5], Source("istiod", "istio-system", "istiod-1", "discovery"))
    store = EventStore()
    store.extend(config)
    assert all(stored is original for (_, stored), original in zip(store.range(0, 5), config, strict=True))


def test_pane_filter_over_packed_events_finds_exactly_the_matches() -> None:
    texts = [t for t in lines("envoy-text.log") if t.startswith("[")]
    originals = _events(texts * 20, Source("file", path="x.log"))
    store = EventStore()
    store.extend(originals)
    for query in ("status:403", "duration:>100", "-status:200 method:GET"):
        view = View(store, PANES_BY_ID["all"], compile_filter(query))
        while not view.complete:
            view.catch_up(1.0)
        matcher = compile_filter(query).matches
        assert list(view.indices) == [i for i, event in enumerate(originals) if matcher(event)], query


def test_stored_records_are_invisible_to_the_garbage_collector() -> None:
    """A million stored events must not make every full collection walk them (0.7 s pauses in the TUI)."""
    import gc

    originals = _events([t for t in lines("envoy-text.log") if t.startswith("[")], Source("file", path="x.log"))
    store = EventStore()
    store.extend(originals)
    gc.collect()
    records = list(store._events)
    assert records and all(type(record) is tuple and not gc.is_tracked(record) for record in records)
