"""``python -m meshtail``: the same as the ``meshtail`` command."""

from .commands.cli import main

raise SystemExit(main())
