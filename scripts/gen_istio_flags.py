"""Which Istio program defines each command-line flag, from the Go sources of every minor release.

    python scripts/gen_istio_flags.py [--istio GIT_DIR] > meshtail/parse/istio_flags.py

Every Istio program prints its flags at start-up (pkg/cmd ``PrintFlags``: ``FLAG: --proxyLogLevel="warning"``),
and operators paste those dumps. A line with nothing else to go on (no scope, no container) says which program
it is by the flag's name alone when only one program defines it. A hand-kept list missed names that lived a few
releases (``envoyMetricsServiceAddress``, 1.1-1.3); this reads the definitions themselves:
``Flags().StringVar(&x, "name", …)``, ``PersistentFlags()``, the ``P`` forms, and Go's ``flag`` package, in the
command packages of each program, at every ``1.N.0`` tag and ``main`` of a bare mirror of istio/istio.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from pathlib import Path

AGENT, ISTIOD = "istio-agent", "istiod"
MIRROR = "/work/.mirror/istio+istio/repo"
OUTPUT = Path(__file__).resolve().parent.parent / "meshtail" / "parse" / "istio_flags.py"
# command packages, by program (the 1.1-1.4 node agent ran beside the proxy: the agent's; Citadel, Galley, Mixer
# and the sidecar injector became istiod)
COMMANDS = (
    ("pilot/cmd/pilot-agent/", AGENT),
    ("security/cmd/node_agent", AGENT),
    ("pilot/cmd/pilot-discovery/", ISTIOD),
    ("pilot/cmd/sidecar-injector/", ISTIOD),
    ("security/cmd/istio_ca/", ISTIOD),
    ("galley/cmd/", ISTIOD),
    ("mixer/cmd/mixs/", ISTIOD),
)
_DEFINITION = re.compile(
    r"(?:Flags\(\)|\bflag)\.[A-Z]\w{0,30}\(\s*(?:[\w.()*&\[\]]+\s*,\s*)?\"([A-Za-z][\w-]*)\"",
    re.S,
)


def _git(mirror: str, *args: str) -> str:
    return subprocess.run(["git", "-C", mirror, *args], check=True, capture_output=True, text=True).stdout


# the newest commit read, the same as scripts/gen_istio_templates.py's "main" (a branch head would move)
MAIN = "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"


def revisions(mirror: str) -> list[str]:
    """Every 1.N.0 release tag, oldest first, then ``MAIN``."""
    tags = [t for t in _git(mirror, "tag").split() if re.fullmatch(r"1\.\d+\.0", t)]
    tags.sort(key=lambda t: int(t.split(".")[1]))
    return [*tags, MAIN]


def flags_at(mirror: str, revision: str) -> dict[str, set[str]]:
    """Flag names per program at one revision."""
    found: dict[str, set[str]] = {AGENT: set(), ISTIOD: set()}
    listing = _git(mirror, "ls-tree", "-r", "--name-only", revision)
    for path in listing.splitlines():
        if not path.endswith(".go") or path.endswith("_test.go"):
            continue
        program = next((name for prefix, name in COMMANDS if path.startswith(prefix)), None)
        if program is None:
            continue
        source = _git(mirror, "show", f"{revision}:{path}")
        found[program].update(_DEFINITION.findall(source))
    return found


def generate(mirror: str) -> str:
    agent: set[str] = set()
    istiod: set[str] = set()
    read = revisions(mirror)
    for revision in read:
        found = flags_at(mirror, revision)
        agent |= found[AGENT]
        istiod |= found[ISTIOD]
    lines = [
        '"""Command-line flags of pilot-agent and istiod (with the programs istiod absorbed), from their Go sources.',
        "GENERATED DATA.",
        "",
        "Written by scripts/gen_istio_flags.py (do not edit by hand) from istio/istio at:",
        *textwrap.wrap(
            ", ".join(read[:-1]) + f" and main {read[-1]}.", 110, initial_indent="    ", subsequent_indent="    "
        ),
        "",
        "AGENT_ONLY: flags only the agent (or the 1.1-1.4 node agent) defines; ISTIOD_ONLY: only istiod,",
        "pilot-discovery, the sidecar injector, Citadel, Galley or Mixer; names both define are in neither.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "# fmt: off",
        "AGENT_ONLY: frozenset[str] = frozenset((",
        *(f"    {name!r}," for name in sorted(agent - istiod)),
        "))",
        "ISTIOD_ONLY: frozenset[str] = frozenset((",
        *(f"    {name!r}," for name in sorted(istiod - agent)),
        "))",
        "# fmt: on",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--istio", default=MIRROR, help="git directory of istio/istio")
    parser.add_argument("--check", action="store_true", help="exit 1 when meshtail/parse/istio_flags.py differs")
    args = parser.parse_args(argv)
    text = generate(args.istio)
    if args.check:
        return 0 if OUTPUT.read_text("utf-8") == text else 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
