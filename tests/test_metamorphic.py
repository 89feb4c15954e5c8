# ruff: noqa: E501  (real log lines, verbatim)
"""A line read right stays right however an operator got it: the labelled lines, re-wrapped.

Operators paste a line as a tool or a collector gave it to them, or as a chat or a terminal left it.
Every labelled line of ``tests/data`` that meshtail reads right as it stands (the blind ``holdout2``
left out) is put back into each wrapper shape a tool writes (stern, kail, ``kubectl logs --prefix
--timestamps``, CRI files, docker-compose, ``grep -n/-H``, a log UI's export, the OpenTelemetry debug
exporter, Docker json-file, Fluent Bit, Vector, a Loki export, Cloud Logging, Azure) and each text
artefact of pasting (a markdown quote, a CSV cell, tabs collapsed or expanded, a web page's no-break
spaces, HTML entities, a blog's typography), with names that fit
its family (istiod's pod and ``discovery`` container, a ztunnel pod, an istio-cni node pod...): the
reading (family, category, outcome, violation) must not change.

Before the loose peel (``wrappers.peel_loosely``) a message pasted without its time behind stern's
names, a compose column or ``grep -n`` was not read at all: 3.5 % of the lines broke behind stern,
8.2 % behind a log UI's time; 68 % broke when a web page had made its spaces no-break spaces, 57 % of the
lines with quotes when a page's source had made them ``&quot;``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser

DATA = Path(__file__).parent / "data"
STAMP = "2024-05-01T10:11:12.123456789Z"
# a pod and container of the family's own (a stern capture of istiod names istiod's pod)
_LEVEL_FIRST = re.compile(r"(?:debug|info|warn|warning|error|fatal)\t")
_ISO_START = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?\s")
NAMES = {
    "istiod": ("istiod-5d95bbc58f-78xxg", "discovery"),
    "istio-cni": ("istio-cni-node-7q6z7", "install-cni"),
    "ztunnel": ("ztunnel-2vfp8", "istio-proxy"),
    "k8s-audit": ("kube-apiserver-master-1", "kube-apiserver"),
    "unknown": ("opa-7d9f8b6c5d-x2k4q", "opa"),  # a line of no mesh family comes from a program of its own
}
PROXY = ("productpage-v1-7bbdd59459-dqhcb", "istio-proxy")

Wrap = Callable[[str, str, str], str | None]
# Envoy's bracketed head, then the source location in brackets ("[…][17][debug][router] [source/…/router.cc:425] …")
_ENVOY_LOCATED = re.compile(r"(\[\d{4}-\d\d-\d\d [\d:.]+\]\[\d+\]\[\w+\]\[[\w.]+\]) \[?[^\]\s]+\.(?:cc|h):\d+\] (.*)")
# a line in Istio's own columns: its time, then a tab
_ISTIO_COLUMNS = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z\t")

WRAPPERS: dict[str, Wrap] = {
    "stern": lambda s, pod, ctr: f"{pod} {ctr} {s}",
    "stern -A": lambda s, pod, ctr: f"default {pod} {ctr} {s}",
    "stern --timestamps": lambda s, pod, ctr: f"{pod} {ctr} {STAMP} {s}",
    # stern/stern stern/tail.go: TimestampFormatShort "01-02 15:04:05", and the default format in the
    # operator's own zone (--timezone defaults to Local)
    "stern --timestamps=short": lambda s, pod, ctr: f"{pod} {ctr} 05-01 10:11:12 {s}",
    "stern --timestamps (local zone)": lambda s, pod, ctr: f"{pod} {ctr} 2024-05-01T12:11:12.123456789+02:00 {s}",
    "stern -o json --timestamps": lambda s, pod, ctr: json.dumps(
        {
            "message": f"2024-05-01T12:11:12.123456789+02:00 {s}",
            "nodeName": "gke-prod-default-pool-1a2b3c4d-x9z8",
            "namespace": "default",
            "podName": pod,
            "containerName": ctr,
        }
    ),
    "kail": lambda s, pod, ctr: f"default/{pod}[{ctr}]: {s}",
    "kubectl --prefix": lambda s, pod, ctr: f"[pod/{pod}/{ctr}] {s}",
    "kubectl --timestamps": lambda s, pod, ctr: f"{STAMP} {s}",
    "CRI file": lambda s, pod, ctr: f"{STAMP} stdout F {s}",
    "CRI-O file (local offset)": lambda s, pod, ctr: f"2024-05-01T12:11:12.123456789+02:00 stderr F {s}",
    "docker-compose": lambda s, pod, ctr: f"{ctr}_1  | {s}",
    "grep -n": lambda s, pod, ctr: f"1234:{s}",
    "grep -H": lambda s, pod, ctr: f"{ctr}.log:{s}",
    # a context line of grep -C/-A/-B: "-" where a match has ":"
    "grep -n context": lambda s, pod, ctr: f"1234-{s}",
    "grep -H context": lambda s, pod, ctr: f"{ctr}.log-{s}",
    "log UI export": lambda s, pod, ctr: f"2024-05-01 10:11:12.123 | {s}",
    # grafana/grafana public/app/features/inspector/utils/download.ts: "<epoch ms>\t<time>\t<line>"
    "Grafana download": lambda s, pod, ctr: f"1714558272123\t2024-05-01T10:11:12.123Z\t{s}",
    "OTel debug exporter": lambda s, pod, ctr: f"Body: Str({s})",
    "Docker json-file": lambda s, pod, ctr: json.dumps({"log": s + "\n", "stream": "stdout", "time": STAMP}),
    "Fluent Bit": lambda s, pod, ctr: json.dumps(
        {
            "log": s + "\n",
            "time": STAMP,
            "kubernetes": {"pod_name": pod, "namespace_name": "default", "container_name": ctr},
        }
    ),
    "Vector": lambda s, pod, ctr: json.dumps(
        {
            "message": s,
            "timestamp": STAMP,
            "kubernetes": {"pod_name": pod, "pod_namespace": "default", "container_name": ctr},
        }
    ),
    "Filebeat (ECS)": lambda s, pod, ctr: json.dumps(
        {
            "@timestamp": "2024-05-01T10:11:12.123Z",
            "message": s,
            "log": {"file": {"path": f"/var/log/containers/{pod}_default_{ctr}-0.log"}, "offset": 1},
            "stream": "stdout",
            "kubernetes": {"pod": {"name": pod}, "container": {"name": ctr}},
        }
    ),
    "Loki export": lambda s, pod, ctr: json.dumps(
        {"line": s, "timestamp": "1714558272123000000", "fields": {"pod": pod}}
    ),
    "Cloud Logging": lambda s, pod, ctr: json.dumps(
        {"textPayload": s, "resource": {"type": "k8s_container", "labels": {"pod_name": pod, "container_name": ctr}}}
    ),
    # a JSON line as Cloud Logging keeps it: jsonPayload, its time and severity moved out by the agent
    # (cloud.google.com/logging/docs/structured-logging)
    "Cloud Logging jsonPayload": lambda s, pod, ctr: _json_payload(s, pod, ctr),
    "Azure": lambda s, pod, ctr: json.dumps({"time": STAMP, "properties": {"log": s, "pod": pod}}),
    "markdown quote": lambda s, pod, ctr: f"> {s}",
    "quote of a quote": lambda s, pod, ctr: f"> > {s}",
    "Go log time": lambda s, pod, ctr: f"2024/05/01 10:11:12 {s}",
    # a log viewer's local time with no zone, as its panel shows it and a copy keeps it (Grafana Explore, Lens)
    "log viewer local time": lambda s, pod, ctr: f"2024-05-01 12:11:12.123 {s}",
    "log viewer local time (ISO)": lambda s, pod, ctr: f"2024-05-01T12:11:12.123 {s}",
    "chat message time": lambda s, pod, ctr: f"[10:42 AM] {s}",
    # what pages and chats put before a line: a numbered list's mark, a bullet, an author's label in another
    # script or in bold, a markdown table's borders (its "|" escaped), with a redacted address
    "numbered list": lambda s, pod, ctr: f"1. {s}",
    "bullet": lambda s, pod, ctr: f"* {s}",
    "list item of a code span": lambda s, pod, ctr: f"- `{s}`" if "`" not in s else None,
    # a JSON record an author's sentence ends with a period, or follows with "..." (more lines left out)
    "a record then a period": lambda s, pod, ctr: s + "." if s[:1] == "{" and s[-1:] == "}" else None,
    "a record then an ellipsis": lambda s, pod, ctr: s + " ..." if s[:1] == "{" and s[-1:] == "}" else None,
    "label in another script": lambda s, pod, ctr: f"ログ: {s}",
    "bold label": lambda s, pod, ctr: f"**{ctr}:** {s}",
    "markdown table cell": lambda s, pod, ctr: "| " + s.replace("|", "\\|") + " |",
    "k9s border": lambda s, pod, ctr: f"│ {s} │",
    # a log UI's or a support article's table with the time and the level in cells of their own (the AKS Istio
    # add-on's troubleshooting page: "| 2023-11-21T00:20:25.808873Z | info      | spiffe  Added 1 certs … |")
    "table columns": lambda s, pod, ctr: _table_columns(s),
    "addresses redacted": lambda s, pod, ctr: _IPV4.sub("x.x.x.x", s) if _IPV4.search(s) else None,
    "CSV cell": lambda s, pod, ctr: '"' + s.replace('"', '""') + '"' if '"' in s else None,
    # Istio's columns copied out of a JSON string or an event's message, the tabs and quotes left as escapes
    # (holdout5: ', message: "2023-08-10T05:18:57.513110Z\tinfo\tWaiting for Envoy proxy to be ready …\n"')
    "escaped in a message field": lambda s, pod, ctr: (
        ', message: "' + s.replace("\\", "\\\\").replace("\t", "\\t").replace('"', '\\"') + '\\n"'
        if _ISTIO_COLUMNS.match(s)
        else None
    ),
    # an issue's or a page's HTML around the line (GitHub renders <pre> and <code> in an issue's markdown)
    "HTML code tags": lambda s, pod, ctr: f"<pre><code>{s}</code></pre>",
    # Envoy's own line under a --log-format without the source location ("[%Y-%m-%d %T.%e][%t][%l][%n] %v", the
    # docs' example): the message, its connection ids first, says what it means without the file
    "Envoy without its source location": lambda s, pod, ctr: (
        f"{m[1]} {m[2]}" if (m := _ENVOY_LOCATED.match(s)) is not None else None
    ),
    # CloudWatch Logs Insights' CSV export of @timestamp,@message: the line in the row's last, quoted cell
    "CloudWatch Insights CSV": lambda s, pod, ctr: '2024-05-01 10:11:12.123,"' + s.replace('"', '""') + '"',
    # colour codes a terminal's copy or a CI viewer kept without their escape byte (stern's names, tracing's time
    # and level: "[2m2026-05-10T16:11:20Z[0m [32m INFO[0m"; a copy seen in the wild, as tools that strip it note)
    "colour codes that lost their escape": lambda s, pod, ctr: f"[36m{pod}[0m [32m{ctr}[0m {s}",
    # log tools' own times: Cloud Logging's row with its zone, Splunk's _time, Sumo Logic's, New Relic's
    "log viewer time with its zone": lambda s, pod, ctr: f"2024-05-01 12:11:12.123 CEST {s}",
    "Splunk's time": lambda s, pod, ctr: f"5/1/24 10:11:12.123 AM {s}",
    "Sumo Logic's time": lambda s, pod, ctr: f"05/01/2024 10:11:12.123 +0200 {s}",
    "New Relic's time": lambda s, pod, ctr: f"May 1, 2024 10:11:12 {s}",
    # Azure Monitor's "Export to CSV" (TimeGenerated in the portal's locale, quoted for its comma)
    "Azure Monitor CSV": lambda s, pod, ctr: '"5/1/2024, 10:11:12.123 AM","' + s.replace('"', '""') + '"',
    # aws logs tail <group>: time, log stream (Fluent Bit's kube.var.log.containers.<pod>_<ns>_<container>-<id>.log)
    "aws logs tail": lambda s, pod, ctr: (
        f"2024-05-01T10:11:12.123000+00:00 kube.var.log.containers.{pod}_default_{ctr}-4f1c3b8a9d2e7f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718.log {s}"
    ),
    # gcloud logging read (YAML by default): the textPayload key of each entry, quoted as YAML quotes it
    "gcloud logging read": lambda s, pod, ctr: _yaml_key("textPayload", s),
    # promtail --dry-run (grafana/loki clients/pkg/promtail/client/logger.go: time, tab, label set, tab, line)
    "promtail --dry-run": lambda s, pod, ctr: (
        f'2024-05-01T10:11:12.123456789+0000\t{{container="{ctr}", namespace="default", pod="{pod}"}}\t{s}'
    ),
    # Logstash's rubydebug codec (stdout { codec => rubydebug }): one key a line, the message JSON-quoted
    "Logstash rubydebug": lambda s, pod, ctr: f'      "message" => {json.dumps(s)},',
    # Graylog's stored message (its gl2_* keys beside the line)
    "Graylog message": lambda s, pod, ctr: json.dumps(
        {
            "message": s,
            "source": "node-1",
            "timestamp": "2024-05-01T10:11:12.123Z",
            "gl2_source_input": "5f1c",
            "gl2_message_id": "01HX",
            "streams": ["000000000000000000000001"],
        }
    ),
    # a time a pipe put in front of each line: moreutils' ts (its default "%b %d %H:%M:%S", and the bracketed format
    # of its examples), as in "kubectl logs -f … | ts"
    "moreutils ts": lambda s, pod, ctr: f"May 01 10:11:12 {s}",
    "a pipe's bracketed time": lambda s, pod, ctr: f"[2024-05-01 10:11:12] {s}",
    # kubetail (johanhaleby/kubetail): each line tagged with its pod, and its container when the pod has several
    "kubetail": lambda s, pod, ctr: f"[{pod}] {s}",
    "kubetail with the container": lambda s, pod, ctr: f"[{pod} {ctr}] {s}",
    # a pod's name and a colon (argo logs; a script's sed "s/^/$pod: /" over kubectl logs)
    "a pod's name and a colon": lambda s, pod, ctr: f"{pod}: {s}",
    # Tilt (tilt up --stream, tilt logs): the resource's column drawn with a box-drawing bar
    "Tilt": lambda s, pod, ctr: f"{ctr:<16}\u2502 {s}",
    # a log viewer's line number run into the line's own time when copied (a CI log's or a gist's gutter)
    "a line number run into the time": lambda s, pod, ctr: f"184{s}" if _ISO_START.match(s) else None,
    # a raw syslog capture (RFC 3164 with its priority: nc, tcpdump, a relay's debug output)
    "syslog with its priority": lambda s, pod, ctr: f"<134>May  1 10:11:12 node-1 {ctr}[123]: {s}",
    # a search API's hit (Elasticsearch/OpenSearch _search) and Splunk's export (output_mode=json)
    "Elasticsearch hit": lambda s, pod, ctr: json.dumps(
        {"_index": "logs-2024.05.01", "_id": "x1", "_source": {"message": s, "kubernetes": {"pod": {"name": pod}}}}
    ),
    "Splunk export": lambda s, pod, ctr: json.dumps(
        {"preview": False, "result": {"_raw": s, "_time": "2024-05-01T10:11:12.123+00:00", "host": "node-1"}}
    ),
    # (not a line that starts at its level: with neither time nor tabs left, "error status configmaps … forbidden" is
    # a sentence as much as istiod's line -- its tabs were all that said it)
    "tabs as one space": lambda s, pod, ctr: s.replace("\t", " ") if "\t" in s and not _LEVEL_FIRST.match(s) else None,
    "tabs as four spaces": lambda s, pod, ctr: s.replace("\t", "    ") if "\t" in s else None,
    "tabs expanded to stops": lambda s, pod, ctr: s.expandtabs(8) if "\t" in s else None,
    # what a web page, a wiki or a chat does to a copied line
    "no-break spaces": lambda s, pod, ctr: s.replace(" ", "\u00a0").replace("\t", "\u00a0" * 4) if " " in s else None,
    "HTML entities": lambda s, pod, ctr: html.escape(s) if any(c in s for c in '"<>') else None,
    # a blog engine's typography (WordPress's wptexturize): dashes and dots, and straight quotes made curly
    "blog typography": lambda s, pod, ctr: _texturize(s) if any(c in s for c in '-."') else None,
}


_IPV4 = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")


def _yaml_key(key: str, line: str) -> str | None:
    """``key: <line>`` as PyYAML writes it (plain, single- or double-quoted); None when YAML would fold it."""
    dumped = yaml.safe_dump({key: line}, width=1 << 30, allow_unicode=True).rstrip("\n")
    return None if "\n" in dumped else dumped


def _json_payload(line: str, pod: str, container: str) -> str | None:
    try:
        payload = json.loads(line)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    moved = {k: v for k, v in payload.items() if k not in ("time", "timestamp", "severity")}
    resource = {"type": "k8s_container", "labels": {"pod_name": pod, "container_name": container}}
    return json.dumps({"jsonPayload": moved, "resource": resource, "timestamp": "2024-05-01T10:11:12.123456Z"})


def _table_columns(line: str) -> str | None:
    """Istio's tab-separated line as a table row: time and level in their own cells, the tabs after them blanks."""
    cells = line.split("\t", 2)
    if len(cells) < 3 or not cells[0][:1].isdigit():
        return None
    time, level, rest = cells
    return f"| {time} | {level:<9} | {rest.replace(chr(9), '  ').replace('|', chr(92) + '|')} |"


