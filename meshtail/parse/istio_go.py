"""Logs of Istio's Go components: istiod (pilot-discovery) and istio-agent (pilot-agent).

Both print through ``istio.io/istio/pkg/log`` (zap): text is
``<ts>\\t<level>\\t[<scope>\\t][<caller>\\t]<message>[\\t<key=value ...>]`` with the time in
UTC and six fraction digits, lowercase levels, the scope column left out for the ``default``
scope, the caller column only with ``--log_caller``, and labels (``WithLabels``) appended as one
column of unquoted ``k=v`` pairs whose values may hold spaces.  JSON (``--log_as_json``) is
``{"level","time","scope","msg"[,"caller"], <labels as typed keys>}``, scope absent for the
default scope.  Lines copied out of issues and docs often have their tabs expanded to spaces
(or shown as a literal ``\\t``), lose the timestamp, or are only the message
(``Push debounce stable[42] 1 for config ...``): :func:`read_line` reads all of those.

Which of the two printed a line is told by its scope (``xdsproxy``, ``sds``, ``cache`` … are the
agent's; ``validationController``, ``pkica``, ``krt`` … istiod's) and, for the scopes both have
(``default``, ``ads``, ``klog``), by what the message says; a source kind, when the caller knows
it, only settles what the line itself leaves open.  The CNI node agent prints the same shape:
:mod:`.istio_cni` claims its lines before this module is asked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from ..events import Source
from ..text import clip
from . import istio_templates
from .cutjson import close_cut_object
from .cuts import cut_end, mid_word, most_shown, piece_start
from .istio_flags import AGENT_ONLY, ISTIOD_ONLY
from .istio_paths import program_in
from .result import Action, Parsed, action_word, attr_key, severity_of
from .timestamps import normalize
from .whole import one_word_values

# In a tab-expanded copy, structured fields start after a run of spaces (and after a non-space,
# so a long run of spaces is tried once, not from each of its positions).
_SPACED_FIELDS = re.compile(r"(?<=\S)\s{2,}+(?=[A-Za-z_][\w.-]*+=)")

# Scopes pkg/log registers in pilot-discovery and pilot-agent (1.0 .. master); see also istio_cni.
AGENT_SCOPES = frozenset(
    "xdsproxy sds cache secretfetcher ca citadelclient wasm dns healthcheck probes envoy gcecred mockcred "
    "stsclient stsserver token googleca googlecas hbone".split()
)
ISTIOD_SCOPES = frozenset(
    "model kube controllers validationController validationServer validation authorization authn pkica pkira "
    "rootcertrotator serverca secretcontroller status krt gateway gatewaycommon delta push fullpush wle file "
    "serviceentry trustBundle grpcgen ip-autoallocate untaint tag-watcher analysis processing adsc deltaadsc "
    "mcp ior".split()  # (ior: Maistra's istiod, its Gateway-to-OpenShift-Route controller)
) | {"ingress status", "gateway deployment"}
SHARED_SCOPES = frozenset("ads default klog spiffe security monitoring monitor".split())
# the CNI node agent's (istio_cni reads those lines; listed so a spaced copy still shows its scope)
CNI_SCOPES = frozenset("cni cni-agent cni-plugin install repair iptables nftables ebpf ipset ambient".split())
_HAND_SCOPES = AGENT_SCOPES | ISTIOD_SCOPES | SHARED_SCOPES | CNI_SCOPES
# every scope the three programs register (read from their sources: istio_templates.SCOPES), by program
_GENERATED_SCOPES = {
    name: frozenset(scope for scope, where in istio_templates.SCOPES.items() if where == name)
    for name in ("istiod", "istio-agent", "istio-cni")
}
AGENT_SCOPES = AGENT_SCOPES | _GENERATED_SCOPES["istio-agent"]  # 1.1-1.4: sdsServiceLog, cacheLog, ...
ISTIOD_SCOPES = ISTIOD_SCOPES | _GENERATED_SCOPES["istiod"]
KNOWN_SCOPES = AGENT_SCOPES | ISTIOD_SCOPES | SHARED_SCOPES | CNI_SCOPES | frozenset(istio_templates.SCOPES)
# scope names with a space in them (RegisterScope("ingress status", ...))
_MULTIWORD_SCOPES = ("ingress status", "gateway deployment", "waypoint proxy")  # (the last: ambient, 2022)
_MULTIWORD_PREFIXES = tuple(f"{name} " for name in _MULTIWORD_SCOPES)
# words that also start plain sentences: taken as a scope after a single space only when the
# whole line is single-spaced (a docs rendering), not in a tab-expanded paste
_WORDY_SCOPES = frozenset(
    "status cache file model token monitor processing security validation install repair".split()
) | (frozenset(scope for scope in istio_templates.SCOPES if scope.isalpha() and scope.islower()) - _HAND_SCOPES)


@dataclass(slots=True)
class GoLine:
    stamp: str | None
    level: str
    scope: str | None
    message: str
    fields: dict[str, str]
    caller: str | None = None
    cut: bool = False  # pkg/log's stamp, cut in front ("…34:57.746680Z"): stamped by Istio, its time lost

    @property
    def stamped(self) -> bool:
        """The line had a stamp (whole, or cut in front): pkg/log's column layout, not a pasted message."""
        return self.stamp is not None or self.cut


# ============================================================================ reading a line
_LEVEL_WORDS = r"(debug|info|warning|warn|error|fatal|panic|dpanic|trace|critical|none)"
_STAMPED = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))(\t|\\t| ++)"
    + _LEVEL_WORDS
    + r"(?=\t|\\t| |$)"
)
_UNSTAMPED = re.compile(_LEVEL_WORDS + r"(\t|\\t| ++)")
# the tail of pkg/log's stamp, the rest cut away in front by a terminal's selection or an author ("57.746680Z\twarn\t
# ads\t…"): read as a line without its stamp
_CUT_STAMPED = re.compile(r"\d[\d:.T-]{0,24}+Z(\t|\\t| ++)" + _LEVEL_WORDS + r"(?=\t|\\t| |$)")
_STAMP_TAIL = re.compile(r"(?:[\d:T-]{0,18}+\.)?\d{6}Z")
_ISTIO_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_SCOPE_TOKEN = re.compile(r"[A-Za-z][\w/-]{0,47}")
_CALLER = re.compile(r"[\w./-]{1,200}\.go:\d{1,7}")
_LABEL_START = re.compile(r"[A-Za-z_][\w.-]{0,127}=")
_MAX_LABELS = 64
_LABEL_KEY = re.compile(r"(?<![^ ])([A-Za-z_][\w.-]*+)=")


def parse_labels(text: str) -> dict[str, str]:
    """pkg/log's label column ``k=v k=v``: values are unquoted ``fmt.Sprint`` output that may hold
    spaces (``controller=auto-register existing connections``), so a value runs to the next `` key=``."""
    out: dict[str, str] = {}
    # a line carries a handful of labels: past 64 the rest is not read (a hostile line holds millions)
    keys = list(islice(_LABEL_KEY.finditer(text), _MAX_LABELS + 1))
    if len(keys) > _MAX_LABELS:
        text = text[: keys.pop().start()]
    for index, match in enumerate(keys):
        end = keys[index + 1].start() - 1 if index + 1 < len(keys) else len(text)
        value = text[match.end() : end].rstrip()
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        out[match.group(1)] = value
    return out


def _is_scope(token: str) -> bool:
    return _SCOPE_TOKEN.fullmatch(token) is not None


_last_read: tuple[str, GoLine | None] = ("", None)


def read_line(body: str) -> GoLine | None:
    """The columns of a pkg/log text line: with or without timestamp, tabs or spaces (or a literal
    ``\\t``), a caller column, labels.  ``level`` is ``""`` for a message-only fragment.

    istio_cni and this module read the same line one after the other: the last answer is kept
    for that very string object (callers do not change what they are given)."""
    global _last_read
    last = _last_read
    if last[0] is body:
        return last[1]
    line = _read_line(body)
    _last_read = (body, line)
    return line


def _read_line(body: str) -> GoLine | None:
    text = body.rstrip()
    if not text:
        return None
    first = text[0]
    stamp: str | None = None
    head: re.Match[str] | None = None
    cut = False
    if first.isdigit():
        head = _STAMPED.match(text)
        if head is not None:
            stamp, separator, level = head.group(1), head.group(2), head.group(3)
        elif (head := _CUT_STAMPED.match(text)) is not None and _STAMP_TAIL.fullmatch(text, 0, head.start(1)):
            # what is left of the stamp is pkg/log's (six fraction digits, UTC): Istio's line, its time lost (any
            # other digits before a Z are no stamp of theirs: the line is read as a message, as before)
            separator, level = head.group(1), head.group(2)
            cut = True
        else:
            return GoLine(None, "", None, text.strip(), {})
    elif first in "diwefptcn":
        head = _UNSTAMPED.match(text)
        if head is None:
            return GoLine(None, "", None, text.strip(), {})
        level, separator = head.group(1), head.group(2)
    else:
        return GoLine(None, "", None, text.strip(), {})
    rest = text[head.end() :]
    if separator == "\\t" and "\t" not in rest:
        rest = rest.replace("\\t", "\t")  # copied from a JSON field: tabs shown as backslash-t
    if "\t" in rest:
        line = _read_tabbed(rest.lstrip("\t "), stamp, level)
    else:
        spaced = rest.lstrip(" ")
        column = len(text) - len(spaced) if text.isascii() else -1  # where the scope would start
        line = _read_spaced(spaced, stamp, level, single=separator == " ", column=column)
    if cut and line is not None:
        line.cut = True
    return line


def _read_tabbed(rest: str, stamp: str | None, level: str) -> GoLine:
    parts = rest.split("\t")
    scope = caller = None
    fields: dict[str, str] = {}
    if len(parts) > 1:
        head = parts[0]
        if (head.startswith("envoy ") and len(head) < 80) or head in _MULTIWORD_SCOPES:
            scope = parts.pop(0)
        elif _is_scope(head) and not (
            len(parts) == 2 and head not in KNOWN_SCOPES and _LABEL_START.match(parts[1])
        ):  # a one-word default-scope message followed by its labels is not a scope
            scope = parts.pop(0)
    if scope is None and (glued := _glued_scope(parts[0])) is not None:
        scope, parts[0] = glued
    if len(parts) > 1 and _CALLER.fullmatch(parts[0]):
        caller = parts.pop(0)
    if len(parts) > 1 and _LABEL_START.match(parts[-1]):
        fields = parse_labels(parts.pop())
    message = "\t".join(parts).strip(" ")
    return GoLine(stamp, level, scope, message, fields, caller)


def _glued_scope(text: str) -> tuple[str, str] | None:
    """A scope whose tab to the message was lost in a copy (``xdsproxyconnected to delta upstream XDS server``):
    a known scope at the start of the first word, the rest a message that scope prints (its template's).
    (Asked of every line without a scope column: one lookup by the first three letters turns most away.)"""
    word = text.partition(" ")[0]
    for scope in _SCOPES_BY_HEAD.get(word[:3], ()):  # (longest first)
        end = len(scope)
        if len(word) > end and word.startswith(scope) and word[end].isalpha():
            template = match_template(text[end:], anywhere=False)
            if template is not None and scope in template.scope.split("|"):
                return scope, text[end:]
    return None


