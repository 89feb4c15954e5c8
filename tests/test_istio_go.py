"""istiod and istio-agent logs, text (tabs or expanded spaces) and JSON."""

from __future__ import annotations

from meshtail.events import Source

from .conftest import lines, parse, parse_file, verdict

ISTIOD = lines("istiod.log")
AGENT = lines("istio-agent.log")


def test_istiod_lines_are_istiod():
    assert {event.format for event in parse_file("istiod.log")} == {"istiod"}


def test_push_debounce_variants():
    plain = parse(ISTIOD[0])
    assert (plain.category, plain.action) == ("config", "xds.push")
    assert plain.attributes["istio.push.config_count"] == 2 and plain.attributes["istio.push.full"] is True
    named = parse(ISTIOD[1])
    assert named.attributes["istio.push.config"] == "EnvoyFilter/istio-system/wasm-service"
    assert "EnvoyFilter/istio-system/wasm-service" in named.summary
    more = parse(ISTIOD[2])
    assert more.attributes["istio.push.config_count"] == 103 and "and 42 more" in more.summary
    reason = parse(ISTIOD[3])
    assert reason.attributes["istio.push.reason"] == "global:1 and endpoint:1"


def test_xds_pushing_old_and_new_forms():
    old = parse(ISTIOD[4]).attributes
    assert old["istio.push.version"] == "2022-02-19T00:45:42Z/94" and old["istio.push.connected_endpoints"] == 3
    new = parse(ISTIOD[5]).attributes
    assert new["istio.push.services"] == 26 and new["istio.push.version"] == "2024-07-25T20:12:53Z/1"
    assert parse(ISTIOD[6]).attributes["istio.push.full"] is False


def test_per_type_push():
    for index in (7, 8):
        event = parse(ISTIOD[index])
        assert event.action == "xds.push"
        assert event.attributes["istio.xds.type"] == "CDS"
    assert parse(ISTIOD[7]).attributes["istio.xds.resources"] == 137


def test_ack_error_is_a_nack_violation_naming_the_proxy():
    event = parse(ISTIOD[9])
    assert (event.category, event.outcome, event.violation, event.action, event.severity) == (
        "config",
        "failure",
        True,
        "xds.reject",
        "error",
    )
    assert event.attributes["istio.proxy"].startswith("router~10.xx.xx.xx~usergateway")
    assert event.attributes["error.message"].startswith("Internal:Error adding/updating listener(s)")


def test_new_service_tabs_and_expanded_spaces():
    for index in (10, 11):
        event = parse(ISTIOD[index])
        assert (event.action, event.outcome) == ("service.add", "change")
    assert parse(ISTIOD[11]).attributes["istio.scope"] == "ads"


def test_webhook_self_probe_is_not_reported_as_invalid_user_config():
    event = parse(ISTIOD[12])
    assert event.action == "istiod.webhook_probe" and not event.violation


def test_invalid_config_from_validation_webhook_is_a_violation():
    line = ISTIOD[12].replace(
        '"internal.istio.io/webhook-always-reject" annotation found, rejecting (dry run)',
        "spec.http[0].route: weight must be set",
    )
    event = parse(line)
    assert (event.action, event.violation) == ("config.invalid", True)


def test_structured_fields_become_attributes():
    event = parse(ISTIOD[13])
    assert event.attributes["istio.controller"] == "validation"
    assert event.severity == "error"


def test_agent_lines():
    events = parse_file("istio-agent.log", Source("sidecar", namespace="shop", pod="cart-1", container="istio-proxy"))
    assert {event.format for event in events} == {"istio-agent"}
    assert [e.action for e in events[:5]] == [
        "xds.connect",
        "proxy.ready",
        "proxy.ready",
        "xds.reject",
        "proxy.not_ready",
    ]
    assert events[3].violation and not events[4].violation
    cert = events[5]
    assert (cert.category, cert.action) == ("auth", "cert.issue")
    assert cert.attributes["istio.cert.ttl"] == "9m59.893482857s"
    assert events[6].attributes["istio.sds.resource"] == "ROOTCA"
    assert (events[7].action, events[7].outcome) == ("cert.failure", "failure")
    assert events[8].time == "2020-10-17T14:54:40.680797Z" and events[8].attributes["istio.scope"] == "sds"


# apl-docs.net "Istio" known issues (tests/data/holdout38): istiod's authorization builder dropping a rule at error
SKIPPED_RULE = (
    "error    authorization    skipped rule ns[monitoring]-policy[grafana-dev-clusterid.akamai-apl-net]-rule[0]:"
    " :authority must not be used in TCP"
)


