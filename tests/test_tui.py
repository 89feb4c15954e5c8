"""The TUI, driven with Pilot: panes, follow/pause, filter, details, marks and export, profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Static

from meshtail.events import AuditEvent, RawLine, Source
from meshtail.ingest import SourceSpec
from meshtail.parse.detect import StreamParser
from meshtail.settings.profiles import Profile
from meshtail.storage.store import EventStore
from meshtail.ui.app import MeshtailApp
from meshtail.ui.commands import palette_commands
from meshtail.ui.detail import DetailScreen
from meshtail.ui.dialogs import ExportScreen, HelpScreen
from meshtail.ui.event_list import EventList

from .conftest import lines

SAMPLE = str(Path(__file__).parent.parent / "samples" / "mesh-sample.log")
SIZE = (180, 40)


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Profiles go to a temporary config dir, never the developer's."""
    path = tmp_path / "config"
    monkeypatch.setenv("MESHTAIL_CONFIG_DIR", str(path))
    return path


def events_from(names: list[str]):  # type: ignore[no-untyped-def]
    parser = StreamParser()
    out = []
    for name in names:
        for number, line in enumerate(lines(name), 1):
            out.append(parser.parse(RawLine(line, Source("file", path=name, line=number), "2026-01-01T00:00:00Z")))
    return out


def events_of(app: MeshtailApp, pane: str) -> list[AuditEvent]:
    """The events a pane currently shows."""
    view = app.main_screen.views[pane]
    return [e for i in view.indices if (e := app.store.get(i)) is not None]


def screen_text(app: MeshtailApp, pane: str | None = None) -> str:
    """What the pane's list shows right now, as plain text."""
    event_list = app.main_screen.list(pane)
    height = event_list.scrollable_content_region.height
    return "\n".join(event_list.render_line(y).text for y in range(height))


async def settle(pilot, app: MeshtailApp) -> None:  # type: ignore[no-untyped-def]
    """Let ingestion finish and every view catch up."""
    for _ in range(100):
        await pilot.pause(0.05)
        if (app.ingest is None or app.ingest.done) and all(v.complete for v in app.main_screen.views.values()):
            break
    await pilot.pause(0.15)


async def test_each_pane_shows_its_category_with_counts_in_the_tabs() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert len(app.store) == 60  # 59 lines and the end-of-input note
        for key, pane, check in [
            ("2", "auth", lambda e: e.category == "auth"),
            ("3", "routing", lambda e: e.category == "routing"),
            ("4", "config", lambda e: e.category == "config"),
            ("5", "violations", lambda e: e.violation),
            ("1", "all", lambda e: True),
        ]:
            await pilot.press(key)
            await pilot.pause(0.2)
            assert app.main_screen.current == pane
            shown = events_of(app, pane)
            assert shown and all(check(e) for e in shown)
            tab = app.query_one(f"#tab-{pane}")
            assert f"{len(shown):,}" in tab.label.plain
        await pilot.press("2")
        await pilot.pause(0.1)
        text = screen_text(app, "auth")
        assert "deny" in text and "→" in text, "auth columns: source → destination and the decision"
        header = app.query_one("#header-auth").render()
        assert "SOURCE → DESTINATION" in str(header) and "POLICY" in str(header)


@pytest.mark.parametrize("query", ["", "synthetic"])
async def test_a_paused_view_keeps_its_events_while_a_full_store_evicts(query: str) -> None:
    """Found by an outside audit: once the store was full, a paused view slid (each eviction moved every position)
    while the bar said PAUSED, and Enter opened whatever event had moved under the cursor.  Both the All pane with
    no filter (the store's own range) and a filtered one (its own index) keep the cursor on its event."""
    from .test_tui_structure import synthetic

    store = EventStore(capacity=200)
    app = MeshtailApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        if query:
            await pilot.press("slash", *query, "enter")
        store.extend(synthetic(n) for n in range(150))
        await pilot.pause(0.3)
        event_list = app.main_screen.list()
        for _ in range(5):
            await pilot.press("up")
        await pilot.pause(0.1)
        held = event_list.current_index()
        assert not event_list.following and held == 144
        store.extend(synthetic(n) for n in range(150, 250))
        assert store.base == 50, "the premise: the store evicted its 50 oldest"
        await pilot.pause(0.4)
        assert event_list.current_index() == held, "the cursor stays on the event the user paused on"
        assert event_list.view.store.get(held).summary == "synthetic event 144"
        top = event_list.view.indices[event_list.scroll_offset.y]
        assert top >= 50, "the rows on screen are held events"
        assert event_list.new_since_pause == 100 and "PAUSED +100 new" in str(app.query_one("#status").render())


