"""Generate meshtail/parse/ztunnel_templates.py: every log message ztunnel's source can print.

    python scripts/gen_ztunnel_templates.py [--repo DIR] [--check] [--dump]

Reads a local clone (bare is fine) of https://github.com/istio/ztunnel at the revisions in
:data:`REVISIONS` (its whole life: the first Rust builds that shipped with Istio 1.16/1.17 ambient,
every ``1.X.0`` release and the last patch of each minor, the newest release candidate and
``master``), only through read-only git commands (``rev-parse``, ``ls-tree``, ``cat-file``).

From every non-test ``src/**/*.rs`` file it extracts each tracing/log macro call -- ``trace!``,
``debug!``, ``info!``, ``warn!``, ``error!``, ``event!`` (with or without ``tracing::``/``log::``)
and the crate's own wrappers, found by reading its ``macro_rules!``: forwarding wrappers such as
``authpol_log!`` (``tracing::info!($($arg)+)`` / ``debug!``) and fixed-message wrappers such as
``access_log!`` (``event!(target: "access", ..., "connection complete")``) -- with:

* the target: an explicit ``target: "..."`` or the module path of the call site
  (``src/proxy/inbound.rs`` -> ``ztunnel::proxy::inbound``; ``lib.rs``/``main.rs`` -> ``ztunnel``);
* the level(s);
* the message literal as a template: format placeholders become ``{}``, and the literal text
  before the first placeholder is what a line is matched by;
* the field names given before the message (``conn``, ``error``, ``src.addr`` ...).

Each distinct (target, template) gets a verdict from :data:`RULES`, a small ordered table (first
match wins) written from tests/data/corpus/README.md's labelling rules.  The output is pure data
with a header naming the revisions read.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "meshtail" / "parse" / "ztunnel_templates.py"
DEFAULT_REPO = Path("/work/.mirror/istio+ztunnel/repo")

# (label, git revision).  Early master commits stand for the builds Istio 1.16/1.17 ambient shipped
# before ztunnel had release tags; then each minor's first release and its last patch; the newest
# release candidate; master.
REVISIONS: tuple[tuple[str, str], ...] = (
    ("master@2022-10-31", "master@{2022-10-31}"),
    ("master@2022-11-30", "master@{2022-11-30}"),
    ("master@2022-12-13", "master@{2022-12-13}"),
    ("master@2023-01-31", "master@{2023-01-31}"),
    ("1.18.0", "1.18.0"),
    ("1.18.7", "1.18.7"),
    ("1.19.0", "1.19.0"),
    ("1.19.10", "1.19.10"),
    ("1.20.0", "1.20.0"),
    ("1.20.8", "1.20.8"),
    ("1.21.0", "1.21.0"),
    ("1.21.6", "1.21.6"),
    ("1.22.0", "1.22.0"),
    ("1.22.8", "1.22.8"),
    ("1.23.0", "1.23.0"),
    ("1.23.6", "1.23.6"),
    ("1.24.0", "1.24.0"),
    ("1.24.6", "1.24.6"),
    ("1.25.0", "1.25.0"),
    ("1.25.5", "1.25.5"),
    ("1.26.0", "1.26.0"),
    ("1.26.8", "1.26.8"),
    ("1.27.0", "1.27.0"),
    ("1.27.9", "1.27.9"),
    ("1.28.0", "1.28.0"),
    ("1.28.10", "1.28.10"),
    ("1.29.0", "1.29.0"),
    ("1.29.6", "1.29.6"),
    ("1.30.0", "1.30.0"),
    ("1.30.3", "1.30.3"),
    ("1.31.0-rc.0", "1.31.0-rc.0"),
    ("master", "HEAD"),
)

LEVEL_MACROS = ("trace", "debug", "info", "warn", "error")


# ------------------------------------------------------------------ git (read-only)
class Git:
    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._blobs: dict[str, str] = {}

    def run(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], check=True, capture_output=True, text=True).stdout

    def commit(self, rev: str) -> tuple[str, str]:
        """The commit a revision names, and its date."""
        if rev.startswith("master@{"):
            date = rev[len("master@{") : -1]
            sha = self.run("rev-list", "-1", f"--before={date}T23:59:59Z", "HEAD").strip()
        else:
            sha = self.run("rev-parse", f"{rev}^{{commit}}").strip()
        day = self.run("log", "-1", "--format=%cs", sha).strip()
        return sha, day

    def sources(self, sha: str) -> list[tuple[str, str]]:
        """(path, blob) of the non-test Rust files under src/."""
        out = []
        for row in self.run("ls-tree", "-r", sha, "--", "src").splitlines():
            meta, path = row.split("\t", 1)
            blob = meta.split()[2]
            if path.endswith(".rs") and not _is_test_path(path):
                out.append((path, blob))
        return out

    def read(self, blob: str) -> str:
        if blob not in self._blobs:
            self._blobs[blob] = self.run("cat-file", "blob", blob)
        return self._blobs[blob]


def _is_test_path(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        "test_helpers" in parts
        or "tests" in parts
        or "testing" in parts
        or name in ("tests.rs", "test.rs", "test_helpers.rs")
        or name.endswith(("_test.rs", "_tests.rs"))
    )


def module_path(path: str) -> str:
    """``src/proxy/inbound.rs`` -> ``ztunnel::proxy::inbound`` (``mod.rs``, ``lib.rs`` and ``main.rs`` collapse)."""
    parts = path[len("src/") : -len(".rs")].split("/")
    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
        parts = parts[:-1]
    return "::".join(["ztunnel", *parts])


# ------------------------------------------------------------------ Rust source reading
_RAW_STRING = re.compile(r'b?r(#*)"')


def strip_comments(src: str) -> str:
    """The source with comments blanked (same length and lines); strings and chars kept."""
    out: list[str] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "/" and src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        else:
            j = _literal_end(src, i)
            if j > i:
                out.append(src[i:j])
                i = j
            else:
                out.append(c)
                i += 1
    return "".join(out)


def _literal_end(src: str, i: int) -> int:
    """If a string/char literal starts at *i*, where it ends; else *i*."""
    c = src[i]
    prev = src[i - 1] if i else " "
    if c in "rb" and not (prev.isalnum() or prev == "_"):
        raw = _RAW_STRING.match(src, i)
        if raw is not None:
            end = src.find('"' + raw.group(1), raw.end())
            return len(src) if end < 0 else end + 1 + len(raw.group(1))
        if c == "b" and src.startswith('b"', i):
            return _literal_end(src, i + 1)
    if c == '"':
        j = i + 1
        while j < len(src):
            if src[j] == "\\":
                j += 2
            elif src[j] == '"':
                return j + 1
            else:
                j += 1
        return len(src)
    if c == "'":
        if src.startswith("\\", i + 1):
            end = src.find("'", i + 3)
            return i if end < 0 else end + 1
        if i + 2 < len(src) and src[i + 2] == "'":
            return i + 3
    return i


def matching(src: str, start: int) -> int:
    """Index just past the bracket closing the one at *start* (strings and chars skipped), or -1."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[src[start]]]
    i = start + 1
    while i < len(src):
        j = _literal_end(src, i)
        if j > i:
            i = j
            continue
        c = src[i]
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if not stack or c != stack[-1]:
                return -1
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    return -1


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments."""
    out, depth, i, start = [], 0, 0, 0
    while i < len(text):
        j = _literal_end(text, i)
        if j > i:
            i = j
            continue
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
        i += 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


_TEST_ATTR = re.compile(r"#\[cfg\((?:test|any\([^\]]*\btest\b[^\]]*\))\)\]")


def drop_test_items(src: str) -> str:
    """Blank the items marked ``#[cfg(test)]`` / ``#[cfg(any(test, ...))]`` (test modules, helpers)."""
    while True:
        attr = _TEST_ATTR.search(src)
        if attr is None:
            return src
        i = attr.end()
        end = i
        while i < len(src):
            j = _literal_end(src, i)
            if j > i:
                i = j
                continue
            if src[i] == ";":
                end = i + 1
                break
            if src[i] == "{":
                close = matching(src, i)
                end = len(src) if close < 0 else close
                break
            i += 1
        src = src[: attr.start()] + re.sub(r"[^\n]", " ", src[attr.start() : end]) + src[end:]


