"""The command palette (Ctrl+P): meshtail's actions (panes, export, profiles, follow, help …) as entries.

The palette parses a plain-string prompt or help text as markup, and profile names and
filters come from a hand-edited file (``[/`` in a filter would crash it): every entry is
therefore a ``Content`` object, with the help text folded into it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..settings.profiles import load as load_profiles
from ..storage.views import PANES
from ..text import visible

if TYPE_CHECKING:
    from .app import MeshtailApp

Command = tuple[str, str, Callable[[], object]]  # (name, help text, what it does)


def palette_commands(app: MeshtailApp) -> list[Command]:
    """Every entry, in the palette's order: the panes shown, the app's actions, then the saved profiles."""
    main = app.main_screen
    commands: list[Command] = [
        (f"Pane: {p.title}", f"switch to the {p.title} pane (key {p.key})", lambda p=p: main.action_pane(p.id))
        for p in PANES
        if p.id in main.visible_panes
    ]
    commands += [
        ("Export marked or filtered events to JSONL", "write a JSONL file (credentials redacted)", app.action_export),
        ("Save current view as profile", "filter, panes, columns and sources", app.action_save_profile),
        ("Filter", "open the filter bar", main.action_open_filter),
        ("Follow newest events", "resume following in this pane", lambda: main.list().action_follow()),
        ("Pause", "stop scrolling (ingestion continues)", lambda: main.list().action_pause()),
        ("Mark all in view", "mark every event in this pane", lambda: main.list().action_mark_all()),
        ("Unmark all", "clear the marks", lambda: main.list().action_unmark_all()),
        ("Help: keys", "every key and its binding id", app.action_help),
        (
            "Turn credential redaction " + ("off" if app.redact else "on"),
            "for export, details and copy (on by default)",
            app.action_toggle_redaction,
        ),
        ("Source health", "every stream: state, lines, reconnects, errors", app.action_health),
    ]
    profiles, _ = load_profiles()
    for name, profile in profiles.items():
        # names, descriptions and filters are the profile file's text: shown visible-safe
        label, about = visible(f"Profile: {name}"), visible(profile.description or profile.filter)
        commands.append((label, about, lambda n=name: app.load_profile(n)))
    return commands


def _entry(name: Content, help_text: str) -> Content:
    return Content.assemble(name, ("  " + help_text, "dim")) if help_text else name


class MeshtailCommands(Provider):
    def _commands(self) -> list[Command]:
        app: MeshtailApp = self.app  # type: ignore[assignment]
        return palette_commands(app)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(_entry(Content(name), help_text), partial(callback), text=name)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                display = _entry(matcher.highlight(name), help_text)
                yield Hit(score, display, partial(callback), text=name)  # type: ignore[arg-type]
