"""The README's examples run as written: every ``meshtail scan samples/…`` line in a shell block.

A newcomer copies these first; an example naming a file that is not shipped, or an option that
changed, fails here instead of in their terminal.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("meshtail scan samples/"):
                lines.append(line)
    return lines


def test_scan_examples_run_as_written() -> None:
    examples = _examples()
    assert len(examples) >= 3  # the premise: the README has them
    for line in examples:
        words = shlex.split(line, comments=True)
        if ">" in words:  # the shell's redirection: the events are checked on stdout instead
            words = words[: words.index(">")]
        assert words[:2] == ["meshtail", "scan"], line
        result = subprocess.run(
            [sys.executable, "-m", "meshtail", *words[1:]], cwd=ROOT, capture_output=True, timeout=60, check=False
        )
        assert result.returncode == 0, (line, result.stderr.decode())
        assert result.stdout.strip(), f"no events from: {line}"
        assert b"not recognised" not in result.stderr or "mesh-sample" in line, (line, result.stderr)