_INLINE_MOD = re.compile(r"\bmod\s+([A-Za-z_]\w*)\s*\{")


def inline_modules(src: str) -> list[tuple[int, int, str]]:
    out = []
    for found in _INLINE_MOD.finditer(src):
        close = matching(src, found.end() - 1)
        if close > 0:
            out.append((found.start(), close, found.group(1)))
    return out


# ------------------------------------------------------------------ macro calls
@dataclass
class Event:
    target: str
    levels: tuple[str, ...]
    message: str | None  # the format string, unescaped; None: no message (fields only)
    fields: tuple[str, ...]
    path: str
    line: int
    via: str  # the macro written at the call site


@dataclass
class Wrapper:
    """A crate macro that logs: forwarding (``authpol_log!``) or with fixed events (``access_log!``)."""

    name: str
    levels: tuple[str, ...] = ()
    events: list[Event] = field(default_factory=list)


_CALL = re.compile(r"(?<![\w:])((?:::)?(?:tracing|log)::)?([a-z_]+)!\s*([(\[{])")
_MACRO_RULES = re.compile(r"macro_rules!\s*([A-Za-z_]\w*)\s*\{")
_LEVEL_ARG = re.compile(
    r"^(?:(?:::)?tracing::)?(?:log::)?Level::(TRACE|DEBUG|INFO|WARN|ERROR|Trace|Debug|Info|Warn|Error)$"
)
_FIELD_NAME = re.compile(r"^([A-Za-z_][\w.]*|\"[^\"]+\")\s*=(?!=)")
_SHORTHAND = re.compile(r"^[%?]?\s*([A-Za-z_][\w.]*)$")
_METAVARS = re.compile(r"\$\((?:[^()]|\([^()]*\))*\)[*+?]|\$[A-Za-z_]\w*")
_STRING = re.compile(r'^(?:b?r(#*)"(.*)"\1|"((?:[^"\\]|\\.)*)")$', re.S)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]*\}")


