"""The wrappers around a mesh line, peeled before its family is looked for.

Operators rarely have the container's own line: they have what ``kubectl logs --prefix
--timestamps``, stern, kail, a CRI log file, docker-compose, ``grep -n``, a log UI's export,
the OpenTelemetry collector's debug exporter, Fluent Bit, Vector, Elastic, Loki, Cloud
Logging, Azure Monitor or CloudWatch made of it — and what a chat, a ticket or a terminal did
to the text (markdown quotes and backticks, a k9s border, curly quotes, CSV-doubled quotes,
indentation, a carriage return).  Each peeler here recognises one of those shapes and hands
back the inner line, with what the wrapper knew (namespace, pod, container, a timestamp)
carried into the event's source.  Peelers are cheap to reject (a first-character or literal
check before any regex) and are tried until none applies, so nested wrappers (a CRI line
inside a Fluent Bit record inside a Loki export) come apart one after another.

A peeler never claims a line unless what is left looks like the start of a log line (a
timestamp, a level, ``[``, ``{``, a known request line): a stern prefix ``pod container`` is
two words, and so is the start of many sentences.
"""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..events import Source
from .k8s_audit import AKS_AUDIT_CATEGORIES
from .stackdriver import ISTIO_LOG_NAME
from .timestamps import normalize, split_kubelet_prefix

MAX_DEPTH = 6  # wrappers inside wrappers; more is an attack or a loop


@dataclass(slots=True)
class Peeled:
    """The inner line and what its wrappers said about it."""

    body: str
    source: Source
    stamp: str | None = None  # the runtime's / collector's timestamp of the line (``k8s.log.timestamp``)
    wrappers: list[str] = field(default_factory=list)
    partial: bool = False  # the text was mended (quotes, a cut start): best effort, say so
    decoded: bool = False  # the body came out of JSON: its characters need the visible-safety pass
    # each earlier stage (outermost first): if no family reads the body, a less peeled one is tried
    earlier: list[tuple[str, Source, str | None]] = field(default_factory=list)

    def adopt(self, loose: Peeled) -> None:
        """Take on what a loose reading of this body peeled further (its wrappers, and whether it mended or
        decoded the text): the detector read the line through it."""
        self.wrappers = [*self.wrappers, *loose.wrappers]
        self.partial = self.partial or loose.partial
        self.decoded = self.decoded or loose.decoded


# ---------------------------------------------------------------- what a log line starts with
_LINE_START = re.compile(
    r"""(?:\[|\{|"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{2}-\d{2} \d{2}:\d{2}|[IWEF]\d{4} \d{2}:"""
    r"""|(?:trace|debug|info|warn|warning|error|critical|fatal|TRACE|DEBUG|INFO|WARN|ERROR)\b"""
    r"""|(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT) /|AUDIT:|gRPC config|-[AIN] (?:ISTIO_|\S+ .*-j ISTIO_)"""
    r"""|src\.(?:addr|workload|identity)="""  # ztunnel's access fields alone (Kiali's ztunnel log view)
    r"""|\s{2,}(?:TRACE|DEBUG|INFO|WARN|ERROR)\b)"""
)


_LEVEL_FIRST = re.compile(r"(?:trace|debug|info|warn|warning|error|critical|fatal|TRACE|DEBUG|INFO|WARN|ERROR)\b")


def looks_like_a_line(text: str) -> bool:
    """True when ``text`` starts the way a mesh log line (or a JSON record) starts."""
    return _LINE_START.match(text) is not None


def starts_a_record(text: str) -> bool:
    """Like :func:`looks_like_a_line`, but not with a bare level word.

    After a timestamp, a level word is the line's own second column (Istio's tab format with
    its tabs turned into spaces), not a line behind a wrapper's timestamp.
    """
    return _LINE_START.match(text) is not None and _LEVEL_FIRST.match(text) is None


# ---------------------------------------------------------------- text artefacts of pasting
_CURLY = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"})
_ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\(B")
# the names a tool colours in front of the line (stern: namespace, pod and container, each in its colour and reset;
# kubetail: "[pod ctr]"): a run of tokens each opening with a colour code
_COLOURED_PREFIX = re.compile(r"(?:(?:\x1b\[[0-9;]*m|\x1b\(B)+[^\s\x1b]{0,253}(?:\x1b\[[0-9;]*m|\x1b\(B)*\s{1,4})+")
_NAMES_ONLY = re.compile(r"[\w.\-/\[\] ]{0,400}")
_LOGCLI_COLOURS = re.compile(
    r"\x1b\[34m(\d{4}-\d\d-\d\dT[^\s\x1b]{1,40})\x1b\[0m (?:\x1b\[31m(\{[^{}\x1b]{0,8000}\} *)\x1b\[0m )?"
)
_TRAILING_RESET = re.compile(r"(?:\x1b\(B)?\x1b\[0?m\Z")
# colour codes that lost their escape byte on the way to a page: "[2m2024-…Z[0m [32m INFO[0m [2mztunnel::…" (a
# terminal's copy, a CI log viewer), or wrote it as text ("^[[32m" from less or cat -v, "←[32m" from Windows' console,
# "\u001b[32m" from a JSON string copied without decoding)
_SGR_REMNANT = re.compile(
    r"(?:\^\[|\u2190|\\u001[bB]|\\033|\\x1[bB]|\\e)?\[(?:\d{1,3}(?:;\d{1,3}){0,7}m(?!\])|m(?![\w\]]))"
)
_GLUED_WORD = re.compile(r"[a-z]{2,16}(?=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?\s)")
# a log viewer's line number run into the line's time when copied ("1842024-09-03T07:14:46.231997Z error envoy …":
# line 184 of a CI log or a gist's gutter); the year that follows is this or the last century's
_GLUED_NUMBER = re.compile(r"\d{1,6}(?=(?:19|20)\d\d-[01]\d-[0-3]\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?\s)")
_GLOG_EARLY = "ERROR: logging before flag.Parse: "
_CARET_KEYS = frozenset("CDZ\\")  # ^C, ^D, ^Z, ^\ as a terminal echoes them
_DOUBLED_BRACKET = re.compile(r"\[(?:[\w./+-]{1,400}\.(?:cc|h):\d{1,7}\]|\d{4}-\d\d-\d\d[ T]\d\d:)")
_SGR_RESET = re.compile(r"\[0m(?!\])|\[m(?![\w\]])")


_BOLD_SPAN = re.compile(r"\*\*[^*\s](?:[^*]{0,400}[^*\s])?\*\*")
_LEVEL_COLUMN = re.compile(r"(?:trace|debug|info|warn|warning|error|TRACE|DEBUG|INFO|WARN|ERROR) {1,8}\S")
# what a page or a copy leaves after a line: an HTML line break, an escaped newline, a JSON array's comma
_TRAILING_MARKUP = re.compile(r"(?:<br ?/?>|(?<!\\)(?:\\r)?\\n|(?<=\})[,.])\Z", re.I)
# an HTML element that shows code (an issue written in HTML, a page's source)
_CODE_TAG = re.compile(r"<(?:code|pre|tt|samp|kbd)>", re.I)
_CODE_CLOSE = re.compile(r"</(?:code|pre|tt|samp|kbd)>\Z", re.I)
_MARKDOWN_ESCAPE = re.compile(r"(?<!\\)\\([_*])")  # a markdown export's "\_" and "\*"
_TAB_WITH_BLANKS = re.compile(r" *+\t[\t ]*+")  # a tab with the blanks a renderer or an author put beside it
# tab glyphs with the spaces a viewer pads them to the next stop with
_TAB_GLYPHS = re.compile("[\u25b8\u2192\u21e5] *")


# an ISO/RFC 3339 time whose first characters a paste cut off (its end kept: Istio's and ztunnel's "Z" column)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CUT_STAMP = re.compile(
    r"(?:\d{0,3}-\d{2}-\d{2}T|-?\d{0,2}-\d{2}T|\d{1,2}T)?\d{0,2}:\d{2}:\d{2}\.\d{1,9}Z[ \t]+"
)  # ("-03-03T…": the cut fell just after the year)


# what a web page, a wiki or a chat makes of a line's blanks: no-break and other Unicode spaces for its spaces and
# tabs (the parsers read ASCII; the raw line keeps what was pasted).  Zero-width and other format characters are
# kept: they are shown as visible escapes (a hidden character in a path or a name is what an auditor must see)
_BLANKS = {codepoint: " " for codepoint in (0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)}
# and what a blog engine's typography makes of its dashes and dots (WordPress's wptexturize: "--" and " - " to an en
# dash, "---" to an em dash, "..." to an ellipsis): a flag's "--", a TCP line's "- - -", a message's trailing dots
_BLANKS.update({0x2013: "-", 0x2014: "--", 0x2026: "..."})
_BLANKS_TABLE = str.maketrans(_BLANKS)
_FLAG_DASH = re.compile("(?<![\\w-])\u2013(?=[A-Za-z])")  # "–log_output_level": a flag's "--" made one dash


def _typography(text: str) -> str:
    if "\u2013" in text:
        text = _FLAG_DASH.sub("--", text)
    return text.translate(_BLANKS_TABLE)


# a tab a page or a table cell shows as blanks
_WIDE_BLANK = re.compile(r" {2,}+")
_CELL_BORDER = re.compile(r"(?<!\\) \| ")  # between two cells of a markdown table (not an escaped "|" in one)
# an HTML page's escapes of a line's quotes and angle brackets (a bare "&amp;" may be a query string's own)
_HTML_ENTITY = re.compile(r"&(?:quot|lt|gt|apos|#3[49]|#6[02]|#x2[27]|#x3[ce]);")


_LEADING_FORMAT = "\ufeff\u200b\u200c\u200d\u2060"


def _json_string(text: str) -> str | None:
    """``text`` read as one JSON string, stripped; None when it is not one."""
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return found.strip() if isinstance(found, str) else None


