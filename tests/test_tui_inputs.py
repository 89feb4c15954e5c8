"""Text fields show someone else's text as visible escapes, never as raw control characters.

An outside audit of hostile input recorded what the TUI wrote to its terminal: a profile's filter, a pasted text and
the export path suggested from a directory's name went out with their ESC, C1, BEL and bidi characters raw (the
screen cleared, the window's title changed) while every other widget showed them escaped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input

from meshtail.settings.profiles import Profile
from meshtail.storage.store import EventStore
from meshtail.text import has_unsafe
from meshtail.ui.app import MeshtailApp
from meshtail.ui.dialogs import ExportScreen

from .test_tui import config_dir  # noqa: F401 -- (autouse: profiles go to a temporary config dir)

SIZE = (160, 40)
HOSTILE = "a\x07\x08Z\u202eRLO\u200b\x9b31mC1 \x1b[2J\x1b]0;TITLE\x07"


def drawn(field: Input) -> str:
    return "".join(field.render_line(y).text for y in range(field.size.height))


async def test_a_profiles_filter_and_a_paste_show_their_control_characters_escaped() -> None:
    app = MeshtailApp(store=EventStore(), profile=Profile("ctl", HOSTILE, ["all"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        await pilot.press("slash")
        await pilot.pause(0.2)
        field = app.main_screen.filter_bar.input
        assert field.value, "the premise: the profile's filter is in the field"
        assert not has_unsafe(field.value) and "\\x1b[2J" in field.value and "\\u202e" in field.value
        assert not has_unsafe(drawn(field))
        field.value = ""
        field.post_message(events.Paste("p\u202eq\x01r\x1b]52;c;eA==\x07"))
        await pilot.pause(0.2)
        assert field.value == "p\\u202eq\\x01r\\x1b]52;c;eA==\\x07"
        assert not has_unsafe(drawn(field))


async def test_the_export_path_is_not_offered_in_a_folder_whose_name_cannot_be_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile = tmp_path / "cwd\x1b[2J\x1b]0;TITLE\x07\u202e"
    hostile.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(hostile)
    monkeypatch.setenv("HOME", str(home))
    app = MeshtailApp(store=EventStore())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        await pilot.press("e")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ExportScreen)
        path = app.screen.query_one("#path", Input)
        assert path.value.startswith(str(home) + "/meshtail-"), path.value
        assert not has_unsafe(drawn(path))
