# ruff: noqa: E501  (real and rendered log lines, verbatim)
"""Access lines no exact format reads: pasted fragments, version variants, lines inside other text.

Every line here is real (the source is named beside it; the same records are in
tests/data/corpus/envoy/ with their URLs).  Each was an unparsed ``other`` event before the
loose reader: a 503, a denial or a disconnect an operator pasted would not have been seen.
"""

from __future__ import annotations

import time

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("file", path="pasted.log", line=1), "2026-01-01T00:00:00Z"))


def test_a_line_without_its_start_time_is_read_and_flagged_partial() -> None:
    # istio/istio#45802: the reporter pasted the line from the request line on
    event = parse(
        '"GET /v1/status HTTP/1.1" 503 UC upstream_reset_before_response_started{connection_termination} - "-" '
        '0 95 0 - "10.90.16.220" "Apache-HttpClient/4.5.1 (Java/1.8.0_372)" "3a7cbcc1-af72-47fb-bbac-a7672951f50f" '
        '"health.abc.com" "10.80.47.192:8181" outbound|80||health-api.production.svc.cluster.local '
        "10.80.45.233:37132 10.80.45.233:80 10.80.46.220:59375 - -"
    )
    assert (event.format, event.category, event.outcome, event.action) == (
        "envoy-text",
        "routing",
        "failure",
        "upstream.failure",
    )
    a = event.attributes
    assert a["meshtail.partial"] is True and a["envoy.log_format"] == "loose"
    assert a["http.response.status_code"] == 503 and a["envoy.response_flags"] == ["UC"]
    assert a["envoy.upstream_cluster"] == "outbound|80||health-api.production.svc.cluster.local"
    assert a["envoy.downstream_remote_address"] == "10.80.46.220:59375"
    assert a["http.request.header.x-request-id"] == "3a7cbcc1-af72-47fb-bbac-a7672951f50f"
    assert "meshtail.unparsed" not in a


def test_a_tcp_denial_in_the_termination_details_slot_is_a_violation() -> None:
    # istio/istio#31555: Envoy's network RBAC filter writes its decision as the connection termination details
    event = parse(
        '[2021-03-16T09:30:47.919Z] "- - -" 0 - - rbac_access_denied_matched_policy[none] "-" 0 0 0 - "-" "-" '
        '"-" "-" "-" inbound|12950|| - 10.244.0.31:12950 10.244.0.1:11504 - -'
    )
    assert (event.category, event.outcome, event.violation, event.action) == ("auth", "deny", True, "authz.deny")
    assert event.attributes["istio.policy"] == "none"
    assert "none matched" in event.attributes["envoy.response_code_details_explained"]


def test_a_tls_error_fragment_starting_at_the_status_is_an_auth_failure() -> None:
    # istio/istio#25062: only the end of the line was quoted
    event = parse(' 503 UF,URX "-" "TLS error: 268435703:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER"')
    assert (event.category, event.outcome, event.violation, event.action) == (
        "auth",
        "failure",
        True,
        "mtls.handshake_failure",
    )
    assert event.attributes["meshtail.partial"] is True


def test_csv_doubled_quotes_and_a_missing_open_quote() -> None:
    # istio/istio#39037, copied out of a spreadsheet export
    event = parse('POST /xyz/abc HTTP/1.1"" 0 DC downstream_remote_disconnect - ""-"" 515 0 4969 - ""')
    assert (event.format, event.action, event.outcome) == ("envoy-text", "downstream.disconnect", "failure")
    assert event.attributes["envoy.duration_ms"] == 4969
    assert "envoy.upstream_cluster" not in event.attributes  # the cut-off quote is no cluster name


def test_a_line_cut_after_its_details_keeps_what_it_has() -> None:
    event = parse('"POST /abc/true HTTP/1.1" 502 - via_upstream -')  # istio/istio#39037
    assert (event.action, event.outcome) == ("http.request", "failure")
    assert event.attributes["envoy.response_code_details"] == "via_upstream"


