"""The LogQL query meshtail sends: the selection as stream matchers, plus what of the filter Loki can apply.

Pushdown is an optimisation, never a second filter: meshtail evaluates the whole filter on
every line it receives anyway, so a pushed part must only remove lines the filter would
remove.  Each part below is pushed only where that holds exactly:

* ``pod:`` / ``container:`` / ``source.namespace:`` / the cluster field (``source.cluster``,
  or ``source.path`` where the cluster lives there) → stream matchers (structured-metadata
  keys → label filters), case-insensitive as meshtail compares, ``*`` globs as regexes —
  **only with** ``label_terms=True`` **(off by default)**.  These fields are what the parser
  makes of the line, which is the line's Loki labels *unless the line itself names another
  place*: a JSON envelope with Kubernetes metadata (a log shipper's stdout re-shipping other
  pods' lines), a ``kubectl --prefix``/stern/logcli prefix, a ``file.log:`` grep prefix (which
  takes ``source.path``, the cluster's field).  meshtail's own filter keeps such a line as the
  place it names, while a stream matcher on the labels would drop it before meshtail sees
  it — and LogQL cannot say "this label, or this text in the line".  So by default only the
  *selection* (``-n``/``-c``/``-l``/``--cluster``: which streams to read, as the kube
  source picks pods) becomes stream matchers, and these filter terms are evaluated by
  meshtail on every line read.  ``label_terms=True`` pushes them too: faster, and exact on
  every line that does not name another place (tests/test_logql.py checks both claims).
* ``ns:`` / ``namespace:`` are pushed only negated: positively they also match the
  *destination* namespace of a request logged by a pod elsewhere.
* Terms whose value must appear in the raw line (``status:403``, ``method:GET``,
  ``path:/api/*``, ``request_id:…`` — the same literals the filter's raw-line pre-check
  requires) → ``|=`` or a case-insensitive ``|~``; an OR of such terms → one ``|~`` alternation.
* Negated words and phrases (``-healthz``, ``-"GET /ready"``) → ``!~``/``!=``: a line holding
  the word is dropped by the filter whatever its summary says.  Positive words are *not*
  pushed: the filter also matches them in meshtail's summary, which the line need not contain.
* ``raw:/regex/`` → ``|~``/``!~`` (RE2 syntax on both sides; patterns Go's regexp may read
  differently are kept back).
* Everything else (category, outcome, violation, policy, severity, comparisons …) and any
  OR that mixes kinds is evaluated by meshtail after parsing.

Case-insensitive matching is spelled so that Go's RE2 matches a superset of what Python's
``lower()``/``re.IGNORECASE`` match for positive parts, and a subset for negated parts:
positive parts use ``(?i)`` with ``i`` widened to ``[iİı]`` (Python folds those; RE2 does
not), negated parts spell ``s`` as ``(?-i:[sS])`` (RE2 would fold it to ``ſ``, which
Python's ``lower()`` keeps).  Field values are pushed only when ASCII.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import re2

from ...linear import Linear, LinearError
from ...query.compile import _FALSE, _TRUE, Node, _number, _Parser, _required_literal
from ...query.lexer import Token
from .labels import Layout, cluster_field

LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_META = frozenset("\\.+*?()|[]{}^$")


class LokiQueryError(ValueError):
    """The selection cannot be expressed for this Loki (a label it does not have); one line."""


# ---------------------------------------------------------------------------------------- quoting
def quote(value: str) -> str:
    """A Go double-quoted string literal (what LogQL's lexer unquotes): JSON's escapes are Go's."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValueError("a value with a lone surrogate cannot be sent to Loki")
    return json.dumps(value, ensure_ascii=False)


def quote_regex(pattern: str) -> str:
    """A regex in backticks (no double escaping) unless it holds a backtick or CR (Go raw strings drop CRs)."""
    if "`" in pattern or "\r" in pattern:
        return quote(pattern)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in pattern):
        raise ValueError("a value with a lone surrogate cannot be sent to Loki")
    return f"`{pattern}`"


