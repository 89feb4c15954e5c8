"""A denial no parser knows must still reach the Violations pane, marked as a guess.

Lines are what operators paste next to their logs (istio.io task outputs, kubectl errors);
before this, each was an ``other``/``unknown`` event that no auditor's filter would show.
"""

from __future__ import annotations

from meshtail.events import RawLine, Source
from meshtail.parse.detect import StreamParser
from meshtail.query import compile_filter


def parse(text: str):
    return StreamParser().parse(RawLine(text, Source("stdin"), "2026-01-01T00:00:00Z"))


def test_curl_output_of_an_rbac_denial_is_a_guessed_violation() -> None:
    # istio.io docs/tasks/security/authorization/authz-http: the response body curl prints
    event = parse("RBAC: access denied")
    assert (event.category, event.outcome, event.violation, event.action) == ("auth", "deny", True, "log.denial")
    assert event.attributes["meshtail.heuristic"] is True
    assert "no family read" in event.attributes["meshtail.heuristic_reason"]
    assert event.attributes["meshtail.unparsed"] is True  # still marked as not read by a family
    assert compile_filter("violation:true").matches(event)


def test_a_rejected_config_from_kubectl_is_a_config_violation() -> None:
    # istio.io docs/ops/common-problems/validation: the validating webhook's answer through kubectl
    event = parse(
        'Error from server: error when creating "STDIN": admission webhook "validation.istio.io" denied the '
        "request: configuration is invalid: port number 90000 must be in the range 1..65535"
    )
    assert (event.category, event.outcome, event.violation, event.action) == (
        "config",
        "failure",
        True,
        "log.config_rejected",
    )


def test_a_grpc_permission_denied_in_an_unknown_json_line() -> None:
    event = parse('{"lvl":"warn","component":"uploader","text":"rpc error: code = PermissionDenied desc = forbidden"}')
    assert (event.action, event.violation) == ("log.denial", True)
    assert event.format == "unknown"


def test_a_refused_request_of_another_program_is_a_guessed_denial() -> None:
    # a web server's access line (werkzeug) with a 403: not Envoy, but a refused request all the same
    event = parse('127.0.0.6 - - [11/Jan/2023 12:02:27] "POST /admin HTTP/1.1" 403 -')
    assert (event.action, event.violation, event.format) == ("log.denial", True, "unknown")
    ok = parse('127.0.0.6 - - [11/Jan/2023 12:02:27] "POST /download-1 HTTP/1.1" 200 -')
    assert ok.action == "log.unparsed"


def test_a_clients_copy_of_the_status_line_alone_is_not_a_denial() -> None:
    """``curl -v``'s first response line, pasted under the proxy's own lines (oneuptime.com "How to Debug Why
    Authorization Policy is Blocking Traffic", tests/data/holdout36): the client's view of an answer, which both
    blind collectors labelled unknown; the proxy's access line of the same request is the denial. Its body and a
    request with its status still are guesses."""
    for text in ("< HTTP/1.1 403 Forbidden", "HTTP/2 403 ", "< HTTP/1.1 401 Unauthorized"):
        event = parse(text)
        assert (event.format, event.category, event.violation) == ("unknown", "other", False), text
    # (found in review) only the registered reason phrases make it a client's status line: other words after the
    # code are a refusal's, and stay a guess
    for text in (
        "RBAC: access denied",
        '"GET /api HTTP/1.1" 403',
        "HTTP/1.1 403 Forbidden: RBAC: access denied",
        "HTTP/1.1 403 RBAC access denied",
        "HTTP/1.1 403 access denied by policy",
    ):
        assert parse(text).action == "log.denial", text


def test_ordinary_lines_are_not_guessed_at() -> None:
    for text in (
        "Starting the application on port 8080",
        "rbac filter enabled with 3 policies",
        "2026-01-01 12:00:00 INFO user alice logged in",
        "denied=0 allowed=14 (counters)",
    ):
        event = parse(text)
        assert (event.category, event.violation, event.action) == ("other", False, "log.unparsed"), text
        assert "meshtail.heuristic" not in event.attributes


