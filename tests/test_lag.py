"""Saying when meshtail is behind: the kubelet's time of each stream's newest line against when it was read."""

from __future__ import annotations

from pathlib import Path

from meshtail.events import RawLine, Source
from meshtail.lag import Lag, epoch
from meshtail.pipeline import Pipeline

from .conftest import lines
from .test_loki_source import loki

__all__ = ["loki"]  # the Loki stand-in fixture

ACCESS = next(t for t in lines("envoy-text.log") if t.startswith("[20"))


def _line(received: str, stamp: str, pod: str = "cart-1") -> RawLine:
    return RawLine(ACCESS, Source("sidecar", "shop", pod, "istio-proxy"), received, stamp)


def test_epoch_reads_every_precision() -> None:
    assert epoch("2026-03-01T10:00:00Z") == epoch("2026-03-01T10:00:00.000000000Z")
    assert abs(epoch("2026-03-01T10:00:01.5Z") - epoch("2026-03-01T10:00:00.000000Z") - 1.5) < 1e-6  # type: ignore[operator]
    assert epoch("not a time") is None


def test_falling_behind_and_catching_up_are_events(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import meshtail.lag as lag_module

    seen = []
    pipeline = Pipeline(seen.append)
    # the lines were read 8 s after the kubelet wrote them: meshtail is behind
    monkeypatch.setattr(lag_module.time, "time", lambda: epoch("2026-03-01T10:00:09.000000Z"))
    pipeline.line(_line("2026-03-01T10:00:08.000000Z", "2026-03-01T10:00:00.000000000Z"))
    pipeline.line(_line("2026-03-01T10:00:08.500000Z", "2026-03-01T10:00:08.400000000Z", pod="web-1"))
    lag = pipeline.lag.check()
    assert 7.9 < lag.overall < 8.1 and lag.worst == ("shop", "cart-1", "istio-proxy", None)
    behind = [e for e in seen if e.action == "meshtail.ingest.behind"]
    assert len(behind) == 1 and "8.0s behind" in behind[0].summary and "shop/cart-1" in behind[0].summary
    pipeline.lag.check()
    assert len([e for e in seen if e.action == "meshtail.ingest.behind"]) == 1, "said once, not every second"
    # it catches up
    pipeline.line(_line("2026-03-01T10:00:08.600000Z", "2026-03-01T10:00:08.550000000Z"))
    lag = pipeline.lag.check()
    assert lag.overall < 1
    caught = [e for e in seen if e.action == "meshtail.ingest.caught_up"]
    assert len(caught) == 1 and "at most 8.0s" in caught[0].summary


async def test_the_status_bar_and_health_panel_show_the_lag(tmp_path: Path) -> None:
    from meshtail.ingest import SourceSpec
    from meshtail.ui.app import MeshtailApp

    log = tmp_path / "a.log"
    log.write_text(ACCESS + "\n")
    app = MeshtailApp(SourceSpec("files", paths=[str(log)]))
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause(0.3)
        assert app.ingest is not None
        app.ingest.lag = Lag(
            12.5, ("shop", "cart-1", "istio-proxy", None), {("shop", "cart-1", "istio-proxy", None): 12.5}
        )
        app.main_screen.update_status()
        await pilot.pause(0.1)
        status = str(app.query_one("#status").render())
        assert "lag 12.5s (shop/cart-1[istio-proxy])" in status


def test_lokis_delay_for_is_not_meshtail_falling_behind(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Loki's tail holds every entry ``delay_for`` seconds on purpose: a line read 6 s after it was written
    through a tail with ``delay_for`` 2 is 4 s behind on meshtail's part, under the 5 s that makes an event."""
    import meshtail.lag as lag_module
    from meshtail.sources.loki import LokiClient, LokiConfig, LokiOptions, LokiSelection, LokiSource

    seen = []
    pipeline = Pipeline(seen.append)
    monkeypatch.setattr(lag_module.time, "time", lambda: epoch("2026-03-01T10:00:06.500000Z"))
    pipeline.line(_line("2026-03-01T10:00:06.000000Z", "2026-03-01T10:00:00.000000000Z"))
    assert 5.9 < pipeline.lag.measure().overall < 6.1, "premise: 6 s between written and read"
    client = LokiClient(LokiConfig.from_args("http://127.0.0.1:9", env={}))  # (not opened: nothing is read)
    source = LokiSource(client, LokiSelection(), pipeline.line, pipeline.event, LokiOptions(follow=True, delay_for=2))
    pipeline.lag.allowance = source.lag_allowance
    lag = pipeline.lag.check()
    assert 3.9 < lag.overall < 4.1 and not [e for e in seen if e.action == "meshtail.ingest.behind"]


async def test_a_history_read_before_the_first_look_is_not_a_lag(loki, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``tail --loki``: a short history (here a minute old) is read before the first once-a-second look, then
    the tail is quiet: its lines' age must not read as meshtail being a minute behind."""
    import io
    import json
    import time

    from meshtail.commands.live import LiveRun, run_live
    from meshtail.commands.loki_args import LokiRun
    from meshtail.sources.loki import LokiConfig, LokiOptions, LokiSelection

    from .test_loki_source import DENIED, PROMTAIL

    now = time.time_ns()
    for i in range(20):
        loki.push({**PROMTAIL, "pod": "reviews-v1-x"}, now - 60 * 10**9 + i * 10**6, DENIED)
    run = LiveRun(
        output="jsonl",
        quiet=True,
        duration=2.5,
        loki=LokiRun(LokiConfig.from_args(loki.url, env={}), LokiSelection(), LokiOptions(start_ns=now - 120 * 10**9)),
    )
    out = io.StringIO()  # (no file descriptor: parsed in this process)
    assert await run_live(run, out) == 0
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sum(1 for w in written if "rbac" in json.dumps(w)) == 20, "premise: the history was read"
    assert "meshtail.ingest.behind" not in [w.get("action") for w in written]


def _at(monkeypatch, stamp: str) -> None:  # type: ignore[no-untyped-def]
    import meshtail.lag as lag_module

    monkeypatch.setattr(lag_module.time, "time", lambda: epoch(stamp))


def test_a_stream_reading_its_backlog_after_a_reconnect_is_not_meshtail_being_slow(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An audit (hang/stall faults): a stream that hung was reconnected and read what was written meanwhile;
    its lines were 8 s old, and meshtail said 'lines arrive faster than they are processed'.  It was idle."""
    from meshtail.sources.health import health_event

    seen = []
    pipeline = Pipeline(seen.append)
    monkeypatch.setattr(pipeline.lag, "load", lambda: 0.1, raising=False)  # not busy
    _at(monkeypatch, "2026-03-01T10:00:01.000000Z")
    pipeline.line(_line("2026-03-01T10:00:00.900000Z", "2026-03-01T10:00:00.800000000Z"))
    assert pipeline.lag.check().overall < 1
    source = Source("meshtail", "shop", "cart-1", "istio-proxy")
    pipeline.event(health_event("meshtail.stream.stall", "no output for 2s; reconnecting", "warning", source))
    _at(monkeypatch, "2026-03-01T10:00:09.500000Z")
    pipeline.line(_line("2026-03-01T10:00:09.000000Z", "2026-03-01T10:00:01.000000000Z"))
    lag = pipeline.lag.check()
    (behind,) = [e for e in seen if e.action == "meshtail.ingest.behind"]
    assert "faster than they are processed" not in behind.summary
    assert lag.overall > 7.9 and lag.worst in lag.catching_up
    assert "catching up" in behind.summary and "shop/cart-1[istio-proxy]" in behind.summary
    assert behind.attributes["meshtail.ingest.cause"] == "backlog"
    from meshtail.lag import describe

    assert describe(lag) == "lag 8.0s (shop/cart-1[istio-proxy] catching up)"


def test_faster_than_processed_is_said_only_when_meshtail_is_busy(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for load, cause in ((0.97, "processing"), (0.2, "arrival")):
        seen = []
        pipeline = Pipeline(seen.append)
        monkeypatch.setattr(pipeline.lag, "load", lambda load=load: load, raising=False)
        _at(monkeypatch, "2026-03-01T10:00:09.000000Z")
        pipeline.line(_line("2026-03-01T10:00:08.000000Z", "2026-03-01T10:00:00.000000000Z"))
        pipeline.lag.check()
        (behind,) = [e for e in seen if e.action == "meshtail.ingest.behind"]
        assert behind.attributes["meshtail.ingest.cause"] == cause
        assert ("faster than they are processed" in behind.summary) == (cause == "processing"), behind.summary


def test_the_lag_clears_when_no_lines_arrive(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An audit: 'lag 5.2s' stayed on the status bar with no traffic at all, and no caught_up followed: the
    newest line's age was kept for 30 s.  A stream that sends nothing has nothing waiting: it is not behind."""
    seen = []
    pipeline = Pipeline(seen.append)
    monkeypatch.setattr(pipeline.lag, "load", lambda: 0.1, raising=False)
    _at(monkeypatch, "2026-03-01T10:00:08.200000Z")
    pipeline.line(_line("2026-03-01T10:00:08.000000Z", "2026-03-01T10:00:00.000000000Z"))
    assert pipeline.lag.check().overall > 7.9
    _at(monkeypatch, "2026-03-01T10:00:15.000000Z")  # 7 s without a line
    lag = pipeline.lag.check()
    assert lag.overall == 0.0 and lag.streams  # (the streams are still known: the status bar says "lag 0.0s")
    caught = [e for e in seen if e.action == "meshtail.ingest.caught_up"]
    assert len(caught) == 1 and "at most 8.0s" in caught[0].summary