def _by_head(scopes: frozenset[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for scope in scopes:
        if len(scope) >= 3:
            found.setdefault(scope[:3], []).append(scope)
    return {head: tuple(sorted(names, key=len, reverse=True)) for head, names in found.items()}


_SCOPES_BY_HEAD = _by_head(KNOWN_SCOPES)


def _read_spaced(rest: str, stamp: str | None, level: str, single: bool, column: int = -1) -> GoLine:
    """``column``: where ``rest`` starts in the line (-1: not known).  A line whose tabs a terminal or
    editor expanded to 8-column stops has its scope at a multiple of 8, and a 7-letter scope
    (``install``, ``default``, ``kubeapi``) is then followed by a single space: still a column."""
    scope = caller = None
    token, _, after = rest.partition(" ")
    if token == "envoy" and after and own_envoy_message(rest):
        pass  # a default-scope message of the agent's that starts with "envoy " (no scope column)
    elif token == "envoy" and after:  # Envoy's own lines relayed by pilot-agent: "envoy <logger>"
        logger, _, rest = after.partition(" ")
        scope, rest = f"envoy {logger}", rest.lstrip(" ")
    elif rest.startswith(_MULTIWORD_PREFIXES):
        scope = next(name for name in _MULTIWORD_SCOPES if rest.startswith(f"{name} "))
        rest = rest[len(scope) :].lstrip(" ")
    elif after and _is_scope(token):
        remainder = after.lstrip(" ")
        if token in KNOWN_SCOPES:
            expanded_tab = column > 0 and column % 8 == 0 and len(token) % 8 == 7
            taken = single or token not in _WORDY_SCOPES or after.startswith(" ") or expanded_tab
        else:  # an unknown word is a scope only before a wide gap, and not when only labels follow
            taken = after.startswith(" ") and bool(remainder) and not _LABEL_START.match(remainder)
        if taken:
            scope, rest = token, remainder
    if scope is None and (glued := _glued_scope(rest)) is not None:
        scope, rest = glued
    token, _, after = rest.partition(" ")
    if after and _CALLER.fullmatch(token):
        caller, rest = token, after.lstrip(" ")
    fields: dict[str, str] = {}
    if not rest.startswith("Envoy command:"):  # Envoy's argv holds --log-format text with wide gaps
        split = _SPACED_FIELDS.search(rest)
        if split is not None:
            fields = parse_labels(rest[split.end() :])
            rest = rest[: split.start()]
    return GoLine(stamp, level, scope, rest.strip(" "), fields, caller)


# ============================================================================ message templates
# Every message the three programs print, read from their Go sources (istio_templates, generated by
# scripts/gen_istio_templates.py): a line's message is matched against them by its fixed text — the
# literal before the first verb, then each later literal in order (plain ``startswith`` / ``find``, no
# regex).  Candidates come from dicts keyed by the message's first words, so a line costs a few lookups.


@dataclass(frozen=True, slots=True)
class Template:
    """One message template and what the generator's rule table says about it."""

    text: str
    segments: tuple[str, ...]  # the fixed text between verbs; segments[0] is the prefix ("" when a verb leads)
    weight: int  # characters of fixed text: the more, the surer a match
    binary: str  # istiod, istio-agent, istio-cni, or several joined by "|"
    scope: str
    level: str
    category: str
    outcome: str
    violation: bool
    action: str  # "" for "the parser's own generic action" (istiod.<scope>, agent.<scope>, cni.<scope>)

    def matches(self, message: str) -> bool:
        segments = self.segments
        if not message.startswith(segments[0]):
            # "…cannot find existing CNI network config: %v" pasted without its value (cut after the colon): the
            # trailing blank is gone with it
            return (
                len(segments) == 1
                and segments[0][-1:].isspace()
                and self.text.endswith("%v")
                and message == segments[0].rstrip()
            )
        position = len(segments[0])
        last = len(segments) - 1
        for index, segment in enumerate(segments[1:], 1):
            found = message.find(segment, position)
            if found < 0:
                # "…, custom host: %v" printed with an empty value: the line's trailing blank is gone (the
                # reader strips it, and so do shippers), so the last piece is met without it
                if index == last and segment[-1:].isspace() and self.text.endswith("%v"):
                    bare = segment.rstrip()
                    return bool(bare) and message.endswith(bare) and len(message) - len(bare) >= position
                return False
            position = found + len(segment)
        return True


# a template whose fixed prefix is shorter than this is found by a later segment instead
_MIN_PREFIX = 3
# least fixed text for a template to tell the program (family) or claim a message with nothing else
FAMILY_WEIGHT = 18
FRAGMENT_WEIGHT = 24
# fixed prefix a template needs to claim a line with nothing else to go on
CLAIM_PREFIX = 16
# a template of one program whose prefix is short (``Namespace %v is enabled in ambient mesh``) or a verb
# (``%v pushed key/cert pair to proxy``) claims a message alone only with this much fixed text after it
CLAIM_REST = 20
_Index = tuple[
    dict[str, list[Template]],
    dict[str, list[Template]],
    dict[str, list[Template]],
    frozenset[str],
    dict[str, list[Template]],
    dict[str, list[Template]],
    dict[str, list[Template]],
]
_index: _Index | None = None


def _words_key(prefix: str) -> str | None:
    """The key a prefix is filed under: its first whole words (up to three), or None when even its
    first word is cut by a verb (``ADS:`` of ``ADS:%v: ACK ERROR``)."""
    words = prefix.split(" ", 3)[:-1]  # the last piece runs into a verb (or is empty): not whole
    if not words or not words[0]:
        return None
    return " ".join(words)


def _one_binary(binary: str, scope: str) -> str | None:
    """The one program a template's line is most likely from: its own, or for a package both istiod and the agent
    build in, the one whose scope it logs under (the CA client's "ca request failed, starting attempt …", scope
    "ca", runs in the agent, which asks istiod for certificates); None when that says nothing."""
    if "|" not in binary:
        return binary
    if binary != "istio-agent|istiod":
        return None
    if scope in AGENT_SCOPES and scope not in ISTIOD_SCOPES:
        return "istio-agent"
    if scope in ISTIOD_SCOPES and scope not in AGENT_SCOPES:
        return "istiod"
    if scope in _ISTIOD_LEANING:
        return "istiod"
    return None


def _words_say_whose(binary: str, scope: str) -> bool:
    """A template both programs print whose message's own words say which printed it: pkg/xds's, in the ads scope
    (istiod's pushes name its push context; the agent's SDS server, a unix-socket peer or a bare connection number --
    _ads_family reads them), so it takes part in claims and template_binary asks the message."""
    return binary == "istio-agent|istiod" and scope == "ads"


# a scope both programs log under whose messages are istiod's: pkg/spiffe's trust bundles (istiod fetches them for its
# peer verifier); the "ads" scope's are told apart by their words (_ads_family)
_ISTIOD_LEANING = frozenset(("spiffe",))


def _build_index() -> _Index:
    by_words: dict[str, list[Template]] = {}
    partial: dict[str, list[Template]] = {}
    inner: dict[str, list[Template]] = {}
    claims: dict[str, list[Template]] = {}
    short: dict[str, list[Template]] = {}
    for text, (binary, scope, level, category, outcome, violation, action) in istio_templates.TEMPLATES.items():
        segments = tuple(part for index, part in enumerate(text.split("%v")) if part or index == 0)
        template = Template(
            text, segments, sum(map(len, segments)), binary, scope, level, category, outcome, violation, action
        )
        prefix = segments[0]
        if len(prefix) >= _MIN_PREFIX:
            key = _words_key(prefix)
            if key is not None:
                by_words.setdefault(key, []).append(template)
            else:
                partial.setdefault(prefix[:_MIN_PREFIX], []).append(template)
        elif len(segments) > 1 and len(segments[1].strip()) >= 10:
            word = segments[1].split(None, 1)[0]
            if len(word) >= 3:
                inner.setdefault(word, []).append(template)
        if _one_binary(binary, scope) is None and not _words_say_whose(binary, scope):
            continue
        if len(prefix) >= CLAIM_PREFIX and template.weight >= FAMILY_WEIGHT:
            claims.setdefault(prefix[:CLAIM_PREFIX], []).append(template)
        elif template.weight - len(prefix) >= CLAIM_REST and len(segments) > 1:
            # filed by the prefix's first word, or for a verb-led one by the first word after the verb
            word = prefix.split(" ", 1)[0] if prefix.strip() else segments[1].split(None, 1)[0]
            if len(word) >= 3 and (prefix.strip() == "" or prefix.endswith(" ") or len(prefix) >= 4):
                short.setdefault(word, []).append(template)
    for table in (by_words, partial, inner, claims, short):
        for candidates in table.values():
            candidates.sort(key=lambda template: -template.weight)
    firsts = frozenset(key.split(" ", 1)[0] for key in by_words)  # a message whose first word is none: no lookups
    by_first: dict[str, list[Template]] = {}  # (cut_template's: every template whose prefix has a whole first word)
    for group in (*by_words.values(), *partial.values()):
        for template in group:
            head = template.segments[0].split(" ", 1)
            if len(head) == 2 and len(head[0]) >= 2:
                by_first.setdefault(head[0], []).append(template)
    return by_words, partial, inner, firsts, claims, short, by_first


def _best(group: list[Template] | None, head: str, best: Template | None) -> Template | None:
    if group:
        for template in group:  # heaviest first: the first that matches is the best of its group
            if best is not None and template.weight <= best.weight:
                break
            if template.matches(head):
                return template
    return best


def match_template(message: str, anywhere: bool = True) -> Template | None:
    """The template a message was printed from (the one with the most fixed text), or None.

    ``anywhere`` also tries templates that start with a verb (``%v pushed key/cert pair to proxy``),
    found by a word of their first fixed text: for lines already known to be Istio's."""
    global _index, _last_match
    last = _last_match
    if last[0] is message and last[1] == anywhere:  # istio_cni and istio_go ask about the same line
        return last[2]
    if _index is None:
        _index = _build_index()
    found = _match(message, anywhere, _index)
    _last_match = (message, anywhere, found)
    return found


_last_match: tuple[str, bool, Template | None] = ("", False, None)


def _match(message: str, anywhere: bool, index: _Index) -> Template | None:
    by_words, partial, inner, firsts = index[:4]
    space = message.find(" ", 0, 300)
    best: Template | None = None
    if space > 0 and message[:space] in firsts:
        head = message[:2000]
        words = head.split(" ", 3)
        for count in (3, 2, 1):
            if len(words) > count:  # the key's last word must be followed by a space, as in the template
                best = _best(by_words.get(" ".join(words[:count])), head, best)
    group = partial.get(message[:_MIN_PREFIX])
    if group:
        best = _best(group, message[:2000], best)
    if best is None and anywhere:
        head = message[:2000]
        for word in head.split(None, 16)[1:16]:
            best = _best(inner.get(word), head, best)
    return best


def claiming_template(message: str) -> Template | None:
    """The template of a message that has nothing else to show it is Istio's (no timestamp, level or
    scope): one dict lookup on its first characters, so a line of another program costs next to nothing.
    Only templates of one program with a fixed prefix of ``CLAIM_PREFIX`` characters take part."""
    global _index, _last_claim
    last = _last_claim
    if last[0] is message:  # istio_cni and istio_go ask about the same line
        return last[1]
    if _index is None:
        _index = _build_index()
    head = message[:2000]
    group = _index[4].get(message[:CLAIM_PREFIX])
    found = _best(group, head, None) if group else None
    if found is None:
        # a short prefix or a leading verb: by the first word, or one of the next two after a value
        words = message[:200].split(None, 3)
        for position, word in enumerate(words[:3]):
            candidates = _index[5].get(word)
            for template in candidates or ():
                if (not template.segments[0].strip()) == (position > 0) and template.matches(head):
                    found = template
                    break
            if found is not None:
                break
    _last_claim = (message, found)
    return found


_last_claim: tuple[str, Template | None] = ("", None)


# ---------------------------------------------------------------------------- a message cut short
# A paste, a log UI or a terminal often cuts a line at its width ("…gateway updated: htt", "…but was rejecte…"),
# and then no template matches it whole.  What is left is still the start of the templates it could have been
# printed from: when every one of them that explains the most of it gives the same verdict, that verdict is the
# line's (flagged partial).  Nothing is claimed on a few words -- "failed to create " opens a hundred templates.
CUT_WEIGHT = 16  # fixed text of the template a cut message must show (its prefix, or a prefix and later pieces)
CUT_PIECE = 3  # of a later piece, for a line claimed for its program on its cut words alone
CUT_PREFIX = 32  # or of its prefix, when cut inside it


def _cut_shown(template: Template, text: str, in_text: bool, marked: bool) -> int:
    """How much of the template's fixed text a message cut at its end shows, or -1 when the message cannot be the
    start of a line printed from it.  The cut must end inside the template's fixed text (the line ends where its
    words were heading) -- inside a value only when the line says it was cut (``marked``: an ellipsis), since any
    text can be a value and a whole message the tables lack would otherwise pass for a cut one ("CDS: PUSH for
    node:… resources:137 size:118.2kB" is not a cut "CDS: PUSH for node:%v clusters:%v …").  ``in_text``: stricter,
    for claiming a line for its program (a longer prefix, a longer piece, never a value)."""
    segments = template.segments
    prefix = segments[0]
    if not text.startswith(prefix):
        if not prefix.startswith(text) or (in_text and len(text) < CUT_PREFIX):
            return -1  # (a few words a template opens with are often a whole message of another program's)
        if not (marked or mid_word(prefix, len(text)) or prefix[len(text) :].rstrip() == ":"):
            # ends where a word ends: as likely a whole message ("Failed to read access token response") -- unless
            # only the colon before a value is left ("config not received from Pilot (is Pilot running?)")
            return -1
        return len(text)  # cut inside the prefix
    shown = position = len(prefix)
    for segment in segments[1:]:
        found = text.find(segment, position)
        if found < 0:
            # cut inside this piece (the line ends with its start), or inside the value before it
            size = piece_start(text, position, segment, CUT_PIECE if in_text else 2)
            if size:
                return shown + size
            return shown if marked and not in_text else -1
        shown += len(segment)
        position = found + len(segment)
    return -1  # every piece is there: a whole message (match_template's), or one that runs past the template


def cut_template(message: str, in_text: bool = False) -> Template | None:
    """The template a message cut at its end was printed from, when all that explain the most of it agree on
    what it means (category, outcome, violation, action); None when they differ, or the cut leaves too little.
    ``in_text``: the stricter reading a claim for the program needs (:func:`_cut_shown`)."""
    global _index, _last_cut
    last = _last_cut
    if last[0] is message and last[1] == in_text:  # family() and build() ask about the same line
        return last[2]
    found = None
    text, marked = cut_end(message[:2000])
    first = text.split(" ", 1)[0]
    if len(first) < len(text) and len(text) >= CUT_WEIGHT:  # (one word: nothing to go on)
        if _index is None:
            _index = _build_index()
        found = _cut_match(text, first, in_text, marked, _index)
    _last_cut = (message, in_text, found)
    return found


_last_cut: tuple[str, bool, Template | None] = ("", False, None)


def _cut_match(text: str, first: str, in_text: bool, marked: bool, index: _Index) -> Template | None:
    """cut_template's search: the templates filed under the message's first word that show the most of it."""
    best, most = most_shown(index[6].get(first, ()), lambda t: _cut_shown(t, text, in_text, marked), CUT_WEIGHT)
    if not best or len({(t.category, t.outcome, t.violation, t.action) for t in best}) > 1:
        return None
    # weighed by what the line shows of it, so a claim on the program's name asks as much of a cut line as of a whole
    return replace(max(best, key=lambda t: t.weight), weight=most)


def own_envoy_message(message: str) -> bool:
    """Whether a message starting with "envoy " is the agent's (or istiod's) own, printed in the default scope
    (``envoy connection is not closed: EOF``, ``envoy server not yet live, state: …``), not an Envoy line the
    agent relays behind its ``envoy <logger>`` column."""
    found = match_template(message, anywhere=False)
    return found is not None and found.text.startswith("envoy ")


class _Lookup:
    """A message's template, looked up once and only when a rule asks for it."""

    __slots__ = ("anywhere", "message", "value")

    def __init__(self, message: str, anywhere: bool) -> None:
        self.message = message
        self.anywhere = anywhere
        self.value: Template | bool | None = False

    def get(self) -> Template | None:
        if self.value is False:
            self.value = match_template(self.message, self.anywhere)
        return self.value  # type: ignore[return-value]


def template_binary(template: Template | None, weight: int = FAMILY_WEIGHT, message: str | None = None) -> str | None:
    """The one program a template belongs to when it has fixed text enough to say so, else None.

    Given the ``message`` (a fragment to claim, nothing else to go on): a template that opens like any
    program's prose ("failed to %v", "Unable to marshal %v", "Validation failed: %v") must name something
    technical after its first words ("failed to sign CSR: %v"), and one without values claims only a message
    that is all of it (found in review: "failed to get service" claimed "failed to get service name: …")."""
    if template is None:
        return None
    binary = _one_binary(template.binary, template.scope)
    if binary is None and message is not None and _words_say_whose(template.binary, template.scope):
        binary = _ads_family(message)
    if binary is None:
        return None
    if message is not None and _generic(template):
        return None
    if template.weight < weight:
        if len(template.segments) != 1 or template.weight < 12:
            return None  # (a message with no verbs at all, matched whole, says it with less: "Validation passed")
        if message is not None and "%v" not in template.text and message.rstrip(" .") != template.text.rstrip(" ."):
            return None
    return binary


def _generic(template: Template) -> bool:
    """A template whose fixed start is any program's prose, naming nothing of Istio's (Envoy's rule too)."""
    return generic_prose(template.segments[0], " ".join(template.segments))


def generic_prose(start: str, fixed: str) -> bool:
    """Whether text starting ``start`` with fixed words ``fixed`` is any program's prose (:func:`_generic`); asked
    too of what a cut line shows of its template, where the template's later words are not there to tell."""
    if not start.startswith(_PROSE):
        return False
    words = fixed.split()
    if sum(w.strip(":,.%v/").isalpha() for w in words[2:]) >= 4:
        return False  # (fixed words enough to be one program's: "Failed to find port for service %v: %v")
    return not any(_TECHNICAL.search(word) or word.lower().strip(":,.") in _MESH_WORDS for word in words[2:])


_PROSE = (
    "failed to ",
    "Failed to ",
    "unable to ",
    "Unable to ",
    "could not ",
    "Could not ",
    "cannot ",
    "Cannot ",
    "error ",
    "Error ",
    "invalid ",
    "Invalid ",
    "Validation failed",
    "validation failed",
    # (Mixer's expression compiler: "unknown attribute %v" is any interpreter's words)
    "unknown attribute",
)
_TECHNICAL = re.compile(r"[A-Z0-9_(]")
# what a prose start must go on to name to be Istio's own words ("Failed to fetch jwt public key", "failed to
# fetch key and certificate for", "failed to create ambient nodeagent service")
_MESH_WORDS = frozenset(
    "jwt jwks cert certs certificate certificates csr sds xds ads envoy istio istiod pilot sidecar sidecars mesh "
    "ambient nodeagent iptables ip6tables ipset nftables ztunnel spiffe mtls tls webhook crd crds injection "
    "injector waypoint cni veth netns hbone key pubkey secret adapter handler kinds".split()
)


# ============================================================================ which component
# Messages only one of them prints in the default scope (pilot/cmd/pilot-agent, pkg/istio-agent,
# pkg/envoy, security/pkg/nodeagent vs pilot/pkg/bootstrap, pkg/kube/multicluster, pilot/pkg/leaderelection).
_AGENT_PREFIXES = (
    "Envoy proxy is",
    "Envoy is ready",
    "Waiting for Envoy proxy",
    "Readiness succeeded",
    "Envoy command:",
    "Envoy exited",
    "Envoy aborted",
    "Envoy may have been",
    "Starting proxy agent",
    "Opening status port",
    "Status server has",
    "PilotSAN",
    "Pilot SAN",
    "MixerSAN",
    "Epoch ",
    "Received new config",
    "Reconciling retry",
    "Obtained private IP",
    "Apply mesh config",
    "Apply proxy config",
    "Effective config:",
    "JWT policy is",
    "Using deprecated JWT policy",
    "Using existing certs",
    "Using user-configured CA",
    "Using CA ",
    "CA Endpoint ",
    "istiod uses self-issued",
    "the CA cert of istiod",
    "serverOptions.CAEndpoint",
    "sa.serverOptions",
    "Workload SDS socket",
    "Credential SDS socket",
    "Existing workload SDS socket",
    "Starting default Istio SDS Server",
    "Starting gateway SDS",
    "workload certificate files detected",
    "Workload is using file mounted certificates",
    "using credential fetcher",
    "Proxy role",
    "Initialization took",
    "Request to probe app",
    "Failed to create request to probe app",
    "Prober does not exist",
    "Agent ",
    "Aborted proxy",
    "Aborting proxy",
    "Graceful termination",
    "There are no more active connections",
    "There are still",
    "Checking for active connections",
    "downstream_cx_active",
    "handling /quitquitquit",
    "handling /drain",
    "SDS: push key/cert pair",
    "cpu limit detected",
    "legacy --concurrency",
    "concurrency is set to",
    "Exclude IPs",
    "platform detected",
    "timed out waiting for platform detection",
    "Prometheus scraping configuration",
    "failed scraping",
    "failed to scraping",
    "failed writing application metrics",
    "scrape target",
    "envoy connection is not closed",
    "app connection is not closed",
    "Failed to init xds proxy",
    "Add file ",
    "Receive file ",
    "Watch file ",
    "Failed to add file watcher",
    "failed to get certificate",
    "failed to get root certificate",
    "Subchannel ",
    "ccResolverWrapper",
    "ClientConn switching",
    "pickfirstBalancer",
    "parsed scheme",
    'scheme "',
    "Channel Connectivity",
    "Channel switches",
    "starting Http service",
    "Starting Istio Agent",
    "upstream terminated with",
    "connected to upstream XDS",
    "Envoy ADS stream established",
    "watching /etc/certs",
)
_AGENT_WAITING = tuple(f"waiting {digit}" for digit in "0123456789")  # "waiting 1m0s for /var/run/sds/uds_path"
_ISTIOD_PREFIXES = (
    "version: ",
    "flags: ",
    "mesh configuration",
    "mesh networks configuration",
    "initializing ",
    "Starting ADS server",
    "Starting validation controller",
    "Starting Istiod",
    "Starting multicluster",
    "Starting Secrets controller",
    "Starting ingress status writer",
    "Starting gateway status writer",
    "Starting ambient status writer",
    "Stopping ",
    "Activating gateway status writer",
    "waiting for gateway status writer",
    "starting discovery service",
    "starting gRPC discovery",
    "starting secure gRPC",
    "starting webhook service",
    "starting HTTP service",
    "starting CA server",
    "Istiod ",
    "multicluster remote secrets",
    "Number of remote clusters",
    "Adding new cluster member",
    "Deleting cluster",
    "Processing add:",
    "Processing update:",
    "Processing delete:",
    "Service controller watching",
    "Handling event",
    "Use self-signed certificate",
    "Use local CA",
    "Use roots from",
    "Use root cert from",
    "CA cert file",
    "Generating istiod-signed cert",
    "Generating K8S-signed cert",
    "Discover server subject alt names",
    "leader election",
    "Leader election",
    "Failed to update lock",
    "Waiting for caches to be synced",
    "All controller caches have been synced",
    "Started File configSource",
    "Started Kubernetes configSource",
    "Started XDS configSource",
    "Adding ",
    "constructed ",
    "x509 cert - Issuer",
    "Using kubernetes.io/tls secret",
    "Using istiod file format",
    "K8S token doesn't support OIDC",
    "The secure discovery port",
    "Successfully retrieved incluster config",
    "Successfully created in cluster kubeclient",
    "Skipping sidecar injector",
    "Could not verify certificate",
    "regenerated istiod dns cert",
    "update root cert",
    "Update trust anchor",
    "Update Istiod cacerts",
    "Updating new ROOT-CA",
    "Run: this operation is not supported",
    "Waiting for informer caches",
    "Push debounce",
    "XDS: Pushing",
    "XDS:EDSInc",
    "Full push",
    "Pushing ",
    "Push finished",
    "Push Status",
    "ADS:",
    "Failed to authenticate client",
    "Unauthorized XDS",
    "configuration is invalid",
    "validatingwebhookconfiguration",
    "webhook ",
    "Cluster init time",
)
# pilot-agent's own flags (camelCase like istiod's; the CNI agent's are kebab-case): every name only the agent defined
# in a minor release (istio_flags, generated from the sources); names of patch releases and vendor builds the generator
# does not read; and two both define that sidecars' dumps carry far more often (configPath, trust-domain)
_AGENT_FLAGS = AGENT_ONLY | frozenset(
    "configPath disableEnvoy kubeAppProberConfig proxyXDSViaAgent sdsUdsPath stackdriverTracingEnabled "
    "stackdriverTracingProjectID tlsCertsToWatch trust-domain".split()
)
# istiod's (and the programs it absorbed) that other Go servers name the same way: alone they say nothing
_COMMON_FLAGS = frozenset(
    "httpAddr httpsAddr grpcAddr kubeConfig tlsCertFile tlsKeyFile maxMessageSize maxConcurrentStreams "
    "maxReceivedMessageSize pprofPort configDir healthCheckFile healthCheckInterval resyncPeriod singleThreaded "
    "enableProfiling shutdownDuration".split()
)
_FLAG = re.compile(r"FLAG: --([\w-]{1,80})=(.*)")
# cobra's (and Go's flag package's) refusal of a flag the binary does not define -- a sidecar template of one release
# run by the agent of another ("unknown flag: --statusPort"): the flag says whose command line it was
_UNKNOWN_FLAG = re.compile(r"(?:Error: )?(?:unknown flag|flag provided but not defined): -{1,2}([\w-]{1,80})()")


def _flag_family(message: str) -> str | None:
    match = _FLAG.match(message) or _UNKNOWN_FLAG.match(message)
    if match is None:
        return None
    name, value = match.groups()
    if name in _AGENT_FLAGS:
        return "istio-agent"
    if name == "domain":  # the agent's is "<namespace>.svc.<cluster domain>", istiod's the cluster domain
        return "istio-agent" if ".svc." in value else "istiod"
    if name in ISTIOD_ONLY:
        return "istiod"
    if name == "meshConfig" or name.startswith("log_"):
        # (pkg/log's own flags, both programs': pasted from a sidecar's log far more often)
        return "istio-agent"
    return "istiod"


_SOURCE_AGENT_KINDS = ("sidecar", "gateway", "waypoint")


def family(scope: str | None, message: str, source: Source | None, template: _Lookup | None = None) -> str:
    """``istiod`` or ``istio-agent`` for a Go-component line: by scope, by the messages only one of
    them prints (hand-written, then the templates read from their sources), by the source."""
    if scope is not None:
        if scope in AGENT_SCOPES or scope.startswith("envoy"):
            return "istio-agent"
        if scope in ISTIOD_SCOPES:
            return "istiod"
    said = _family_by_message(scope, message)
    if said is not None:
        return said
    found = (template or _Lookup(message, True)).get()
    program = template_binary(found if found is not None else cut_template(message))
    if program in ("istiod", "istio-agent"):
        return program
    if source is not None:
        if source.kind == "istiod" or source.container == "discovery":
            return "istiod"
        if source.kind in _SOURCE_AGENT_KINDS or source.container == "istio-proxy":
            return "istio-agent"
    if (
        scope is None
        and found is not None
        and found.binary == "istio-agent|istiod"
        and template_binary(replace(found, binary="istio-agent")) is not None
    ):
        # an unscoped message both programs print (a helper package they share: pkg/util's address lookup of
        # Istio 0.x), with no source to tell: a sidecar's log, where every pod's agent prints it, is the likelier
        # paste (a scoped one -- ads, the xDS server both run -- is istiod's far more often)
        return "istio-agent"
    if message.startswith("All caches have been synced up"):
        # the xDS server's start (pilot/pkg/xds): istiod's and the agent's SDS server's alike, told apart by the
        # source only; with none, a sidecar's log, where the agent prints it at each start, is the likelier paste
        return "istio-agent"
    return "istiod"


# the bootstrap file the agent writes for Envoy and names when it starts it (0.x "Envoy starting: [-c
# /etc/envoy/envoy-rev0.json …]", 1.x "Envoy command: [-c etc/istio/proxy/envoy-rev.json …]")
_BOOTSTRAP_ARG = r"-c /?etc/(?:istio/proxy|envoy)/envoy-rev"
_AGENT_BOOTSTRAP = re.compile(_BOOTSTRAP_ARG + r"\d*\.json\b")

# what only the agent has: its status port (15020), its health port (15021) and its DNS proxy (15053) served
# ("accept tcp [::]:15020: …"; istiod only dials them), the DNS proxy's own errors ("DNS error ;; opcode …"),
# and the cloud metadata server the agent's platform detection asks (169.254.169.254, metadata.google.internal).
_AGENT_HINT = re.compile(
    r"(?:accept|listen) (?:tcp|udp)\S* \S*:150(?:20|21|53)\b|^DNS error\b|\bdns proxy\b"
    # the pod's resolver file: the agent's DNS proxy and its zone lookup read it, istiod serves no pod's DNS
    # ("Failed to load the zone name of the pod from resolv.conf", a 1.28 sidecar)
    r"|\bresolv\.conf\b"
    # the unix sockets the agent (and 1.1-1.5's node agent) serves SDS and xDS to its Envoy on
    # ("read unix /var/run/sds/uds_path->@: …", "./var/run/secrets/workload-spiffe-uds/socket", "etc/istio/proxy/XDS"),
    # and its SDS server by name ("SDS grpc server for workload proxies started")
    r"|/var/run/sds/|/workload-spiffe-uds/socket\b|\betc/istio/proxy/(?:SDS|XDS)\b|^SDS grpc server\b|"
    + _AGENT_BOOTSTRAP.pattern
    +
    # the platform probe at the agent's start (pkg/bootstrap/platform: AWS's IMDS token, "token is empty, will
    # fallback to IMDSv1") and 0.8-1.0's locality guess ("Availability zone not set, proxy will default to not
    # using zone aware routing.")
    r"|\bIMDSv[12]\b|\bzone aware routing\b"
    # 1.4-1.5's pkg/envoy names the Envoy it runs by its name and epoch (instance.go logID: "Envoy 'envoy' (epoch 0)
    # Aborting: context canceled")
    r"|^Envoy '[^'\n]{0,100}' \(epoch \d{1,9}\)"
    # a client of istiod's xDS or CA port ("grpc: addrConn.createTransport failed to connect to
    # {istiod.istio-system.svc:15012  <nil> 0 <nil>}"): istiod serves those ports, the agent dials them
    r"|\b(?:connect(?:ing)? to|dial(?:ing)?(?: tcp)?) \{?[\w.-]{0,100}istiod[\w.-]{0,100}:150(?:10|12)\b"
    r"|169\.254\.169\.254|metadata\.google\.internal"
    # (the metadata paths say it with the address redacted: Azure's, AWS's and GCP's instance metadata)
    r"|/metadata/instance\?api-version=|/latest/meta-data/|/computeMetadata/v1/"
)
# the DNS proxy's word on its upstream (pkg/dns/client/dns.go: "upstream failure: %v" naming the resolver's port 53,
# "parallel querying upstream failure: %v", "upstream response for hostname %q : %v")
_DNS_UPSTREAM = re.compile(
    r"(?:parallel querying )?upstream failure: .{0,300}?:53\b|upstream response for hostname \"[^\"]{1,260}\" : "
)
_DNS_SERVER_FAILURE = re.compile(r"status: (?:SERVFAIL|REFUSED)\b")
# the agent failing to resolve istiod itself (its xDS proxy and CA client dial "istiod.<ns>.svc"): Go's resolver
# error, "lookup istiod.istio-system.svc on 10.96.0.10:53: read udp …: connection refused"
_ISTIOD_LOOKUP = re.compile(r"\blookup istiod[\w.-]{0,120} on \S{1,60}:53: ")
_UNKNOWN_SCOPE = re.compile(r"unknown scope '([\w/ .-]{1,60})' specified")


def _scope_refused_by(message: str) -> str | None:
    """pkg/log refusing a scope named in --log_output_level: the program that prints it has no such scope -- a scope
    only the agent has was asked of istiod, one only istiod has of the agent; a scope both have, or neither, was most
    likely asked of the sidecar (its level is what the proxy annotations and proxyComponentLogLevel set)."""
    match = _UNKNOWN_SCOPE.match(message)
    if match is None:
        return None
    scope = match.group(1)
    if scope in AGENT_SCOPES and scope not in ISTIOD_SCOPES:
        return "istiod"
    return "istio-agent"


def _family_by_message(scope: str | None, message: str) -> str | None:
    if scope is None and message.startswith(("ADS: ", "SDS: ", "XDS: ")):
        said = _ads_family(message)  # a message alone may be one of the ads scope's: the same words say whose
        if said is not None:
            return said
    if scope in (None, "default"):
        if message.startswith(("FLAG: ", "unknown flag: ", "Error: unknown flag: ", "flag provided but not defined: ")):
            return _flag_family(message)
        if message.startswith("Version ") or message == "starting" or message.startswith(_AGENT_WAITING):
            return "istio-agent"  # pilot-discovery says "version: ..."; pkg/envoy's agent says a bare "starting"
        if message.startswith(_AGENT_PREFIXES) or _resource_prefixed(message):
            return "istio-agent"
        if message.startswith(_ISTIOD_PREFIXES):
            return "istiod"
        if (
            _AGENT_HINT.search(message, 0, 300) is not None
            or _DNS_UPSTREAM.match(message) is not None
            or _ISTIOD_LOOKUP.search(message, 0, 300) is not None
        ):
            return "istio-agent"
        if message.startswith("unknown scope '"):
            return _scope_refused_by(message)
        if "istio.io/istio/" in message[:300]:
            # the line names its own source file (klog's reflector: "istio.io/istio/security/pkg/nodeagent/…go:150:")
            program = program_in(message)
            if program in ("istiod", "istio-agent"):
                return program
        return None
    return _ads_family(message) if scope == "ads" else None


def _resource_prefixed(message: str) -> bool:
    """The agent's secret cache and SDS server name the certificate first (security/pkg/nodeagent/cache
    cacheLogPrefix: ``resource:default new connection``, ``resource:ROOTCA pushed root cert to proxy``): such a
    message, when the rest is one of the agent's templates."""
    if not message.startswith("resource:") or _SDS_RESOURCE.match(message) is None:
        return False
    found = match_template(message)
    return found is not None and "istio-agent" in found.binary and not found.segments[0]


# the names the agent's SDS serves: the workload's certificate and root, file-mounted ones, a gateway's credential
_SDS_RESOURCE = re.compile(
    r"resource:(?:default|ROOTCA|file-(?:cert|root):\S{1,300}|(?:kubernetes|sds)://\S{1,300}) "
    r"(?:request:[\w-]{1,64} )?\S"
)


def _ads_family(message: str) -> str | None:
    """Whose a message of the ``ads`` scope is: the agent's SDS server prints some of istiod's xDS messages."""
    if message.startswith(('ADS: "@"', 'ADS: ""')):
        return "istio-agent"  # a peer on a unix socket: Envoy at the agent's local xDS server, not istiod's
    if message.startswith("SDS: PUSH") and "cached:" not in message:
        return "istio-agent"  # the agent's SDS server; istiod's gateway secrets say cached:n/m
    if message.startswith("SDS: push ") and _SDS_PUSHED.match(message) is not None:
        # the 1.1-1.4 node agent's "SDS: push key/cert pair …", "… certificate chain <PEM> to proxy connection: …"
        # (pasted as the PEM's first physical line too, blind set holdout156)
        return "istio-agent"
    if message.startswith("XDS: ") and message.endswith("Version:"):
        return "istio-agent"  # the agent's SDS server pushes without a push-context version
    if message.startswith("ADS: ") and _COUNTER_NODE.search(message, 0, 200) is not None:
        # "ADS: new connection for node:2": a proxy with no id of its own is Envoy at the agent's local SDS server
        # (istiod names each proxy by its pod: "node:productpage-v1-….default-12")
        return "istio-agent"
    if message.startswith("XDS: ") and _PUSH_CONTEXT.search(message, 0, 300) is not None:
        return "istiod"  # a push of istiod's push context, named by its version ("Incremental Pushing:<time>/12")
    return None


# the version istiod gives each push context: its time and a counter ("2021-02-09T16:18:55Z/12")
_PUSH_CONTEXT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/\d{1,9}\b")


_COUNTER_NODE = re.compile(r"\bnode:\d{1,9}(?:\s|$)")


# ============================================================================ classification
_DEBOUNCE = re.compile(
    r"Push debounce stable\[(\d+)\] (\d+)(?: for (?:config (\S+?)(?: and (\d+) more configs?)?|reason (.+?)))?: "
    r"(\S+) since last change, (\S+) since last push(?:, (full|forced)=(true|false))?"
)
_DEBOUNCE_START = re.compile(r"Push debounce stable\[(\d+)\] (\d+)(?: for (?:config (\S+)|reason \S))?")
_PUSH_FIELD = re.compile(r"(Services|ConnectedEndpoints|Version|Pushing):(\S*)")
_TYPE_PUSH = re.compile(
    r"(?:ADS: )?([A-Z]{2,4}|[A-Za-z]+\.[\w.]+): (PUSH(?: INC)?)(?: request)?(?: [\w:]+)? for node: ?(\S+)(.*)", re.S
)
# lines of the multi-line "Push Status: {...}" / "Push finished: ... {" JSON dump (pilot's ProxyStatus)
# (a proxy's message there names the conflict: "Listener=…", "Duplicate cluster <name> found while pushing CDS" --
# pilot/pkg/networking/core/v1alpha3/cluster.go -- "Duplicate domain …")
_PUSH_STATUS = re.compile(
    r'"(?:ProxyStatus": \{|pilot_[a-z_]{3,80}": \{|message": "(?:Listener=|Duplicate (?:cluster|domain) ))'
)
_OLD_TYPE_PUSH = re.compile(r"([A-Z]{2,4}): PUSH (\S+) for (\S+)")
_COUNT = re.compile(r"\b(resources|clusters|listeners|routes|endpoints):(\d+)")
# the NACK: "ADS:<TYPE>: ACK ERROR <conn> <code>:<error>"; Istio 1.6-1.7's generator path
# (pilot/pkg/{proxy/envoy/v2,xds}/gen2.go) leaves the type out: "ADS: ACK ERROR <conn> <code>:<error>" --
# the same rejection, so the type is optional
# (a paste may end at "ACK ERROR", the proxy and its error cut off)
_ACK_ERROR = re.compile(r"ADS:(?:(\w+):)? ACK ERROR(?: (.*)|\s*$)", re.S)
# "Failed to authenticate client from <addr>: <why>" (older: no colon, or a Go struct),
# "Unauthorized XDS: <addr> with identity <ids>: <err>"
_REFUSED = re.compile(
    r"(?:Failed to authenticate client(?: from (?P<from>\S+?):?(?= )| &\{(?P<struct>\[?[^\s\]]*+\]?(?::\d+)?))?"
    r"|Unauthorized XDS: (?:(?P<peer>\S+) with identity (?P<identity>.*?): ))\s*(?P<error>.*)",
    re.S,
)
_REQ = re.compile(r"ADS:(\w+): REQ (\S+)")
# MCP's NACKs: "MCP: sending NACK for nonce=…", "MCP: connection …: NACK collection=…", "… STALE NACK …"
_MCP_NACK = re.compile(r"^MCP: .*\bNACK\b")
_NODE_ID = re.compile(r"(?:[a-z]+~[^~\s]*~[^~\s]+~\S+|[\w.:-]+-\d+)")
_SERVICE_EVENT = re.compile(r"\b(new|added|add|deleted|delete|removed|remove)\s+(service|workload)\s+(\S+)", re.I)
_HANDLING = re.compile(r"Handling event (\w+) for (pod|service|endpoint|node)s? (\S+)(?: in namespace (\S+))?")
_FAILURE_WORDS = (
    "fail",
    "error",
    "unable",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "invalid",
    "denied",
    "forbidden",
    "refused",
    "timeout",
    "timed out",
    "exceeded",
    "not ready",
    "panic",
    "rejected",
    "out of memory",
    "killed",
)
_WEBHOOK_CONFIG = "webhookconfigurations.admissionregistration.k8s.io"
# client-go's request trace as klog prints it: "GET https://… 404 Not Found in 1 milliseconds"
_KLOG_REQUEST = re.compile(r"(?:GET|POST|PUT|PATCH|DELETE|LIST|WATCH) \S+ ([1-5]\d\d)\b[^\n]{0,40} in \d+ milliseconds")
_STARTED = re.compile(
    r"(?:Start(?:ing|ed)?|start(?:ing|ed)?)\b|sync complete\b"
    r"|.*(?: has started| starts, listening| kube client started$|cache synced in |caches have been synced| is ready$"
    r"| started$)",
)
# a start that did not happen ("SDS grpc server could not be started", "… not started", "… failed to start")
_NOT_STARTED = re.compile(r"\b(?:not|never|cannot|can't|couldn't|failed to|unable to)\b(?: \w+){0,2} start")


def _started(message: str) -> bool:
    """A message saying something of the program's started (and not that it could not be)."""
    return _STARTED.match(message) is not None and _NOT_STARTED.search(message, 0, 300) is None


# client-go's leader elector, forked into pilot/pkg/leaderelection/k8sleaderelection and logging through klog (the
# operator's and older istiod's under the default scope): its messages name a lease or a lock, not a leader
_ELECTOR = (
    "Failed to update lock",
    "Failed to release lock",
    "failed to renew lease ",
    "failed to acquire lease ",
    "successfully acquired lease ",
    "successfully renewed lease ",
    "error retrieving resource lock ",
    "error initially creating leader election record",
)


def _failing(lowered: str) -> bool:
    """Words of a failure, unless the line says what it did instead ("cannot load key pair, using token
    instead", "falling back to …"): a fallback taken is a warning, not a failure."""
    return any(word in lowered for word in _FAILURE_WORDS) and not FALLBACK.search(lowered)


# a warning that says what it did instead took a fallback (detect's words rule uses it too)
# (Envoy's "Unable to use runtime singleton for feature …", printed at warning by 1.9-era builds, is the same:
# the compiled default is used instead) -- a fallback taken ("using token instead", "falling back to", "will fallback
# to IMDSv1"), not one looked for: "Cannot find secret X, searching for fallback secret gateway-fallback" is a gateway
# without its credential, a failure
FALLBACK = re.compile(
    r"(?i)\binstead\b|\bfall(?:ing|s)? back\b|\bfell back\b|\bfallback to\b|\busing (?:the |a )?fallback\b"
    r"|\bruntime singleton\b|\bcontinu(?:e|es|ing) anyways?\b"
    # (pkg/env's "Invalid environment variable value `gcp` defaulting to …": a default taken, blind set holdout171)
    r"|\bdefaulting to\b(?! (?:disable|plaintext|insecure|none)\b)"
)


# what the CA's scopes say when a step of theirs is done ("Loaded SPIFFE trust bundle for: …", "Added 1 certs to trust
# domain cluster.local in peer cert verifier", "Generated new root certificate")
_CA_DONE = ("Loaded ", "Added ", "Generated ", "Signed ", "Created ", "Updated ", "Rotated ")


def _outcome_by_level(severity: str, lowered: str) -> str:
    """``failure`` for an error, and for a warning that says something failed; else ``unknown`` -- but for a panic
    recovered, whatever level the logger that reported it gave (Go's net/http and http2 servers log "http2: panic
    serving <peer>: runtime error: …" through the standard logger, which Istio relays at info)."""
    if severity == "error" or (severity == "warning" and _failing(lowered)) or _PANIC.search(lowered, 0, 200):
        return "failure"
    return "unknown"


_PANIC = re.compile(r"\bpanic(?: serving\b|: )")


def _push_attrs(attrs: dict[str, Any], match: re.Match[str]) -> None:
    attrs["istio.push.id"] = int(match.group(1))
    attrs["istio.push.config_count"] = int(match.group(2))
    if match.group(3):
        attrs["istio.push.config"] = match.group(3)
    if match.group(4):
        attrs["istio.push.more_configs"] = int(match.group(4))
    if match.group(5):
        attrs["istio.push.reason"] = match.group(5)
    attrs["istio.push.since_change"] = match.group(6)
    attrs["istio.push.since_push"] = match.group(7)
    if match.group(8) == "full":
        attrs["istio.push.full"] = match.group(9) == "true"
    elif match.group(8) == "forced":
        attrs["istio.push.forced"] = match.group(9) == "true"


def _proxy_in(text: str) -> str | None:
    tokens = text.split(" ", 8)[:8]
    for token in tokens:
        token = token.strip('"')
        if "~" in token and _NODE_ID.fullmatch(token):
            return token
    for token in tokens:
        token = token.strip('"')
        if _NODE_ID.fullmatch(token) and not token[0].isdigit():
            return token
    return None


def _xds_push(who: str, message: str, severity: str, attrs: dict[str, Any], time: str | None) -> Parsed | None:
    """The push family of messages (debounce, XDS: Pushing, per-type PUSH, Pushing <node>, Push finished)."""
    debounce = _DEBOUNCE.match(message[:4096])
    if debounce:
        _push_attrs(attrs, debounce)
        what = debounce.group(3) or f"{debounce.group(2)} change(s)"
        more = f" and {debounce.group(4)} more" if debounce.group(4) else ""
        if debounce.group(5):
            more += f" ({debounce.group(5)})"
        if debounce.group(8) == "full":
            kind = "full push" if debounce.group(9) == "true" else "incremental push"
        else:
            kind = "forced push" if debounce.group(9) == "true" else "push"
        return Parsed(
            time, "config", "change", False, severity, "xds.push", f"{who} debounced {what}{more}: {kind}", attrs
        )
    cut = _DEBOUNCE_START.match(message[:600]) if message.startswith("Push debounce stable[") else None
    if cut:  # the same, cut before its timings (a paste's "…", a terminal's width): a push all the same
        what = (cut.group(3) or f"{cut.group(2)} change(s)").rstrip(":.…")
        return Parsed(time, "config", "change", False, severity, "xds.push", f"{who} debounced {what}", attrs)
    if message.startswith("Full push") and not message.startswith("Full push, new service"):
        # istiod 1.5-1.8 (xds/eds.go): "Full push, service accounts changed, <host>" — a full push was
        # triggered ("Full push, new service <host>" is a service added: service.add)
        attrs["istio.push.full"] = True
        return Parsed(time, "config", "change", False, severity, "xds.push", f"{who}: {clip(message, 160)}", attrs)
    if message.startswith("XDS") and "Pushing" in message[:40]:
        # "XDS: Pushing:2022-...Z/94 Services:6 ConnectedEndpoints:3  Version:..." (<=1.21),
        # "XDS: Pushing Services:26 ConnectedEndpoints:0 Version:..." / "XDS: Incremental Pushing ..." (1.22+),
        # "XDS:EDSInc Pushing:... Services:map[...] ConnectedEndpoints:146" (1.7)
        found = dict(_PUSH_FIELD.findall(message[:400]))
        version = found.get("Version") or found.get("Pushing")
        if version:
            attrs["istio.push.version"] = version
        for key, name in (
            ("Services", "istio.push.services"),
            ("ConnectedEndpoints", "istio.push.connected_endpoints"),
        ):
            if key in found and found[key].isdigit():
                attrs[name] = int(found[key])
        attrs["istio.push.full"] = "Incremental" not in message[:40] and "EDSInc" not in message[:40]
        proxies = attrs.get("istio.push.connected_endpoints", "?")
        kind = "full" if attrs["istio.push.full"] else "incremental"
        return Parsed(
            time,
            "config",
            "change",
            False,
            severity,
            "xds.push",
            f"{who} {kind} push of version {version or '?'} to {proxies} proxies",
            attrs,
        )
    typed = _TYPE_PUSH.match(message)
    if typed:
        xds_type, kind, node, tail = typed.groups()
        attrs["istio.xds.type"] = xds_type
        attrs["istio.proxy"] = node
        counts = dict(_COUNT.findall(tail[:300]))
        count = counts.get("resources") or counts.get("clusters") or counts.get("listeners") or counts.get("routes")
        if count:
            attrs["istio.xds.resources"] = int(count)
        resource = re.search(r"\bresource:(\S+)", tail[:1000])
        if resource:
            attrs["istio.sds.resource"] = resource.group(1)
        if kind == "PUSH INC":
            attrs["istio.push.full"] = False
        if xds_type == "SDS" and who == "istio-agent":
            return Parsed(
                time,
                "auth",
                "success",
                False,
                severity,
                "sds.push",
                f"istio-agent pushed secret {attrs.get('istio.sds.resource', '?')} to Envoy ({node})",
                attrs,
            )
        return Parsed(
            time,
            "config",
            "change",
            False,
            severity,
            "xds.push",
            f"{who} pushed {xds_type} to {node} ({count or '?'} resources)",
            attrs,
        )
    old = _OLD_TYPE_PUSH.match(message)
    if old:
        attrs["istio.xds.type"], attrs["istio.push.version"] = old.group(1), old.group(2)
        attrs["istio.proxy"] = old.group(3)
        summary = f"{who} pushed {old.group(1)} to {old.group(3)}"
        return Parsed(time, "config", "change", False, severity, "xds.push", summary, attrs)
    if message.startswith("Pushing "):
        node = message[8:].split(" ", 1)[0]
        if "~" in node or _NODE_ID.fullmatch(node):
            attrs["istio.proxy"] = node
            return Parsed(time, "config", "change", False, severity, "xds.push", f"{who} pushing to {node}", attrs)
    if message.startswith("Push finished"):
        return Parsed(time, "config", "change", False, severity, "xds.push", f"{who}: {clip(message, 160)}", attrs)
    return None


_INJECTOR_INVALID = "(check Istio sidecar injector configuration)"
_CONFIG_PIPELINE = ("Pod injection failed", "Reconciling IstioOperator", "Adding finalizer istio-finalizer")
_MIXER_CONFIG = ("Built new config.Snapshot", "Handler not found: handler=", "Unable to initialize adapter: ")


def _floor_warning(severity: str) -> str:
    return severity if severity in ("warning", "error", "critical") else "warning"


# a remote cluster (its secret) added, updated or removed: "Adding cluster_id=…", 1.2x's "Add cluster" with labels
_REMOTE_CLUSTER = (
    "Adding new cluster member",
    "Deleting cluster",
    "Delete cluster",
    "Update cluster",
    "Adding cluster",
    "Add cluster",
    "Removing cluster",
    "Remove cluster",
)
# Istio 1.0's secret controller, the remote cluster's secret deleted (istio/istio#8554): its registry removed
_REGISTRY_DELETED = re.compile(r"Registry for the cluster \S{1,253} has been deleted\.?$")


def classify_istiod(time: str | None, level: str, scope: str | None, message: str, attrs: dict[str, Any]) -> Parsed:
    """What an istiod line means."""
    severity = severity_of(level) if level else "info"
    text = clip(message, 180)
    pushed = _xds_push("istiod", message, severity, attrs, time)
    if pushed is not None:
        return pushed
    if message.startswith("ADS:"):
        return _ads(time, severity, message, attrs, "istiod")
    if message.startswith('"') and _PUSH_STATUS.match(message):
        # a conflict report ("Listener=... RejectedTCP=...") is istiod dropping part of the config
        outcome = "failure" if "Rejected" in message or '"Duplicate ' in message else "unknown"
        return Parsed(time, "config", outcome, False, severity, "xds.push_status", f"istiod push status: {text}", attrs)
    if message.startswith(("Failed to authenticate client", "Unauthorized XDS", *_AUTHENTICATORS)):
        refused = _REFUSED.match(message[:4000])
        if refused:
            peer = refused.group("from") or refused.group("struct") or refused.group("peer")
            if peer:
                attrs["client.address"] = peer.strip('"')
            if refused.group("identity"):
                attrs["istio.identity"] = refused.group("identity")
            attrs["error.message"] = refused.group("error")
        return Parsed(
            time,
            "auth",
            "deny",
            True,
            "error" if severity == "error" else "warning",
            "xds.unauthorized",
            # (an authenticator's refusal alone may be the CA's, refusing a certificate request)
            f"istiod refused a client's credentials: {text}"
            if message.startswith(_AUTHENTICATORS)
            else f"istiod refused an xDS client: {text}",
            attrs,
        )
    if message.startswith("Authenticated XDS"):
        return Parsed(time, "auth", "success", False, severity, "xds.authenticated", f"istiod: {text}", attrs)
    if message.startswith(_MIXER_CONFIG):
        # Mixer and Galley (1.0 .. 1.7) reading the mesh's config: a new snapshot is a change; a rule naming a
        # handler that does not exist is invalid config; an adapter that will not start is a config failure
        if message.startswith("Built new config.Snapshot"):
            return Parsed(time, "config", "change", False, severity, "config.snapshot", f"istiod: {text}", attrs)
        invalid = message.startswith("Handler not found")
        action = "config.invalid" if invalid else "config.event"
        return Parsed(time, "config", "failure", invalid, _floor_warning(severity), action, f"istiod: {text}", attrs)
    if "failed calling webhook" in message[:300] or message.startswith(_CONFIG_PIPELINE):
        # the API server could not reach istiod's validation or injection webhook, an injection template that does
        # not apply, the operator reconciling an IstioOperator: the mesh's config not being applied as asked
        failed = severity in ("error", "critical") or "failed" in message[:80]
        outcome = "failure" if failed else ("change" if message.startswith("Adding finalizer") else "unknown")
        return Parsed(time, "config", outcome, False, severity, "config.event", f"istiod: {text}", attrs)
    if message.startswith("Istio secret for service account") and message.endswith("has been deleted"):
        # Citadel (1.0 .. 1.4) deleting a service account's key and certificate secret: an identity's credentials
        return Parsed(time, "auth", "change", False, severity, "cert.rotate", f"istiod: {text}", attrs)
    lowered = message.lower()
    if "webhook-always-reject" in message:
        # istiod's own start-up probe of its validation webhook, not a user's config
        return Parsed(time, "other", "success", False, severity, "istiod.webhook_probe", f"istiod: {text}", attrs)
    if (
        lowered.startswith("configuration is invalid")
        or ("admission webhook" in lowered and "denied" in lowered)
        or (scope == "validationServer" and ("invalid" in lowered or "failed to validate" in lowered))
    ):
        return Parsed(
            time,
            "config",
            "deny",
            True,
            "error" if severity == "error" else "warning",
            "config.invalid",
            f"istiod rejected invalid config: {text}",
            attrs,
        )
    if scope in ("validationController", "validationServer") or attrs.get("istio.controller") == "validation":
        if "successfully rejected invalid config" in lowered or lowered.startswith("updated webhook"):
            outcome = "success"
        elif severity in ("info", "debug") and _WEBHOOK_CHANGED.match(lowered):
            outcome = "change"  # the webhook's configuration rewritten (failurePolicy switched, caBundle patched)
        elif severity == "warning" and "webhookconfiguration" in lowered and lowered.endswith("not found"):
            outcome = "failure"  # the webhook configuration it keeps is gone: validation is not enforced
        else:
            outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "config", outcome, False, severity, "webhook.controller", f"istiod: {text}", attrs)
    if scope in ("gateway", "gatewaycommon", "gateway deployment", "waypoint proxy"):  # (the last: 2022's ambient)
        return _gateway(time, severity, message, lowered, attrs)
    if scope == "krt":
        if message.endswith(" synced") or " synced (uid " in message:
            return Parsed(time, "config", "success", False, severity, "krt.synced", f"istiod: {text}", attrs)
        outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "config", outcome, False, severity, "krt.event", f"istiod: {text}", attrs)
    if message.startswith("Handling event "):
        handled = _HANDLING.match(message)
        if handled:
            attrs["k8s.event"] = handled.group(1)
            attrs[f"k8s.{handled.group(2)}.name"] = handled.group(3)
            if handled.group(4):
                attrs["k8s.namespace.name"] = handled.group(4)
        return Parsed(time, "config", "change", False, severity, "k8s.event", f"istiod: {text}", attrs)
    service = _SERVICE_EVENT.search(message[:300])
    if service:
        verb = service.group(1).lower()
        kind = service.group(2).lower()
        action = f"{kind}.{'add' if verb in ('new', 'added', 'add') else 'delete'}"
        attrs[f"istio.{kind}"] = service.group(3)
        return Parsed(time, "config", "change", False, severity, action, f"istiod: {text}", attrs)
    if message.startswith(_REMOTE_CLUSTER) or _REGISTRY_DELETED.match(message):
        action = {"A": "cluster.add", "D": "cluster.delete", "R": "cluster.delete", "U": "cluster.update"}[message[0]]
        return Parsed(time, "config", "change", False, severity, action, f"istiod: {text}", attrs)
    if "has no endpoints" in message:
        # "Incremental push, service … has no endpoints": a push all the same (of an empty endpoint set)
        outcome = "change" if message.startswith("Incremental push") else "unknown"
        return Parsed(time, "config", outcome, False, "warning", "service.no_endpoints", f"istiod: {text}", attrs)
    if message.startswith("constructed ") or "vhost" in lowered or message.startswith("Omitting listener"):
        return Parsed(time, "config", "unknown", False, severity, "config.generate", f"istiod: {text}", attrs)
    if scope in ("authorization", "authorization/rbac", "authn", "rbac"):  # (1.0 .. 1.5 logged its builder as rbac)
        if severity == "error" and (message.startswith("skipped rule ") or ", failed to process " in message[:300]):
            # (or a whole action it could not build: "Processed authorization policy for <pod>, failed to process
            # CUSTOM action: found errors in provider …" -- holdout100)
            # the builder dropped a rule it could not turn into Envoy's RBAC config (pilot/pkg/security/authz/builder:
            # "skipped rule %s: %v" at error): a policy of the mesh that does not take effect as written -- invalid
            # config (on a TCP filter chain the same words are debug and expected: HTTP fields do not apply there)
            return Parsed(time, "config", "failure", True, severity, "config.invalid", f"istiod: {text}", attrs)
        outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "config", outcome, False, severity, "authz.policy", f"istiod: {text}", attrs)
    if scope == "mcp":
        if _MCP_NACK.search(message[:200]):
            # the MCP sink (pilot, Galley; Istio 1.1-1.8) refusing the config it was sent ("MCP: sending NACK
            # for nonce=6: error=\"... desc = sidecar: the egress listener with empty port should be the last
            # listener\"", istio#12474): a rejected config, as an xDS NACK is -- decided here, where the
            # mcp scope would otherwise say "stream trouble"
            error = message.partition("error=")[2].strip('"')
            if error:
                attrs["error.message"] = error
            summary = f"istiod's MCP sink rejected config: {clip(error or message, 140)}"
            level_of = "error" if severity == "error" else "warning"
            return Parsed(time, "config", "failure", True, level_of, "xds.reject", summary, attrs)
        # a sink stream created, a collection ACKed: the config flows; a watch created says nothing yet
        if ("created" in lowered and "watch" not in lowered) or " ACK collection=" in message:
            outcome = "success"
        else:
            outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "config", outcome, False, severity, "mcp.stream", f"istiod: {text}", attrs)
    if message.startswith(_ELECTOR) or (
        "leader" in lowered and ("lease" in lowered or "election" in lowered or "lock" in lowered)
    ):
        if severity == "error" or message.startswith(("Failed", "failed", "error ")):
            outcome = "failure"  # (client-go's elector says "failed to renew lease" at info: leadership lost)
        elif "obtained" in lowered or "acquired" in lowered or "renewed" in lowered:
            outcome = "success"
        else:
            outcome = "unknown"
        return Parsed(time, "other", outcome, False, severity, "leader.election", f"istiod: {text}", attrs)
    if scope in ("pkica", "pkira", "serverca", "rootcertrotator", "secretcontroller", "trustBundle", "spiffe"):
        if "authenticat" in lowered and _failing(lowered):
            return Parsed(time, "auth", "deny", True, severity, "ca.unauthenticated", f"istiod CA: {text}", attrs)
        outcome = _outcome_by_level(severity, lowered)
        if outcome == "unknown" and (message.startswith(_CA_DONE) or "successfully" in lowered):
            outcome = "success"  # a bundle loaded, certificates added to a trust domain, a certificate signed
        return Parsed(time, "auth", outcome, False, severity, "ca.event", f"istiod CA: {text}", attrs)
    if severity in ("info", "debug") and _started(message):
        return Parsed(time, "other", "success", False, severity, "component.start", f"istiod: {text}", attrs)
    if scope == "controllers" and attrs.get("istio.controller"):
        if severity in ("info", "debug") and message.startswith("starting"):
            return Parsed(time, "other", "success", False, severity, "component.start", f"istiod: {text}", attrs)
        outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "config", outcome, False, severity, "config.controller", f"istiod: {text}", attrs)
    if message.startswith("FLAG: "):
        return Parsed(time, "other", "unknown", False, severity, "process.flag", f"istiod: {text}", attrs)
    if scope == "klog" and (trace := _KLOG_REQUEST.search(message[:2000])) is not None:
        failed = int(trace.group(1)) >= 400
        return Parsed(
            time, "other", "failure" if failed else "success", False, severity, "istiod.klog", f"istiod: {text}", attrs
        )
    if scope == "klog" and _failing(lowered):
        # (istiod writing its own webhook configurations -- the CA bundle it patches in, a conflict on the write --
        # is config of the mesh's admission, not client-go's chatter)
        category = "config" if _WEBHOOK_CONFIG in lowered else "other"
        return Parsed(time, category, "failure", False, severity, "istiod.klog", f"istiod: {text}", attrs)
    # (a "kube" scope failure to reach the Kubernetes API -- "failed to list CRDs: … x509" -- is not config's, nor
    # the WorkloadEntry controller's own: "unable to derive WorkloadEntry for health update")
    # ("ior": Maistra's istiod turning Gateways into OpenShift Routes -- a gateway it could not process is config's)
    if scope in ("status", "ads", "delta", "model", "controllers", "serviceentry", "file", "push", "ior") or (
        scope == "kube" and not _KUBE_API_FAILURE.search(message[:300])
    ):
        outcome = _outcome_by_level(severity, lowered)
        if outcome == "failure":
            action = f"istiod.{action_word(scope)}"
            return Parsed(time, "config", "failure", False, severity, action, f"istiod: {text}", attrs)
    outcome = _outcome_by_level(severity, lowered)
    if _CONFIG_BUILD.match(message):
        # pilot building a proxy's config and finding the mesh's config wanting (a gateway's route naming no
        # server, a service's port no manifest names): config, whatever scope printed it (1.0-1.4 printed none)
        return Parsed(time, "config", outcome, False, severity, "istiod.config_build", f"istiod: {text}", attrs)
    if scope in ("ads", "delta") and _ADS_DISTRIBUTION.search(message[:200]):
        # the xDS server's own chatter about what it sends ("InitContext … for push took", "Skipping push to
        # …", "EDS: no instances …", 0.8's "CDS: PUSH for { router … }"): config distribution
        if _PUSH_FOR.search(message):
            outcome = "change"
        action = f"istiod.{action_word(scope)}"
        return Parsed(time, "config", outcome, False, severity, action, f"istiod: {text}", attrs)
    return Parsed(time, "other", outcome, False, severity, f"istiod.{action_word(scope)}", f"istiod: {text}", attrs)