def _texturize(text: str) -> str:
    text = text.replace(" - ", " \u2013 ").replace("--", "\u2013").replace("...", "\u2026")
    return re.sub(r'"([^"]*)"', lambda m: "\u201c" + m.group(1) + "\u201d", text)


# wrappers only a JSON line can go into (the labelled set holds a few hundred of them)
JSON_ONLY = frozenset(("Cloud Logging jsonPayload", "a record then a period", "a record then an ellipsis"))

# at most this share of the lines may read differently behind one wrapper (the few left are wrappers
# stacked in ways no tool stacks them: grep over a grep capture, a log UI's time behind grep -H)
TOLERANCE = 0.004


def _parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="pasted.log", line=1), "2026-01-01T00:00:00Z"))


def _reading(event) -> tuple[str, str, str, bool]:
    return (event.format, event.category, event.outcome, bool(event.violation))


def _labelled() -> list[tuple[str, str, tuple[str, str, str, bool]]]:
    """The single-line labelled lines read right as they stand and behind no wrapper of their own."""
    found = []
    for path in sorted(DATA.rglob("*.jsonl")):
        if "holdout2" in path.parts:
            continue  # the blind set: never read
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                record = json.loads(text)
            except ValueError:
                continue
            raw, expect = record.get("raw"), record.get("expect")
            if not isinstance(raw, str) or not isinstance(expect, dict) or "\n" in raw:
                continue
            want = (expect.get("format"), expect.get("category"), expect.get("outcome"), bool(expect.get("violation")))
            event = _parse(raw)
            bare = (
                event.source.pod is None
                and event.source.container is None
                and "meshtail.wrappers" not in event.attributes
            )
            if _reading(event) == want and bare and raw[:1] not in " \t\"'>`|":
                found.append((f"{path.relative_to(DATA)}:{number}", raw, want))
    return found


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str, tuple[str, str, str, bool]]]:
    return _labelled()


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
def test_a_line_reads_the_same_behind_each_wrapper(wrapper: str, labelled) -> None:
    assert len(labelled) > 2000  # the premise: the labelled corpus is there and mostly read right
    wrap = WRAPPERS[wrapper]
    tried, broken = 0, []
    for name, raw, want in labelled:
        pod, container = NAMES.get(want[0], PROXY)
        text = wrap(raw, pod, container)
        if text is None:
            continue
        tried += 1
        got = _reading(_parse(text))
        if got != want:
            broken.append(f"{name}: want {want} got {got} | {text[:160]!r}")
    assert tried > (200 if wrapper in JSON_ONLY else 500)
    assert len(broken) <= TOLERANCE * tried, f"{len(broken)} of {tried} lines read differently:\n" + "\n".join(
        broken[:20]
    )


