"""Issue 13, "the newcomer's first ten minutes": what a first-time user meets in the TUI.

Help that shows keys as typed and scrolls; keys typed right behind `/` landing in the
filter bar; one filter for every pane with Esc restoring the previous one; Auth and Config
panes that lead with decisions and changes; no stray blocks in rows; small terminals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual import events
from textual.containers import VerticalScroll
from textual.keys import _character_to_key
from textual.scrollbar import ScrollBarRender
from textual.widgets import Button, Footer, Static, Tab
from textual.widgets._footer import FooterKey
from textual.widgets._toast import ToastRack
from textual.widgets._tooltip import Tooltip

from meshtail.events import AuditEvent, Source
from meshtail.ingest import SourceSpec
from meshtail.settings.profiles import Profile
from meshtail.storage.store import EventStore
from meshtail.storage.views import PANES
from meshtail.ui.app import MeshtailApp
from meshtail.ui.detail import DetailScreen
from meshtail.ui.dialogs import ExportScreen, HealthScreen, HelpScreen, QuickFilterScreen, SaveProfileScreen
from meshtail.ui.filter_bar import FilterInput
from meshtail.ui.rows import resolve, row

from .test_tui import SAMPLE, events_from, events_of, screen_text, settle

BLOCKS = "▁▂▃▄▅▆▇"


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Profiles and keymaps go to a temporary config dir, never the developer's."""
    path = tmp_path / "config"
    monkeypatch.setenv("MESHTAIL_CONFIG_DIR", str(path))
    return path


def burst(app: MeshtailApp, text: str) -> None:
    """Send ``text`` as key presses the way a paste or a fast typist over SSH does: all queued at once.

    ``pilot.press`` waits for the app to go idle after every key, which hides the bug: the
    keys behind `/` were routed before `/` had opened the filter bar.
    """
    assert app._driver is not None
    for ch in text:
        key = ch if ch.isalnum() else _character_to_key(ch)
        event = events.Key(key, ch)
        event.set_sender(app)
        app._driver.send_message(event)