def escape(text: str) -> str:
    """Go's ``regexp.QuoteMeta``: the text as a regex matching exactly itself."""
    return "".join("\\" + ch if ch in _META else ch for ch in text)


def go_compatible(pattern: str) -> bool:
    """True when RE2 (meshtail) and Go's regexp (Loki) read ``pattern`` the same way.

    It must compile in RE2; ``\\C`` (any byte: RE2 only) and ``(?<name>`` (Go 1.22+ only)
    are refused.  Everything else of RE2's syntax is Go's.
    """
    try:
        Linear(pattern)
    except LinearError:
        return False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if pattern[i + 1 : i + 2] == "C":
                return False
            i += 2
            continue
        if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            return False
        i += 1
    return True


def _fold_positive(text: str) -> str:
    """ASCII text as a regex body for use under ``(?i)``: a superset of Python's IGNORECASE/lower()."""
    return "".join("[iİı]" if ch in "iI" else escape(ch) for ch in text)


def _fold_negative(text: str) -> str:
    """Lowercase text as a regex body for use under ``(?i)`` matching only what Python's ``lower()`` maps to it.

    RE2 folds ``s`` to ``ſ`` (U+017F), which ``lower()`` keeps as it is, so ``s`` is spelled
    ``(?-i:[sS])``; a non-ASCII character matches only itself (``(?i)σ`` would take ``ς``).
    ``k`` may stay folded: RE2's ``K`` (Kelvin sign) lowers to ``k``.
    """
    out = []
    for ch in text:
        if ch == "s":
            out.append("(?-i:[sS])")
        elif ch.isascii():
            out.append(escape(ch))
        else:
            out.append(f"(?-i:{escape(ch)})")
    return "".join(out)


# ---------------------------------------------------------------------------------------- pieces
@dataclass(frozen=True)
class Matcher:
    """``label op "value"``: a stream matcher, or a label filter on structured metadata."""

    label: str
    op: str  # = != =~ !~
    value: str

    def __post_init__(self) -> None:
        if not LABEL_NAME.match(self.label):
            raise LokiQueryError(f"{self.label!r} is not a Loki label name")
        if self.op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"bad matcher operator {self.op!r}")

    def render(self) -> str:
        value = quote_regex(self.value) if self.op in ("=~", "!~") else quote(self.value)
        return f"{self.label}{self.op}{value}"

    @property
    def selective(self) -> bool:
        """True if the matcher cannot match an empty value: Loki needs one such in every selector."""
        if self.op == "=":
            return self.value != ""
        if self.op == "=~":
            return re2.fullmatch(self.value, "") is None
        return False


@dataclass(frozen=True)
class LineFilter:
    op: str  # |= != |~ !~
    value: str

    def render(self) -> str:
        value = quote_regex(self.value) if self.op in ("|~", "!~") else quote(self.value)
        return f"{self.op} {value}"


@dataclass
class LogQuery:
    """A log query: stream matchers, line filters, then label filters (structured metadata)."""

    matchers: list[Matcher]
    line_filters: list[LineFilter] = field(default_factory=list)
    label_filters: list[Matcher] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)  # the filter terms Loki applies (for messages)
    default_selector: str | None = None  # why a catch-all matcher was added, if one was
    warnings: list[str] = field(default_factory=list)  # selections Loki may not be able to honour

    def render(self) -> str:
        text = "{" + ", ".join(m.render() for m in self.matchers) + "}"
        for line in self.line_filters:
            text += " " + line.render()
        for label in self.label_filters:
            text += " | " + label.render()
        return text

    __str__ = render

    def for_stream(self, labels: Mapping[str, str], index_labels: Iterable[str] | None = None) -> LogQuery:
        """The same pipeline on one stream only (exact matchers), for re-fetching what the tail dropped.

        Labels that are not index labels (structured metadata that came merged into the stream's
        labels) become label filters; ``__tenant_id__`` is the tenant's, not a label.
        """
        index = set(index_labels) if index_labels is not None else None
        matchers, filters = [], list(self.label_filters)
        for name, value in sorted(labels.items()):
            if name.startswith("__") or not LABEL_NAME.match(name):
                continue
            if index is None or name in index:
                matchers.append(Matcher(name, "=", value))
            else:
                filters.append(Matcher(name, "=", value))
        if not any(m.selective for m in matchers):
            matchers = [*self.matchers, *matchers]
        return LogQuery(matchers, list(self.line_filters), filters, list(self.pushed), self.default_selector)


