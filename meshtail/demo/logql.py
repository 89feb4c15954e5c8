"""The part of LogQL the Loki stand-in (:mod:`meshtail.demo.loki`) evaluates: log queries.

Written by hand after Loki's own grammar and lexer, and small on purpose: it is the
stand-in's evaluator, not meshtail's query generator.  It accepts

* a stream selector ``{k="v", k!="v", k=~"re", k!~"re"}`` — regular expressions are RE2 and
  fully anchored as Prometheus anchors them (``^(?s:re)$``); at least one matcher must not
  match the empty value, or the query is refused with Loki's own words;
* line filters ``|= "s"``, ``!= "s"``, ``|~ "re"``, ``!~ "re"``, each optionally followed by
  ``or "s2" …`` (a negative filter with ``or`` drops lines containing any of them, as
  Loki rewrites it);
* ``| json`` and ``| logfmt`` without parameters (nested JSON keys joined with ``_``, keys
  sanitised, a name already taken gets ``_extracted``; a line that is not a JSON object gets
  ``__error__="JSONParserErr"``);
* label filters ``| name op "value"`` (``=``, ``!=``, ``=~``, ``!~``) and numeric ones
  (``==``, ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``) chained with ``and``, ``,``, a space or
  ``or`` (``and`` binds tighter) and parenthesised.

Everything else Loki parses (metric queries, ``line_format``, ``| json a="b"``, durations and
bytes in label filters, ``ip()``, pattern filters …) is refused with a parse error saying the
stand-in does not implement it.  Strings are double-quoted with Go escapes or back-quoted
(raw).  Errors read as Loki's (``pkg/logqlmodel/error.go``): ``parse error at line L, col C:
syntax error: unexpected X, expecting Y`` with Loki's token names (``IDENTIFIER``, ``STRING``,
``$end``, ``}`` …) and 1-based columns at the start of the offending token, or ``parse error :
…`` for errors Loki reports without a position.

Followed: grafana/loki ``pkg/logql/syntax/syntax.y`` (grammar, token order), ``lex.go``
(tokens, keywords that cannot be label names, function names only before ``(``),
``parser.go`` (``errAtleastOneEqualityMatcherRequired``), ``parser_test.go`` (error texts and
columns), ``pkg/logql/log/filter.go`` (line regexes unanchored, label regexes anchored),
``parser.go``/``util.go`` (json/logfmt extraction, ``sanitizeLabelKey``),
``label_filter.go`` (numeric filters: a missing label drops the line, an unparsable value keeps
it with ``__error__="LabelFilterErr"``); docs ``docs/sources/query/log_queries/_index.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..linear import Linear, LinearError

ERROR_LABEL = "__error__"
ERROR_DETAILS_LABEL = "__error_details__"
AT_LEAST_ONE_MATCHER = (
    "queries require at least one regexp or equality matcher that does not have an empty-compatible value. "
    'For instance, app=~".*" does not meet this requirement, but app=~".+" will'
)

# Words the lexer turns into tokens whatever follows them (lex.go ``tokens``): they cannot be label names.
KEYWORDS = frozenset(
    "by without bool label_replace offset on ignoring group_left group_right or and unless "
    "json regexp logfmt unpack pattern label_format line_format decolorize drop keep unwrap".split()
)
# Words that are tokens only when a ``(`` follows (lex.go ``functionTokens``): a metric query.
FUNCTIONS = frozenset(
    "rate rate_counter count_over_time bytes_rate bytes_over_time avg_over_time sum_over_time "
    "min_over_time max_over_time stdvar_over_time stddev_over_time quantile_over_time first_over_time "
    "last_over_time absent_over_time vector sum avg max min count stddev stdvar bottomk topk sort "
    "sort_desc label_replace approx_topk bytes duration duration_seconds ip".split()
)
_TWO_CHAR = ("|=", "|~", "|>", "!=", "!~", "!>", "=~", "==", ">=", "<=")
_ONE_CHAR = "{}(),=|[]<>+-*/%^."
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


class LogQLError(ValueError):
    """A query Loki (or this stand-in) refuses; ``str()`` is Loki's message."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col

    def __str__(self) -> str:
        if self.line == 0 and self.col == 0:
            return f"parse error : {self.message}"
        return f"parse error at line {self.line}, col {self.col}: {self.message}"