def _artefacts(text: str, source: Source) -> Peeled | None:
    """Markdown quotes and code marks, a k9s border, indentation, ANSI colours, curly quotes, CSV quoting,
    Unicode blanks."""
    body = text if text.isascii() else _typography(text)
    partial = False
    decoded = False
    if body[:1] in _LEADING_FORMAT:
        # a byte-order mark (a file a Windows editor saved, the first line of a PowerShell export) or a zero-width
        # space a chat or wiki put before the line: in front of the line, not inside any of its fields (a format
        # character inside a field stays, to be shown)
        body = body.lstrip(_LEADING_FORMAT)
    if body[:1] == '"' and body[-1:] in ('"', ",") and len(body) > 16:
        # the line as a JSON string ("…\tinfo\tads\t…\n"): jq without -r, a JSON array's item, a Loki API answer
        # (a whole line that is one JSON string holds nothing but the line: whatever it starts with, a wrapper too)
        string = _json_string(body[:-1] if body[-1] == "," else body)
        if string:
            body, decoded = string, True
    if body[:1] == "<" or body[-1:] == ">":
        tagged = _html_code_tags_off(body)
        if tagged != body and tagged.strip():
            body = tagged  # an issue's or a page's HTML around the line: "<pre><code>…</code></pre>", "…<br>"
    if "&" in body and _HTML_ENTITY.search(body) is not None:
        body = html.unescape(body)  # a page's source or a wiki's export: the line's quotes as &quot;, &#34;, &lt;
        decoded = True  # (any entity is decoded then, &#27; too: the visible-safety pass must see the result)
    if body.startswith("\x1b[34m"):
        # logcli's default output in a terminal (grafana/loki pkg/logcli/output/default.go): the time in
        # color.BlueString, the label set (padded) in color.RedString, then the line
        shown = _LOGCLI_COLOURS.match(body)
        if shown is not None:
            body = f"{shown.group(1)} {shown.group(2) + ' ' if shown.group(2) else ''}" + body[shown.end() :]
    if body.startswith("\x1b"):
        # stern, kubetail and k9s colour the names in front (and reset at the end); codes inside the line are
        # the log's own (an attacker's), kept to be shown as visible escapes
        cut = -1  # after the last code that only names precede (kubetail: "\x1b[32m[pod ctr]\x1b(B\x1b[m <line>")
        for code in _ANSI.finditer(body, 0, 600):
            if not _NAMES_ONLY.fullmatch(_ANSI.sub("", body[: code.start()])):
                break  # past the names: codes from here on are the line's own
            if looks_like_a_line(body[code.end() :].lstrip()):
                cut = code.end()
        if cut >= 0:
            # (kubetail colours the whole line and resets after it: "… <line> \x1b(B\x1b[m")
            body = _ANSI.sub("", body[:cut]) + _TRAILING_RESET.sub("", body[cut:])
        else:
            coloured = _COLOURED_PREFIX.match(body)
            if coloured is not None:
                body = _ANSI.sub("", coloured.group(0)) + _TRAILING_RESET.sub("", body[coloured.end() :])
            else:
                body = _ANSI.sub("", body, count=4)
    if body[:1] in "[^\u2190\\" and "\x1b" not in body and _SGR_REMNANT.match(body) and _SGR_RESET.search(body):
        # (the line starts with a code, a reset is there and one code more: a program's own text may hold "[0m")
        plain, codes = _SGR_REMNANT.subn("", body)
        if codes >= 2:
            body = plain
    stripped = body.strip()
    if stripped != body:
        body = stripped
    if body[:1].isalpha() and body[:1].islower() and (glued := _GLUED_WORD.match(body)) is not None:
        body, partial = body[glued.end() :], True  # a UI's label run into the line's time ("console2021-01-12T18:…")
    elif body[:1].isdigit() and body[4:5] != "-" and (glued := _GLUED_NUMBER.match(body)) is not None:
        body, partial = body[glued.end() :], True  # a viewer's line number run into the line's time
    if body.startswith(_GLOG_EARLY):
        body = body[len(_GLOG_EARLY) :]  # glog's note that it logged before its flags were parsed (Istio 0.x, 1.0)
    if body[:1] == "^" and body[1:2] in _CARET_KEYS and looks_like_a_line(body[2:]):
        body = body[2:]  # the terminal's echo of a key typed before the line came ("^C2020-07-08T09:05:21Z  warning …")
    elif body.startswith("[[") and _DOUBLED_BRACKET.match(body, 1) is not None:
        body = body[1:]  # a bracket doubled by a relay or a hand ("[[cilium/network_policy.cc:129] Bad …")
    if "\t" in body[:200] and (" \t" in body or "\t " in body):
        # blanks beside the tabs between columns ("…Z \twarning \tenvoy config \t…": a renderer that pads its
        # cells, an author who aligned them): the tab is the column's separator, the blanks around it are not
        columns = _TAB_WITH_BLANKS.sub("\t", body)
        if looks_like_a_line(columns):
            body = columns
    if body.startswith(("> - ", "> * ")):
        body = body[2:]  # a quoted list item: the quote, then the item's mark below
    if body.startswith(("- ", "* ")) and (
        looks_like_a_line(body[2:].lstrip()) or (body[2:].lstrip()[:1] == "`" and body.endswith("`"))
    ):
        body, partial = body[2:].lstrip(), True  # a markdown list item holding the line (or a code span of it)
    elif (body[:1].isdigit() and not _GREP_MARK.match(body)) or body[:1] in "*_" or not body[:1].isascii():
        label = _LIST_NUMBER.match(body) or _LABEL.match(body)
        if label is not None and looks_like_a_line(body[label.end() :]):
            body = body[label.end() :]  # a numbered list's item, or an author's label ("ログ: ", "**istiod:** ")
        elif body[:1].isalpha() and not body[:1].isascii():
            # an author's sentence in their own language run into the line with no mark between
            # ("…需要禁用wasm插件才会不报2026-07-13T03:44:23.353014Z     info    cache   …"); not a border, a cell or
            # a record whose own field holds a time
            stamp = _STAMP_IN_PROSE.search(body, 1, 400)
            if (
                stamp is not None
                and not _NOT_PROSE.intersection(body[: stamp.start()])
                and looks_like_a_line(body[stamp.start() :])
            ):
                body, partial = body[stamp.start() :], True
    if body[:1] in "+-" and body[1:2] in (" ", "\t"):
        rest = body[1:].lstrip()
        if looks_like_a_line(rest) and not rest.startswith(("-", "[")):
            body = rest  # a line of a diff shown in a pull request ("+    2020-03-05T23:43:21Z   debug   rbac …")
    elif body[:1] in "+->" and body[1:2].isalnum() and (looks_like_a_line(body[1:]) or _SYSLOG.match(body, 1)):
        body = body[1:]  # a diff's or a quote's mark with no blank after it ("-Oct 13 21:32:29 vm node_agent[…")
    if body.startswith((">>", "> >")):
        rest = body.lstrip("> ")  # a quote of a quote (a reply to a reply, an email thread)
        if looks_like_a_line(rest) or _KAIL.match(rest) or rest.startswith("[pod/"):
            body = rest
    if body.startswith(("| ", "│ ")) and body.endswith((" |", " │")) and len(body) > 6:
        body = body[2:-2].strip()  # a table's cell: the line between its borders (a markdown table, k9s)
        if " | " in body:
            # a row of cells a log UI or an author split the line into ("| <time> | info | <message> |"): the
            # columns Istio's format separates by tabs, when the row read so is a line
            cells = _WIDE_BLANK.sub("\t", "\t".join(cell.strip() for cell in _CELL_BORDER.split(body)))
            if looks_like_a_line(cells.replace("**", "").replace("\\|", "|")):
                body = cells
        if "\\|" in body:
            body = body.replace("\\|", "|")  # (markdown escapes a "|" inside a cell)
    if body.startswith("##"):
        heading = body.lstrip("#")
        if heading[:1] == " " and len(body) - len(heading) <= 6 and looks_like_a_line(heading.lstrip()):
            body = heading.lstrip()  # a markdown heading made of the line ("## Envoy proxy is NOT ready: …")
    if body.startswith(_QUOTE_MARKS):
        rest = _unmarked(body)
        if looks_like_a_line(rest) or _KAIL.match(rest) or rest.startswith("[pod/"):
            body = rest  # a quote, a table cell, a shell prompt or comment before the line (or its wrapper)
    if body.startswith(_ELIDED):
        rest = body.split(None, 1)[1].lstrip() if " " in body else ""
        if looks_like_a_line(rest) or _LEVEL_COLUMN.match(rest):
            body, partial = rest, True  # the author elided the start (the time): "... info  access  …"
    if (body[:1].isdigit() or body[:2].lstrip("-")[:1].isdigit()) and not _FULL_DATE.match(body):
        cut = _CUT_STAMP.match(body)  # the paste lost the start of the time: "021-03-12T17:08:17.573733Z  warn  ads …"
        if cut is not None:
            rest = body[cut.end() :]
            if _LEVEL_COLUMN.match(rest) or looks_like_a_line(rest):
                body, partial = rest, True
    if "▸" in body[:40] or "→" in body[:40] or "⇥" in body[:40]:
        shown = _TAB_GLYPHS.sub("\t", body)
        if shown != body and looks_like_a_line(shown):
            body, partial = shown, True  # a viewer that shows tabs as ▸, →, ⇥
    if body.endswith(" │"):
        body = body[:-2].rstrip()
    if body.endswith(("} ...", "} …")) and body[:1] == "{":
        # the author's "more follows" after a whole record (text lines keep theirs: Istio's own messages end so,
        # "Sending CSR (retrial #0) ...")
        body, partial = body[: -4 if body[-1] == "." else -2], True
    if body[-1:] in (">", "n", ",", ".") and (end := _TRAILING_MARKUP.search(body, max(0, len(body) - 12))) is not None:
        # what a page or a copy left after the line: an HTML line break, a JSON string's escaped newline (the value of
        # a collector's "log" field copied without its quotes), the comma after a JSON array's record
        rest = body[: end.start()].rstrip()
        if end.group() not in ",." or (rest[:1] == "{" and rest[-1:] == "}"):
            body = rest
    if body[:1] == "<" and (tag := _CODE_TAG.match(body)) is not None:
        # an HTML code or preformatted element around the line (an issue written in HTML, a page's source)
        inner = body[tag.end() :]
        close = _CODE_CLOSE.search(inner, max(0, len(inner) - 12))
        inner = (inner[: close.start()] if close is not None else inner).strip()
        if looks_like_a_line(inner) or _KAIL.match(inner):
            body, partial = inner, True
    if body[:1] == "'" and body[-1:] == "'" and len(body) > 16 and "'" not in body[1:-1]:
        inner = body[1:-1].strip()  # a line in a shell's single quotes (echo '…', a Python list's item)
        if looks_like_a_line(inner):
            body = inner
    if body.startswith("`") or body.endswith("`"):
        inner = body.strip("`").strip()
        # a code span on both sides is markup whatever it holds; one mark only when a line follows it
        both = len(body) > 2 and body[0] == "`" and body[-1] == "`" and "`" not in inner
        if inner != body and (both or looks_like_a_line(inner) or inner.startswith('{"')):
            body, partial = inner, True
    if "\\_" in body or "\\*" in body:
        # a markdown export's escapes ("response\_code", "\*\*503\*\*": WordPress, Hugo, pandoc): no log line
        # writes a backslash before "_" or "*" (JSON has no such escape)
        body = _MARKDOWN_ESCAPE.sub(r"\1", body)
    if len(body) > 8 and body[0] in "_*" and body[-1] == body[0] and body[1] not in "_* " and body[-2] not in "_* ":
        # a line in an author's italics ("_2025-04-16T08:59:11.694103Z … thread=19_"), bold inside it or not
        inner = body[1:-1]
        if looks_like_a_line(inner.replace("**", "")):
            body, partial = inner, True
    if body.startswith("**") and body.endswith(("**", "**,", "**;")) and len(body) > 5:
        # (a bold line, or a bold field of a pretty-printed record with its comma after the bold)
        end = len(body) - (2 if body.endswith("**") else 3)
        body, partial = body[2:end] + body[end + 2 :], True
    elif "**" in body and body.count("**") % 2 == 0 and _BOLD_SPAN.search(body):
        plain = body.replace("**", "")
        # an author's bold inside the line ("2023-03-23T04:09:47.**824655Z**", an Ambassador access line's
        # "**503 UC**"): taken away when every "**" is one end of a bold span (an author's label, "**istio-agent:** ",
        # is read as a label below)
        if looks_like_a_line(plain) or ("**" not in _BOLD_SPAN.sub("", body) and _LABEL.match(body) is None):
            body, partial = plain, True
    if "\\t" in body[:80] and "\t" not in body and body[:1] not in "{[" and _YAML_FIELD.match(body) is None:
        escaped = _ESCAPED_COLUMNS.search(body, 0, 80)
        if escaped is not None and _ESCAPED_LEAD.fullmatch(body, 0, escaped.start()) is not None:
            # a text line copied out of a JSON string or a program's repr, its tabs written "\t" (an event's or a
            # test's message: ', message: "2023-08-10T05:18:57.513110Z\tinfo\tWaiting for Envoy proxy …\n"'): the
            # line from its time on, its escapes undone
            tabbed = body[escaped.start() :].replace("\\\\", "\x00").replace("\\t", "\t").replace('\\"', '"')
            tabbed = tabbed.rstrip("\"',").removesuffix("\\n").replace("\x00", "\\")
            body, partial = tabbed, True
    if '\\"' in body and '"' not in body.replace('\\"', "") and not body.lstrip().startswith("{"):
        body, partial = body.replace('\\"', '"'), True  # a text line copied out of a JSON string: \" for each quote
    if body.startswith('{\\"') and body.rstrip().endswith("}"):
        # a JSON line copied out of a JSON string (a collector's record, a test's fixture): its quotes escaped
        unescaped = body.replace("\\\\", "\x00").replace('\\"', '"').replace("\x00", "\\")
        body, partial = unescaped, True
    if "\u201c" in body or "\u201d" in body:
        body, partial = body.translate(_CURLY), True
    if len(body) > 2 and body[0] == '"' and body[-1] == '"' and '""' in body and not _CSV_TIME.match(body):
        inner = body[1:-1].replace('""', '"')  # a CSV cell: the line in quotes, its quotes doubled
        if looks_like_a_line(inner):
            body, partial = inner, True
    if body == text:
        return None
    return Peeled(body, source, partial=partial, wrappers=["paste"], decoded=decoded)


# the HTML tags an author put around a line (GitHub renders them in an issue's markdown): code and preformatted text
# opened at its start or closed at its end, a line break at its end
_HTML_OPENING = re.compile(r"(?:<(?:pre|code|samp|tt|kbd)(?: [^<>]{0,120})?>){1,4}")
_HTML_CLOSING = ("</pre>", "</code>", "</samp>", "</tt>", "</kbd>", "<br>", "<br/>", "<br />")


def _html_code_tags_off(body: str) -> str:
    """The line without the code tags at its start and end (each end looked at once: linear in the line)."""
    opening = _HTML_OPENING.match(body) if body[:1] == "<" else None
    if opening is not None:
        body = body[opening.end() :]
    for _ in range(4):
        closing = next((tag for tag in _HTML_CLOSING if body.endswith(tag)), None)
        if closing is None:
            break
        body = body[: -len(closing)]
    return body


# what may stand before escaped columns: nothing, or a field's name and the quote that opens its string (', message: "',
# 'msg: \'') -- not a record's braces or a CSV row (their readers undo the escapes) nor words of another line
_ESCAPED_LEAD = re.compile(r"""[\s,]{0,4}(?:[A-Za-z_][\w.]{0,30} ?: ?)?["']?""")
# Istio's columns, the tabs between them written as escapes: "<time>\t<level>\t"
_ESCAPED_COLUMNS = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}Z\\t(?:debug|info|warn|warning|error|fatal|critical|trace)\\t"
)


# ---------------------------------------------------------------- timestamps in front
_OFFSET_STAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))"
    r"(?: (stdout|stderr) ([FP])(?: |$)| (?=\S))"
)


def _kubelet(text: str, source: Source) -> Peeled | None:
    """``kubectl logs --timestamps`` and CRI files (``<time> stdout F``): any fraction width, any offset."""
    if not text[:1].isdigit():
        return None
    stamp, body = split_kubelet_prefix(text)
    exact = stamp is not None and (
        _nine_digits(stamp) or text[len(stamp) + 1 : len(stamp) + 8] in ("stdout ", "stderr ")
    )
    if stamp is None:
        match = _OFFSET_STAMP.match(text)
        if match is None:
            cut = _CUT_CRI.match(text)
            if cut is None:
                return None
            # a CRI file's line cut in front, inside its time ("25:21.1Z stdout F <line>"): the stream marker says
            # what it was; its time is lost (and the same of a time before a line's own stamp or labels)
            return Peeled(text[cut.end() :], source, None, ["kubelet"], partial=True)
        stamp, body = match.group(1), text[match.end() :]
        exact = match.group(2) is not None
    if not exact and not starts_a_record(body):
        return None  # the line's own timestamp, then its text: not a wrapper
    # (the kubelet's own form — nine digits, or a CRI stream marker — is peeled whatever follows;
    # if no family reads what is left, the parser tries the unpeeled line too)
    return Peeled(body, source, _utc(stamp), ["kubelet"])


_CUT_CRI = re.compile(
    # (or a time of its own then the line's own whole stamp, or a log UI's label set: kubectl --timestamps, Loki)
    r"\d[\d:.T-]{0,30}+Z (?:(?:stdout|stderr) [FP] (?=\S)|(?=\d{4}-\d\d-\d\d[T ]\d\d:|\{[a-z_]{1,64}+=\"))"
)


def _nine_digits(stamp: str) -> bool:
    """The kubelet's RFC3339NanoFixed (UTC) or stern's ``--timestamps`` (any zone): nine fractional digits, a
    width no emitter meshtail reads prints its own time in, so what follows is the line whatever it is."""
    return len(stamp) in (30, 35) and stamp[19] == "." and stamp[20:29].isdigit()


def _utc(stamp: str) -> str | None:
    return normalize(stamp.replace("+0000", "Z")) or stamp