async def test_follow_pause_and_new_counter() -> None:
    store = EventStore()
    events = events_from(["envoy-text.log", "istiod.log", "ztunnel.log"])
    assert len(events) >= 14
    app = MeshtailApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        store.extend(events[:10])
        await pilot.pause(0.3)
        event_list = app.main_screen.list()
        assert event_list.following and event_list.cursor == 9
        await pilot.press("up")
        await pilot.pause(0.1)
        assert not event_list.following and event_list.cursor == 8
        store.extend(events[10:14])
        await pilot.pause(0.4)
        assert event_list.cursor == 8, "a paused view stays where the user is"
        assert event_list.new_since_pause == 4
        assert "PAUSED +4 new" in str(app.query_one("#status").render())
        await pilot.press("f")
        await pilot.pause(0.2)
        assert event_list.following and event_list.cursor == 13
        assert "FOLLOW" in str(app.query_one("#status").render())
        await pilot.press("p")
        assert not event_list.following


async def test_filter_bar_live_with_errors_in_place_and_history() -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        total = len(app.main_screen.views["all"])
        await pilot.press("slash", *"status:403")
        await pilot.pause(0.2)
        shown = events_of(app, "all")
        assert 0 < len(shown) < total
        assert all(e.attributes.get("http.response.status_code") == 403 for e in shown)
        await pilot.press("enter")
        assert not app.query_one("#filter-bar").has_class("visible")
        await pilot.press("slash", "ctrl+u", *"status:403 (cat:auth")
        await pilot.pause(0.2)
        error = str(app.query_one("#filter-error").render())
        assert "unclosed '('" in error and "^" in error
        assert app.query_one("#filter").has_class("error")
        assert len(events_of(app, "all")) == len(shown), "a bad filter changes nothing"
        await pilot.press("ctrl+u", "up")
        assert app.query_one("#filter").value == "status:403", "history with up"
        await pilot.press("escape")
        await pilot.press("ctrl+u")  # after escape the list has focus: the key does nothing harmful
        assert app.is_running


async def test_details_show_attributes_explanations_related_hops_and_copy() -> None:
    app = MeshtailApp(store=EventStore())
    events = events_from(["envoy-text.log"])
    app.store.extend(events)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        # the first two lines are the same request seen by two proxies (same x-request-id)
        app.main_screen.list().action_first()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen)
        about = str(app.screen.query_one("#about").render())
        assert "http.request.header.x-request-id" in about and "Same request elsewhere" in about
        assert str(app.screen.query_one("#raw").render()).startswith("[2020-11-25T21:26:18.409Z]")
        await pilot.press("c")
        assert json.loads(app.clipboard)["raw"] == events[0].raw
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_the_details_of_a_huge_line_show_its_start_and_copy_all_of_it() -> None:
    """Found by an outside audit: the details of a 50 MB one-line file took 26 s and 2 GB to lay out and highlight,
    q ignored meanwhile.  Long values are shown cut, saying how much more there is; `c` copies the whole event."""
    from meshtail.ui.detail import SHOWN_CHARACTERS

    line = '[2024-05-01T10:11:12.123Z] "GET /' + "a" * 3_000_000 + ' HTTP/1.1" 200 - via_upstream - "-" 0 1 2 1 "-"'
    parser = StreamParser()
    event = parser.parse(RawLine(line, Source("file", path="big.log", line=1), "2026-01-01T00:00:00Z"))
    app = MeshtailApp(store=EventStore())
    app.store.extend([event])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, DetailScreen)
        raw = str(app.screen.query_one("#raw").render())
        assert len(line) > 40 * SHOWN_CHARACTERS, "the premise: the line is far longer than what is shown"
        assert "more characters" in raw and len(raw) < SHOWN_CHARACTERS + 200
        assert "more characters" in str(app.screen.query_one("#json").render())
        await pilot.press("c")
        assert json.loads(app.clipboard)["raw"] == line
        await pilot.press("q")
        assert not isinstance(app.screen, DetailScreen)


