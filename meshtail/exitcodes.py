"""Process exit codes shared by every command: 0 ok, 1 an input could not be read, 2 usage/config error.

A module of its own so that ``scan`` can use them without importing the live-cluster stack.
"""

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
