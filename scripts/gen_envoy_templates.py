"""Generate meshtail/parse/envoy_templates.py: what Envoy's own log calls print, from Envoy's source.

    python scripts/gen_envoy_templates.py [--envoy DIR] [--istio-proxy DIR] [--dump FILE] [--check]

Reads the log calls (``ENVOY_LOG(level, "fmt", …)``, ``ENVOY_CONN_LOG``, ``ENVOY_STREAM_LOG``,
``ENVOY_LOG_MISC``, ``ENVOY_LOG_TO_LOGGER``, ``ENVOY_LOG_PERIODIC…``, ``ENVOY_LOG_EVERY_POW_2…``,
``ENVOY_LOG_FIRST_N…``, ``ENVOY_LOG_ONCE…``, ``ENVOY_LOG_EVENT``, the tagged variants, ``ENVOY_BUG`` and
``IS_ENVOY_BUG``) at the release revisions in :data:`ENVOY_REVISIONS` of a git directory holding
Envoy's history (a bare mirror is enough: files are read with ``git cat-file``), and the C++ filters of
istio/proxy at :data:`ISTIO_REVISIONS`.  For each call it keeps the level, the format string (adjacent
literals joined, fmt's ``{…}`` fields written ``{}``, ``{{``/``}}`` undone) and the logger Envoy prints
for it: the ``Logger::Id`` of the class whose method makes the call (``Logger::Loggable<Logger::Id::X>``
on the class or a base), ``misc`` for the ``_MISC`` macros, the id named in ``…_TO_LOGGER``.

Every template then gets a verdict from :data:`RULES`, an ordered table read top to bottom (first match
wins) over the logger, the level, the source file and the template's text; the README of the labelled
corpus (tests/data/corpus/README.md) is what the verdicts follow.  Trace-level calls are left out, and so
are debug chatter templates (verdict ``other``/``unknown``) of loggers that are not about authentication,
authorization, TLS or configuration: they would only say "unknown", which meshtail says anyway.

``--dump FILE`` writes every extracted call (before filtering) as TSV, for reading; ``--check`` exits 1
when the generated file differs from what is on disk.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "meshtail" / "parse" / "envoy_templates.py"

ENVOY_MIRROR = Path("/work/.mirror/agrawroh+envoy/repo")  # github:agrawroh/envoy, a fork with upstream's history
ISTIO_MIRROR = Path("/work/.mirror/istio+proxy/repo")  # github:istio/proxy
CILIUM_MIRROR = Path("/work/.mirror/cilium+proxy/repo")  # github:cilium/proxy: Cilium's Envoy filters

# (label, revision): release tags, or the "repo: Release vX.Y.0" commit where the fork has no tag
ENVOY_REVISIONS = (
    ("v1.5.0", "v1.5.0"),  # Istio 0.x and 2018's Envoy-based gateways (Ambassador, Contour): older wording still
    ("v1.7.0", "v1.7.0"),  # Istio 1.0 shipped Envoy 1.7-1.8: cluster manager and config messages since reworded
    ("v1.10.0", "v1.10.0"),
    ("v1.12.0", "v1.12.0"),  # every second minor: wordings that lived between the others
    ("v1.14.0", "v1.14.0"),
    ("v1.16.0", "v1.16.0"),
    ("v1.18.0", "v1.18.0"),
    ("v1.20", "171673f4ce01e186fe8245b34085a1091ef3f828"),  # main on v1.20.0's release day (the fork has no commit)
    ("v1.22.0", "dcd329a2e95b54f754b17aceca3f72724294b502"),
    ("v1.24", "58449447ff254c61b7ed75824a87a44723468f90"),  # main on v1.24.0's release day
    ("v1.26.0", "e7543a0d49cb46a299269230d073ba67049b0ea5"),
    ("v1.28.0", "b5ca88acee3453c9459474b8f22215796eff4dde"),
    ("v1.30.0", "50ea83e602d5da162df89fd5798301e22f5540cf"),
    ("v1.33.0", "b0f43d67aa25c1b03c97186a200cc187f4c22db3"),
    ("main", "321a098d81238d9b8ad49c098b7ae44181ca42dd"),
)
ISTIO_REVISIONS = (
    ("release-1.4", "release-1.4"),  # the Mixer filter, authn, jwt_auth (Istio 1.4)
    ("release-1.12", "release-1.12"),
    ("release-1.22", "release-1.22"),
    ("release-1.29", "release-1.29"),
)

# the source trees read (prefixes of paths); tests, fuzzers and benchmarks are skipped
ENVOY_TREES = (
    "source/common/",
    "source/server/",
    "source/exe/",
    "source/extensions/filters/",
    "source/extensions/transport_sockets/",
    "source/extensions/config_subscription/",
    "source/extensions/common/",
    "source/extensions/bootstrap/wasm/",
    "source/extensions/listener_managers/",
    "source/extensions/upstreams/",
    "source/extensions/clusters/",
    "source/extensions/health_checkers/",
    "source/extensions/network/",
    "source/extensions/wasm_runtime/",
    # what a mesh's telemetry and policy run in the proxy too (Istio's tracing providers, access log services,
    # metrics sinks, the overload manager, load balancing policies, RBAC matchers, HTTP extensions)
    "source/extensions/tracers/",
    "source/extensions/access_loggers/",
    "source/extensions/stat_sinks/",
    "source/extensions/resource_monitors/",
    "source/extensions/load_balancing_policies/",
    "source/extensions/rbac/",
    "source/extensions/http/",
    "source/extensions/router/",
    "source/extensions/retry/",
    "source/extensions/grpc_credentials/",
    "source/extensions/formatter/",
    "source/extensions/matching/",
)
ISTIO_TREES = ("src/envoy/", "source/extensions/", "extensions/common/", "src/istio/control/")
# Cilium's Envoy (cilium-envoy, the proxy of Cilium's L7 policy and its service mesh): its filters' own log calls
CILIUM_REVISIONS = (
    ("v1.25", "51624799a64f45b33d147c2b097c94f7df265d86"),  # Envoy 1.25 (2023), Cilium 1.13-1.14
    ("main", "7dfaf94361b90ad140c720cdae3249959dc88b3e"),  # 2026-08
)
CILIUM_TREES = ("cilium/",)
SKIP_PARTS = ("test", "fuzz", "benchmark", "/quic/", "/http3/", "_quic", "/udp/", "/mobile/")
# protocols and products a mesh sidecar does not run: their loggers are dropped
SKIP_LOGGERS = frozenset(
    (
        "mongo",
        "redis",
        "dubbo",
        "thrift",
        "kafka",
        "rocketmq",
        "quic",
        "quic_stream",
        "hystrix",
        "testing",
        "aws",
        "golang",
        "dynamic_modules",
        "geolocation",
        "tap",
        "udp",
        "mcp",
        "key_value_store",
        "alternate_protocols_cache",
        "happy_eyeballs",
        "stats_sinks",
        "notification",
        "cache_filter",
    )
)

RANK = ("trace", "debug", "info", "warning", "error", "critical")
LEVELS = {"trace": "trace", "debug": "debug", "info": "info", "warn": "warning", "error": "error"}
LEVELS["critical"] = "critical"


# ------------------------------------------------------------------ reading the source
class Tree:
    """One revision of a git directory, files read through one ``git cat-file --batch``."""

    def __init__(self, git_dir: Path, rev: str) -> None:
        self.git_dir, self.rev = git_dir, rev
        out = subprocess.run(
            ["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", rev],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.paths = out.splitlines()
        self._cat = subprocess.Popen(
            ["git", "-C", str(git_dir), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def read(self, path: str) -> str:
        assert self._cat.stdin and self._cat.stdout
        self._cat.stdin.write(f"{self.rev}:{path}\n".encode())
        self._cat.stdin.flush()
        header = self._cat.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return ""
        data = self._cat.stdout.read(int(header[2]) + 1)[:-1]
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        assert self._cat.stdin
        self._cat.stdin.close()
        self._cat.wait()


def strip_comments(text: str) -> str:
    """Comments blanked with spaces (newlines kept), string and character literals left as they are."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^()\\ ]{0,16})\(', text[i:])
            if m is None:
                out.append(c)
                i += 1
                continue
            end = text.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(text[i:j])
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text: str, start: int) -> tuple[list[str], int] | None:
    """The top-level arguments of the call whose ``(`` is at ``start``, and where the call ends."""
    depth, i, n = 0, start, len(text)
    args: list[str] = []
    begin = start + 1
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    return None


