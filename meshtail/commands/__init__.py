"""Entry points: the command line (cli), the TUI's start (tui), headless live runs (live), options shared by them."""
