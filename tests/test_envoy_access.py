"""Envoy access logs (TEXT in every Istio field-count variant, JSON, custom formats) on real lines."""

from __future__ import annotations

import pytest

from meshtail.events import Source
from meshtail.parse.detect import StreamParser, compile_formats
from meshtail.parse.envoy_access import ISTIO_FORMATS, FormatError, compile_format

from .conftest import lines, parse, parse_file, verdict

TEXT = lines("envoy-text.log")


def test_istio_19_outbound_request_is_routing_with_otel_attributes():
    event = parse(TEXT[0])
    assert verdict(event) == ("envoy-text", "routing", "failure", False)
    a = event.attributes
    assert a["http.request.method"] == "GET"
    assert a["url.path"] == "/status/418"
    assert a["http.response.status_code"] == 418
    assert "envoy.response_flags" not in a  # "-": no flags
    assert a["envoy.response_code_details"] == "via_upstream"
    assert a["envoy.upstream_cluster"] == "outbound|8000||httpbin.foo.svc.cluster.local"
    assert a["istio.destination.service"] == "httpbin.foo.svc.cluster.local"
    assert a["istio.direction"] == "outbound"
    assert a["client.address"] == "10.44.1.23" and a["client.port"] == 46520
    assert a["server.address"] == "httpbin" and a["server.port"] == 8000
    assert a["user_agent.original"] == "curl/7.73.0-DEV"
    assert a["http.request.header.x-request-id"] == "84961386-6d84-929d-98bd-c5aee93b5c88"
    assert a["envoy.duration_ms"] == 4 and a["envoy.upstream_service_time_ms"] == 4
    assert a["envoy.route_name"] == "default"
    assert a["envoy.log_format"] == "istio-1.9"
    assert event.time == "2020-11-25T21:26:18.409Z"
    assert event.action == "http.request"


def test_inbound_line_keeps_sni_and_inbound_direction():
    a = parse(TEXT[1]).attributes
    assert a["istio.direction"] == "inbound"
    assert a["tls.client.server_name"] == "outbound_.8000_._.httpbin.foo.svc.cluster.local"


def test_rbac_denial_names_the_policy_and_is_a_violation():
    event = parse(TEXT[2], Source("gateway", namespace="istio-system", pod="istio-egressgateway-7d9"))
    assert (event.category, event.outcome, event.violation, event.action) == ("auth", "deny", True, "authz.deny")
    assert event.attributes["istio.policy"] == "ns[istio-system]-policy[external-deny-developer-yahoo-com]-rule[0]"
    assert event.summary == (
        "istio-system/istio-egressgateway-7d9 denied HEAD / by "
        "ns[istio-system]-policy[external-deny-developer-yahoo-com]-rule[0]"
    )
    assert "denied by authorization policy" in event.attributes["envoy.response_code_details_explained"]


def test_rbac_denial_with_no_matching_allow_policy():
    event = parse(TEXT[3])
    assert event.action == "authz.deny" and event.violation
    assert event.attributes["istio.policy"] == "none"
    assert "none matched" in event.summary


def test_no_route_is_routing_failure_not_violation():
    event = parse(TEXT[4])
    assert (event.category, event.outcome, event.violation, event.action) == (
        "routing",
        "failure",
        False,
        "route.no_route",
    )
    assert event.attributes["envoy.response_flags"] == ["NR"]
    assert event.attributes["envoy.response_flags_explained"][0].startswith("NR (NoRouteFound)")


def test_tcp_upstream_failure_has_no_http_fields_and_flags_in_words():
    event = parse(TEXT[5])
    a = event.attributes
    assert "http.request.method" not in a and "http.response.status_code" not in a
    assert a["envoy.response_flags"] == ["UF", "URX"]
    assert any("upstream connection failure" in text for text in a["envoy.response_flags_explained"])
    assert (event.category, event.outcome, event.action, event.severity) == (
        "routing",
        "failure",
        "upstream.failure",
        "error",
    )


