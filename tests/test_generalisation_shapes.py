"""Shapes of issue 11's generalisation classes, on real lines (tests/data/SOURCES.md) or their source's wording."""

from __future__ import annotations

import pytest

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser


def parse(line: str):  # type: ignore[no-untyped-def]
    return StreamParser().parse(RawLine(line, Source("file", path="t", line=1), "2026-01-01T00:00:00Z"))


@pytest.mark.parametrize(
    "line",
    [
        # ztunnel 1.18-1.21: "RBAC rejected" at info, and at error (inbound_passthrough, master 2024-04)
        "2023-10-10T23:14:00.534962Z  INFO inbound{id=cc49 peer_ip=10.240.2.2 peer_id=spiffe://cluster.local/ns/a/sa/b}:"
        " ztunnel::proxy::inbound: RBAC rejected conn=10.240.2.2(spiffe://cluster.local/ns/a/sa/b)->10.240.1.2:80",
        "2024-04-11T10:00:00.000000Z ERROR inbound_passthrough{id=1}: ztunnel::proxy::inbound_passthrough:"
        " RBAC rejected conn=10.240.2.2(none)->10.240.1.2:80",
        # a wording no rule names: the family's catch-all must not keep a policy refusal in "routing"
        "2023-10-10T23:14:00.534962Z  INFO inbound{id=cc49}: ztunnel::proxy::inbound: connection denied by policy"
        " conn=10.240.2.2->10.240.1.2:80",
    ],
)
def test_old_ztunnel_denials(line: str) -> None:
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.violation) == ("ztunnel", "auth", "deny", True)


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        ("in new validator: 10.66.26.76", "unknown"),
        ("Listening on 127.0.0.1:15001", "success"),
        (
            "Error connecting to 127.0.0.6:15002: dial tcp 127.0.0.1:0->127.0.0.6:15002: connect: connection refused",
            "failure",
        ),
        ("2021-07-12T19:57:33.687386Z     error   validation timeout", "failure"),
        (
            "2021-06-01T00:00:00.000000Z\terror\tValidation failed: Error connecting to 127.0.0.6:15002: refused",
            "failure",
        ),
        ("Error: iptables validation failed; workload is not ready for Istio.", "failure"),
    ],
)
def test_istio_validation_init_container(line: str, outcome: str) -> None:
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.violation) == ("istio-cni", "other", outcome, False)


def test_node_agent_sds_push_1_2() -> None:
    event = parse(
        "2019-06-14T23:10:58.876337Z     info    sdsServiceLog   Pushed root cert (resource name: "
        '"bookinfo-credential-1-cacert") from node agent to proxy connection: "router~10.60.1.190~gw.istio-system~'
        'istio-system.svc.cluster.local-3"'
    )
    assert (event.format, event.category, event.outcome) == ("istio-agent", "auth", "success")


@pytest.mark.parametrize(
    "line",
    [
        '{"time":"2025-07-15T12:30:58.352283845Z","level":"INFO","msg":"caches warm!","component":"proxy_syncer"}',
        '{"time":"2025-07-15T12:30:58.352283845Z","level":"info","msg":"starting kgateway"}',
    ],
)
def test_other_control_planes_json_is_not_istiod(line: str) -> None:
    assert parse(line).format == "unknown"


def test_envoyfilter_istiod_could_not_build() -> None:
    event = parse(
        "2024-06-12T20:19:21.417789Z\terror\tmodel\tfailed to build envoy filter value: Envoy filter: json: "
        "cannot unmarshal number -1 into Go value of type uint32"
    )
    assert (event.format, event.category, event.outcome, event.violation) == ("istiod", "config", "failure", True)


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        (
            'HTTP/1.1" 403 - rbac_access_denied_matched_policy[none] - "-" 0 19 0 - "-" "curl/7.81.0" "abc"'
            ' "productpage:9080" "-" inbound|9080|| - 10.244.0.5:9080 10.244.0.6:40000 - -',
            ("auth", "deny", True),
        ),
        (
            '- "-" 0 19 0 - "-" "curl/7.81.0" "abc" "productpage:9080" "-" inbound|9080|| - 10.244.0.5:9080'
            " 10.244.0.6:40000 - -",
            ("other", "unknown", False),
        ),
    ],
)
def test_access_fragments_are_partial_and_never_confidently_wrong(line: str, verdict: tuple[str, str, bool]) -> None:
    event = parse(line)
    assert event.format == "envoy-text"
    assert event.attributes.get("meshtail.partial") is True
    assert (event.category, event.outcome, event.violation) == verdict


