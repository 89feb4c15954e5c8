"""Generate meshtail/parse/envoy_exceptions.py: the error texts Envoy refuses a configuration or a start with.

    python scripts/gen_envoy_exceptions.py [--envoy DIR] [--check]

Envoy says why it refused a bootstrap, a resource or a start in an exception's (or, since 1.29, an
``absl::Status``'s) text, not in a log call: the text reaches the operator inside a NACK, after
``error initializing configuration '<file>': ``, or printed alone to standard error when the process gives up
("unable to bind domain socket with id=0 (see --base-id option)", "unable to open file '/dev/stdout':
Permission denied").  Pasted alone, such a text is Envoy's, and says the config (or the start) failed -- but no
log template holds it.  This script reads those texts from Envoy's source at the revisions
gen_envoy_templates.py reads (:data:`gen_envoy_templates.ENVOY_REVISIONS`, the same git directory): the first
argument of ``throw EnvoyException(…)``, ``throwEnvoyExceptionOrPanic(…)``, ``ExceptionUtil::throwEnvoyException(…)``,
``ProtoValidationException``/``MissingFieldException``, the hot restarter's and the socket's own exceptions,
``absl::InvalidArgumentError(…)`` and its kin that say a setting is wrong, and ``PANIC(…)`` -- a literal,
``fmt::format("…", …)``, ``absl::StrCat("…", x, "…")`` or ``"…" + x + "…"``, its values written ``{}``.

Each text gets a kind from where it is thrown: ``process`` (the hot restarter, the command line, the
process's own setup: the start failed, no config was refused), ``crash`` (``PANIC``), ``config`` (anything
else: a setting refused).  Texts with too little fixed text to be Envoy's alone are left out (fewer than 20
fixed characters or 3 words), and so are the codec's, the Lua and CEL runtimes', the JWT extractor's and those of
protocols a sidecar does not speak (:data:`_SKIP_RUNTIME`): they are about a request, not the configuration.
``--check`` exits 1 when the generated file differs from what is on disk.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "meshtail" / "parse" / "envoy_exceptions.py"

_spec = importlib.util.spec_from_file_location("gen_envoy_templates", ROOT / "scripts" / "gen_envoy_templates.py")
assert _spec is not None and _spec.loader is not None
templates = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("gen_envoy_templates", templates)  # dataclasses look their module up
_spec.loader.exec_module(templates)

# what throws a refusal of a setting (or of the start), and PANIC
_CALLEE = re.compile(
    r"\b(?:throw\s+)?((?:Envoy::)?EnvoyException|throwEnvoyExceptionOrPanic|(?:ExceptionUtil::)?throwEnvoyException"
    r"|(?:ProtoExceptionUtil::)?throwProtoValidationException|ProtoValidationException|MissingFieldException"
    r"|HotRestartDomainSocketInUseException|SocketBindException|SocketOptionException"
    r"|absl::(?:InvalidArgument|FailedPrecondition|NotFound|Unimplemented|AlreadyExists|OutOfRange)Error"
    r"|PANIC)\s*\("
)
_SKIP = ("test", "fuzz", "benchmark", "/mobile/", "contrib/")
# protocols a mesh sidecar does not speak, and parsers of a request's own bytes: what they throw is about traffic
# on the wire ("downstream connection is closed", "invalid BSON message length"), not a setting
_SKIP_RUNTIME = (
    "thrift",
    "dubbo",
    "redis",
    "kafka",
    "mongo",
    "rocketmq",
    "zookeeper",
    "mysql",
    "postgres",
    "sip_proxy",
    "generic_proxy",
    "hessian",
    "cdn_loop",
    "/http3/",
    "golang",
    "dynamic_modules",
    "/aws/",
    "geoip",
    "/tap/",
    "/common/json/",
    "/http/http1/",
    "/http/http2/",
)
# where a refusal is of the process's start, not of a setting (the hot restarter's shared memory and domain
# socket, the command line, the signal handler, the platform)
_PROCESS_PATHS = (
    "source/server/hot_restart",
    "source/server/options_impl",
    "source/exe/",
    "source/common/signal/",
    "source/common/common/posix/",
    "source/server/options",
)
_FMT = re.compile(r"(?:fmt::|absl::)?(?:format|StrFormat|Substitute)\s*\(")
_STRCAT = re.compile(r"(?:absl::)?StrCat\s*\(")
_PRINTF = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?(?:l|ll|z|h)?[sdiuxXfgv]")
_PLUS = re.compile(r"\+(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")  # a "+" outside string literals
MIN_FIXED = 20
MIN_WORDS = 3


def message(arg: str) -> str | None:
    """The text an argument builds, its values written ``{}``; None when it is no literal text at all."""
    arg = arg.strip()
    text = templates.literal(arg)
    if text is not None:
        return text.replace("{}", "{ }")  # (a literal's own braces are printed as they are)
    formatted = _FMT.match(arg)
    if formatted is not None:
        args = templates.call_args(arg, formatted.end() - 1)
        fmt = templates.literal(args[0][0]) if args and args[0] else None
        if fmt is None:
            return None
        name = arg[: formatted.end()]
        if "StrFormat" in name:
            return _PRINTF.sub("{}", fmt.replace("{}", "{ }"))
        if "Substitute" in name:
            return re.sub(r"\$\d", "{}", fmt.replace("{}", "{ }"))
        return templates.fmt_template(fmt)
    joined = _STRCAT.match(arg)
    if joined is not None:
        args = templates.call_args(arg, joined.end() - 1)
        parts = args[0] if args else None
    else:
        parts = _PLUS.split(arg) if "+" in arg else None
    if not parts:
        return None
    out = []
    for part in parts:
        part = part.strip()
        text = templates.literal(part)
        if text is None and (_FMT.match(part) or _STRCAT.match(part)):  # a formatted piece inside the join
            text = message(part)
        out.append("{}" if text is None else text if "{}" in text else text.replace("{}", "{ }"))
    return re.sub(r"(?:\{\})+", "{}", "".join(out))


def kind(callee: str, path: str) -> str:
    if callee == "PANIC":
        return "crash"
    return "process" if path.startswith(_PROCESS_PATHS) else "config"


def kept(text: str) -> bool:
    """Fixed text enough that the message alone is Envoy's."""
    fixed = text.replace("{}", " ")
    return (
        len(fixed.replace(" ", "")) >= MIN_FIXED - 4
        and len(fixed.strip()) >= MIN_FIXED
        and len(fixed.split()) >= MIN_WORDS
    )