_STRING = re.compile(r'\s*(?:u8|L|u|U)?"((?:[^"\\\n]|\\.)*)"\s*', re.S)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "0": "\0"}


def literal(arg: str) -> str | None:
    """The text of an argument made only of adjacent string literals, or None."""
    pos, parts = 0, []
    while pos < len(arg):
        m = _STRING.match(arg, pos)
        if m is None:
            return None
        parts.append(re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)), m.group(1)))
        pos = m.end()
    return "".join(parts) if parts else None


_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]{0,40}\}")


def fmt_template(fmt: str) -> str:
    """fmt's replacement fields as ``{}``; ``{{``/``}}`` as the braces they print."""
    return _FIELD.sub(lambda m: "{" if m.group(0) == "{{" else "}" if m.group(0) == "}}" else "{}", fmt)


# macro -> (index of the level, index of the format, index of an explicit logger or None, implied logger)
MACROS: dict[str, tuple[int, int, int | None, str | None]] = {
    "ENVOY_LOG": (0, 1, None, None),
    "ENVOY_LOG_MISC": (0, 1, None, "misc"),
    "ENVOY_CONN_LOG": (0, 1, None, None),
    "ENVOY_STREAM_LOG": (0, 1, None, None),
    "ENVOY_LOG_TO_LOGGER": (1, 2, 0, None),
    "ENVOY_CONN_LOG_TO_LOGGER": (1, 2, 0, None),
    "ENVOY_STREAM_LOG_TO_LOGGER": (1, 2, 0, None),
    "ENVOY_TAGGED_LOG": (0, 2, None, None),
    "ENVOY_TAGGED_CONN_LOG": (0, 3, None, None),
    "ENVOY_TAGGED_STREAM_LOG": (0, 3, None, None),
    "ENVOY_TAGGED_LOG_TO_LOGGER": (1, 3, 0, None),
    "ENVOY_TAGGED_CONN_LOG_TO_LOGGER": (1, 4, 0, None),
    "ENVOY_TAGGED_STREAM_LOG_TO_LOGGER": (1, 4, 0, None),
    "ENVOY_LOG_EVENT": (0, 2, None, None),
    "ENVOY_LOG_EVENT_TO_LOGGER": (1, 3, 0, None),
    "ENVOY_CONN_LOG_EVENT": (0, 2, None, None),
    "ENVOY_LOG_FIRST_N": (0, 2, None, None),
    "ENVOY_LOG_FIRST_N_IF": (0, 3, None, None),
    "ENVOY_LOG_FIRST_N_MISC": (0, 2, None, "misc"),
    "ENVOY_LOG_FIRST_N_MISC_IF": (0, 3, None, "misc"),
    "ENVOY_LOG_FIRST_N_TO_LOGGER": (1, 3, 0, None),
    "ENVOY_LOG_FIRST_N_TO_LOGGER_IF": (1, 4, 0, None),
    "ENVOY_LOG_ONCE": (0, 1, None, None),
    "ENVOY_LOG_ONCE_IF": (0, 2, None, None),
    "ENVOY_LOG_ONCE_MISC": (0, 1, None, "misc"),
    "ENVOY_LOG_ONCE_MISC_IF": (0, 2, None, "misc"),
    "ENVOY_LOG_ONCE_TO_LOGGER": (1, 2, 0, None),
    "ENVOY_LOG_ONCE_TO_LOGGER_IF": (1, 3, 0, None),
    "ENVOY_LOG_EVERY_NTH": (0, 2, None, None),
    "ENVOY_LOG_EVERY_NTH_MISC": (0, 2, None, "misc"),
    "ENVOY_LOG_EVERY_NTH_TO_LOGGER": (1, 3, 0, None),
    "ENVOY_LOG_EVERY_POW_2": (0, 1, None, None),
    "ENVOY_LOG_EVERY_POW_2_MISC": (0, 1, None, "misc"),
    "ENVOY_LOG_EVERY_POW_2_TO_LOGGER": (1, 2, 0, None),
    "ENVOY_LOG_PERIODIC": (0, 2, None, None),
    "ENVOY_LOG_PERIODIC_MISC": (0, 2, None, "misc"),
    "ENVOY_LOG_PERIODIC_TO_LOGGER": (1, 3, 0, None),
}
_CALL = re.compile(r"\b(ENVOY_[A-Z0-9_]+|IS_ENVOY_BUG)\s*\(")
_ID = re.compile(r"Logger::Id::(\w+)")
_CLASS = re.compile(r"\b(?:class|struct)\s+(?:\[\[[^\]]*\]\]\s*)?(?:\w+\s+)??(\w+)\s*(?:final\s*)?(?::([^{;]*))?\{")
_BASE_NAME = re.compile(r"((?:\w+::)*\w+)\s*(?:<[^<>]*(?:<[^<>]*>[^<>]*)*>)?\s*$")
_DEFINITION = re.compile(r"^(?![ \t#}])[^\n;(]*?\b((?:\w+::)*\w+)::(~?\w+|operator[^\s(]{1,3})\s*\(", re.M)