_KUBE_API_FAILURE = re.compile(r"^failed to (?:list|watch|get) |\bforbidden\b|\bx509\b|connection refused|i/o timeout")
_WEBHOOK_CHANGED = re.compile(r"successfully (?:updated|patched|deleted|created) (?:validating|mutating)webhook")
# pilot/pkg/networking/core/v1alpha3 (gateway.go "buildGatewayRoutes: could not find server for routeName %s,
# have %v"), pilot/pkg/serviceregistry ("Failed to find port for service %s: %v"), pilot/pkg/proxy/envoy/v2
# ("Configuration not synced: first push for %s")
_CONFIG_BUILD = re.compile(
    r"build\w{0,40}(?:Routes?|Listeners?|Clusters?|Gateways?|Filters?|Chains?): |Failed to find port for service "
    r"|Configuration not synced: "
)
_ADS_DISTRIBUTION = re.compile(r"(?i)\bpush(?:es|ing)?\b(?! status)|\b[CLER]DS\b|\bxDS\b")
_PUSH_FOR = re.compile(r"^[CLER]DS: PUSH (?:\S+ )?for\b|^Pushing\b|, pushing$")


def _ads(time: str | None, severity: str, message: str, attrs: dict[str, Any], who: str) -> Parsed:
    """``ADS: ...`` and ``ADS:<TYPE>: ...`` lines: NACKs, requests, connections."""
    text = clip(message, 180)
    ack = _ACK_ERROR.match(message)
    if ack:
        xds_type, rest = ack.group(1), ack.group(2) or ""
        if xds_type:
            attrs["istio.xds.type"] = xds_type
        proxy = _proxy_in(rest)
        if proxy:
            attrs["istio.proxy"] = proxy
        start = rest.find("Internal:")
        error = rest[start:] if start >= 0 else rest
        attrs["error.message"] = error
        return Parsed(
            time,
            "config",
            "failure",
            True,
            "error",
            "xds.reject",
            f"proxy {proxy or '?'} rejected {xds_type or 'config'} from {who}: {clip(error, 140)}",
            attrs,
        )
    req = _REQ.match(message)
    if req:
        attrs["istio.xds.type"] = req.group(1)
        proxy = _proxy_in(message[len(req.group(0)) - len(req.group(2)) :])
        if proxy:
            attrs["istio.proxy"] = proxy
        if severity == "error":
            # a request istiod cannot serve, logged at error or fatal ("ADS:%s: REQ %s Expired nonce received
            # %s, but we never sent any nonce" is a Fatalf): the request failed, it is no successful request
            return Parsed(time, "config", "failure", False, severity, "xds.ads", f"{who}: {text}", attrs)
        return Parsed(
            time,
            "config",
            "success",
            False,
            severity,
            "xds.request",
            f"proxy {proxy or '?'} requested {req.group(1)} from {who}",
            attrs,
        )
    if message.startswith(("ADS: new connection for node:", "ADS: new delta connection for node:")):
        node = message.split("node:", 1)[1].strip()
        attrs["istio.proxy"] = node
        return Parsed(
            time, "config", "success", False, severity, "xds.connect", f"{who}: proxy {node} connected", attrs
        )
    if " terminated" in message[:400] or "Removing connection" in message[:60]:
        proxy = _proxy_in(message[5:])
        if proxy:
            attrs["istio.proxy"] = proxy
        unexpected = severity == "error" or "terminated with error" in message
        outcome = "failure" if unexpected else "unknown"
        return Parsed(time, "config", outcome, False, severity, "xds.disconnect", f"{who}: {text}", attrs)
    type_word = re.match(r"ADS:(\w+):", message)
    if type_word:
        attrs["istio.xds.type"] = type_word.group(1)
    outcome = _outcome_by_level(severity, message.lower())
    return Parsed(time, "config", outcome, False, severity, "xds.ads", f"{who}: {text}", attrs)


