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

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..events import SEVERITY_RANK, AuditEvent
from .errors import FilterError
from .fields import FIELDS, VERBATIM_FIELDS, Getter, resolve
from .lexer import Token, tokenize

Predicate = Callable[[AuditEvent], bool]
Precheck = Callable[[str], bool]

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(slots=True)
class Node:
    kind: str  # "and" | "or" | "not" | "term"
    children: list[Node]
    token: Token | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

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
            return Node("not", [self.unary()])
        if token.kind == "(":
            self.i += 1
            if self.peek() is not None and self.peek().kind == ")":
                raise FilterError("empty parentheses", token.pos, self.text)
            inner = self.query()
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


def _wildcard(value: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", value)),
        re.IGNORECASE | re.DOTALL,
    )


def _term_predicate(token: Token, text: str) -> Predicate:
    if token.field is None:
        needle = token.value.lower()

        def contains(event: AuditEvent) -> bool:
            return needle in event.raw.lower() or needle in event.summary.lower()

        return contains

    getter = resolve(token.field)
    if getter is None:
        known = ", ".join(sorted(FIELDS))
        raise FilterError(
            f"unknown field '{token.field}' (known: {known}; or any attribute by full name)", token.field_pos, text
        )
    value = token.value
    op = token.op
    is_severity = token.field.lower() in ("severity", "sev")

    if op == "re":
        flags = re.IGNORECASE if "i" in token.flags else 0
        try:
            pattern = re.compile(value, flags)
        except re.error as exc:
            raise FilterError(f"bad regex: {exc.msg}", token.value_pos + 1 + (exc.pos or 0), text) from None
        return _any(getter, lambda v: pattern.search(str(v)) is not None)

    if op in (">", ">=", "<", "<=", "="):
        if is_severity and value.lower() in SEVERITY_RANK:
            wanted = SEVERITY_RANK[value.lower()]
            compare = _comparator(op)
            return _any(getter, lambda v: v in SEVERITY_RANK and compare(SEVERITY_RANK[v], wanted))
        number = _number(value)
        compare = _comparator(op)
        if number is None:
            if not value:
                raise FilterError(f"'{op}' needs a value", token.value_pos, text)
            # ISO timestamps and other strings compare in text order.
            return _any(getter, lambda v: isinstance(v, str) and compare(v, value))
        return _any(getter, lambda v: (n := _as_number(v)) is not None and compare(n, number))

    lowered = value.lower()
    if lowered in _TRUE | _FALSE:
        wanted_bool = lowered in _TRUE
        pattern = _wildcard(value)

        def boolean(v: Any) -> bool:
            if isinstance(v, bool):
                return v == wanted_bool
            return pattern.fullmatch(str(v)) is not None

        return _any(getter, boolean)
    number = _number(value) if "*" not in value else None
    if "*" in value:
        pattern = _wildcard(value)
        return _any(getter, lambda v: pattern.fullmatch(str(v)) is not None)

    def equals(v: Any) -> bool:
        if number is not None and (n := _as_number(v)) is not None:
            return n == number
        return str(v).lower() == lowered

    return _any(getter, equals)


def _comparator(op: str) -> Callable[[Any, Any], bool]:
    return {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        "=": lambda a, b: a == b,
    }[op]


def _any(getter: Getter, test: Callable[[Any], bool]) -> Predicate:
    def predicate(event: AuditEvent) -> bool:
        return any(test(value) for value in getter(event))

    return predicate


def _compile(node: Node, text: str) -> Predicate:
    if node.kind == "term":
        assert node.token is not None
        return _term_predicate(node.token, text)
    if node.kind == "not":
        inner = _compile(node.children[0], text)
        return lambda event: not inner(event)
    children = [_compile(child, text) for child in node.children]
    if node.kind == "and":
        return lambda event: all(child(event) for child in children)
    return lambda event: any(child(event) for child in children)


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
    """A compiled filter: ``matches(event)``, and ``precheck(raw)`` when one exists."""

    text: str
    matches: Predicate
    precheck: Precheck | None

    def __call__(self, event: AuditEvent) -> bool:
        return self.matches(event)


def compile_filter(text: str) -> Filter:
    """Compile *text*; an empty filter matches everything.  Raises :class:`FilterError`."""
    tree = _Parser(text).parse()
    if tree is None:
        return Filter(text, lambda event: True, None)
    return Filter(text, _compile(tree, text), _precheck(tree))
