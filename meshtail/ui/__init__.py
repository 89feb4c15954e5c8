"""The Textual TUI.  Everything from logs reaches the screen as ``Text``/``Content`` objects, never markup."""
