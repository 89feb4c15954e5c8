# ruff: noqa: E501  (real log lines, verbatim, then cut)
"""Lines cut at their end: by a terminal's width, a log UI's column, an author's "…".

Each line below is real (source above it), cut where pastes cut them.  No template matches the cut message whole,
but what is left is the start of the templates it could have been printed from.  When every template that explains
the most of it gives the same verdict, the line gets that verdict, flagged ``meshtail.partial``; when they differ,
or the cut shows too little, the line keeps the reading it had (the catch-all of its scope).  A line is never
claimed for a program on a few words that open one of its templates: those are often a whole message of another's.
"""

from __future__ import annotations

from meshtail.parse import envoy_component, istio_go
from tests.conftest import parse, verdict

# istio/istio#58878 https://github.com/istio/istio/pull/58878
UNAUTHORIZED = "2026-01-22T15:41:45.429416Z    warn    ads    proxy aux-5vv65.d8-alb-istio attempted to access unauthorized certificates getheaders-example-tls: cross namespace secret reference requires ReferenceGrant"
# istio/istio#55913 https://github.com/istio/istio/issues/55913
POD_ADDED = "2025-04-14T06:25:20.167997Z\tinfo\tcni-agent\tadding pod to the mesh\tns=slow-cooker name=nginx-deployment-1-7588ccf8f7-n8kvl"
# istio/istio#54912 https://github.com/istio/istio/issues/54912
TASK_DONE = "2025-01-29T23:09:38.664934Z info readiness Task 'proxy' complete (753.136µs), still awaiting 2 tasks"
# istio/istio#59535 https://github.com/istio/istio/issues/59535 (as its author quoted it: the message alone, its
# certificate name and reason left out)
QUOTED = "proxy istio-ingressgateway-xxx.istio-ingress attempted to access unauthorized certificates"
# istio/istio#27691 https://github.com/istio/istio/issues/27691
TOKEN = "2020-10-02T12:10:08.321391Z     error   sds     Failed to get credential token: open ./var/run/secrets/tokens/istio-token: no such file or directory"
# a blog post on Istio 1.5 egress mTLS origination (tests/data/corpus: its NACK of a cluster)
NACK = "[Envoy (Epoch 0)] [2020-04-12 02:40:53.418][16][warning][config] [external/envoy/source/common/config/grpc_subscription_impl.cc:87] gRPC config for type.googleapis.com/envoy.api.v2.Cluster rejected: Error adding/updating cluster(s) outbound|443||mtls.cloudbuild.site: Invalid path: /etc/istio/nginx-c"


def cut(line: str, end: str) -> str:
    """The line up to and including ``end``'s first occurrence (premise: it is there, and something followed)."""
    at = line.index(end) + len(end)
    assert at < len(line), end
    return line[:at]


def test_an_istiod_line_cut_inside_its_words_reads_as_its_template_says() -> None:
    whole = parse(UNAUTHORIZED)
    assert verdict(whole) == ("istiod", "auth", "deny", True)  # premise: what the whole line says
    for line in (cut(UNAUTHORIZED, "unauthorized certif"), cut(UNAUTHORIZED, "access unauthor") + "…"):
        message = line.split("ads    ", 1)[1]
        assert istio_go.match_template(message) is None, line  # premise: no template explains it whole
        event = parse(line)
        assert verdict(event) == ("istiod", "auth", "deny", True), line
        assert event.action == "identity.refused"
        assert event.attributes["meshtail.partial"] is True
        assert event.attributes["istio.template"] == "proxy %v attempted to access unauthorized certificates %v: %v"
    assert "meshtail.partial" not in whole.attributes


def test_a_message_an_author_cut_is_claimed_when_its_words_run_past_a_value() -> None:
    # the certificate's name and the reason are gone; "attempted to access unauthorized certificates" is fixed text
    # after the proxy's name, so the line is istiod's and the refusal its template's
    event = parse(QUOTED)
    assert verdict(event) == ("istiod", "auth", "deny", True)
    assert event.action == "identity.refused" and event.attributes["meshtail.partial"] is True