def unescape(body: str) -> str:
    """A Rust (non-raw) string literal's text."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt == "\n":  # line continuation: the newline and the next line's indentation vanish
            i += 2
            while i < len(body) and body[i] in " \t\n\r":
                i += 1
            continue
        if nxt == "u":
            close = body.find("}", i)
            out.append(chr(int(body[i + 3 : close], 16)))
            i = close + 1
            continue
        if nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
            continue
        out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
        i += 2
    return "".join(out)


def string_literal(arg: str) -> str | None:
    found = _STRING.match(arg.strip())
    if found is None:
        return None
    if found.group(3) is not None:
        return unescape(found.group(3))
    return found.group(2)


def template_of(fmt: str) -> tuple[str, str, bool]:
    """(template with ``{}`` placeholders, literal prefix before the first placeholder, whether exact)."""
    parts: list[str] = []
    prefix: str | None = None
    pos = 0
    for found in _PLACEHOLDER.finditer(fmt):
        parts.append(fmt[pos : found.start()])
        token = found.group()
        if token in ("{{", "}}"):
            parts.append(token[0])
        else:
            if prefix is None:
                prefix = "".join(parts)
            parts.append("{}")
        pos = found.end()
    parts.append(fmt[pos:])
    full = "".join(parts)
    return full, (full if prefix is None else prefix), prefix is None


def parse_call(
    args: list[str], base_levels: tuple[str, ...], is_event: bool
) -> tuple[str | None, tuple, str | None, tuple]:
    """(explicit target, levels, message format, field names) of one macro call's arguments."""
    target = None
    levels = base_levels
    fields: list[str] = []
    message = None
    for raw in args:
        arg = _METAVARS.sub(" ", raw).strip()
        if not arg:
            continue
        if message is not None:
            break  # format arguments
        if arg.startswith("target:"):
            target = string_literal(arg[len("target:") :]) or "?"
            continue
        if arg.startswith(("parent:", "name:")):
            continue
        level = _LEVEL_ARG.match(arg)
        if level is not None and is_event:
            levels = (level.group(1).lower(),)
            continue
        text = string_literal(arg)
        if text is not None:
            message = text
            continue
        name = _FIELD_NAME.match(arg)
        if name is not None:
            fields.append(name.group(1).strip('"'))
            continue
        short = _SHORTHAND.match(arg)
        if short is not None:
            fields.append(short.group(1))
    return target, levels, message, tuple(fields)


