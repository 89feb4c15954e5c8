"""Saved filter profiles: a name plus filter, panes, columns and source selection, stored as TOML.

The file is ``profiles.toml`` in the user's config dir (``$XDG_CONFIG_HOME/meshtail`` on
Linux; ``$MESHTAIL_CONFIG_DIR`` overrides it), meant to be read and edited by hand.
Problems in it are reported with the file, line and key, and never stop meshtail: the
valid profiles and the built-ins still load.  Plain dataclasses, no Textual.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from ..query import FilterError, compile_filter
from ..storage.views import COLUMN_NAMES, PANES_BY_ID
from ..text import visible

FILE_NAME = "profiles.toml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class Profile:
    name: str
    filter: str = ""
    panes: list[str] = field(default_factory=lambda: [p for p in PANES_BY_ID])
    columns: dict[str, list[str]] = field(default_factory=dict)  # pane id -> column names
    context: str = ""
    namespaces: list[str] = field(default_factory=list)
    selector: str = ""
    description: str = ""
    # a Loki source (``[profiles.NAME.loki]``: url, tenants, token_file, username, password_file,
    # ca_file, cert_file, key_file, insecure — see meshtail/sources/loki/config.py); checked when used
    loki: dict[str, Any] = field(default_factory=dict)
    builtin: bool = False

    def to_toml(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"], data["builtin"]
        return {k: v for k, v in data.items() if v not in ("", [], {})} or {"filter": ""}


BUILTINS: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "denials",
            "outcome:deny",
            ["auth", "violations", "all"],
            description="who was denied: RBAC, JWT, ext_authz, mTLS and ztunnel policy rejections",
            builtin=True,
        ),
        Profile(
            "5xx",
            "status:>=500 OR action:upstream.failure",
            ["routing", "all"],
            description="server errors and upstream failures (resets, timeouts, no healthy upstream)",
            builtin=True,
        ),
        Profile(
            "config-changes",
            "cat:config -action:resource.observed",
            ["config", "all"],
            description="who changed the mesh: resource changes, istiod pushes and rejections",
            builtin=True,
        ),
        Profile(
            "namespace",
            "ns:default",
            ["all", "auth", "routing"],
            namespaces=["default"],
            description="one namespace's traffic (copy it and change 'default')",
            builtin=True,
        ),
    )
}

_TYPES: dict[str, type | tuple[type, ...]] = {
    "filter": str,
    "panes": list,
    "columns": dict,
    "context": str,
    "namespaces": list,
    "selector": str,
    "description": str,
    "loki": dict,
}


class ProfileError(Exception):
    """A problem in the profiles file, with where it is."""


def config_dir() -> Path:
    override = os.environ.get("MESHTAIL_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("meshtail", appauthor=False))


def profiles_path() -> Path:
    return config_dir() / FILE_NAME


def _names_profile(line: str, name: str) -> bool:
    """Whether ``line`` is the table header of profile ``name``, however TOML quotes it (bare, "…" with escapes such
    as ``\u001b``, '…'): the header read by TOML itself (an outside audit: a name written with an escape was
    reported without its line)."""
    header = line.strip()
    if not header.startswith("[") or "profiles" not in header:
        return False
    try:
        found = tomllib.loads(header)
    except tomllib.TOMLDecodeError:
        return False
    tables = found.get("profiles")
    return isinstance(tables, dict) and list(tables) == [name]


def _line_of(text: str, name: str, key: str | None = None) -> int | None:
    """The line where profile ``name`` (and ``key`` within it) is written, for messages."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _names_profile(line, name):
            if key is None:
                return i + 1
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", lines[j]):
                    return j + 1
            return i + 1
    return None