@dataclass
class Call:
    logger: str | None
    level: str
    template: str
    path: str
    line: int
    macro: str


@dataclass
class ClassInfo:
    path: str
    logger: str | None
    bases: list[str] = field(default_factory=list)


def class_table(files: dict[str, str]) -> dict[str, list[ClassInfo]]:
    """Every class or struct declared with a base list: its own ``Logger::Id`` and its bases' names."""
    table: dict[str, list[ClassInfo]] = defaultdict(list)
    for path, text in files.items():
        for m in _CLASS.finditer(text):
            bases_text = m.group(2) or ""
            own = None
            bases = []
            for base in re.split(r",(?![^<>]*>)", bases_text):
                ident = _ID.search(base)
                if "Loggable" in base and ident:
                    own = ident.group(1)
                    continue
                name = _BASE_NAME.search(base.strip())
                if name:
                    bases.append(name.group(1))
            table[m.group(1)].append(ClassInfo(path, own, bases))
    return table


SHARED = ("source/common/", "source/server/", "source/extensions/common/", "source/extensions/filters/common/")


def _unit(path: str) -> str:
    """The extension a file belongs to (``source/extensions/filters/http/rbac``), else its directory."""
    parts = path.split("/")
    if parts[:2] == ["source", "extensions"] and len(parts) > 5:
        return "/".join(parts[:5] if parts[2] == "filters" else parts[:4])
    return "/".join(parts[:-1])


def _nearest_first(infos: list[ClassInfo], path: str) -> list[ClassInfo]:
    """The declarations of a class name that code in ``path`` can mean, nearest first: its own extension's,
    then the shared trees' (a class of another extension with the same name is another class)."""

    def distance(info: ClassInfo) -> int:
        if info.path.rsplit(".", 1)[0] == path.rsplit(".", 1)[0]:
            return 0
        mine, theirs = path.split("/"), info.path.split("/")
        common = 0
        while common < min(len(mine), len(theirs)) and mine[common] == theirs[common]:
            common += 1
        return 1 + len(mine) - common

    unit = _unit(path)
    eligible = [
        i for i in infos if _unit(i.path) == unit or i.path.startswith(SHARED) or not i.path.startswith("source/")
    ]
    return sorted(eligible, key=distance)


def _squash(word: str) -> str:
    return word.replace("_", "").lower()


def class_logger(name: str, path: str, table: dict[str, list[ClassInfo]], seen: set[int] | None = None) -> str | None:
    """The logger of class ``name`` (``Ns::Name`` for a qualified base) as used from ``path``: its own
    ``Loggable`` id or the first base's.  A qualified name means the declarations in a directory named like
    its namespace when there are any (``Tracing::Config`` is include/envoy/tracing's, not some ``Config``)."""
    seen = set() if seen is None else seen
    *spaces, name = name.split("::")
    candidates = table.get(name, [])
    spaces = [_squash(space) for space in spaces if space not in ("Envoy", "")]
    if spaces:
        qualified = [i for i in candidates if _squash(spaces[-1]) in map(_squash, i.path.split("/")[:-1])]
        candidates = qualified or candidates
    for info in _nearest_first(candidates, path):
        if id(info) in seen or len(seen) > 40:
            continue
        seen.add(id(info))
        if info.logger:
            return info.logger
        for base in info.bases:
            found = class_logger(base, info.path, table, seen)
            if found:
                return found
    return None


def enclosing_classes(text: str, pos: int) -> list[str]:
    """The classes whose method holds ``pos``, innermost first: the qualifiers of the last ``A::B::method(``
    definition at the start of a line before it (a .cc file), or the last class declared before it (a
    header's inline method).  A nested class reaches its enclosing class's ``ENVOY_LOGGER()``."""
    best = None
    for m in _DEFINITION.finditer(text, 0, pos):
        best = m.group(1)
    if best is not None:
        return best.split("::")[::-1]
    last = [m.group(1) for m in _CLASS.finditer(text, 0, pos)]
    return last[::-1][:3]


