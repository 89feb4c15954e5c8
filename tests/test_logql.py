"""The LogQL meshtail sends to Loki: quoting, selection, filter pushdown, and Grafana's own grammar.

Pushdown is only an optimisation: the tests feed the same lines through meshtail's whole
filter with and without the pushed-down query in front (evaluated by the fake Loki's LogQL
reader, RE2 as in Loki) and require the very same events.
"""

from __future__ import annotations

import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import re2

from meshtail.events import RawLine, Source
from meshtail.pipeline import Pipeline
from meshtail.query import FilterError, compile_filter
from meshtail.sources.loki.labels import LAYOUTS, Layout, detect_layout, source_for
from meshtail.sources.loki.logql import (
    LokiQueryError,
    LokiSelection,
    Matcher,
    build_query,
    escape,
    filter_conditions,
    go_compatible,
    quote,
    quote_regex,
    selector_matchers,
)

from .loki_fixtures import LogQLError, parse_query

PROMTAIL_LABELS = ["app", "cluster", "container", "job", "namespace", "pod"]
ALLOY_LABELS = ["cluster", "container", "job", "namespace", "service_name"]
OTLP_LABELS = ["k8s_cluster_name", "k8s_container_name", "k8s_namespace_name", "service_name"]

# Filters of every kind: pushable, partly pushable, not pushable, nested, negated
FILTERS = [
    "",
    "status:403",
    "status:>=500",
    "method:GET",
    "method:get OR method:post",
    "path:/api/*",
    "path:/productpage",
    "-healthz",
    '-"GET /ready"',
    "-Sidecar",
    "-σ",
    "outcome:deny",
    "cat:auth outcome:deny",
    "pod:reviews*",
    "-pod:reviews*",
    "pod:REVIEWS-*",
    "pod:=reviews-v1-Sxyz",
    "-pod:=reviews-v1-Sxyz",
    "pod:/^rev/",
    "-pod:/^REV/i",
    "container:istio-proxy",
    "-container:discovery",
    "ns:shop",
    "-ns:istio-system",
    "-ns:/istio-.*/",
    "-ns:KUBE-SYSTEM",
    "source.namespace:shop",
    "source.path:east",
    "-source.path:west",
    "raw:/denied|forbidden/i",
    "-raw:/GET/",
    "raw:/\\d{3} [A-Z]{2}/",
    "status:403 OR status:401",
    "(status:403 method:GET) OR flags:UH",
    "-(pod:a* OR container:ztunnel)",
    "NOT (status:200 OR status:204)",
    "-(-healthz)",
    "request_id:*-*",
    "flags:UF",
    "cluster:outbound*",
    "policy:*",
    "violation:true",
    "sev:>=warning",
    "-sev:info",
    "denied",
    '"access denied"',
    "-denied -rbac",
    "dst:*reviews*",
    "status:403 -pod:*Sx*",
    "pod:1",
    "pod:true",
    '-""',
    "method:GET pod:productpage* -ns:istio-system -healthz outcome:allow",
]


# ---------------------------------------------------------------------------------------- quoting
@pytest.mark.parametrize("value", ["plain", 'quo"te', "back\\slash", "new\nline", "tab\t", "é ü", "\x00\x1f", "`tick`"])
def test_quote_is_a_go_string_literal(value):
    quoted = quote(value)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert json.loads(quoted) == value  # JSON's escapes are a subset of Go's
    assert "\n" not in quoted and "\t" not in quoted


def test_quote_regex_prefers_backticks_and_falls_back():
    assert quote_regex(r"a\.b") == r"`a\.b`"
    assert quote_regex("a`b") == '"a`b"'
    assert quote_regex("a\rb") == '"a\\rb"'  # Go raw strings drop CRs
    with pytest.raises(ValueError):
        quote("\ud800")


def test_escape_is_quotemeta():
    text = r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o-p/q"
    assert re2.fullmatch(escape(text), text)
    assert not re2.fullmatch(escape(text), text.replace(".", "x"))


def test_go_compatible():
    assert go_compatible(r"\d+\.\d+")
    assert go_compatible("(?i)abc")
    assert not go_compatible(r"a\Cb")  # any byte: RE2 only
    assert not go_compatible("(?<name>a)")  # Go 1.22+ only
    assert go_compatible("(?P<name>a)")
    assert not go_compatible("(a")
    assert not go_compatible(r"(a)\1")  # backreferences: neither


