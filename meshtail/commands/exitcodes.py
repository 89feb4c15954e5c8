"""Process exit codes shared by every command, and the one way a command speaks on stderr.

0 ok, 1 an input could not be read, 2 usage/config error, 130 interrupted (Ctrl-C, as shells
report SIGINT).  A module of its own so that ``scan`` can use them without importing the
live-cluster stack.
"""

from __future__ import annotations

import sys

from ..text import visible

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def say(message: str) -> None:
    """One line on stderr, prefixed ``meshtail:``.

    Messages carry file names, profile text and the API server's words — none written by
    meshtail — so they are made visible-safe (no escape sequences reach the terminal).
    """
    print(f"meshtail: {visible(message)}", file=sys.stderr, flush=True)