def extract(tree: Tree, trees: tuple[str, ...]) -> list[Call]:
    paths = [
        p
        for p in tree.paths
        if p.startswith(trees) and p.endswith((".cc", ".h")) and not any(part in p for part in SKIP_PARTS)
    ]
    files = {p: strip_comments(tree.read(p)) for p in paths}
    interfaces = {
        p: strip_comments(tree.read(p))
        for p in tree.paths
        if p.startswith(("include/envoy/", "envoy/")) and p.endswith(".h")
    }
    table = class_table({**interfaces, **files})
    calls = []
    for path, text in files.items():
        if "ENVOY_" not in text:
            continue
        file_ids = set(_ID.findall(" ".join(re.findall(r"Loggable<[^>]*>", text))))
        companion = files.get(path.rsplit(".", 1)[0] + ".h", "")
        file_ids |= set(_ID.findall(" ".join(re.findall(r"Loggable<[^>]*>", companion))))
        for m in _CALL.finditer(text):
            macro = m.group(1)
            if text[: m.start()].rstrip().endswith("#define") or re.search(r"#\s*define\s+\w*$", text[: m.start()]):
                continue
            parsed = call_args(text, m.end() - 1)
            if parsed is None:
                continue
            args, _ = parsed
            line = text.count("\n", 0, m.start()) + 1
            if macro in ("ENVOY_BUG", "IS_ENVOY_BUG"):
                details = literal(args[-1]) if args else None
                if details is not None:
                    calls.append(Call("envoy_bug", "error", "envoy bug failure: {}", path, line, macro))
                continue
            if macro not in MACROS:
                continue
            level_at, fmt_at, logger_at, implied = MACROS[macro]
            if len(args) <= fmt_at:
                continue
            level = LEVELS.get(args[level_at].strip())
            fmt = literal(args[fmt_at])
            if fmt is None and _VARIABLE.fullmatch(args[fmt_at].strip()):
                fmt = built_message(text, args[fmt_at].strip(), m.start())
            if level is None or fmt is None:
                continue
            logger = implied
            if logger_at is not None:
                explicit = args[logger_at]
                ident = _ID.search(explicit)
                if ident:
                    logger = ident.group(1)
                elif "GET_MISC_LOGGER" in explicit:
                    logger = "misc"
                elif "ENVOY_LOGGER()" not in explicit:
                    continue  # a logger held in a variable: not known from here
            if logger is None and path.endswith(".h") and len(file_ids) == 1:
                logger = next(iter(file_ids))
            if logger is None:
                for owner in enclosing_classes(text, m.start()):
                    logger = class_logger(owner, path, table)
                    if logger:
                        break
                if logger is None and len(file_ids) == 1:
                    logger = next(iter(file_ids))
            calls.append(Call(logger, level, fmt_template(fmt), path, line, macro))
        if "setFailureReason" in text:
            calls += extract_failure_reasons(path, text, table)
    return calls


_VARIABLE = re.compile(r"[a-z_][a-z0-9_]{0,40}")
# how far back from the log call a message's variable is looked for (the function's own lines)
_BUILT_REACH = 1200


def built_message(text: str, name: str, at: int) -> str | None:
    """The message of ``ENVOY_LOG_MISC(warn, warning_str)`` when the function built it just before from literals:
    ``const std::string& warning_str = fmt::format("Configuration does not parse cleanly as v3. …: {}", desc);``
    (protobuf/utility.cc 1.16-1.17), or ``absl::StrCat("lit", x, "lit")``; None for any other origin (a parameter,
    a value returned by a call)."""
    start = max(0, at - _BUILT_REACH, text.rfind("\n}\n", 0, at))  # (this function's own lines: not the one before)
    assigned = list(re.finditer(rf"\b{name}\s*(?:\+?=(?!=)\s*|\()(?:(fmt::format|absl::StrCat)\s*\()?", text[start:at]))
    if not assigned or assigned[-1].group(1) is None:
        return None  # (its last assignment is not one of these: a value the message was changed to, or added to)
    found = assigned[-1]
    parsed = call_args(text, start + found.end() - 1)
    if parsed is None or not parsed[0]:
        return None
    args = parsed[0]
    if found.group(1) == "fmt::format":
        first = literal(args[0])
        return None if first is None else fmt_template(first)
    pieces = [literal(arg) for arg in args]
    text_of = "".join("{}" if piece is None else piece.replace("{", "{{").replace("}", "}}") for piece in pieces)
    return fmt_template(text_of) if any(pieces) else None


_FAILURE_REASON = re.compile(r"\bsetFailureReason\s*\(")
_WASM_FAIL = re.compile(r"(?:\bfail\s*\(\s*FailState::\w+\s*,|(?:->|\.)error\s*\()")
_LEADING = re.compile(
    r'\s*(?:(?:std::)?string(?:_view)?\s*\(\s*)?((?:u8)?"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*)'
)


def leading_text(expr: str) -> str | None:
    """What a message built at run time starts with: the literal opening ``"lit" + x``, ``std::string("lit")``,
    ``absl::StrCat("lit", x)``; ``{}`` stands for whatever follows it."""
    expr = expr.strip()
    if expr.startswith("absl::StrCat("):
        parsed = call_args(expr, len("absl::StrCat"))
        if parsed is None or not parsed[0]:
            return None
        first = literal(parsed[0][0])
        return None if first is None else first + ("{}" if len(parsed[0]) > 1 else "")
    m = _LEADING.match(expr)
    if m is None:
        return None
    text = literal(m.group(1))
    if text is None:
        return None
    rest = expr[m.end() :].strip().lstrip(")").strip()
    return text + ("{}" if rest else "")


def extract_failure_reasons(path: str, text: str, table: dict[str, list[ClassInfo]]) -> list[Call]:
    """``setFailureReason(absl::StrCat("immediate connect error: ", …))``: a connection's failure reason,
    logged by ``ENVOY_CONN_LOG_EVENT(debug, …, "{}", *this, failureReason())`` and in the pool's
    ``client disconnected, failure reason: {}``."""
    calls = []
    for m in _FAILURE_REASON.finditer(text):
        parsed = call_args(text, m.end() - 1)
        if parsed is None or len(parsed[0]) != 1:
            continue
        template = leading_text(parsed[0][0])
        if template is None or len(template.replace("{}", "")) < 6:
            continue
        logger = None
        for owner in enclosing_classes(text, m.start()):
            logger = class_logger(owner, path, table)
            if logger:
                break
        line = text.count("\n", 0, m.start()) + 1
        calls.append(Call(logger, "debug", template, path, line, "setFailureReason"))
    return calls