def test_audit_forbidden_without_code_at_response_started() -> None:
    line = (
        '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseStarted",'
        '"requestURI":"/apis/networking.istio.io/v1/namespaces/default/virtualservices","verb":"create",'
        '"user":{"username":"bob"},"objectRef":{"resource":"virtualservices","namespace":"default","name":"x",'
        '"apiGroup":"networking.istio.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure",'
        '"reason":"Forbidden"}}'
    )
    event = parse(line)
    assert event.outcome == "deny" and event.violation


# ---- access lines cut before their request, found by the end of Istio's default format
@pytest.mark.parametrize(
    ("line", "fields"),
    [
        # github markdown, Chinese Dubbo docs page on dubbo-samples-apiserver (search-index file id 22447894226): the
        # last physical line of a wrapped sidecar access line
        (
            "inbound|50052|| 127.0.0.6:40761 172.17.0.9:50052 172.17.0.5:33626 "
            "outbound_.50052_._.dubbo-samples-apiserver-provider.dubbo-demo.svc.cluster.local default",
            {"envoy.upstream_cluster": "inbound|50052||", "envoy.route_name": "default"},
        ),
        # rootsongjc/cloud-native-library content/tsb/troubleshooting/Multiple-Transfer-encoding-chunked.md: the
        # second half of a broken access line
        (
            ' - "-" "curl/7.83.1" "fbcd5bff-1981-40a5-a2c8-fd6133161976" "transfer:8080" "10.0.2.7:8080" '
            "inbound|8080|| 127.0.0.6:53799 10.0.2.7:8080 10.0.0.21:59960 "
            "outbound_.8080_._.transfer.test.svc.cluster.local default",
            {"envoy.upstream_cluster": "inbound|8080||", "envoy.upstream_host": "10.0.2.7:8080"},
        ),
        # github markdown, GKE/Istio troubleshooting (search-index file id 54002326963): a TCP line's tail in backticks
        (
            '`" 0 0 10002 - "-" "-" "-" "-" "100.68.34.241:443" outbound|443||sharevpc-fqnd.appdev.aibang - '
            "10.105.0.249:443 100.64.3.68:56902 sharevpc-fqnd.appdev.aibang -`",
            {"envoy.upstream_cluster": "outbound|443||sharevpc-fqnd.appdev.aibang"},
        ),
        # OriolFilter/Istio_Examples 00-Troubleshooting/README.md, the tail of a BlackHoleCluster line
        (
            '"-" "-" "-" BlackHoleCluster - 10.111.90.232:8080 172.17.121.65:52006 - -',
            {"envoy.upstream_cluster": "BlackHoleCluster"},
        ),
        # solo-io/gloo docs/content/guides/security/access_logging/_index.md, cut after the request line
        (
            '"curl/7.54.0" "eb5af05f-f14f-467b-994c-aeac9b5383f1" "35.196.131.38" "10.52.0.54:8080"',
            {
                "http.request.header.x-request-id": "eb5af05f-f14f-467b-994c-aeac9b5383f1",
                "envoy.upstream_host": "10.52.0.54:8080",
            },
        ),
    ],
)
def test_an_access_line_cut_before_its_request_is_read_by_its_tail(line: str, fields: dict[str, str]) -> None:
    """No status, no flags: an access log (format, partial, its fields), its outcome not claimed either way."""
    event = parse(line)
    assert (event.format, event.action, event.category, event.outcome) == (
        "envoy-text",
        "access.fragment",
        "other",
        "unknown",
    )
    assert event.attributes["meshtail.partial"] is True
    assert fields.items() <= event.attributes.items()


def test_an_istio_cluster_name_in_prose_is_not_an_access_line() -> None:
    """A sentence naming a cluster without its three addresses stays what it is."""
    event = parse("traffic to outbound|9080||reviews.default.svc.cluster.local fails after the upgrade")
    assert event.action != "access.fragment"