async def test_mark_and_export_jsonl_redacted_by_default(tmp_path: Path, validator) -> None:  # type: ignore[no-untyped-def]
    secret_lines = [
        '[2024-05-01T10:00:00.000Z] "GET /api?access_token=s3cr3t HTTP/1.1" 200 - via_upstream - "-" 0 10 1 1 "-" '
        '"curl/8" "rid-1" "api" "10.0.0.1:80" outbound|80||api.default.svc.cluster.local - 10.0.0.2:80 10.0.0.3:1 - -',
        "2024-05-01T10:00:01.000000Z\twarn\tenvoy jwt\tJWT verification failed for "
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
    ]
    parser = StreamParser()
    store = EventStore()
    store.extend(
        parser.parse(RawLine(t, Source("file", path="s.log", line=i), "2026-01-01T00:00:00Z"))
        for i, t in enumerate(secret_lines, 1)
    )
    store.extend(events_from(["envoy-text.log"]))
    app = MeshtailApp(store=store)
    out = tmp_path / "incident.jsonl"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        await pilot.press("space", "shift+down")  # marks the first two (space moves on; shift extends)
        await pilot.pause(0.1)
        assert len(app.main_screen.marked) == 3
        marked = len(app.main_screen.marked)
        await pilot.press("e")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#path").value = str(out)
        await pilot.click("#export")
        for _ in range(40):
            await pilot.pause(0.05)
            if out.exists():
                break
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ExportScreen)
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(exported) == marked
    for obj in exported:
        validator.validate(obj)
    text = out.read_text()
    assert "s3cr3t" not in text and "eyJzdWIiOiJhbGljZSJ9" not in text
    assert "access_token=[REDACTED]" in text
    assert oct(out.stat().st_mode & 0o777) == "0o600"


async def test_a_path_typed_right_after_e_is_where_the_export_goes(tmp_path: Path, monkeypatch) -> None:
    """Keys pressed as the dialog opens go to the path (an audit typed a name after `e`: the choice of what to
    export took the keys and did nothing with them, and Enter toggled a radio button instead of writing)."""
    monkeypatch.chdir(tmp_path)
    store = EventStore()
    store.extend(events_from(["envoy-text.log"]))
    app = MeshtailApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("e", *"out.jsonl", "enter")  # no pause: typed as a user types
        for _ in range(40):
            await pilot.pause(0.05)
            if (tmp_path / "out.jsonl").exists():
                break
        assert not isinstance(app.screen, ExportScreen), "Enter in the path wrote the file and closed the dialog"
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == len(store)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"], "the typed name replaced the suggested one"


async def test_export_errors_stay_in_the_dialog_and_keep_files_intact(tmp_path: Path) -> None:
    store = EventStore()
    store.extend(events_from(["envoy-text.log"]))
    existing = tmp_path / "existing.jsonl"
    existing.write_text("keep me\n")
    app = MeshtailApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("e")
        await pilot.pause(0.2)
        dialog = app.screen
        for path, expected in [
            (tmp_path, "is a directory"),
            (existing, "exists"),
            (tmp_path / "missing" / "x.jsonl", "the folder does not exist"),
        ]:
            dialog.query_one("#path").value = str(path)
            await pilot.click("#export")
            await pilot.pause(0.3)
            assert expected in str(dialog.query_one("#error").render())
            assert app.screen is dialog
        assert existing.read_text() == "keep me\n"
        dialog.query_one("#overwrite").value = True
        dialog.query_one("#path").value = str(existing)
        await pilot.click("#export")
        await pilot.pause(0.4)
        assert app.screen is not dialog
    assert len(existing.read_text().splitlines()) == len(store), "the whole view when nothing is marked"