# ---------------------------------------------------------------- tools that name the pod
_DNS = r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?"
# a pasted name may keep an author's placeholder for its generated part: "ztunnel-<hash>", "reviews-v1-xxxxx"
_PASTED_DNS = r"[a-z0-9<](?:[a-z0-9.<>-]{0,251}[a-z0-9>])?"
_KUBECTL = re.compile(rf"\[pod/({_PASTED_DNS})/([a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?)\] ")
# "[container] line" or "[pod container] line": skaffold dev, tilt, kubetail and scripts that tag each
# stream with its name; taken only when a log line starts right after it
_NAME_TAG = re.compile(rf"\[({_DNS})(?:[ /]([a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?))?\] +")
_DATED = re.compile(r"\[\d{4}-\d\d-\d\d")
# stern --template '{{.Namespace}}/{{.PodName}} {{.Message}}' (kail's "ns/pod[container]: " is its own)
_NS_POD = re.compile(rf"([a-z0-9][a-z0-9_-]{{0,62}})/({_DNS}) +")
_LEVEL_NEXT = re.compile(r"(?:debug|info|warn|warning|error|fatal|critical|trace)\s", re.I)
_LEVEL_WORDS = frozenset("trace debug info notice warn warning error err critical crit fatal panic".split())
_KAIL = re.compile(rf"([a-z0-9][a-z0-9_-]{{0,62}})/({_DNS})\[([a-z0-9-]{{1,63}})\]: ")
# stern: [NAMESPACE] POD CONTAINER [TIME] line; pod names may be cut to "name-.." by stern itself
_STERN_TAIL = (
    r"(?P<pod>[a-z0-9][a-z0-9.-]*(?:\.\.)?) (?P<container>[a-z0-9][a-z0-9-]{0,62}) +"
    r"(?:(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
    r"|\d{2}-\d{2} \d{2}:\d{2}:\d{2}) )?"
)
_STERN_NS = re.compile(r"(?P<ns>[a-z0-9][a-z0-9_-]{0,62}) " + _STERN_TAIL)
_STERN = re.compile(_STERN_TAIL)
# a pod name alone before a line's own time (stern --template '{{.PodName}} {{.Message}}', kubetail, a
# log viewer's "pod" column): the name must end in a generated suffix (-7f8c4, -x2k4q) to be taken for one
# and k9s (derailed/k9s internal/dao/log_item.go LogItem.Render: "[<time> ][<pod> ][<container> ]<line>", the
# container only when the pod has several, the pod only in a workload's view): one name before a record.  A name that
# ends in a generated suffix — five characters of the alphabet k8s.io/apimachinery/pkg/util/rand draws from (no vowels,
# no 0, 1, 3) — is a pod; another hyphenated name is a container
_POD_ONLY = re.compile(
    r"(?P<pod>[a-z0-9][a-z0-9.-]{0,240}[a-z0-9]) +(?=\d{4}-\d{2}-\d{2}[T ]\d|\[\d{4}-\d{2}-\d{2}[T ]\d|\{\")"
)
_RANDOM_SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{5}"  # (what a ReplicaSet's or a Job's pod name ends in)
_GENERATED = re.compile(rf"[a-z0-9][a-z0-9.-]{{0,240}}-(?:{_RANDOM_SUFFIX}|\d{{1,4}})")  # (or a StatefulSet's ordinal)
# a generated name's random suffix alone (a namespace may end in a number: "tenant-1", "team-42")
_HASHED = re.compile(rf"[a-z0-9][a-z0-9.-]{{0,240}}-{_RANDOM_SUFFIX}")
# (Tilt's "<resource> │ <line>", `tilt up --stream` and `tilt logs`, draws the column with a box-drawing bar)
_COMPOSE = re.compile(r"([A-Za-z0-9][\w.-]{0,100})\s+[|\u2502] ")
_GREP = re.compile(
    # (not a year and its month taken for a line number and grep's "-": "x.log:2024-04-17 14:24:00 …"; nor a clock's
    # hour: grep writes no leading zero, so "x.log:09:20:35.992 …" is a file and a line that starts with a time)
    r"(?:([^\s:]{1,400}\.(?:log|txt|out|json|jsonl|gz))(?::([1-9]\d{0,8}))?[:-](?!\d{2}-\d{2}[T ])"
    r"|([1-9]\d{0,8})[:-](?!\d{2}-\d{2}[T ]))"
)
# grep -H's file name and its context mark, glued to the line's first word
_GREP_FILE_MARK = re.compile(r"\.(?:log|txt|out|json|jsonl|gz)-")
# grep's line number and its mark, glued to the line ("123-script log: …", "123:{"log": …"): not an author's label
_GREP_MARK = re.compile(r"\d{1,9}[:-](?!\d{2}-\d{2}[T ])(?=\S)")
_UI_STAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?|\d{13})"
    r"(?:[\t ]+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})))?"
    # the column's tab, or (its tab turned into spaces) a gap before the line's own ISO time
    r"(?: \| |\t| +(?=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}))"
)
# Kibana's Discover (and CSV export) shows times in moment.js formats: "MMMM Do YYYY, HH:mm:ss.SSS"
# (Kibana ≤ 6, e.g. "June 17th 2019, 02:05:59.124") and "MMM D, YYYY @ HH:mm:ss.SSS" (7+)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_KIBANA_STAMP = re.compile(
    r"([A-Z][a-z]{2,8}) (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})(?:,| @) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?"
    r"(?: \| |\t| {2,}| (?=\d{4}-\d{2}-\d{2}T\d{2}:))"
)
# Lens / OpenLens log view with timestamps shown: "Thu, Sep 29 2022 4:58:08 pm | <line>"
_LENS_STAMP = re.compile(r"[A-Z][a-z]{2}, ([A-Z][a-z]{2}) (\d{1,2}) (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) ([ap]m) \| ")
# (and promtail --dry-run's: "<time -0700>\t{labels}\t<line>", clients/pkg/promtail/client/logger.go)
_LOKI_CLI = re.compile(r"(\d{4}-\d{2}-\d{2}T\S+)[ \t]\{((?:[\w.]+=\"[^\"]*\"(?:, )?)*)\}\s+")
_LOKI_LABEL = re.compile(r'([\w.]+)="([^"]*)"')
_OTEL_HEADER = re.compile(r"(?:ResourceLog|ScopeLog|LogRecord|ResourceSpans|ScopeSpans) #\d+")
_OTEL_BODY = re.compile(r"\s*(?:Body|-> (?:log|body|message)): Str\((.*)\)\s*$", re.S)


def _lens(text: str, source: Source) -> Peeled | None:
    """A Lens log view's time column (local time, no zone: not kept as the line's time)."""
    if not text[:1].isupper() or " | " not in text[:40]:
        return None
    match = _LENS_STAMP.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    return Peeled(inner, source, None, ["log-ui"]) if looks_like_a_line(inner) else None


def _kubectl_prefix(text: str, source: Source) -> Peeled | None:
    if not text.startswith("["):
        return None
    if not text.startswith("[pod/"):
        return _name_tag(text, source)
    match = _KUBECTL.match(text)
    if match is None:
        return None
    return Peeled(text[match.end() :], replace(source, pod=match.group(1), container=match.group(2)), None, ["kubectl"])


def _ns_pod(text: str, source: Source) -> Peeled | None:
    if "/" not in text[:320]:
        return None
    match = _NS_POD.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    if not looks_like_a_line(inner):
        return None
    return Peeled(inner, replace(source, namespace=match.group(1), pod=match.group(2)), None, ["stern"])


def _name_tag(text: str, source: Source) -> Peeled | None:
    """``[istio-proxy] 2021-04-25T03:02:17Z info …``: one name is the container, two are pod and container."""
    match = _NAME_TAG.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    if not looks_like_a_line(inner) or (inner.startswith("[") and not _DATED.match(inner)):
        return None  # "[debug][config] …" and Envoy's "[time][thread]" are a line's own brackets
    first, second = match.group(1), match.group(2)
    if second is None and first in _LEVEL_WORDS:
        return None  # "[warning] 2021-…": a level, not a name
    if second is not None:
        changed = replace(source, pod=first, container=second)
    elif _GENERATED.fullmatch(first):  # kubetail's "[<pod>]" (one container): a generated name is a pod
        changed = replace(source, pod=first)
    else:
        changed = replace(source, container=first)
    return Peeled(inner, changed, None, ["tag"])


# the mesh's own containers: their name in brackets before a message, however bare the message (a skaffold paste of
# istio-init's variable dump: "[istio-init] PROXY_PORT=15001")
_MESH_CONTAINERS = frozenset(
    ("istio-proxy", "istio-init", "istio-validation", "discovery", "istiod", "install-cni", "istio-cni", "ztunnel")
)


def _loose_name_tag(text: str, source: Source) -> Peeled | None:
    """A mesh container's name, or a generated pod name (kubetail's "[<pod>]", "[<pod> <container>]"), in brackets
    before a message alone."""
    match = _NAME_TAG.match(text) if text[:1] == "[" else None
    if match is None:
        return None
    first, second = match.group(1), match.group(2)
    if second is None and first in _MESH_CONTAINERS:
        return Peeled(text[match.end() :], replace(source, container=first), None, ["tag"])
    if _HASHED.fullmatch(first) or (second is not None and second in _MESH_CONTAINERS):
        return Peeled(text[match.end() :], replace(source, pod=first, container=second), None, ["tag"])
    return None


def _kail(text: str, source: Source) -> Peeled | None:
    if "]: " not in text[:400]:
        return None
    match = _KAIL.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    return Peeled(
        inner, replace(source, namespace=match.group(1), pod=match.group(2), container=match.group(3)), None, ["kail"]
    )


# Carvel kapp's ``kapp logs``: "<pod> > <container> | <line>" (the line may be empty)
_KAPP = re.compile(rf"({_DNS}) > ([a-z0-9][a-z0-9-]{{0,62}}) \|(?: |$)")


def _kapp(text: str, source: Source) -> Peeled | None:
    if " > " not in text[:260]:
        return None
    match = _KAPP.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    if inner and not looks_like_a_line(inner):
        return None
    return Peeled(inner, replace(source, pod=match.group(1), container=match.group(2)), None, ["kapp"])


def _stamp_of_sterns(stamp: str) -> bool:
    """Whether a time after stern's names is stern's own (``--timestamps``), whatever the message after it.

    stern/stern stern/tail.go prints ``TimestampFormatDefault`` ("2006-01-02T15:04:05.000000000Z07:00":
    always nine fractional digits, in the --timezone, local by default) or ``TimestampFormatShort``
    ("01-02 15:04:05"); no emitter meshtail reads starts its own line with either (Istio and ztunnel print
    six digits, Envoy three), so a message that starts with blanks or a fragment is still the message.
    """
    return stamp[2] == "-" or _nine_digits(stamp)


def _stern(text: str, source: Source) -> Peeled | None:
    """stern: ``[NAMESPACE] POD CONTAINER [TIME] line``.

    Both readings (with and without a namespace) are tried, and a time after the container
    may be stern's (``--timestamps``) or the line's own: the first reading that leaves the start
    of a log line wins.
    """
    if not text[:1].isalnum() or text[:1].isupper():
        return None
    for pattern in (_STERN_NS, _STERN, _POD_ONLY):
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groupdict()
        namespace, pod, container, stamp = groups.get("ns"), groups["pod"], groups.get("container"), groups.get("stamp")
        if namespace is None and pod.count("-") == 0 and "." not in pod:
            continue  # "info ads …" and the like: two plain words are not a pod and a container
        if (namespace or pod).lower() in _LEVEL_WORDS:
            continue  # "error accept tcp [::]:15020: …": a line's level and words, no names
        if namespace is not None and _HASHED.fullmatch(namespace) and not _GENERATED.fullmatch(pod):
            # "contour-7d9f8b6c5d-x2k4q contour transient error …": a pod's generated name is no namespace's;
            # without -A the line is "transient error …", not a container "transient" and "error …"
            continue
        if (namespace or pod).partition("-")[0].isdigit() or _GREP_FILE_MARK.search(namespace or pod):
            continue  # "123-script load error: …", "x.log-tls handshake …": grep's context mark before a message
        if pattern is _POD_ONLY and _GENERATED.fullmatch(pod) is None:
            if "." in pod or pod.lower() in _LEVEL_WORDS:
                continue
            pod, container = None, pod  # k9s: the container's name alone ("istio-proxy [2024-…")
        ends = [(match.end(), stamp)]
        cri = text.startswith(("stdout ", "stderr "), match.end())  # a CRI file's line: its time is its own
        fixed = stamp is not None and not cri and _stamp_of_sterns(stamp)
        if stamp is not None and not fixed:
            ends.append((match.start("stamp"), None))  # the time was the line's own
            if _LEVEL_NEXT.match(text, match.end()):
                ends.reverse()  # "<time> info …": a Go line's own time and level, its tabs collapsed
        for end, own_stamp in ends:
            inner = text[end:]
            if fixed or looks_like_a_line(inner):
                changed = replace(source, pod=pod.removesuffix("..")) if pod is not None else source
                if container is not None:
                    changed = replace(changed, container=container)
                if namespace is not None:
                    changed = replace(changed, namespace=namespace)
                when = _utc(own_stamp) if own_stamp and own_stamp[4] == "-" else None
                return Peeled(inner, changed, when, ["stern"])
    return None


# a pod's name and a colon before each line: argo's "argo logs", stern --template '{{.PodName}}: {{.Message}}', a
# script's "for p in …; do kubectl logs $p | sed "s/^/$p: /"" -- a generated name (a ReplicaSet's, a Job's, a
# StatefulSet's) only, so that no author's "error: …" or program's "scope: …" is taken for one
_POD_COLON = re.compile(rf"({_DNS}): +(?=\S)")


def _pod_colon_peeled(text: str, source: Source, name: re.Pattern[str]) -> Peeled | None:
    """``<pod>: <rest>`` when the pod's name is one ``name`` takes for generated."""
    match = _POD_COLON.match(text) if text[:1].isalnum() and ": " in text[:256] else None
    if match is None or name.fullmatch(match.group(1)) is None:
        return None
    return Peeled(text[match.end() :], replace(source, pod=match.group(1)), None, ["tag"])


def _loose_pod_colon(text: str, source: Source) -> Peeled | None:
    return _pod_colon_peeled(text, source, _HASHED)  # (a random suffix: a message alone after it is still taken)


def _pod_colon(text: str, source: Source) -> Peeled | None:
    found = _pod_colon_peeled(text, source, _GENERATED)
    return found if found is not None and looks_like_a_line(found.body) else None


def _loose_compose(text: str, source: Source) -> Peeled | None:
    """docker-compose's ``<service>  | `` column, whatever follows it."""
    match = _COMPOSE.match(text) if "| " in text[:120] or "\u2502 " in text[:120] else None
    if match is None:
        return None
    return Peeled(text[match.end() :], replace(source, container=match.group(1)), None, ["compose"])


def _compose(text: str, source: Source) -> Peeled | None:
    found = _loose_compose(text, source)
    return found if found is not None and looks_like_a_line(found.body) else None


def _grep(text: str, source: Source) -> Peeled | None:
    match = _GREP.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    number = match.group(2) or match.group(3)
    if not looks_like_a_line(inner) and _stern(inner, source) is None:  # (grep over a stern capture: peeled next)
        if not match.group(2):
            return None
        # "file.log:2025-01-10T…": the "line number" was the year of the line's own time
        inner = text[match.start(2) :]
        number = None
        if not looks_like_a_line(inner):
            return None
    return Peeled(inner, _grep_source(match, source, number), None, ["grep"])


def _grep_source(match: re.Match[str], source: Source, number: str | None) -> Source:
    """What grep's prefix says: the file (under /var/log/pods or /var/log/containers it names the pod), the line."""
    changed = source
    if match.group(1):
        changed = _labelled(replace(source, path=match.group(1)), _file_names(match.group(1)))
    return replace(changed, line=int(number)) if number else changed


# ``cat -n`` / ``nl`` / an editor's gutter: the number right-aligned in six columns, a tab, then the line (a
# paste may indent it further)
_NUMBERED = re.compile(r" {0,8}(\d{1,9})\t {0,4}")