def test_an_authorization_rule_istiod_skipped_at_error_is_invalid_config() -> None:
    """A policy rule the builder could not build does not take effect as written: invalid config, a violation (it was
    an ordinary config failure); the same words at debug on a TCP filter chain are expected and stay chatter."""
    event = parse(SKIPPED_RULE)
    assert verdict(event) == ("istiod", "config", "failure", True)
    assert event.action == "config.invalid"
    tcp = parse(
        "2026-01-01T00:00:00.000000Z\tdebug\tauthorization\tskipped rule ns[foo]-policy[x]-rule[0] on TCP filter"
        " chain: :authority must not be used in TCP"
    )
    assert (tcp.format, tcp.violation, tcp.action) == ("istiod", False, "authz.policy")


def test_the_old_agents_certificate_watcher_is_certificate_activity() -> None:
    """pilot-agent 0.x-1.4 watched the mounted certificates (watcher.go) and said so in its own words, under glog
    in 0.x: both are the certificate lifecycle (auth), as the agent's later cert lines are."""
    # istio/istio#7872 https://github.com/istio/istio/issues/7872
    notifying = parse("2018-08-13T18:40:10.674530Z\tinfo\twatchFileEvents: notifying")
    assert (notifying.format, notifying.category, notifying.action) == ("istio-agent", "auth", "cert.info")
    # istio/istio#1667 https://github.com/istio/istio/issues/1667 (stern's names before the 0.x agent's glog line)
    created = parse(
        "greeter-server-3388118735-qflpt istio-proxy 2017-11-16T22:24:40.385127891Z I1116 22:24:40.384915       1 "
        'watcher.go:121] watchFileEvents: "/etc/certs//..119811_16_11_22_24_40.173021835": CREATE'
    )
    assert (created.format, created.category, created.action) == ("istio-agent", "auth", "cert.info")
    # the watcher's own end is not certificate activity
    ended = parse("2020-04-16T01:58:23.257420Z info    watchFileEvents has successfully terminated")
    assert ended.category == "other"


def test_the_agents_tls_handshake_with_its_ca_failing_is_a_violation() -> None:
    """cert-manager/istio-csr#87 (holdout44), holdout23: the agent's CSR to its CA failed the TLS handshake (an
    unknown authority) -- the same failure on Envoy's SDS stream is a violation, and was not on the agent's line."""
    event = parse(
        "2021-08-23T05:58:53.770959Z\terror\tgoogleca\tFailed to create certificate: rpc error: code = Unavailable "
        'desc = connection error: desc = "transport: authentication handshake failed: x509: certificate signed by '
        'unknown authority"'
    )
    assert verdict(event) == ("istio-agent", "auth", "failure", True)
    # an unreachable CA is a failure only
    event = parse(
        "2021-08-23T05:58:53.770959Z\terror\tgoogleca\tFailed to create certificate: rpc error: code = Unavailable "
        'desc = connection error: desc = "transport: Error while dialing dial tcp 10.0.0.1:15012: i/o timeout"'
    )
    assert (event.category, event.outcome, event.violation) == ("auth", "failure", False)


def test_an_unscoped_message_both_programs_print_is_the_agents_without_a_source() -> None:
    """Istio 0.5/0.8 pilot-agent's statsd address lookup (istio/istio#6855, #2554; holdout42, holdout45): pkg/util
    is built into both programs, and a sidecar's log is where operators find it."""
    for line in (
        "2018-07-05T15:15:38.488786Z\tinfo\tAttempting to lookup address: istio-statsd-prom-bridge.istio-system",
        "2018-07-05T15:15:38.511565Z\tinfo\tAddr resolved to: 10.0.0.245:9125",
    ):
        assert parse(line).format == "istio-agent", line
    # from istiod's own container it is istiod's
    source = Source("kube", namespace="istio-system", pod="istiod-1", container="discovery")
    assert parse("2018-07-05T15:15:38.511565Z\tinfo\tAddr resolved to: 10.0.0.245:9125", source).format == "istiod"


