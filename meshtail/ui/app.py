"""The meshtail TUI app: the store and its ingest thread, profiles, keys, redaction, and the screens on top.

The main view (tabs, panes, filter bar, status line) is :class:`~meshtail.ui.main_screen.MainScreen`,
the first screen on the stack; dialogs and the details are pushed over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
import threading
import time
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.scrollbar import ScrollBar, ScrollBarRender

from ..ingest import Ingest, SourceSpec
from ..settings.keymap import key_label, load_keymap
from ..settings.profiles import Profile
from ..settings.profiles import load as load_profiles
from ..sinks.export import ExportResult
from ..storage.store import EventStore
from ..text import visible
from .commands import MeshtailCommands
from .detail import DetailScreen
from .dialogs import ExportScreen, HealthScreen, HelpScreen, SaveProfileScreen, help_notes
from .event_list import EventList
from .filter_bar import FilterBar, FilterInput
from .health import health_text
from .main_screen import MainScreen


class WholeCellScrollBar(ScrollBarRender):
    """Scrollbar thumbs drawn in whole cells.

    Textual draws a thumb's ends with eighth-block glyphs (``▁▂▃▄▅▆▇``) for sub-cell
    precision.  At the right edge of the event list and of the detail view they read as
    stray sparkline blocks (``▂▂``, ``▇▇``) inside the rows: in a terminal with few
    colours, and in any text copied or captured from the screen.
    """

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


SIGNAL_GRACE = 5.0  # seconds an orderly exit gets after SIGTERM/SIGHUP before the process ends regardless


# what Textual's driver undoes on an orderly exit: the alternate screen, the hidden cursor, mouse and paste modes
_TERMINAL_RESET = b"\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[<u"
_COOKED: list[Any] = []  # the terminal's modes before the screen took it, when stdin is one


def _exit_after(seconds: float, status: int) -> None:
    time.sleep(seconds)
    with contextlib.suppress(OSError, ValueError):
        os.write(sys.__stdout__.fileno(), _TERMINAL_RESET)  # type: ignore[union-attr]
    if _COOKED:
        with contextlib.suppress(OSError, ValueError, termios.error):
            termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, _COOKED[0])  # type: ignore[union-attr]
    os._exit(status)


class MeshtailApp(App[None]):
    TITLE = "meshtail"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {MeshtailCommands}
    ENABLE_COMMAND_PALETTE = True
    # keys for every screen (the main screen's own are in MainScreen.BINDINGS); a modal dialog
    # shadows them all, the details (a full screen) only where it binds the same key
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("e", "export", "Export", id="export.open"),
        Binding("S", "save_profile", "Save profile", show=False, id="profile.save"),
        Binding("h", "health", "Source health", show=False, id="app.health"),
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.quit_ctrl_c"),
    ]

    def __init__(
        self,
        spec: SourceSpec | None = None,
        *,
        profile: Profile | None = None,
        store: EventStore | None = None,
        capacity: int = 1_000_000,
        profile_problems: list[str] | None = None,
        tick: float = 0.1,
        redact: bool = True,
    ) -> None:
        super().__init__()
        ScrollBar.renderer = WholeCellScrollBar  # a class setting in Textual: every scrollbar of the app
        # one setting for everything that leaves the screen: export, details "as exported", copy
        self.redact = redact
        self.spec = spec
        self.store = store if store is not None else EventStore(capacity)
        self.ingest = Ingest(spec, self.store) if spec is not None else None
        self.profile = profile
        self.profile_problems = list(profile_problems or [])
        self._tick_interval = tick
        self._main_screen: MainScreen | None = None
        self.terminated_by: int | None = None  # the signal that ended the app, if one did
        self._signals_before: dict[int, Any] = {}
        if not _COOKED and sys.__stdin__ is not None:
            with contextlib.suppress(OSError, ValueError, termios.error):
                _COOKED.append(termios.tcgetattr(sys.__stdin__.fileno()))

    # ---- the main screen -------------------------------------------------------------------
    def get_default_screen(self) -> MainScreen:
        self._main_screen = MainScreen(
            self.store, spec=self.spec, ingest=self.ingest, profile=self.profile, tick=self._tick_interval
        )
        return self._main_screen

    @property
    def main_screen(self) -> MainScreen:
        """The main view, the first screen on the stack (whichever dialog is on top of it)."""
        if self._main_screen is None:
            raise RuntimeError("the app is not running: it has no main screen yet")
        return self._main_screen

    def on_mount(self) -> None:
        keymap, problems = load_keymap({line[2] for line in self.key_lines() if line[2]})
        self.profile_problems.extend(problems)
        if keymap:
            self.set_keymap(keymap)
        for problem in self.profile_problems:
            self.notify(problem, title="profiles", severity="warning", markup=False, timeout=15)
        if self.ingest is not None:
            self.ingest.start()
        # `kill`, `timeout`, a closing tmux pane: quit as `q` does, so Textual gives the terminal back (found by an
        # outside audit: SIGTERM left the shell in the alternate screen with echo off).  The handler is Python's own,
        # not the event loop's, so it runs however busy the loop is; and a process must not outlive what asked it to
        # end: Textual's shutdown can wait forever on a terminal that went away (a tmux pane closed under load left
        # meshtail orphaned, holding its streams, deaf to SIGTERM; found by a second audit), so the exit is forced
        # when the orderly one has not happened in time
        loop = asyncio.get_running_loop()

        def on_signal(number: int, _frame: object) -> None:
            threading.Thread(target=_exit_after, args=(SIGNAL_GRACE, 128 + number), daemon=True).start()
            with contextlib.suppress(RuntimeError):  # (the loop already closed: the forced exit is on its way)
                loop.call_soon_threadsafe(self._end_by_signal, number)

        for number in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(ValueError, OSError):
                self._signals_before[number] = signal.signal(number, on_signal)
        with contextlib.suppress(ValueError, OSError):
            # (a parent that blocked them -- a job runner, nohup's kin -- would leave the app deaf to its terminal)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGHUP})

    def _end_by_signal(self, number: int) -> None:
        self.terminated_by = number
        self.exit()

    def on_unmount(self) -> None:
        for number, before in self._signals_before.items():  # (an app run inside another program: its own back)
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(number, before)
        if self.ingest is not None:
            self.ingest.stop()

    def notify(  # type: ignore[override]
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text made visible-safe: messages carry file names, profile text, paths."""
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)

    def get_key_display(self, binding: Binding) -> str:
        """Keys in the footer as typed (``/``, ``?``, ``Ctrl+P``, ``Esc``), the same as in the help."""
        if binding.key_display:
            return binding.key_display
        return key_label(binding.key)

    # ---- export --------------------------------------------------------------------------
    def action_export(self) -> None:
        def done(result: ExportResult | None) -> None:
            if result is not None:
                note = f", {result.redactions} credentials redacted" if result.redactions else ""
                self.notify(f"Exported {result.count} events to {result.path}{note}", markup=False)

        self.push_screen(ExportScreen(self.main_screen.export_request(), self.redact), done)

    # ---- profiles ------------------------------------------------------------------------
    def action_save_profile(self) -> None:
        self.push_screen(SaveProfileScreen(self.main_screen.current_profile))

    def apply_profile(self, profile: Profile, announce: bool = True) -> None:
        self.profile = profile
        self.main_screen.apply_profile(profile, announce)

    def load_profile(self, name: str) -> None:
        profiles, problems = load_profiles()
        for problem in problems:
            self.notify(problem, severity="warning", markup=False)
        if name in profiles:
            self.apply_profile(profiles[name])

    # ---- help, health, redaction -----------------------------------------------------------
    def key_groups(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """(heading, [(keys, what, binding id)]) for the help: the user's keymap applied, Ctrl+P included."""
        keymap = getattr(self, "_keymap", {}) or {}

        def lines(bindings: list[Binding | tuple[str, str] | tuple[str, str, str]]) -> list[tuple[str, str, str]]:
            out = []
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
                    out.append((keys, binding.description, binding.id or ""))
            return out

        # the main screen's keys, then the app's (`?` is in both: listed once)
        main = lines(MainScreen.BINDINGS)
        listed = {binding_id for _, _, binding_id in main}
        main += [line for line in lines(self.BINDINGS) if line[2] not in listed]
        main.append((self.COMMAND_PALETTE_BINDING, "Command palette: every action, pane, profile", ""))
        return [
            ("Main screen", main),
            ("Event list", lines(EventList.BINDINGS)),
            ("Filter bar (after /)", lines([*FilterInput.BINDINGS, *FilterBar.BINDINGS])),
            ("Details (after Enter)", lines(DetailScreen.BINDINGS)),
            ("Dialogs and this help", [("escape", "Close or cancel (the footer says which key)", "")]),
        ]

    def key_lines(self) -> list[tuple[str, str, str]]:
        """Every key as (keys, what, binding id), in help order; the ids are what keymap.toml can remap."""
        return [line for _, lines in self.key_groups() for line in lines]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_groups(), help_notes))

    def action_health(self) -> None:
        self.push_screen(HealthScreen(lambda: health_text(self.ingest, self.store)))

    def action_toggle_redaction(self) -> None:
        self.redact = not self.redact
        state = "on: credentials are replaced" if self.redact else "OFF: exports and copies hold credentials as logged"
        self.notify(f"Redaction {state}", severity="information" if self.redact else "warning")
        self.main_screen.update_status()
        self.main_screen.refresh_lists()


__all__ = ["MeshtailApp"]