@pytest.mark.parametrize(
    ("index", "variant"),
    [(6, "istio-1.3"), (7, "istio-1.3"), (8, "istio-1.8"), (9, "istio-1.1"), (10, "istio-1.9")],
)
def test_every_shipped_field_count_variant_is_recognised(index, variant):
    event = parse(TEXT[index])
    assert event.format == "envoy-text"
    assert event.attributes["envoy.log_format"] == variant


def test_istio_11_inbound_cluster_carries_port_name():
    a = parse(TEXT[9]).attributes
    assert a["istio.destination.port_name"] == "http"
    assert a["istio.destination.service"] == "productpage.default.svc.cluster.local"


def test_user_agent_with_spaces_is_one_attribute():
    assert parse(TEXT[10]).attributes["user_agent.original"].startswith("Mozilla/5.0 (X11; Linux x86_64)")


def test_quote_inside_a_quoted_field_still_parses():
    hostile = TEXT[0].replace('"curl/7.73.0-DEV"', '"curl "quoted" agent"')
    event = parse(hostile)
    assert event.format == "envoy-text"
    assert event.attributes["user_agent.original"] == 'curl "quoted" agent'


def test_all_text_lines_parse():
    assert all(event.format == "envoy-text" for event in parse_file("envoy-text.log"))


# ------------------------------------------------------------------------- JSON
def test_json_14_all_string_values_become_typed_attributes():
    events = parse_file("envoy-json.log")
    first = events[0]
    assert first.format == "envoy-json"
    assert first.attributes["http.response.status_code"] == 200
    assert first.attributes["istio.destination.subset"] == "v1"
    assert first.attributes["envoy.duration_ms"] == 1
    assert first.time == "2020-09-30T03:22:42.267Z"


def test_json_19_nulls_and_no_healthy_upstream():
    event = parse_file("envoy-json.log")[1]
    assert event.action == "upstream.failure" and event.outcome == "failure"
    assert event.attributes["envoy.response_flags"] == ["UH"]
    assert "envoy.upstream_host" not in event.attributes  # null, not "None"
    assert event.attributes["envoy.response_code_details_explained"] == "no healthy upstream host"


def test_json_and_text_encodings_classify_the_same_way():
    event = parse_file("envoy-json.log")[2]
    assert (event.category, event.outcome, event.action) == ("routing", "failure", "http.request")
    assert event.attributes["url.path"] == "/wrongpath"


# ------------------------------------------------------------------------- custom format strings
CUSTOM = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    "%RESPONSE_FLAGS% %DOWNSTREAM_PEER_URI_SAN% %REQ(X-TENANT)% %DURATION%"
)


def test_custom_format_string_is_compiled_into_a_parser():
    parser = StreamParser(compile_formats([CUSTOM]))
    line = '[2024-05-01T10:00:00.000Z] "POST /pay HTTP/2" 503 UF spiffe://cluster.local/ns/shop/sa/cart acme 12'
    event = parse(line, parser=parser)
    a = event.attributes
    assert event.format == "envoy-text" and a["envoy.log_format"] == "custom"
    assert a["istio.source.principal"] == "spiffe://cluster.local/ns/shop/sa/cart"
    assert a["http.request.header.x-tenant"] == "acme"
    assert a["envoy.duration_ms"] == 12
    assert event.action == "upstream.failure"


def test_custom_format_accepts_go_escaped_quotes_and_trailing_newline():
    compiled = compile_format('[%START_TIME%] \\"%REQ(:METHOD)%\\" %RESPONSE_CODE%\\n')
    assert compiled.match('[2024-05-01T10:00:00.000Z] "GET" 200') is not None


def test_bad_format_string_names_the_position():
    with pytest.raises(FormatError, match="character"):
        compile_format("%START_TIME% %RESPONSE_CODE")
    with pytest.raises(FormatError, match="no %OPERATOR%"):
        compile_format("just text")


def test_non_numeric_value_in_a_numeric_field_is_reported_not_mistyped(validator):
    event = parse(TEXT[0].replace('" 418 - via_upstream', '" :418 - via_upstream'))
    assert "http.response.status_code" not in event.attributes
    assert event.attributes["meshtail.field_errors"] == ["http.response.status_code: not a number: :418"]
    validator.validate(event.to_dict())