async def test_save_and_load_profiles_and_survive_a_corrupt_file(config_dir: Path) -> None:
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.main_screen.set_filter("outcome:deny")
        await pilot.press("S")
        await pilot.pause(0.1)
        await pilot.press(*"my-denials", "enter")
        await pilot.pause(0.2)
    saved = (config_dir / "profiles.toml").read_text()
    assert "[profiles.my-denials]" in saved and 'filter = "outcome:deny"' in saved

    profile = Profile("auth-only", "status:403", ["auth", "violations"])
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]), profile=profile)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.main_screen.current == "auth" and app.main_screen.visible_panes == ["auth", "violations"]
        assert all(v.query.text == "status:403" for v in app.main_screen.views.values())
        await pilot.press("3")  # routing is hidden in this profile
        assert app.main_screen.current == "auth"
        # (found by an outside audit) a view saved with another pane in front opens on that pane
        await pilot.press("5")
        assert app.main_screen.current == "violations"  # the premise
        again = app.main_screen.current_profile("again")
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]), profile=again)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.main_screen.current == "violations" and app.main_screen.visible_panes == ["auth", "violations"]

    (config_dir / "profiles.toml").write_text('[profiles.broken]\nfilter = "x"\npanes = ["nope"]\n')
    from meshtail.settings.profiles import load

    profiles, problems = load()
    app = MeshtailApp(SourceSpec("files", paths=[SAMPLE]), profile_problems=problems)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.is_running and "denials" in profiles
        notes = [n.message for n in app._notifications]
        assert any("profiles.toml:3" in n and "unknown pane 'nope'" in n for n in notes)


async def test_quick_filter_help_and_palette() -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_first()
        await pilot.press("equals_sign")
        await pilot.pause(0.2)
        await pilot.press("enter")  # the first suggestion
        await pilot.pause(0.2)
        assert app.main_screen.views["all"].query.text.startswith(
            ("pod:", "ns:", "status:", "policy:", "request_id:", "action:")
        )
        await pilot.press("question_mark")
        await pilot.pause(0.1)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        names = [name for name, _, _ in palette_commands(app)]
        assert "Export marked or filtered events to JSONL" in names and "Profile: denials" in names
        ids = {line[2] for line in app.key_lines()}
        assert {"app.quit", "filter.open", "export.open", "list.mark", "profile.save"} <= ids


HOSTILE = [
    '[2024-05-01T10:00:00.000Z] "GET /[@click=app.quit]boom[/] HTTP/1.1" 403 - rbac_access_denied_matched_policy'
    '[none] - "-" 0 0 0 - "-" "[bold red]UA[/" "rid-x" "a" "-" inbound|80|| - 10.0.0.2:80 10.0.0.3:1 - -',
    "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m [link=https://evil.example]click[/link] \x1b]8;;https://e/\x07x\x1b]8;;\x07",
    "ok\rfake line overwrite \u202eevil\u202c \x9b31m C1 \x1b]52;c;SGVsbG8=\x07",
    "[/",
    # zero-width and format characters, a TAB, U+061C: none may hide text or move a column
    "hidden\u200bzero\u2060joiner\ufeffbom\u061cmark\ttab\u2028line",
]
UNSAFE_ON_SCREEN = ("\x1b", "\x07", "\x9b", "\u202e", "\r", "\u200b", "\u2060", "\ufeff", "\u061c", "\t", "\u2028")


