"""Issue 13, the developer side: a main screen of its own, widgets that post messages, export off the UI thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.message import Message
from textual.worker import Worker

from meshtail.events import AuditEvent, Source
from meshtail.storage.store import EventStore
from meshtail.ui.app import MeshtailApp
from meshtail.ui.dialogs import ExportScreen
from meshtail.ui.filter_bar import FilterBar
from meshtail.ui.main_screen import MainScreen

from .test_tui import SIZE, events_from


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Profiles and keymaps go to a temporary config dir, never the developer's."""
    path = tmp_path / "config"
    monkeypatch.setenv("MESHTAIL_CONFIG_DIR", str(path))
    return path


# ---------------------------------------------------------------- the filter bar: messages up


class BareApp(App[None]):
    """Nothing but a filter bar: what it does, it says with messages."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[Message] = []

    def compose(self) -> ComposeResult:
        yield FilterBar()

    def on_mount(self) -> None:
        bar = self.query_one(FilterBar)
        bar.open()
        bar.input.focus()

    @on(FilterBar.Changed)
    @on(FilterBar.Applied)
    @on(FilterBar.Cancelled)
    def _record(self, message: Message) -> None:
        self.got.append(message)


async def test_the_filter_bar_works_in_any_app_it_only_posts_messages() -> None:
    app = BareApp()
    async with app.run_test() as pilot:
        await pilot.press("a", "b", "enter", "escape")
        await pilot.pause(0.1)
        got = [(type(m).__name__, getattr(m, "text", None)) for m in app.got]
        assert got == [("Changed", "a"), ("Changed", "ab"), ("Applied", "ab"), ("Cancelled", None)]
        assert all(m.control is app.query_one(FilterBar) for m in app.got)  # type: ignore[attr-defined]


async def test_the_main_screen_applies_what_the_filter_bar_posts_and_esc_restores() -> None:
    app = MeshtailApp(store=EventStore())
    app.store.extend(events_from(["envoy-text.log", "istiod.log"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        main = app.main_screen
        assert app.screen_stack[0] is main and isinstance(main, MainScreen)
        assert not any(hasattr(app, name) for name in ("set_filter", "action_open_filter", "action_cancel_filter"))
        bar = main.query_one(FilterBar)
        posted: list[Message] = []
        post = bar.post_message

        def spy(message: Message) -> bool:
            if isinstance(message, (FilterBar.Changed, FilterBar.Applied, FilterBar.Cancelled)):
                posted.append(message)  # what the bar says (the bar is also sent keys, focus …)
            return post(message)

        bar.post_message = spy  # type: ignore[method-assign]
        total = len(main.views["all"])
        await pilot.press("slash", *"status:403", "enter")
        await pilot.pause(0.1)
        applied = [m for m in posted if isinstance(m, FilterBar.Applied)]
        assert [m.text for m in applied] == ["status:403"], "Enter posted the filter"
        assert [m.text for m in posted if isinstance(m, FilterBar.Changed)][-1] == "status:403", "typing posted it live"
        assert all(v.query.text == "status:403" for v in main.views.values()), "the screen applied it to every pane"
        assert 0 < len(main.views["all"]) < total
        assert not bar.is_open and main.focused is main.list(), "the bar closed and the list has the keys"

        await pilot.press("slash", "ctrl+u", *"cat:auth")
        await pilot.pause(0.1)
        assert main.filter_text == "cat:auth", "the premise: typing applies live"
        posted.clear()
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert [type(m) for m in posted] == [FilterBar.Cancelled]
        assert all(v.query.text == "status:403" for v in main.views.values()), "Esc put the applied filter back"
        assert bar.input.value == "status:403" and not bar.is_open
        assert main.focused is main.list()


# ---------------------------------------------------------------- export: a thread worker


def synthetic(n: int) -> AuditEvent:
    """An event meshtail made itself (no line): the store keeps it whole, so a test can hold many quickly."""
    return AuditEvent(
        time=f"2026-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        received="2026-01-01T00:00:00.000Z",
        category="config",
        outcome="unknown",
        violation=False,
        severity="info",
        action="resource.observed",
        summary=f"synthetic event {n}",
        format="k8s-watch",
        source=Source("kube"),
        attributes={"k8s.kind": "ConfigMap", "k8s.name": f"cm-{n}", "k8s.namespace": "shop"},
    )


class Gate:
    """Wraps ``store.get``: the export worker's reads are counted, and the ``stop_at``-th waits for :meth:`open`."""

    def __init__(self, store: EventStore, stop_at: int) -> None:
        self.get = store.get
        self.stop_at = stop_at
        self.reads = 0
        self.threads: set[int] = set()
        self.reached = threading.Event()
        self.release = threading.Event()
        self.ui_thread = threading.get_ident()
        store.get = self  # type: ignore[method-assign]

    def __call__(self, index: int) -> AuditEvent | None:
        if threading.get_ident() != self.ui_thread:
            self.threads.add(threading.get_ident())
            self.reads += 1
            if self.reads == self.stop_at:
                self.reached.set()
                self.release.wait(60)
        return self.get(index)

    def open(self) -> None:
        self.release.set()