def test_a_variant_with_an_empty_upstream_host_and_an_sni_names_each_field() -> None:
    # shardul.dev "Understanding Istio Access Logs": UPSTREAM_HOST printed as "" (not "-")
    event = parse(
        '[2022-10-23T20:38:15.413Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 37 0 0 "-" "curl/7.35.0" '
        '"3ce3e159-9dba-4617-9e85-feb1106a682c" "nginx" "" inbound|80|| '
        "outbound_.80_._.nginx.default.svc.cluster.local default"
    )
    a = event.attributes
    assert (event.outcome, event.time) == ("success", "2022-10-23T20:38:15.413Z")
    assert a["tls.client.server_name"] == "outbound_.80_._.nginx.default.svc.cluster.local"
    assert a["envoy.route_name"] == "default" and a["istio.direction"] == "inbound"
    assert "meshtail.partial" not in a


def test_a_line_inside_a_shell_command_is_found() -> None:
    # nitishm/engarde README: the line as the argument of echo
    event = parse(
        'echo \'[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" '
        '"nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"\' | engarde | jq'
    )
    assert (event.format, event.outcome, event.time) == ("envoy-text", "success", "2016-04-15T20:17:00.310Z")
    assert event.attributes["http.request.header.host"] == "locations"


def test_a_missing_bracket_still_gives_the_time_and_says_partial() -> None:
    # paste of an egress-gateway experiment: the opening "[" lost
    event = parse(
        '    2020-12-03T10:55:38.255Z] "- - -" 0 UF,URX "-" "-" 0 0 10013 - "-" "-" "-" "-" "10.10.144.80:443" '
        "outbound|443||kubernetes.default.svc.cluster.local - 172.20.0.1:443 10.10.167.168:39590"
    )
    assert (event.action, event.time) == ("upstream.failure", "2020-12-03T10:55:38.255Z")
    assert event.attributes["meshtail.partial"] is True


def test_fault_injection_delay_that_was_answered_is_a_success() -> None:
    # istio.io fault-injection task output: 7 s delay (DI), then 200 from the upstream
    event = parse(
        '[2020-11-25T21:26:18.409Z] "GET /status/200 HTTP/1.1" 200 DI via_upstream - "-" 0 135 7004 4 "-" '
        '"curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" '
        "outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default"
    )
    assert (event.action, event.outcome) == ("fault.injected", "success")
    aborted = parse(
        '[2020-11-25T21:26:18.409Z] "GET /status/200 HTTP/1.1" 503 FI fault_filter_abort - "-" 0 18 0 - "-" '
        '"curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "-" '
        "outbound|8000||httpbin.foo.svc.cluster.local - 10.0.45.184:8000 10.44.1.23:46520 - default"
    )
    assert (aborted.action, aborted.outcome) == ("fault.injected", "failure")


def test_a_key_value_access_format_is_read() -> None:
    # envoyproxy/envoy#9242: a custom text format of key=value fields, pasted inside backticks
    event = parse(
        "`[05/12/2019T16:14:53+0000 1575562493] method=POST authority=localhost:443 txId=- "
        "request=/StudentService/get alpn=HTTP/2 response_flag=UT ssl_protocol=TLSv1.3 "
        "ssl_cipher=TLS_AES_128_GCM_SHA256 status=200 status_details=upstream_response_timeout`"
    )
    assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", "failure")
    assert event.attributes["envoy.response_flags"] == ["UT"]
    assert event.attributes["url.path"] == "/StudentService/get"


def test_a_key_value_line_of_a_tcp_connection_and_an_applications_own_request_log() -> None:
    # Envoy's own operators as key names (a custom TEXT format, found probing right-read lines in other layouts): a
    # TCP connection logs code 0, and its flags or upstream say how it ended
    tcp = "start_time=2021-03-16T09:30:47.919Z method=- path=- protocol=- response_code=0 response_flags=UF,URX duration=2285 upstream_host=127.0.0.1:12950"
    event = parse(tcp)
    assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", "failure")
    refused = parse(
        "start_time=2021-03-16T09:30:47.919Z response_code=0 response_flags=NR response_code_details=filter_chain_not_found"
    )
    assert (refused.format, refused.category, refused.outcome, refused.violation) == (
        "envoy-text",
        "auth",
        "deny",
        True,
    )
    # a code 0 and a word that is no flag of Envoy's; a logger's own keys around a request it served: not Envoy's
    for line in (
        "code=0 user=x flags=1",
        'level=info msg="served" method=GET path=/x status=200 duration=5ms',
        "code=200 msg=ok user=x flags=1",
    ):
        assert parse(line).format == "unknown", line