async def test_hostile_lines_render_literally_and_clicks_do_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hostile.log"
    path.write_bytes("\n".join(HOSTILE).encode() + b"\n")
    app = MeshtailApp(SourceSpec("files", paths=[str(path)]))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for key in "12345":
            await pilot.press(key)
            await pilot.pause(0.1)
            event_list = app.main_screen.list()
            for y in range(event_list.scrollable_content_region.height):
                strip = event_list.render_line(y)
                assert all(bad not in seg.text for seg in strip for bad in UNSAFE_ON_SCREEN)
        await pilot.press("1")
        text = screen_text(app)
        assert "[@click=app.quit]boom[/]" in text, "markup stays literal text"
        assert "\\x1b]0;pwned" in text, "escape sequences are shown as visible escapes"
        assert "hidden\\u200bzero\\u2060joiner\\ufeffbom\\u061cmark\\ttab" in text, "format characters shown"
        # click exactly on the planted [@click=app.quit] — in the list, then in the detail view's text
        event_list = app.main_screen.list()
        rows = [event_list.render_line(y).text for y in range(event_list.scrollable_content_region.height)]
        y = next(i for i, line in enumerate(rows) if "[@click=app.quit]" in line)
        x = rows[y].index("[@click=app.quit]") + 3
        await pilot.click(EventList, offset=(x, y))
        await pilot.pause(0.1)
        assert app.is_running, "clicking the planted action in the list did nothing"
        await pilot.click(EventList, offset=(x, y), times=2)
        await pilot.pause(0.2)
        assert isinstance(app.screen, DetailScreen), "the premise: the hostile event's details are open"
        for widget_id in ("#about", "#raw"):
            widget = app.screen.query_one(widget_id)
            shown = str(widget.render())
            assert not any(bad in shown for bad in UNSAFE_ON_SCREEN)
            lines_shown = shown.split("\n")
            row_at = next(i for i, line in enumerate(lines_shown) if "[@click=app.quit]" in line)
            column = lines_shown[row_at].index("[@click=app.quit]") + 3
            await pilot.click(widget_id, offset=(column + 1, row_at))  # +1: the widget's padding
            await pilot.pause(0.1)
            assert app.is_running and isinstance(app.screen, DetailScreen), f"a click on {widget_id} ran nothing"
        await pilot.press("escape")
        app.notify(app.store.get(app.store.base).summary, markup=False)  # notifications take the text as data
        await pilot.press("e")
        await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.is_running


async def test_a_burst_of_100k_events_keeps_answering_keys() -> None:
    store = EventStore()
    template = events_from(["envoy-text.log", "ztunnel.log", "istiod.log"])
    app = MeshtailApp(store=store)
    async with app.run_test(size=SIZE) as pilot:
        sent = 0
        for round_ in range(20):
            store.extend(template[i % len(template)] for i in range(5000))
            sent += 5000
            await pilot.press("3" if round_ % 2 else "1")
            assert app.main_screen.current == ("routing" if round_ % 2 else "all"), (
                "the key was handled during the burst"
            )
        await pilot.press("up", "up")
        assert not app.main_screen.list().following
        await pilot.press("slash", *"status:>=500", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.main_screen.views[app.main_screen.current].complete:
                break
        assert sent == 100_000 and len(store) == 100_000
        assert app.main_screen.views[app.main_screen.current].complete, "re-filtering 100k events finished in steps"
        assert all(
            e.attributes.get("http.response.status_code", 0) >= 500 for e in events_of(app, app.main_screen.current)
        )


async def test_health_panel_lists_streams_of_the_demo(tmp_path: Path) -> None:
    from meshtail.sources.kube.live import Selection
    from meshtail.ui.dialogs import HealthScreen

    app = MeshtailApp(SourceSpec("demo", selection=Selection(all_namespaces=True), demo_seed=3, demo_rate=100))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(60):
            await pilot.pause(0.1)
            if app.ingest.source is not None and len(app.ingest.source.followers) >= 12:
                break
        await pilot.pause(0.5)
        assert "streams 12 following" in str(app.main_screen.query_one("#status").render())
        await pilot.press("h")
        await pilot.pause(0.2)
        assert isinstance(app.screen, HealthScreen)
        text = str(app.screen.query_one("#health").render())
        assert "istio-system/istiod-" in text and "[discovery]" in text and "following" in text
        await pilot.press("escape")
        assert len(app.main_screen.views["all"]) > 0


async def test_palette_survives_markup_in_a_profile(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "profiles.toml").write_text(
        '[profiles.tricky]\nfilter = \'path:"[/"\'\n\n[profiles.clicky]\nfilter = ""\n'
        'description = "[@click=app.quit]x[/] [bold"\n'
    )
    app = MeshtailApp(store=EventStore())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"profile")
        await pilot.pause(0.5)
        assert app.is_running
        await pilot.click("CommandList", offset=(20, 0))  # whatever was clickable in a description stays text
        await pilot.pause(0.2)
        assert app.is_running
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert app.is_running