def unsupported(what: str) -> LogQLError:
    return LogQLError(f"{what} is not supported by meshtail's Loki stand-in")


# ---- lexer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # IDENTIFIER STRING NUMBER DURATION $end, a keyword, a function name (upper case) or an operator
    text: str
    value: str
    line: int
    col: int

    @property
    def name(self) -> str:
        """How Loki's parser names this token in ``unexpected X``."""
        return self.kind


# RE2's C++ error texts, as Go's regexp/syntax words them
_RE_ERRORS = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "no argument for repetition operator": "missing argument to repetition operator",
    "bad repetition operator": "invalid nested repetition operator",
    "bad repetition argument": "invalid repeat count",
    "invalid character class range": "invalid character class range",
    "invalid character class": "invalid character class",
    "invalid escape sequence": "invalid escape sequence",
    "invalid named capture group": "invalid named capture",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid UTF-8": "invalid UTF-8",
}


def _regex(pattern: str, anchored: bool = False) -> Linear:
    """Compile ``pattern`` (anchored as a label matcher's when asked); errors read as Go's regexp."""
    try:
        Linear(pattern)
    except LinearError as exc:
        code, _, arg = str(exc).partition(": ")
        raise LogQLError(f"error parsing regexp: {_RE_ERRORS.get(code, code)}: `{arg}`") from None
    return Linear(f"^(?s:{pattern})$") if anchored else Linear(pattern)


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, line, line_start, n = 0, 1, 0, len(query)

    def at(pos: int) -> tuple[int, int]:
        return line, pos - line_start + 1

    while True:
        while i < n and query[i].isspace():
            if query[i] == "\n":
                line, line_start = line + 1, i + 1
            i += 1
        if i < n and query[i] == "#":  # a comment runs to the end of the line
            while i < n and query[i] != "\n":
                i += 1
            continue
        ln, col = at(i)
        if i >= n:
            tokens.append(Token("$end", "", "", ln, col))
            return tokens
        c = query[i]
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (query[j].isalnum() or query[j] == "_"):
                j += 1
            word = query[i:j]
            lower = word.lower()
            k = j
            while k < n and query[k].isspace():
                k += 1
            if lower in FUNCTIONS and k < n and query[k] == "(":
                kind = lower.upper()
            elif lower in KEYWORDS:
                kind = lower
            else:
                kind = "IDENTIFIER"
            tokens.append(Token(kind, word, word, ln, col))
            i = j
        elif c == '"':
            value, j = _quoted(query, i, ln, col)
            tokens.append(Token("STRING", query[i:j], value, ln, col))
            i = j
        elif c == "`":
            end = query.find("`", i + 1)
            if end < 0:
                raise LogQLError("literal not terminated", ln, col)
            text = query[i : end + 1]
            if "\n" in text:  # a raw string may span lines
                line += text.count("\n")
                line_start = query.rfind("\n", i, end) + 1
            tokens.append(Token("STRING", text, text[1:-1].replace("\r", ""), ln, col))  # Go drops raw \r
            i = end + 1
        elif c.isdigit() or (c == "." and i + 1 < n and query[i + 1].isdigit()):
            j = i
            while j < n and (query[j].isalnum() or query[j] in "._"):
                j += 1
            text = query[i:j]
            try:
                float(text)
                kind = "NUMBER"
            except ValueError:
                kind = "DURATION"  # or BYTES: a number with a unit; either is beyond the stand-in
            tokens.append(Token(kind, text, text, ln, col))
            i = j
        elif query[i : i + 2] in _TWO_CHAR:
            tokens.append(Token(query[i : i + 2], query[i : i + 2], query[i : i + 2], ln, col))
            i += 2
        elif c in _ONE_CHAR:
            tokens.append(Token(c, c, c, ln, col))
            i += 1
        else:  # the lexer passes any other character on as an identifier
            tokens.append(Token("IDENTIFIER", c, c, ln, col))
            i += 1