def test_an_istio_cni_line_cut_inside_its_message_keeps_its_templates_verdict() -> None:
    assert verdict(parse(POD_ADDED)) == ("istio-cni", "config", "change", False)  # premise
    event = parse(cut(POD_ADDED, "adding pod to the me"))
    assert verdict(event) == ("istio-cni", "config", "change", False)
    assert event.attributes["meshtail.partial"] is True


def test_a_ztunnel_line_cut_inside_its_message_keeps_its_templates_verdict() -> None:
    assert verdict(parse(TASK_DONE)) == ("ztunnel", "other", "success", False)  # premise
    event = parse(cut(TASK_DONE, "Task 'proxy' comp"))
    assert verdict(event) == ("ztunnel", "other", "success", False)
    assert event.action == "proxy.ready"
    assert event.attributes["meshtail.partial"] is True


def test_an_envoy_nack_cut_inside_rejected_is_still_a_nack() -> None:
    assert verdict(parse(NACK)) == ("envoy-component", "config", "failure", True)  # premise
    event = parse(cut(NACK, "envoy.api.v2.Cluster rejec"))
    assert verdict(event) == ("envoy-component", "config", "failure", True)
    assert event.action == "xds.reject" and event.attributes["meshtail.partial"] is True


def test_an_envoy_line_cut_right_after_a_value_says_nothing_more() -> None:
    # Envoy's template table leaves debug chatter out ("gRPC config for {} accepted …" is debug), so a cut that
    # shows no fixed text after the type could be either: the table's only candidate must not decide it
    line = cut(NACK, "envoy.api.v2.Cluster")
    message = line.split("] ", 2)[2]
    assert envoy_component.template_for("config", message) is None  # premise: nothing explains it whole
    event = parse(line)
    assert verdict(event) == ("envoy-component", "config", "unknown", False)
    assert "meshtail.partial" not in event.attributes


def test_templates_that_disagree_on_a_cut_line_leave_it_its_catch_all() -> None:
    # "Failed to get credential tok…" opens the agent's "…: %v" (its token file), "… from incoming request: %v"
    # and "… in agent: %v": they say different things, so the cut line is only its scope's error
    line = cut(TOKEN, "Failed to get credential tok")  # (cut inside a word: the cut shows itself)
    event = parse(line)
    assert istio_go.cut_template("Failed to get credential tok") is None
    assert event.format == "istio-agent" and event.outcome == "failure"
    assert "meshtail.partial" not in event.attributes and "istio.template" not in event.attributes


def test_a_few_words_that_open_a_template_are_not_claimed_for_its_program() -> None:
    # other programs' whole messages (solo-io/gloo, kiali/kiali, tests/data/lookalikes) that start like istiod's
    # templates ("initializing controller for %v", "Failed to marshal %v into a proto: %v"), alone and behind a
    # Rust program's tracing level: the cut would show only a prefix, or a prefix and a value
    for message in ("initializing controller", "Failed to marshal login request body: default/web-1"):
        # premise: in an Istio line, cut where its author marked it, the words would read as the template's start
        assert istio_go.cut_template(message + " …") is not None
        for line in (message, f"2024-05-01T10:00:00.123456Z  INFO gateway_controller::server: {message}"):
            assert parse(line).format == "unknown", line


def test_a_whole_message_ending_where_a_templates_word_ends_is_not_claimed() -> None:
    # (second reader) other programs' whole messages that are the first words of an Istio template's prefix: a line
    # ending where a word ends may be whole, so only a cut inside a word, or one its author marked, counts
    for line in (
        "Failed to read access token response",  # any OAuth client's; the agent's goes on " body: %v"
        "May 01 10:11:12 host myapp[123]: Failed to read access token response",
        "Failed to sync secret controller",
        "Encountered unexpected error updating status",
    ):
        assert parse(line).format == "unknown", line
    # premise: the same words cut inside one, or marked cut, are the agent's
    for line in ("Failed to read access token respon", "Failed to read access token response…"):
        assert parse(line).format == "istio-agent", line