def _numbered(text: str, source: Source) -> Peeled | None:
    if "\t" not in text[:20]:
        return None
    match = _NUMBERED.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    if not looks_like_a_line(inner):
        return None
    return Peeled(inner, replace(source, line=int(match.group(1))), None, ["numbered"])


# journald and syslog in front of a line (Istio on a VM runs under systemd: `journalctl -u istio`):
# "Sep 24 07:14:56 vm-1 istio-start.sh[1234]: <line>" (short, RFC 3164), "2024-09-24T07:14:56+0000 vm-1 …" (short-iso),
# "<165>1 2024-09-24T07:14:56.165Z vm-1 pilot-agent 1234 - - <line>" (RFC 5424)
_SYSLOG = re.compile(
    # (RFC 3164's priority kept in front, as a raw syslog capture -- nc, tcpdump, a relay's debug output -- shows it)
    r"(?:<\d{1,3}>)?(?:(?:(?:[A-Z][a-z]{2}|\d{1,2}[月월]) ?[ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})?)"
    r"|(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?"
    r"(?:Z|[+-]\d\d:?\d\d)))\s+[\w.-]{1,253}\s+([\w./@-]{1,100})(?:\[\d{1,10}\])?: "
    r"|<\d{1,3}>1 \S{1,40} [\w.-]{1,253} ([\w./@-]{1,100}) \S{1,20} \S{1,40} (?:-|\[.{0,400}?\]) "
)


def _syslog(text: str, source: Source) -> Peeled | None:
    # (a journal in a Chinese, Japanese or Korean locale: "7月 19 09:03:35 host istio-start.sh[6717]: …")
    if not (text[:1].isalpha() or text[:1].isdigit() or text[:1] == "<"):
        return None
    match = _SYSLOG.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    if not (looks_like_a_line(inner) or inner.startswith(("... ", "… ", "{"))):
        return None
    return Peeled(inner, _tagged(source, _program(match)), None, ["syslog"])


def _program(head: re.Match[str]) -> str | None:
    """The program a syslog head's tag names -- none where a level word stands for the host ("… INFO envoy: …" is a
    line's level and target, no journal's)."""
    return None if _LEVEL_AS_HOST.search(head.group(0)) else head.group(1) or head.group(2)


def _tagged(source: Source, tag: str | None) -> Source:
    """The stream named by the mesh program syslog's tag names (``envoy[1721]:``, ``pilot-agent``), as a container is:
    what its own words are read against (an Envoy refusal's text alone is Envoy's in Envoy's stream).  Any other tag
    (``istio-start.sh``, ``docker``, ``haproxy``, RFC 5424's ``-``) names nothing a reader can go by and is left out:
    a named container that is no mesh program's would stop Istio's glog and JSON lines being read behind it (found
    in review).  A wrapper or source that already named the container keeps its name."""
    program = tag.rsplit("/", 1)[-1] if tag else ""
    if program not in _MESH_PROGRAMS or source.container:
        return source
    return replace(source, container=program)


_LEVEL_AS_HOST = re.compile(r"\s(?i:trace|debug|info|warn|warning|error|fatal|critical)\s+\S+: $")
# the mesh's programs by the names a journal tags them with (systemd units on a VM, Envoy run as a service)
_MESH_PROGRAMS = frozenset(
    "envoy istio-proxy pilot-agent pilot-discovery istiod node_agent ztunnel istio-cni install-cni".split()
)


# the same head cut to its tag, as a paste keeps it ("kubelet[4330]: {"level":"error",…}", journalctl -o cat
# with the identifier): a program's name and its pid
_SYSLOG_TAG = re.compile(r"[A-Za-z][\w.@-]{0,99}\[\d{1,10}\]: ")


def _syslog_tag(text: str, source: Source) -> Peeled | None:
    match = _SYSLOG_TAG.match(text) if text[:1].isalpha() else None
    if match is None:
        return None
    inner = text[match.end() :]
    if not (looks_like_a_line(inner) or inner.startswith("{")):
        return None
    return Peeled(inner, _tagged(source, match.group(0).partition("[")[0]), None, ["syslog"])


# a collector's record printed as YAML, one key a line: ``gcloud logging read`` (YAML is its default format:
# "textPayload: '…'"), ``kubectl get … -o yaml``-style dumps of a log record, Fluent Bit's and Vector's YAML outputs
_YAML_FIELD = re.compile(
    r" {0,12}(?:- )?(textPayload|log|message|MESSAGE|line|_raw|LogMessage|LogEntry|@message|body): "
)
_RUBYDEBUG_FIELD = re.compile(r' {0,16}"(?:message|log|@message|event\.original)" => ("(?:[^"\\]|\\.)*+"),?\Z')
# keys only a collector or store names its line by (a "message:" or "log:" may be a program's own word)
_YAML_LINE_KEYS = frozenset(("textPayload", "_raw", "LogMessage", "LogEntry", "@message"))


_YAML_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|([0abevNLP_ ]))|\\\\")
_YAML_NAMED = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "v": "\v", "N": "\x85", "L": "\u2028", "P": "\u2029"}
_YAML_NAMED |= {"_": "\xa0", " ": " "}


def _json_escape(match: re.Match[str]) -> str:
    if match.group(1):
        return f"\\u00{match.group(1)}"
    if match.group(2):
        return json.dumps(_YAML_NAMED[match.group(2)])[1:-1]
    return match.group()  # an escaped backslash stays one


def _yaml_scalar(value: str) -> str | None:
    """A YAML scalar on one line: double-quoted (JSON's escapes), single-quoted ('' for '), or plain."""
    if value[:1] == '"':
        if not value.endswith('"') or len(value) < 2:
            return None
        # (YAML's escapes JSON lacks: "\xE9", "\e", "\0", "\N" …, as JSON spells them)
        return _json_string(_YAML_ESCAPE.sub(_json_escape, value) if "\\" in value else value)
    if value[:1] == "'":
        return value[1:-1].replace("''", "'") if value.endswith("'") and len(value) > 1 else None
    return value.strip() or None


def _yaml_field(text: str, source: Source) -> Peeled | None:
    """One key of a collector's record printed as YAML, holding the line; or as Logstash's rubydebug codec prints
    it (``      "message" => "<line>",``)."""
    if text[:1] not in ' -tlmMb_L@"':
        return None
    ruby = _RUBYDEBUG_FIELD.match(text) if '" => "' in text[:40] else None
    if ruby is not None:
        inner = _json_string(ruby.group(1))
        # (one field of a record printed over many lines: a part, as the escaped-field reading had it)
        return Peeled(inner, source, None, ["logstash"], partial=True, decoded=True) if inner else None
    match = _YAML_FIELD.match(text)
    if match is None:
        return None
    inner = _yaml_scalar(text[match.end() :])
    if inner is None or not (looks_like_a_line(inner) or match.group(1) in _YAML_LINE_KEYS):
        return None
    return Peeled(inner, source, None, ["yaml"], decoded=text[match.end()] == '"')


def _log_ui(text: str, source: Source) -> Peeled | None:
    """A log UI's export: ``<time> | line``, ``<time>\\tline``, ``<epoch ms>\\t<time>\\tline`` (Grafana)."""
    if not text[:1].isdigit():
        return None
    match = _UI_STAMP.match(text)
    if match is None:
        return None
    inner = text[match.end() :]
    stamp = match.group(2) or match.group(1)
    if not starts_a_record(inner) and match.group(2):
        if _LEVEL_NEXT.match(inner):
            inner, stamp = text[match.start(2) :], match.group(1)  # "<time>\t<the line's own time>\t<level>…"
        else:
            # Grafana's "<epoch ms>\t<time>\t": both times are the export's and the line had none of its own
            # (a message, a fragment); no emitter starts its own line with an epoch and a time
            return Peeled(inner, source, _ui_time(stamp), ["export"])
    if not starts_a_record(inner):
        return None  # Istio's own "<time>\t<level>\t…" is not an export of a line
    return Peeled(inner, source, _ui_time(stamp), ["export"])


_ZONES = (
    "UTC|GMT|CET|CEST|EET|EEST|WET|WEST|BST|IST|MSK|JST|KST|HKT|SGT|AEST|AEDT|ACST|AWST|NZST|NZDT"
    "|EST|EDT|CST|CDT|MST|MDT|PST|PDT|AKST|AKDT|HST|BRT|ART"
)
# a time another program put before the line in its own format: Go's log package ("2024/05/01 10:11:12"), Python's
# logging ("2024-05-01 10:11:12,123"), a log viewer's local time with no zone (Grafana's and Lens's log panels:
# "2024-05-01 12:11:12.123", "2024-05-01T12:11:12.123"), a chat's message time ("[10:42 AM]", "[10:42:07]")
_CLOCK = re.compile(
    # a log viewer's local time with its zone's abbreviation (Cloud Logging's and Datadog's copied rows)
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,9}})? (?:{_ZONES}|[+-]\d{{4}})(?= )"
    # a US or European date a log tool shows (Splunk's "5/1/24 10:11:12.123 AM", Sumo Logic's "05/01/2024
    # 10:11:12.123 +0200", Azure's "5/1/2024, 10:11:12.123 AM"), a month's name (New Relic's "May 1, 2024 10:11:12")
    r"|(?:\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}"
    r" \d{1,2},? \d{4}),? \d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
    rf"(?: ?[AaPp][Mm])?(?: [+-]\d{{2}}:?\d{{2}}| (?:{_ZONES}))?(?= )"
    r"|\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}"
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d{1,9}(?= )"
    r"|\[\d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?\]) +"
)
# a time a pipe put in front of each line: moreutils' ``ts`` ("May 01 10:11:12", its default) and the bracketed
# format its examples and many loggers use ("[2024-05-01 10:11:12]", "[2024-05-01T10:11:12.123Z]").  Only a loose
# reading: programs start their own lines so too (Envoy's access log with "[%START_TIME%] "), and a line read as
# it stands keeps its own time.
_PIPE_TIME = re.compile(
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
    r"|\[(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\]) +(?=\S)"
)


def _loose_clock(text: str, source: Source) -> Peeled | None:
    match = _CLOCK.match(text) if text[:1].isdigit() or text[:1] == "[" or text[:1].isupper() else None
    return Peeled(text[match.end() :], source, None, ["export"]) if match is not None else None


def _loose_pipe_time(text: str, source: Source) -> Peeled | None:
    match = _PIPE_TIME.match(text) if text[:1] == "[" or text[:1].isupper() else None
    if match is None:
        return None
    # (the dated form is the line's only time when what follows has none: kept; ts's default has no year)
    stamp = _ui_time(match.group(1)) if match.group(1) else None
    return Peeled(text[match.end() :], source, stamp, ["export"])


def _pipe_time(text: str, source: Source) -> Peeled | None:
    """A pipe's time before a line with a time of its own (or a record): certainly a prefix, whatever follows."""
    found = _loose_pipe_time(text, source)
    return found if found is not None and _OWN_TIME.match(found.body) else None


_OWN_TIME = re.compile(r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}|[IWEF]\d{4} \d{2}:\d{2}:\d{2}|\{\"")


def _clock(text: str, source: Source) -> Peeled | None:
    found = _loose_clock(text, source)
    return found if found is not None and (looks_like_a_line(found.body) or _KAIL.match(found.body)) else None


def _kibana(text: str, source: Source) -> Peeled | None:
    """A Kibana Discover copy or export: ``June 17th 2019, 02:05:59.124<TAB>line`` (times in Kibana's own format)."""
    if not text[:1].isupper():
        return None
    match = _KIBANA_STAMP.match(text)
    if match is None:
        return None
    month = _MONTHS.get(match.group(1)[:3].lower())
    inner = text[match.end() :]
    if month is None or not looks_like_a_line(inner):
        return None
    day, year, hour, minute, second, millis = match.group(2, 3, 4, 5, 6, 7)
    stamp = f"{year}-{month:02d}-{int(day):02d}T{hour}:{minute}:{second}.{(millis or '0'):0<3}Z"
    return Peeled(inner, source, stamp, ["export"])


# A CSV export's row: the time cell, then the line's cell (quotes doubled) — Kibana's "Generate CSV" (csv:quoteValues,
# times in its moment.js format), Grafana's "Download CSV" of a logs panel (Time, Line), CloudWatch Logs Insights'
# "Export results → CSV" (@timestamp,@message)
_CSV_TIME = re.compile(
    r'"?(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?|\d{13}'
    r"|[A-Z][a-z]{2,8} \d{1,2}(?:st|nd|rd|th)?,? \d{4}(?:,| @) \d{2}:\d{2}:\d{2}(?:\.\d{1,3})?"
    # Azure Monitor's CSV export (TimeGenerated in the portal's locale: "5/1/2024, 10:11:12.123 AM")
    r'|\d{1,2}/\d{1,2}/\d{4},? \d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})?(?: ?[AP]M)?)"?,"'
)


def _csv_row(text: str, source: Source) -> Peeled | None:
    if not (text[:1] == '"' or text[:1].isdigit()) or text[-1:] != '"' or ',"' not in text[:48]:
        return None
    if _CSV_TIME.match(text) is None:
        return None
    try:
        cells = next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration):
        return None
    for cell in cells[1:]:
        if looks_like_a_line(cell):
            when = _KIBANA_STAMP.match(cells[0] + "\t")
            if when is not None:
                found = _kibana(cells[0] + "\t" + cell, source)
                stamp = found.stamp if found is not None else None
            else:
                stamp = _ui_time(cells[0]) if cells[0][:1].isdigit() and "/" not in cells[0] else None
            return Peeled(cell, source, stamp, ["export"])
    return None


# `aws logs get-log-events --output text` / `filter-log-events --output text` (the AWS CLI's text output: an EVENTS row
# of the event's values in key order): EVENTS\t<ingestionTime>\t<message>\t<timestamp>, and with filter-log-events
# EVENTS\t<eventId>\t<ingestionTime>\t<logStreamName>\t<message>\t<timestamp>; the message may hold tabs itself
_AWS_EVENTS = re.compile(r"EVENTS\t(?:\d{20,80}\t\d{13}\t([^\t]{1,512})\t|\d{13}\t)")
_AWS_EVENTS_END = re.compile(r"\t(\d{13})\Z")


def _aws_text(text: str, source: Source) -> Peeled | None:
    if not text.startswith("EVENTS\t"):
        return None
    match = _AWS_EVENTS.match(text)
    end = _AWS_EVENTS_END.search(text)
    if match is None or end is None or end.start() < match.end():
        return None
    inner = text[match.end() : end.start()]
    names = _file_names(match.group(1)) if match.group(1) else {}
    return Peeled(inner, _labelled(source, names), _ui_time(end.group(1)), ["cloudwatch"])