def test_mixer_policy_check_that_could_not_be_made_is_not_a_denial() -> None:
    # istio/istio#19056 (Istio 1.4): UAEX with istio_policy_status UNAVAILABLE — Mixer failed closed
    event = parse(
        '{"bytes_sent":"31","upstream_cluster":"-","downstream_remote_address":"100.100.0.0:54652",'
        '"authority":"loki.example.com","path":"/api/prom/push","protocol":"HTTP/1.1","duration":"0",'
        '"route_name":"-","response_code":"503","user_agent":"Go-http-client/1.1","response_flags":"UAEX",'
        '"start_time":"2019-11-19T03:27:35.402Z","method":"POST","upstream_host":"-",'
        '"istio_policy_status":"\\"UNAVAILABLE:no healthy upstream\\""}'
    )
    assert (event.category, event.outcome, event.violation, event.action) == (
        "auth",
        "failure",
        False,
        "extauthz.error",
    )
    denied = parse(
        '[2019-11-19T03:27:35.402Z] "POST /api HTTP/1.1" 403 UAEX "PERMISSION_DENIED:denyall.denier.default" '
        '0 0 0 - "-" "curl" "id" "svc" "-" outbound|80||svc.default.svc.cluster.local - 1.2.3.4:80 5.6.7.8:1 -'
    )
    assert (denied.outcome, denied.violation) == ("deny", True)


def test_json_access_keys_under_other_names_and_a_cut_record() -> None:
    # Envoy Gateway's default JSON keys (":authority", "user-agent", "x-envoy-origin-path")
    event = parse(
        '{":authority":"www.example.com","bytes_received":0,"bytes_sent":0,"downstream_remote_address":'
        '"10.244.0.1:3122","duration":0,"method":"GET","protocol":"HTTP/1.1","response_code":401,'
        '"response_flags":"-","response_code_details":"jwt_authn_access_denied{Jwt_is_missing}",'
        '"start_time":"2024-03-01T10:00:00.000Z","upstream_cluster":"httproute/default/backend/rule/0",'
        '"user-agent":"curl/8.4.0","x-envoy-origin-path":"/get","x-request-id":"9b5e"}'
    )
    assert (event.format, event.action, event.violation) == ("envoy-json", "jwt.reject", True)
    assert event.attributes["url.path"] == "/get" and event.attributes["user_agent.original"] == "curl/8.4.0"
    # istio/istio#55461: the record as the issue shows it, cut before its end
    cut = parse(
        '{"duration":5,"upstream_host":"envoy://connect_originate/10.64.47.199:15008","bytes_received":0,'
        '"upstream_cluster":"outbound|80||ABC.NAMESPACE.svc.cluster.local;","response_flags":"-",'
        '"method":"GET","response_code":200,"path":"/version","protocol":"HTTP/1.1","upstream_local_address":"envoy://inte'
    )
    assert (cut.format, cut.outcome) == ("envoy-json", "success")
    assert cut.attributes["meshtail.partial"] is True


def test_other_programs_request_lines_stay_unparsed() -> None:
    # a Flask/werkzeug access line behind a stern prefix: same request line, not Envoy
    flask = parse(
        "envoy-502-upe-74b55b9d7-fqz9d envoy-502-upe 127.0.0.6 - - [11/Jan/2023 12:02:27] "
        '"POST /download-1 HTTP/1.1" 200 -'
    )
    assert flask.action == "log.unparsed" and flask.category == "other"
    nginx = parse('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "-" "curl"')
    assert nginx.action == "log.unparsed"
    prose = parse('the client sent "GET / HTTP/1.1" and got 200 - that was all')
    assert prose.action == "log.unparsed"