def _quoted(query: str, i: int, line: int, col: int) -> tuple[str, int]:
    """A double-quoted Go string starting at ``query[i]``: its value and the index after it."""
    out: list[str] = []
    j, n = i + 1, len(query)
    while True:
        if j >= n or query[j] == "\n":
            raise LogQLError("literal not terminated", line, col)
        c = query[j]
        if c == '"':
            return "".join(out), j + 1
        if c != "\\":
            out.append(c)
            j += 1
            continue
        if j + 1 >= n:
            raise LogQLError("literal not terminated", line, col)
        e = query[j + 1]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            j += 2
        elif e in "01234567":
            digits = query[j + 1 : j + 4]
            if len(digits) < 3 or any(d not in "01234567" for d in digits) or int(digits, 8) > 255:
                raise LogQLError("invalid char escape", line, col)
            out.append(chr(int(digits, 8)))
            j += 4
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = query[j + 2 : j + 2 + width]
            if len(digits) < width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise LogQLError("invalid char escape", line, col)
            code = int(digits, 16)
            if e != "x" and (code > 0x10FFFF or 0xD800 <= code < 0xE000):
                raise LogQLError("invalid char escape", line, col)
            out.append(chr(code))
            j += 2 + width
        else:
            raise LogQLError("invalid char escape", line, col)


# ---- AST and evaluation --------------------------------------------------------------------