def extract_wasm_host(tree: Tree) -> list[Call]:
    """proxy-wasm-cpp-host's ``fail(FailState::…, msg)`` and ``integration()->error(msg)``: Envoy logs these
    on its ``wasm`` logger at error, message alone (``EnvoyWasmVmIntegration::error``)."""
    calls = []
    for path in tree.paths:
        if not path.startswith(("src/", "include/")) or not path.endswith((".cc", ".h")) or "test" in path:
            continue
        text = strip_comments(tree.read(path))
        for m in _WASM_FAIL.finditer(text):
            open_at = text.rfind("(", m.start(), m.end())
            parsed = call_args(text, open_at)
            if parsed is None or not parsed[0]:
                continue
            template = leading_text(parsed[0][-1])
            if template is None or len(template.replace("{}", "")) < 8:
                continue
            line = text.count("\n", 0, m.start()) + 1
            calls.append(Call("wasm", "error", template, "proxy-wasm/" + path, line, "fail"))
    return calls


# ------------------------------------------------------------------ verdicts
@dataclass(frozen=True)
class Rule:
    """Templates the conditions hold for get the verdict (``category/outcome/violation``) and action;
    ``<logger>`` in the action stands for the logger of the line.  An empty condition always holds."""

    name: str
    verdict: str
    action: str
    loggers: frozenset[str] | None = None  # the template's logger is one of these
    levels: frozenset[str] | None = None  # its level is one of these
    paths: tuple[str, ...] = ()  # its source path holds one of these
    words: tuple[str, ...] = ()  # its text holds one of these (case-insensitive)
    also: tuple[str, ...] = ()  # ... and one of these
    unless: tuple[str, ...] = ()  # ... and none of these

    @property
    def category(self) -> str:
        return self.verdict.split("/")[0]

    @property
    def outcome(self) -> str:
        return self.verdict.split("/")[1]

    @property
    def violation(self) -> bool:
        return self.verdict.endswith("/violation")


def _s(*names: str) -> frozenset[str]:
    return frozenset(names)


AUTH_LOGGERS = _s("rbac", "jwt", "ext_authz", "oauth2", "basic_auth", "secret", "credential_injector")
AUTH_PATHS = (
    "/filters/http/rbac/", "/filters/network/rbac/", "/filters/common/rbac/", "/filters/http/jwt_authn/",
    "/filters/http/ext_authz/", "/filters/network/ext_authz/", "/filters/common/ext_authz/",
    "/filters/http/oauth2/", "/filters/http/basic_auth/", "/http/authn/", "/http/jwt_auth/", "/utils/authn",
    # Cilium's policy enforcement in Envoy (its L7 policy filter, its network filter's policy lookups)
    "cilium/network_policy", "cilium/network_filter",
    "/jwks_fetcher",  # filters/http/common/jwks_fetcher.cc: a JWT issuer's keys
)  # fmt: skip
TLS_PATHS = (
    "/transport_sockets/tls/", "/transport_sockets/alts/", "/common/tls/", "/common/ssl/", "/common/secret/",
    "/cert_validator/",
)  # fmt: skip
CONFIG_PATHS = (
    "/common/config/", "/config_subscription/", "/listener_manager_impl", "/listener_impl.", "/server/lds_api",
    "/listener_manager/lds_api",  # (lds_api.cc moved to source/common/listener_manager/)
    "/server/lds_subscription", "/upstream/cds_api", "/upstream/cds_subscription", "/router/rds_impl",
    "/router/scoped_rds", "/router/vhds", "/rds/", "/server/configuration_impl",
)  # fmt: skip
CONNECTION_PATHS = (
    "/common/network/", "/common/http/", "/common/router/", "/common/upstream/", "/common/tcp", "/conn_pool/",
    "/filters/network/tcp_proxy", "/upstreams/",
)  # fmt: skip
FAIL = _s("error", "critical")
LOUD = _s("warning", "error", "critical")
FAIL_WORDS = ("fail", "error", "unable", "cannot", "can't", "could not", "invalid", "panic", "abort")