def test_an_access_line_the_author_cut_right_after_its_status_is_read() -> None:
    # Istio course notes (search-index file 71337311897, holdout23): kubectl logs --prefix output in a
    # '> ' tip block, cut by the author with '…' right after the status; '200 - …' was read, '200 …' was not
    for tail, status, action in (("200 …", 200, "http.request"), ("403 ...", 403, "authz.deny")):
        prefix = "> [pod/notification-service-v1-.../istio-proxy] [2026-09-29T11:04:18.220Z] "
        event = parse(f'{prefix}"GET /notify HTTP/1.1" {tail}')
        assert (event.format, event.action) == ("envoy-text", action)
        assert event.attributes["http.response.status_code"] == status
        assert event.attributes["meshtail.partial"] is True
    # without its time the same cut line is any web server's, and stays unread; so with a time not in Envoy's
    # brackets (found in review: it was a proxy's denial)
    assert parse('"GET /notify HTTP/1.1" 200 …').format == "unknown"
    assert parse('2025-01-01T00:00:00Z "GET /admin HTTP/1.1" 403 …').format == "unknown"


def test_blanks_after_a_status_are_read_in_linear_time() -> None:
    # (found in review) two runs of blanks side by side in the pattern: 100,000 blanks took 81 s
    started = time.perf_counter()
    for line in ('[2025-01-01T00:00:00.000Z] "GET / HTTP/1.1" 200 ', '"GET / HTTP/1.1" 200 '):
        parse(line + " " * 100_000 + "x")
    assert time.perf_counter() - started < 10  # linear: well under a second; quadratic: minutes


def test_a_custom_field_after_the_status_does_not_hide_a_bracketed_envoy_line() -> None:
    # envoyproxy/envoy#11439 (holdout41): a custom TEXT format logging the gRPC status as header/trailer ("-/0")
    # where the default has its flags; the ext_authz Check call succeeded, and was an outcome-less fragment
    line = (
        '[2020-02-27T00:27:45.898Z] "POST /envoy.service.auth.v2.Authorization/Check HTTP/1.1" 200 -/0 - 2979 11 57 57 '
        '"-" "797296e2-5515-428a-945f-3459265494fa" "multipass_safe--staging" "-" "-" "10.1.3.17:32508"'
    )
    event = parse(line)
    assert (event.format, event.category, event.outcome, event.action) == (
        "envoy-text",
        "routing",
        "success",
        "http.request",
    )
    assert event.time == "2020-02-27T00:27:45.898Z" and event.attributes["http.response.status_code"] == 200
    # without Envoy's bracketed start time the same shape is any web server's line, and stays unread
    other = parse('2020-02-27T00:27:45.898Z "GET / HTTP/1.1" 200 text/html 612 0 3 "-" "curl/7.68.0"')
    assert other.format == "unknown"


def test_a_line_the_author_abridged_with_dots_is_read_when_an_istio_cluster_names_it() -> None:
    # holdout52 (a Vietnamese test guide for the YAS microservices on Istio; the same author's retry line) and
    # holdout46 (an OTel collector debug body, cut by the author): the middle fields replaced by '...'; the Istio
    # cluster after it says whose line it is, where a web server's line with the same request would stay unread
    for line, status, outcome in (
        (
            '"GET / HTTP/1.1" 200 ... "app.104.…" "10.4.2.21:8080" outbound|80||frontend.baseline.svc.cluster.local',
            200,
            "success",
        ),
        (
            '[2026-06-23T...] "GET /cart/storefront/cart/items HTTP/1.1" 500 - "-" ... '
            "outbound|80||cart.yas.svc.cluster.local (retry 1)",
            500,
            "failure",
        ),
    ):
        event = parse(line)
        assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", outcome), line
        assert event.attributes["http.response.status_code"] == status
        assert event.attributes["meshtail.partial"] is True
        # the fields after the '...' are not read by their positions: the cluster is named, nothing else
        assert event.attributes["istio.destination.service"].endswith(".svc.cluster.local")
        assert "envoy.response_code_details" not in event.attributes
    assert parse('10.0.0.1 - - "GET / HTTP/1.1" 200 ... "curl/8.0"').format == "unknown"