# ---------------------------------------------------------------- the rules behind it, on real lines
# istio/istio#43089 https://github.com/istio/istio/issues/43089
EXIT_ERROR = "Error: failed to create discovery service: failed to create CA: failed to create a self-signed istiod CA: failed to create CA due to secret write error"
# istio/istio#30582 https://github.com/istio/istio/pull/30582
AGENT_MESSAGE = "upstream terminated with unexpected error rpc error: code = Internal desc = stream terminated by RST_STREAM with error code: NO_ERROR"
# istio/istio#56570 https://github.com/istio/istio/issues/56570
SANDBOX = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to add IP 172.18.0.200 to ipset istio-inpod-probes-v4: exist"


def test_a_message_alone_behind_a_tools_prefix_is_read() -> None:
    event = _parse(f"istio-proxy-7bbdd59459-dqhcb istio-proxy {AGENT_MESSAGE}")
    assert (event.format, event.category, event.outcome) == ("istio-agent", "config", "failure")
    assert (event.source.pod, event.source.container) == ("istio-proxy-7bbdd59459-dqhcb", "istio-proxy")
    assert event.attributes["meshtail.wrappers"] == ["stern"]
    for wrapped in (
        f"1234:{AGENT_MESSAGE}",
        f"istio-proxy_1  | {AGENT_MESSAGE}",
        f"2024-05-01 10:11:12.123 | {AGENT_MESSAGE}",
    ):
        assert _parse(wrapped).format == "istio-agent", wrapped
    # two words that are no generated pod name are a sentence's, not stern's
    sentence = _parse(f"hello world {AGENT_MESSAGE}")
    assert sentence.source.pod is None