def test_a_metric_sample_counting_refusals_is_no_refusal() -> None:
    """A count is a measurement, not an event: Prometheus samples and Envoy admin stats pasted beside logs stay
    unread (holdout40: istio/old_issues_repo#271's apiserver metric with ``rejected="true"``, a guessed denial)."""
    for line in (
        'apiserver_admission_webhook_admission_latencies_seconds_bucket{group="",name="sidecar-injector.istio.io",'
        'operation="CREATE",rejected="true",resource="pods",subresource="",type="admit",version="v1",le="25000"} 0',
        'istio_requests_total{response_code="403",reporter="destination",source_workload="sleep"} 5',
        'istio_requests_total{response_code="403"} 5 1700000000000',
        "http.inbound_0.0.0.0_80.rbac.denied: 4",
    ):
        event = parse(line)
        assert (event.category, event.violation) == ("other", False), line
        assert "meshtail.heuristic" not in event.attributes
    # the premise: the same words as a line of text are still a guessed denial
    for line in ("Forbidden 403", "rbac.denied: 4 requests were denied", "RBAC: access denied"):
        assert parse(line).action == "log.denial", line


def test_a_count_of_no_refusals_is_no_refusal() -> None:
    # consul's `consul troubleshoot proxy` check list (holdout43): nothing was rejected
    for line in ("✓ Envoy has 0 rejected configurations", "requests: 12 allowed, 0 denied", "rejected: 0"):
        event = parse(line)
        assert (event.category, event.violation) == ("other", False), line
        assert "meshtail.heuristic" not in event.attributes
    # the same words with a count of some are still guessed refusals (the premise: the words alone decide)
    for line in ("✗ Envoy has 2 rejected configurations", "requests: 12 allowed, 3 denied", "rejected: 10"):
        event = parse(line)
        assert event.violation and event.attributes["meshtail.heuristic"] is True, line


def test_the_kernels_own_access_control_is_no_refused_request() -> None:
    """A Linux security module's audit record is the host refusing a process a file or a signal -- no request the
    mesh refused, so not in the Violations pane (holdout88: SELinux on RKE2, rancher/rke2#504; AppArmor on microk8s,
    canonical/microk8s#431; both labelled unknown look-alikes blind, both guessed denials before)."""
    for line in (
        'type=AVC msg=audit(1603818489.340:8261): avc:  denied  { write } for  pid=29290 comm="envoy" name="/" '
        'dev="tmpfs" ino=87633 scontext=system_u:system_r:container_t:s0:c538,c544 '
        "tcontext=system_u:object_r:container_runtime_tmpfs_t:s0 tclass=dir permissive=0",
        'apparmor="DENIED" operation="signal" profile="docker-default" pid=11782 comm="docker-runc" '
        'requested_mask="receive" denied_mask="receive" signal=term peer="snap.microk8s.daemon-docker"',
        # as dmesg prints them
        '[ 4123.456789] audit: type=1400 audit(1600000000.123:45): apparmor="DENIED" operation="open" profile="x" '
        'name="/etc/y" pid=1 comm="envoy" requested_mask="r" denied_mask="r" fsuid=0 ouid=0',
    ):
        event = parse(line)
        assert (event.category, event.outcome, event.violation) == ("other", "unknown", False), line
        assert "meshtail.heuristic" not in event.attributes
    # the premise: the words alone are still a guessed denial, and a policy named "apparmor" refusing a request too
    for line in ("write denied for envoy", "request denied by apparmor policy"):
        assert parse(line).action == "log.denial", line


def test_a_look_alike_behind_a_wrapper_or_in_a_collectors_record_is_still_no_refusal() -> None:
    """A client's status line, a metric sample, a kernel audit record: no refusal of the mesh's as they stand, and
    none either behind a tool's prefix or as the text of a collector's record (they were guessed denials so)."""
    for line in (
        "May 01 10:11:12 < HTTP/1.1 403 Forbidden",
        "$ < HTTP/1.1 403 Forbidden",
        '{"_time": "2024-05-01T10:11:12.123+00:00", "_raw": "< HTTP/1.1 403 Forbidden", "host": "n"}',
        '{"_index": "logs", "_source": {"message": "istio_requests_total{response_code=\\"403\\"} 5"}}',
        '{"timeUnixNano": "1714558272123000000", "body": {"stringValue": "apparmor=\\"DENIED\\" operation=\\"open\\" '
        'profile=\\"x\\""}}',
    ):
        event = parse(line)
        assert (event.category, event.violation) == ("other", False), line
        assert "meshtail.heuristic" not in event.attributes
    # the premise: a refusal beside such a value in the same record, or behind the same prefix, is still guessed
    for line in (
        '{"_raw": "< HTTP/1.1 403 Forbidden", "note": "RBAC: access denied"}',
        "May 01 10:11:12 RBAC: access denied",
    ):
        assert parse(line).action == "log.denial", line