def test_a_json_record_s_fields_quoted_after_a_label_or_in_a_sentence_are_read() -> None:
    # holdout50: a Portuguese write-up ("Quem conta a verdade é o log de acesso do Envoy: `…`"), a table of symptoms
    # ("Routing-404     :  …"), an answer quoting the record's fields in backticks; each was an unparsed line
    for line, action in (
        (
            'Routing-404     :  "response_code_details":"route_not_found"',
            "route.no_route",
        ),
        (
            'Quem conta a verdade é o log de acesso do Envoy: `"response_flags": "DC"`,',
            "downstream.disconnect",
        ),
        (
            # a 503 the proxy answered itself: no method or path among the fields, and still no TCP line (TCP logs 0)
            'Envoy access log line for that request: `"response_code":503,"response_code_details":"direct_response",'
            '"upstream_cluster":null`, i.e. Envoy answered itself',
            "http.request",
        ),
    ):
        event = parse(line)
        assert (event.format, event.category, event.outcome, event.action) == (
            "envoy-json",
            "routing",
            "failure",
            action,
        ), line
    # so a whole record of a custom json_format that logs no method or path: its 503 was a successful TCP connection
    record = parse(
        '{"start_time":"2024-01-01T00:00:00.000Z","response_code":503,"response_flags":"-","upstream_host":"10.0.0.1:80",'
        '"response_code_details":"via_upstream","duration":3,"upstream_cluster":"outbound|80||a.b.svc.cluster.local"}'
    )
    assert (record.format, record.outcome, record.action) == ("envoy-json", "failure", "http.request")
    # a sentence with other programs' JSON fields stays unread; a long run of blanks after the label is linear
    assert parse('error: "foo": "bar"').format == "unknown"
    started = time.perf_counter()
    parse("a: " + " " * 200_000 + '"k":')
    assert time.perf_counter() - started < 10


def test_a_record_printed_as_a_single_quoted_map_is_read() -> None:
    # holdout50: an Envoy Gateway JSON access record as the OpenTelemetry collector stored it in ClickHouse and
    # clickhouse-client printed it (a Map column: single quotes), cut by the page; and a Python dict's repr
    clickhouse = parse(
        "LogAttributes: {'authority':'tbk.test.net','bytes_received':'53643264','bytes_sent':'44',"
        "'downstream_remote_address':'10.0.4.6:60236','duration':'1028','logtag':'F','method':'PUT','path':'/rand.txt',"
        "'protocol':'HTTP/1.1','response_code':'200','response_code_details':'via_upstream','response_flags':'-',"
        "'upstream_host':'10.124.165.45:8080','upstream_service_ti"
    )
    assert (clickhouse.format, clickhouse.category, clickhouse.outcome) == ("envoy-json", "routing", "success")
    assert clickhouse.attributes["url.path"] == "/rand.txt"
    python = parse(
        "{'authority': 'x.example', 'response_code': 403, 'method': 'GET', 'path': '/',"
        " 'response_code_details': 'rbac_access_denied_matched_policy[none]'}"
    )
    assert (python.format, python.action, python.violation) == ("envoy-json", "authz.deny", True)
    assert parse("INFO:root:got {'user': 'bob', 'status': 200}").format == "unknown"


def test_a_piece_of_a_json_record_a_page_broke_mid_word_is_read() -> None:
    # holdout53 (yang0009.github.io: an Istio ingress gateway's JSON access record the blog page broke into three
    # pieces mid-word): the middle piece starts inside a value ("ull,") and holds the status
    line = (
        'ull,"response_code":404,"downstream_remote_address":"1--:57232","bytes_received":0,'
        '"requested_server_name":"www.xkool.ai","upstream_service_time":null,"upstream_cluster":null,'
        '"upstream_transport_failure_reason":null,"x_f'
    )
    event = parse(line)
    assert (event.format, event.category, event.outcome) == ("envoy-json", "routing", "failure")
    assert event.attributes["http.response.status_code"] == 404 and event.attributes["meshtail.partial"] is True
    # another program's JSON pieces stay unread
    assert parse('abc,"user":"bob","status":200,"path":"/x"}').format == "unknown"


def test_a_line_cut_just_after_its_request_is_read_from_its_status_on() -> None:
    # a Sidecar egress lab's BlackHoleCluster line (the corpus: a 'starfleet' Istio course, REGISTRY_ONLY), its
    # "[START_TIME] "- - -" " cut off as a paste that starts at the status does: the flags say it failed
    event = parse('0 UH - - "-" 0 0 0 - "-" "-" "-" "-" "-" BlackHoleCluster - 10.96.9.72:8000 10.244.0.6:47394 - -')
    assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", "failure")
    assert event.attributes["envoy.response_flags"] == "UH"
    # without the status, the flags followed by details not logged ("-") say the same
    assert parse(event.raw[2:]).outcome == "failure"
    # a refusal from the status on is still a refusal (built: the details Envoy gives an RBAC 403)
    refused = parse(
        '403 - rbac_access_denied_matched_policy[none] - "-" 0 19 0 - "-" "curl/7.68.0" "x" "a" "-" - - '
        "10.0.0.2:80 10.0.0.3:1234 - -"
    )
    assert (refused.category, refused.outcome, refused.violation) == ("auth", "deny", True)


