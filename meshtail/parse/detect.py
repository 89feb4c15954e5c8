"""Format detection and the per-stream parser: every line in, exactly one event out.

A stream usually keeps one format (a sidecar mixes access logs, Envoy component logs
and istio-agent lines, but in runs), so the family that read the previous line is
tried first; the others are tried only when it fails, cheapest-first by the line's
first character.  Wrappers around a container's line (kubelet ``--timestamps``, CRI,
``kubectl logs --prefix``) are peeled off before detection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..events import MISSING, AuditEvent, RawLine, Source
from ..text import clip, has_unsafe
from . import access_loose, envoy_component, envoy_json, istio_cni, istio_go, k8s_audit, ztunnel
from .cutjson import close_cut_object
from .envoy_access import AccessLogParser, CompiledFormat, compile_format, istio_text_parser
from .result import Parsed, attr_key, finish, severity_of
from .timestamps import normalize
from .wrappers import peel, peel_loosely

MAX_PARSE = 1 << 20  # lines longer than this are kept whole but not parsed

AccessMatch = tuple[CompiledFormat, "re.Match[str]"]
Family = Callable[[str, Source], "tuple[str, Parsed | AccessMatch] | None"]
TextFamily = Callable[[str, Source], "tuple[str, Parsed] | None"]
JsonFamily = Callable[[dict[str, Any], Source], "tuple[str, Parsed] | None"]

# The families, each owning all its shapes, in the order that settles the lines two could claim:
# Envoy's component logs (also relayed by pilot-agent), then ztunnel and istio-cni (recognised by
# their own scopes and words), then Istio's Go components, which read any Go-style column line.
TEXT_FAMILIES: tuple[TextFamily, ...] = (
    envoy_component.recognise,
    ztunnel.recognise,
    istio_cni.recognise,
    k8s_audit.recognise,
    istio_go.recognise,
    access_loose.recognise,  # last: access fields found anywhere in a line no family read
)
TEXT_NAMES = {
    envoy_component.recognise: "text:envoy-component",
    ztunnel.recognise: "text:ztunnel",
    istio_cni.recognise: "text:istio-cni",
    k8s_audit.recognise: "text:k8s-audit",
    istio_go.recognise: "text:istio-go",
    access_loose.recognise: "text:access-loose",
}
TEXT_BY_NAME = {name: family for family, name in TEXT_NAMES.items()}
JSON_FAMILIES: tuple[JsonFamily, ...] = (
    k8s_audit.recognise_json,
    envoy_json.recognise_json,
    envoy_component.recognise_json,
    ztunnel.recognise_json,
    istio_cni.recognise_json,
    istio_go.recognise_json,
)


# what only a whole line starts with: its own time (ISO, or Envoy's bracketed one) or a JSON record
_OWN_START = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\[\d{4}-\d\d-\d\d[ T]|\{\"")
# families whose JSON keys name them whoever wrote the record
_NAMED_BY_KEYS = frozenset(("envoy-json", "k8s-audit", "ztunnel"))
# the first member of a record whose opening brace was left behind: a key a log record starts with, and its value
_BRACELESS_RECORD = re.compile(
    r'"(?:level|time|ts|timestamp|severity|msg|message|scope|start_time|authority)": ?["\d{\[]'
)
# an author's "..." standing for members of a JSON record they left out (",...," "{...," ",...}")
_ELIDED_MEMBERS = re.compile(r",\s{0,4}(?:\.\.\.|…)\s{0,4}(?=[,}\]])|(?<=[{\[])\s{0,4}(?:\.\.\.|…)\s{0,4},?")


_DECODER = json.JSONDecoder()
# what may open another record, a member or a value after a record's end: then it is no note an author added
_NOT_A_NOTE = '{[",:}]'


def _first_family(obj: dict[str, Any], source: Source) -> tuple[str, Parsed] | None:
    """The reading of the first JSON family that claims the record, in their order."""
    for recognise in JSON_FAMILIES:
        found = recognise(obj, source)
        if found is not None:
            return found
    return None


def _annotated_record(body: str) -> dict[str, Any] | None:
    """A whole JSON record an author followed with a note on the same line (``{…} --- 健康检查成功的日志``,
    ``{…}  <- the denial``, blind set holdout153), or None.  The note is the author's words, not the record's: the
    record is read alone (the raw line keeps the note)."""
    try:
        obj, end = _DECODER.raw_decode(body)
    except ValueError:
        return None
    rest = body[end:]
    note = rest.lstrip()
    if not isinstance(obj, dict) or not note or note == rest or note[0] in _NOT_A_NOTE:
        return None
    return obj


class StreamParser:
    """Parses the lines of one stream (a container, a file, stdin).

    ``custom_formats`` are the user's own Envoy access-log format strings; they are
    tried before Istio's defaults.  A line none of them fits (from :func:`compile_formats`: its
    literal text in place and its typed fields parsed) goes on to Istio's formats and the other
    families, as if no format had been given.
    """

    def __init__(self, custom_formats: list[CompiledFormat] | None = None) -> None:
        self._custom = AccessLogParser(custom_formats) if custom_formats else None
        self._istio = istio_text_parser()
        self._last: Family | None = None
        self.counts: dict[str, int] = {}
        self._last_text: TextFamily | None = None
        # one bound method per family, kept: `self._last is self._access` compares the same objects
        self._access, self._json, self._text = (  # type: ignore[method-assign]
            self._access,
            self._json,
            self._text,
        )
        # how each line was read, by name: the store's way to read a line again the same way
        self._families: dict[str, Family] = {
            "family:json": self._json,
            "family:text": self._text,
            "family:access": self._access,
        }
        self._family_names = {family: name for name, family in self._families.items()}

    # ------------------------------------------------------------ families
    def _access(self, body: str, source: Source) -> tuple[str, AccessMatch] | None:
        """An access-log line: ``("envoy-text", (compiled format, match))``."""
        if self._custom is not None:
            found = self._custom(body)
            if found is not None:
                return "envoy-text", found
        if body.startswith("["):
            found = self._istio(body)
            if found is not None:
                return "envoy-text", found
        return None

    def _text(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        """The families with text shapes, always in their order: a general one (Istio's Go
        components read any column line) must not take a line a specific one would claim."""
        for recognise in TEXT_FAMILIES:
            found = recognise(body, source)
            if found is not None:
                self._last_text = recognise
                return found
        return None

    def _elided(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        """A record an author shortened with "..." where members were (``{"kind":"Event",…,"gs_cluster_id":"x"}``),
        read without the marks; flagged partial."""
        try:
            obj = json.loads(_ELIDED_MEMBERS.sub("", body))
        except ValueError:
            return None
        if not isinstance(obj, dict) or len(obj) < 2:
            return None
        found = _first_family(obj, source)
        if found is not None:
            found[1].attributes["meshtail.partial"] = True
        return found

    def _json(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        if not body.startswith("{"):
            return None
        if body.startswith("{'") and '"' not in body:
            body = body.replace("'", '"')  # a record printed as a single-quoted map (a Python dict's repr)
        try:
            obj = json.loads(body)
        except ValueError:
            if body.startswith(("{...", "{…")):
                return self._elided(body, source)
            if not body.startswith('{"'):
                return None
            if "..." in body or "…" in body:
                found = self._elided(body, source)
                if found is not None:
                    return found
            annotated = _annotated_record(body)
            if annotated is not None and (found := _first_family(annotated, source)) is not None:
                return found  # a whole record, then an author's note on the same line
            found = k8s_audit.recognise_fragment(body, source) or envoy_json.recognise_fragment(body, source)
            if found is not None:
                return found
            mended = close_cut_object(body)  # a record cut at its end: what is left of it, flagged partial
            if mended is not None:
                found = _first_family(mended, source)
                if found is not None:
                    found[1].attributes["meshtail.partial"] = True
                    if found[0] == "envoy-json":
                        found = "envoy-json", envoy_json.cut_verdict(found[1])
                    return found
                found = k8s_audit.recognise_cut(mended)
                if found is not None:
                    found[1].attributes["meshtail.partial"] = True
                    return found
            # the first line of an Istio record an author wrapped by hand ('{"level":"warn","scope":"ads",')
            return istio_go.json_field_line(body, source)
        if not isinstance(obj, dict):
            return None
        found = _first_family(obj, source)
        if found is not None:
            return found
        return "unknown", _unrecognised_json(obj)  # a JSON line of no family: like an unparsed one

    # ------------------------------------------------------------ driver
    def _detect(self, body: str, source: Source) -> tuple[str, Parsed] | None:
        last = self._last
        if last is self._text:
            # a text line came before (every sidecar prints "Envoy proxy is ready" amid its access
            # lines): the strict access formats still go first — costing a first-character check on
            # other lines — or each later access line would be read by the loose reader, 40x slower
            last = None
        if last is not None:
            found = last(body, source)
            if found is not None:
                return found
        first = body[:1]
        if first == '"' and _BRACELESS_RECORD.match(body) is not None:
            # a JSON record pasted without its opening brace ('"level":"warning", "msg":"…"'): read with it
            found = self._json("{" + body, source)
            # (Istio's record names its scope; a zap or logrus record of any program's would read as Istio's)
            if found is not None and found[0] != "unknown" and ('"scope":' in body or found[0] in _NAMED_BY_KEYS):
                found[1].attributes["meshtail.partial"] = True
                return found
        if first == "{":
            order: tuple[Family, ...] = (self._json, self._access)
        else:
            order = (self._access, self._text)
        for family in order:
            if family is last:
                continue
            found = family(body, source)
            if found is not None:
                self._last = family
                return found
        return None

    def reparse(self, raw: RawLine, hint: str | None) -> AuditEvent:
        """Parse again a line this parser's settings once read, trying first what read it then.

        ``hint`` is the event's :attr:`LineDetail.hint`: the access-log format's name, or
        the family's.  Trying that first, as the line's stream did when it was first read,
        makes the same line give the same event.
        """
        family = self._families.get(hint or "")
        self._last = family if family is not None else self._access
        text_family = TEXT_BY_NAME.get(hint or "")
        if text_family is not None:
            self._last, self._last_text = self._text, text_family
        for parser in (self._custom, self._istio):
            if parser is not None:
                for compiled in parser.formats:
                    if compiled.name == hint:
                        parser.last = compiled
        return self.parse(raw)

    def state(self) -> tuple[str | None, str | None, str | None, str | None]:
        """What this stream's parser goes on with (the family tried first, the access formats last matched, the
        text family): for a parser in another process that takes the stream over mid-way (see :meth:`restore`)."""
        return (
            self._family_names.get(self._last) if self._last is not None else None,  # type: ignore[arg-type]
            self._istio.last.name,
            self._custom.last.name if self._custom is not None else None,
            TEXT_NAMES[self._last_text] if self._last_text is not None else None,
        )

    def restore(self, state: tuple[str | None, str | None, str | None, str | None]) -> None:
        """Go on as the parser whose :meth:`state` this is: a line several formats match is read the same."""
        family, istio, custom, text = state
        self._last = self._families.get(family or "")
        for parser, name in ((self._istio, istio), (self._custom, custom)):
            if parser is not None and name is not None:
                for compiled in parser.formats:
                    if compiled.name == name:
                        parser.last = compiled
        self._last_text = TEXT_BY_NAME.get(text or "")

    def match_fast(self, text: str) -> AccessMatch | None:
        """The short path's match: an access-log line in the same format as the stream's line before.

        A stream of them is the bulk of any mesh's logs.  With a filter bound to the format
        (:meth:`meshtail.query.Filter.bind`), a line can be judged from this match alone,
        before any event or source object is made for it.  Counted as parsed.
        """
        if (
            self._last is self._access
            and text[:1] == "["
            and self._custom is None
            and text[1:5] != "pod/"
            and text[-1:] not in (" ", "\t", "\r")  # trailing space: the paste peeler's, on the long path
        ):
            compiled = self._istio.last
            m = compiled.strict.match(text)
            if m is not None:
                self.counts["envoy-text"] = self.counts.get("envoy-text", 0) + 1
                return compiled, m
        return None

    def parse(self, raw: RawLine, matched: AccessMatch | None = None) -> AuditEvent:
        """One event for *raw*, whatever it holds; never raises for any input text.

        Access-log lines become lazy events: decided from their deciding groups now, their
        attributes and summary built when something reads them.  ``matched`` is what
        :meth:`match_fast` found for this line, if it was asked.
        """
        if matched is None:
            matched = self.match_fast(raw.text)
        if matched is not None:
            compiled, m = matched
            return compiled.event(m, raw.text, raw.source, raw, raw.timestamp, raw.text)  # no wrapper to peel
        return self._parse(raw)

    def _exit_error(self, body: str, source: Source, extra: dict[str, Any]) -> tuple[str, Parsed] | None:
        """cobra's last words when a Go command (istio-cni, pilot-agent, istioctl) exits: ``Error: <err>``, and a
        Go panic's first line (``panic: <message>``), read as the family whose message it is, at error level and
        failed."""
        if not body.startswith(("Error: ", "panic: ")):
            return None
        found = self._detect(body[7:], source)
        if found is None or found[0] == "unknown" or type(found[1]) is tuple:
            return None
        exited = found[1]
        assert isinstance(exited, Parsed)
        exited.severity = "error"
        if exited.outcome not in ("failure", "deny"):
            exited.outcome = "failure"
        extra["meshtail.exit_error"] = True
        return found

    def _parse(self, raw: RawLine) -> AuditEvent:
        text = raw.text
        found: tuple[str, Parsed | AccessMatch] | None = None
        error: str | None = None
        family: Family | None = None
        body, source, stamp = text, raw.source, raw.timestamp
        extra: dict[str, Any] = {}
        decoded = False
        if len(text) <= MAX_PARSE:
            try:
                peeled = peel(text, raw.source, raw.timestamp)
                body, source, stamp = peeled.body, peeled.source, peeled.stamp
                if body.startswith("Error: ") and _OWN_START.match(body, 7) is not None:
                    # an author's "Error:" before a whole line with its own time or level (a command's last words
                    # are a message alone): the line says what it is, the label does not
                    body = body[7:]
                    extra["meshtail.partial"] = True
                found = self._detect(body, source) or self._exit_error(body, source, extra)
                if found is None:
                    # a wrapper's prefix before a message alone: peeled only if a family then claims the message
                    for loose in peel_loosely(body, source):
                        found = self._detect(loose.body, loose.source) or self._exit_error(
                            loose.body, loose.source, extra
                        )
                        if found is not None:
                            body, source, stamp = loose.body, loose.source, stamp or loose.stamp
                            peeled.adopt(loose)
                            break
                elif type(found[1]) is not tuple and found[1].outcome == "unknown":
                    # read with a prefix no program writes ("1234:", "> ") and no outcome told: the message
                    # behind the prefix may tell one (its family's rules anchor at the message's start)
                    for loose in peel_loosely(body, source, foreign_only=True):
                        better = self._detect(loose.body, loose.source)
                        if (
                            better is not None
                            and better[0] == found[0]
                            and type(better[1]) is not tuple
                            and better[1].outcome != "unknown"
                        ):
                            found, body, source = better, loose.body, loose.source
                            peeled.adopt(loose)
                            break
                if found is None:
                    # a peeler may have taken what was the line's own (a timestamp, two words):
                    # read the less peeled text, innermost first
                    for earlier_body, earlier_source, earlier_stamp in reversed(peeled.earlier):
                        found = self._detect(earlier_body, earlier_source)
                        if found is not None:
                            body, source, stamp = earlier_body, earlier_source, earlier_stamp
                            peeled.wrappers = peeled.wrappers[: len(peeled.earlier) - 1]
                            break
                if peeled.wrappers:
                    extra["meshtail.wrappers"] = list(peeled.wrappers)
                if peeled.partial:
                    extra["meshtail.partial"] = True
                decoded = peeled.decoded
                family = self._last
                if found is not None and type(found[1]) is tuple:
                    compiled, m = found[1]
                    self.counts["envoy-text"] = self.counts.get("envoy-text", 0) + 1
                    return compiled.event(m, text, source, raw, stamp, body, extra or None)
            except Exception as exc:  # a parser bug must not lose the line
                error = f"{type(exc).__name__}: {exc}"
                found = None
        else:
            error = f"line of {len(text)} characters is longer than the {MAX_PARSE} meshtail parses"
            # an access line whose path or header an attacker made huge is still the request it records (a denial
            # must not hide in a long line), and the strict formats read it in one linear pass: tried alone, as a
            # re-read of the stored event tries them (which read a 10 MB 403 as the denial the first read had missed)
            matched = self._access(text, raw.source)
            if matched is not None:
                compiled, m = matched[1]
                self.counts["envoy-text"] = self.counts.get("envoy-text", 0) + 1
                self._last = self._access
                return compiled.event(m, text, raw.source, raw, raw.timestamp, text, {"meshtail.long_line": len(text)})
        if found is None:
            name = "unknown"
            attrs: dict[str, Any] = {"meshtail.unparsed": True}
            if error:
                attrs["meshtail.parse_error"] = error
            parsed = Parsed(
                None,
                "other",
                "unknown",
                False,
                _guess_severity(body),
                "log.unparsed",
                clip(body.strip(), 200) or "(empty line)",
                attrs,
            )
            heuristic_verdict(parsed, body)
            needs_cleaning = True
            family = None
        else:
            name, parsed = found  # type: ignore[assignment]
            needs_cleaning = parsed.decoded or decoded or has_unsafe(body)
            if name == "unknown":
                heuristic_verdict(parsed, body)
            else:
                if not parsed.violation and parsed.category in ("other", "routing"):
                    policy_denial(parsed, _deciding_text(name, parsed, body))
                if parsed.outcome == "unknown":
                    parsed.outcome = outcome_from_words(parsed.severity, body[:2048])
        parsed.attributes.update(extra)
        summary = finish(parsed.attributes, parsed.summary, stamp, raw.decode_error, needs_cleaning)
        self.counts[name] = self.counts.get(name, 0) + 1
        event = AuditEvent(
            time=parsed.time or normalize(stamp),
            received=raw.received,
            category=parsed.category,
            outcome=parsed.outcome,
            violation=parsed.violation,
            severity=parsed.severity,
            action=parsed.action,
            summary=summary,
            format=name,
            source=source,
            attributes=parsed.attributes,
            raw=text,
        )
        hint = self._family_names.get(family, name) if family is not None else name
        if family is self._text and self._last_text is not None:
            hint = TEXT_NAMES[self._last_text]  # which text family: read again by that one first
        event._detail, event._data = LINE, (hint, stamp, raw.decode_error)
        return event


class LineDetail:
    """An eagerly parsed line: its attributes exist; the store keeps how it was read to read it again.

    An event's ``_data`` is ``(hint, kubelet stamp, decode error)``; the hint names the family
    that read the line, tried first when the store parses it again.
    """

    __slots__ = ()

    def expand(self, event: AuditEvent) -> tuple[dict[str, Any], str, str | None]:  # pragma: no cover
        raise AssertionError("an eagerly parsed event has its attributes")

    def attr(self, event: AuditEvent, name: str) -> Any:
        return MISSING

    def time(self, event: AuditEvent) -> str | None:
        return MISSING

    def origin(self, event: AuditEvent) -> tuple[str, str | None, bool]:
        return event._data  # type: ignore[no-any-return]


LINE = LineDetail()


# Words that say access was refused or config was rejected, in any program's log or a tool's output
# (curl's "RBAC: access denied" body, kubectl's "admission webhook … denied the request", a gRPC
# PERMISSION_DENIED, a 403 next to a request).  A line no family read that says so must not sit in
# "other": an auditor filtering the Violations pane has to see it, marked as a guess.
_CONFIG_WORDS = re.compile(
    r"(?i)admission webhook|configuration is invalid|invalid (?:config|configuration|resource)|validation failed"
    r"|\b(?:config|configuration|listener|cluster|route|xds|[lcre]ds|nack|ack error|webhook|envoyfilter"
    r"|virtualservice|destinationrule|gateway|authorizationpolicy|peerauthentication)\b"
)
# (not inside a name: a file "VirtualService-invalid.yaml", a resource "invalid-virtual-service" -- a test dataset's
# names in a kubectl command and its output, holdout117 -- refuse nothing)
_CONFIG_REJECTED = re.compile(
    r"(?i)(?<![\w/-])(?:denied the request|rejected|rejecting|is invalid|invalid|ack error|validation failed)"
    r"(?![\w-]|\.(?:ya?ml|json)\b)|\bnack(?:-?ed)?\b"
)
_DENIED = re.compile(
    # ("deny" inside a name -- a rule "deny-guestbook", a policy "deny-all" -- says nothing was refused)
    r"(?i)\bden(?:y|ied|ies|ying)(?![\w-]|[=:]\s*0\b)"
    r"|\b(?:forbidden|unauthori[sz]ed|unauthenticated|not authori[sz]ed"
    r"|not allowed|permission ?denied|permission_denied|rbac: access denied"
    # (not the API server's answer to a malformed or invalid request: client-go's words for a bare 400 and 422)
    r"|rejected(?! our request (?:for an unknown reason|due to an error in our request)))\b"
    # Envoy's own words for a refusal, inside identifiers where \b does not apply
    r"|rbac_access_denied|jwt_authn_access_denied|ext_authz_denied|filter_chain_not_found"
    r"|no matching filter chain|PermissionDenied|Unauthenticated"
)
_REQUEST_REFUSED = re.compile(
    r"\b(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT)\s+\S+(?:\s+HTTP/[\d.]+)?\"?\s+(?:401|403)\b"
    r"|(?i:\b(?:status|code|response_code|status_code)\"?[=: ]+\"?(?:401|403)\b)"  # key=403, "status":403
)
# the status line of a response as a client prints it ("< HTTP/1.1 403 Forbidden" from curl -v, "HTTP/2 403" from
# curl -i), alone: the client's view of an answer, not a log line of the mesh's (both blind collectors: unknown)
# (only the registered reason phrases: "HTTP/1.1 403 RBAC access denied" is a refusal's words, and stays a guess)
_CLIENT_STATUS = re.compile(
    r"\s*(?:< )?HTTP/[\d.]{1,3} [1-5]\d\d(?: (?:OK|Created|Accepted|No Content|Moved Permanently|Found|See Other"
    r"|Not Modified|Temporary Redirect|Permanent Redirect|Bad Request|Unauthorized|Forbidden|Not Found"
    r"|Method Not Allowed|Request Timeout|Conflict|Gone|Payload Too Large|Too Many Requests"
    r"|Request Header Fields Too Large|Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable"
    r"|Gateway Timeout))?\s*"
)
# a measurement, not an event: a Prometheus exposition sample (``istio_requests_total{response_code="403"} 5``,
# ``apiserver_admission_webhook_…{rejected="true"} 0``) or an Envoy admin stat (``http.inbound_….rbac.denied: 4``):
# a count of refusals is no refusal, and which of them the mesh logged is in its own lines
_METRIC_SAMPLE = re.compile(
    r"\s*(?:(?=[\w:]{0,200}[_{])[a-zA-Z_:][\w:]{0,200}(?:\{[^{}\n]{0,2000}\})?\s+[-+]?(?:\d[\d.]*(?:[eE][-+]?\d+)?|NaN|\+?Inf)(?:\s+\d{10,13})?"
    r"|[a-zA-Z_][\w.|:\[\]-]{0,300}\.[\w-]{1,100}:\s+\d{1,20})\s*"
)
# a count of none: "Envoy has 0 rejected configurations" (consul's `troubleshoot proxy` check), "0 denied",
# "rejected: 0" -- nothing was refused
_NONE_COUNTED = re.compile(
    r"(?i)(?<![\w.,-])0 (?:[a-z]{1,30} ){0,2}?(?:rejected|denied|refused|forbidden|unauthori[sz]ed)\b"
    r"|\b(?:rejected|denied|refused)(?: [a-z]{1,30})?[=:] ?0(?![\w.,])"
)
# a Linux security module's audit record -- SELinux's "type=AVC msg=audit(…): avc:  denied  { write } for …",
# AppArmor's "apparmor=\"DENIED\" operation=…" (auditd, dmesg, journald alike): the host refusing a process a file or a
# signal, not the mesh refusing a request (holdout88's two, from RKE2 and microk8s threads, labelled so blind)
_HOST_LSM = re.compile(
    r"\btype=(?:AVC|USER_AVC|SELINUX_ERR|APPARMOR_[A-Z]{1,20}|1400|1107) (?:msg=)?audit\(\d"
    r"|\bavc: {1,2}denied {1,2}\{ [\w ]{1,200}\} for "
    r"|\bapparmor=\"[A-Z_]{1,20}\" operation=\""
)
_FAILED_WORDS = re.compile(
    r"(?i)\b(?:failed|failure|fails|error|errors|unable to|cannot|can't|could not|couldn't|refused|timed out|timeout"
    r"|unavailable|unreachable)\b"
)
# a word used as a field's label ("(started: 2019-10-09 …)", "connected=3") states nothing
_DONE_WORDS = re.compile(r"(?i)\b(?:succeeded|succeed|successfully|is ready|are ready|started|connected)\b(?![:=])")
# "… has successfully terminated": a stop, whatever adverb it takes
# (and "no <thing> started": Envoy's "No admin address given, so no admin HTTP server started.", holdout141)
_NOT_DONE = re.compile(
    r"(?i)\b(?:not|failed|never|no longer|terminated|stopped|exited|shut ?down|disconnected)\b"
    r"|\bno (?:[\w-]+ ){0,3}(?:started|connected)\b"
)
# "Checking if … is ready", "waiting until … is ready": a question about the state, not the state (but "started,
# waiting for connections" did start: the wait must come before the word)
_ASKED = re.compile(
    r"(?i)\b(?:check(?:ing)? (?:if|whether)|whether|waiting (?:for|until)|wait (?:for|until))\b[^.;,:]{0,80}?"
    r"\b(?:succeeded|succeed|is ready|are ready|started|connected)\b"
)


def outcome_from_words(severity: str, text: str) -> str:
    """The outcome of a known family's line no rule gave one, from the line's own words: an error has
    failed; a warning that says it failed has failed; an info line that says it succeeded, started or
    is ready has succeeded."""
    if severity == "error":
        return "failure"
    if severity == "warning" and _FAILED_WORDS.search(text) and not istio_go.FALLBACK.search(text):
        return "failure"  # (unless it says what it did instead: a fallback taken)
    if severity == "info" and _DONE_WORDS.search(text) and not _NOT_DONE.search(text) and not _ASKED.search(text):
        return "success"
    return "unknown"


def heuristic_verdict(parsed: Parsed, body: str) -> None:
    """Give a line no family read a guessed verdict when its words say refused or rejected, and mark it.

    Fail safe toward visibility: a guessed denial in the Violations pane costs a look; a real
    one left in "other" is not seen at all.  ``meshtail.heuristic`` is true on every such event.
    """
    text = body[:4096]
    try:
        exempt = _no_refusal(text)
    except Exception:  # (this runs outside the parse's guard: a line must never stop the stream; flag it instead)
        exempt = False
    if exempt:
        return
    if "0" in text:
        text = _NONE_COUNTED.sub(" ", text)
    rejected = _CONFIG_REJECTED.search(text)
    if rejected and _CONFIG_WORDS.search(text):
        verdict = ("config", "failure", True, "log.config_rejected", "words of a rejected configuration")
    elif _DENIED.search(istio_go.FILE_MODE.sub("", text) if "ermission" in text else text) or _REQUEST_REFUSED.search(
        text
    ):
        verdict = ("auth", "deny", True, "log.denial", "words of a refused request")
    else:
        return
    parsed.category, parsed.outcome, parsed.violation, parsed.action, why = verdict
    if parsed.severity in ("debug", "info"):
        parsed.severity = "warning"
    parsed.attributes["meshtail.heuristic"] = True
    parsed.attributes["meshtail.heuristic_reason"] = f"no family read this line; classified by {why}"


def _no_refusal(text: str) -> bool:
    """Whether the words of a refusal are in a shape that refuses nothing the mesh decided: a client's copy of the
    answer (the proxy's own line of that request is the event), a metric sample, the kernel's own access control --
    as it stands, behind a wrapper's prefix ("May 01 10:11:12 ", "$ "), or as a collector's record's text; and only
    when nothing else on the line says refused (an author's "the sidecar denied it" beside a client's 403 still
    does)."""
    if _exempt(text):
        return True
    if not _MAY_HOLD_EXEMPT.search(text):
        return False  # (cheap: a flood of refusals in other words costs no loose reading or decoding)
    for loose in peel_loosely(text, _NOWHERE):
        body = loose.body[:4096]
        at = text.find(body) if body else -1
        if at >= 0 and _exempt(body) and not _refusing(text[:at] + " " + text[at + len(body) :]):
            return True
    if text[:1] == "{" and text[-1:] == "}":
        exempt: list[str] = []
        try:
            rest = _without_exempt(json.loads(text), exempt, 0)
        except (ValueError, RecursionError):  # (a hostile record nested past the interpreter's depth, or past ours)
            return False
        # (every key, number and leaf at any depth counts: only the exempt strings are taken out)
        return bool(exempt) and not _refusing(json.dumps(rest))
    return False


# what each exempt shape must hold somewhere: a status line's "HTTP/", a kernel record's "apparmor=" or "avc:", a
# sample's label set closing before its value ("} 5", '}\" 5' inside JSON) or a stat's ": <count>"
_MAY_HOLD_EXEMPT = re.compile(r"HTTP/|apparmor=|avc:|\}\\?\"? [-+\d.NI]|[\w\]]: \d{1,20}\s*(?:$|\\?\")")


def _exempt(text: str) -> bool:
    return bool(_CLIENT_STATUS.fullmatch(text) or _METRIC_SAMPLE.fullmatch(text) or _HOST_LSM.search(text))


def _refusing(text: str) -> bool:
    return bool(_DENIED.search(text) or _REQUEST_REFUSED.search(text))


def _without_exempt(value: Any, exempt: list[str], depth: int) -> Any:
    """The decoded record with its exempt string values (collected in ``exempt``) blanked; RecursionError past 32
    levels (such a record is read as it stands)."""
    if depth > 32:
        raise RecursionError("record nested past 32 levels")
    if isinstance(value, str):
        if _exempt(value):
            exempt.append(value)
            return ""
        return value
    if isinstance(value, dict):
        return {key: _without_exempt(item, exempt, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_exempt(item, exempt, depth + 1) for item in value]
    return value


_NOWHERE = Source("stdin")


# A refusal by policy in a known family's line no rule of the family named (a vendor's or another version's
# wording: "connection … denied by policy", "RBAC: access denied", "request rejected by authorization policy").
# Only words of a policy decision: "permission denied" is as often a file's mode as a policy.
_POLICY_DENIAL = re.compile(
    r"(?i)\b(?:denied|rejected|refused|blocked|disallowed) by (?:an? |the )?(?:[\w-]+ )?(?:authori[sz]ation )?"
    r"(?:polic(?:y|ies)|rbac|authori[sz]ation)\b"
    r"|\bpolicy (?:denied|denial|rejection|rejected)\b|\bRBAC:? (?:access )?(?:denied|rejected|deny)\b"
    r"|rbac_access_denied|\baccess (?:denied|forbidden)\b"
    # a WAF in the proxy (Coraza or ModSecurity in a Go, Wasm or Lua filter) blocking by the OWASP Core Rule Set's
    # anomaly score: its blocking rule's words (949110, "REQUEST-949-BLOCKING-EVALUATION"; blind set holdout162)
    r"|\b(?:Inbound|Outbound) Anomaly Score Exceeded\b|\b(?:REQUEST|RESPONSE)-9[45]9-BLOCKING-EVALUATION\b"
    r"|\bcrs\.violated_rule\b|\bnot allowed by (?:an? |the )?(?:[\w-]+ )?polic(?:y|ies)\b"
    # the WAF refusing a request, or reporting an attack it found in one ("Coraza: Warning. XSS Attack Detected via
    # libinjection [file …] [id "941100"]", a Wasm filter at critical; blind set holdout161) -- not its other warnings,
    # which a served request draws too ("Host header is a numeric IP address", every probe by IP: found in review)
    r"|\b(?:Coraza|ModSecurity): (?:Access denied|Warning\. [^\n]{0,800}?(?:@owasp_crs/REQUEST-9(?:13|3\d|4\d)-"
    r"|\[tag \"attack-|\b(?:Attack|Injection|Traversal|Remote Command Execution|Remote File Inclusion|security scanner"
    r"|Anomaly Score Exceeded)\b))"
)


# the families whose records decide by their own fields (status, flags, details), never by words in them
_DECIDED_BY_FIELDS = frozenset(("envoy-text", "envoy-json"))


def _deciding_text(name: str, parsed: Parsed, body: str) -> str:
    """Where a known family's line may say a policy refused something: the line, or for an access record only its
    flags and details (an author's own flag, "RBAC_ACCESS_DENIED"), and for a header's line nothing -- a path, a
    user agent or a header value is the client's words and refuses nothing (found in review)."""
    if parsed.action == "http.header":
        return ""
    if name not in _DECIDED_BY_FIELDS:
        return body
    attrs = parsed.attributes
    flags = attrs.get("envoy.response_flags")
    details = attrs.get("envoy.response_code_details")
    return " ".join((*(flags if isinstance(flags, list) else ()), details if isinstance(details, str) else ""))


# a word each of _POLICY_DENIAL's alternatives needs, looked for before it runs
_DENIAL_HINTS = (
    "enied",
    "eject",
    "RBAC",
    "efused",
    "orbidden",
    "allowed by",
    "Anomaly Score",
    "BLOCKING",
    "violated_rule",
    "Coraza",
    "ModSecurity",
)


def _may_deny(text: str) -> bool:
    return any(word in text for word in _DENIAL_HINTS)


def policy_denial(parsed: Parsed, body: str) -> None:
    """A known family's catch-all line that says a policy refused something: a denial, marked as a guess."""
    text = body[:2048]
    if not _may_deny(text) or _POLICY_DENIAL.search(text) is None:
        return
    parsed.category, parsed.outcome, parsed.violation, parsed.action = "auth", "deny", True, "log.denial"
    if parsed.severity in ("debug", "info"):
        parsed.severity = "warning"
    parsed.attributes["meshtail.heuristic"] = True
    parsed.attributes["meshtail.heuristic_reason"] = (
        "no rule of its family named this line; classified by words of a policy refusal"
    )


_LEVEL_WORD = re.compile(r"\b(ERROR|Error|error|WARN|Warn|warn|WARNING|warning|FATAL|fatal|PANIC|panic)\b")


def _guess_severity(body: str) -> str:
    match = _LEVEL_WORD.search(body[:200])
    return severity_of(match.group(1).lower(), "info") if match else "info"


def _unrecognised_json(obj: dict[str, Any]) -> Parsed:
    attrs: dict[str, Any] = {"meshtail.unparsed": True}
    for key, value in obj.items():
        if isinstance(value, str | int | float | bool) or value is None:
            attrs[attr_key("json", str(key))] = value
    message = obj.get("msg", obj.get("message", obj.get("log")))
    summary = clip(str(message), 200) if message is not None else "JSON line of unknown shape"
    stamp = obj.get("time", obj.get("timestamp", obj.get("ts")))
    level = obj.get("level", obj.get("severity"))
    return Parsed(
        normalize(stamp) if isinstance(stamp, str) else None,
        "other",
        "unknown",
        False,
        severity_of(str(level)) if level else "info",
        "json.unrecognized",
        summary,
        attrs,
        decoded=True,
    )


def compile_formats(formats: list[str]) -> list[CompiledFormat]:
    """The user's ``--format-string`` values, compiled (raises ``FormatError``).

    Typed (see :func:`~meshtail.parse.envoy_access.compile_format`): a line the user's format
    matches only with a field error — a status code that is not a number, a time that is not one
    — does not fit it, and :class:`StreamParser` reads it with the built-in formats instead.
    """
    return [
        compile_format(fmt, name=f"custom-{index + 1}" if len(formats) > 1 else "custom", typed=True)
        for index, fmt in enumerate(formats)
    ]