@dataclass
class LokiSelection:
    """What to read, as the command line says it (``-n``, ``-l``, ``-c``, ``--cluster``).

    Empty lists select everything.  Values are exact names; ``*`` is a wildcard.  ``selector``
    is a kubectl label selector (``app=cart,tier!=db,env in (a,b),!legacy``) on Loki's labels:
    a key is used as it is or with ``.``/``/``/``-`` made ``_`` as shippers do; a key Loki
    does not have is an error (it could not be checked later: Loki keeps no pod labels).
    """

    namespaces: list[str] = field(default_factory=list)
    selector: str | None = None
    containers: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------- selection
def _values_matcher(label: str, values: list[str]) -> Matcher:
    if len(values) == 1 and "*" not in values[0]:
        return Matcher(label, "=", values[0])
    parts = [".*".join(escape(piece) for piece in value.split("*")) for value in values]
    return Matcher(label, "=~", parts[0] if len(parts) == 1 else "|".join(parts))


_REQUIREMENT = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<nkey>[^\s!=,()]+)"
    r"|(?P<key>[^\s!=,()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<set>[^)]*)\))?)\s*$"
)


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [part for part in parts if part.strip()]


def selector_matchers(selector: str, index_labels: Iterable[str]) -> list[Matcher]:
    """A kubectl label selector as stream matchers on the labels Loki has."""
    known = set(index_labels)
    out: list[Matcher] = []
    for requirement in _split_selector(selector):
        m = _REQUIREMENT.match(requirement)
        if m is None:
            raise LokiQueryError(f"-l: cannot read {requirement.strip()!r} (use key=value, key!=value, key in (a,b))")
        key = m.group("nkey") or m.group("key")
        label = key if key in known else re.sub(r"[^A-Za-z0-9_]", "_", key)
        if label not in known:
            listed = ", ".join(sorted(name for name in known if not name.startswith("__"))[:30])
            raise LokiQueryError(f"-l {key}: Loki has no label {label!r} to select on (its labels: {listed})")
        if m.group("not"):
            out.append(Matcher(label, "=", ""))
        elif m.group("setop"):
            values = [v.strip() for v in m.group("set").split(",") if v.strip()]
            if not values:
                raise LokiQueryError(f"-l {key} {m.group('setop')} (): no values")
            regex = "|".join(escape(v) for v in values)
            out.append(Matcher(label, "=~" if m.group("setop") == "in" else "!~", regex))
        elif m.group("op"):
            out.append(Matcher(label, "!=" if m.group("op") == "!=" else "=", m.group("value")))
        else:  # the key exists
            out.append(Matcher(label, "=~", ".+"))
    return out


# ---------------------------------------------------------------------------------------- pushdown
@dataclass(frozen=True)
class _Cond:
    """One necessary condition of the filter: on a source field (``field`` set) or on the line."""

    op: str
    value: str
    field: str | None = None  # namespace | pod | container | cluster
    contains: str | None = None  # for a positive line condition: a regex fragment meaning "the line has it"
    term: str = ""


_SOURCE_TERMS = {
    "pod": "pod",
    "source.pod": "pod",
    "container": "container",
    "source.container": "container",
    "source.namespace": "namespace",
    "source.cluster": "cluster",
    "ns": "namespace?",
    "namespace": "namespace?",
}