def _gateway(time: str | None, severity: str, message: str, lowered: str, attrs: dict[str, Any]) -> Parsed:
    """The Gateway API controller (scope ``gateway``, label ``gateway=ns/name``)."""
    text = clip(message, 180)
    name = attrs.get("istio.gateway")
    where = f" {name}" if isinstance(name, str) else ""
    if severity in ("error", "warning") and (severity == "error" or _failing(lowered)):
        return Parsed(
            time, "config", "failure", False, severity, "gateway.failure", f"istiod gateway{where}: {text}", attrs
        )
    if lowered.startswith("reconcil"):
        return Parsed(
            time, "config", "unknown", False, severity, "gateway.reconcile", f"istiod reconciling gateway{where}", attrs
        )
    if any(word in lowered for word in ("updated", "created", "patched", "deleted", "applied", "wrote", "written")) or (
        lowered.startswith(("adding ", "removing ", "deleting "))
    ):
        return Parsed(
            time, "config", "change", False, severity, "gateway.update", f"istiod gateway{where}: {text}", attrs
        )
    return Parsed(time, "config", "unknown", False, severity, "gateway.event", f"istiod gateway{where}: {text}", attrs)


# ---------------------------------------------------------------- istio-agent
_CERT = re.compile(r"generated new workload certificate")
_READY_IN = re.compile(r"Readiness succeeded in (\S+)")
_RESOURCE_PREFIX = re.compile(r"resource:(\S+) ")
_RESOURCE_NAME = re.compile(r'\(resource name: "?([^")\s]+)')
# the node agent's and the agent's SDS pushes, every wording 1.1-1.5 (security/pkg/nodeagent/sds/sdsservice.go):
# "SDS: push root cert from node agent to proxy connection: …" (1.1), "Pushed key/cert pair (resource name: …)
# from node agent to proxy connection: …" (1.2), "CONNECTION ID: …, RESOURCE NAME: …, EVENT: pushed key/cert pair
# to proxy" (1.3), "node:… resource:… pushed root cert to proxy" (1.5)
_SDS_PUSHED = re.compile(
    r"(?:SDS: push |Pushed |CONNECTION ID: .{0,300}?EVENT: pushed |node:\S+ resource:\S+ pushed )"
    r"(?:key/cert pair|root cert|certificate chain)"
)
_AUTH_SCOPES = (
    "sds",
    "ca",
    "cache",
    "citadelclient",
    "secretfetcher",
    "gcecred",
    "mockcred",
    "stsclient",
    "stsserver",
    "token",
    "googleca",
    "googlecas",
    "spiffe",
    "security",
    # the node agent's scopes before 1.5 (security/pkg/nodeagent: sdsServiceLog, secretFetcherLog, cacheLog …)
    "sdsServiceLog",
    "secretFetcherLog",
    "cacheLog",
    "citadelClientLog",
    "stsClientLog",
    "googleCAClientLog",
    "vaultClientLog",
)
_CERT_WORDS = (
    "certificate",
    "cert ",
    "certs",
    "CA ",
    "CAEndpoint",
    "SDS socket",
    "credential fetcher",
    "trust anchor",
    "key/cert",
    "root cert",
    "watchFileEvents:",  # pilot-agent 0.x-1.4's watcher of the mounted certificates (watcher.go): "…: notifying"
)


