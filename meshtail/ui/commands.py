"""Command palette entries for meshtail's actions (panes, export, profiles, follow, help).

The palette parses a plain-string prompt or help text as markup, and profile names and
filters come from a hand-edited file (``[/`` in a filter would crash it): every entry is
therefore a ``Content`` object, with the help text folded into it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

if TYPE_CHECKING:
    from .app import MeshtailApp


def _entry(name: Content, help_text: str) -> Content:
    return Content.assemble(name, ("  " + help_text, "dim")) if help_text else name


class MeshtailCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app: MeshtailApp = self.app  # type: ignore[assignment]
        return app.palette_commands()

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
