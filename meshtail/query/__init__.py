"""meshtail's filter language, shared by ``scan``, ``tail``, the TUI filter bar and profiles."""

from .compile import Filter, StreamFilter, compile_filter
from .errors import FilterError
from .fields import FIELDS
from .terms import exact_term, quote

__all__ = ["FIELDS", "Filter", "FilterError", "StreamFilter", "compile_filter", "exact_term", "quote"]
