"""Parsing the filter language and compiling it, once, to a predicate over events.

Grammar (OR binds looser than the implicit AND; ``-`` or ``NOT`` negates)::

    query := and ("OR" and)*
    and   := unary+
    unary := ("-" | "NOT") unary | "(" query ")" | term
    term  := field ":" [op] value | field ":" /regex/[i] | word | "quoted phrase"

Where every match requires a literal that must appear in the raw line (``status:403``
needs ``403`` somewhere in it), :attr:`Filter.precheck` tests for it without parsing,
so ``scan`` can skip lines that cannot match.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import SEVERITY_RANK, AuditEvent, Source
from ..linear import Linear, LinearError
from ..parse.timestamps import normalize
from ..text import has_unsafe
from .errors import FilterError
from .fields import FIELDS, VERBATIM_FIELDS, Getter, resolve
from .lexer import Token, tokenize

Predicate = Callable[[AuditEvent], bool]
Precheck = Callable[[str], bool]
Bound = Callable[["re.Match[str]"], "bool | None"]

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(slots=True)
class Node:
    kind: str  # "and" | "or" | "not" | "term"
    children: list[Node]
    token: Token | None = None


MAX_DEPTH = 64  # nested parentheses and negations: deeper is a typo or an attack, never a query


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def _deeper(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"nested more than {MAX_DEPTH} levels deep", token.pos, self.text)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self.query()
        extra = self.peek()
        if extra is not None:
            raise FilterError("unexpected ')'" if extra.kind == ")" else "unexpected token", extra.pos, self.text)
        return node

    def query(self) -> Node:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.i += 1
            if self.peek() is None or self.peek().kind in ("OR", ")"):
                raise FilterError("OR needs a term on both sides", token.pos, self.text)
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Node("or", parts)

    def conjunction(self) -> Node:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            parts.append(self.unary())
        if not parts:
            token = self.peek()
            raise FilterError("expected a term", token.pos if token else len(self.text), self.text)
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def unary(self) -> Node:
        token = self.peek()
        assert token is not None
        if token.kind == "NOT":
            self.i += 1
            if self.peek() is None or self.peek().kind in ("OR", ")"):
                raise FilterError("nothing to negate", token.pos, self.text)
            self._deeper(token)
            node = Node("not", [self.unary()])
            self.depth -= 1
            return node
        if token.kind == "(":
            self.i += 1
            if self.peek() is not None and self.peek().kind == ")":
                raise FilterError("empty parentheses", token.pos, self.text)
            self._deeper(token)
            inner = self.query()
            self.depth -= 1
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise FilterError("unclosed '('", token.pos, self.text)
            self.i += 1
            return inner
        if token.kind == ")":
            raise FilterError("unexpected ')'", token.pos, self.text)
        self.i += 1
        return Node("term", [], token)


# ------------------------------------------------------------------ terms -> predicates
def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _number(value)
    return None


def _as_text(value: Any) -> str:
    """A value as the JSON export shows it (``true``, ``403``, the string itself)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _wildcard(value: str) -> Callable[[str], bool]:
    """A case-insensitive ``*`` glob as a matcher that runs in linear time.

    (A regex of ``.*`` groups backtracks polynomially on ``*a*a*a*…b``.)  The pieces between
    stars are found left to right: the first must start the text, the last must end it.
    """
    pieces = value.lower().split("*")
    if len(pieces) == 1:
        exact = pieces[0]
        return lambda text: text.lower() == exact
    head, *middle, tail = pieces
    least = len(head) + len(tail)

    def matches(text: str) -> bool:
        text = text.lower()
        if len(text) < least or not text.startswith(head) or not text.endswith(tail):
            return False
        at, end = len(head), len(text) - len(tail)
        for piece in middle:
            found = text.find(piece, at, end)
            if found < 0:
                return False
            at = found + len(piece)
        return True

    return matches


