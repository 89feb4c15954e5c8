"""Tokens of the filter language.

``status:>=500 -ns:kube-system (method:GET OR method:HEAD) "access denied" path:/api/*``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FilterError

_FIELD = re.compile(r"[A-Za-z_][\w.\-]*(?=:)")
_OPS = (">=", "<=", ">", "<", "=")
_REGEX_FLAGS = "i"


@dataclass(slots=True)
class Token:
    kind: str  # "(" ")" "OR" "NOT" "TERM"
    pos: int
    field: str | None = None
    field_pos: int = 0
    value: str = ""
    value_pos: int = 0
    op: str | None = None  # comparison operator, "re" for /regex/, None for match
    flags: str = ""
    quoted: bool = False


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read ``"..."`` starting at *start* (the quote); backslash escapes the next character."""
    out = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise FilterError("unterminated quoted phrase", start, text)


def _read_regex(text: str, start: int) -> tuple[str, str, int] | None:
    """Read ``/.../flags`` starting at *start* (the slash); ``\\/`` is a literal slash.

    Returns None when the value is not a complete regex term (no closing slash, or
    text right after it, as in ``path:/api/v1``): such values are plain paths.
    """
    out = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i : i + 2] if text[i + 1] != "/" else "/")
            i += 2
            continue
        if ch.isspace():
            return None
        if ch == "/":
            j = i + 1
            while j < len(text) and text[j] in _REGEX_FLAGS:
                j += 1
            if j < len(text) and not text[j].isspace() and text[j] != ")":
                return None
            return "".join(out), text[i + 1 : j], j
        out.append(ch)
        i += 1
    return None


def _read_bare(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace() and text[i] not in "()":
        i += 1
    return i


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(Token(ch, i))
            i += 1
            continue
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            tokens.append(Token("NOT", i))
            i += 1
            continue
        if ch == '"':
            value, end = _read_quoted(text, i)
            tokens.append(Token("TERM", i, value=value, value_pos=i, quoted=True))
            i = end
            continue
        field = _FIELD.match(text, i)
        if field:
            name = field.group()
            vstart = field.end() + 1
            token = Token("TERM", i, field=name, field_pos=i, value_pos=vstart)
            j = vstart
            negated = text.startswith("!=", j)
            if negated:
                # `status:!=403`: not this exact value (it was read as the value "!=403" and matched nothing, without
                # a word: found by an outside audit)
                tokens.append(Token("NOT", i))
                token.op = "="
                j += 2
            for op in _OPS if not negated else ():
                if text.startswith(op, j):
                    token.op = op
                    j += len(op)
                    break
            token.value_pos = j
            if j < n and text[j] == '"':
                token.value, j = _read_quoted(text, j)
                token.quoted = True
            elif j < n and text[j] == "/" and token.op is None and (regex := _read_regex(text, j)):
                token.value, token.flags, j = regex
                token.op = "re"
            else:
                end = _read_bare(text, j)
                token.value = text[j:end]
                j = end
            if token.value == "" and not token.quoted:
                raise FilterError(f"missing value after '{name}:'", j, text)
            tokens.append(token)
            i = j
            continue
        end = _read_bare(text, i)
        word = text[i:end]
        if word in ("OR", "||", "|"):  # (a lone "|" was a word to search for)
            tokens.append(Token("OR", i))
        elif word == "NOT":
            tokens.append(Token("NOT", i))
        elif word in ("AND", "&&"):
            pass
        else:
            tokens.append(Token("TERM", i, value=word, value_pos=i))
        i = end
    return tokens