def classify_agent(time: str | None, level: str, scope: str | None, message: str, attrs: dict[str, Any]) -> Parsed:
    """What an istio-agent line means."""
    severity = severity_of(level) if level else "info"
    text = clip(message, 180)
    for key, name in (("latency", "istio.cert.latency"), ("ttl", "istio.cert.ttl"), ("resource", "istio.sds.resource")):
        if f"istio.{key}" in attrs:
            attrs[name] = attrs.pop(f"istio.{key}")
    if "istio.resourceName" in attrs:
        attrs.setdefault("istio.sds.resource", attrs["istio.resourceName"])
    if message.startswith(("Envoy proxy is ready", "Envoy is ready")) or _READY_IN.match(message):
        return Parsed(time, "other", "success", False, severity, "proxy.ready", f"istio-agent: {text}", attrs)
    if message[:1] in "up" and _DNS_UPSTREAM.match(message):
        # the DNS proxy's upstream (the cluster's DNS) failed to answer, or answered with a server failure
        failed = not message.startswith("upstream response") or _DNS_SERVER_FAILURE.search(message, 0, 400) is not None
        outcome = "failure" if failed else "unknown"
        return Parsed(time, "other", outcome, False, severity, "dns.upstream", f"istio-agent DNS proxy: {text}", attrs)
    if message.startswith("Envoy proxy is NOT ready"):
        # "… cds updates: 1 successful, 0 rejected; lds updates: 0 successful, 1 rejected": a NACK
        if "but was rejected" in message or _REJECTED_COUNT.search(message):
            return Parsed(time, "config", "failure", True, "error", "xds.reject", f"istio-agent: {text}", attrs)
        return Parsed(time, "other", "failure", False, "warning", "proxy.not_ready", f"istio-agent: {text}", attrs)
    if _CERT.search(message):
        return Parsed(
            time,
            "auth",
            "success",
            False,
            severity,
            "cert.issue",
            f"istio-agent issued a workload certificate (ttl {attrs.get('istio.cert.ttl', '?')})",
            attrs,
        )
    if message.startswith("SDS: PUSH") and "for node:" not in message[:40]:
        return Parsed(
            time,
            "auth",
            "success",
            False,
            severity,
            "sds.push",
            f"istio-agent pushed secret {attrs.get('istio.sds.resource', '?')} to Envoy",
            attrs,
        )
    if message.startswith("SDS: push key/cert pair") or (
        (message.startswith("resource:") and " pushed " in message[:60])
        or (severity not in ("error", "warning") and _SDS_PUSHED.match(message) is not None)
    ):
        resource = _RESOURCE_PREFIX.match(message) or _RESOURCE_NAME.search(message[:300])
        if resource:
            attrs["istio.sds.resource"] = resource.group(1)
        return Parsed(time, "auth", "success", False, severity, "sds.push", f"istio-agent: {text}", attrs)
    pushed = _xds_push("istio-agent", message, severity, attrs, time)
    if pushed is not None:
        return pushed
    if message.startswith("ADS:"):
        return _ads(time, severity, message, attrs, "istio-agent")
    lowered = message.lower()
    if message.startswith("resource:"):
        resource = _RESOURCE_PREFIX.match(message)
        if resource:
            attrs["istio.sds.resource"] = resource.group(1)
        if message.endswith("new connection"):
            return Parsed(time, "auth", "success", False, severity, "sds.connect", f"istio-agent: {text}", attrs)
        if "terminated" in lowered or "closed" in lowered:
            return Parsed(time, "auth", "unknown", False, severity, "sds.disconnect", f"istio-agent: {text}", attrs)
    if severity in ("warning", "error") and (
        scope in _AUTH_SCOPES or "certificate" in lowered or "cert/key" in lowered
    ):
        if severity == "error" or _failing(lowered):
            return _cert_failure(time, severity, message, text, attrs)
    if "certificate" in lowered and "fail" in lowered:
        return _cert_failure(time, severity, message, text, attrs)
    if scope == "cache" or scope == "sds":
        if message.startswith(
            (
                "returned workload",
                "read certificate",
                "Loaded root cert",
                "GenerateSecret",
                "Generated new secret",
                "Loaded ",
                "returned ",
                "generated ",
            )
        ):
            return Parsed(time, "auth", "success", False, severity, "cert.load", f"istio-agent: {text}", attrs)
        if (" has changed" in lowered and "cert" in lowered) or (
            message.startswith("event for file certificate") or "rotat" in lowered
        ):
            return Parsed(time, "auth", "change", False, severity, "cert.rotate", f"istio-agent: {text}", attrs)
    if "nack" in lowered or ("rejected" in lowered and "xds" in lowered):
        return Parsed(time, "config", "failure", True, "error", "xds.reject", f"istio-agent: {text}", attrs)
    if scope == "xdsproxy" or message.startswith("upstream terminated with"):
        return _xds_proxy(time, severity, message, lowered, attrs)
    if message.startswith("Received new config, creating new Envoy epoch"):
        return Parsed(time, "config", "change", False, severity, "proxy.config", f"istio-agent: {text}", attrs)
    if message.startswith("Envoy command:"):
        return Parsed(time, "other", "unknown", False, severity, "proxy.command", "istio-agent started Envoy", attrs)
    if severity in ("info", "debug") and (
        _started(message)
        or (message.startswith("Epoch ") and message.endswith("starting"))
        or message.startswith("Opening status port")
        or "Connectivity change to READY" in message
    ):
        return Parsed(time, "other", "success", False, severity, "component.start", f"istio-agent: {text}", attrs)
    if message.startswith("FLAG: "):
        return Parsed(time, "other", "unknown", False, severity, "process.flag", f"istio-agent: {text}", attrs)
    # ("klog": the agent's glog lines of Istio 0.x, cert.go and watcher.go among them, are read under that scope)
    if scope in _AUTH_SCOPES or (scope in (None, "default", "klog") and any(word in message for word in _CERT_WORDS)):
        outcome = _outcome_by_level(severity, lowered)
        return Parsed(time, "auth", outcome, False, severity, "cert.info", f"istio-agent: {text}", attrs)
    outcome = _outcome_by_level(severity, lowered)
    if _ISTIOD_LOOKUP.search(message, 0, 300):
        # istiod's own name did not resolve (no rule above knew the message): the agent cannot reach its control
        # plane or CA -- a failure, whatever level the quote kept
        outcome, severity = "failure", _floor_warning(severity)
    return Parsed(time, "other", outcome, False, severity, f"agent.{action_word(scope)}", f"istio-agent: {text}", attrs)