def find_wrappers(src: str) -> dict[str, Wrapper]:
    """The file's ``macro_rules!`` that log."""
    out: dict[str, Wrapper] = {}
    for found in _MACRO_RULES.finditer(src):
        close = matching(src, found.end() - 1)
        body = src[found.end() : close]
        wrapper = Wrapper(found.group(1))
        for call in _CALL.finditer(body):
            name = call.group(2)
            if name not in (*LEVEL_MACROS, "event"):
                continue
            end = matching(body, call.end() - 1)
            inner = body[call.end() : end - 1]
            if re.fullmatch(r"\s*\$\(\s*\$\w+\s*\)[+*]\s*", inner):
                wrapper.levels += (name,)  # forwarding: the wrapper's arguments are the call's
                continue
            target, levels, message, fields = parse_call(
                split_args(inner), (name,) if name != "event" else ("?",), name == "event"
            )
            if message is not None:
                wrapper.events.append(Event(target or "", levels, message, fields, "", 0, found.group(1)))
        if wrapper.levels or wrapper.events:
            out[wrapper.name] = wrapper
    return out


def events_in(path: str, text: str, wrappers: dict[str, Wrapper]) -> Iterator[Event]:
    src = drop_test_items(strip_comments(text))
    base = module_path(path)
    modules = inline_modules(src)
    rules = [(m.start(), matching(src, m.end() - 1)) for m in _MACRO_RULES.finditer(src)]
    for call in _CALL.finditer(src):
        name = call.group(2)
        start = call.start()
        if any(a <= start < b for a, b in rules):
            continue  # inside a macro definition (read by find_wrappers)
        wrapper = wrappers.get(name)
        if name not in (*LEVEL_MACROS, "event") and wrapper is None:
            continue
        if name in ("event",) and call.group(1) == "log::":
            continue
        end = matching(src, call.end() - 1)
        if end < 0:
            continue
        args = split_args(src[call.end() : end - 1])
        line = src.count("\n", 0, start) + 1
        inner = [m for a, b, m in modules if a < start < b]
        module = "::".join([base, *inner])
        if wrapper is not None and wrapper.events:
            extra = parse_call(args[1:], (), False)[3]  # the call site's fields (after the result)
            for ev in wrapper.events:
                yield Event(ev.target or module, ev.levels, ev.message, ev.fields + extra, path, line, name)
            continue
        levels = wrapper.levels if wrapper is not None else ((name,) if name != "event" else ("?",))
        target, levels, message, fields = parse_call(args, levels, name == "event")
        yield Event(target or module, levels, message, fields, path, line, name)


_ERROR_ATTR = re.compile(r"#\[error\(")
# a hand-written Display (proxy.rs AuthorizationRejectionError: "allow policies exist, but none allowed")
_DISPLAY_IMPL = re.compile(r"\bimpl(?:<[^>{]*>)? +(?:std::)?(?:fmt::)?Display +for +\w*(?:Error|Rejection)\b")
_WRITE_CALL = re.compile(r"\bwrite!\(")


def error_texts(path: str, text: str) -> Iterator[tuple[str, str]]:
    """The texts of a file's error types, what ``error=``/``err=`` fields hold: ``#[error("...")]``
    (thiserror), and the ``write!(f, "...")`` arms of a hand-written ``impl Display`` for an error type."""
    src = drop_test_items(strip_comments(text))
    for found in _ERROR_ATTR.finditer(src):
        end = matching(src, found.end() - 1)
        args = split_args(src[found.end() : end - 1]) if end > 0 else []
        fmt = string_literal(args[0]) if args else None
        if fmt is not None:
            yield module_path(path), fmt
    for found in _DISPLAY_IMPL.finditer(src):
        body_at = src.find("{", found.end())
        body_end = matching(src, body_at) if body_at > 0 else -1
        if body_end <= 0:
            continue
        for call in _WRITE_CALL.finditer(src, body_at, body_end):
            end = matching(src, call.end() - 1)
            args = split_args(src[call.end() : end - 1]) if end > 0 else []
            fmt = string_literal(args[1]) if len(args) > 1 else None
            if fmt is not None and len(fmt) >= 12 and " " in fmt:  # a sentence, not "{}" or a bare name
                yield module_path(path), fmt


def read_revision(git: Git, sha: str) -> tuple[list[Event], list[tuple[str, str]]]:
    files = [(path, git.read(blob)) for path, blob in git.sources(sha)]
    wrappers: dict[str, Wrapper] = {}
    for _, text in files:
        wrappers.update(find_wrappers(drop_test_items(strip_comments(text))))
    events: list[Event] = []
    errors: list[tuple[str, str]] = []
    for path, text in files:
        events.extend(events_in(path, text, wrappers))
        errors.extend(error_texts(path, text))
    return events, errors