def _term_text(token: Token, negate: bool) -> str:
    """The term as the user wrote it (near enough), for messages."""
    value = f'"{token.value}"' if token.quoted else token.value
    if token.op == "re":
        value = f"/{token.value}/{token.flags}"
    elif token.op:
        value = token.op + value
    return ("-" if negate else "") + (f"{token.field}:{value}" if token.field else value)


def _label_condition(token: Token, negate: bool) -> tuple[str, str] | None:
    """A source-field term as (operator, regex or value) on the label; None where it cannot be exact."""
    value, op = token.value, token.op
    if op == "=":
        return ("!=" if negate else "="), value
    if op == "re":
        if not go_compatible(value):
            return None
        inner = f"(?i:{value})" if "i" in token.flags else f"(?:{value})"
        return ("!~" if negate else "=~"), f"(?s:.*){inner}(?s:.*)"
    if op is not None or not value or not value.isascii():
        return None  # comparisons; empty or non-ASCII values
    lowered = value.lower()
    if lowered in _TRUE | _FALSE or ("*" not in value and _number(value) is not None):
        return None  # compared as booleans or numbers by meshtail
    fold = _fold_negative if negate else _fold_positive
    body = "(?i)" + "(?s:.*)".join(fold(piece) for piece in lowered.split("*"))
    return ("!~" if negate else "=~"), body


def _term(token: Token, negate: bool, label_terms: bool) -> list[_Cond]:
    text = _term_text(token, negate)
    name = token.field.lower() if token.field else None
    if name is None:  # a word or phrase: in the raw line or in the summary
        needle = token.value.lower()
        if not negate or not needle:
            return []
        if not any(ch.isascii() and ch.isalpha() for ch in needle):
            return [_Cond("!=", needle, term=text)]
        return [_Cond("!~", "(?i)" + _fold_negative(needle), term=text)]
    if name == "raw":
        if token.op != "re" or not go_compatible(token.value):
            return []
        pattern = ("(?i)" if "i" in token.flags else "") + token.value
        if negate:
            return [_Cond("!~", pattern, term=text)]
        return [_Cond("|~", pattern, contains=f"(?:{pattern})", term=text)]
    source_field = _SOURCE_TERMS.get(name)
    if source_field is None and name == cluster_field():
        source_field = "cluster"
    if source_field is not None:
        if not label_terms:
            return []
        if source_field.endswith("?"):  # ns: also reads the destination namespace
            if not negate:
                return []
            source_field = source_field[:-1]
        found = _label_condition(token, negate)
        return [] if found is None else [_Cond(found[0], found[1], field=source_field, term=text)]
    if negate:
        return []
    literal = _required_literal(token)
    if literal is None or not literal.isascii():
        return []
    if not any(ch.isalpha() for ch in literal):
        return [_Cond("|=", literal, contains=escape(literal), term=text)]
    regex = "(?i)" + _fold_positive(literal)
    return [_Cond("|~", regex, contains=f"(?i:{_fold_positive(literal)})", term=text)]


def _conditions(node: Node, negate: bool, label_terms: bool) -> list[_Cond]:
    """Conditions each of which every matching event's line satisfies (negation pushed inward)."""
    if node.kind == "term":
        assert node.token is not None
        return _term(node.token, negate, label_terms)
    if node.kind == "not":
        return _conditions(node.children[0], not negate, label_terms)
    if (node.kind == "and") != negate:  # AND, or a negated OR (De Morgan): every part holds
        out: list[_Cond] = []
        for child in node.children:
            for cond in _conditions(child, negate, label_terms):
                if cond not in out:
                    out.append(cond)
        return out
    # OR, or a negated AND: one of the parts holds — only "the line has one of these" survives
    fragments, terms = [], []
    for child in node.children:
        found = next((c for c in _conditions(child, negate, label_terms) if c.contains), None)
        if found is None:
            return []
        fragments.append(found.contains or "")
        terms.append(found.term)
    pattern = "|".join(fragments)
    return [_Cond("|~", pattern, contains=f"(?:{pattern})", term="(" + " OR ".join(terms) + ")")]