def test_matcher_selectivity():
    assert Matcher("a", "=", "x").selective
    assert not Matcher("a", "=", "").selective
    assert Matcher("a", "=~", ".+").selective
    assert not Matcher("a", "=~", ".*").selective
    assert not Matcher("a", "!=", "x").selective
    with pytest.raises(LokiQueryError):
        Matcher("a.b", "=", "x")


# ---------------------------------------------------------------------------------------- selection
def promtail() -> Layout:
    return detect_layout(PROMTAIL_LABELS)


def test_selection_matchers():
    query = build_query(
        LokiSelection(namespaces=["shop"], containers=["istio-proxy", "app"], clusters=["east"]),
        promtail(),
        PROMTAIL_LABELS,
    )
    assert query.render() == '{namespace="shop", container=~`istio-proxy|app`, cluster="east"}'
    assert query.default_selector is None
    wild = build_query(LokiSelection(namespaces=["shop-*", "pay.ments"]), promtail(), PROMTAIL_LABELS)
    assert wild.render() == r"{namespace=~`shop-.*|pay\.ments`}"


def test_default_selector_when_nothing_is_selective():
    query = build_query(LokiSelection(), promtail(), PROMTAIL_LABELS, "-pod:x")
    assert query.matchers[0] == Matcher("namespace", "=~", ".+")
    assert query.default_selector and "namespace" in query.default_selector
    otlp = build_query(LokiSelection(), detect_layout(OTLP_LABELS), OTLP_LABELS)
    assert otlp.render() == "{k8s_namespace_name=~`.+`}"
    generic = build_query(LokiSelection(), detect_layout(["job", "host"]), ["job", "host"])
    assert generic.render() == "{job=~`.+`}"
    with pytest.raises(LokiQueryError):
        build_query(LokiSelection(), detect_layout([]), [])


def test_label_selector():
    found = selector_matchers(
        "app=cart,app!=legacy, job in (a, b),job notin (c),!team,cluster", [*PROMTAIL_LABELS, "team"]
    )
    assert [m.render() for m in found] == [
        'app="cart"',
        'app!="legacy"',
        "job=~`a|b`",
        "job!~`c`",
        'team=""',
        "cluster=~`.+`",
    ]
    assert (
        selector_matchers("app.kubernetes.io/name=x", ["app_kubernetes_io_name"])[0].label == "app_kubernetes_io_name"
    )
    with pytest.raises(LokiQueryError, match="no label 'tier'"):
        selector_matchers("tier=db", PROMTAIL_LABELS)
    with pytest.raises(LokiQueryError):
        selector_matchers("app=(", PROMTAIL_LABELS)


def test_selection_needs_the_label():
    with pytest.raises(LokiQueryError, match="no namespace label"):
        build_query(LokiSelection(namespaces=["shop"]), detect_layout(["job"]), ["job"])


def test_structured_metadata_selection_is_a_label_filter():
    alloy = detect_layout(ALLOY_LABELS)
    assert alloy.name == "alloy" and alloy.metadata == {"pod"}
    query = build_query(LokiSelection(namespaces=["shop"]), alloy, ALLOY_LABELS, "pod:reviews*", label_terms=True)
    assert query.render() == '{namespace="shop"} | pod=~`(?i)rev[iİı]ews(?s:.*)`'
    # a cluster only in structured metadata is selected there, with a warning
    nocluster = detect_layout(["namespace", "pod"])
    query = build_query(LokiSelection(clusters=["east"]), nocluster, ["namespace", "pod"])
    assert query.label_filters == [Matcher("cluster", "=", "east")] and query.warnings


