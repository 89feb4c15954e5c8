"""meshtail's own health rows in the domain panes: visibly meshtail's, never laid out in the domain columns.

Found by an outside audit driving the TUI under injected faults: in Auth a reconnect read as an auth failure
(``? → load0013-v1-…  failure  the stream broke…``), in Config its verb was ``reconne…`` and the pod its ACTOR,
in Routing the message stood under UPSTREAM CLUSTER with no pod; and ``Config 1,030`` counted 1,008 health rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Static, Tab

from meshtail.events import AuditEvent, Source
from meshtail.sources.health import health_event
from meshtail.storage.store import EventStore
from meshtail.ui.app import MeshtailApp

from .test_tui import events_from, events_of, screen_text

STREAM = Source("meshtail", "load", "load0013-v1-7f9c", "istio-proxy")


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config"
    monkeypatch.setenv("MESHTAIL_CONFIG_DIR", str(path))
    return path


def health() -> list[AuditEvent]:
    return [
        health_event(
            "meshtail.stream.reconnect",
            "the stream broke (ClientPayloadError); reconnecting from 2026-03-01T10:00:00Z",
            "warning",
            STREAM,
        ),
        health_event("meshtail.stream.gap", "lines lost: the pod was deleted", "warning", STREAM),
        health_event("meshtail.watch.problem", "the watch of virtualservices restarted (410 Gone)", "warning"),
    ]


def column_at(header: str, title: str, line: str) -> str:
    """The text of ``line`` under the column titled ``title`` (to the next title's start)."""
    start = header.index(title)
    rest = header[start + len(title) :]
    gap = len(rest) - len(rest.lstrip(" "))
    end = start + len(title) + gap if rest.strip() else len(header)
    return line[start:end].strip()


@pytest.mark.parametrize(
    ("key", "pane", "titles"),
    [
        ("2", "auth", ("SOURCE → DESTINATION", "DECISION")),
        ("3", "routing", ("STATUS", "UPSTREAM CLUSTER")),
        ("4", "config", ("VERB", "ACTOR")),
    ],
)
async def test_a_domain_pane_shows_health_events_as_health_rows(key: str, pane: str, titles: tuple[str, ...]) -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log", "istiod.log", "ztunnel.log"]))
    app.store.extend(health())
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause(0.3)
        await pilot.press(key)
        await pilot.pause(0.3)
        shown = events_of(app, pane)
        assert sum(e.format == "meshtail" for e in shown) == 3, "the premise: the health rows are in the pane"
        assert len(shown) > 3, "the premise: the pane has its own events too"
        header = str(app.query_one(f"#header-{pane}", Static).render())
        lines = [line for line in screen_text(app, pane).split("\n") if line.strip()]
        width = app.main_screen.list(pane).scrollable_content_region.width
        assert all(cell_len(line) == width for line in lines)
        reconnect = next(line for line in lines if "ClientPayloadError" in line)
        gap = next(line for line in lines if "lines lost" in line)
        watch = next(line for line in lines if "410 Gone" in line)
        for line in (reconnect, gap):
            assert "meshtail" in line and "warning" in line
            assert "load/load0013-v1-7f9c[istio-proxy]" in line, f"the row names the stream: {line!r}"
        assert "the stream broke (ClientPayloadError); reconnecting" in reconnect, "the message is whole"
        for line in (reconnect, gap, watch):
            # its time where every row has it, then meshtail's own line: no domain column holds a value of it
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d\d\d", line[2:14]), line
            assert line[15:].startswith("meshtail  warning  "), line
            for title in titles:
                cell = column_at(header, title, line)
                assert cell not in ("failure", "reconnect", "gap", "problem", "? → load0013-v1-7f9c"), (title, line)
        assert "failure" not in reconnect and "? →" not in reconnect


async def test_the_tabs_count_a_panes_own_events_and_its_health_rows_apart() -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["istiod.log"]))
    app.store.extend(health() * 10)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause(0.5)
        app.main_screen.update_tabs()
        own = sum(e.format != "meshtail" for e in events_of(app, "config"))
        assert own, "the premise: the Config pane has config events"
        label = app.query_one("#tab-config", Tab).label.plain
        assert f"Config {own:,} (+30 health)" in label, label
        everything = len(app.main_screen.views["all"])
        assert f"All {everything:,}" in app.query_one("#tab-all", Tab).label.plain