def test_istio_12_and_envoy_default_variants():
    """No public line of these two shapes was found; these are the 1.1 line (TEXT[9]) reshaped.

    Istio 1.2 adds a quoted transport-failure slot after the Mixer slot and has no route name;
    Envoy's own default format stops after the upstream host (see log-formats.md §1a, §1b').
    """
    istio_12 = TEXT[9].replace('200 - "-" 0 5723', '200 - "-" "-" 0 5723')
    event = parse(istio_12)
    assert event.attributes["envoy.log_format"] == "istio-1.2"
    assert event.attributes["istio.destination.service"] == "productpage.default.svc.cluster.local"
    envoy_default = (
        '[2019-04-23T12:07:22.912Z] "GET /productpage HTTP/1.1" 200 - 0 5723 32 31 "10.166.15.195" "curl/7.64.0" '
        '"8cda8b91-df5c-46db-aa52-47db3581137d" "redacted.com" "127.0.0.1:9080"'
    )
    event = parse(envoy_default)
    assert event.attributes["envoy.log_format"] == "envoy-default"
    assert event.attributes["envoy.upstream_host"] == "127.0.0.1:9080"
    assert event.attributes["http.request.header.x-forwarded-for"] == "10.166.15.195"


def test_adjacent_operators_give_the_value_to_the_last_and_do_not_backtrack():
    # found by scripts/fuzz.py: lazy groups for operators with nothing between them backtracked
    # polynomially (7 s for a 110-character line that does not match; a 1 MB line never ended)
    compiled = compile_format("[%START_TIME%] %BYTES_RECEIVED%%BYTES_SENT%%DURATION% %RESPONSE_CODE%")
    parser = StreamParser([compiled])
    event = parse("[2026-01-01T00:00:00.000Z] 512 403", parser=parser)
    assert event.attributes["envoy.duration_ms"] == 512
    assert "envoy.bytes_received" not in event.attributes
    assert event.attributes["http.response.status_code"] == 403
    hostile = "[2026-01-01T00:00:00.000Z] " + "9" * 1_000_000 + "x"
    assert parse(hostile, parser=parser).format == "unknown"


def test_a_line_full_of_quotes_does_not_stall_the_lenient_retry():
    # The lenient retry tries every split at a stray quote: C(quotes, fields) attempts.  Before
    # the bound, 40 repeats took 27 ms in Envoy's default format and 2,000 would take years.
    compiled = compile_format(ISTIO_FORMATS["envoy-default"])
    line = '[x] "GET / HTTP/1.1" 200 - - - "' + '" "' * 2000 + "x"
    assert compiled.match(line) is None
    # a quote or two inside a quoted field still parse (test_quote_inside_a_quoted_field_still_parses)
    assert compiled.match('[x] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "a "b" c" "id" "h" "u"') is not None


# openshift/assisted-service#4670: an Envoy json_format that logs the path and protocol but not the method; the
# 401 came from the upstream app (upstream host set, no flags)
NO_METHOD = (
    '{"response_flags":"-","user_agent":"curl/7.61.1","authority":"localhost:8090","x_forwarded_for":"-",'
    '"protocol":"HTTP/1.1","path":"/api/assisted-install/v2/clusters/foobar","upstream_host":"127.0.0.1:8090",'
    '"route_name":"-","response_code":"401","x_agent_name":"-"}'
)


def test_a_json_record_without_its_method_is_still_an_http_request_and_its_status_counts() -> None:
    event = parse(NO_METHOD)
    assert event.format == "envoy-json" and event.attributes["http.response.status_code"] == 401
    assert (event.category, event.outcome, event.action) == ("routing", "failure", "http.request")
    tcp = parse('{"response_code":0,"response_flags":"-","upstream_host":"10.0.0.1:5432","duration":12,"bytes_sent":9}')
    assert tcp.action == "tcp.connection" and tcp.outcome == "success"  # no request at all: TCP, as before