def test_a_refusal_beside_a_look_alike_is_still_seen_and_a_hostile_record_stops_nothing() -> None:
    """(found in review) The exemption holds only when nothing else on the line says refused: a key, a number or a
    deeper value of the same record, an author's words before or after a client's status line, a code span."""
    for line in (
        '{"time":"2024-05-01T10:11:12Z","msg":"HTTP/1.1 403 Forbidden","denied":true}',
        '{"status_line":"HTTP/1.1 403 Forbidden","response_code":403,"path":"/admin"}',
        '{"resp":"HTTP/1.1 403 Forbidden","body":{"x":{"y":{"z":"request denied by policy"}}}}',
        "authz server logs `request denied for user bob on /admin by policy allow-admins` while curl shows "
        "`HTTP/1.1 403 Forbidden`",
        "envoy rejected it -> HTTP/1.1 403 Forbidden",
        "HTTP/1.1 403 Forbidden <-- the sidecar denied our request from ns foo",
    ):
        assert parse(line).action == "log.denial", line
    # a record nested past the interpreter's depth is read as a line (it was a RecursionError out of parse())
    hostile = '{"a":' + "[" * 1500 + "]" * 1500 + ',"m":"denied"}'
    assert parse(hostile).action == "log.denial"


def test_the_c_librarys_and_coreutils_file_permission_errors_are_no_refusal() -> None:
    """A non-root proxy that cannot open its access log, a shell step that cannot chown: the file's mode, not the
    mesh refusing anyone (holdout99, holdout48: Envoy's "unable to open file '…': Permission denied" in compose
    output, "chown: /dev/stdout: Permission denied"; both guessed denials before)."""
    for line in (
        "[pipecd-gateway] | chown: /dev/stdout: Permission denied",
        "mkdir: cannot create directory '/etc/istio': Permission denied",
    ):
        event = parse(line)
        assert (event.category, event.violation) == ("other", False), line
    # Envoy's own text for it, in a proxy's stream, is Envoy refusing its access log's config (the text read from
    # its source, envoy_exceptions.py): a config failure as holdout99 labels it -- still no denial of anyone
    envoy = parse("proxy_1        | unable to open file '/dev/stdout': Permission denied")
    assert (envoy.format, envoy.category, envoy.outcome, envoy.action) == (
        "envoy-component",
        "config",
        "failure",
        "config.invalid",
    )
    # the premise: a permission refused to a request is still a guessed denial
    assert parse("proxy_1 | request to /admin: Permission denied by policy").action == "log.denial"


def test_invalid_inside_a_name_is_no_rejected_configuration() -> None:
    # holdout117 (istio/istio, a validation test run): a dataset's file and resource are named "…-invalid", and the
    # command and its output refuse nothing; the webhook's own refusal in the same thread still does
    for line in (
        "alexander.fedora:~/Code/istio$ kubectl apply -f "
        "./pkg/test/datasets/validation/dataset/networking-v1beta-VirtualService-invalid.yaml",
        "virtualservice.networking.istio.io/invalid-virtual-service created (server dry run)",
    ):
        event = parse(line)
        assert (event.category, event.violation) == ("other", False), line
    refused = parse(
        'Error from server: admission webhook "validation.istio.io" denied the request: configuration is invalid: '
        "gateway must have at least one server"
    )
    assert (refused.category, refused.outcome, refused.violation) == ("config", "failure", True)
    event = parse("the listener config is invalid.")
    assert (event.format, event.category, event.outcome, event.violation) == ("unknown", "config", "failure", True)


def test_rejection_words_still_count_beside_punctuation_and_in_their_spellings() -> None:
    # (second reader) what the name guard must not cost: NACK-ed/NACKed, an ellipsis before the word, a missing
    # space after a sentence's full stop
    for line in (
        "xDS NACK-ed the listener update",
        "the route config got NACKed-again after upgrade",
        "the gateway config is...invalid",
        'configuration "default/reviews" was rejected.Envoy keeps the old one',
        'Route "default/httpbin" is Invalid.Check the hostnames',
    ):
        event = parse(line)
        assert (event.category, event.outcome, event.violation) == ("config", "failure", True), line


def test_the_api_servers_answer_to_a_malformed_request_is_no_refusal() -> None:
    # blind set holdout135 (istio/istio#35955): kubectl's fatal line for a bare 400 -- client-go's own words for
    # StatusReasonBadRequest, nothing refused by policy
    line = (
        "F1116 17:05:32.703515   28777 helpers.go:115] Error from server (BadRequest): "
        "the server rejected our request for an unknown reason"
    )
    event = parse(line)
    assert (event.category, event.violation) == ("other", False)
    assert "meshtail.heuristic" not in event.attributes
    # the premise: "rejected" in other words is still a guessed refusal
    assert parse("the server rejected our request: policy forbids it").action == "log.denial"