@dataclass
class Matcher:
    """A Prometheus label matcher, as stream selectors and string label filters use."""

    name: str
    op: str  # = != =~ !~
    value: str
    _re: Linear | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            self._re = _regex(self.value, anchored=True)

    def matches(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        assert self._re is not None
        found = self._re.found(value)
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{json.dumps(self.value, ensure_ascii=False)}"


@dataclass
class LineFilter:
    op: str  # |= != |~ !~
    values: list[str]
    _res: list[Linear] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if self.op in ("|~", "!~"):
            self._res = [_regex(v) for v in self.values]

    def keep(self, line: str) -> bool:
        if self._res:
            found = any(r.found(line) for r in self._res)
        else:
            found = any(v in line for v in self.values)
        return found if self.op in ("|=", "|~") else not found


Labels = dict[str, str]
Predicate = Callable[[Labels, Labels], bool]  # (visible labels, parsed labels to add errors to) -> keep


@dataclass
class LabelFilter:
    predicate: Predicate


@dataclass
class Parser:
    kind: str  # json | logfmt


Stage = LineFilter | LabelFilter | Parser


@dataclass
class Processed:
    """One entry after the pipeline: the labels it gained from parsers (and errors)."""

    parsed: Labels


@dataclass
class LogQuery:
    matchers: list[Matcher]
    stages: list[Stage]

    def validate(self) -> None:
        """Loki's ``validateMatchers``: some matcher must select streams by a non-empty value."""
        if not any(not m.matches("") for m in self.matchers):
            raise LogQLError(AT_LEAST_ONE_MATCHER)

    def selects(self, labels: Labels) -> bool:
        return all(m.matches(labels.get(m.name, "")) for m in self.matchers)

    def lines_only(self) -> Callable[[str], bool] | None:
        """When every stage is a line filter: one test of the line alone (a scan of a long window asks it of
        every entry, before anything else is made), else None."""
        filters = [stage for stage in self.stages if isinstance(stage, LineFilter)]
        if len(filters) != len(self.stages):
            return None
        return lambda line: all(f.keep(line) for f in filters)

    def needle(self) -> str | None:
        """The text of the query's only stage when it is one ``|= "text"``, else None."""
        if len(self.stages) == 1:
            stage = self.stages[0]
            if isinstance(stage, LineFilter) and stage.op == "|=" and len(stage.values) == 1:
                return stage.values[0]
        return None

    def process(self, line: str, stream: Labels, structured: Labels) -> Processed | None:
        """Run the pipeline over one entry; None when a stage drops it."""
        parsed: Labels = {}
        for stage in self.stages:
            if isinstance(stage, LineFilter):
                if not stage.keep(line):
                    return None
            elif isinstance(stage, Parser):
                taken = {**stream, **structured}
                extracted, error = (_json if stage.kind == "json" else _logfmt)(line)
                if error is not None:
                    if ERROR_LABEL not in parsed:
                        parsed[ERROR_LABEL] = "JSONParserErr" if stage.kind == "json" else "LogfmtParserErr"
                        parsed[ERROR_DETAILS_LABEL] = error
                    continue
                for key, value in extracted:
                    if key in taken:
                        key += "_extracted"
                    parsed.setdefault(key, value)
            else:
                visible = {**stream, **structured, **parsed}
                if not stage.predicate(visible, parsed):
                    return None
        return Processed(parsed)

    def __str__(self) -> str:
        return "{" + ", ".join(str(m) for m in self.matchers) + "}"


def _sanitize(key: str, prefix: bool = True) -> str:
    key = key.strip()
    if not key:
        return key
    if prefix and key[0].isdigit() and key[0].isascii():
        key = "_" + key
    return "".join(c if (c.isascii() and (c.isalnum() or c == "_")) else "_" for c in key)


def _json(line: str) -> tuple[list[tuple[str, str]], str | None]:
    try:
        document = json.loads(line, parse_int=str, parse_float=str, parse_constant=str)
    except ValueError as exc:
        return [], str(exc)
    if not isinstance(document, dict):
        return [], "Value is not an object"
    out: list[tuple[str, str]] = []

    def walk(obj: dict[str, Any], prefix: str) -> None:
        for key, value in obj.items():
            name = _sanitize(key, not prefix)
            if not name:
                continue
            name = f"{prefix}_{name}" if prefix else name
            if isinstance(value, dict):
                walk(value, name)
            elif isinstance(value, bool):
                out.append((name, "true" if value else "false"))
            elif isinstance(value, str):
                out.append((name, value))
            # arrays and null are skipped, as Loki's json parser skips them

    walk(document, "")
    return out, None


def _logfmt(line: str) -> tuple[list[tuple[str, str]], str | None]:
    """key=value pairs; malformed pairs are skipped (Loki's non-strict logfmt)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] <= " ":
            i += 1
        start = i
        while i < n and line[i] > " " and line[i] not in '="':
            i += 1
        key = line[start:i]
        value = ""
        if i < n and line[i] == "=":
            i += 1
            if i < n and line[i] == '"':
                j, buf = i + 1, []
                while j < n and line[j] != '"':
                    if line[j] == "\\" and j + 1 < n:
                        buf.append(_ESCAPES.get(line[j + 1], line[j + 1]))
                        j += 2
                    else:
                        buf.append(line[j])
                        j += 1
                if j >= n:
                    break  # unterminated quote: the rest of the line is not a pair
                value, i = "".join(buf), j + 1
            else:
                start = i
                while i < n and line[i] > " ":
                    i += 1
                value = line[start:i]
        elif i < n and line[i] == '"':
            i += 1
            continue
        name = _sanitize(key)
        if name and value:
            out.append((name, value))
    return out, None


# ---- parser --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = tokenize(query)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, *expected: str) -> LogQLError:
        tok = self.tok
        if tok.kind.isupper() and tok.kind not in ("IDENTIFIER", "STRING", "NUMBER", "DURATION"):
            raise unsupported("metric queries (" + tok.text + ")")
        message = f"syntax error: unexpected {tok.name}"
        if expected:
            message += ", expecting " + " or ".join(expected)
        return LogQLError(message, tok.line, tok.col)

    def expect(self, *kinds: str) -> Token:
        if self.tok.kind not in kinds:
            raise self.fail(*kinds)
        return self.next()

    def parse(self) -> LogQuery:
        if self.tok.kind != "{":
            raise self.fail()
        matchers = self.selector()
        stages: list[Stage] = []
        while self.tok.kind != "$end":
            stages.append(self.stage())
        return LogQuery(matchers, stages)

    def selector(self) -> list[Matcher]:
        self.expect("{")
        matchers: list[Matcher] = []
        if self.tok.kind == "}":
            self.next()
            return matchers
        if self.tok.kind != "IDENTIFIER":
            raise self.fail("IDENTIFIER", "}")
        while True:
            name = self.expect("IDENTIFIER")
            op = self.expect("=", "=~", "!~", "!=")
            value = self.expect("STRING")
            matchers.append(Matcher(name.value, op.kind, value.value))
            if self.tok.kind == "}":
                self.next()
                return matchers
            self.expect("}", ",")

    def stage(self) -> Stage:
        tok = self.tok
        if tok.kind in ("|=", "!=", "|~", "!~"):
            self.next()
            if self.tok.kind == "IDENTIFIER" and self.tok.value.lower() == "ip":
                raise unsupported("ip() line filters")
            values = [self.expect("STRING", "ip").value]
            while self.tok.kind == "or" and self.tokens[self.i + 1].kind == "STRING":
                self.next()
                values.append(self.next().value)
            return LineFilter(tok.kind, values)
        if tok.kind in ("|>", "!>"):
            raise unsupported("pattern line filters")
        if tok.kind != "|":
            raise self.fail()
        self.next()
        tok = self.tok
        if tok.kind in ("json", "logfmt"):
            self.next()
            if self.tok.kind in ("IDENTIFIER", "STRING", "-"):
                raise unsupported(f"{tok.kind} with parameters or flags")
            return Parser(tok.kind)
        if tok.kind in ("IDENTIFIER", "("):
            return LabelFilter(self.or_expr())
        if tok.kind in KEYWORDS:
            raise unsupported(f"the {tok.kind} stage")
        raise self.fail()

    # label filters: or_expr := and_expr ('or' and_expr)*; and_expr := primary ((',' | 'and' | ε) primary)*
    def or_expr(self) -> Predicate:
        terms = [self.and_expr()]
        while self.tok.kind == "or":
            self.next()
            terms.append(self.and_expr())
        if len(terms) == 1:
            return terms[0]
        return lambda labels, parsed: any(t(labels, parsed) for t in terms)

    def and_expr(self) -> Predicate:
        terms = [self.primary()]
        while True:
            if self.tok.kind in (",", "and"):
                self.next()
            elif self.tok.kind not in ("IDENTIFIER", "("):
                break
            terms.append(self.primary())
        if len(terms) == 1:
            return terms[0]
        return lambda labels, parsed: all(t(labels, parsed) for t in terms)

    def primary(self) -> Predicate:
        if self.tok.kind == "(":
            self.next()
            inner = self.or_expr()
            self.expect(")")
            return inner
        name = self.expect("IDENTIFIER").value
        op = self.tok
        if op.kind not in ("=", "!=", "=~", "!~", "==", ">", ">=", "<", "<="):
            raise self.fail()
        self.next()
        value = self.tok
        if value.kind == "STRING" and op.kind in ("=", "!=", "=~", "!~"):
            self.next()
            matcher = Matcher(name, op.kind, value.value)
            return lambda labels, parsed: matcher.matches(labels.get(name, ""))
        if value.kind == "NUMBER":
            self.next()
            return _numeric(name, op.kind, float(value.value))
        if value.kind == "DURATION":
            raise unsupported("duration and bytes label filters")
        raise self.fail()


def _numeric(name: str, op: str, bound: float) -> Predicate:
    compare: dict[str, Callable[[float], bool]] = {
        "=": lambda v: v == bound,
        "==": lambda v: v == bound,
        "!=": lambda v: v != bound,
        ">": lambda v: v > bound,
        ">=": lambda v: v >= bound,
        "<": lambda v: v < bound,
        "<=": lambda v: v <= bound,
    }
    test = compare[op]

    def predicate(labels: Labels, parsed: Labels) -> bool:
        if name not in labels:
            return False  # a missing label drops the line
        raw = labels[name]
        value = _go_float(raw)
        if value is None:
            if ERROR_LABEL not in parsed:
                parsed[ERROR_LABEL] = "LabelFilterErr"
                parsed[ERROR_DETAILS_LABEL] = f'strconv.ParseFloat: parsing "{raw}": invalid syntax'
            return True  # Loki keeps the line and marks it
        return test(value)

    return predicate


_FLOAT = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.IGNORECASE)


def _go_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)`` for decimal text; None where Go reports invalid syntax."""
    if not _FLOAT.fullmatch(text):
        return None
    return float(text)


def parse(query: str) -> LogQuery:
    """Parse and validate a log query, as Loki's ``syntax.ParseExpr`` does; raises :class:`LogQLError`."""
    result = _Parser(query).parse()
    result.validate()
    return result


def parse_selector(query: str) -> LogQuery:
    """A selector (with an optional pipeline) for metadata endpoints: parsed, not validated."""
    return _Parser(query).parse()