def export_worker(app: MeshtailApp) -> Worker[None] | None:
    """The dialog's export worker, while it runs."""
    return next((w for w in app.workers if w.group == "export"), None)


async def test_an_export_of_200k_events_runs_in_a_worker_while_the_ui_answers(tmp_path: Path) -> None:
    store = EventStore()
    distinct = [synthetic(n) for n in range(1000)]
    store.extend(distinct[i % 1000] for i in range(200_000))
    gate = Gate(store, stop_at=100_000)
    app = MeshtailApp(store=store)
    out = tmp_path / "everything.jsonl"
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
            main = app.main_screen
            await pilot.press("e")
            await pilot.pause(0.2)
            dialog = app.screen
            assert isinstance(dialog, ExportScreen)
            assert len(dialog.request.view) == 200_000
            dialog.query_one("#path").value = str(out)  # type: ignore[attr-defined]
            await pilot.click("#export")
            for _ in range(600):
                if gate.reached.is_set():
                    break
                await pilot.pause(0.05)
            assert gate.reached.is_set(), "the worker read half the events"

            # the worker is held half way: the UI thread goes on handling keys and timers
            assert "exporting…" in str(dialog.query_one("#error").render())
            focused = app.focused
            await pilot.press("tab")
            assert app.focused is not focused, "a key press was handled while the export runs"
            ticks = main._ticks
            store.extend(distinct[:10])
            for _ in range(100):
                await pilot.pause(0.05)
                if main._ticks > ticks and len(main.views["all"]) == 200_010:
                    break
            assert main._ticks > ticks, "the main screen's timer ticked"
            assert len(main.views["all"]) == 200_010, "and its views took in new events meanwhile"
            assert app.screen is dialog and not out.exists()

            gate.open()
            for _ in range(600):
                if app.screen is not dialog and app._notifications:
                    break
                await pilot.pause(0.05)
            assert app.screen is not dialog, "the dialog closed when the file was written"
            assert any("Exported 200000 events" in n.message for n in app._notifications)
    finally:
        gate.open()
    assert gate.threads and gate.ui_thread not in gate.threads, "the events were read off the UI thread"
    with out.open() as handle:
        assert sum(1 for _ in handle) == 200_000, "every event of the view when `e` was pressed, no more"


async def test_esc_cancels_an_export_under_way_and_leaves_no_file(tmp_path: Path) -> None:
    store = EventStore()
    store.extend(synthetic(n) for n in range(5000))
    gate = Gate(store, stop_at=1000)
    app = MeshtailApp(store=store)
    out = tmp_path / "out" / "cancelled.jsonl"
    out.parent.mkdir()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.3)
            await pilot.press("e")
            await pilot.pause(0.2)
            dialog = app.screen
            assert isinstance(dialog, ExportScreen)
            dialog.query_one("#path").value = str(out)  # type: ignore[attr-defined]
            await pilot.click("#export")
            for _ in range(600):
                if gate.reached.is_set():
                    break
                await pilot.pause(0.05)
            assert gate.reached.is_set()
            worker = export_worker(app)
            assert worker is not None and worker.is_running
            assert [p.suffix for p in out.parent.iterdir()] == [".partial"], "the premise: the file is being written"
            await pilot.press("escape")
            await pilot.pause(0.1)
            assert app.screen is not dialog
            assert worker.is_cancelled
            gate.open()  # the worker sees it was cancelled at its next event, and export_jsonl cleans up
            for _ in range(200):
                if not any(out.parent.iterdir()):
                    break
                await pilot.pause(0.05)
            assert not any("Exported" in n.message for n in app._notifications)
    finally:
        gate.open()
    assert list(out.parent.iterdir()) == [], "neither the file nor a partial one"