def _error_offset(pattern: str) -> int:
    """Where in ``pattern`` a syntax error is, for the caret (RE2 does not say; Python's parser does).

    Only parsed, never run; anything the parser chokes on (huge repeats, deep nesting) points at the start.
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return exc.pos or 0
    except (OverflowError, RecursionError, ValueError):
        return 0
    return 0


def _regex(token: Token, text: str) -> Callable[[str], bool]:
    """A user's ``/regex/`` compiled with RE2: linear time whatever the pattern, or a FilterError.

    Python's ``re`` backtracks: ``/(a+)+$/`` took 17 s on 28 characters and froze the TUI, and
    ``/a{99999999999}/`` raised OverflowError.  RE2 has no backreferences or look-around; a
    pattern that needs them is reported as such.
    """
    try:
        pattern = Linear(token.value, case_sensitive="i" not in token.flags)
    except LinearError as exc:
        raise FilterError(
            f"bad regex: {exc} (regexes run in linear time: no backreferences or look-around)",
            token.value_pos + 1 + _error_offset(token.value),
            text,
        ) from None
    return pattern.found


def _term_predicate(token: Token, text: str) -> Predicate:
    if token.field is None:
        needle = token.value.lower()

        def contains(event: AuditEvent) -> bool:
            return needle in event.raw.lower() or needle in event.summary.lower()

        # in the raw line: a match; otherwise the summary (built with the event) has to say
        contains.bind = lambda compiled, source: lambda m: True if needle in m.string.lower() else None  # type: ignore[attr-defined]
        return contains

    getter = resolve(token.field)
    if getter is None:
        known = ", ".join(sorted(FIELDS))
        raise FilterError(
            f"unknown field '{token.field}' (known: {known}; or any attribute by full name)", token.field_pos, text
        )
    value = token.value
    op = token.op

    if op == "re":
        regex = _regex(token, text)
        return _any(getter, lambda v: regex(str(v)))

    if op == "=":
        # exact: the value as logged, character for character, with no wildcard or regex meaning
        # (quick filters build these from log values, which an attacker chooses)
        return _any(getter, lambda v: _as_text(v) == value)

    if op in (">", ">=", "<", "<="):
        if not value:
            raise FilterError(f"'{op}' needs a value", token.value_pos, text)
        return _comparison(token, getter, text)

    lowered = value.lower()
    if lowered in _TRUE | _FALSE:
        wanted_bool = lowered in _TRUE

        def boolean(v: Any) -> bool:
            if isinstance(v, bool):
                return v == wanted_bool
            return str(v).lower() == lowered

        return _any(getter, boolean)
    number = _number(value) if "*" not in value else None
    if "*" in value:
        glob = _wildcard(value)
        return _any(getter, lambda v: glob(str(v)))

    def equals(v: Any) -> bool:
        if number is not None and (n := _as_number(v)) is not None:
            return n == number
        return str(v).lower() == lowered

    predicate = _any(getter, equals)
    if number is not None:
        return _specialise(predicate, getter, "compare", operator.eq, number)
    return _specialise(predicate, getter, "text", None, lowered)


NUMERIC_FIELDS = frozenset({"status", "duration"})
TIME_FIELDS = frozenset({"time", "received"})
_TIME_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _comparison(token: Token, getter: Getter, text: str) -> Predicate:
    """``>``, ``>=``, ``<``, ``<=``: on severities, numbers or times — and a value of that kind, or an error.

    ``status:>=abc`` or ``time:>=notatime`` used to match nothing (or everything) in silence.
    """
    assert token.field is not None and token.op is not None
    field, value, op = token.field.lower(), token.value, token.op
    compare = _comparator(op)
    if field in ("severity", "sev"):
        wanted = SEVERITY_RANK.get(value.lower())
        if wanted is None:
            known = ", ".join(SEVERITY_RANK)
            raise FilterError(f"'{value}' is not a severity (known: {known})", token.value_pos, text)
        return _any(getter, lambda v: v in SEVERITY_RANK and compare(SEVERITY_RANK[v], wanted))
    number = _number(value)
    stamp = _TIME_VALUE.match(value)
    if field in TIME_FIELDS or (number is None and stamp is not None):
        if stamp is None:
            raise FilterError(
                f"'{value}' is not a time (use e.g. 2024-10-15T10:00 or 2024-10-15T10:00:00Z, UTC)",
                token.value_pos,
                text,
            )
        wanted_time = value.replace(" ", "T")
        if stamp.group(1) not in (None, "Z"):
            converted = normalize(value)
            if converted is None:
                raise FilterError(f"'{value}' is not a time: an offset needs seconds", token.value_pos, text)
            wanted_time = converted
        wanted_time = wanted_time.rstrip("Z")
        # times are stored as RFC 3339 UTC: comparing the text compares the times
        return _any(getter, lambda v: isinstance(v, str) and compare(v.rstrip("Z"), wanted_time))
    if number is None or number != number:  # not a number, or NaN
        kind = "a number" if field in NUMERIC_FIELDS else "a number or a time"
        raise FilterError(f"'{value}' is not {kind}, so '{op}' cannot compare it", token.value_pos, text)
    predicate = _any(getter, lambda v: (n := _as_number(v)) is not None and compare(n, number))
    return _specialise(predicate, getter, "compare", _OPERATORS[op], number)


_OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def _specialise(predicate: Predicate, getter: Getter, kind: str, op: Any, wanted: Any) -> Predicate:
    """Give a term on one attribute a straight-line test on its regex group, where the format has one.

    ``duration:>250`` then costs one group read, a digit check and an int comparison a
    line — what `scan` pays for every line nothing can pre-check.  Exactly the general
    test's answer (the differential tests compare them); anything else keeps the general binding.
    """
    general = predicate.bind  # type: ignore[attr-defined]
    names = getattr(getter, "names", ())

    def bind(compiled: Any, source: Source) -> Bound | None:
        spec = compiled.simple_groups.get(names[0]) if len(names) == 1 else None
        if spec is None or (spec[0] == "text" and kind == "compare"):
            return general(compiled, source)  # type: ignore[no-any-return]
        group_kind, n = spec
        if group_kind == "number":
            if kind != "compare":  # text equality on a number: the general test
                return general(compiled, source)  # type: ignore[no-any-return]

            def number_test(m: re.Match[str]) -> bool | None:
                value = m.group(n)
                if not value or value == "-" or not value.isdecimal():
                    return False
                return op(int(value), wanted)  # type: ignore[no-any-return]

            # a TCP line's response code 0 is no status at all: only where 0 would pass does that matter
            if names[0] == "http.response.status_code" and op(0, wanted):
                return general(compiled, source)  # type: ignore[no-any-return]
            return number_test

        def text_test(m: re.Match[str]) -> bool | None:
            value = m.group(n)
            if not value or value == "-":
                return False
            if has_unsafe(value):
                return None  # shown escaped: let the event answer
            return value.lower() == wanted  # type: ignore[no-any-return]

        return text_test

    predicate.bind = bind  # type: ignore[attr-defined]
    return predicate


def _comparator(op: str) -> Callable[[Any, Any], bool]:
    return {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }[op]


def _any(getter: Getter, test: Callable[[Any], bool]) -> Predicate:
    def predicate(event: AuditEvent) -> bool:
        for value in getter(event):  # a loop, not any(<generator>): this runs once per line in `scan`
            if test(value):
                return True
        return False

    def bind(compiled: Any, source: Source) -> Bound | None:
        reader = getter.bind(compiled, source) if hasattr(getter, "bind") else None
        if reader is None:
            return None

        def bound(m: re.Match[str]) -> bool | None:
            values = reader(m)
            if values is None:
                return None
            for value in values:
                if test(value):
                    return True
            return False

        return bound

    predicate.bind = bind  # type: ignore[attr-defined]
    return predicate


def _bind_all(children: list[Predicate], compiled: Any, source: Source) -> list[Bound | None]:
    return [child.bind(compiled, source) for child in children]  # type: ignore[attr-defined]


def _compile(node: Node, text: str) -> Predicate:
    """The predicate over events, carrying ``bind``: the same test on an access-log match (three-valued).

    A bound test answers True or False from the regex match alone, or None when the event
    must be built to know (an attribute no group holds, a value shown escaped).  AND is
    False as soon as one part is False, OR True as soon as one is True; unknown otherwise.
    """
    if node.kind == "term":
        assert node.token is not None
        return _term_predicate(node.token, text)
    if node.kind == "not":
        inner = _compile(node.children[0], text)

        def negated(event: AuditEvent) -> bool:
            return not inner(event)

        def bind_not(compiled: Any, source: Source) -> Bound | None:
            bound = inner.bind(compiled, source)  # type: ignore[attr-defined]
            if bound is None:
                return None
            return lambda m: None if (r := bound(m)) is None else not r

        negated.bind = bind_not  # type: ignore[attr-defined]
        return negated
    children = [_compile(child, text) for child in node.children]
    if node.kind == "and":

        def both(event: AuditEvent) -> bool:
            return all(child(event) for child in children)

        def bind_and(compiled: Any, source: Source) -> Bound | None:
            bounds = [b for b in _bind_all(children, compiled, source) if b is not None]
            if not bounds:
                return None
            complete = len(bounds) == len(children)

            def bound(m: re.Match[str]) -> bool | None:
                unknown = not complete
                for b in bounds:
                    r = b(m)
                    if r is False:
                        return False
                    if r is None:
                        unknown = True
                return None if unknown else True

            return bound

        both.bind = bind_and  # type: ignore[attr-defined]
        return both

    def either(event: AuditEvent) -> bool:
        return any(child(event) for child in children)

    def bind_or(compiled: Any, source: Source) -> Bound | None:
        bounds = _bind_all(children, compiled, source)
        known = [b for b in bounds if b is not None]
        if not known:
            return None
        complete = len(known) == len(bounds)

        def bound(m: re.Match[str]) -> bool | None:
            unknown = not complete
            for b in known:
                r = b(m)
                if r is True:
                    return True
                if r is None:
                    unknown = True
            return None if unknown else False

        return bound

    either.bind = bind_or  # type: ignore[attr-defined]
    return either


# ------------------------------------------------------------------ prechecks on raw text
_SAFE_LITERAL = re.compile(r"^[\w.\-/:\[\]@|]+$")


def _required_literal(token: Token) -> str | None:
    if token.field is None or token.field.lower() not in VERBATIM_FIELDS or token.op not in (None,):
        return None
    value = token.value
    if value.lower() in _TRUE | _FALSE:
        return None
    segments = [segment for segment in value.split("*") if segment]
    if not segments:
        return None
    literal = max(segments, key=len)
    if len(literal) < 2 or not _SAFE_LITERAL.match(literal):
        return None
    if token.field.lower() == "policy":
        return None  # ns/name forms are derived, not verbatim
    return literal


def _precheck(node: Node) -> Precheck | None:
    if node.kind == "term":
        assert node.token is not None
        literal = _required_literal(node.token)
        if literal is None:
            return None
        if literal.isdigit():
            return lambda raw: literal in raw
        pattern = re.compile(re.escape(literal), re.IGNORECASE)
        return lambda raw: pattern.search(raw) is not None
    if node.kind == "not":
        return None
    checks = [_precheck(child) for child in node.children]
    if node.kind == "and":
        present = [check for check in checks if check is not None]
        if not present:
            return None
        return lambda raw: all(check(raw) for check in present)
    if any(check is None for check in checks):
        return None
    ors = [check for check in checks if check is not None]
    return lambda raw: any(check(raw) for check in ors)


@dataclass(slots=True)
class Filter:
    """A compiled filter: ``matches(event)``, ``precheck(raw)`` when one exists, and ``bind``.

    ``bind(compiled_format, source)`` gives the filter as a test on an access-log line's
    regex match, or None: ``status:403`` or ``duration:>250`` is then answered from one
    group, before any event exists (True, False, or None: build the event and ask it).
    """

    text: str
    matches: Predicate
    precheck: Precheck | None

    def __call__(self, event: AuditEvent) -> bool:
        return self.matches(event)

    def bind(self, compiled: Any, source: Source) -> Bound | None:
        binder = getattr(self.matches, "bind", None)
        return binder(compiled, source) if binder is not None else None


def compile_filter(text: str) -> Filter:
    """Compile *text*; an empty filter matches everything.  Raises :class:`FilterError`."""
    tree = _Parser(text).parse()
    if tree is None:
        return Filter(text, lambda event: True, None)
    return Filter(text, _compile(tree, text), _precheck(tree))


class StreamFilter:
    """A filter bound, format by format, to one stream's access-log lines (a file, a container).

    ``verdict(compiled, match)`` is True or False when the match alone decides, None when
    the event must be built and asked; the bindings are made once per format.
    """

    __slots__ = ("_bound", "query", "source")

    def __init__(self, query: Filter, source: Source) -> None:
        self.query = query
        self.source = source
        self._bound: dict[Any, Bound | None] = {}

    def verdict(self, compiled: Any, m: re.Match[str]) -> bool | None:
        bound = self._bound.get(compiled, _NOT_BOUND)  # compiled formats hash by identity
        if bound is _NOT_BOUND:
            bound = self._bound[compiled] = self.query.bind(compiled, self.source)
        return None if bound is None else bound(m)  # type: ignore[operator]


_NOT_BOUND: Any = object()