# Envoy's OAuth2 filter (source/extensions/filters/http/oauth2/filter.cc) writes its decision in the details:
# REDIRECT_FOR_CREDENTIALS "oauth.missing_credentials" (the request not let through, sent to log in: OAuth's 401)
# and REDIRECT_LOGGED_IN "oauth.logged_in".  Envoy Gateway's default JSON format, envoyproxy/gateway#4838
# (holdout48): a 302 read as a request that succeeded.
OAUTH_302 = (
    '{"start_time":"2024-12-09T15:34:20.610Z","method":"POST","x-envoy-origin-path":"/app1","protocol":"HTTP/1.1",'
    '"response_code":"302","response_flags":"-","response_code_details":"oauth.missing_credentials",'
    '"connection_termination_details":"-","upstream_transport_failure_reason":"-","bytes_received":"0",'
    '"bytes_sent":"0","duration":"2","x-envoy-upstream-service-time":"-","x-forwarded-for":"10.244.0.25",'
    '"user-agent":"insomnia/10.1.1","x-request-id":"2e5d7a69-27ce-4d3d-821b-57602765a2b0",'
    '":authority":"myapp.local:10080","upstream_host":"-","upstream_cluster":"httproute/default/app1-route/rule/0",'
    '"upstream_local_address":"-","downstream_local_address":"127.0.0.1:10080",'
    '"downstream_remote_address":"127.0.0.1:55240","requested_server_name":"-",'
    '"route_name":"httproute/default/app1-route/rule/0/match/0/*"}'
)


def test_the_oauth2_filter_sending_a_request_to_log_in_is_a_denial() -> None:
    event = parse("2024-12-09T15:34:25.723298373Z envoy " + OAUTH_302)
    assert verdict(event) == ("envoy-json", "auth", "deny", True)
    assert event.action == "oauth.challenge"
    logged_in = parse(OAUTH_302.replace("oauth.missing_credentials", "oauth.logged_in"))
    assert (logged_in.category, logged_in.outcome, logged_in.violation) == ("auth", "success", False)
    text = parse(
        '[2024-12-09T15:34:20.610Z] "GET /app1 HTTP/1.1" 302 - oauth.missing_credentials - "-" 0 0 2 - "10.244.0.25" '
        '"curl/8.5.0" "2e5d7a69-27ce-4d3d-821b-57602765a2b0" "myapp.local:10080" "-"'
    )
    assert (text.category, text.outcome, text.action) == ("auth", "deny", "oauth.challenge")


def test_details_of_a_stream_that_failed_after_its_status_went_out_are_a_failure() -> None:
    # Higress (a Wasm-based gateway on Envoy), from a Chinese issue (holdout28): the Wasm plugin failed the stream
    # after a 200 was logged -- read as a request that succeeded.  Envoy's own details of the same kind
    # (envoy/stream_info/stream_info.h: the stream's idle timeout and max duration fire after the headers too)
    higress = parse(
        '{"protocol":"HTTP/1.1","response_code":"200","upstream_host":"-","upstream_local_address":"-",'
        '"response_code_details":"wasm_fail_stream","method":"POST","path":"/v1/chat/completions"}'
    )
    assert (higress.format, higress.category, higress.outcome) == ("envoy-json", "routing", "failure")
    for details in ("stream_idle_timeout", "max_duration_timeout", "downstream_local_disconnect(on_idle_timeout)"):
        line = (
            f'[2024-01-01T00:00:00.000Z] "GET /events HTTP/1.1" 200 - {details} - "-" 0 5120 300000 - "-" "curl/8.5.0" '
            '"2e5d7a69-27ce-4d3d-821b-57602765a2b0" "sse.shop:8080" "10.0.0.7:8080"'
        )
        event = parse(line)
        assert (event.category, event.outcome, event.action) == ("routing", "failure", "http.request"), details
    # an upstream that timed out is an upstream failure whatever flag the format kept
    timeout = parse(higress.raw.replace("wasm_fail_stream", "upstream_per_try_timeout").replace('"200"', '"504"'))
    assert timeout.action == "upstream.failure"
    # a stream the upstream answered, and one Envoy answered itself, are not failures
    for fine in ("via_upstream", "direct_response"):
        assert parse(higress.raw.replace("wasm_fail_stream", fine)).outcome == "success"