# Vector's logfmt codec (console/file sinks, encoding.codec = "logfmt"): the event's fields flattened with dots
# (kubernetes.pod_name=…), a value quoted when it holds a space, with only \\ and \" escaped (VRL encode_logfmt /
# encode_key_value); Vector's sources always set source_type
_LOGFMT_PAIR = re.compile(r'([A-Za-z_@][\w.@/-]{0,200})=("(?:[^"\\]|\\.)*"|[^ "]*)(?: +|\Z)')
_LOGFMT_ESCAPE = re.compile(r"\\(.)", re.S)


def _logfmt(text: str, source: Source) -> Peeled | None:
    if not text[:1].isalpha() or "=" not in text[:64] or (" source_type=" not in text and "source_type=" != text[:12]):
        return None
    fields: dict[str, str] = {}
    at = 0
    while at < len(text):
        pair = _LOGFMT_PAIR.match(text, at)
        if pair is None or pair.end() == at:
            return None
        value = pair.group(2)
        if value[:1] == '"':
            value = _LOGFMT_ESCAPE.sub(r"\1", value[1:-1])
        fields[pair.group(1)] = value
        at = pair.end()
    message = fields.get("message")
    if not message or "source_type" not in fields:
        return None
    labels = {key[11:]: value for key, value in fields.items() if key.startswith("kubernetes.")}
    changed = _labelled(_labelled(source, _file_names(fields.get("file", ""))), labels)
    return Peeled(message, changed, normalize(fields.get("timestamp")), ["vector"], decoded=True)