# ---------------------------------------------------------------------------------------- pushdown
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:403", '{namespace=~`.+`} |= "403"'),
        ("method:GET", "{namespace=~`.+`} |~ `(?i)GET`"),
        ("path:/api/*", "{namespace=~`.+`} |~ `(?i)/ap[iİı]/`"),
        ("-healthz", "{namespace=~`.+`} !~ `(?i)healthz`"),
        ("-status", "{namespace=~`.+`} !~ `(?i)(?-i:[sS])tatu(?-i:[sS])`"),
        ('-"503 UH"', "{namespace=~`.+`} !~ `(?i)503 uh`"),
        ("-503", '{namespace=~`.+`} != "503"'),
        ("status:403 OR status:401", "{namespace=~`.+`} |~ `403|401`"),
        ("pod:reviews-*", "{pod=~`(?i)rev[iİı]ews-(?s:.*)`}"),
        ("-container:ztunnel", "{namespace=~`.+`, container!~`(?i)ztunnel`}"),
        ("pod:=Exact", '{pod="Exact"}'),
        ("pod:/^r/i", "{pod=~`(?s:.*)(?i:^r)(?s:.*)`}"),
        ("raw:/x+y/", "{namespace=~`.+`} |~ `x+y`"),
        ("-raw:/x+y/i", "{namespace=~`.+`} !~ `(?i)x+y`"),
        ("ns:shop", "{namespace=~`.+`}"),  # also the destination namespace: not pushed
        ("-ns:shop", "{namespace=~`.+`, namespace!~`(?i)(?-i:[sS])hop`}"),
        ("source.path:east", "{cluster=~`(?i)east`}"),
        ("outcome:deny cat:auth violation:true", "{namespace=~`.+`}"),
        ("denied", "{namespace=~`.+`}"),  # the summary may say it: not pushed
        ("-(status:403 OR pod:a)", "{namespace=~`.+`, pod!~`(?i)a`}"),
    ],
)
def test_pushdown_queries(text, expected):
    assert build_query(LokiSelection(), promtail(), PROMTAIL_LABELS, text, label_terms=True).render() == expected


def test_label_terms_are_pushed_only_when_asked():
    """By default the filter's pod/container/namespace/cluster terms stay with meshtail (see the envelope test
    below for why); the selection is still pushed, and so are line filters."""
    from meshtail.sources.loki import LokiOptions

    assert LokiOptions().label_terms is False
    query = build_query(LokiSelection(namespaces=["shop"]), promtail(), PROMTAIL_LABELS, "pod:x* status:403")
    assert query.render() == '{namespace="shop"} |= "403"'
    assert query.pushed == ["status:403"]
    for text in ("-pod:x", "container:app", "-ns:shop", "source.path:east", "-(status:403 OR pod:a)"):
        default = build_query(LokiSelection(), promtail(), PROMTAIL_LABELS, text)
        assert [m.label for m in default.matchers] == ["namespace"] and not default.label_filters, text
        assert build_query(LokiSelection(), promtail(), PROMTAIL_LABELS, text, label_terms=True).render() != (
            default.render()
        ), text


def test_pushdown_of_a_bad_filter_raises_the_filter_error():
    with pytest.raises(FilterError):
        build_query(LokiSelection(), promtail(), PROMTAIL_LABELS, "status:(")


# ---------------------------------------------------------------------------------------- case folding
def _code_points():
    return (chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)


def test_case_folding_is_a_superset_for_positive_and_a_subset_for_negated_parts():
    """Every character Python's lower()/IGNORECASE relates to an ASCII letter, checked against RE2.

    Positive parts must match at least what meshtail matches (else lines are lost); negated
    parts at most (else lines meshtail keeps are dropped).  RE2 stands in for Go's regexp,
    whose case folding uses the same Unicode orbits.
    """
    import re as pyre

    from meshtail.sources.loki.logql import _fold_negative, _fold_positive

    any_letter = pyre.compile("(?i)[a-z]")
    related = [ch for ch in _code_points() if any_letter.fullmatch(ch) or any(c.isascii() for c in ch.lower())]
    assert {"İ", "ı", "ſ", "K"} <= set(related)  # the premise: the non-ASCII ones are found
    for letter in string.ascii_lowercase:
        positive = re2.compile("(?i)" + _fold_positive(letter))
        negative = re2.compile("(?i)" + _fold_negative(letter))
        for ch in related:
            if pyre.fullmatch("(?i)" + letter, ch):  # what the raw-line pre-check matches
                assert positive.fullmatch(ch), (letter, ch)
            if negative.fullmatch(ch):  # what the pushed negation drops must be what lower() finds
                assert letter in ch.lower(), (letter, ch)
    # and for every code point at all, a negated ASCII needle drops only what lower() holds it in
    negative_s = re2.compile("(?i)" + _fold_negative("s"))
    negative_k = re2.compile("(?i)" + _fold_negative("k"))
    for ch in _code_points():
        if negative_s.search(ch):
            assert "s" in ch.lower()
        if negative_k.search(ch):
            assert "k" in ch.lower()