# The rule table, read top to bottom: the first rule whose conditions hold gives the verdict.  It follows
# tests/data/corpus/README.md: rbac/jwt/ext_authz denials are auth/deny/violation (shadow/dry-run denials
# auth/allow/violation); TLS handshake and certificate failures auth/failure/violation; a connection closed
# for want of a filter chain is an mTLS/plaintext rejection (auth/deny/violation); rejected xDS config is
# config/failure/violation; an identity the control plane refused is auth/deny/violation; upstream
# connect/reset errors and codec errors are routing/failure; Wasm/Lua errors and crashes other/failure; an
# error/critical line failed; "ready" at info is success; debug chatter stays unknown.
# fmt: off
RULES: tuple[Rule, ...] = (
    # --- the process's own crash reports, wherever they are raised
    Rule("crash", "other/failure", "envoy.crash", loggers=_s("backtrace", "assert")),
    Rule("envoy bug", "other/failure", "envoy.<logger>", loggers=_s("envoy_bug")),
    # --- authorization and authentication decisions
    Rule("shadow denial", "auth/allow/violation", "authz.shadow_deny", words=("shadow denied",)),
    # the filters' allow decisions (a decision, not chatter)
    Rule("auth allow", "auth/allow", "authz.allow", paths=AUTH_PATHS,
         words=("enforced allowed", "shadow allowed", "allowed by default", "ext_authz filter accepted the request",
                "ext_authz filter allowed the request"), unless=("with error",)),
    Rule("rbac denial", "auth/deny/violation", "authz.deny", paths=("/rbac/",),
         words=("enforced denied", "access denied")),
    Rule("jwt rejection", "auth/deny/violation", "jwt.reject", paths=("/jwt_authn/", "/jwt_auth/"),
         words=("rejected", "verification fail", "jwt is expired", "token is expired")),
    Rule("ext_authz error", "auth/failure", "extauthz.error", paths=("/ext_authz/",),
         words=("rejected the request with an error",)),
    Rule("ext_authz denial", "auth/deny/violation", "extauthz.deny", paths=("/ext_authz/",),
         words=("rejected the request", "deny the request", "denied the request")),
    Rule("authn rejection", "auth/deny/violation", "jwt.reject", paths=("/http/authn/", "/utils/authn"),
         words=("rejected", "validation failed", "authenticator failed", "unauthorized", "validatex509 failed")),
    # OAuth2's and the network RBAC filter's own words for a refusal
    Rule("other authn denial", "auth/deny/violation", "authz.deny", paths=AUTH_PATHS,
         words=("responding with 401 unauthorized", "unauthorized, redirecting to oauth server is not allowed",
                "will be delay denied")),
    Rule("no filter chain", "auth/deny/violation", "mtls.reject", words=("no matching filter chain",),
         unless=("for handshake",)),
    Rule("identity refused", "auth/deny/violation", "xds.stream_closed",
         words=("request authenticate failure", "unauthenticated", "permission denied")),
    # --- TLS and certificates
    Rule("tls handshake failure", "auth/failure/violation", "tls.handshake_error",
         words=("tls error", "tls_error", "ssl error", "handshake error", "handshake fail", "certificate verify",
                "handshake completion error",
                "verify cert fail", "certificate validation fail", "failed to verify", "handshake validation fail")),
    Rule("certificate failure", "auth/failure/violation", "tls.handshake_error", paths=TLS_PATHS, levels=LOUD,
         words=("certificate", "cert ", "verif", "x509", "san ", "trust", "peer"),
         also=(*FAIL_WORDS, "expired", "mismatch", "not valid"), unless=("deprecated",)),
    # --- configuration rejected or invalid
    # (a Wasm *filter* Envoy cannot create fails the listener that carries it: "<listener>: Unable to create Wasm
    # HTTP filter …", an xDS rejection; the bootstrap's Wasm *service* -- "Unable to create Wasm service {}",
    # source/extensions/bootstrap/wasm/config.cc, logged when its VM fails to load -- is no xDS config: a Wasm
    # failure, which the wasm rules below give)
    Rule("xds rejection", "config/failure/violation", "xds.reject",
         words=("config for {} rejected", "config update rejected", "error adding/updating listener",
                "error adding listener", "proto constraint validation failed", "unable to create wasm http filter",
                "unable to create wasm network filter", "error initializing configuration", "rejected: ", " nack",
                # the bootstrap file Envoy cannot load (1.14+ words it "config", and "error `{}` initializing
                # config" when an exception names its own message)
                "error initializing config '", "` initializing config '")),
    # Envoy 1.7 logs "<cds|lds>: fetch failure: network error" (debug/info) when the stream failed, and
    # "<cds|lds|rds>: fetch failure: <exception>" (warning) when the update was refused
    Rule("xds fetch network error", "config/failure", "xds.stream_closed", words=("fetch failure: network error",)),
    Rule("xds fetch rejection", "config/failure/violation", "xds.reject", paths=CONFIG_PATHS,
         words=("fetch failure", "unknown cluster", "invalid config", "didn't find a registered")),
    Rule("xds fetch rejection 1.7", "config/failure/violation", "xds.reject", levels=_s("warning", "warn"),
         words=("cds: fetch failure: ", "lds: fetch failure: ", "rds: fetch failure: ")),
    # --- xDS updates the proxy accepted (it ACKs them: grpc_mux_subscription_impl.cc / grpc_subscription_impl.cc
    # "gRPC config for {} accepted with {} resources…", the delta and "Config update for … accepted" forms)
    Rule("xds accepted", "config/success", "xds.accepted", paths=CONFIG_PATHS,
         words=("config for {} accepted with", "config update for {} (version {}) accepted with",
                "delta config for {} accepted with")),
    # --- xDS connection trouble and changes
    # a subscription's own note that an update failed (debug; the warning that names why is its NACK)
    Rule("xds update failed", "config/failure", "config.log", words=("grpc update for {} failed",)),
    Rule("xds stream", "config/failure", "xds.stream_closed",
         # (HDS, the management server's health-check stream, is one more such stream: its "stream/connection failure")
         words=("config stream closed", "config stream to {} closed", "unable to establish new stream",
                "hdsdelegate stream/connection failure"),
         unless=("gracefully",)),
    Rule("xds update", "config/change", "xds.update", paths=(*CONFIG_PATHS, "/upstream/"),
         levels=_s("info", "debug"), unless=("' skipped", "} skipped"),  # (the same config again: nothing changed)
         words=("cds: add", "lds: add", "rds: loading", "add/update listener '", "cds: added",
                "add/update cluster {}",  # (1.5: "add/update cluster {}"; later "… during init|starting warming")
                "removing cluster {}",  # (the cluster manager dropping a cluster CDS no longer sends)
                "warming cluster {} complete")),  # Envoy 1.7's cluster manager (Istio 1.0)
    # the summaries of an update at info (cds_api_helper.cc starts them with the API's name as a "{}")
    Rule("xds update summary", "config/change", "xds.update", levels=_s("info"),
         paths=(*CONFIG_PATHS, "/lds_api", "/upstream/"),
         words=("lds: add/update listener '", "lds: remove listener '", "cds: remove cluster '",
                ": add {} cluster(s), remove {} cluster(s)", "added/updated {} cluster(s)",
                "response indicates {} added/updated", "add {} endpoint(s), remove")),
    # --- extensions and the process
    Rule("wasm host error", "other/failure", "wasm.error", paths=("proxy-wasm/",)),
    Rule("wasm failure", "other/failure", "wasm.error", paths=("/wasm", "proxy-wasm"), levels=LOUD,
         words=(*FAIL_WORDS, "crash", "missing", "unknown", "trap"), unless=("unstable",)),
    Rule("wasm failure words", "other/failure", "wasm.error",
         words=("wasm vm failed", "plugin configured to fail closed", "failed to load wasm", "failed to create wasm",
                "failed to start base wasm", "failed to initialize wasm", "failed to clone base wasm")),
    Rule("lua failure", "other/failure", "lua.error", loggers=_s("lua"), levels=LOUD),
    Rule("lua error", "other/failure", "lua.error", words=("script load error", "lua error", "script error")),
    Rule("crash words", "other/failure", "envoy.crash",
         words=("caught segmentation", "caught signal", "caught aborted", "backtrace (use", "std::terminate called",
                "assert failure", "panic: ")),
    # --- requests and connections
    Rule("codec error", "routing/failure", "http.codec_error",
         words=("codec error", "protocol error", "invalid http2", "invalid frame", "dispatch error",
                "error dispatching")),
    Rule("upstream failure", "routing/failure", "upstream.failure", paths=CONNECTION_PATHS,
         words=("connect error", "connection error", "connection failure", "upstream reset", "upstream timeout",
                "upstream request timeout", "per try timeout", "no healthy host", "connect timeout",
                "connection timeout", "pool failure", "reset reason", "upstream connect error", "remote reset",
                "failed to connect", "unknown cluster", "socket creation failure", "failed to bind"),
         unless=("ignored",)),
    # a name that did not resolve, said in the words of a DNS cluster's refresh (logical_dns_cluster.cc,
    # strict_dns_cluster.cc, the dynamic forward proxy: "DNS refresh rate reset for {}, (failure) refresh rate {} ms")
    Rule("dns failure", "other/failure", "envoy.<logger>", words=("(failure) refresh rate",)),
    # a call that came back with a gRPC error, in istio/proxy's words at debug (the Mixer client's transport:
    # "Check failed with code: 14, upstream connect error …", blind set holdout174)
    Rule("grpc call failure", "other/failure", "envoy.<logger>", words=("failed with code: ", "report failed with")),
    # --- success: at info, what says the proxy is up (debug chatter stays unknown)
    Rule("ready", "other/success", "envoy.ready", levels=_s("info"),
         words=("all clusters initialized", "starting main dispatch loop", "starting workers",
                "all dependencies initialized", "initialized", "finished initialization", "started", "connected",
                "is ready", "successfully"),
         unless=("previously", "no admin", "not ")),
    # --- the rest: the level says whether it failed, the source what it is about
    Rule("auth filter error", "auth/failure", "auth.log", loggers=AUTH_LOGGERS, levels=FAIL),
    Rule("auth path error", "auth/failure", "auth.log", paths=AUTH_PATHS, levels=FAIL),
    Rule("config error", "config/failure", "config.log", paths=CONFIG_PATHS, levels=FAIL),
    Rule("error", "other/failure", "envoy.<logger>", levels=FAIL),
    Rule("auth chatter", "auth/unknown", "auth.log", loggers=AUTH_LOGGERS),
    Rule("auth path chatter", "auth/unknown", "auth.log", paths=AUTH_PATHS),
    # a handshake done: ssl_socket.cc's "handshake complete", ALTS' "TSI: Handshake successful" / "… validation
    # succeeded" (the runtime reads them so too)
    Rule("tls handshake done", "auth/success", "tls.handshake", paths=TLS_PATHS,
         words=("handshake complete", "handshake successful", "handshake validation succeeded"),
         unless=("until tls handshake completes",)),
    Rule("tls chatter", "auth/unknown", "tls.handshake", paths=TLS_PATHS, unless=("shutdown",)),  # (a close)
    Rule("config chatter", "config/unknown", "config.log", paths=CONFIG_PATHS, unless=("filter state",)),
    # the bootstrap's own shape said at start (server.cc): the configuration, as both blind collectors labelled it
    Rule("bootstrap chatter", "config/unknown", "config.log", words=("no admin address given",)),
    Rule("chatter", "other/unknown", "envoy.<logger>"),
)
# fmt: on