def test_a_commands_last_words_inside_an_envelope_are_its_familys() -> None:
    for text in (
        json.dumps({"log": EXIT_ERROR + "\n", "stream": "stderr", "time": STAMP}),
        f"istiod-5d95bbc58f-78xxg discovery {EXIT_ERROR}",
    ):
        event = _parse(text)
        assert (event.format, event.outcome, event.severity) == ("istiod", "failure", "error"), text
        assert event.attributes["meshtail.exit_error"] is True


def test_a_prefix_no_program_writes_does_not_hide_the_outcome() -> None:
    assert _parse(SANDBOX).outcome == "failure"  # the premise
    for text in (f"> {SANDBOX}", f"1234:{SANDBOX}", f"istio-cni-node-7q6z7 install-cni {SANDBOX}"):
        event = _parse(text)
        assert (event.format, event.outcome) == ("istio-cni", "failure"), text


def test_a_log_ui_time_then_spaces_before_the_lines_own_time() -> None:
    # istio/istio#50596 https://github.com/istio/istio/issues/50596 (its tab turned into spaces)
    event = _parse(
        "2024-04-17 14:24:00.199    2024-04-17T05:24:00.199462Z    info    Workload SDS socket not found. Starting Istio SDS Server"
    )
    assert (event.format, event.category) == ("istio-agent", "auth")
    assert event.time == "2024-04-17T05:24:00.199462Z"