def _xds_proxy(time: str | None, severity: str, message: str, lowered: str, attrs: dict[str, Any]) -> Parsed:
    """The agent's xDS proxy between Envoy and istiod (scope ``xdsproxy``)."""
    text = clip(message, 180)
    if "certificate" in lowered:
        outcome = _outcome_by_level(severity, lowered)
        category = "auth"
        return Parsed(time, category, outcome, False, severity, "cert.info", f"istio-agent: {text}", attrs)
    if message.startswith(("Envoy ADS stream established", "connected to upstream XDS server", "connected to delta")):
        upstream = message.rsplit(" ", 1)[-1] if message.startswith("connected") else None
        if upstream:
            attrs["istio.xds.upstream"] = upstream
        return Parsed(time, "config", "success", False, severity, "xds.connect", f"istio-agent: {text}", attrs)
    if (
        severity == "error"
        or "unexpected error" in lowered
        or "send error" in lowered
        or (severity == "warning" and _failing(lowered))
    ):
        return Parsed(time, "config", "failure", False, severity, "xds.upstream_error", f"istio-agent: {text}", attrs)
    return Parsed(time, "config", "unknown", False, severity, "xds.proxy", f"istio-agent: {text}", attrs)


# ============================================================================ entry points
# Messages distinctive enough to claim without timestamp, level or scope (a fragment pasted alone).
# one authenticator's refusal out of the list a failed authentication prints (security/pkg/server/ca, pkg/security:
# "Authenticator %s: %v", "Authenticator %s at index %d got error: %v"), quoted alone (an issue's title)
_AUTHENTICATORS = tuple(
    f"Authenticator {name}"
    for name in ("ClientCertAuthenticator", "KubeJWTAuthenticator", "XfccAuthenticator", "IDTokenAuthenticator")
)
_FRAGMENT_PREFIXES = (
    "Push debounce stable[",
    "XDS: Pushing",
    "XDS: Incremental Pushing",
    "XDS:EDSInc Pushing",
    "ADS:",
    "Full push, new service",
    "Failed to authenticate client",
    "Unauthorized XDS:",
    *_AUTHENTICATORS,
    "Handler not found: handler=",
    "unknown scope '",
    *_CONFIG_PIPELINE,
    "configuration is invalid:",
    "Envoy proxy is ready",
    "Envoy proxy is NOT ready",
    "Readiness succeeded in ",
    "upstream terminated with ",
    "Received new config, creating new Envoy epoch",
    "Envoy command: [",
    "generated new workload certificate",
    "SDS: PUSH",
    "SDS: push key/cert pair",
    "Push finished: ",
    "Pushing sidecar~",
    "Pushing router~",
    "connected to upstream XDS server",
    "Envoy ADS stream established",
    "failed to create discovery service",  # pilot-discovery's last words (after cobra's "Error: ")
)


_REJECTED_COUNT = re.compile(r"\b[1-9]\d* rejected\b")
# a fragment that starts at the scope column: "ads     Push debounce stable[2] …", "xdsproxy\tconnected to …"
_SCOPE_FIRST = re.compile(r"([a-z][a-zA-Z0-9_.-]{1,30})(?:\t| {2,})(?=\S)")


def read_scope_first(message: str, single: bool = False) -> GoLine | None:
    """A fragment that starts at the scope column, read as a line without time and level: its scope,
    message and labels (``cni-agent\tremoving pod from mesh\tns=… name=…``); None when no scope leads.

    With ``single``, one space after the scope will do (a paste whose tabs became single spaces): the
    caller must then still find the message one of its program's own."""
    scoped = (_SCOPE_SPACED if single else _SCOPE_FIRST).match(message)
    if scoped is None:
        return None
    if message[scoped.end(1)] == "\t":
        line = _read_tabbed(message, None, "")
    else:
        line = _read_spaced(message, None, "", single=message[scoped.end(1) + 1] != " ")
    return line if line.scope == scoped.group(1) and line.message else None


_SCOPE_SPACED = re.compile(r"([a-z][a-zA-Z0-9_.-]{1,30})(?:\t| +)(?=\S)")


def known_message(message: str) -> bool:
    """True for a message only Istio's Go components print (claimable with nothing else to go on)."""
    if message.startswith(_FRAGMENT_PREFIXES) or _PUSH_STATUS.match(message) or _DNS_UPSTREAM.match(message):
        return True
    if _resource_prefixed(message):
        return True
    if message.startswith("FLAG: --"):
        # Cobra's flag dump is every Kubernetes program's ("FLAG: --address=…" from the kubelet), but only Istio's
        # name their flags in camelCase from their own lists ("FLAG: --proxyLogLevel=\"warning\"",
        # "FLAG: --clusterID=\"Kubernetes\""), but for names any Go server might use ("httpAddr")
        flag = _FLAG.match(message)
        if flag is None:
            return False
        name = flag.group(1)
        if name == "domain":
            return ".svc." in flag.group(2)  # the agent's "<namespace>.svc.<cluster domain>" (the kubelet's is
            # --cluster-domain)
        if name.islower() or name in _COMMON_FLAGS:
            return False
        return name in _AGENT_FLAGS or name in ISTIOD_ONLY
    if _ISTIOD_LOOKUP.search(message, 0, 300) or _AGENT_BOOTSTRAP.search(message, 0, 300):
        return True
    if "istio.io/istio/" in message[:300] and program_in(message) in ("istiod", "istio-agent"):
        return True  # (it names its own Go source, a package one program is built from)
    return _TYPE_PUSH.match(message) is not None and " for node:" in message[:40]


# what Istio's klog bridge relays only for programs other than istiod and the agent: logr's quoted pairs
# (controller-runtime's manager: '"msg"="created CertificateRequest" "identity"=…') and cert-manager's istio-csr
# naming its own lease and lock ("attempting to acquire leader lease istio-system/istio-csr...")
_FOREIGN_KLOG = re.compile(r'"msg"="|\bistio-csr\b')
# a Rust proxy's request line in the same columns (agentgateway: "info  request gateway=… listener=… route=…
# src.addr=… http.method=…", blind sets holdout142 and holdout144): Istio's Go programs write no such keys
_FOREIGN_FIELDS = re.compile(r"(?:^|\s)(?:src\.addr|dst\.addr|http\.method|http\.status|route_rule)=")


def _may_be_foreign(message: str) -> bool:
    """A cheap test every key of :data:`_FOREIGN_FIELDS` passes (most Istio lines name none of them)."""
    return ".addr=" in message or "http." in message or "route_rule=" in message


def build(
    stamp: str | None,
    level: str,
    scope: str | None,
    message: str,
    fields: dict[str, Any],
    source: Source | None,
    caller: str | None = None,
    strict: bool = False,
    column: bool = False,
    program: str | None = None,
    whole: bool = False,
) -> tuple[str, Parsed] | None:
    """The event for a line's columns; with ``strict`` (no timestamp or no level to go on) None
    unless the message is one this module knows (:func:`known_message`, or a template of istiod's or
    the agent's with fixed text enough).  ``column``: the level stands in pkg/log's own column (lower
    case, a tab or a wide gap after it), so any of their templates will do.  ``program``: whose the line
    is when the caller knows (the container a wrapper named), not what its words suggest.  ``whole``: their
    level word leads the line, so a message one of their templates explains whole will do."""
    if scope == "klog" and _FOREIGN_KLOG.search(message, 0, 400) is not None:
        return None  # another program that logs through Istio's pkg/log (istio-csr, a controller-runtime manager)
    if program is None and _may_be_foreign(message) and len(_FOREIGN_FIELDS.findall(message, 0, 1000)) >= 2:
        return None
    if scope is None and "{" in message[:200] and ".istio-system" in message[:200]:
        console = _MIXER_CONSOLE.match(message)
        mixer = _mixer_console(console.group(1), message[console.end() :], stamp) if console else None
        if mixer is not None:
            return "istiod", mixer
    if strict and not known_message(message):
        weight = FAMILY_WEIGHT if level else FRAGMENT_WEIGHT
        found = template_binary(claiming_template(message), weight, message)
        if found not in ("istiod", "istio-agent") and not generic_prose(message, message[:200]):
            found = template_binary(cut_template(message, True), weight, message)  # the start of one, cut at its end
        if (
            found not in ("istiod", "istio-agent")
            and not (column and _any_template(message))
            # (a short message a template explains whole: only where a wrapper named the container -- alone,
            # "failed to parse config.yaml" or "Start listening on 0.0.0.0:8080" is any program's)
            and not (
                (whole or (source is not None and _istio_container(source)))
                and whole_template(message) in ("istiod", "istio-agent")
            )
        ):
            return None
    # (a fragment's message is looked up by its start only, but for the agent's certificate name before it)
    template = _Lookup(message, bool(level) or _resource_prefixed(message))
    attrs: dict[str, Any] = {attr_key("istio", key): value for key, value in fields.items() if key != "caller"}
    attrs["log.message"] = message
    if scope:
        attrs["istio.scope"] = scope
    if caller:
        attrs["istio.caller"] = caller
    time = normalize(stamp)
    name = program or family(scope, message, source, template)
    if name == "istiod":
        parsed = classify_istiod(time, level, scope, message, attrs)
    else:
        parsed = classify_agent(time, level, scope, message, attrs)
    generic = f"{'istiod' if name == 'istiod' else 'agent'}.{action_word(scope)}"
    if parsed.action in (generic, "cert.info", "istiod.config_build"):  # (the last: a violation its template says)
        by_template_or_cut(parsed, template.get(), message, generic, bool(level))
    elif parsed.action == "cert.failure" and getattr(template.get(), "action", "") == "component.failure":
        # the SDS server itself not coming up ("SDS grpc server could not be started"): the agent's own failure, not
        # a certificate's -- no identity was asked for or refused
        parsed.category, parsed.action = "other", "component.failure"
    if (
        parsed.category == "auth"
        and parsed.outcome == "failure"
        and _IDENTITY_REFUSED.search(FILE_MODE.sub("", message[:2000]) if "ermission" in message else message[:2000])
    ):
        refused(parsed)
    elif parsed.outcome == "failure" and _INJECTOR_INVALID in message[:600]:
        # the injector's template does not render to valid YAML (pkg/kube/inject: "failed parsing generated injected
        # YAML (check Istio sidecar injector configuration)"): the mesh's injection config is invalid
        parsed.category, parsed.violation, parsed.action = "config", True, "config.invalid"
    elif (
        parsed.category == "other"
        and (
            scope in _CA_SCOPES
            or _CA_WORDS.search(message[:400]) is not None
            # the control plane naming SPIFFE identities, and Citadel's registry of identities
            # (security/pkg/registry: "adding registry entry %q -> %q", "deleting registry entry %q")
            or (name == "istiod" and ('"spiffe://' in message[:400] or message.startswith(_IDENTITY_REGISTRY)))
        )
    ):
        parsed.category = "auth"  # the CA's own secret and its controller: the mesh's identities hang on it
        if parsed.action.startswith("istiod.") or parsed.action.startswith("agent."):
            parsed.action = "auth.event"
    if parsed.category == "auth" and parsed.outcome == "unknown" and name == "istiod":
        if _CA_ROTATED.search(message[:300]):
            parsed.outcome = "change"  # the CA's certificates or trust anchors replaced (a rotation, a new root)
        elif _CA_RELOADED.search(message[:300]):
            parsed.outcome = "success"
    elif message.startswith("http: TLS handshake error"):
        # Go's HTTP server (the webhooks, the CA's and the debug ports): a client's TLS refused or failed
        parsed.category, parsed.outcome, parsed.action = "auth", "failure", "auth.event"
        if parsed.severity in ("debug", "info"):
            parsed.severity = "warning"
    elif parsed.action == "xds.reject":
        pass  # a proxy's NACK is config whatever its reason names (a listener refused for its JWKS: holdout101)
    elif parsed.category in ("config", "other") and parsed.outcome == "failure" and _KEY_FETCH.search(message[:2000]):
        parsed.category, parsed.action = "auth", "auth.event"  # fetching a JWKS for RequestAuthentication
    elif parsed.category == "config" and parsed.outcome == "failure" and _GRPC_REFUSED.search(message[:2000]):
        # an xDS or CA stream the other side ended with Unauthenticated/PermissionDenied: the proxy's
        # identity was refused (a token or certificate istiod would not accept), not a config fault
        parsed.category = "auth"
        refused(parsed)
    if (
        parsed.action not in _SPECIFIC
        and not parsed.violation
        and parsed.category != "routing"
        and "handshake" in message
        and _GRPC_HANDSHAKE.search(message, 0, 4096) is not None
    ):
        # grpc-go's own words for a TLS handshake that failed on the xDS or CA connection, whoever logged them and
        # at whatever level (its logger prints through the info of pkg/log: "grpc: Server.Serve failed to complete
        # security handshake from …", "… Err: connection error: desc = \"transport: authentication handshake
        # failed: EOF\""): a handshake failure on the mesh's own connections, as the agent's CA client's is
        parsed.category, parsed.outcome, parsed.violation, parsed.action = (
            "auth",
            "failure",
            True,
            "tls.handshake_error",
        )
        if parsed.severity in ("debug", "info"):
            parsed.severity = "warning"
    elif parsed.category == "other" and parsed.outcome == "unknown" and _GRPC_PROBED in message[:600]:
        # the server's handshake a peer abandoned ("…: EOF", a load balancer's TCP check): a failed handshake, as
        # Go's "http: TLS handshake error from …: EOF" is, but nothing refused
        parsed.category, parsed.outcome, parsed.action = "auth", "failure", "auth.event"
    elif parsed.outcome == "unknown" and name == "istio-agent" and _XDS_DIAL_FAILED.search(message, 0, 600):
        # grpc-go's channel to istiod's xDS port failing, in its own words at info ("pickfirstBalancer:
        # HandleSubConnStateChange: 0x…, {TRANSIENT_FAILURE connection error: desc = \"transport: Error while dialing
        # dial tcp …:15012: i/o timeout\"}", blind set holdout164): the agent cannot reach its control plane
        parsed.category, parsed.outcome, parsed.action = "config", "failure", "xds.upstream_error"
        if parsed.severity in ("debug", "info"):
            parsed.severity = "warning"
    if not level and parsed.outcome == "failure" and parsed.severity == "info":
        parsed.severity = "warning"  # a fragment has no level of its own: what it says is at least a warning
    if parsed.outcome == "success" and parsed.severity == "error":
        # an error or fatal line is never a success, whatever a rule read off its words (the rules for
        # "REQ", "connected", "started" ... look at the message): its scope's catch-all failure
        parsed.outcome, parsed.action = "failure", generic
        if name != "istiod" or parsed.category == "auth":
            parsed.category = "other"
    return name, parsed


# the operating system refusing a file or socket (Go's *PathError: "open /etc/x: permission denied"; its *OpError:
# "listen unix ./var/run/…/socket: bind: permission denied"): a mode, not a policy decision
FILE_MODE = re.compile(
    r"\b(?:open|mkdir|read|write|stat|lstat|unlink|remove|rename|chmod|chown|create|fork/exec|exec|bind|listen|mount)"
    r" [^\s:]{1,400}: permission denied|\b(?:bind|listen|connect|socket|accept|dial): permission denied"
    # the C library's and coreutils' words for the same: Envoy's "unable to open file '/dev/stdout': Permission
    # denied" (a non-root proxy's access log), "chown: /dev/stdout: Permission denied" (holdout99, holdout48)
    r"|\bunable to open file '[^'\n]{1,400}': Permission denied"
    # (a Go program's own words around its syscall's: istio-cni's "failed to Statfs \"/host/proc/1/ns/net\": permission
    # denied", blind set holdout171)
    r"|\bfailed to [A-Za-z]{2,12} \"[^\"\n]{1,400}\": permission denied"
    r"|\b(?:chown|chmod|chgrp|mkdir|touch|cp|mv|rm|ln|tee|cat|install): (?:cannot [a-z ]{1,40} )?'?[^\s':]{1,400}'?"
    r"(?:: [A-Za-z ]{1,40})?: Permission denied"
    # Windows' WSAEACCES, as every runtime prints it ("OSError: [WinError 10013] An attempt was made to access a socket
    # in a way forbidden by its access permissions", envoyproxy/envoy PR descriptions, blind set holdout169)
    r"|\bin a way forbidden by its access permissions"
)
# fixed text a template needs before its verdict replaces a catch-all one
VERDICT_WEIGHT = 10
# a refusal of an identity or a request, in the error a failure carries (gRPC status codes, CA answers)
_IDENTITY_REFUSED = re.compile(
    r"code = (?:Unauthenticated|PermissionDenied)|\b(?:unauthenticated|unauthori[sz]ed|permission denied"
    r"|authenticate failure|authentication failed|failed to authenticate)\b",
    re.I,
)


_IDENTITY_REGISTRY = ("adding registry entry ", "deleting registry entry ")
_CA_SCOPES = frozenset(("caSecretController", "ca", "citadel", "serverca", "caserver", "pkica"))
# istiod's CA taking new material (pilot/pkg/bootstrap, security/pkg/pki: "Update Istiod cacerts", "Istiod has
# detected the newly added intermediate CA and updated its key and certs accordingly", "Update trust anchor with new
# root cert", "updating Source IstioCA with certs") and reloading it ("Istiod certificates are reloaded")
_CA_ROTATED = re.compile(
    r"^(?:Update|Updating|updating)\b.{0,60}\b(?:cacerts|certs?|CA|trust anchor|root cert)\b"
    r"|\b(?:updated|rotated|replaced) its (?:key and )?certs\b"
)
_CA_RELOADED = re.compile(r"\bcertificates are reloaded\b|\bcerts? (?:were |was )?reloaded\b")
_CA_WORDS = re.compile(
    r"\bCA secret\b|istio-ca-secret|cacerts\b|\bCA (?:certificate|cert|key|root)\b"
    # the CA's own certificate material refused at start (a bundle that does not parse, a cert that may not sign)
    r"|CA KeyCertBundle|not authorized to sign other certificates"
)
# a JWT issuer's keys (RequestAuthentication's jwksUri, an OIDC discovery document) named in a failed fetch
_KEY_FETCH = re.compile(r"jwks|openid-connect|/\.well-known/openid|\bjwt\b", re.I)
# the same, only as gRPC statuses: what turns a failed xDS stream into a refused identity (the code, or a
# description that says so behind another code: istiod's "code = Unknown desc = authentication failure")
_GRPC_REFUSED = re.compile(
    r"code = (?:Unauthenticated|PermissionDenied)\b"
    r"|desc = .{0,60}?\b(?:authentication fail|authenticate failure|unauthori[sz]ed|permission denied)",
    re.I,
)