def _ui_time(stamp: str) -> str | None:
    if stamp.isdigit():
        return datetime.fromtimestamp(int(stamp) / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return normalize(stamp.replace(",", "."))


def _epoch_ms(value: Any) -> str | None:
    """A record's time given as an integer of milliseconds since the epoch (13 digits: Datadog's intake, LogScale's
    ``@timestamp``), or None for anything else."""
    digits = str(value) if isinstance(value, int) else ""
    return _ui_time(digits) if len(digits) == 13 else None


def _loki_cli(text: str, source: Source) -> Peeled | None:
    """``logcli query`` output: ``<time> {label="value", …} line``; promtail's dry run: the same with tabs."""
    if not text[:1].isdigit() or (" {" not in text[:60] and "\t{" not in text[:60]):
        return None
    match = _LOKI_CLI.match(text)
    if match is None:
        return None
    labels = dict(_LOKI_LABEL.findall(match.group(2)))
    return Peeled(text[match.end() :], _labelled(source, labels), normalize(match.group(1)), ["loki"])


# the debug exporter at normal verbosity (open-telemetry/opentelemetry-collector exporter/debugexporter/internal/normal
# /logs.go): "<body> <key>=<value> …", the record's attributes after its body; a JSON body ends where its JSON does
_OTEL_ATTRIBUTES = re.compile(r"(?: [\w.@-]{1,100}=\S{0,4096})+\Z")
_DECODER = json.JSONDecoder()


def _otel_normal_json(text: str, source: Source) -> Peeled | None:
    if text[:2] != '{"' or text[-1:] == "}" or "=" not in text[-200:]:
        return None
    try:
        _, end = _DECODER.raw_decode(text)
    except ValueError:
        return None
    rest = text[end:]
    if not _OTEL_ATTRIBUTES.match(rest):
        return None
    path = next((pair[14:] for pair in rest.split(" ") if pair.startswith("log.file.path=")), "")
    return Peeled(text[:end], _labelled(source, _file_names(path)), None, ["otel-debug"])


def _otel_debug(text: str, source: Source) -> Peeled | None:
    """The OpenTelemetry collector's debug exporter: ``Body: Str(<the line>)``."""
    if "Str(" not in text[:40]:
        return None
    match = _OTEL_BODY.match(text)
    if match is None:
        return None
    return Peeled(match.group(1), source, None, ["otel-debug"])


# ---------------------------------------------------------------- JSON envelopes
def _labelled(source: Source, labels: dict[str, Any]) -> Source:
    """Namespace, pod and container from a collector's labels (Promtail, Alloy, OTLP and k8s metadata names)."""

    def first(*names: str) -> str | None:
        for name in names:
            value = labels.get(name)
            if isinstance(value, str) and value:
                # stern -o extjson in a terminal colours the names inside the JSON strings
                return _ANSI.sub("", value) if "\x1b" in value else value
        return None

    # Promtail/Alloy and Fluent Bit names, OTel semantic conventions, Elastic's flattened ``fields``,
    # Azure ContainerLogV2 columns, Docker json-file ``attrs`` (--log-opt labels: the kubelet's io.kubernetes.*)
    namespace = first(
        "namespace",
        "namespace_name",
        "k8s_namespace_name",
        "k8s.namespace.name",
        "pod_namespace",
        "PodNamespace",
        "kubernetes.namespace",
        "io.kubernetes.pod.namespace",
    )
    pod = first(
        "pod",
        "pod_name",
        "k8s_pod_name",
        "k8s.pod.name",
        "podName",
        "PodName",
        "name",
        "kubernetes.pod.name",
        "io.kubernetes.pod.name",
    )
    container = first(
        "container",
        "container_name",
        "k8s_container_name",
        "k8s.container.name",
        "containerName",
        "ContainerName",
        "kubernetes.container.name",
        "io.kubernetes.container.name",
    )
    changed = source
    if namespace:
        changed = replace(changed, namespace=namespace)
    if pod:
        changed = replace(changed, pod=pod)
    if container:
        changed = replace(changed, container=container)
    return changed


def _dig(obj: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)  # type: ignore[assignment]
    return obj


# the keys a collector's record holds its line (or the line's names) under; one split of the record's start on its
# quotes tells whether any is there (cheaper than a substring search a key: JSON access logs come here every line)
_ENVELOPE_KEYS = frozenset(
    (
        "log",
        "message",
        "line",
        "textPayload",
        "jsonPayload",
        "protoPayload",
        "properties",
        "@message",
        "LogMessage",
        "original",
        "body",
        "log_processed",
        "event",
        "_raw",
        "MESSAGE",
        "short_message",  # GELF (Graylog; Docker's gelf log driver)
        "@rawstring",  # Falcon LogScale (Humio): the event's raw text
        "_source",
        "content",
        "attributes",
        "values",  # Loki's push body and query API: {"stream": {labels}, "values": [["<ns>", "<line>"]]}
        "resourceLogs",  # OTLP JSON
        "LogEntry",  # Azure ContainerLog (v1)
        "log_s",  # AzureDiagnostics
        "otelcol.component.id",  # the OTel collector's JSON log of its debug exporter
        "kubernetes",  # a record whose line's own JSON was merged beside the collector's metadata
    )
)


# a Splunk HTTP event collector event's own keys (docs.splunk.com "Format events for HTTP Event Collector")
_HEC_KEYS = frozenset(("event", "time", "host", "source", "sourcetype", "index", "fields"))
_GRAYLOG_KEYS = frozenset(("gl2_message_id", "gl2_source_input", "source", "streams", "_id"))
_GRAYLOG_NAMES = {
    "kubernetes_pod_name": "pod",
    "kubernetes_container_name": "container",
    "kubernetes_namespace_name": "namespace",
}
# the same names as a GELF output writes them, each an additional field ("_" before it)
_GELF_NAMES = {f"_{key}": name for key, name in _GRAYLOG_NAMES.items()}


def _envelope(text: str, source: Source) -> Peeled | None:
    """A collector's JSON record around a line: Fluent Bit/Fluentd/Docker (``log``), Vector and Elastic
    (``message``, ``event.original``), Loki (``line``, ``values``), Cloud Logging (``textPayload``/``jsonPayload``),
    Azure (``properties.log``, ``LogMessage``, ``LogEntry``), CloudWatch (``@message``), OTLP JSON, stern/kail
    ``-o json``; and a JSON array of such records (Fluent Bit ``format json``, Fluentd's forward
    ``[tag, time, record]``)."""
    first = text[:2]
    if not (first[:1] == "{" or first in ("[{", '["')):
        return None
    if _ENVELOPE_KEYS.isdisjoint(text[:2000].split('"')):
        return None
    body = text[:-1] if text.endswith(("},", "],")) else text  # (a record pasted from an array: its comma)
    try:
        obj = json.loads(body)
    except ValueError:
        if "\x1b" not in body:
            return None
        try:  # stern -o extjson in a terminal: raw colour codes inside the JSON strings
            obj = json.loads(body, strict=False)
        except ValueError:
            return None
    tag_names: dict[str, str] = {}
    forward_time = None
    if isinstance(obj, list):
        if len(obj) == 3 and isinstance(obj[1], int | float) and not isinstance(obj[1], bool) and 0 < obj[1] < 1e10:
            forward_time = datetime.fromtimestamp(obj[1], UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        obj, tag_names = _array_record(obj)
    if not isinstance(obj, dict):
        return None
    inner, labels, stamp = _payload(obj)
    stamp = stamp or forward_time
    if inner is None:
        return None
    if isinstance(inner, dict | list):
        inner = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(inner, str):
        return None  # a number or a boolean where the line should be: not an envelope of a line
    inner = inner.rstrip("\r\n")
    # names the collector's file path or log stream carries (Vector's ``file``, Filebeat's ``log.file.path``,
    # the OTel filelog receiver's ``log.file.path``, Splunk's ``source``, CloudWatch's ``logStreamName``),
    # under what its labels say
    changed = _labelled(_labelled(source, tag_names or _path_labels(obj, labels)), labels)
    return Peeled(inner, changed, stamp, ["envelope"], decoded=True)


def _array_record(items: list[Any]) -> tuple[Any, dict[str, str]]:
    """The record a JSON array holds: the first of ``[{…}, {…}]`` (Fluent Bit's ``format json``), the map of
    Fluentd's forward Message mode ``[tag, time, {record}]`` (the tag names the log file).

    A batch of several records reaches here only through ``peel`` alone: the pipeline splits it first
    (:mod:`.records`), an event a record."""
    if items and all(isinstance(item, dict) for item in items):
        return items[0], {}
    if len(items) == 3 and isinstance(items[0], str) and isinstance(items[1], int | float):
        if isinstance(items[2], dict):
            return items[2], _file_names(items[0])
    return None, {}


# the kubelet's log files: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log and the symlinks
# /var/log/containers/<pod>_<namespace>_<container>-<container id>.log (kubernetes pkg/kubelet/kuberuntime/helpers.go,
# BuildPodLogsDirectory / BuildContainerLogsDirectory; pkg/kubelet/kuberuntime/kuberuntime_container.go legacy links)
_PODS_DIR = re.compile(
    r"/var/log/pods/([a-z0-9][a-z0-9-]{0,62})_([a-z0-9][a-z0-9.-]{0,252})_[0-9a-f-]{36}/([a-z0-9][a-z0-9-]{0,62})/"
)


def _file_names(path: str) -> dict[str, str]:
    """Namespace, pod and container a kubelet log file's path (or a tag made of it) names, or ``{}``."""
    if "/var/log/pods/" in path:
        match = _PODS_DIR.search(path[:600])
        if match is not None:
            return {"namespace": match.group(1), "pod": match.group(2), "container": match.group(3)}
        return {}
    named = _LOG_FILE_NAME.search(path[:600]) if "_" in path else None
    if named is None:
        return {}
    return {"pod": named.group(1), "namespace": named.group(2), "container": named.group(3)}


def _path_labels(obj: dict[str, Any], labels: dict[str, Any]) -> dict[str, str]:
    """Names from the record's file path or stream name, when its labels name no pod."""
    if any(labels.get(key) for key in ("pod", "pod_name", "k8s.pod.name", "PodName", "podName")):
        return {}
    for path in (
        obj.get("file"),  # Vector file / kubernetes_logs sources
        obj.get("filename"),  # Promtail's label
        _dig(obj, "log", "file", "path"),  # Filebeat / Elastic Agent (ECS)
        labels.get("log.file.path"),  # OTel filelog receiver (attribute)
        obj.get("source"),  # Splunk HEC
        labels.get("source"),  # Splunk's search results (the export API's "result")
        obj.get("logStreamName"),  # CloudWatch Logs events
        obj.get("@logStream"),
    ):
        if isinstance(path, str) and path:
            found = _file_names(path)
            if found:
                return found
    return {}


_ECS_LOG_KEYS = frozenset(("file", "offset", "origin", "level", "logger", "flags", "syslog"))


def _payload(obj: dict[str, Any]) -> tuple[Any, dict[str, Any], str | None]:
    """(the wrapped line or record, labels naming where it came from, the collector's time) — or (None, {}, None)."""
    kubernetes = obj.get("kubernetes") if isinstance(obj.get("kubernetes"), dict) else {}
    labels: dict[str, Any] = dict(kubernetes)
    if isinstance(kubernetes.get("pod"), dict):  # Elastic's kubernetes.pod.name
        labels["pod"] = kubernetes["pod"].get("name")
    if isinstance(kubernetes.get("container"), dict):
        labels["container"] = kubernetes["container"].get("name")
    stamp = _first_time(obj, "time", "timestamp", "@timestamp", "TimeGenerated", "ts")
    attrs = obj.get("attrs")
    if isinstance(attrs, dict):  # Docker json-file --log-opt labels/env: the kubelet's io.kubernetes.* labels
        labels.update(attrs)
    # Vector's native_json codec: the event under its type, {"log": {…}} (lib/codecs/src/encoding/format/native_json.rs)
    if len(obj) == 1 and isinstance(obj.get("log"), dict):
        found, named, when = _payload(obj["log"])
        if found is not None:
            return found, {**named, **{k: v for k, v in obj["log"].items() if k in ("file", "source")}}, when
        return obj["log"], labels, stamp  # the record itself under "log" (a JSON line a shipper parsed into it)
    # an Elasticsearch/OpenSearch hit: the document under "_source"
    if isinstance(obj.get("_source"), dict) and "_index" in obj:
        found, named, when = _payload(obj["_source"])
        if found is not None:
            return found, {**labels, **named}, when or stamp
        return obj["_source"], labels, stamp
    # OTLP JSON (the collector's file exporter, Fluent Bit's otlp_json, an OTLP/HTTP body): resourceLogs[].scopeLogs[]
    # .logRecords[] — a line of many records is split before (:mod:`.records`); peel alone reads the first
    if "resourceLogs" in obj or ("body" in obj and ("timeUnixNano" in obj or "observedTimeUnixNano" in obj)):
        return _otlp(obj)
    # the collector's own JSON log (service.telemetry.logs.encoding: json) of what its debug exporter printed: the
    # records at normal verbosity, one a line after "ResourceLog #n" / "ScopeLog #n" headers; the first is read
    if isinstance(obj.get("msg"), str) and "otelcol.component.id" in obj:
        for row in obj["msg"].splitlines():
            if row.strip() and not _OTEL_HEADER.match(row):
                path = next((pair[14:] for pair in row.split(" ") if pair.startswith("log.file.path=")), None)
                return row, {"log.file.path": path} if path else {}, stamp
        return None, {}, None
    # Loki: a push body {"streams": [{"stream": {labels}, "values": [["<unix ns>", "<line>"(, {metadata})], …]}]},
    # a query API response {"data": {"result": [ … ]}} and one element of it (grafana/loki docs reference/loki-http-api)
    if "values" in obj or "streams" in obj or "data" in obj:
        found = _loki_stream(obj)
        if found is not None:
            return found
    # Fluent Bit / Fluentd / Docker json-file: {"log": "...\n", "stream", "time"}
    # (a "level" beside "log" is another program's own JSON, unless the collector's keys say it added it: a parser)
    if isinstance(obj.get("log"), str) and ("level" not in obj or "kubernetes" in obj or "stream" in obj):
        return obj["log"], labels, stamp
    # a shipper that parsed the line's own JSON into "log" ({"log": {…record…}, "stream", "time"})
    record = obj.get("log")
    if (
        isinstance(record, dict)
        and "message" not in obj
        and not _ECS_LOG_KEYS.intersection(record)  # (ECS's "log" object is metadata: file, offset, origin)
        and ("stream" in obj or "kubernetes" in obj or "time" in obj)
    ):
        return record, labels, stamp
    # Fluent Bit's Merge_Log with Merge_Log_Key: the line's own JSON parsed into "log_processed"
    if isinstance(obj.get("log_processed"), dict) and ("kubernetes" in obj or "stream" in obj):
        return obj["log_processed"], labels, stamp
    # Loki / Grafana exports and logcli -o jsonl: {"line": ..., "labels"|"fields": {...}}
    if isinstance(obj.get("line"), str) and ("labels" in obj or "fields" in obj or "timestamp" in obj):
        found = obj.get("labels") or obj.get("fields") or {}
        return obj["line"], dict(found) if isinstance(found, dict) else {}, stamp
    # Cloud Logging (GKE): textPayload / jsonPayload, resource.labels.{pod_name,namespace_name,container_name} --
    # not Istio's Stackdriver access entry, whose textPayload is a summary ("productpage --> reviews") of the record
    if ("textPayload" in obj or "jsonPayload" in obj) and not (
        isinstance(obj.get("logName"), str) and ISTIO_LOG_NAME.search(obj["logName"])
    ):
        resource = _dig(obj, "resource", "labels") or {}
        payload = obj.get("textPayload", obj.get("jsonPayload"))
        if isinstance(payload, dict) and isinstance(payload.get("message"), str) and len(payload) <= 3:
            payload = payload["message"]  # a line Cloud Logging wrapped as {"message": ...}
        return payload, dict(resource) if isinstance(resource, dict) else {}, stamp
    # Azure Monitor: properties.log (a JSON string in kube-audit records), ContainerLogV2's LogMessage
    properties = obj.get("properties")
    if isinstance(properties, dict) and "log" in properties:
        found = properties.get("log")
        if isinstance(found, str) and found.startswith("{"):
            try:
                found = json.loads(found)
            except ValueError:
                pass
        if not isinstance(found, str | dict | list):
            return None, {}, None
        if isinstance(found, dict) and obj.get("category") in AKS_AUDIT_CATEGORIES and "auditID" not in found:
            return None, {}, None  # an audit event too bare to say so itself: read with its envelope's category
        return found, {**properties, "pod": properties.get("pod")}, stamp
    if "LogMessage" in obj:
        return obj["LogMessage"], obj, stamp
    # CloudWatch exports: @message
    if isinstance(obj.get("@message"), str | dict):
        return obj["@message"], labels, stamp
    # an OpenTelemetry log record flattened by OpenSearch Data Prepper (body, severityText, observedTime, traceId, and
    # "log.attributes.*" / "resource.attributes.*" keys)
    if isinstance(obj.get("body"), str) and ("severityText" in obj or "observedTime" in obj or "traceId" in obj):
        flat = {
            k.rsplit(".", 1)[-1].replace("@", "_"): v for k, v in obj.items() if k.startswith("resource.attributes.")
        }
        return obj["body"], flat, stamp or _first_time(obj, "observedTime")
    # The OpenTelemetry loki exporter's {body, attributes, resources}
    if "body" in obj and ("attributes" in obj or "resources" in obj):
        resources = obj.get("resources") if isinstance(obj.get("resources"), dict) else {}
        return obj["body"], dict(resources), stamp
    # Vector, Elastic/Filebeat, stern -o json, kail -o json: "message" beside the collector's own keys
    message = obj.get("message")
    if isinstance(message, dict) and isinstance(message.get("message"), str) and _GRAYLOG_KEYS.intersection(message):
        # Graylog's search API: each hit {"message": {"message": <line>, "source", "timestamp", "gl2_…",
        # "kubernetes_pod_name" …}, "index": …} (its Kubernetes fields flattened with "_")
        named = {label: message[key] for key, label in _GRAYLOG_NAMES.items() if isinstance(message.get(key), str)}
        return message["message"], {**labels, **named}, stamp
    collected = "source_type" in obj  # Vector's own key: "message" is the line even beside the line's parsed keys
    if message is not None and (collected or not ("level" in obj and ("scope" in obj or "time" in obj))):
        collector_keys = ("kubernetes", "@timestamp", "source_type", "podName", "containerName", "pod", "container")
        others = ("file", "host", "hostname", "agent", "ecs", "stream", "nodeName", "name", "ddsource", "ddtags")
        # New Relic's log records: its Kubernetes plugin's flat names (pod_name, container_name, namespace_name)
        others += ("pod_name", "container_name", "namespace_name", "newrelic.source", "plugin.type", "entity.guid")
        # Graylog's stored message (gl2_* keys, GELF's full_message) and Logstash's event ("@version")
        others += ("gl2_message_id", "gl2_source_input", "full_message", "@version")
        # CloudWatch Logs events (aws logs filter-log-events / get-log-events): logStreamName, eventId, ingestionTime
        cloudwatch = ("logStreamName", "ingestionTime", "eventId")
        if any(key in obj for key in (*collector_keys, *others, *cloudwatch)):
            # (top-level names only when they are strings: ECS's "container" is an object)
            named = ("pod", "podName", "namespace", "container", "containerName", "name", "container_name", "pod_name")
            named += ("namespace_name",)
            found = {k: obj[k] for k in named if isinstance(obj.get(k), str)}
            tags = obj.get("ddtags")  # the Datadog agent's intake payload: "kube_namespace:x,pod_name:y,…"
            if isinstance(tags, str):
                found = {**_tag_labels(tags.split(",")), **found}
            if stamp is None:
                stamp = _epoch_ms(obj.get("timestamp"))
            return message, {**labels, **found}, stamp
        if isinstance(message, str) and starts_a_record(message) and _LINE_ONLY_KEYS.isdisjoint(obj):
            # any other shipper's or store's record of a line ({"timestamp", "message", "source"}: Graylog's message
            # view, Logstash's "@version", a home-made forwarder): the message is a whole log line of its own
            return message, labels, stamp
    original = _dig(obj, "event", "original")
    if isinstance(original, str):
        return original, labels, stamp
    # Splunk's HTTP event collector: {"event": <line or record>, "sourcetype", "source", "host", "fields": {…}};
    # a webhook receiver (Logstash's http input) that kept the posted record under "event" alone
    event = obj.get("event")
    if isinstance(event, str | dict) and ("sourcetype" in obj or "fields" in obj or _HEC_KEYS.issuperset(obj)):
        fields = obj.get("fields") if isinstance(obj.get("fields"), dict) else {}
        return event, {**labels, **fields}, stamp
    # Splunk's search results ({"_raw": …}, and its export API's {"result": {"_raw": …}}), ECS's log.original, Falcon
    # LogScale's (Humio's) events ({"@rawstring": …, "@timestamp": <ms>})
    raw = obj.get("_raw", _dig(obj, "result", "_raw"))
    if raw is None and isinstance(obj.get("@rawstring"), str):
        return obj["@rawstring"], labels, stamp or _epoch_ms(obj.get("@timestamp"))
    if isinstance(raw, str):
        result = obj.get("result") if isinstance(obj.get("result"), dict) else obj
        return raw, {**result, **labels}, stamp or _first_time(result, "_time")
    original = _dig(obj, "log", "original")
    if isinstance(original, str):
        return original, labels, stamp
    # journalctl -o json: MESSAGE, and the kubelet's container name k8s_<container>_<pod>_<namespace>_…
    if isinstance(obj.get("MESSAGE"), str) and ("__REALTIME_TIMESTAMP" in obj or "SYSLOG_IDENTIFIER" in obj):
        return obj["MESSAGE"], _docker_names(obj.get("CONTAINER_NAME")), stamp
    # GELF (Graylog, and Docker's gelf log driver: docs.docker.com/engine/logging/drivers/gelf): the line is the
    # short_message, the container's Docker name in _container_name (k8s_<container>_<pod>_<namespace>_… on a node)
    if isinstance(obj.get("short_message"), str) and ("version" in obj or "host" in obj):
        container = obj.get("_container_name")
        names = _docker_names(container.lstrip("/") if isinstance(container, str) else None)
        # (Fluent Bit's and Fluentd's GELF outputs flatten the kubernetes metadata into additional fields:
        # _kubernetes_pod_name, _kubernetes_namespace_name, _kubernetes_container_name)
        for field, name in _GELF_NAMES.items():
            if isinstance(obj.get(field), str) and name not in names:
                names[name] = obj[field]
        return obj["short_message"], names, stamp
    # Azure Monitor's ContainerLog (v1) table: LogEntry, LogEntrySource, Name = the Docker name of the container
    # (learn.microsoft.com/azure/azure-monitor/reference/tables/containerlog)
    if isinstance(obj.get("LogEntry"), str) and ("LogEntrySource" in obj or "ContainerID" in obj):
        return obj["LogEntry"], _docker_names(obj.get("Name")), stamp
    # AzureDiagnostics (diagnostic settings without resource-specific tables): log_s, pod_s, Category
    # (learn.microsoft.com/azure/aks/monitor-aks-reference: kube-audit, kube-apiserver, … rows)
    if isinstance(obj.get("log_s"), str) and ("Category" in obj or "pod_s" in obj):
        found = obj["log_s"]
        if found.startswith("{"):
            try:
                found = json.loads(found)
            except ValueError:
                pass
        return found, {"pod": obj.get("pod_s")}, stamp
    # an Elasticsearch / Kibana document with ``fields`` (each a list: {"message": [...], "kubernetes.pod.name": [...]})
    fields = obj.get("fields")
    if "_index" in obj and isinstance(fields, dict) and isinstance(fields.get("message"), list) and fields["message"]:
        flat = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in fields.items()}
        if isinstance(flat["message"], str):
            return flat["message"], flat, stamp or _first_time(flat, "@timestamp")
    # CloudWatch Logs: aws logs filter-log-events / get-log-events print {"events": [{…, "message"}], …}
    events = obj.get("events")
    first_event = events[0] if isinstance(events, list) and events else None
    if isinstance(first_event, dict) and isinstance(first_event.get("message"), str):
        found, named, when = _payload(first_event)
        return found, {**_file_names(str(first_event.get("logStreamName", ""))), **named}, when
    # an Elasticsearch hit ({"_index", "_source": {…}}) and Datadog's log views ({"content"|"attributes": {…}})
    for key in ("_source", "content", "attributes"):
        inner = obj.get(key)
        if (
            isinstance(inner, dict)
            and isinstance(inner.get("message"), str)
            and (key != "attributes" or "service" in inner)
        ):
            found, named, when = _payload({**inner, "@timestamp": inner.get("@timestamp", inner.get("timestamp"))})
            if found is not None:
                return found, {**_tag_labels(inner.get("tags")), **named}, when or stamp
            return inner["message"], _tag_labels(inner.get("tags")), stamp
    # Fluent Bit's kubernetes filter with Merge_Log On and Keep_Log Off (the fluent/helm-charts default), and an
    # Elasticsearch document made of it: the line's own JSON keys beside the collector's — the line is what is left
    if isinstance(kubernetes, dict) and (labels.get("pod_name") or labels.get("pod")):
        rest = {k: v for k, v in obj.items() if k not in _COLLECTOR_KEYS}
        if len(rest) >= 2:
            return rest, labels, stamp
    return None, {}, None


# keys of a program's own JSON record: beside them "message" is that program's message, not a line it carries
_LINE_ONLY_KEYS = frozenset(("level", "severity", "msg", "scope", "logger", "caller", "lvl"))

# what Fluent Bit (tail + cri/docker parsers, kubernetes filter, es output) adds to a record of a line
_COLLECTOR_KEYS = frozenset(("kubernetes", "stream", "_p", "logtag", "date", "@timestamp", "docker", "log_processed"))


def _docker_names(name: Any) -> dict[str, str]:
    """The names in the kubelet's Docker container name ``k8s_<container>_<pod>_<namespace>_<uid>_<attempt>``
    (kubernetes pkg/kubelet/dockershim naming.go), or ``{}``."""
    parts = name.split("_") if isinstance(name, str) else []
    if len(parts) < 5 or parts[0] != "k8s":
        return {}
    return {"container": parts[1], "pod": parts[2], "namespace": parts[3]}


def _otlp_value(value: Any) -> Any:
    """An OTLP JSON AnyValue as a plain value (opentelemetry-proto common.proto AnyValue; JSON per the OTLP spec)."""
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "kvlistValue" in value:
        return _otlp_attributes(_dig(value, "kvlistValue", "values"))
    if "arrayValue" in value:
        found = _dig(value, "arrayValue", "values")
        return [_otlp_value(item) for item in found] if isinstance(found, list) else None
    for key in ("intValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    return None


def _otlp_attributes(items: Any) -> dict[str, Any]:
    """OTLP JSON ``[{"key": k, "value": AnyValue}, …]`` as a dict."""
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _otlp_value(item.get("value"))
    return out


def _otlp(obj: dict[str, Any]) -> tuple[Any, dict[str, Any], str | None]:
    """The first log record of an OTLP JSON ExportLogsServiceRequest / LogsData, or one LogRecord alone
    (opentelemetry-proto logs.proto; the collector's fileexporter writes one request a line; before 0.15,
    instrumentationLibraryLogs[].logs[])."""
    resource: dict[str, Any] = {}
    record: Any = obj
    if "resourceLogs" in obj:
        first = obj["resourceLogs"][0] if isinstance(obj["resourceLogs"], list) and obj["resourceLogs"] else None
        if not isinstance(first, dict):
            return None, {}, None
        resource = _otlp_attributes(_dig(first, "resource", "attributes"))
        scopes = first.get("scopeLogs", first.get("instrumentationLibraryLogs"))
        scope = scopes[0] if isinstance(scopes, list) and scopes else None
        records = scope.get("logRecords", scope.get("logs")) if isinstance(scope, dict) else None
        record = records[0] if isinstance(records, list) and records else None
    if not isinstance(record, dict):
        return None, {}, None
    body = _otlp_value(record.get("body"))
    if not isinstance(body, str | dict | list):
        return None, {}, None
    stamp = None
    for key in ("timeUnixNano", "observedTimeUnixNano"):
        nanos = record.get(key)
        if isinstance(nanos, str | int) and str(nanos).isdigit() and int(nanos) > 0:
            stamp = _nanos(str(nanos))
            break
    return body, {**_otlp_attributes(record.get("attributes")), **resource}, stamp


def _nanos(value: str) -> str | None:
    """A Unix time in nanoseconds (Loki, OTLP) as RFC 3339."""
    if not value.isdigit() or len(value) > 19:
        return None
    seconds, nanos = divmod(int(value), 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def _loki_stream(obj: dict[str, Any]) -> tuple[Any, dict[str, Any], str | None] | None:
    streams = obj.get("streams", _dig(obj, "data", "result"))
    stream = streams[0] if isinstance(streams, list) and streams else obj
    if not isinstance(stream, dict):
        return None
    labels, values = stream.get("stream"), stream.get("values")
    if not isinstance(labels, dict) or not isinstance(values, list) or not values:
        return None
    entry = values[0]
    if not isinstance(entry, list) or len(entry) < 2 or not isinstance(entry[0], str) or not isinstance(entry[1], str):
        return None
    return entry[1], labels, _nanos(entry[0])


def _tag_labels(tags: Any) -> dict[str, str]:
    """Datadog's ``["kube_namespace:shop", "pod_name:…", "kube_container_name:…"]`` as labels."""
    names = {"kube_namespace": "namespace", "pod_name": "pod", "kube_container_name": "container"}
    out: dict[str, str] = {}
    for tag in tags if isinstance(tags, list) else ():
        name, _, value = str(tag).partition(":")
        if name in names and value:
            out[names[name]] = value
    return out


def _first_time(obj: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str):
            return normalize(value.replace(" ", "T", 1) if len(value) > 10 and value[10] == " " else value)
    return None


# Fluent Bit's stdout output (plugins/out_stdout/stdout.c): "[0] <tag>: [<epoch>, {record}]" before 2.1, and
# "[0] <tag>: [[<epoch>, {metadata}], {record}]" since; msgpack-c prints the maps Ruby-style, strings unescaped
_FLUENT_STDOUT = re.compile(r"\[\d+\] ([\w.-]+): \[(?:\[(\d+(?:\.\d+)?), \{[^{}]*\}\]|(\d+(?:\.\d+)?)), (?=\{)")
_RUBY_KEY = re.compile(r'"([^"]{1,200})"=>')
_RUBY_NEXT = re.compile(r', "[^"]{1,200}"=>')
_RUBY_COLLECTOR_NEXT = re.compile(r', "(?:kubernetes|stream|time|_p|date|docker|tag|logtag)"=>')
_RUBY_END = re.compile(r"\}+\Z")
_RUBY_PAIR = re.compile(r'"([\w.@:-]{1,80})"=>"(.*?)"(?=, "[\w.@:-]{1,80}"=>|\}+$)')
_FLUENT_ARRAY = re.compile(r"\[(\d{9,11}(?:\.\d{1,9})?), ?(\{.*\})\]$")
# CloudWatch Logs (Fluent Bit / Fluentd cloudwatch output) as `aws logs tail` prints it:
# <time> <log stream> <record>; the stream is the container's log file name
# (<pod>_<namespace>_<container>-<container id>) or a tag made of it
# Fluentd's stdout output and filter (docs.fluentd.org/output/stdout, formatter/stdout: "<time> <tag>: <json>", the
# time "%Y-%m-%d %H:%M:%S.%N %z") and its out_file (docs.fluentd.org/formatter/out_file: "<iso time>\t<tag>\t<json>")
# have the same three parts; so has CloudWatch, whose text messages (the awslogs driver's, Fluent Bit's "Format
# plain") follow a stream name that is a path ("<prefix>/<container>/<task id>") or a tag
_CLOUDWATCH = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})? ?(?:Z|[+-]\d{2}:?\d{2}))[ \t]"
    r"(?!(?:trace|debug|info|warn|warning|error|critical|fatal|TRACE|DEBUG|INFO|WARN|WARNING|ERROR)\s|std(?:out|err) )"
    r"([A-Za-z][^\s{]{0,511}?)(:?)[ \t](?=\S)"
)
_LOG_FILE_NAME = re.compile(
    r"(?:[\w.-]*\.)?([a-z0-9][a-z0-9.-]{0,252})_([a-z0-9][a-z0-9-]{0,62})_([a-z0-9][a-z0-9-]{0,62})-[0-9a-f]{64}"
)