@pytest.mark.parametrize(
    "value",
    ["reviews", "Istio-System", "ks-s", "a*b", "*x*", "kube-*", "s*"],
)
def test_label_value_folding_against_meshtail(value):
    """The pushed label regex (anchored, as Loki's) against meshtail's own field test, on tricky values."""
    texts = [
        "reviews",
        "REVIEWS",
        "İstio-System",
        "ıstio-system",
        "istio-ſystem",
        "Kube-x",
        "\u212aube-x",
        "ks-s",
        "kſ-s",
        "aXb",
        "a\nb",
        "x",
        "s",
        "ſ",
        "S",
    ]
    layout = promtail()
    for negate in (False, True):
        text = f"{'-' if negate else ''}pod:{value}"
        query = build_query(LokiSelection(), layout, PROMTAIL_LABELS, text, label_terms=True)
        parsed = parse_query(query.render())
        check = compile_filter(text)
        for pod in texts:
            event = _event_with_pod(pod)
            kept = parsed.keeps({"namespace": "n", "pod": pod}, {}, "line")
            if not kept:
                assert not check(event), (text, pod)


def _event_with_pod(pod: str):
    from meshtail.parse.detect import StreamParser

    return StreamParser().parse(RawLine("hello", Source(kind="loki", namespace="n", pod=pod), "2024-01-01T00:00:00Z"))


# ---------------------------------------------------------------------------------------- equivalence
def _corpus() -> list[str]:
    root = Path(__file__).parent
    lines: list[str] = []
    for path in sorted((root / "data" / "corpus").rglob("*.jsonl")):
        for raw in path.read_text("utf-8").splitlines():
            if raw.strip():
                record = json.loads(raw)
                if isinstance(record.get("raw"), str) and "\n" not in record["raw"]:
                    lines.append(record["raw"])
    for path in [*sorted((root / "data").glob("*.log")), *sorted((root.parent / "samples").glob("*.log"))]:
        lines.extend(line for line in path.read_text("utf-8").splitlines() if line.strip())
    return lines


NAMESPACES = ["shop", "payments", "istio-system", "kube-system", "Shop"]
PODS = ["reviews-v1-Sxyz", "productpage-v1-abc", "istiod-7d9", "ztunnel-k4x", "api-0", "İstio-x"]
CONTAINERS = ["istio-proxy", "discovery", "ztunnel", "app"]
CLUSTERS = ["east", "west"]