def verdict(call: Call) -> tuple[Rule, str]:
    text = call.template.lower()
    for rule in RULES:
        if rule.loggers is not None and call.logger not in rule.loggers:
            continue
        if rule.levels is not None and call.level not in rule.levels:
            continue
        if rule.paths and not any(part in call.path for part in rule.paths):
            continue
        if rule.words and not any(word in text for word in rule.words):
            continue
        if rule.also and not any(word in text for word in rule.also):
            continue
        if any(word in text for word in rule.unless):
            continue
        return rule, rule.action.replace("<logger>", call.logger or "log")
    raise AssertionError("the last rule matches everything")


def kept(call: Call, rule: Rule) -> bool:
    """Whether a template goes into the table: not a dropped logger, not debug chatter (``other``/``unknown`` at
    debug) -- meshtail says "unknown" for that without a table -- and at trace only what a rule decides (a TLS
    failure, an ext_authz denial printed at trace still is one)."""
    if call.logger is None or call.logger in SKIP_LOGGERS:
        return False
    if call.level == "trace" and rule.name.endswith("chatter"):
        return False
    first = call.template.split("\n", 1)[0]
    if len(first.replace("{}", "").strip()) < 4:
        return False  # nothing to recognise it by (``{}``, ``{}: {}``)
    if rule.name == "chatter" and call.level == "debug":
        # debug chatter only when its start alone says Envoy (``queueing stream due to no available connections``):
        # then a message pasted without Envoy's prefix is still read as Envoy's (its verdict is "unknown" either way)
        # (and naming something of Envoy's: "creating a new connection to {}" is any program's prose)
        prefix = first.split("{}", 1)[0]
        return (
            len(prefix) >= 24
            and len(prefix.split()) >= 4
            and not prefix.startswith(_PROSE_START)
            and _ENVOY_NOUN.search(prefix[1:]) is not None
        )
    return True


_PROSE_START = ("Failed to ", "Unable to ", "failed to ", "unable to ", "Error ", "error ", "Invalid ", "invalid ")
_ENVOY_NOUN = re.compile(
    r"[A-Z0-9_]|\b(?:stream|listener|cluster|upstream|downstream|filter|codec|wasm|runtime|overload|dispatcher"
    r"|deferred|drain|xds|tls|ssl|dns|http2|quic|socket|envoy|worker|admin|vhost|route)s?\b"
)


# ------------------------------------------------------------------ main
WASM_HOST_MIRROR = Path("/work/.mirror/proxy-wasm+proxy-wasm-cpp-host/repo")  # github:proxy-wasm/proxy-wasm-cpp-host
WASM_HOST_REVISIONS = (
    ("2021-06-01", "c3712617b28c69ff205e8302f70942c06e35f4e2"),
    ("2026-07-01", "52a02917b301c679ff43565064cffd2c3c750f6d"),
)