async def test_keys_remapped_by_binding_id(config_dir: Path) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "keymap.toml").write_text('"export.open" = "x"\n"no.such.binding" = "y"\n')
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        await pilot.press("x")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ExportScreen)
        assert any("unknown binding id 'no.such.binding'" in n.message for n in app._notifications)


async def test_a_slow_pipe_shows_each_line_while_it_stays_open() -> None:
    """`kubectl logs -f … | meshtail -`: a few lines a second appear while the pipe stays open (no EOF)."""
    import os

    read_end, write_end = os.pipe()
    app = MeshtailApp(SourceSpec("files", paths=["-"], stdin_fd=read_end))
    try:
        async with app.run_test(size=SIZE) as pilot:
            sample = lines("envoy-text.log")[:3]
            for number, line in enumerate(sample, 1):
                os.write(write_end, line.encode() + b"\n")
                for _ in range(100):  # the line shows up while the writer holds the pipe open
                    await pilot.pause(0.05)
                    if len(app.main_screen.views["all"]) >= number:
                        break
                assert len(app.main_screen.views["all"]) == number, f"line {number} of a live pipe is on screen"
            assert app.ingest is not None and not app.ingest.done, "the premise: the pipe is still open"
            assert "GET" in screen_text(app) or "HEAD" in screen_text(app)
    finally:
        os.close(write_end)


SECRET_LINE = (
    '[2024-05-01T10:00:00.000Z] "GET /api?access_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl HTTP/1.1"'
    ' 200 - via_upstream - "-" 0 2 3 2 "-" "curl" "/./" "api" "10.0.0.1:80" outbound|80||api - 10.0.0.2:80'
    " 10.0.0.3:1 - default"
)


async def test_details_and_copy_follow_the_redaction_setting() -> None:
    """The detail screen says "as exported": with redaction on (the default) it and `c` hold no credential."""
    parser = StreamParser()
    event = parser.parse(RawLine(SECRET_LINE, Source("file", path="x", line=1), "2026-01-01T00:00:00Z"))
    assert "eyJzdWIiOiJib2IifQ" in event.raw, "the premise: a credential is in the line"
    for redact in (True, False):
        app = MeshtailApp(store=EventStore(), redact=redact)
        app.store.extend([event])
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
            app.main_screen.list().action_first()
            await pilot.press("enter")
            await pilot.pause(0.2)
            assert isinstance(app.screen, DetailScreen)
            shown = "".join(str(widget.render()) for widget in app.screen.query(Static))
            await pilot.press("c")
            copied = json.loads(app.clipboard)
            if redact:
                assert "eyJzdWIiOiJib2IifQ" not in shown and "[REDACTED]" in shown
                assert "eyJzdWIiOiJib2IifQ" not in json.dumps(copied) and copied["attributes"]["meshtail.redacted"]
            else:
                assert "eyJzdWIiOiJib2IifQ" in shown and "REDACTION OFF" in shown
                assert copied["raw"] == SECRET_LINE


# envoyproxy/envoy#19245: one line of an Envoy debug header dump (each header on its own line), token as posted
HEADER_DUMP_LINE = (
    "'authorization', 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiVVNFUiIsImlzcyI6InNlc3Npb25zLmNvbSIs"
    "InN1YiI6IjYxYjNjNTJhNWQ0MGNkNjY2ZGFkYzcxZSIsImlhdCI6MTYzOTE3MTM3NX0.gt0vMOBYVTGdl9yzrDtLNMid_Wtv6H8gD3cTfhG0EPA'"
)