# ------------------------------------------------------------------ all revisions
@dataclass
class Template:
    target: str
    template: str  # placeholders as {}
    prefix: str  # the literal text before the first placeholder (the template itself when exact)
    exact: bool
    levels: set[str] = field(default_factory=set)
    fields: dict[str, None] = field(default_factory=dict)  # ordered set
    revisions: list[str] = field(default_factory=list)
    where: str = ""


@dataclass
class ErrorText:
    module: str
    template: str
    literal: str
    revisions: list[str] = field(default_factory=list)


def collect(
    git: Git,
) -> tuple[list[tuple[str, str, str]], dict[tuple[str, str], Template], list[Event], dict[str, ErrorText]]:
    """Read every revision: (label, sha, date) rows, the templates, the events with no usable literal, the
    error texts."""
    revisions = []
    templates: dict[tuple[str, str], Template] = {}
    skipped: list[Event] = []
    errors: dict[str, ErrorText] = {}
    for label, rev in REVISIONS:
        sha, day = git.commit(rev)
        revisions.append((label, sha, day))
        events, texts = read_revision(git, sha)
        for module, fmt in texts:
            full, prefix, _ = template_of(fmt)
            if not prefix.strip():
                continue
            known = errors.get(full)
            if known is None:
                known = errors[full] = ErrorText(module, full, prefix)
            if not known.revisions or known.revisions[-1] != label:
                known.revisions.append(label)
        for ev in events:
            if ev.message is None:
                full, prefix, exact = "", "", True
            else:
                full, prefix, exact = template_of(ev.message)
                if not prefix.strip():
                    skipped.append(ev)
                    continue
            key = (ev.target, full)
            tpl = templates.get(key)
            if tpl is None:
                tpl = templates[key] = Template(ev.target, full, prefix, exact, where=f"{ev.path}:{ev.line}")
            tpl.levels.update(ev.levels)
            tpl.fields.update(dict.fromkeys(ev.fields))
            if not tpl.revisions or tpl.revisions[-1] != label:
                tpl.revisions.append(label)
    return revisions, templates, skipped, errors


# ------------------------------------------------------------------ verdicts
# The rule table: first match wins.  A rule names the template text it fits (a regex searched in the
# template, ``{}`` standing for a placeholder), optionally the targets (regex matched at the start of
# the full target) and levels, and gives (category, outcome, violation, action).  ``{target}`` in an
# action is the line's target as one word (``ztunnel.<target>``).  Rules marked generic only restate
# what meshtail concludes from the target and level alone; the others name what the message means
# and override meshtail's target/level heuristics when a line matches the template.
_ERR = frozenset({"warn", "error"})
_QUIET = frozenset({"trace", "debug", "info"})
_PROXY = r"ztunnel::proxy\b|access$|ztunnel::copy$"
_XDS = r"ztunnel::xds\b|ztunnel::workload$|ztunnel::state::(?:workload|service)$"
_TLS = r"ztunnel::(?:tls|identity|cert_fetcher)\b"
_DNS = r"ztunnel::dns\b|dns$"
# a message about a connection or a request (a proxy line's failure is a routing failure only then)
_SUBJECT = (
    r"(?i:\b(?:connections?|conn|connect\w*|requests?|proxy\w*|handshake|upgrade|upstream|socks\w*|hbone"
    r"|tcp|copy|relay|bind|freebind|response|destination)\b)"
)
_FAILURE_WORDS = r"(?i:\b(?:fail\w*|errors?|invalid|unable|couldn't|could not|not found|mismatch|expired|no valid)\b)"
_CERT_WORDS = r"(?i:\b(?:certs?|certificates?|crl|san|identity|identities|chain|ocsp)\b)"


@dataclass(frozen=True)
class Rule:
    name: str
    text: str
    verdict: tuple[str, str, bool, str]
    target: str | None = None
    levels: frozenset[str] | None = None
    generic: bool = False
    note: str = ""

    def fits(self, target: str, template: str, level: str) -> bool:
        if self.levels is not None and level not in self.levels:
            return False
        if self.target is not None and re.match(self.target, target) is None:
            return False
        return re.search(self.text, template) is not None


