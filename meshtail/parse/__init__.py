"""Parsers: raw log lines in, typed audit events out.  Pure functions, no I/O, no Textual."""