def collect(
    envoy: Path, istio_proxy: Path, wasm_host: Path, cilium: Path = CILIUM_MIRROR
) -> tuple[list[tuple[str, Call]], list[str]]:
    """Every call at every revision, oldest first, and the revisions read."""
    found: list[tuple[str, Call]] = []
    read: list[str] = []
    sources = [(envoy, ENVOY_REVISIONS, ENVOY_TREES, "envoyproxy/envoy (via agrawroh/envoy)")]
    sources.append((istio_proxy, ISTIO_REVISIONS, ISTIO_TREES, "istio/proxy"))
    sources.append((cilium, CILIUM_REVISIONS, CILIUM_TREES, "cilium/proxy"))
    for git_dir, revisions, trees, name in sources:
        if not git_dir.exists():
            continue
        for label, rev in revisions:
            tree = Tree(git_dir, rev)
            found += [(label, call) for call in extract(tree, trees)]
            tree.close()
            read.append(f"{name} {label}" + (f" ({rev})" if label.split()[-1] != rev else ""))
    if wasm_host.exists():
        for label, rev in WASM_HOST_REVISIONS:
            tree = Tree(wasm_host, rev)
            found += [(label, call) for call in extract_wasm_host(tree)]
            tree.close()
            read.append(f"proxy-wasm/proxy-wasm-cpp-host {label} ({rev})")
    return found, read


Entry = tuple[str, str, str, str, bool, str]  # rest of the template, level, category, outcome, violation, action


def table(found: list[tuple[str, Call]]) -> tuple[dict[tuple[str, str], list[Entry]], dict[str, int]]:
    """(logger, literal prefix) -> the templates starting so, the newest revision's level and verdict."""
    newest: dict[tuple[str, str], Call] = {}
    levels: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for label, call in found:  # oldest first: a later revision's call replaces an earlier one's
        if call.logger is None:
            continue
        # (one message whose trailing blank a later revision dropped is one template: the newest's)
        key = (call.logger, call.template.split("\n", 1)[0].rstrip(" "))
        newest[key] = call
        seen = levels.get(key)
        levels[key] = (label, seen[1] | {call.level}) if seen and seen[0] == label else (label, {call.level})
    for key, (_, seen) in levels.items():
        # a message logged at several levels (lua's ``script log: {}``, a plugin's ``wasm log``): the line's
        # own level decides, so the template is judged at its mildest -- of the levels an operator sees, leaving out
        # a trace copy beside a louder one, the developers' echo (protobuf/utility.cc logs its v2 deprecation warning
        # "at trace level … for tests" and at warn: judged at warn)
        shown = seen - {"trace"} or seen
        if len(seen) > 1:
            newest[key] = replace(newest[key], level=min(shown, key=RANK.index))
    entries: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    by_rule: dict[str, int] = defaultdict(int)
    for (logger, first), call in sorted(newest.items()):
        rule, _action = verdict(call)
        if not kept(call, rule):
            continue
        by_rule[rule.name] += 1
        prefix = first.split("{}", 1)[0]
        entry = (first[len(prefix) :], call.level, rule.category, rule.outcome, rule.violation, rule.action)
        entries[(logger, prefix)].append(entry)
    return entries, dict(by_rule)


def render(found: list[tuple[str, Call]], read: list[str]) -> str:
    entries, by_rule = table(found)
    per_logger: dict[str, int] = defaultdict(int)
    for (logger, _), items in entries.items():
        per_logger[logger] += len(items)
    total = sum(per_logger.values())
    out = [
        '"""What Envoy\'s own log calls print, and what each means: GENERATED by scripts/gen_envoy_templates.py.',
        "",
        "Do not edit: run ``python scripts/gen_envoy_templates.py`` (it documents the extraction and the rule",
        "table giving each template its verdict).  Read from these revisions:",
        "",
    ]
    out += [f"* {line}" for line in read]
    out += [
        "",
        "``TEMPLATES[(logger, prefix)]`` lists the templates whose text before the first ``{}`` is ``prefix``",
        "as ``(rest, level, category, outcome, violation, action)``: ``rest`` is the template after the",
        "prefix (fmt fields written ``{}``, the first line only), ``level`` the newest revision's level,",
        "``action`` with ``<logger>`` standing for the line's own logger.  Trace calls and debug chatter",
        "are left out.",
        "",
        f"{total} templates; per logger: " + ", ".join(f"{k} {v}" for k, v in sorted(per_logger.items())) + ".",
        "Per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(by_rule.items())) + ".",
        '"""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "Entry = tuple[str, str, str, str, bool, str]",
        "",
        "# fmt: off",
        "TEMPLATES: dict[tuple[str, str], tuple[Entry, ...]] = {",
    ]
    for (logger, prefix), items in sorted(entries.items()):
        out.append(f"    ({_py(logger)}, {_py(prefix)}): (")
        out += [f"        {_py(item)}," for item in sorted(set(items))]
        out.append("    ),")
    out += ["}", "# fmt: on"]
    return "\n".join(out) + "\n"


def _py(value: object) -> str:
    """A literal as ruff's formatter writes it: strings in double quotes unless that needs more escapes."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if not isinstance(value, str):
        return repr(value)
    text = repr(value)
    if text.startswith("'") and '"' not in value:
        text = '"' + text[1:-1].replace("\\'", "'") + '"'
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envoy", type=Path, default=ENVOY_MIRROR, help="git directory with Envoy's history")
    parser.add_argument("--istio-proxy", type=Path, default=ISTIO_MIRROR, help="git directory of istio/proxy")
    parser.add_argument("--wasm-host", type=Path, default=WASM_HOST_MIRROR, help="proxy-wasm-cpp-host's git")
    parser.add_argument("--cilium", type=Path, default=CILIUM_MIRROR, help="git directory of cilium/proxy")
    parser.add_argument("--dump", type=Path, help="write every extracted call as TSV here")
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated file is out of date")
    args = parser.parse_args(argv)
    found, read = collect(args.envoy, args.istio_proxy, args.wasm_host, args.cilium)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for label, call in found:
                rule, action = verdict(call)
                fields = (label, call.logger, call.level, call.path, call.line, call.macro, rule.name, action)
                print(*fields, repr(call.template), sep="\t", file=out)
    return write_or_check(TARGET, render(found, read), args.check)


def write_or_check(target: Path, text: str, check: bool) -> int:
    """Write the generated module, or with ``check`` exit 1 when the one on disk differs (gen_envoy_exceptions.py
    shares it)."""
    if check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target.relative_to(ROOT)} is out of date", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
