"""User key bindings: ``keymap.toml`` beside the profiles maps binding ids to keys.

    # ~/.config/meshtail/keymap.toml
    "export.open" = "x"
    "list.mark" = "space,m"

Ids are listed in the help screen (``?``).  A bad file is reported (file and key) and the
default keys stay.  No Textual here: the app applies the map with ``set_keymap``.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

from .profiles import config_dir

FILE_NAME = "keymap.toml"
_KEYS = re.compile(r"^[A-Za-z0-9_+\-]+(,[A-Za-z0-9_+\-]+)*$")


def keymap_path() -> Path:
    return config_dir() / FILE_NAME


def load_keymap(known_ids: set[str], path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The id -> keys map, and the problems found (unknown ids, malformed keys, bad TOML)."""
    path = path or keymap_path()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: {exc}; default keys are used"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in data.items():
        if binding_id not in known_ids:
            problems.append(f"{path}: unknown binding id {binding_id!r} (the help screen, '?', lists them)")
        elif not isinstance(keys, str) or not _KEYS.match(keys.replace(" ", "")):
            problems.append(f'{path}: {binding_id!r}: keys must be a string like "x" or "ctrl+e,f2"')
        else:
            keymap[binding_id] = keys.replace(" ", "")
    return keymap, problems


# How a key is written on screen: as typed (`/`, `?`, `Ctrl+P`, `Esc`), never as Textual's
# identifier (`slash`, `question_mark`, `ctrl+p`), which a newcomer cannot type or guess.
_NAMED_KEYS = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "space": "Space",
    "backspace": "Backspace",
    "delete": "Del",
    "insert": "Ins",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "slash": "/",
    "backslash": "\\",
    "at": "@",
    "minus": "-",
    "plus": "+",
    "underscore": "_",
}
_MODIFIERS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt", "meta": "Meta", "super": "Super"}


def key_label(key: str) -> str:
    """One key as a person types it: ``ctrl+p`` -> ``Ctrl+P``, ``question_mark`` -> ``?``, ``up`` -> ``↑``."""
    *modifiers, name = key.split("+") if key != "+" else ["+"]
    shown = _NAMED_KEYS.get(name)
    if shown is None and re.fullmatch(r"f\d{1,2}", name):
        shown = name.upper()
    if shown is None and len(name) > 1:
        try:  # Textual names punctuation after its Unicode name: equals_sign, question_mark, full_stop
            shown = unicodedata.lookup(name.replace("_", " ").upper())
        except KeyError:
            shown = name
    if shown is None:
        shown = name.upper() if modifiers and name.isalpha() else name
    return "+".join([*(_MODIFIERS.get(m, m.title()) for m in modifiers), shown])


def keys_label(keys: str) -> str:
    """A binding's keys (``escape,question_mark,q``) as typed, alternatives joined: ``Esc, ?, q``."""
    return ", ".join(key_label(k.strip()) for k in keys.split(",") if k.strip())