RULES: tuple[Rule, ...] = (
    # --- authorization: the mesh decided about a peer
    Rule(
        "dry-run deny",
        r"^dry-run:? (?:deny policy match|no allow policies match)",
        ("auth", "allow", True, "authz.dry_run_deny"),
        note="would have denied: a violation that did not block",
    ),
    Rule("dry-run allow", r"^dry-run:? allow policy match", ("auth", "allow", False, "authz.dry_run_allow")),
    Rule(
        "policy deny",
        r"^(?:RBAC rejected|deny policy match|no allow policies match|bypassed waypoint)"
        r"|(?i:\b(?:401|403)\b|unauthori[sz]ed|forbidden)",
        ("auth", "deny", True, "authz.deny"),
        note="RBAC/AuthorizationPolicy denials, HTTP 401/403 refusals",
    ),
    Rule(
        "late deny",
        r"no longer allowed after a policy update|due to policy change",
        ("auth", "deny", True, "authz.late_deny"),
    ),
    Rule("revoked peer", r"certificate revoked", ("auth", "deny", True, "cert.revoked")),
    Rule("policy allow", r"^(?:allow policy match|no allow policies, allow)", ("auth", "allow", False, "authz.allow")),
    Rule("unknown policy", r"^skipping unknown policy", ("auth", "unknown", False, "authz.policy_unknown")),
    # --- TLS and certificates
    Rule(
        "TLS handshake failure",
        r"(?i:tls handshake error|failed verifying tls|identity mismatch)",
        ("auth", "failure", True, "mtls.handshake_failure"),
        note="mTLS refused on mesh traffic",
    ),
    Rule(
        "TLS accepted",
        r"(?i:^tls handshake succeeded|^accepted tls connection|^tls: accepting connection)",
        ("auth", "success", False, "mtls.accept"),
    ),
    Rule(
        "certificate failure",
        _FAILURE_WORDS,
        ("auth", "failure", False, "cert.failure"),
        target=_TLS,
        note="ztunnel's own certificates, CA client, CRLs",
    ),
    Rule(
        "certificate failure",
        _CERT_WORDS + r".*" + _FAILURE_WORDS + "|" + _FAILURE_WORDS + r".*" + _CERT_WORDS,
        ("auth", "failure", False, "cert.failure"),
    ),
    Rule("certificate problem", r"", ("auth", "failure", False, "cert.failure"), target=_TLS, levels=_ERR),
    Rule(
        "certificate ready",
        r"(?i:^certificate fetch succeeded|^refreshed certs|^prefetched cert|^got cached cert|^crl (?:re)?loaded"
        r" successfully)",
        ("auth", "success", False, "cert.ready"),
    ),
    Rule("TLS/certificate chatter", r"", ("auth", "unknown", False, "tls.event"), target=_TLS, generic=True),
    # --- connections and requests
    # ztunnel's proxies announcing their listeners: a start
    Rule(
        "listening (proxy)",
        r"(?i:listener established)",
        ("other", "success", False, "listener.start"),
        target=_PROXY,
        levels=_QUIET,
    ),
    Rule(
        "connection failed",
        r"^(?:connection failed$|failed$|connection forcefully terminated|Sending 4\d\d"
        r"|unknown destination$)",
        ("routing", "failure", False, "connection.failure"),
        target=_PROXY,
        note="a refused/failed connection (an err/error field may make it a denial or a TLS failure)",
    ),
    Rule(
        "connection complete",
        r"(?i:^connection complete$|^complete$|^connection completed$|^request complete"
        r"|^outbound proxy complete|^proxy inbound plaintext complete|^proxying complete|^relay complete"
        r"|^copy (?:hbone )?complete)",
        ("routing", "success", False, "tcp.connection"),
        target=_PROXY,
        levels=_QUIET,
        note="error-level 'connection complete' carries an error field: see below",
    ),
    Rule(
        "connection complete with error",
        r"^connection complete$",
        ("routing", "failure", False, "connection.failure"),
        target=_PROXY,
        levels=_ERR,
    ),
    Rule("connection opened", r"^connection opened$", ("routing", "unknown", False, "tcp.open"), target=_PROXY),
    Rule(
        "connection failure", _SUBJECT, ("routing", "failure", False, "connection.failure"), target=_PROXY, levels=_ERR
    ),
    Rule(
        "proxy problem",
        r"",
        ("other", "failure", False, "ztunnel.{target}"),
        target=_PROXY,
        levels=_ERR,
        note="a proxy warn/error line naming no connection or request",
    ),
    Rule("connection chatter", r"", ("routing", "unknown", False, "connection.event"), target=_PROXY, generic=True),
    # --- xDS (config from istiod)
    Rule(
        "xDS connection error",
        r"^(?:XDS client (?:connection )?error|XDS client complete|outbound stream complete"
        r"|initial xds sync signal send failed)",
        ("config", "failure", False, "xds.connection_failure"),
        target=_XDS,
    ),
    Rule("xDS reconnect", r"^XDS client terminated", ("config", "unknown", False, "xds.reconnect"), target=_XDS),
    Rule(
        "xDS connected",
        r"^(?:Stream established|connected established)$",
        ("config", "success", False, "xds.connect"),
        target=_XDS,
    ),
    Rule("xDS NACK", r"^sending response$", ("config", "failure", True, "xds.reject"), target=_XDS, levels=_ERR),
    Rule(
        "rejected config",
        r"^(?:rejecting workload|received invalid resource)",
        ("config", "failure", True, "xds.reject"),
        target=_XDS,
        note="config refused as invalid",
    ),
    Rule(
        "xDS update",
        r"^(?:received response|local config initialized|sending response)$",
        ("config", "success", False, "xds.update"),
        target=_XDS,
    ),
    Rule(
        "xDS change",
        r"^(?:handling (?:delete|update|insert|RBAC (?:update|delete))|insert policy"
        r"|inserting local workloads?|received delete resource|staged service found)",
        ("config", "change", False, "xds.change"),
        target=_XDS,
        levels=_QUIET,
        note="workloads/services/policies added, updated or deleted",
    ),
    Rule("xDS failure", r"", ("config", "failure", False, "xds.failure"), target=_XDS, levels=_ERR),
    Rule("xDS chatter", r"", ("config", "unknown", False, "xds.event"), target=_XDS, generic=True),
    Rule("workload timeout", r"^timed out waiting for workload", ("config", "failure", False, "xds.workload_timeout")),
    # --- in-pod enrolment (istio-cni node agent -> ztunnel)
    Rule("pod added", r"^pod (?:\{\} )?received(?:,| netns)", ("config", "change", False, "inpod.add")),
    Rule("pod deleted", r"^pod delete request", ("config", "change", False, "inpod.delete")),
    # --- lifecycle
    Rule(
        "ready",
        r"^Task '\{\}' complete|^Readiness blocker complete|marking server ready|\bis ready$",
        ("other", "success", False, "proxy.ready"),
        levels=_QUIET,
    ),
    Rule(
        "listening",
        r"(?i:listener established|^starting local dns server|^serving admin server at)",
        ("other", "success", False, "listener.start"),
        levels=_QUIET,
    ),
    # --- the rest, by target and level
    Rule("DNS failure", r"", ("routing", "failure", False, "dns.failure"), target=_DNS, levels=_ERR),
    Rule(
        "DNS chatter",
        r"^(?!starting|shutting down|dns server drained|DNS server shutdown)",
        ("routing", "unknown", False, "dns.event"),
        target=_DNS,
        generic=True,
    ),
    Rule(
        "carries on",
        r"(?i)continuing anyways?\b|\bfall(?:ing)? back\b|\binstead\b",
        ("other", "unknown", False, "ztunnel.{target}"),
        levels=("warn",),
        note="a warning that says what ztunnel does instead (`…; continuing anyways, but this may fail`): not failed",
    ),
    Rule(
        "error level",
        r"",
        ("other", "failure", False, "ztunnel.{target}"),
        levels=_ERR,
        note="a warn/error line with no more specific meaning",
    ),
    Rule(
        "says it failed",
        r"(?i:\bfailed\b|^unable to |\bcannot\b)",
        ("other", "failure", False, "ztunnel.{target}"),
        note="an info/debug line whose own words report a failure (`retrying workload failed: …`)",
    ),
    Rule("chatter", r"", ("other", "unknown", False, "ztunnel.{target}"), generic=True),
)