_SPECIFIC = frozenset(("xds.reject", "config.invalid", "identity.refused"))

_GRPC_PROBED = "failed to complete security handshake from "
# grpc-go's words for a channel that could not reach istiod's xDS port (15010 plain, 15012 TLS)
_XDS_DIAL_FAILED = re.compile(
    r"(?:TRANSIENT_FAILURE|addrConn\.createTransport failed)[^\n]{0,300}?(?:dial tcp|connect to \{?)"
    r"[^\n]{0,120}?:150(?:10|12)\b"
)
# (the server's words need a TLS reason after them: a load balancer's TCP check connects and closes, and grpc-go
# says "… security handshake from "<lb>": EOF" (or "connection reset") for each; a client's cancelled dial is no TLS
# failure either)
_GRPC_HANDSHAKE = re.compile(
    r"transport: authentication handshake failed: (?!context canceled)"
    r"|failed to complete security handshake from \S{1,300}: (?=[^\n]{0,300}\b(?:tls|x509|certificate)\b)"
)
# the agent's connection to its CA (istiod, a Google/Vault/cert-manager CA) failed its TLS handshake: grpc-go's
# "transport: authentication handshake failed: x509: …" and Go's crypto/tls verification errors
_CA_HANDSHAKE = re.compile(
    r"authentication handshake failed|tls: failed to verify certificate|x509: certificate signed by unknown authority"
    r"|remote error: tls: "
)


def _cert_failure(time: str | None, severity: str, message: str, text: str, attrs: dict[str, Any]) -> Parsed:
    """A certificate or CA-client error; when the agent's TLS handshake with its CA failed, a handshake failure
    on mesh traffic (a violation, as the same failure on Envoy's SDS or xDS stream is)."""
    if _CA_HANDSHAKE.search(message, 0, 4096) is not None:
        return Parsed(time, "auth", "failure", True, severity, "tls.handshake_error", f"istio-agent: {text}", attrs)
    return Parsed(time, "auth", "failure", False, severity, "cert.failure", f"istio-agent: {text}", attrs)


def by_template(parsed: Parsed, template: Template | None, generic: str, has_level: bool = True) -> None:
    """Refine a catch-all event (``generic``, or the agent's ``cert.info``) by the verdict of the template
    its message was printed from: a category where the catch-all had none, an outcome where it had
    ``unknown``, a violation.  A template's ``other`` never takes away a category the parser gave."""
    if template is None or template.weight < VERDICT_WEIGHT:
        return
    outcome = template.outcome
    if not has_level:  # a fragment: the level is the one its template is printed at
        parsed.severity = severity_of(template.level)
    elif parsed.severity == "error" and outcome not in ("failure", "deny"):
        outcome = "failure"  # the line's own level says more than the template's usual one
    elif parsed.severity in ("info", "debug") and outcome == "failure" and template.level in ("error", "fatal"):
        outcome = "unknown"  # printed at a lower level than usual: not a failure by itself
    if parsed.action != generic and not (
        template.violation
        or (template.category == "auth" and outcome != "unknown")
        or (template.action == "component.start" and outcome == "success")
        or (template.action == "component.failure" and outcome == "failure")
    ):
        return  # cert.info: only an auth verdict that says something more
    if template.violation and outcome in ("failure", "deny"):
        category, action, violation = template.category, template.action, True
    elif template.action == "component.start" and outcome == "success":
        category, action, violation = "other", "component.start", False  # a server starting, whatever it serves
    elif template.action == "component.failure" and outcome == "failure":
        category, action, violation = "other", "component.failure", False  # one that did not come up
    else:
        violation = False
        category = template.category if template.category != "other" else parsed.category
        if category == "other":
            action = "component.start" if outcome == "success" else generic
            if action == generic and outcome not in ("failure", "unknown"):
                outcome = "unknown"
        else:
            action = f"{category}.event"
    parsed.category, parsed.outcome, parsed.violation, parsed.action = category, outcome, violation, action
    parsed.attributes["istio.template"] = template.text


def by_template_or_cut(parsed: Parsed, found: Template | None, message: str, generic: str, has_level: bool) -> None:
    """:func:`by_template` with the template the message was printed from, or when none explains it whole and the
    event is still its catch-all, with the one a line cut at its end was (:func:`cut_template`, flagged partial)."""
    by_template(parsed, found, generic, has_level)
    if found is None and parsed.action == generic and (cut := cut_template(message)) is not None:
        by_template(parsed, cut, generic, has_level)
        parsed.attributes["meshtail.partial"] = True  # read as the start of a line cut at its end


def refused(parsed: Parsed) -> None:
    """An auth failure whose error says the identity or request was refused: a denial."""
    parsed.outcome, parsed.violation, parsed.action = "deny", True, "identity.refused"


# the containers an agent's or istiod's line comes from
_ISTIO_CONTAINERS = frozenset(("istio-proxy", "discovery", "istiod"))
# the istio-cni-node DaemonSet's containers (istio_cni reads a source's container by these too)
CNI_CONTAINERS = frozenset(("install-cni", "istio-cni", "cni-agent", "istio-cni-node"))
# every container Istio's charts have run a Go binary of Istio's in (1.0-1.28: the control plane before istiod, the
# CNI DaemonSet, the init containers)
_ANY_ISTIO_CONTAINER = (
    _ISTIO_CONTAINERS
    | CNI_CONTAINERS
    | frozenset(
        (
            "istio-init",
            "istio-validation",
            "mixer",
            "citadel",
            "galley",
            "sidecar-injector-webhook",
            "istio-operator",
            "pilot",
            "ingress-sds",
            "istio-nodeagent",
        )
    )
)


def _istio_container(source: Source) -> bool:
    """Whether the source's container is one Istio's charts run a Go binary of Istio's in."""
    return source.container in _ANY_ISTIO_CONTAINER


# pkg/log's level column (a paste that left the time behind): lower case, then its tab or the gap a viewer made of it
_LEVEL_COLUMN = re.compile(r"(?:debug|info|warn|error|fatal)(?:\t| {2,}+)(?=\S)")


def whole_template(message: str) -> str | None:
    """The one program whose template prints this whole message, each value one word: ``Epoch 0 starting``,
    ``Obtained private IP [10.36.1.5]``.  Less fixed text than a claim by prefix needs, because nothing of the
    message is left unexplained -- but short templates are any program's words too ("failed to parse %v"), so
    callers ask it only of a line whose container a wrapper named; None for anything else."""
    if len(message) > 240:
        return None
    found = match_template(message, anywhere=False)
    if found is None or "|" in found.binary or found.weight < WHOLE_WEIGHT or not found.segments[0]:
        return None
    if _generic(found):
        return None  # "failed to load config: %v": any program's prose
    if len(found.segments) == 1 and found.weight < WHOLE_EXACT and found.text.count(" ") < 2:
        return None  # two words and no value ("Stop requested", "service updated"): any program's
    if not one_word_values(message, found.segments[0], found.segments[1:], found.text.endswith("%v")):
        return None
    return found.binary


WHOLE_WEIGHT = 14  # ("waiting %v for %v", "DNS error %v": any program's)
WHOLE_EXACT = 18


def _any_template(message: str) -> bool:
    """Whether istiod, the agent or the CNI print this message (a template with some fixed text), or a
    message only one of them says."""
    found = match_template(message, anywhere=False)
    if found is not None and found.weight >= 12 and (found.segments[0] or found.weight >= 16):
        return True  # (a template that starts with a value wants more fixed text after it)
    return message.startswith("FLAG: --") or _family_by_message(None, message) is not None


# one line of a --log_as_json record an author pretty-printed or cut ('  "scope": "xdsproxy",', ' "msg":"…"}')
_JSON_FIELD_LINE = re.compile(
    r'\s*\{?\s*(?:"(?:level|time|scope|msg|message|caller)"\s*:\s*"(?:[^"\\]|\\.)*"\s*,?\s*)+\}?\s*,?\s*'
)
# ("message": the Push Status dump's per-proxy messages, and other encoders' key for the message)
_JSON_FIELD = re.compile(r'"(level|time|scope|msg|message|caller)"\s*:\s*"((?:[^"\\]|\\.)*)"')
# a proxy's NACK as pilot printed the DiscoveryRequest (Go's %v of its google.rpc.Status, 0.x-1.0 debug logs):
# "error_detail:<code:13 message:"route: unknown cluster 'x'" >", or the status alone quoted from it
_NACK_DETAIL = re.compile(
    r'(?:\berror_detail:?\s*[<{]|^\s*<)\s*code:\s*(?P<code>\d{1,2})\s+message:\s*"(?P<error>(?:[^"\\]|\\.){1,2000})"'
)


_GRPC_CODES = (
    "OK Canceled Unknown InvalidArgument DeadlineExceeded NotFound AlreadyExists PermissionDenied ResourceExhausted "
    "FailedPrecondition Aborted OutOfRange Unimplemented Internal Unavailable DataLoss Unauthenticated".split()
)
_CODED_NACK = re.compile(
    rf"({'|'.join(_GRPC_CODES)}):(?=Error adding/updating (?:listener|cluster)|Proto constraint validation failed"
    r"|Didn't find a registered implementation|Unable to parse JSON as proto|Unknown field)"
)


def json_field_line(body: str, source: Source | None) -> tuple[str, Parsed] | None:
    """A line of an Istio JSON record holding only its own keys: its message read as a fragment of theirs, or its
    scope alone naming whose record it is."""
    if _JSON_FIELD_LINE.fullmatch(body) is None:
        return None
    fields: dict[str, str] = {}
    for key, value in _JSON_FIELD.findall(body):
        try:
            fields[key] = json.loads(f'"{value}"')
        except ValueError:
            return None
    scope, message, level = fields.get("scope"), fields.get("msg", fields.get("message")), fields.get("level", "")
    if scope is not None and scope not in KNOWN_SCOPES:
        return None
    if message:
        found = build(fields.get("time"), level, scope, message, {}, source, strict=True, column=scope is not None)
    elif scope is not None:
        who = "istio-agent" if scope in AGENT_SCOPES else "istiod"  # (a scope both have: istiod's, as family() says)
        generic = f"{'agent' if who == 'istio-agent' else 'istiod'}.{action_word(scope)}"
        summary = f"{who}: a field of a JSON record (scope {scope})"
        found = (
            who,
            Parsed(None, "other", "unknown", False, severity_of(level) if level else "info", generic, summary, {}),
        )
    else:
        return None
    if found is not None:
        found[1].attributes["meshtail.partial"] = True
        found[1].decoded = True
    return found


# labels Istio's programs give their scopes (pkg/log WithLabels in istio/istio: the generic ones -- name, id,
# type, path, time -- left out, any program's key=value says them)
_OWN_LABELS = frozenset(
    "cluster controller gateway cni-event conn_uuid podUID netns ipset iKey oKey webhook owner ns pod node "
    "resource resourceName remoteAddr ips revision".split()
)
# glog's header (Istio 0.x's pilot and agent): "I1020 13:55:07.677134       1 discovery.go:332] message"
_GLOG_OWN = re.compile(r"Envoy (?:starting|command): \[" + _BOOTSTRAP_ARG + r"|Push debounce stable\[")
_GLOG = re.compile(r"([IWEF])(\d{4} \d\d:\d\d:\d\d\.\d{6}) +\d{1,10} ([\w./-]{1,200}:\d{1,6})\] ?(.*)", re.S)
# the containers of Istio 0.x-1.0 whose programs logged through glog, and whose family each is: the control plane's
# (pilot's discovery, mixer, the CA, the sidecar injector) istiod's, the proxies' (sidecar, ingress) the agent's
_GLOG_CONTAINERS = {
    "discovery": "istiod",
    "istiod": "istiod",
    "mixer": "istiod",
    "citadel": "istiod",
    "istio-ca": "istiod",
    "sidecar-injector-webhook": "istiod",
    "istio-proxy": "istio-agent",
    "istio-ingress": "istio-agent",
    # programs as a VM's journal tags them (0.x's node agent, the agent's ancestor, under systemd: istio/istio#1858)
    "node_agent": "istio-agent",
    "pilot-agent": "istio-agent",
    "pilot-discovery": "istiod",
}
_GLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}


# scopes that are also everyday words: after a level word and single spaces they may be a sentence's
# ("error processing …", "error install helm chart: …", "warning status …")
_WORD_SCOPES = frozenset(
    "analysis api authn authorization ca cache default delta dns file gateway install kube model monitor monitoring "
    "probes processing push rbac repair resource runtime security server simulation snapshot source status "
    "telemetry token validation vault wasm".split()
)


def stamp_less_prose(body: str, scope: str) -> bool:
    """A line with no time whose level word and everyday-word scope are each followed by a single space: it
    reads as a sentence as well as pkg/log's columns with their tabs collapsed."""
    if scope not in _WORD_SCOPES:
        return False
    text = body.lstrip(" ")
    level, _, rest = text.partition(" ")
    if not (rest.startswith(scope + " ") and not rest.startswith(scope + "  ") and level.lower() in _PROSE_LEVELS):
        return False
    after = rest[len(scope) + 1 :]
    found = match_template(after, anywhere=False)
    if found is not None and scope in found.scope.split("|") and found.weight >= 8:
        return False  # a message of that very scope ("gateway updated" in gateway, "GenerateSecret %v" in cache)
    whole = match_template(scope + " " + after, anywhere=False)
    if (
        whole is not None
        and whole.segments[0].startswith(scope + " ")
        and "|" not in whole.binary
        and whole.weight >= 12
    ):
        return False  # no scope: the word is the message's first ("processing secret event for secret %v")
    return True


_PROSE_LEVELS = frozenset(("error", "warn", "warning", "info", "debug", "fatal"))


# Istio's integration-test framework (pkg/test/framework) logs through pkg/log too, in the "tf" scope: its "=== FAILED:
# Setup: …" and "FAIL: cluster/pod/container …" lines are a test run's, not a mesh component's
_TEST_SCOPES = frozenset(("tf",))