def _check(name: str, data: Any, where: str, text: str) -> Profile:
    def fail(key: str | None, message: str) -> ProfileError:
        line = _line_of(text, name, key)
        at = f"{where}:{line}" if line else where
        return ProfileError(visible(f"{at}: profile {name!r}{f', key {key!r}' if key else ''}: {message}"))

    if not _NAME.match(str(name)):
        raise fail(None, "names are letters, digits, '.', '_' and '-'")
    if not isinstance(data, dict):
        raise fail(None, "must be a table")
    for key, value in data.items():
        if key not in _TYPES:
            raise fail(key, f"unknown key (known: {', '.join(sorted(_TYPES))})")
        if not isinstance(value, _TYPES[key]):
            raise fail(key, f"must be a {_TYPES[key].__name__}, not {type(value).__name__}")  # type: ignore[union-attr]
    # inside the lists and tables too: `panes = [["auth"]]` or `columns = { auth = "time" }` once
    # crashed the TUI or silently blanked a pane
    for key in ("panes", "namespaces"):
        if key in data and not all(isinstance(v, str) for v in data[key]):
            raise fail(key, "must be a list of strings")
    for pane, columns in data.get("columns", {}).items():
        if pane not in PANES_BY_ID:
            raise fail("columns", f"unknown pane {visible(str(pane))!r} (known: {', '.join(PANES_BY_ID)})")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise fail("columns", f"{pane} must be a list of column names, e.g. {list(PANES_BY_ID[pane].columns)}")
        unknown = [c for c in columns if c not in COLUMN_NAMES]
        if unknown:
            raise fail(
                "columns", f"{pane}: unknown column {visible(unknown[0])!r} (known: {', '.join(sorted(COLUMN_NAMES))})"
            )
        if not columns:
            raise fail("columns", f"{pane} needs at least one column")
    if data.get("loki"):
        from ..sources.loki.config import LokiConfig

        unknown_keys = [k for k in data["loki"] if k not in LokiConfig.MAPPING_KEYS]
        if unknown_keys:
            raise fail(
                "loki", f"unknown key {visible(str(unknown_keys[0]))!r} (known: {', '.join(LokiConfig.MAPPING_KEYS)})"
            )
    profile = Profile(name, **{k: v for k, v in data.items()})
    try:
        compile_filter(profile.filter)
    except FilterError as exc:
        raise fail("filter", f"bad filter: {exc}") from None
    for pane in profile.panes:
        if pane not in PANES_BY_ID:
            raise fail("panes", f"unknown pane {visible(pane)!r} (known: {', '.join(PANES_BY_ID)})")
    if not profile.panes:
        raise fail("panes", "needs at least one pane")
    return profile


def load(path: Path | None = None) -> tuple[dict[str, Profile], list[str]]:
    """Built-ins plus the user's profiles, and the problems found (each naming file, line and key)."""
    path = path or profiles_path()
    profiles = dict(BUILTINS)
    problems: list[str] = []
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return profiles, problems
    except (OSError, UnicodeDecodeError) as exc:
        return profiles, [f"{path}: cannot read: {exc}"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return profiles, [f"{path}: invalid TOML: {exc}"]
    section = data.get("profiles", {})
    unknown = [k for k in data if k != "profiles"]
    if unknown:
        problems.append(f"{path}: unknown top-level key {unknown[0]!r} (profiles go under [profiles.NAME])")
    if not isinstance(section, dict):
        return profiles, [*problems, f"{path}: 'profiles' must be a table of [profiles.NAME] sections"]
    for name, body in section.items():
        try:
            profiles[name] = _check(name, body, str(path), text)
        except ProfileError as exc:
            problems.append(str(exc))
    return profiles, problems


def user_profiles(path: Path) -> dict[str, Any]:
    """The raw ``[profiles.*]`` tables of the user's file (built-ins not included)."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot update it: {exc}; fix or move it first") from exc
    section = data.get("profiles", {})
    return dict(section) if isinstance(section, dict) else {}


def _write(path: Path, section: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "# meshtail filter profiles: edit freely; `meshtail profiles list` checks this file\n\n"
    body += tomli_w.dumps({"profiles": section}) if section else ""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(body, "utf-8")
    os.replace(tmp, path)


def save(profile: Profile, path: Path | None = None) -> Path:
    """Add or replace one profile in the file, keeping the others as they are."""
    path = path or profiles_path()
    _check(profile.name, profile.to_toml(), str(path), "")
    section = user_profiles(path)
    section[profile.name] = profile.to_toml()
    _write(path, section)
    return path


def delete(name: str, path: Path | None = None) -> bool:
    path = path or profiles_path()
    section = user_profiles(path)
    if name not in section:
        return False
    del section[name]
    _write(path, section)
    return True