def test_the_operating_system_refusing_a_socket_is_no_refused_identity() -> None:
    # holdout86 (a SPIRE/workload-spiffe-uds thread, 2023): the agent could not bind its socket -- Go's *OpError
    # "listen unix <path>: bind: permission denied" is a file mode, not a CA or a policy refusing an identity
    event = parse(
        "2023-02-22T22:34:20.381853Z\terror\tsds\tFailed to set up UDS path: failed to listen on unix socket "
        '"./var/run/secrets/workload-spiffe-uds/socket": listen unix ./var/run/secrets/workload-spiffe-uds/socket: '
        "bind: permission denied"
    )
    assert (event.format, event.outcome, event.violation) == ("istio-agent", "failure", False)
    # a CA refusing the agent's identity is still one
    refused = parse(
        "2023-02-22T22:34:20.381853Z\terror\tcache\tresource:default request:… CSR failed with error: rpc error: "
        "code = Unauthenticated desc = request authenticate failure, retry in 1600 millisec"
    )
    assert (refused.outcome, refused.violation) == ("deny", True)


def test_the_forked_leader_elector_losing_its_lease_is_a_failure_at_any_level() -> None:
    # holdout93 (istio/istio thread, the operator's election under load): client-go's elector, forked into
    # pilot/pkg/leaderelection/k8sleaderelection, says "failed to renew lease" at info -- leadership lost
    lost = parse(
        "2020-05-06T10:13:45.180602Z\tinfo\tfailed to renew lease istio-operator/istio-operator-lock: failed to "
        "tryAcquireOrRenew context deadline exceeded"
    )
    assert (lost.format, lost.outcome, lost.action) == ("istiod", "failure", "leader.election")
    won = parse("2020-05-06T10:13:45.180602Z\tinfo\tklog\tsuccessfully acquired lease istio-system/istio-leader")
    assert (won.outcome, won.action) == ("success", "leader.election")


def test_a_process_tables_row_is_no_line_of_the_agent() -> None:
    # holdout93: `ps aux` inside the sidecar, its row naming the Envoy command line the agent wrote (was the agent's)
    row = (
        "istio-p+ 11406  0.6  0.7 226696 59396 ?        Sl   17:50   0:00 /usr/local/bin/envoy -c "
        "etc/istio/proxy/envoy-rev0.json --restart-epoch 0 --drain-time-s 45 --drain-strategy immediate"
    )
    assert parse(row).format == "unknown"
    assert parse("istio-p+       1       0  0 10:00 ?        00:00:01 /usr/local/bin/pilot-agent proxy").format == (
        "unknown"
    )


def test_a_flag_the_binary_does_not_know_says_whose_command_line_it_was() -> None:
    # holdout94 (a sidecar template of one release run by the agent of another): cobra's "unknown flag: --statusPort"
    # names one of pilot-agent's flags
    event = parse("2019-01-26T01:58:15.866535Z     error   unknown flag: --statusPort")
    assert (event.format, event.outcome) == ("istio-agent", "failure")
    assert parse("2019-01-26T01:58:15.866535Z     error   unknown flag: --useAdapterCRDs").format == "istiod"


def test_istiods_ack_errors_detail_alone_is_a_nack() -> None:
    # holdout94: the tail of "ADS:LDS: ACK ERROR <proxy> Internal:Error adding/updating listener(s) …" (delta.go's
    # "%s:%s", the gRPC code's name and the proxy's words)
    event = parse(
        "Internal:Error adding/updating listener(s) virtualInbound: Didn't find a registered implementation for "
        "'istio_authn' with type URL: 'io.istio.network.authn.Config'"
    )
    assert verdict(event) == ("istiod", "config", "failure", True)
    assert (event.action, event.attributes["rpc.code"]) == ("xds.reject", 13)
    assert parse("Internal:something else happened").format == "unknown"


def test_a_custom_action_istiod_could_not_build_is_invalid_config() -> None:
    # holdout100: the CUSTOM action of a policy names a provider with errors: the policy does not take effect
    event = parse(
        "2021-08-10T23:15:45.216781Z     error   authorization   Processed authorization policy for "
        "productpage-v1-cf596fdb6-r7p8r.default, failed to process CUSTOM action: found errors in provider "
        "sample-ext-authz-grpc: 1 error occurred"
    )
    assert (verdict(event), event.action) == (("istiod", "config", "failure", True), "config.invalid")


def test_a_nack_is_configs_whatever_its_reason_names() -> None:
    # holdout101: a gateway's listener refused for its jwt_authn JWKS -- still a NACK (it was read as a JWKS fetch)
    event = parse(
        "2020-03-17T21:58:28.857801Z\twarn\tads\tADS:LDS: ACK ERROR 10.28.0.60:52994 router~10.28.0.60~gw-1."
        "istio-system~istio-system.svc.cluster.local-1308 (gw-1.istio-system) Internal:Error adding/updating "
        "listener(s) 0.0.0.0_443: Issuer 'https://idp.example.com' in jwt_authn config has invalid local jwks: "
        "[alg] is not started with [RS] for a RSA key"
    )
    assert (verdict(event), event.action) == (("istiod", "config", "failure", True), "xds.reject")