def test_the_format_before_istio_1_9_cut_at_its_status_is_read_with_it() -> None:
    # solo-io/gloo docs/content/guides/security/access_logging/_index.md, cut before the status
    event = parse(
        '200 - 0 86 2 2 "-" "curl/7.54.0" "eb5af05f-f14f-467b-994c-aeac9b5383f1" "35.196.131.38" "10.52.0.54:8080"'
    )
    assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", "success")
    assert event.attributes["http.response.status_code"] == 200 and event.attributes["meshtail.partial"] is True


# ---- a scope whose tab to the message was lost in a paste
# dev-study-club/istio-in-action content/istio-in-action/채영/2.md ('kubectl logs … -c istio-proxy' output; the tab
# between the scope, xdsproxy, and the message is missing in the paste)
GLUED = (
    "2026-08-11T11:27:13.535543Z\tinfo\txdsproxyconnected to delta upstream XDS server: istiod.istio-system.svc:15012"
    "\t id=2"
)


@pytest.mark.parametrize("line", [GLUED, GLUED.replace("\t", "    ")])
def test_a_scope_glued_to_its_message_is_read_as_that_scope(line: str) -> None:
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.action) == (
        "istio-agent",
        "config",
        "success",
        "xds.connect",
    )


def test_a_word_that_only_starts_like_a_scope_is_not_split() -> None:
    """``adsc`` is no scope, ``ads`` is: but "c: …" is no message of ads's, so nothing is split off."""
    event = parse("2026-08-11T11:27:13.535543Z\tinfo\tadscfoo bar baz")
    assert (event.action, event.attributes.get("istio.scope")) == ("istiod.default", None)


def test_a_fragment_s_and_a_mixer_record_s_request_id_find_the_same_request() -> None:
    """The request id of an access line cut before its request, and of Mixer's access record (Istio 1.0-1.4), is
    found by ``request_id:`` and links the request's other hops (the detail view reads the same name) as a whole
    line's is -- they were kept under a name of their own that neither reads."""
    from meshtail.query import compile_filter
    from meshtail.ui.detail import REQUEST_ID

    from .test_generalisation import MIXER_ACCESS, WRAPPED_FROM_FLAGS

    rid = "6b8a5a03-5783-98bf-9bee-f93ea6e3d68e"
    whole = parse(
        '[2021-05-06T07:08:09.010Z] "GET /productpage HTTP/1.1" 200 - via_upstream - "-" 0 5183 31 30 "-" "curl/7.68"'
        f' "{rid}" "productpage:9080" "10.1.1.7:9080" inbound|9080|| 127.0.0.6:51845 10.1.1.7:9080 10.1.1.1:0 - default'
    )
    fragment = parse(WRAPPED_FROM_FLAGS + ' "productpage:9080"')
    assert (fragment.action, whole.action) == ("access.fragment", "http.request"), "premise: a fragment and a line"
    wanted = compile_filter(f"request_id:{rid}")
    for event in (whole, fragment):
        assert event.attributes[REQUEST_ID] == rid and wanted.matches(event)
    assert fragment.attributes["server.address"] == "productpage"  # (the authority, as a whole line names it)
    mixer = parse(MIXER_ACCESS)
    assert mixer.action == "mixer.access" and compile_filter("request_id:5c654243-cdfc-403a-bc53-7d46d37f49b2").matches(
        mixer
    )
    assert mixer.attributes[REQUEST_ID] == "5c654243-cdfc-403a-bc53-7d46d37f49b2"
    # and who called whom, under the names Envoy's and ztunnel's events use (src:, dst:, ns: read them)
    for text in ("src:helloworld-v1", "dst:istio-policy", "dst:istio-policy.istio-system.svc.cluster.local"):
        assert compile_filter(text).matches(mixer), text
    assert compile_filter("ns:istio-system").matches(mixer) and not compile_filter("ns:default").matches(mixer)


