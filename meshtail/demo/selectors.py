"""Label and field selectors as the API server reads them (``labelSelector``/``fieldSelector``).

Labels: a port of apimachinery's ``labels.Parse`` (its lexer, parser, and ``NewRequirement``'s
validation, with the same error texts). Fields: ``fields.ParseSelector`` and each kind's
``ConvertFieldLabel`` — the labels a kind supports, anything else ``field label not supported``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]


class SelectorError(ValueError):
    """A selector the API server would reject (answered with 400 BadRequest)."""


# ---- labels.Parse --------------------------------------------------------------------------------------------

_SPECIAL = "=!(),><"
_SYMBOLS = ("!=", "==", "!", "(", ")", ",", "=", ">", "<")
_BINARY = "in, notin, =, ==, !=, gt, lt"
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def _lex(text: str) -> list[tuple[str, str]]:
    """(token, literal) pairs: ``id`` (identifiers and the keywords in/notin), symbols, and ``eos``."""
    out: list[tuple[str, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            out.append(("eos", ""))
            return out
        if text[i] in _SPECIAL:
            symbol = next(s for s in _SYMBOLS if text.startswith(s, i))
            out.append((symbol, symbol))
            i += len(symbol)
            continue
        j = i
        while j < len(text) and text[j] not in _SPECIAL and text[j] not in " \t\r\n":
            j += 1
        word = text[i:j]
        out.append((word if word in ("in", "notin") else "id", word))
        i = j


def _qualified_name_errors(key: str) -> list[str]:
    """validation.IsQualifiedName."""
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253:
            errors.append("prefix part must be no more than 253 characters")
        elif not _DNS1123.fullmatch(prefix):
            errors.append(
                "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            )
    else:
        return [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation "
            "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. "
            "'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not _NAME.fullmatch(name):
        errors.append(_NAME_MSG)
    return errors


def _invalid(path: str, value: str, detail: str) -> str:
    """field.Invalid(...).Error(): ``<path>: Invalid value: "v": detail`` (a nil path prints ``<nil>``)."""
    return f'{path}: Invalid value: "{value}": {detail}'


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def look(self, values: bool = True) -> tuple[str, str]:
        token, literal = self.items[self.position]
        return ("id" if values and token in ("in", "notin") else token), literal

    def take(self, values: bool = True) -> tuple[str, str]:
        found = self.look(values)
        if self.position < len(self.items) - 1:
            self.position += 1
        return found

    def parse(self) -> list[tuple[str, str, list[str]]]:
        out = []
        while True:
            token, literal = self.look()
            if token in ("id", "!"):
                try:
                    out.append(self.requirement())
                except SelectorError as exc:
                    raise SelectorError(f"unable to parse requirement: {exc}") from None
                token, literal = self.take()
                if token == "eos":
                    return out
                if token != ",":
                    raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
                after, after_literal = self.look()
                if after not in ("id", "!"):
                    raise SelectorError(f"found '{after_literal}', expected: identifier after ','")
            elif token == "eos":
                return out
            else:
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> tuple[str, str, list[str]]:
        operator = ""
        token, literal = self.take()
        if token == "!":
            operator = "!"
            token, literal = self.take()
        if token != "id":
            raise SelectorError(f"found '{literal}', expected: identifier")
        key = literal
        problems = _qualified_name_errors(key)
        if problems:
            raise SelectorError(_invalid("<nil>", key, "; ".join(problems)))
        if self.look()[0] in ("eos", ","):
            operator = operator or "exists"
        if operator:
            return key, operator, []
        token, literal = self.take(values=False)
        operator = {"in": "in", "notin": "notin", "=": "=", "==": "==", "!=": "!=", ">": "gt", "<": "lt"}.get(token, "")
        if not operator and token == "id" and literal in ("gt", "lt"):
            operator = literal
        if not operator:
            raise SelectorError(f"found '{literal}', expected: {_BINARY}")
        values = self.values() if operator in ("in", "notin") else self.exact()
        return key, operator, _validated(key, operator, sorted(values))

    def values(self) -> set[str]:
        token, literal = self.take()
        if token != "(":
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self.look()
        if token == ")":
            self.take()
            return {""}
        if token not in ("id", ","):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        found: set[str] = set()
        while True:
            token, item = self.take()
            if token == "id":
                found.add(item)
                after, after_literal = self.look()
                if after == ",":
                    continue
                if after == ")":
                    break
                raise SelectorError(f"found '{after_literal}', expected: ',' or ')'")
            if token == ",":
                if not found:
                    found.add("")
                after, _ = self.look()
                if after == ")":
                    found.add("")
                    break
                if after == ",":
                    self.take()
                    found.add("")
                continue
            raise SelectorError(f"found '{item}', expected: ',', or identifier")
        token, _ = self.take()
        if token != ")":
            raise SelectorError(f"found '{literal}', expected: ')'")
        return found

    def exact(self) -> set[str]:
        token, _ = self.look()
        if token in ("eos", ","):
            return {""}
        token, literal = self.take()
        if token == "id":
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")


def _validated(key: str, operator: str, values: list[str]) -> list[str]:
    """NewRequirement's checks on the values (joined as an aggregate error when several fail)."""
    errors = []
    if operator in ("gt", "lt"):
        for i, value in enumerate(values):
            if not re.fullmatch(r"[+-]?[0-9]+", value):
                errors.append(_invalid(f"values[{i}]", value, "for 'Gt', 'Lt' operators, the value must be an integer"))
    for i, value in enumerate(values):
        if len(value) > 63:
            errors.append(_invalid(f"values[{i}][{key}]", value, "must be no more than 63 characters"))
        elif value and not _NAME.fullmatch(value):
            errors.append(_invalid(f"values[{i}][{key}]", value, _VALUE_MSG))
    if len(errors) == 1:
        raise SelectorError(errors[0])
    if errors:
        raise SelectorError("[" + ", ".join(errors) + "]")
    return values