def test_a_custom_format_quoting_every_field_is_read_by_its_request_and_status() -> None:
    # kgateway 2.2's docs (holdout71): a custom text format with every field in its own quotes
    event = parse('[2024-08-19T20:57:57.511Z] "GET /headers" "HTTP/1.1" "200" "-"')
    assert (event.format, event.category, event.outcome) == ("envoy-text", "routing", "success")
    assert event.attributes["http.response.status_code"] == 200
    assert parse(event.raw.replace('"200"', '"503"')).outcome == "failure"
    # without Envoy's bracketed start time the quoted words are any program's
    assert parse('app said "GET /headers" "HTTP/1.1" "200" "-"').format == "unknown"


def test_a_pretty_printed_field_of_the_header_only_envoy_sets_is_an_access_record_s() -> None:
    # holdout50: one field of a custom JSON access format an author pretty-printed, the header Envoy alone sets
    event = parse('    "x_envoy_upstream_service_time": "399",')
    assert (event.format, event.action) == ("envoy-json", "access.field")
    assert event.attributes["meshtail.partial"] is True
    # an application's own field of the same shape is not a proxy's
    assert parse('    "service_time": "399",').format == "unknown"


def test_the_tcp_proxy_format_of_envoy_s_examples_is_a_connection() -> None:
    # holdout41 and holdout73: a compose sandbox's proxy-1 with the examples' TCP proxy format
    # ("[%START_TIME%] cluster=%UPSTREAM_CLUSTER% src=%DOWNSTREAM_REMOTE_ADDRESS% dst=… -> %UPSTREAM_HOST%")
    event = parse(
        "proxy-1  | [2025-11-20T03:08:39.974Z] cluster=egress-router2 src=172.22.0.11:55320 dst=172.22.0.2:10000 -> "
        "52.44.182.178:80"
    )
    assert (event.format, event.category, event.outcome, event.action) == (
        "envoy-text",
        "routing",
        "success",
        "tcp.connection",
    )
    assert event.attributes["envoy.upstream_host"] == "52.44.182.178:80"
    # the same words without addresses are not a proxy's connection
    assert parse("[2025-11-20T03:08:39.974Z] cluster=x src=a dst=b").format == "unknown"


def test_a_line_cut_after_its_request_keeps_what_its_tail_says_of_the_upstream() -> None:
    # (found in review) a 403 from the status on whose upstream answered (its service time, its host) is the
    # upstream's answer, read as the whole line is -- not the proxy's own refusal
    event = parse('403 - - - "-" 0 0 0 3 "-" "curl" "i" "h" "1.2.3.4:80"')
    assert (event.category, event.outcome, event.violation) == ("routing", "failure", False)
    assert event.attributes["server.address"] == "h" and event.summary == "a request to h -> 403"
    # with no upstream and no service time it is the proxy's (pre-1.9 formats said no more)
    assert parse('403 - - - "-" 0 0 0 - "-" "curl" "i" "h" "-"').category == "auth"


def test_a_custom_format_quoting_every_field_keeps_its_flags_and_details() -> None:
    # (found in review) the fields after the quoted status were dropped: an ext_authz refusal read as a success
    event = parse('[2024-08-19T20:57:57.511Z] "GET /headers" "HTTP/1.1" "403" "UAEX" "ext_authz_denied"')
    assert (event.category, event.outcome, event.violation, event.action) == ("auth", "deny", True, "extauthz.deny")
    assert event.attributes["envoy.response_code_details"] == "ext_authz_denied"
    # a 503 whose flags say the upstream was never reached
    assert parse('[2024-08-19T20:57:57.511Z] "GET /headers" "HTTP/1.1" "503" "UH" "no_healthy_upstream"').action == (
        "upstream.failure"
    )