def screen_lines(app: MeshtailApp) -> list[str]:
    """The whole screen as composed for the terminal, as plain text lines (what a user sees)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def footer_keys(app: MeshtailApp) -> list[tuple[str, str]]:
    return [(key.key_display, key.description) for key in app.screen.query(FooterKey)]


# ---------------------------------------------------------------- 1. help and footers


async def test_help_shows_keys_as_typed_scrolls_with_a_hint_and_lists_the_palette() -> None:
    app = MeshtailApp(store=EventStore())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        for identifier in ("slash", "equals_sign", "question_mark", "ctrl+p", "escape"):
            assert identifier not in text, f"{identifier!r} is Textual's name, not what anyone types"
        lines = text.split("\n")

        def keys_of(description: str) -> str:
            line = next(line for line in lines if f" {description}" in line)
            return line.split()[0]

        assert keys_of("Filter") == "/" and keys_of("Quick filter from the event") == "="
        assert keys_of("Help") == "?" and keys_of("Command palette: every action, pane, profile") == "Ctrl+P"
        assert any(line.startswith("Esc") and "Cancel edit" in line for line in lines)
        body = app.screen.query_one(VerticalScroll)
        assert body.virtual_size.height > body.scrollable_content_region.height, "the premise: help runs past 24 rows"
        bottom = screen_lines(app)[body.region.bottom]  # the line under the scrolling text
        assert "more" in bottom and "PgDn" in bottom and "Esc" in bottom, f"a visible hint: {bottom!r}"
        await pilot.press("pagedown")
        await pilot.pause(0.2)
        assert body.scroll_y > 0, "the help scrolls from the keyboard"
        assert "lines" in screen_lines(app)[body.region.bottom]
        assert ("Esc", "Close") in footer_keys(app)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, HelpScreen)


async def test_every_screen_says_in_its_footer_how_to_close_it() -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log"]))
    expected = [
        ("question_mark", HelpScreen, ("Esc", "Close")),
        ("h", HealthScreen, ("Esc", "Close")),
        ("e", ExportScreen, ("Esc", "Cancel")),
        ("S", SaveProfileScreen, ("Esc", "Cancel")),
        ("equals_sign", QuickFilterScreen, ("Esc", "Cancel")),
        ("enter", DetailScreen, ("Esc", "Back")),
    ]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        assert ("q", "Quit") in footer_keys(app) and ("?", "Help") in footer_keys(app)
        for key, screen_type, close in expected:
            await pilot.press(key)
            await pilot.pause(0.2)
            assert isinstance(app.screen, screen_type), f"the premise: {key} opened {screen_type.__name__}"
            assert close in footer_keys(app), f"{screen_type.__name__}'s footer: {footer_keys(app)}"
            await pilot.press("escape")
            await pilot.pause(0.2)
            assert len(app.screen_stack) == 1, f"Esc closed {screen_type.__name__}"


# ---------------------------------------------------------------- 2. keys right behind `/`


@pytest.mark.parametrize(
    ("typed", "pane", "value"),
    [
        ("/tmp/qa", "all", "tmp/qa"),  # used to quit the app (the `q`)
        ("/path:x", "all", "path:x"),  # used to pause (`p`) and open Health (`h`)
        ("2/tmp/qa", "auth", "tmp/qa"),  # a pane key, then `/`
        ("4/path:/api/", "config", "path:/api/"),  # a `/` inside the filter is typed, not a second open
    ],
)
async def test_keys_typed_in_one_burst_after_slash_land_in_the_filter_bar(typed: str, pane: str, value: str) -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        assert app.main_screen.current == "all" and app.main_screen.list().following, (
            "the premise: the All pane, following"
        )
        burst(app, typed)
        await pilot.pause(0.3)
        assert app.is_running, "no key behind `/` reached the quit binding"
        assert len(app.screen_stack) == 1, "no key behind `/` opened a screen (Health, export …)"
        assert app.main_screen.current == pane
        assert isinstance(app.focused, FilterInput)
        assert app.query_one(FilterInput).value == value
        assert app.main_screen.list().following, "no key behind `/` paused the list"


# ---------------------------------------------------------------- 3. one filter for every pane


async def test_one_filter_for_every_pane_counts_in_every_tab_and_status_on_every_tab() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot, app)
        before = {p.id: len(app.main_screen.views[p.id]) for p in PANES}
        await pilot.press("2", "slash", *"outcome:deny", "enter")
        await settle(pilot, app)
        assert not app.query_one("#filter-bar").has_class("visible")
        for p in PANES:
            shown = events_of(app, p.id)
            assert all(e.outcome == "deny" for e in shown), p.id
            assert app.main_screen.views[p.id].query.text == "outcome:deny"
        assert (
            len(app.main_screen.views["all"]) < before["all"]
            and len(app.main_screen.views["routing"]) < before["routing"]
        )
        assert len(app.main_screen.views["config"]) < before["config"], (
            "the premise: config had events other than denials"
        )
        app.main_screen.update_tabs()
        for p in PANES:
            label = app.query_one(f"#tab-{p.id}", Tab).label.plain
            assert f" {len(app.main_screen.views[p.id]):,}" in label, f"tab {p.id} counts what its pane shows: {label}"
        for key in "13452":
            await pilot.press(key)
            await pilot.pause(0.1)
            assert "filter: outcome:deny" in str(app.query_one("#status").render()), f"status on pane {key}"


async def test_escape_while_editing_restores_the_previous_filter() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot, app)
        total = len(app.main_screen.views["all"])
        await pilot.press("slash", *"status:403 (cat:auth")
        await pilot.pause(0.2)
        assert app.query_one("#filter").has_class("error"), "the premise: the half-typed filter is an error"
        await pilot.press("escape")
        await settle(pilot, app)
        assert all(v.query.text == "" for v in app.main_screen.views.values())
        assert len(app.main_screen.views["all"]) == total, "the half-typed `status:403` did not stay active"
        assert "filter:" not in str(app.query_one("#status").render())

        await pilot.press("slash", *"status:403", "enter")
        await settle(pilot, app)
        assert app.main_screen.views["all"].query.text == "status:403"
        applied = len(app.main_screen.views["all"])
        await pilot.press("slash", "ctrl+u", *"cat:config")
        await pilot.pause(0.2)
        assert app.main_screen.views["all"].query.text == "cat:config", "the premise: typing applies live"
        await pilot.press("escape")
        await settle(pilot, app)
        assert all(v.query.text == "status:403" for v in app.main_screen.views.values())
        assert len(app.main_screen.views["all"]) == applied
        assert app.query_one(FilterInput).value == "status:403"
        assert not app.query_one("#filter-bar").has_class("visible")


async def test_a_profile_filter_applies_to_every_pane_and_a_saved_one_keeps_it(config_dir: Path) -> None:
    profile = Profile("denied", "outcome:deny", ["auth", "all", "violations"])
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]), profile=profile)
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot, app)
        assert app.main_screen.current == "auth" and all(
            v.query.text == "outcome:deny" for v in app.main_screen.views.values()
        )
        assert all(e.outcome == "deny" for p in PANES for e in events_of(app, p.id))
        await pilot.press("1")
        await pilot.pause(0.1)
        assert "filter: outcome:deny" in str(app.query_one("#status").render())
        assert app.main_screen.current_profile("again").filter == "outcome:deny"
        await pilot.press("slash", "end", *" ns:shop")  # the bar opens with the filter selected
        await pilot.pause(0.1)
        assert app.main_screen.views["all"].query.text == "outcome:deny ns:shop", "the premise: typing applies live"
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert all(v.query.text == "outcome:deny" for v in app.main_screen.views.values()), (
            "Esc goes back to the profile's filter"
        )


# ---------------------------------------------------------------- 4. panes show what their names promise


async def test_auth_and_config_panes_lead_with_decisions_and_changes_and_the_rest_is_a_filter_away() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=(180, 40)) as pilot:
        await settle(pilot, app)
        every = events_of(app, "all")
        lifecycle = [e for e in every if e.category == "auth" and e.action.startswith(("cert.", "sds."))]
        routine = [e for e in lifecycle if e.outcome in ("success", "unknown", "change")]
        chatter = [e for e in every if e.action in ("xds.connect", "xds.request")]
        assert routine and chatter, "the premise: the sample has certificate/SDS lifecycle and xDS connections"
        auth = events_of(app, "auth")
        assert auth and all(e.outcome in ("allow", "deny", "failure") or e.violation for e in auth)
        assert not any(e.action.startswith(("cert.", "sds.")) and e.outcome != "failure" for e in auth)
        assert any(e.action == "cert.failure" for e in auth), "certificate failures stay in"
        config = events_of(app, "config")
        assert config and not any(e.action in ("xds.connect", "xds.request") for e in config)
        assert any(e.action == "xds.reject" for e in config) and any(e.action.startswith("resource.") for e in config)
        app.main_screen.set_filter("cat:auth")
        await settle(pilot, app)
        assert {e.action for e in routine} <= {e.action for e in events_of(app, "all")}, "1 + cat:auth shows all"
        app.main_screen.set_filter("cat:config")
        await settle(pilot, app)
        assert any(e.action == "xds.connect" for e in events_of(app, "all"))


def test_every_pane_shows_times_to_the_millisecond() -> None:
    """A watch's whole-second `resource.observed` used to read `22:51:09Z` beside `22:51:09.720`."""
    times = {
        "2026-11-29T22:51:09Z": "22:51:09.000",
        "2026-11-29T22:51:09.720498Z": "22:51:09.720",
        "2026-11-29T22:51:09.7Z": "22:51:09.700",
        "2024-05-01T10:00:00.000+02:00": "10:00:00.000",
    }
    for stamp, shown in times.items():
        event = AuditEvent(
            time=stamp,
            received=stamp,
            category="config",
            outcome="unknown",
            violation=False,
            severity="info",
            action="resource.observed",
            summary="Gateway shop/waypoint exists",
            format="k8s-watch",
            source=Source("kube"),
            attributes={"k8s.kind": "Gateway", "k8s.name": "waypoint", "k8s.namespace": "shop"},
        )
        for pane in PANES:
            text = row(event, resolve(pane.columns, pane.id), 120).plain
            assert text[2:14] == shown, (pane.id, stamp, text[:20])