def test_glogs_note_of_logging_before_its_flags_were_parsed() -> None:
    # holdout101 (Istio 0.x/1.0's agent): glog's prefix before its own head
    event = parse(
        "ERROR: logging before flag.Parse: W1215 23:54:38.656636       1 agent.go:204] Epoch 0 terminated with an "
        "error: signal: aborted (core dumped)"
    )
    assert (event.format, event.outcome) == ("istio-agent", "failure")


def test_the_agents_envoy_named_by_its_epoch_is_the_agents_line() -> None:
    # holdout110 (Istio on ppc64le, 1.4-1.5's pkg/envoy): instance.go's logID() "Envoy '<name>' (epoch <n>)" leads
    # the messages of the Envoy the agent runs -- a template that starts with a value, so its words must tell
    line = "2020-02-12T10:23:45.607260Z     info    Envoy 'envoy' (epoch 0) Aborting: context canceled"
    assert verdict(parse(line)) == ("istio-agent", "other", "unknown", False)


def test_istiod_handling_an_endpoint_event_is_a_change() -> None:
    # holdout109 (istio/istio, debug kube scope) and holdout27: the registry's endpoint events, like "Handle event
    # add for configuration …", change what istiod pushes; its "skip updating" note changes nothing
    for line in (
        "2024-07-17T11:50:12.056763Z\tdebug\tkube\tHandle EDS endpoint httpbin-2 update in namespace default",
        "2020-05-07T00:52:32.408319Z\tinfo\tHandle EDS: 0 endpoints for sleep in namespace sample",
    ):
        assert verdict(parse(line)) == ("istiod", "config", "change", False), line
    skipped = (
        "2020-08-04T11:31:13.896086Z\tinfo\tHandle EDS endpoints: skip updating, service "
        "cluster-autoscaler/kube-system has not been populated"
    )
    assert verdict(parse(skipped)) == ("istiod", "config", "unknown", False)


def test_grpc_gos_handshake_failures_are_tls_failures_at_any_level() -> None:
    # grpc-go logs through pkg/log at info: istiod's server refusing a handshake (holdout115), the agent's client
    # failing one to istiod:15012 (holdout116) -- the mesh's own connections failing TLS, as the CA client's do
    server = (
        "2020-06-04T13:34:54.910744Z\tinfo\tgrpc: Server.Serve failed to complete security handshake from "
        '"10.240.0.33:53822": remote error: tls: error decrypting message'
    )
    client = (
        "2020-09-07T09:03:25.364244Z     info    grpc: addrConn.createTransport failed to connect to "
        '{istiod.istio-system.svc:15012  <nil> 0 <nil>}. Err: connection error: desc = "transport: authentication '
        'handshake failed: EOF". Reconnecting...'
    )
    for line, program in ((server, "istiod"), (client, "istio-agent")):
        event = parse(line)
        assert verdict(event) == (program, "auth", "failure", True), line
        assert event.action == "tls.handshake_error" and event.severity == "warning"
    # premise: the same client line failing for another reason is no handshake failure
    refused = parse(client.replace("transport: authentication handshake failed: EOF", "transport: Error while dialing"))
    assert refused.format == "istio-agent" and not refused.violation


def test_a_handshake_a_peer_abandoned_or_a_cancelled_dial_is_no_tls_violation() -> None:
    # (second reader) a load balancer's TCP check on istiod's TLS gRPC port connects and closes: grpc-go says "…:
    # EOF" for each (grpc/grpc-go#4234); a client whose dial was cancelled says "handshake failed: context canceled"
    server = (
        "2020-06-04T13:34:54.910744Z\tinfo\tgrpc: Server.Serve failed to complete security handshake from "
        '"10.240.0.33:53822": EOF'
    )
    event = parse(server)
    assert verdict(event) == ("istiod", "auth", "failure", False)  # a failed handshake, as Go's http server's is
    cancelled = (
        "2020-09-07T09:03:25.364244Z     info    grpc: addrConn.createTransport failed to connect to "
        '{istiod.istio-system.svc:15012  <nil> 0 <nil>}. Err: connection error: desc = "transport: authentication '
        'handshake failed: context canceled". Reconnecting...'
    )
    assert not parse(cancelled).violation
    # premise: with a TLS reason the same server line is a violation
    assert parse(server.replace("EOF", "remote error: tls: bad certificate")).violation