def _labelled_corpus() -> list[tuple[dict[str, str], str]]:
    out = []
    for i, line in enumerate(_corpus()):
        labels = {
            "namespace": NAMESPACES[i % len(NAMESPACES)],
            "pod": PODS[(i // 2) % len(PODS)],
            "container": CONTAINERS[(i // 3) % len(CONTAINERS)],
            "cluster": CLUSTERS[(i // 5) % len(CLUSTERS)],
            "job": "loki",
        }
        out.append((labels, line))
    return out


def _events(filter_text: str, lines: list[tuple[dict[str, str], str]], layout: Layout) -> list[tuple]:
    found: list = []
    pipeline = Pipeline(found.append, compile_filter(filter_text))
    for i, (labels, line) in enumerate(lines):
        stamp = f"2024-05-01T10:00:{i % 60:02d}.{i:09d}Z"
        pipeline.line(RawLine(line, source_for(layout, labels), "2024-05-01T10:00:00Z", stamp))
    return [(e.raw, e.source.namespace, e.source.pod, e.source.container, e.source.path, e.action) for e in found]


@pytest.fixture(scope="module")
def labelled_corpus():
    lines = _labelled_corpus()
    assert len(lines) > 1000  # the premise: a real corpus, not a handful
    return lines


def _pushed_down(query_text: str, lines: list[tuple[dict[str, str], str]]) -> list[tuple[dict[str, str], str]]:
    parsed = parse_query(query_text)
    return [(labels, line) for labels, line in lines if parsed.keeps(labels, {}, line)]


def test_pushdown_keeps_the_same_events_by_default(labelled_corpus):
    """The default pushdown (the selection, line filters; no label terms): exact on every line, envelopes included."""
    layout = promtail()
    pushed_any = 0
    for text in FILTERS:
        query = build_query(LokiSelection(), layout, PROMTAIL_LABELS, text)
        kept = _pushed_down(query.render(), labelled_corpus)
        pushed_any += bool(query.pushed) and len(kept) < len(labelled_corpus)
        assert _events(text, kept, layout) == _events(text, labelled_corpus, layout), text
    assert pushed_any >= 10  # the premise: pushdown really removed lines for many filters


def _relabelled(labels: dict[str, str], line: str, layout: Layout) -> bool:
    """True when meshtail reads the line as coming from another place than its Loki labels say.

    All four source fields count: the cluster lives in ``source.path``, which a ``file.log:``
    grep prefix in the line takes over just as an envelope takes namespace, pod and container.
    """
    event = _events("", [(labels, line)], layout)[0]
    return event[1:5] != (labels["namespace"], labels["pod"], labels["container"], labels["cluster"])


def test_pushdown_keeps_the_same_events_with_label_terms(labelled_corpus):
    """``label_terms=True``: exact on every line whose source is its Loki labels — the documented condition.

    The lines that name another place (envelopes, prefixes) are left out here; the next test shows
    what happens to them and why the option is off by default.
    """
    layout = promtail()
    plain = [(labels, line) for labels, line in labelled_corpus if not _relabelled(labels, line, layout)]
    relabelled = len(labelled_corpus) - len(plain)
    # the corpus over-represents wrappers (stern, kubectl prefixes, collector envelopes): a fifth at most
    assert 0 < relabelled < len(labelled_corpus) // 5 and len(plain) > 1000
    removed_by_matchers = 0
    for text in FILTERS:
        query = build_query(LokiSelection(), layout, PROMTAIL_LABELS, text, label_terms=True)
        kept = _pushed_down(query.render(), plain)
        if len(query.matchers) > 1 and len(kept) < len(plain):
            removed_by_matchers += 1
        assert _events(text, kept, layout) == _events(text, plain, layout), text
    assert removed_by_matchers >= 8


_DENIED = (
    '[2024-05-01T10:00:00.000Z] "GET /x HTTP/1.1" 403 - rbac_access_denied_matched_policy[none] - "-" 0 19 0 - '
    '"-" "curl" "abc" "reviews:9080" "-" inbound|9080|| - 10.0.0.1:9080 10.0.0.2:1234 - -'
)


@pytest.mark.parametrize(
    ("text", "labels", "line"),
    [
        # a log shipper's stdout: another pod's line in a Loki-export envelope
        (
            "pod:reviews*",
            {"namespace": "logging", "pod": "shipper-0", "container": "fluent-bit", "cluster": "east"},
            json.dumps({"line": _DENIED, "labels": {"namespace": "shop", "pod": "reviews-1", "container": "app"}}),
        ),
        # the same in Fluent Bit's record, read by a negated term
        (
            "-container:fluent-bit",
            {"namespace": "logging", "pod": "shipper-0", "container": "fluent-bit", "cluster": "east"},
            json.dumps(
                {"log": _DENIED, "kubernetes": {"namespace_name": "shop", "pod_name": "r-1", "container_name": "a"}}
            ),
        ),
        # a grep prefix takes source.path, where the cluster lives
        (
            "-source.path:west",
            {"namespace": "shop", "pod": "reviews-1", "container": "istio-proxy", "cluster": "west"},
            "proxy.log:" + _DENIED,
        ),
    ],
)
def test_label_terms_and_lines_naming_another_place(text, labels, line):
    """Why label terms are not pushed by default: meshtail keeps these lines, a stream matcher would drop them.

    (The premise is checked: meshtail's own filter reads each line as the place it names and keeps
    it.  LogQL cannot say "this label, or this text in the line", so no pushed form of these terms
    is exact; the default leaves them to meshtail, ``label_terms=True`` trades this for speed.)
    """
    layout = promtail()
    lines = [(labels, line)]
    assert _relabelled(labels, line, layout)
    assert _events(text, lines, layout)  # the premise: meshtail keeps it
    default = build_query(LokiSelection(), layout, PROMTAIL_LABELS, text)
    assert _pushed_down(default.render(), lines) == lines
    assert _events(text, _pushed_down(default.render(), lines), layout) == _events(text, lines, layout)
    opted_in = build_query(LokiSelection(), layout, PROMTAIL_LABELS, text, label_terms=True)
    assert not _pushed_down(opted_in.render(), lines)  # the documented cost of label_terms=True


def test_filter_conditions_for_every_filter():
    for text in FILTERS:
        for cond in filter_conditions(text):
            assert cond.term
            if cond.op in ("|~", "!~", "=~"):
                assert go_compatible(cond.value), (text, cond)


# ---------------------------------------------------------------------------------------- Grafana's grammar
GRAMMAR_VERSION = "0.4.2"
_CHECK = r"""
const { parser } = require('@grafana/lezer-logql');
const queries = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify(queries.map((q) => {
  let at = null;
  parser.parse(q).iterate({ enter: (n) => { if (n.type.isError && at === null) at = n.from; } });
  return at;
})));
"""


def _grammar_dir() -> Path | None:
    """Where ``node_modules/@grafana/lezer-logql`` is, installing it from npm into a cache if need be."""
    candidates = [os.environ.get("MESHTAIL_LEZER_LOGQL_DIR"), Path.home() / ".cache" / "meshtail-tests" / "lezer-logql"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "node_modules" / "@grafana" / "lezer-logql" / "package.json").exists():
            return Path(candidate)
    npm = shutil.which("npm")
    if npm is None:
        return None
    target = Path(str(candidates[1]))
    target.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [
                npm,
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(target),
                f"@grafana/lezer-logql@{GRAMMAR_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=240,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return target if (target / "node_modules" / "@grafana" / "lezer-logql").exists() else None


@pytest.fixture(scope="module")
def logql_grammar():
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not installed: Grafana's LogQL grammar (@grafana/lezer-logql) runs on node"
    else:
        found = _grammar_dir()
        if found is None:
            reason = f"@grafana/lezer-logql@{GRAMMAR_VERSION} is not installed and npm could not install it"
    if reason is not None:
        if os.environ.get("MESHTAIL_REQUIRE_LOGQL_GRAMMAR"):
            pytest.fail(reason)
        pytest.skip(reason)

    def check(queries: list[str]) -> list[int | None]:
        with tempfile.NamedTemporaryFile("w", suffix=".cjs", dir=found, delete=False) as script:
            script.write(_CHECK)
        try:
            done = subprocess.run(
                [node, script.name],
                input=json.dumps(queries),
                capture_output=True,
                text=True,
                timeout=120,
                cwd=found,
                check=True,
            )
        finally:
            os.unlink(script.name)
        return json.loads(done.stdout)

    return check


def _all_generated_queries() -> list[str]:
    queries = []
    selections = [
        LokiSelection(),
        LokiSelection(namespaces=["shop"], containers=["istio-proxy"], clusters=["east", "west"]),
        LokiSelection(namespaces=["a*", "b.c"], selector="app=x,job in (a,b),!team"),
    ]
    layouts = [
        (promtail(), [*PROMTAIL_LABELS, "team"]),
        (detect_layout(ALLOY_LABELS), [*ALLOY_LABELS, "app", "team"]),
        (detect_layout(OTLP_LABELS), [*OTLP_LABELS, "app", "job", "team"]),
    ]
    for layout, labels in layouts:
        for selection in selections:
            for text in FILTERS:
                for label_terms in (True, False):
                    query = build_query(selection, layout, labels, text, label_terms=label_terms)
                    queries.append(query.render())
                    queries.append(query.for_stream({"namespace": "shop", "pod": 'we"ird\\pod'}, labels).render())
    return sorted(set(queries))


def test_every_generated_query_is_accepted_by_grafanas_logql_grammar(logql_grammar):
    queries = _all_generated_queries()
    assert len(queries) > 300
    # the premise: the grammar rejects what is not LogQL
    bad = ["{namespace=}", '{a="b"} |~', '{a="b" |= "x"', "{a=`b`} | =~`x`"]
    assert all(at is not None for at in logql_grammar(bad))
    errors = [(q, at) for q, at in zip(queries, logql_grammar(queries), strict=True) if at is not None]
    assert errors == []


def test_every_generated_query_reads_back_in_the_fake_loki():
    """The fake's LogQL reader (used by the equivalence tests) reads every generated query, and Loki's
    empty-matcher rule holds for each."""
    for query in _all_generated_queries():
        try:
            parse_query(query)
        except LogQLError as exc:
            raise AssertionError(f"{query}: {exc}") from None


def test_layout_names():
    assert set(LAYOUTS) == {"promtail", "alloy", "otlp"}