def short_target(target: str) -> str:
    return target[len("ztunnel::") :] if target.startswith("ztunnel::") else target


def action_word(name: str) -> str:
    """Same as meshtail.parse.result.action_word."""
    return re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "default"


def verdict(target: str, template: str, level: str) -> tuple[Rule, tuple[str, str, bool, str]]:
    for rule in RULES:
        if rule.fits(target, template, level):
            category, outcome, violation, action = rule.verdict
            return rule, (category, outcome, violation, action.replace("{target}", action_word(short_target(target))))
    raise AssertionError("the last rule fits everything")


# ------------------------------------------------------------------ output
_LEVEL_ORDER = {"trace": 0, "debug": 1, "info": 2, "warn": 3, "error": 4, "?": 5}


def rows(templates: dict[tuple[str, str], Template]) -> list[tuple]:
    out = []
    for (target, text), tpl in sorted(templates.items(), key=lambda kv: (short_target(kv[0][0]), kv[0][1])):
        for level in sorted(tpl.levels, key=_LEVEL_ORDER.__getitem__):
            rule, (category, outcome, violation, action) = verdict(target, text, level)
            out.append(
                (
                    target,
                    text,
                    tpl.prefix,
                    level,
                    tuple(tpl.fields),
                    category,
                    outcome,
                    violation,
                    action,
                    rule.name,
                    rule.generic,
                    tpl.revisions[0],
                    tpl.revisions[-1],
                )
            )
    return out