# ---------------------------------------------------------------- 5. rendering


async def test_no_partial_block_glyphs_beside_the_rows_or_in_the_detail_view() -> None:
    store = EventStore()
    template = events_from(["envoy-text.log", "istiod.log"])
    store.extend(template[i % len(template)] for i in range(500))
    app = MeshtailApp(store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        event_list = app.main_screen.list()
        for steps in range(1, 40):
            event_list.scroll_to(y=steps * 7 + 3, animate=False, immediate=True)
            bar = event_list.vertical_scrollbar
            size = bar.size.height
            old = ScrollBarRender.render_bar(
                size, bar.window_virtual_size, bar.window_size, bar.position, bar.thickness, True
            )
            if any(ch in segment.text for segment in old.segments for ch in BLOCKS):
                break
        else:
            pytest.fail("the premise: Textual's default scrollbar draws a partial block at some position")
        await pilot.pause(0.1)
        region = event_list.region
        for line in screen_lines(app)[region.y : region.bottom]:
            assert not any(ch in line for ch in BLOCKS), f"a stray block beside a row: {line!r}"
        app.main_screen.list().action_first()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        for y in range(0, 60, 3):
            app.screen.query_one("VerticalScroll").scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause(0.02)
            lines = screen_lines(app)
            assert not any(ch in line for line in lines for ch in BLOCKS), "a stray block in the detail view"


async def test_long_values_in_the_detail_view_wrap_under_their_column() -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log"]))
    async with app.run_test(size=(80, 50)) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DetailScreen)
        value = "outbound|8000||httpbin.foo.svc.cluster.local"
        lines = screen_lines(app)
        key = "envoy.upstream_cluster"
        at = next(i for i, line in enumerate(lines) if key in line)
        after = lines[at][lines[at].index(key) + len(key) :]
        assert after.strip(), f"the value starts on its key's line: {lines[at]!r}"
        column = lines[at].index(key) + len(key) + len(after) - len(after.lstrip())
        assert value not in lines[at], "the premise: the value is too long for the line at 80 columns"
        rest = lines[at + 1]
        assert rest[:column].strip() == "", f"the continuation starts under the value column: {rest!r}"
        assert (lines[at][column:].strip() + rest.strip()) == value