def filter_conditions(filter_text: str, label_terms: bool = True) -> list[_Cond]:
    """The pushable conditions of a meshtail filter (raises :class:`~meshtail.query.FilterError`)."""
    tree = _Parser(filter_text).parse()
    return [] if tree is None else _conditions(tree, False, label_terms)


# ---------------------------------------------------------------------------------------- the query
def build_query(
    selection: LokiSelection,
    layout: Layout,
    index_labels: Iterable[str],
    filter_text: str = "",
    *,
    label_terms: bool = False,
) -> LogQuery:
    """The LogQL log query for ``selection`` plus the pushable part of ``filter_text``.

    Loki refuses a selector without a matcher that excludes the empty value
    (``{namespace=~".*"}`` alone is an error), so when neither the selection nor the filter
    gives one, a catch-all is added: ``{<namespace label>=~".+"}`` (every stream that has a
    namespace — all of Kubernetes), or, for a layout without one, ``=~".+"`` on
    ``service_name``, ``job``, ``app``, ``container`` or the first label the server lists.
    :attr:`LogQuery.default_selector` says which.  ``label_terms``: push the filter's
    pod/container/namespace/cluster terms down as stream matchers too (see the module's
    notes: exact only for lines that do not name another pod than their stream's).
    """
    labels = sorted(set(index_labels))
    matchers: list[Matcher] = []
    label_filters: list[Matcher] = []
    warnings: list[str] = []

    def place(field_name: str, op: str, value: str, origin: str) -> None:
        key = layout.key(field_name) if layout.known else None
        if key is None:
            raise LokiQueryError(
                f"{origin}: the Loki streams carry no {field_name} label (label layout {layout.name}; "
                f"labels: {', '.join(labels[:30]) or 'none'}); select with -l on one of those labels"
            )
        target = matchers if layout.is_label(key) else label_filters
        target.append(Matcher(key, op, value))

    for field_name, values, origin in (
        ("namespace", selection.namespaces, "-n"),
        ("container", selection.containers, "-c"),
        ("cluster", selection.clusters, "--cluster"),
    ):
        if values:
            matcher = _values_matcher("x", list(values))
            place(field_name, matcher.op, matcher.value, origin)
            key = layout.key(field_name)
            if key and not layout.is_label(key):
                warnings.append(
                    f"{origin}: Loki has no {key!r} label; selecting on structured metadata {key!r} "
                    "(entries without it are not read)"
                )
    if selection.selector:
        matchers.extend(selector_matchers(selection.selector, labels))

    line_filters: list[LineFilter] = []
    pushed: list[str] = []
    if filter_text.strip():
        usable = label_terms and layout.known
        for cond in filter_conditions(filter_text, usable):
            if cond.field is not None:
                key = layout.key(cond.field)
                if key is None:
                    continue
                (matchers if layout.is_label(key) else label_filters).append(Matcher(key, cond.op, cond.value))
            else:
                line_filters.append(LineFilter(cond.op, cond.value))
            pushed.append(cond.term)

    default = None
    if not any(m.selective for m in matchers):
        candidates = [layout.namespace] if layout.known and layout.namespace else []
        candidates += ["service_name", "job", "app", "container", "namespace"]
        usable = [name for name in candidates if name and name in labels]
        usable = usable or [name for name in labels if not name.startswith("__")]
        if not usable:
            raise LokiQueryError("Loki lists no labels for these streams: there is nothing to select")
        matchers.insert(0, Matcher(usable[0], "=~", ".+"))
        default = f"every stream with a {usable[0]} label (nothing narrower was selected)"
    return LogQuery(matchers, line_filters, label_filters, pushed, default, warnings)