def render(
    revisions: list[tuple[str, str, str]], table: list[tuple], skipped: int, errors: dict[str, ErrorText]
) -> str:
    lines = [
        "# ruff: noqa: E501",
        '"""ztunnel\'s log messages, read from its source: GENERATED by scripts/gen_ztunnel_templates.py, do not edit.',
        "",
        "Source: https://github.com/istio/ztunnel, every tracing/log macro call (``trace!`` ... ``error!``,",
        "``event!``, ``log::*``, and the crate's wrappers ``authpol_log!`` and ``access_log!``) in the non-test",
        "``src/**/*.rs`` files at these revisions:",
        "",
    ]
    for label, sha, day in revisions:
        lines.append(f"* {label:<18} {sha} ({day})")
    lines += [
        "",
        f"{len(table)} rows ({len({(r[0], r[1]) for r in table})} distinct target+template); {skipped} calls whose",
        'message has no literal text before its first placeholder (``"{}"``, ``"{e}"``) are left out.',
        "",
        "A row: (target, template, literal, level, fields, category, outcome, violation, action, rule, generic,",
        "first, last).  ``target`` is the event's target (the module path, ``ztunnel::`` included, or an",
        "explicit ``target:``); ``template`` the message with each placeholder as ``{}``; ``literal`` its text",
        "before the first placeholder (the whole template when it has none); ``fields`` the field names given",
        "before the message; the verdict comes from the generator's RULES (``rule`` names the rule; ``generic``",
        "rules say no more than the target and level do); ``first``/``last`` the first and last revision above",
        "that prints it.  RULES is that rule table (name, category, outcome, violation, action, generic, note) in",
        "its order, first match wins.",
        "",
        'ERRORS: the texts of ztunnel\'s error types (``#[error("...")]``), which its ``error=`` (``err=`` before',
        "1.22) fields and its process exit report print: (module, template, literal, first, last).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "# fmt: off",
        "REVISIONS: tuple[tuple[str, str, str], ...] = (",
    ]
    for rev in revisions:
        lines.append(f"    {rev!r},")
    lines += [")", "", "RULES: tuple[tuple[str, str, str, bool, str, bool, str], ...] = ("]
    for rule in RULES:
        lines.append(f"    {(rule.name, *rule.verdict, rule.generic, rule.note)!r},")
    lines += [")", "", "TEMPLATES: tuple[tuple, ...] = ("]  # type: ignore[type-arg]
    for row in table:
        lines.append(f"    {row!r},")
    lines += [")", "", "ERRORS: tuple[tuple[str, str, str, str, str], ...] = ("]
    for text in sorted(errors.values(), key=lambda e: (e.module, e.template)):
        lines.append(f"    {(text.module, text.template, text.literal, text.revisions[0], text.revisions[-1])!r},")
    lines += [")", "# fmt: on", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO, help="a clone of istio/ztunnel (bare is fine)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated file is out of date")
    parser.add_argument("--dump", action="store_true", help="print the table (target, level, verdict, template)")
    args = parser.parse_args(argv)
    git = Git(args.repo)
    revisions, templates, skipped, errors = collect(git)
    table = rows(templates)
    if args.dump:
        for row in table:
            print(f"{row[0]:38} {row[3]:5} {row[5]:7} {row[6]:7} {row[7]!s:5} {row[8]:26} {row[1]!r}")
        return 0
    text = render(revisions, table, len(skipped), errors)
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(
        f"wrote {OUTPUT.relative_to(ROOT)}: {len(table)} rows, {len(errors)} error texts"
        f" from {len(revisions)} revisions"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