# a row of ``ps aux`` / ``ps -ef`` (USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND; UID PID PPID C STIME TTY
# TIME CMD), as pasted beside the logs of the processes it lists
_PS_ROW = re.compile(
    r"[\w.+-]{1,32} +\d{1,7} +(?:\d{1,3}\.\d +\d{1,3}\.\d +\d{1,12} +\d{1,12} +\S{1,12} +[DIRSTtWXZ][<NLsl+]{0,4} +"
    r"|\d{1,7} +\d{1,3} +\S{1,12} +\S{1,12} +)\S{1,12} +\d{1,6}:\d{2}(?::\d{2})? +\S"
)


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istiod or istio-agent text line, or None.

    A line with timestamp and level is claimed whatever its message (this family is asked last);
    one without a timestamp only with a scope Istio's Go components use, and a bare message only
    when it is one of theirs."""
    if _PS_ROW.match(body) is not None:
        return None  # a process table's row names the agent's Envoy command line: no line of the agent's
    if body[:1] in ' {"' and '":' in body[:60]:
        field = json_field_line(body, source)
        if field is not None:
            return field
    if body[:1] in "IWEF":
        program = _GLOG_CONTAINERS.get(source.container or "") if source is not None else None
        named = source is not None and source.container is not None
        glog = _GLOG.match(body) if program is not None or not named else None
        # Istio 0.x logged through glog (pilot's discovery, the agent beside Envoy, mixer, the CA): where a wrapper
        # named the container the line is that program's, its level the letter and its caller the file; where none
        # did, klog is every Kubernetes program's (the API server's webhook failures name istiod too), so only a
        # message no other program prints says whose: the agent starting Envoy on the bootstrap file it wrote,
        # pilot's push debounce
        if glog is not None and (program is not None or _GLOG_OWN.match(glog.group(4))):
            level, stamp, caller, message = glog.groups()
            scope = "klog" if program is not None else None
            found = build(None, _GLOG_LEVELS[level], scope, message, {}, source, caller, program=program)
            if found is not None:
                found[1].attributes["istio.glog_time"] = stamp
            if found is not None or program is not None:
                return found
        elif glog is not None:
            # glog's header with no wrapper to name the program (a VM's journal: "node_agent[6941]: I1013 …"): one
            # of their messages will do, as after a bare message (Istio 1.0's node agent: "Sending CSR (retrial #0)"),
            # but not for a refusal: every Kubernetes program may say "Failed to authenticate client from …"
            level, stamp, caller, message = glog.groups()
            found = build(None, _GLOG_LEVELS[level], None, message, {}, source, caller, strict=True)
            if found is not None and not found[1].violation and found[1].outcome != "deny":
                found[1].attributes["istio.glog_time"] = stamp
                return found
    if "code:" in body[:400]:
        nack = _NACK_DETAIL.search(body, 0, 4000)
        if nack is not None:
            error = nack.group("error")
            attrs: dict[str, Any] = {"error.message": error, "rpc.code": int(nack.group("code"))}
            attrs["meshtail.partial"] = True
            summary = f"a proxy rejected config pilot sent: {clip(error, 160)}"
            return "istiod", Parsed(None, "config", "failure", True, "warning", "xds.reject", summary, attrs)
    if body[:1].isupper() and (coded := _CODED_NACK.match(body)) is not None:
        # istiod's ACK ERROR's tail alone ("… ACK ERROR <proxy> Internal:Error adding/updating listener(s) …"):
        # the gRPC code's name, a colon, and the proxy's own words for the config it refused
        error = body[coded.end() :]
        attrs = {"error.message": error, "rpc.code": _GRPC_CODES.index(coded.group(1)), "meshtail.partial": True}
        summary = f"a proxy rejected config pilot sent: {clip(error, 160)}"
        return "istiod", Parsed(None, "config", "failure", True, "warning", "xds.reject", summary, attrs)
    line = read_line(body)
    if line is None or line.scope in _TEST_SCOPES:
        return None
    if not line.level:
        if len(line.message) < 12:
            return None
        scoped = read_scope_first(line.message, single=True)
        if scoped is not None and scoped.scope in KNOWN_SCOPES:
            # strict: the message must still be one of theirs (a known one or a template with fixed text enough)
            # (a scope of theirs before it: any message of theirs will do, as after pkg/log's level column)
            found = build(
                None, "", scoped.scope, scoped.message, scoped.fields, source, scoped.caller, strict=True, column=True
            )
            if found is not None:
                return found
        head, _tab, tail = line.message.rpartition("\t")
        if len(head.strip()) >= 12 and _LABEL_START.match(tail):
            fields = parse_labels(tail)
            if not _OWN_LABELS.isdisjoint(fields):
                # pkg/log's layout, its labels after a tab, with a label Istio's programs set ("gateway updated
                # <TAB>gateway=istio-system/istio-egress"): any of their messages will do, as after its level column
                return build(None, "", None, head.strip(" "), fields, source, strict=True, column=True)
        return build(None, "", None, line.message, {}, source, strict=True)
    if line.cut:
        # pkg/log's stamp cut in front: Istio's columns, as a whole stamp says, without their time
        found = build(None, line.level, line.scope, line.message, line.fields, source, line.caller)
        if found is not None:
            found[1].attributes["meshtail.partial"] = True
        return found
    if line.stamp is None or not _ISTIO_STAMP.fullmatch(line.stamp):
        # no timestamp, or not pkg/log's (always UTC with six fraction digits): another zap program
        # (the OpenTelemetry collector prints milliseconds) unless the scope or message is Istio's
        known = line.scope is not None and (line.scope in KNOWN_SCOPES or line.scope.startswith("envoy "))
        if known and stamp_less_prose(body, line.scope):
            known = False  # "error processing endpoints resource, …": a sentence, unless the message is theirs
        stamp = line.stamp
        column = stamp is None and (
            _LEVEL_COLUMN.match(body.lstrip(" ")) is not None
            # (a wrapper named the container: its level word, after one space too, is pkg/log's column)
            or (source is not None and source.container in _ISTIO_CONTAINERS)
        )
        return build(
            stamp,
            line.level,
            line.scope,
            line.message,
            line.fields,
            source,
            line.caller,
            strict=not known,
            column=column,
            # (pkg/log's lower-case level word first, its tab collapsed to a space: a message one of their
            # templates explains whole is theirs, as behind a wrapper naming their container)
            whole=stamp is None and body.lstrip(" ").partition(" ")[0] in _PROSE_LEVELS,
        )
    return build(line.stamp, line.level, line.scope, line.message, line.fields, source, line.caller)


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istiod or istio-agent JSON line (``--log_as_json``), or None."""
    instance = obj.get("instance")
    if isinstance(instance, str) and (
        ".logentry." in instance
        # an operator's own logentry instance ("newlog.<ns>.istio-system") with Mixer's access-log keys
        or (instance.endswith(".istio-system") and ("responseCode" in obj or "connectionEvent" in obj))
    ):
        mixer = _mixer_access(obj, instance)
        if mixer is None and ".logentry." in instance:
            # Mixer's logentry with nothing deciding on it (a record cut, or an instance that logs no status)
            time = normalize(obj["time"]) if isinstance(obj.get("time"), str) else None
            summary = clip(f"Mixer log entry ({instance})", 200)
            attrs = {"istio.mixer.instance": instance}
            mixer = Parsed(time, "other", "unknown", False, "info", "mixer.access", summary, attrs)
        if mixer is not None:
            return "istiod", mixer
    message = obj.get("msg", obj.get("message"))
    level = obj.get("level", obj.get("severity"))
    if level is None or not isinstance(message, str):
        return None
    scope = obj.get("scope", obj.get("logger"))
    scope = scope if isinstance(scope, str) else None
    stamp = obj.get("time", obj.get("timestamp"))
    stamp = stamp if isinstance(stamp, str) else None
    fields = {k: v for k, v in obj.items() if k not in _JSON_RESERVED}
    caller = obj.get("caller") if isinstance(obj.get("caller"), str) else None
    # other zap programs (kgateway, envoy-gateway, the OpenTelemetry collector) print the same keys:
    # a line is Istio's by a scope Istio registers, else by a message only Istio prints
    istio_scope = scope is not None and (scope in KNOWN_SCOPES or scope.startswith("envoy "))
    # pkg/log writes the level in lower case and the time with microseconds; slog (kgateway) writes "INFO" and
    # nanoseconds, zap's production config (Gloo, Envoy Gateway) "ts" and "logger": a line of such a shape is
    # Istio's only when its message is one of Istio's own
    foreign = (
        scope is not None
        or _FOREIGN_JSON_KEYS.intersection(obj)
        or (isinstance(level, str) and level != level.lower())
        or (stamp is not None and _ISTIO_JSON_TIME.fullmatch(stamp) is None)
        or "msg" not in obj  # pkg/log's MessageKey; "message" is logrus', slog's, traefik's, ...
        # pkg/log's encoder writes the level and time first, and a collector that reorders sorts them: the message
        # leading is another program's record (runc's '{"msg":"exec container process …","level":"error",…}')
        or next(iter(obj)) == "msg"
        or (caller is not None and ("/" in caller.partition("/")[2] or caller.startswith(("/", "github.com"))))
        # pkg/log always writes "time": without one (a collector moved it out, as GKE's agent does with
        # jsonPayload) the shape says little, and an envelope that names another program's container says no
        or (stamp is None and source is not None and source.container is not None and not _istio_container(source))
    )  # pkg/log's caller is zap's short form, "ads/ads.go:123": a module path or an absolute one is not
    strict = not istio_scope and foreign
    found = build(stamp, str(level).lower(), scope, message, fields, source, caller, strict=bool(strict))
    if found is None:
        return None
    found[1].decoded = True
    return found


# Mixer's stdio adapter in zap's console encoding (outputAsJson: false): the instance where the scope stands, then
# the record ("2020-03-24T03:35:14.957143Z<TAB>info<TAB>accesslog.instance.istio-system<TAB>{…}", istio/istio#22418)
_MIXER_CONSOLE = re.compile(r"([\w-]{1,60}\.(?:logentry|instance)\.[\w.-]{1,120})[\t ]{1,8}(?=\{)")


def _mixer_console(instance: str, record: str, stamp: str | None) -> Parsed | None:
    try:
        obj = json.loads(record)
    except ValueError:
        obj = close_cut_object(record)  # (a paste cut inside the record: its whole members)
    if not isinstance(obj, dict):
        return None
    mixer = _mixer_access(obj, instance)
    if mixer is not None and mixer.time is None and stamp:
        mixer.time = normalize(stamp)
    return mixer


def _mixer_access(obj: dict[str, Any], instance: str) -> Parsed | None:
    """Mixer's access log (Istio 1.0-1.4: the ``accesslog``/``tcpaccesslog`` logentry instances its stdio adapter
    prints, ``{"level":"info","instance":"accesslog.logentry.istio-system","responseCode":200,…}``): each record is a
    request or a connection as the control plane saw it reported; judged by its status as Envoy's access log is."""
    code = obj.get("responseCode")
    event = obj.get("connectionEvent")
    if not isinstance(code, int) and not isinstance(event, str):
        return None
    attrs: dict[str, Any] = {"istio.mixer.instance": instance}
    for key, name in _MIXER_FIELDS:
        value = obj.get(key)
        if value not in (None, ""):
            attrs[name] = value
    source = obj.get("sourceWorkload") or obj.get("sourceName") or obj.get("sourceApp") or "?"
    destination = obj.get("destinationWorkload") or obj.get("destinationName") or obj.get("destinationApp") or "?"
    stamp = obj.get("time")
    time = normalize(stamp) if isinstance(stamp, str) else None
    if isinstance(code, int):
        request = f"{obj.get('method') or ''} {obj.get('url') or ''}".strip() or "request"
        summary = clip(f"{source} -> {destination}: {request} {code} (Mixer access log)", 200)
        if code in (401, 403):
            return Parsed(time, "auth", "deny", True, "warning", "mixer.access", summary, attrs)
        if obj.get("permissiveResponseCode") == "denied":
            # RBAC in permissive mode (1.1's rbac-permissive-telemetry sample logs rbac.permissive.response_code):
            # the request went through, the policy under test would have denied it -- a dry-run denial
            policy = obj.get("permissiveResponsePolicyID")
            if isinstance(policy, str) and policy:
                attrs["istio.policy"] = policy
            summary = clip(f"{source} -> {destination}: {request} {code}, denied by RBAC in permissive mode", 200)
            return Parsed(time, "auth", "allow", True, "warning", "mixer.access", summary, attrs)
        failed = code == 0 or code >= 400
        outcome, severity = ("failure", "warning") if failed else ("success", "info")
        return Parsed(time, "routing", outcome, False, severity, "mixer.access", summary, attrs)
    summary = clip(f"{source} -> {destination}: TCP connection {event} (Mixer access log)", 200)
    return Parsed(time, "routing", "success", False, "info", "mixer.access", summary, attrs)


_MIXER_FIELDS = (
    ("responseCode", "http.response.status_code"),
    ("method", "http.request.method"),
    ("url", "url.path"),
    ("userAgent", "user_agent.original"),
    ("requestId", "http.request.header.x-request-id"),  # (Envoy's name for it: the request_id filter, the same hops)
    ("httpAuthority", "http.request.header.host"),
    ("responseFlags", "envoy.response_flags"),
    # (the names Envoy's and ztunnel's events use, which src:, dst:, ns: and principal: read -- not source.*, which
    # a filter takes for the event's own source)
    ("sourceWorkload", "istio.source.workload"),
    ("sourceNamespace", "istio.source.namespace"),
    ("sourcePrincipal", "istio.source.principal"),
    ("destinationWorkload", "istio.destination.workload"),
    ("destinationNamespace", "istio.destination.namespace"),
    ("destinationPrincipal", "istio.destination.principal"),
    ("destinationServiceHost", "istio.destination.service"),
    ("connection_security_policy", "istio.mtls"),
    ("connectionEvent", "network.connection.event"),
)


# keys pkg/log never writes (it writes level, time, scope, msg, caller and the labels): another program's
# pkg/log's time: always six fraction digits ("2006-01-02T15:04:05.000000Z07:00"); OPA, logrus and others write none
_ISTIO_JSON_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d)")
_FOREIGN_JSON_KEYS = frozenset(("component", "logger", "ts", "controllerGroup", "reconcileID", "stacktrace"))
_JSON_RESERVED = frozenset(("level", "time", "scope", "msg", "message", "caller", "severity", "timestamp", "logger"))


# ============================================================================ the taxonomy
ACTIONS: tuple[Action, ...] = (
    Action("xds.push", "config", "change", False, "istiod pushes: Push debounce stable, XDS: Pushing, <TYPE>: PUSH"),
    Action(
        "mixer.access",
        "routing|auth|other",
        "success|failure|deny|allow|unknown",
        "when 401/403, or RBAC in permissive mode denied",
        "Mixer's access log records (Istio 1.0-1.4 `accesslog.logentry`): by `responseCode` as an access line "
        "(401/403: auth deny, a violation; 4xx/5xx/0 failure); `permissiveResponseCode: denied` (RBAC's permissive "
        "mode, 1.1): auth allow, a violation (dry-run denial); a TCP `connectionEvent` success; a record with none "
        "of these (cut, or an instance that logs no status): other/unknown",
    ),
    Action(
        "xds.reject",
        "config",
        "failure",
        True,
        "a proxy NACKed config (ADS:[<TYPE>:] ACK ERROR; Envoy NOT ready, rejected); an MCP sink's NACK (mcp scope)",
    ),
    Action("xds.push_status", "config", "unknown|failure", False, "lines of the Push Status JSON (conflicts fail)"),
    Action("xds.request", "config", "success", False, "ADS:<TYPE>: REQ, a proxy asking for config"),
    Action("xds.connect", "config", "success", False, "ADS: new connection; xdsproxy connected to istiod"),
    Action("xds.disconnect", "config", "unknown|failure", False, "ADS: ... terminated (failure with an error)"),
    Action("xds.ads", "config", "unknown|failure", False, "other ADS:<TYPE>: messages"),
    Action(
        "xds.unauthorized",
        "auth",
        "deny",
        True,
        "Failed to authenticate client / Unauthorized XDS / an authenticator's refusal alone",
    ),
    Action("xds.authenticated", "auth", "success", False, "Authenticated XDS"),
    Action("xds.proxy", "config", "unknown", False, "istio-agent xdsproxy chatter"),
    Action("xds.upstream_error", "config", "failure", False, "istio-agent xdsproxy upstream errors"),
    Action(
        "config.invalid",
        "config",
        "deny|failure",
        True,
        "validation webhook rejected config (configuration is invalid); istiod could not build invalid config, or "
        "skipped an authorization rule it could not build (error); the injector's template renders invalid YAML",
    ),
    Action(
        "identity.refused", "auth", "deny", True, "an identity or request refused (Unauthenticated, permission denied)"
    ),
    Action("config.event", "config", "success|failure|change|unknown", False, "other config messages (by template)"),
    Action("config.snapshot", "config", "change", False, "Mixer/Galley built a new config snapshot"),
    Action(
        "auth.event", "auth", "success|failure|change|unknown", False, "other certificate/CA/SDS messages (template)"
    ),
    Action("istiod.webhook_probe", "other", "success", False, "istiod's own webhook-always-reject probe"),
    Action(
        "webhook.controller", "config", "success|failure|unknown", False, "validationController / controller=validation"
    ),
    Action("gateway.update", "config", "change", False, "Gateway API controller: gateway updated"),
    Action("gateway.reconcile", "config", "unknown", False, "Gateway API controller: reconciling"),
    Action("gateway.event", "config", "unknown", False, "other gateway-scope messages"),
    Action("gateway.failure", "config", "failure", False, "gateway-scope errors"),
    Action("krt.synced", "config", "success", False, "krt collection synced"),
    Action("krt.event", "config", "unknown|failure", False, "other krt messages"),
    Action("k8s.event", "config", "change", False, "Handling event <verb> for pod ..."),
    Action("service.add", "config", "change", False, "new service"),
    Action("service.delete", "config", "change", False, "deleted service"),
    Action("workload.add", "config", "change", False, "new workload"),
    Action("workload.delete", "config", "change", False, "deleted workload"),
    Action("cluster.add", "config", "change", False, "Adding new cluster member"),
    Action("cluster.delete", "config", "change", False, "Deleting cluster"),
    Action("cluster.update", "config", "change", False, "Update cluster (a remote cluster's secret changed)"),
    Action("service.no_endpoints", "config", "unknown|change", False, "service has no endpoints (change: in a push)"),
    Action("config.generate", "config", "unknown", False, "warnings while building proxy config (404 vhost ...)"),
    Action("config.controller", "config", "unknown|failure", False, "controllers scope with a controller label"),
    Action("authz.policy", "config", "unknown|failure", False, "authorization / authn scopes"),
    Action("mcp.stream", "config", "success|unknown|failure", False, "MCP sink stream"),
    Action("leader.election", "other", "success|failure|unknown", False, "leader election"),
    Action(
        "ca.event",
        "auth",
        "unknown|failure|change|success",
        False,
        "istiod CA scopes (pkica, serverca, rootcertrotator ...)",
    ),
    Action("ca.unauthenticated", "auth", "deny", True, "istiod CA could not authenticate a CSR"),
    Action("component.start", "other", "success", False, "Starting ..., ... started, caches synced"),
    Action("component.failure", "other", "failure", False, "a server of its own failed to start, listen or serve"),
    Action("process.flag", "other", "unknown", False, "FLAG: --name=value dump at start"),
    Action(
        "istiod.config_build",
        "config",
        "unknown|failure",
        False,
        "pilot building proxy config finds the mesh config wanting (buildGatewayRoutes: could not find server, …)",
    ),
    Action("istiod.<scope>", "other", "unknown|failure", False, "any other istiod line (failure for errors)"),
    Action("istiod.<scope>", "config", "failure", False, "errors in istiod's config scopes (ads, status, kube ...)"),
    Action("proxy.ready", "other", "success", False, "Envoy proxy is ready / Readiness succeeded"),
    Action(
        "dns.upstream",
        "other",
        "failure|unknown",
        False,
        "the agent's DNS proxy asking upstream (pkg/dns): `upstream failure: … :53: …` (failure), "
        "`upstream response for hostname …` (failure on SERVFAIL/REFUSED)",
    ),
    Action("proxy.not_ready", "other", "failure", False, "Envoy proxy is NOT ready (config not received)"),
    Action("proxy.config", "config", "change", False, "Received new config, creating new Envoy epoch"),
    Action("proxy.command", "other", "unknown", False, "Envoy command: [...]"),
    Action("cert.issue", "auth", "success", False, "generated new workload certificate"),
    Action("cert.load", "auth", "success", False, "certificates returned from cache / read from file"),
    Action("cert.rotate", "auth", "change", False, "root cert changed, file certificate event"),
    Action("cert.info", "auth", "unknown|failure", False, "CA and certificate set-up chatter"),
    Action("cert.failure", "auth", "failure", False, "certificate / CA client errors"),
    Action("sds.push", "auth", "success", False, "SDS: PUSH, pushed key/cert pair"),
    Action("sds.connect", "auth", "success", False, "resource:<name> new connection"),
    Action("sds.disconnect", "auth", "unknown", False, "resource:<name> connection is terminated"),
    Action("agent.<scope>", "other", "unknown|failure", False, "any other istio-agent line (failure for errors)"),
)