def label_selector(text: str | None) -> Callable[[Mapping[str, str]], bool]:
    """Compile ``app=x,tier!=db,env in (a,b),!legacy,replicas gt 2`` to a predicate over a label map."""
    if not text:
        return lambda labels: True
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    for key, op, values in _Parser(text).parse():
        if op in ("=", "==", "in"):
            tests.append(lambda labels, k=key, a=set(values): k in labels and labels[k] in a)
        elif op in ("!=", "notin"):
            tests.append(lambda labels, k=key, a=set(values): k not in labels or labels[k] not in a)
        elif op == "exists":
            tests.append(lambda labels, k=key: k in labels)
        elif op == "!":
            tests.append(lambda labels, k=key: k not in labels)
        else:
            bound = int(values[0])
            greater = op == "gt"
            tests.append(lambda labels, k=key, b=bound, g=greater: _compare(labels.get(k), b, g))
    return lambda labels: all(test(labels) for test in tests)


def _compare(value: str | None, bound: int, greater: bool) -> bool:
    if value is None or not re.fullmatch(r"[+-]?[0-9]+", value):
        return False
    return int(value) > bound if greater else int(value) < bound


# ---- fields.ParseSelector and ConvertFieldLabel ---------------------------------------------------------------


def _at(*path: str) -> Callable[[Mapping[str, Any]], str]:
    def get(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return get


def _flag(obj: Mapping[str, Any], name: str) -> str:
    """A bool spec field as strconv.FormatBool writes it (unset is false)."""
    return "true" if (obj.get("spec") or {}).get(name) else "false"


def _first_ip(obj: Mapping[str, Any]) -> str:
    ips = (obj.get("status") or {}).get("podIPs") or []
    return str(ips[0].get("ip", "")) if ips else ""


_META = {"metadata.name": _at("metadata", "name"), "metadata.namespace": _at("metadata", "namespace")}
# the field labels each kind's ConvertFieldLabel accepts (by the store key of its type)
_FIELDS: dict[str, dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "pods": {
        **_META,
        "spec.nodeName": _at("spec", "nodeName"),
        "spec.restartPolicy": _at("spec", "restartPolicy"),
        "spec.schedulerName": _at("spec", "schedulerName"),
        "spec.serviceAccountName": _at("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: _flag(o, "hostNetwork"),
        "status.phase": _at("status", "phase"),
        "status.podIP": _first_ip,
        "status.podIPs": _first_ip,
        "status.nominatedNodeName": _at("status", "nominatedNodeName"),
    },
    "events": {
        **_META,
        "involvedObject.kind": _at("involvedObject", "kind"),
        "involvedObject.namespace": _at("involvedObject", "namespace"),
        "involvedObject.name": _at("involvedObject", "name"),
        "involvedObject.uid": _at("involvedObject", "uid"),
        "involvedObject.apiVersion": _at("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _at("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _at("involvedObject", "fieldPath"),
        "reason": _at("reason"),
        "reportingComponent": _at("reportingComponent"),
        "source": _at("source", "component"),
        "type": _at("type"),
    },
    "namespaces": {**_META, "status.phase": _at("status", "phase")},
    "nodes": {
        **_META,
        "spec.unschedulable": lambda o: "true" if (o.get("spec") or {}).get("unschedulable") else "false",
    },
    "secrets": {**_META, "type": _at("type")},
    "replicasets.apps": {**_META, "status.replicas": _at("status", "replicas")},
}


def _unescape(value: str) -> str:
    """fields.UnescapeValue: ``\\\\``, ``\\,`` and ``\\=`` are escapes; a bare ``,`` or ``=`` is an error."""
    if not any(c in value for c in "\\,="):
        return value
    out, slash = [], False
    for ch in value:
        if slash:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            slash = False
        elif ch == "\\":
            slash = True
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: {ord(ch)}")
        else:
            out.append(ch)
    if slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not escaped (``a=b\\,c,d=e``)."""
    terms, start, slash = [], 0, False
    for i, ch in enumerate(text):
        if slash:
            slash = False
        elif ch == "\\":
            slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def field_selector(text: str | None, kind: str = "pods") -> Predicate:
    """Compile a field selector for the type stored under ``kind`` (``pods``, ``events``, ``x.group`` ...)."""
    if not text:
        return lambda obj: True
    parsed: list[tuple[str, str, str]] = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        for i in range(len(part)):
            op = next((o for o in ("!=", "==", "=") if part.startswith(o, i)), None)
            if op is not None:
                parsed.append((part[:i], op, _unescape(part[i + len(op) :])))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
    supported = _FIELDS.get(kind, _META)
    tests: list[Predicate] = []
    for name, op, value in parsed:
        get = supported.get(name)
        if get is None:
            raise SelectorError(f"field label not supported: {name}")
        if op == "!=":
            tests.append(lambda o, g=get, v=value: g(o) != v)
        else:
            tests.append(lambda o, g=get, v=value: g(o) == v)
    return lambda obj: all(test(obj) for test in tests)