def _fluent_array(text: str, source: Source) -> Peeled | None:
    """Fluent Bit's ``json`` format and Fluentd's forward records: ``[<epoch>, {record}]``."""
    if not text.startswith("[") or not text.endswith("]"):
        return None
    match = _FLUENT_ARRAY.match(text)
    if match is None:
        return None
    when = datetime.fromtimestamp(float(match.group(1)), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    inner = _envelope(match.group(2), source)
    if inner is None:
        return Peeled(match.group(2), source, when, ["fluent-bit"])
    return Peeled(inner.body, inner.source, when, ["fluent-bit", *inner.wrappers], decoded=True)


_SHORT_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2} (?=\d{4}-\d{2}-\d{2}[T ]\d|\{\"|\[\d{4}-\d{2}-\d{2}[T ])"
)


def _cloudwatch(text: str, source: Source) -> Peeled | None:
    if not text[:1].isdigit():
        return None
    short = _SHORT_STAMP.match(text)  # `aws logs tail --format short`: its time (no zone), then the line's own
    if short is not None and looks_like_a_line(text[short.end() :]):
        return Peeled(text[short.end() :], source, None, ["cloudwatch"])
    match = _CLOUDWATCH.match(text) if text[10:11] in ("T", " ") else None
    if match is None:
        return None
    stream, rest = match.group(2), text[match.end() :]
    if stream.lower() in _LEVEL_WORDS or stream in ("stdout", "stderr"):
        return None  # "<time> info {…}": a line's own level; "<time> stdout F": the CRI's stream
    if rest[:1] != "{" and not starts_a_record(rest):
        return None
    names = _file_names(stream)
    if not ("/" in stream or "." in stream or match.group(3) or names):
        # a stream or tag is a path, dotted ("kube.var.log.containers.…"), a log file's name, or Fluentd's "<tag>: "
        return None
    stamp = _utc(match.group(1).replace(" +", "+").replace(" -", "-").replace(" ", "T", 1))
    changed = _labelled(source, names) if names else source
    return Peeled(rest, changed, stamp, ["fluentd" if match.group(1)[10] == " " or "\t" in text[:40] else "cloudwatch"])


def _fluent_stdout(text: str, source: Source) -> Peeled | None:
    """Fluent Bit's stdout output: ``[0] tag: [1606339578.409, {"k"=>"v", …}]`` (Ruby-style hashes), and since 2.1
    ``[0] tag: [[1727162096.165, {}], {"k"=>"v", "kubernetes"=>{…}}]``."""
    if not text.startswith("[") or "=>" not in text:
        return None
    match = _FLUENT_STDOUT.match(text)
    if match is None or not text.endswith("]"):
        return None
    printed = text[match.end() : -1]
    try:
        record = json.loads(printed.replace('"=>', '":'))
    except ValueError:
        read = _ruby_map(printed, 0, 0)  # strings unescaped ("reason"=>""-""): read as printed
        record = read[0] if read is not None else {key: value for key, value in _RUBY_PAIR.findall(printed)}
        if not record:
            return None
    if not isinstance(record, dict):
        return None
    inner = record.get("log")
    if isinstance(inner, str):
        body = inner.rstrip("\n")
    else:
        body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    epoch = match.group(2) or match.group(3)
    when = datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    kubernetes = record.get("kubernetes") if isinstance(record.get("kubernetes"), dict) else {}
    changed = _labelled(source, kubernetes)
    named = _LOG_FILE_NAME.search(match.group(1)) if not kubernetes else None
    if named is not None:  # the tag: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log
        changed = replace(changed, pod=named.group(1), namespace=named.group(2), container=named.group(3))
    return Peeled(body, changed, when, ["fluent-bit"], decoded=True)


def _ruby_map(text: str, at: int, depth: int) -> tuple[dict[str, Any], int] | None:
    """A map as msgpack-c prints it, from ``text[at] == "{"``: ``{"k"=>"raw string", "m"=>{…}, "n"=>1}``."""
    if depth > 4 or at >= len(text) or text[at] != "{":
        return None
    at += 1
    out: dict[str, Any] = {}
    while at < len(text) and text[at] != "}":
        key = _RUBY_KEY.match(text, at)
        if key is None:
            return None
        name, at = key.group(1), key.end()
        if at >= len(text):
            return None
        if text[at] == "{":
            inner = _ruby_map(text, at, depth + 1)
            if inner is None:
                return None
            out[name], at = inner
        elif text[at] == '"':
            end = _ruby_string_end(text, at + 1, name in ("log", "message"))
            if end < 0:
                return None
            out[name], at = text[at + 1 : end], end + 1
        else:
            stop = at
            while stop < len(text) and text[stop] not in ",}":
                stop += 1
            out[name], at = text[at:stop], stop
        if text.startswith(", ", at):
            at += 2
    return out, at + 1


def _ruby_string_end(text: str, start: int, free_text: bool) -> int:
    """Where a raw string ends: at the first quote followed by the next key or the map's end; a log line may hold
    ``", "x"=>`` itself, so for ``log``/``message`` a quote followed by a key Fluent Bit writes wins."""
    first, at = -1, start
    while (at := text.find('"', at)) >= 0:
        if free_text and (_RUBY_COLLECTOR_NEXT.match(text, at + 1) or _RUBY_END.match(text, at + 1)):
            return at
        if _RUBY_NEXT.match(text, at + 1) or text.startswith("}", at + 1):
            if not free_text:
                return at
            if first < 0:
                first = at
        at += 1
    return first


# (Logstash's rubydebug codec prints the same field as ``"message" => "…",``)
_FRAGMENT_FIELD = re.compile(
    r'"(?:log|line|textPayload|message|MESSAGE|body|LogMessage|LogEntry|original|@message)"(?: ?: ?| => )'
    r'"((?:[^"\\]|\\.)*)(")?'
)


_CUT_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?\Z")


_ZAP_PAIR = re.compile(r'"([\w.]{1,40})":("(?:[^"\\]|\\.){0,400}"|-?\d{1,20}(?:\.\d{1,9})?|true|false|null),')


def _unquoted_message(text: str) -> str | None:
    """A zap JSON line (Istio's ``--log_as_json``) whose ``msg`` holds quotes left unescaped by a paste or a
    relay (``"msg":"… desc = "transport: Error while dialing …"``): the record rebuilt, or None when it is
    well-formed (then it is no business of this peeler's).  The message runs to the record's last quote."""
    at = text.find('"msg":"')
    scan = at + 7
    while True:  # the message's first unescaped quote: what follows it says whether the string ended there
        quote = text.find('"', scan)
        if quote < 0:
            return None
        back = quote - 1
        while text[back] == "\\":
            back -= 1
        if (quote - 1 - back) % 2 == 0:
            break
        scan = quote + 1
    if text[quote + 1 : quote + 2] in (",", "}"):
        return None  # the string ends there: well-formed (or broken elsewhere)
    record: dict[str, Any] = {}
    for key, value in _ZAP_PAIR.findall(text[1:at]):
        try:
            record[key] = json.loads(value)
        except ValueError:
            return None
    end = text.rstrip().rstrip("}").rstrip()
    message = end[at + 7 : -1] if end.endswith('"') and len(end) > at + 7 else end[at + 7 :]
    record["msg"] = message.replace('\\"', '"')
    return json.dumps(record) if "level" in record else None


def _json_fragment(text: str, source: Source) -> Peeled | None:
    """A collector record whose start or end was cut (``timestamp":159…,"log":"2020-07-31T…\\twarn\\t…``,
    ``{"log":"[2022-…] \\"GET /api HTTP/1.1\\" 403 - rbac_acc``): the line inside its ``log``/``message``
    string, decoded as far as it goes, flagged partial."""
    if '":"' not in text and '": "' not in text and '" => "' not in text:
        return None
    if text.startswith('{"') and '"msg":"' in text[:600]:
        mended = _unquoted_message(text)
        if mended is not None:
            return Peeled(mended, source, None, ["paste"], partial=True, decoded=True)
    if text.startswith("{") and text.rstrip().endswith("}"):
        return None  # whole JSON (read by the envelope peeler or the JSON families), not a cut record
    match = _FRAGMENT_FIELD.search(text)
    if match is None:
        return None
    value = match.group(1)
    if match.group(2) is None:  # cut inside the string: an escape cut in half is dropped
        value = _CUT_ESCAPE.sub("", value)
    try:
        inner = json.loads(f'"{value}"')
    except ValueError:
        return None
    inner = inner.rstrip("\r\n")
    # a record's own start (``{"message":"ACCESS [2023-…``) says it is a collector's envelope: its line is read
    # whatever it starts with; a fragment of one (its start cut too) only when its line starts as a log line does
    if not looks_like_a_line(inner) and not (text.startswith('{"') and match.start() < 400 and inner.strip()):
        return None
    return Peeled(inner, source, None, ["envelope"], partial=True, decoded=True)


# ---------------------------------------------------------------- the peeling loop
_PEELERS = (
    _artefacts,
    _envelope,
    _yaml_field,
    _fluent_stdout,
    _fluent_array,
    _loki_cli,
    _cloudwatch,
    _kubelet,
    _kubectl_prefix,
    _kail,
    _kapp,
    _log_ui,
    _csv_row,
    _aws_text,
    _kibana,
    _clock,
    _pipe_time,
    _pod_colon,
    _lens,
    _otel_debug,
    _otel_normal_json,
    _logfmt,
    _json_fragment,
    _numbered,
    _syslog,
    _syslog_tag,
    _grep,
    _compose,
    _ns_pod,
    _stern,
)


# ---------------------------------------------------------------- a wrapper before a bare message
# a quote, a table cell, a shell prompt or comment, an author's arrow ("# → xdsproxy connected …", holdout138)
_QUOTE_MARKS = ("> ", "│ ", "| ", "$ ", "# ", "→ ", "-> ", "=> ", "➜ ")


def _unmarked(text: str) -> str:
    """The text after its leading marks (a few: "# → …", "> > …", ">> …")."""
    for _ in range(4):
        if text[:1] == ">":
            text = text.lstrip("> ")
        mark = next((mark for mark in _QUOTE_MARKS if text.startswith(mark)), None)
        if mark is None:
            break
        text = text[len(mark) :].lstrip()
    return text


def _loose_stern(text: str, source: Source) -> Peeled | None:
    """stern's ``[NAMESPACE] POD CONTAINER`` when a generated pod name says it is one (the names alone)."""
    for pattern in (_STERN_NS, _STERN):
        match = pattern.match(text)
        if match is None:
            continue
        pod = match.group("pod")
        if _GENERATED.fullmatch(pod.removesuffix("..")) is None and not pod.endswith(".."):
            continue
        changed = replace(source, pod=pod.removesuffix(".."), container=match.group("container"))
        if pattern is _STERN_NS:
            changed = replace(changed, namespace=match.group("ns"))
        stamp = match.group("stamp")
        return Peeled(text[match.end() :], changed, _utc(stamp) if stamp and stamp[4] == "-" else None, ["stern"])
    return None


def _loose_grep(text: str, source: Source) -> Peeled | None:
    match = _GREP.match(text)
    if match is None:
        return None
    return Peeled(text[match.end() :], _grep_source(match, source, match.group(2) or match.group(3)), None, ["grep"])


def _loose_export(text: str, source: Source) -> Peeled | None:
    match = _UI_STAMP.match(text) if text[:1].isdigit() else None
    if match is None:
        return None
    return Peeled(text[match.end() :], source, _ui_time(match.group(2) or match.group(1)), ["export"])


def _loose_quote(text: str, source: Source) -> Peeled | None:
    if text.startswith("##"):
        heading = text.lstrip("#")  # a markdown heading made of a message ("## Envoy proxy is NOT ready: …")
        if heading[:1] == " " and len(text) - len(heading) <= 6:
            return Peeled(heading.lstrip(), source, None, ["paste"])
        return None
    if not text.startswith(_QUOTE_MARKS):
        return None
    return Peeled(_unmarked(text), source, None, ["paste"])  # (a quote of a quote: every mark off)


def _loose_csv(text: str, source: Source) -> Peeled | None:
    """A CSV cell: the text in quotes, its own quotes doubled; or a row's last cell, after a few plain ones (a
    CloudWatch Logs Insights export: ``@timestamp,@message`` → ``2024-05-01 10:11:12.123,"<line>"``)."""
    if len(text) < 3 or text[-1] != '"':
        return None
    row = _CSV_ROW.match(text)
    if text[0] != '"' or (row is not None and _CSV_TIME.match(text) is not None):
        if row is None:
            return None
        cell = text[row.end() : -1]
        return Peeled(cell.replace('""', '"'), source, None, ["paste"], partial=True)
    if '""' not in text:
        return None
    return Peeled(text[1:-1].replace('""', '"'), source, None, ["paste"], partial=True)


# a CSV row's plain cells before the quoted one holding the line (a time, a stream's or a pod's name)
_CSV_ROW = re.compile(r'(?:[^",\s][^",]{0,199},|"[^",]{1,40}, [^",]{1,40}",){1,4}"')


def _loose_marks(text: str, source: Source) -> Peeled | None:
    """A message an author put in quotes or markdown emphasis (``"allow policies exist, but none allowed"``,
    ``_Epoch 0 terminated with an error: exit status 1_``)."""
    if len(text) < 8 or text[0] != text[-1] or text[0] not in "\"_*'":
        return None
    inner = text[1:-1].strip()
    if text[0] in inner or not inner:
        return None  # quotes inside: not one quoted message
    return Peeled(inner, source, None, ["paste"], partial=True)


# a syslog relay's header without the colon after the tag ("May 27 13:27:53 <host> <tag> <line>"), the host a pod's
_SYSLOG_BARE = re.compile(r"[A-Z][a-z]{2} ?[ \d]\d \d\d:\d\d:\d\d ([\w.-]{1,253}) ([\w./@-]{1,100}) (?=\S)")


def _loose_syslog(text: str, source: Source) -> Peeled | None:
    if text[:1].isalnum() or text[:1] == "<":
        headed = _SYSLOG.match(text)  # a journal's head before a message alone (istio-iptables' echoed commands)
        if headed is not None:
            return Peeled(text[headed.end() :], _tagged(source, _program(headed)), None, ["syslog"])
        tagged = _SYSLOG_TAG.match(text) if text[:1].isalpha() else None  # its tag alone ("envoy[1721]: …")
        if tagged is not None:
            return Peeled(text[tagged.end() :], _tagged(source, tagged.group(0).partition("[")[0]), None, ["syslog"])
    match = _SYSLOG_BARE.match(text) if text[:1].isupper() else None
    if match is None:
        return None
    host, tag = match.groups()
    changed = replace(source, pod=host) if _GENERATED.fullmatch(host) else source
    return Peeled(text[match.end() :], replace(changed, container=tag), None, ["syslog"])


def _loose_stamp(text: str, source: Source) -> Peeled | None:
    """``kubectl logs --timestamps`` (or a CRI file's stamp and stream) before a message printed without time."""
    match = _OFFSET_STAMP.match(text) if text[:1].isdigit() else None
    if match is None:
        return None
    return Peeled(text[match.end() :], source, _utc(match.group(1)), ["kubectl"])


# ``aws logs tail``: "<time with offset> <log stream name> <message>" (aws-cli's logs tail, its default short format
# off); the stream names the node, pod or file (Container Insights' "<node>-application.var.log.containers.<pod>_…")
_AWS_TAIL = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[+-]\d{2}:\d{2}|Z)) "
    r"([\w.\-/\[\]$]{1,512}[./][\w.\-/\[\]$]{0,512}) "
)