@pytest.mark.parametrize(
    "line",
    [
        # istio/istio#14818 (Istio 1.2 gateway SDS, the PR's sample log)
        "2019-06-13T22:22:09.987501Z\twarn\tsecretFetcherLog\tCannot find secret bookinfo-credential-1, searching for "
        "fallback secret gateway-fallback",
        # istio/istio#27740 (k9s's frame kept)
        "│ 2020-10-05T17:27:03.409868Z    warn    secretfetcher    Cannot find secret httpbin-tls-certificate, "
        "searching for fallback secret gateway-fallback                      ",
    ],
)
def test_a_fallback_looked_for_is_no_fallback_taken(line: str) -> None:
    """A gateway without its credential looks for a fallback secret: that is a failure at warning, not the
    "used X instead" that a fallback taken is (which stays unknown, tests/test_generalisation.py)."""
    event = parse(line)
    assert (event.format, event.category, event.outcome) == ("istio-agent", "auth", "failure")
    from .test_generalisation import USING_INSTEAD

    assert parse(USING_INSTEAD).outcome == "unknown"  # (the agent went on with its token)


@pytest.mark.parametrize(
    "line",
    [
        # istio/community#784 (Istio's JSON log encoding)
        '{"level":"debug","time":"2022-08-16T11:06:52.214650Z","scope":"envoy connection","msg":"[C1187] SSL shutdown: '
        'rc=0"}',
        # Korean study notes, istio in action ch.10 (index file 28679341900)
        "2023-03-23T04:09:47.824938Z     debug   envoy connection        [C9386] SSL shutdown: rc=0",
    ],
)
def test_a_tls_connection_closed_is_no_handshake(line: str) -> None:
    """Envoy's ``SSL shutdown`` is a TLS connection being closed: connection chatter, not an authentication step
    (scripts/gen_envoy_templates.py's TLS rule now leaves it out); a handshake's own lines stay auth."""
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.violation) == (
        "envoy-component",
        "other",
        "unknown",
        False,
    )
    handshake = parse(line.replace("SSL shutdown: rc=0", "handshake expecting read"))
    assert handshake.category == "auth"  # (the premise: the same shape about the handshake is auth)


def test_the_health_discovery_stream_failing_is_the_control_plane_s_stream() -> None:
    """kumahq/kuma#6653: Envoy's HDS stream (the management server's health checking, one more gRPC stream to the
    control plane, which also logs "gRPC config stream closed") failing is config/failure, as an xDS stream's is --
    not a request's upstream failure."""
    line = (
        "2023-05-01T19:37:53.239290000Z [2023-05-01 19:37:53.239][38][warning][upstream] [source/common/upstream/"
        "health_discovery_service.cc:67] HdsDelegate stream/connection failure, will retry in 126 ms."
    )
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.violation, event.action) == (
        "envoy-component",
        "config",
        "failure",
        False,
        "xds.stream_closed",
    )


def test_istiod_writing_its_webhook_configurations_is_config_and_a_check_is_no_success() -> None:
    """holdout130 and holdout98 (istio/istio threads on install and upgrade): client-go, through istiod's klog, could
    not write the validating webhook configuration istiod patches -- the mesh's admission config, not chatter; and
    Galley "Checking if … is ready" asks, it does not say it is."""
    conflict = (
        "2022-05-11T11:59:34.941037Z\terror\tklog\tOperation cannot be fulfilled on validatingwebhookconfigurations."
        'admissionregistration.k8s.io "istio-validator-istio-system": the object has been modified; please apply your'
        " changes"
    )
    event = parse(conflict)
    assert (event.format, event.category, event.outcome) == ("istiod", "config", "failure")
    # another object's conflict through klog stays client-go's own failure
    other = parse(conflict.replace("validatingwebhookconfigurations.admissionregistration.k8s.io", "configmaps"))
    assert (other.format, other.category, other.outcome) == ("istiod", "other", "failure")
    check = parse(
        "2019-03-20T14:39:10.145306Z     info    validation      Checking if istio-system/istio-galley is ready before"
        " registering webhook configuration"
    )
    assert (check.format, check.outcome) == ("istiod", "unknown")
    assert parse("2019-03-20T14:39:10.145306Z\tinfo\tvalidation\tistio-galley is ready").outcome != "unknown"
    # a wait after the word is no question about it (found in review): the server did start
    from meshtail.parse.detect import outcome_from_words

    assert outcome_from_words("info", "Server started successfully, waiting for connections") == "success"
    assert outcome_from_words("info", "waiting until the cache is ready") == "unknown"