async def test_the_list_follows_the_redaction_setting_too() -> None:
    """Found by an outside audit: the details screen hid a header dump's bearer token while the list's summary
    showed it (a shared screen, a screenshot). With redaction on no row shows it; turned off, the rows show the line
    as logged, at once."""
    # (found in review) an opaque credential the line names in its own field and repeats elsewhere (here in the
    # path): the export replaces it everywhere, and so must the list
    opaque = (
        '{"start_time":"2024-01-01T00:00:00.000Z","method":"GET","path":"/api/v1?k=opaqueTokenValue12345",'
        '"protocol":"HTTP/1.1","response_code":200,"authorization":"opaqueTokenValue12345",'
        '"upstream_cluster":"outbound|80||api"}'
    )
    parser = StreamParser()
    events = [
        parser.parse(RawLine(line, Source("file", path="x", line=n), "2026-01-01T00:00:00Z"))
        for n, line in enumerate([HEADER_DUMP_LINE, SECRET_LINE, opaque], 1)
    ]
    assert "eyJyb2xlIjoiVVNFUiIs" in events[0].summary, "the premise: the summary carries the token"
    assert "opaqueTokenValue12345" in events[2].summary, "the premise: the summary repeats the credential"
    app = MeshtailApp(store=EventStore())
    app.store.extend(events)
    async with app.run_test(size=(200, 30)) as pilot:
        await pilot.pause(0.3)
        shown = screen_text(app)
        assert "'authorization'" in shown and "/api?access_token=" in shown  # both rows are on screen
        assert "eyJyb2xlIjoiVVNFUiIs" not in shown and "eyJzdWIiOiJib2IifQ" not in shown
        assert "opaqueTokenValue12345" not in shown and "/api/v1?k=" in shown
        assert "[REDACTED]" in shown
        app.action_toggle_redaction()
        await pilot.pause(0.2)
        assert "eyJyb2xlIjoiVVNFUiIs" in screen_text(app)


async def test_quick_filter_on_a_hostile_request_id_selects_only_that_request() -> None:
    """The request id is `/./`: the quick filter used to build `request_id:/./`, a regex matching everything."""
    parser = StreamParser()
    events = [
        parser.parse(RawLine(line, Source("file", path="x", line=n), "2026-01-01T00:00:00Z"))
        for n, line in enumerate([*lines("envoy-text.log"), SECRET_LINE], 1)
    ]
    app = MeshtailApp(store=EventStore())
    app.store.extend(events)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        app.main_screen.list().action_last()
        await pilot.press("equals_sign")
        await pilot.pause(0.2)
        screen = app.screen
        choice = next(i for i, (label, _) in enumerate(screen.choices) if "x-request-id" in label)  # type: ignore[attr-defined]
        for _ in range(choice):
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "request_id" in app.main_screen.views["all"].query.text
        assert [e.raw for e in events_of(app, "all")] == [SECRET_LINE], "only the request with that id"


async def test_the_title_names_the_context_once_it_is_known(demo) -> None:  # type: ignore[no-untyped-def]
    """Found by an outside audit: the title said 'meshtail · current context' for the whole run although the
    context (meshtail-demo) was known once the source had connected."""
    from meshtail.sources.kube.live import Selection

    spec = SourceSpec("kube", kubeconfig=demo.kubeconfig_path, selection=Selection(namespaces=["bookinfo"]))
    app = MeshtailApp(spec)
    async with app.run_test(size=SIZE) as pilot:
        title = app.query_one("#title", Static)
        for _ in range(100):
            await pilot.pause(0.1)
            if app.ingest is not None and app.ingest.context and app.ingest.context in str(title.render()):
                break
        assert app.ingest is not None and app.ingest.context, "the premise: the source connected"
        assert str(title.render()) == f"meshtail · {app.ingest.context}"
        await pilot.press("q")