def _loose_stream(text: str, source: Source) -> Peeled | None:
    """``aws logs tail``'s time and log stream before a message printed without time."""
    match = _AWS_TAIL.match(text) if text[:1].isdigit() else None
    if match is None:
        return None
    changed = _labelled(source, _file_names(match.group(2)))
    return Peeled(text[match.end() :], changed, _utc(match.group(1)), ["aws"])


def _loose_continuation(text: str, source: Source) -> Peeled | None:
    """The second part of a list of errors a program joined with "; " (Istio's failed authentication:
    "…: Authenticator ClientCertAuthenticator: …; Authenticator KubeJWTAuthenticator: …"), its
    separator leading the line a page or a terminal wrapped it into."""
    if not text.startswith("; ") or len(text) < 10:
        return None
    return Peeled(text[2:].lstrip(), source, None, ["paste"], partial=True)


# a numbered list's mark ("1. ", "12) "), a bullet, and an author's label before a line ("ログ: ", "istiod logs: ",
# "**istio-proxy:** ", "Error log -> ")
_LIST_NUMBER = re.compile(r"\d{1,3}[.)][ \t]+")
_BULLET = re.compile(r"(?:\d{1,3}[.)]|[-*+•·▪◦‣])[ \t]+")
# a line's own start inside an author's sentence: an ISO time (Istio, ztunnel, klog-less Go) or Envoy's bracketed one
_NOT_PROSE = frozenset('{"│|=')
_STAMP_IN_PROSE = re.compile(r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")
_LABEL = re.compile(
    r"(?:\*\*|__)?[^\s:*_：]{1,40}(?: [^\s:*：]{1,40}){0,3} ?(?:(?::|->|=>)(?:\*\*|__)?[ \t]+|：(?:\*\*|__)?[ \t]*)"
)  # (a full-width colon needs no space after it)


# what an author writes for the start of a line left out ("... info  access …", "<omit> xdsproxy  …", "[...] …")
_ELIDED = ("... ", "… ", "<omit> ", "<omitted> ", "<snip> ", "<...> ", "[...] ", "[…] ", "(...) ")


def _loose_elided(text: str, source: Source) -> Peeled | None:
    if not text.startswith(_ELIDED):
        return None
    return Peeled(text.split(None, 1)[1].lstrip(), source, None, ["paste"], partial=True)


# glog/klog's head ("W0219 02:12:02.462170       1 reflector.go:341] "), as pilot 0.x and every client-go user print
_GLOG = re.compile(r"([IWEF])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d{1,9} [\w.-]{1,120}\.go:\d{1,6}\] ")
_GLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}


def _loose_glog(text: str, source: Source) -> Peeled | None:
    """The message behind glog's head when it names Istio's own Go source (pilot 0.x), given the head's level as
    pkg/log's column (a family must then claim it)."""
    found = _GLOG.match(text) if text[:1] in "IWEF" else None
    if found is None or "istio.io/istio/" not in text[found.end() : found.end() + 300]:
        return None  # (client-go's own words -- leader election, reflectors -- are every controller's)
    return Peeled(f"{_GLOG_LEVELS[found.group(1)]}\t{text[found.end() :]}", source, None, ["glog"])


def _loose_list(text: str, source: Source) -> Peeled | None:
    found = _BULLET.match(text)
    return None if found is None else Peeled(text[found.end() :], source, None, ["paste"], partial=True)


# what makes a prefix an author's label rather than a message's own first word ("RBAC: access denied", "lds: …",
# "accesslog: …" are the program's): emphasis, a script other than Latin, the word "log(s)"/"output", or a mesh
# component's name
_LABEL_WORDS = re.compile(
    r"[*_]|[^\x00-\u024f]|\b(?:logs?|output|istio-proxy|istiod|discovery|pilot|sidecar|ztunnel|envoy|"
    r"istio-cni|install-cni|cni-node|ingress ?gateway|egress ?gateway|waypoint|proxy)\b",
    re.I,
)


_OWN_WORD = re.compile(r"\b(?:error|warning|warn|panic|fatal|info|debug)\s?(?::|：|->|=>)(?:\*\*|__)?[ \t]+$", re.I)


def _loose_label(text: str, source: Source) -> Peeled | None:
    found = _LABEL.match(text)
    if found is None or _LABEL_WORDS.search(text, 0, found.end()) is None:
        return None
    if _OWN_WORD.search(text, 0, found.end()) is not None:
        return None  # "… Error: failed to …": the message's own first word, not an author's label
    return Peeled(text[found.end() :], source, None, ["paste"], partial=True)


# an author's note after the line: "rbac_access_denied_matched_policy[none] ← 정책 매치 실패!", "… <-- here"
_ANNOTATION = re.compile(r"\s(?:←|⬅|<--?|<==?|👈)\s")  # (one blank before: a run of them is not tried from each)


def _loose_annotation(text: str, source: Source) -> Peeled | None:
    found = _ANNOTATION.search(text, 8)
    if found is None:
        return None
    line = text[: found.start()].rstrip()
    if line.startswith(_QUOTE_MARKS):
        line = _unmarked(line)  # (a quoted or commented line, annotated)
    return Peeled(line, source, None, ["paste"], partial=True)


_LOOSE = (
    _loose_quote,
    _loose_name_tag,
    _loose_continuation,
    _loose_annotation,
    _loose_csv,
    _loose_marks,
    _loose_export,
    _loose_stamp,
    _loose_stream,
    _loose_clock,
    _loose_pipe_time,
    _loose_pod_colon,
    _loose_syslog,
    _loose_grep,
    _loose_compose,
    _loose_stern,
    _loose_elided,
    _loose_glog,
    _loose_list,  # (the least specific last: a list's mark, an author's label)
    _loose_label,
)


def _loose_bar(text: str, source: Source) -> Peeled | None:
    """A log UI's ``<time> | `` column (not its tab: Istio's own time is followed by one)."""
    found = _loose_export(text, source)
    return found if found is not None and text[: len(text) - len(found.body)].endswith("| ") else None


# prefixes no program starts its own line with (a quote mark, CSV quoting, grep's file and number, stern's
# generated pod name, a compose or log UI column, another program's clock)
_FOREIGN_ONLY = (
    _loose_quote,
    _loose_continuation,
    _loose_csv,
    _loose_bar,
    _loose_clock,
    _loose_pipe_time,
    _loose_grep,
    _loose_compose,
    _loose_stern,
)


_QUOTED_SPAN = re.compile(r'"([^"]{6,2000})"')


def _code_spans(text: str, source: Source) -> list[Peeled]:
    """The code spans of a sentence that quotes a log (``in istio-proxy logs there is: `0 NR filter_chain_not_found```),
    last first: the sentence is the author's, the span the program's; without code marks, its double-quoted spans
    (``TCP mTLS through ingressgateway "NR filter_chain_not_found"``)."""
    if text.count("`") >= 2:
        # (the marks pair up in order: "`kid` … `Jwks doesn't …`" has two spans, not one between kid's end and the next)
        spans = [span for span in text[:8192].split("`")[1:-1:2] if 6 <= len(span) <= 2000]
    elif text.count('"') == 2 and not text.startswith('"'):
        spans = _QUOTED_SPAN.findall(text, 0, 8192)
    else:
        return []
    return [Peeled(span.strip().strip('"'), source, None, ["paste"], partial=True) for span in reversed(spans[-4:])]


def peel_loosely(text: str, source: Source, foreign_only: bool = False) -> list[Peeled]:
    """Readings of ``text`` with a wrapper's prefix taken off although no log line's start follows it.

    :func:`peel` leaves a prefix on unless a line's start (a time, a level) follows, as two words or a
    number and a colon begin many sentences.  A pasted message alone behind stern's names, ``grep -n``,
    a compose column, a log UI's time or a quote mark has no such start: when nothing reads the line as
    it is, the detector tries these readings (each peeled further as usual) and takes one only if a
    family then claims its message.  ``foreign_only``: only prefixes no program starts its own line with
    (asked when a family read the text with its prefix but could not tell the outcome)."""
    readings: list[Peeled] = [] if foreign_only else _code_spans(text, source)
    for loose in _FOREIGN_ONLY if foreign_only else _LOOSE:
        found = loose(text, source)
        if found is None or not found.body.strip():
            continue
        inner = peel(found.body, found.source, found.stamp)
        readings.append(
            Peeled(
                inner.body,
                inner.source,
                inner.stamp,
                [*found.wrappers, *inner.wrappers],
                inner.partial or found.partial,  # (a quoted or continued message is a part of a line)
                inner.decoded or found.decoded,
            )
        )
    return readings


def peel(text: str, source: Source, stamp: str | None = None) -> Peeled:
    """Every wrapper around ``text`` taken off, outermost first; what they said kept in the result."""
    peeled = Peeled(text, source, stamp)
    for _ in range(MAX_DEPTH):
        for peeler in _PEELERS:
            found = peeler(peeled.body, peeled.source)
            if found is not None:
                peeled = Peeled(
                    found.body,
                    found.source,
                    peeled.stamp or found.stamp,  # the outermost time: when the runtime wrote the line
                    [*peeled.wrappers, *found.wrappers],
                    peeled.partial or found.partial,
                    peeled.decoded or found.decoded,
                    [*peeled.earlier, (peeled.body, peeled.source, peeled.stamp)],
                )
                break
        else:
            break
    return peeled