# ---------------------------------------------------------------- 6. small terminals


async def test_at_80x24_the_auth_pane_keeps_decision_and_policy_and_every_tab_is_on_screen() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        await pilot.pause(0.3)
        header = str(app.query_one("#header-auth").render())
        assert "DECISION" in header and "POLICY" in header
        text = screen_text(app, "auth")
        assert "deny" in text and "allow" in text
        width = app.main_screen.list("auth").scrollable_content_region.width
        shown = [line for line in text.split("\n") if line.strip()]
        assert shown and all(cell_len(line) == width for line in shown)
        assert "…" in text, "values too long for their column end in …"
        for p in PANES:
            tab = app.query_one(f"#tab-{p.id}", Tab)
            assert tab.region.x >= 0 and tab.region.right <= 80, f"tab {p.key} is on screen: {tab.region}"
            assert p.title in tab.label.plain
        await pilot.press("5")
        await pilot.pause(0.1)
        assert app.main_screen.current == "violations"


async def test_at_40x12_the_auth_pane_shows_decision_and_policy() -> None:
    """An operator in a split terminal still sees who was denied and why: TIME, DECISION and POLICY stay (an audit
    found POLICY left out at 40 columns once the list had a scrollbar, its DECISION column stretched instead)."""
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log", "envoy-component.log", "ztunnel.log"]))
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("2")
        await pilot.pause(0.3)
        lst = app.main_screen.list("auth")
        assert len(app.main_screen.views["auth"]) > lst.size.height, "the premise: the list scrolls"
        assert lst.scrollable_content_region.width < 40, "the premise: a scrollbar takes its columns"
        title = str(app.screen.query_one("#header-auth", Static).render())
        assert "TIME" in title and "DECISION" in title and "POLICY" in title, title
        shown = screen_text(app, "auth")
        policies = [e.attributes.get("istio.policy") for e in events_of(app, "auth")]
        assert any(p and p[:6] in shown for p in policies), f"a policy's name is on screen:\n{shown}"


async def test_at_60x15_dialogs_fit_and_the_export_buttons_can_be_pressed(tmp_path: Path) -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log"]))
    async with app.run_test(size=(60, 15)) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        for key in ("e", "S", "equals_sign", "question_mark", "h"):
            await pilot.press(key)
            await pilot.pause(0.3)
            assert len(app.screen_stack) == 2, f"the premise: {key} opened a dialog"
            boxes = [w for w in app.screen.children if w.display and not isinstance(w, (Footer, ToastRack, Tooltip))]
            assert boxes, f"the premise: {key}'s dialog has a box"
            for box in (w.region for w in boxes):
                assert box.x >= 0 and box.y >= 0 and box.right <= 60 and box.bottom <= 14, f"{key}: {box}"
            await pilot.press("escape")
            await pilot.pause(0.2)
        await pilot.press("e")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ExportScreen)
        for button_id in ("#export", "#cancel"):
            button = app.screen.query_one(button_id, Button)
            region = button.region
            assert region.bottom <= 14 and region.right <= 60, f"{button_id} is on screen: {region}"
            widget, _ = app.screen.get_widget_at(region.x + region.width // 2, region.y + 1)
            assert widget is button, f"{button_id} is not covered"
        app.screen.query_one("#path").value = str(tmp_path / "out.jsonl")
        await pilot.click("#export")
        await pilot.pause(0.5)
        assert (tmp_path / "out.jsonl").exists() and len(app.screen_stack) == 1