def extract(git_dir: Path, rev: str) -> list[tuple[str, str]]:
    tree = templates.Tree(git_dir, rev)
    found = []
    for path in tree.paths:
        if not (path.startswith("source/") and path.endswith((".cc", ".h"))) or any(
            s in path for s in _SKIP + _SKIP_RUNTIME
        ):
            continue
        raw = tree.read(path)
        if "Exception" not in raw and "Error(" not in raw and "PANIC" not in raw:
            continue
        text = templates.strip_comments(raw)
        for match in _CALLEE.finditer(text):
            args = templates.call_args(text, match.end() - 1)
            if not args or not args[0]:
                continue
            built = message(args[0][0])
            if built is None:
                continue
            first = built.split("\n", 1)[0].rstrip()
            if kept(first):
                found.append((first, kind(match.group(1), path)))
    tree.close()
    return found


def collect(envoy: Path) -> tuple[dict[str, str], list[str]]:
    """Every kept text (the newest revision's kind), and the revisions read."""
    texts: dict[str, str] = {}
    read = []
    for label, rev in templates.ENVOY_REVISIONS:
        for text, sort in extract(envoy, rev):
            texts[text] = sort
        read.append(f"envoyproxy/envoy (via agrawroh/envoy) {label}" + (f" ({rev})" if label != rev else ""))
    return texts, read


def render(texts: dict[str, str], read: list[str]) -> str:
    counts = {sort: sum(1 for s in texts.values() if s == sort) for sort in ("config", "process", "crash")}
    out = [
        '"""The texts Envoy refuses a configuration or a start with: GENERATED by scripts/gen_envoy_exceptions.py.',
        "",
        "Do not edit: run ``python scripts/gen_envoy_exceptions.py`` (it documents what is read).  Read from:",
        "",
        *[f"* {line}" for line in read],
        "",
        "``EXCEPTIONS`` maps each text (its values written ``{}``, the first line only) to its kind: ``config`` (a",
        "setting refused), ``process`` (the start failed), ``crash`` (a PANIC).",
        "",
        f"{len(texts)} texts: " + ", ".join(f"{sort} {n}" for sort, n in counts.items()) + ".",
        '"""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "# fmt: off",
        "EXCEPTIONS: dict[str, str] = {",
    ]
    out += [f"    {templates._py(text)}: {templates._py(sort)}," for text, sort in sorted(texts.items())]
    out += ["}", "# fmt: on"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envoy", type=Path, default=templates.ENVOY_MIRROR, help="git directory with Envoy's history")
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated file is out of date")
    args = parser.parse_args(argv)
    return int(templates.write_or_check(TARGET, render(*collect(args.envoy)), args.check))


if __name__ == "__main__":
    raise SystemExit(main())
