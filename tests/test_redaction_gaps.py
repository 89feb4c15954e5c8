"""Credentials an outside audit found in exports (``scan -o jsonl``), and what must stay readable beside them.

The audit's lines each came out of ``meshtail scan -o jsonl -q FILE`` unchanged although the README promised
them redacted: names ending in ``key`` other than ``api-key`` (``x-secret-key``, ``private_key``, JSON's
``secretKey``), Envoy's debug dumps and ``--format-string`` attributes of such headers, quoted values with spaces
(only their first word went), and Authorization values of schemes with parameters (SigV4's ``Signature=``,
Digest's ``response=``).  Here each is a case, checked on the exported object as a whole (raw, summary,
attributes), with the names that merely look alike (``monkey``, ``tokens_used``, ``public_key``) kept, and the
patterns checked to run in linear time on hostile megabyte lines.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meshtail.sinks import redact
from meshtail.sinks.redact import MARK, redact_event, redact_text, secrets_of, sensitive_key

from .conftest import parse

ROOT = Path(__file__).parent.parent

# (label, line as logged, the credential values that must not come out)
AUDIT_LEAKS = [
    ("x-secret-key header", "x-secret-key: LEAKa1-9f8e7d", ["LEAKa1-9f8e7d"]),
    ("x-aws-secret-key header", "x-aws-secret-key: LEAKa3-wJalrXUtnFEMI", ["LEAKa3-wJalrXUtnFEMI"]),
    ("secret-key header", "secret-key: LEAKa5-c0ffee", ["LEAKa5-c0ffee"]),
    ("private_key field", "private_key=LEAKa11-MIIEvQIBADANBg", ["LEAKa11-MIIEvQIBADANBg"]),
    ("aws_secret_access_key field", "aws_secret_access_key=LEAKa13-bPxRfiCYEXAMPLEKEY", ["LEAKa13-bPxRfiCYEXAMPLEKEY"]),
    ("x_api_key field", "x_api_key=LEAKa14-k-1234567890", ["LEAKa14-k-1234567890"]),
    (
        "JSON camelCase and kebab keys",
        '{"api_key":"[REDACTED]","secretKey":"LEAKa17-sk","accessKey":"LEAKa18-AKIA","x-aws-secret-key":"LEAKa19-aws"}',
        ["LEAKa17-sk", "LEAKa18-AKIA", "LEAKa19-aws"],
    ),
    (
        "Envoy debug header dump",
        "2024-05-01T10:00:00.000000Z\tdebug\tenvoy http\t[C7][S123] request headers complete (end_stream=true): "
        "':authority', 'x', 'x-secret-key', 'LEAKdump1-DUMPV1'",
        ["LEAKdump1-DUMPV1"],
    ),
    ("quoted value with spaces", 'password: "LEAKq1 quoted pw here"', ["LEAKq1", "quoted pw here", "pw here"]),
    (
        "JSON value with spaces",
        '{"user":"bob","password": "LEAKq2 json pw with spaces","bytes_sent":12}',
        ["LEAKq2", "json pw with spaces", "pw with spaces"],
    ),
    (
        "AWS SigV4 Authorization header",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7LEAKS4/20240101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        ["AKIAIOSFODNN7LEAKS4", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"],
    ),
    (
        "AWS SigV4 Authorization in JSON",
        '{"method":"PUT","authorization":"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7LEAKS5/20240101/us-east-1/'
        "s3/aws4_request, SignedHeaders=host, "
        'Signature=0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"}',
        ["AKIAIOSFODNN7LEAKS5", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"],
    ),
    (
        "Digest Authorization header",
        'Authorization: Digest username="bob", realm="x", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/", '
        'response="6629fae49393a05397450978507c4ef1"',
        ["6629fae49393a05397450978507c4ef1"],
    ),
]


def _scan(path: Path, *flags: str) -> list[dict]:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "meshtail", "scan", str(path), "-q", "-o", "jsonl", *flags],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    return [json.loads(text) for text in done.stdout.decode("utf-8").splitlines()]


def _scan_record(tmp_path: Path, record: dict) -> dict:  # type: ignore[type-arg]
    """One Kubernetes audit record written as a log line and scanned: its one exported event."""
    path = tmp_path / "audit.log"
    path.write_text(json.dumps(record) + "\n")
    (event,) = _scan(path)
    assert event["format"] == "k8s-audit", "the premise: an audit event"
    return event


@pytest.fixture(scope="module")
def audit_scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    """The audit's lines, one file, scanned as the audit did (and with --no-redact, for the premise)."""
    path = tmp_path_factory.mktemp("audit") / "leaks.log"
    path.write_text("".join(line + "\n" for _, line, _ in AUDIT_LEAKS), "utf-8")
    plain, redacted = _scan(path, "--no-redact"), _scan(path)
    assert len(plain) == len(redacted) == len(AUDIT_LEAKS), "one event per line"
    return plain, redacted


@pytest.mark.parametrize(("label", "line", "secrets"), AUDIT_LEAKS, ids=[case[0] for case in AUDIT_LEAKS])
def test_audit_leak_is_redacted_in_scan_jsonl(
    audit_scans: tuple[list[dict], list[dict]],  # type: ignore[type-arg]
    validator,  # type: ignore[no-untyped-def]
    label: str,
    line: str,
    secrets: list[str],
) -> None:
    index = [case[0] for case in AUDIT_LEAKS].index(label)
    plain, redacted = audit_scans[0][index], audit_scans[1][index]
    assert plain["raw"] == line, "the premise: the line was read as logged"
    exported = json.dumps(redacted, ensure_ascii=False)
    for secret in secrets:
        assert secret not in exported, (secret, redacted)
    assert MARK in redacted["raw"], redacted["raw"]
    assert redacted["attributes"].get("meshtail.redacted", 0) >= 1
    validator.validate(redacted)


def test_format_string_attribute_of_a_key_header_is_redacted_everywhere(tmp_path: Path) -> None:
    """``%REQ(X-SECRET-KEY)%`` gives ``http.request.header.x-secret-key``: its value goes from the attribute and,
    with no name beside it, from ``raw`` and the summary too."""
    path = tmp_path / "in.log"
    path.write_text("[2024-05-01T10:00:00.000Z] GET /api 200 LEAKfmt-0123456789abcdef\n", "utf-8")
    fmt = ["--format-string", "[%START_TIME%] %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %REQ(X-SECRET-KEY)%"]
    plain = _scan(path, "--no-redact", *fmt)
    assert plain[0]["attributes"]["http.request.header.x-secret-key"] == "LEAKfmt-0123456789abcdef", "the premise"
    (record,) = _scan(path, *fmt)
    assert "LEAKfmt" not in json.dumps(record)
    assert record["attributes"]["http.request.header.x-secret-key"] == MARK
    assert MARK in record["raw"]


def test_envoy_debug_dump_across_lines_hides_a_key_header() -> None:
    event = parse(
        "2024-05-01T10:00:00.000000Z\tdebug\tenvoy http\t[C7][S123] request headers complete (end_stream=true):\n"
        "':authority', 'x'\n'x-secret-key', 'DUMPV1-abcdef'\n'x-request-id', 'rid-42'"
    )
    out, count = redact_event(event.to_dict())
    assert "DUMPV1-abcdef" not in json.dumps(out) and count >= 1
    assert "'x-secret-key', '[REDACTED]'" in out["raw"] and "rid-42" in out["raw"]


# ---- the rules, on text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quoted values whole: spaces, escaped quotes, single quotes, a JSON string inside a JSON string, a cut record
        ('password: "quoted pw here"', 'password: "[REDACTED]"'),
        ('{"password": "json pw with spaces", "n": 1}', '{"password": "[REDACTED]", "n": 1}'),
        ('{"password":"a \\"b\\" c","user":"bob"}', '{"password":"[REDACTED]","user":"bob"}'),
        ("db_pass='it is secret' next=1", "db_pass='[REDACTED]' next=1"),
        (
            '{"log":"{\\"password\\":\\"a \\\\\\"b\\\\\\" c\\",\\"x\\":1}"}',
            '{"log":"{\\"password\\":\\"[REDACTED]\\",\\"x\\":1}"}',
        ),
        ('{"start":"t","client_secret":"cut here by the', '{"start":"t","client_secret":"[REDACTED]'),
        # every name form
        ("x-secret-key: V1abc", "x-secret-key: [REDACTED]"),
        ("X-Aws-Secret-Key=V3abc other=1", "X-Aws-Secret-Key=[REDACTED] other=1"),
        (
            '{"secretKey":"V17abc","accessKey":"V18abc","privateKey":"V19abc"}',
            '{"secretKey":"[REDACTED]","accessKey":"[REDACTED]","privateKey":"[REDACTED]"}',
        ),
        ("Ocp-Apim-Subscription-Key: abc123", "Ocp-Apim-Subscription-Key: [REDACTED]"),
        ("x-hub-signature-256: sha256=abcdef01", "x-hub-signature-256: [REDACTED]"),
        (
            "client_assertion=eyX.abc db_pwd=hunter2 x-session: s-1234",
            "client_assertion=[REDACTED] db_pwd=[REDACTED] x-session: [REDACTED]",
        ),
        (
            "session_id=S-99 JSESSIONID=ABC123 PHPSESSID=def456",
            "session_id=[REDACTED] JSESSIONID=[REDACTED] PHPSESSID=[REDACTED]",
        ),
        ("map[token:abc123 user:bob]", "map[token:[REDACTED] user:bob]"),
        ("secret: [default/web-1/42]: could not parse", "secret: [REDACTED]: could not parse"),
        ('{"tokens":["t-1a","t-2b"],"access_token":["t-3c"]}', '{"tokens":["t-1a","t-2b"],"access_token":[REDACTED]}'),
        # Authorization values whole, whatever the scheme; a known scheme's word stays
        ("Authorization: Bearer abc.def-123456", "Authorization: Bearer [REDACTED]"),
        ('authorization: Digest username="bob", response="6629fae4"', "authorization: Digest [REDACTED]"),
        (
            "Authorization: AWS4-HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature=fe5f",
            "Authorization: AWS4-HMAC-SHA256 [REDACTED]",
        ),
        ("Authorization: Custom-Scheme a=b, c=d", "Authorization: [REDACTED]"),
        (
            "Authorization: SharedKey myaccount:ctzMq410TV3wS7upTBcunJTDLEJwMAZuFPfr0mrrA08=",
            "Authorization: SharedKey [REDACTED]",
        ),
        ("authorization=opaque123 status=200", "authorization=[REDACTED] status=200"),
        ("'authorization', 'Digest username=\"bob\", response=\"66\"'", "'authorization', 'Digest [REDACTED]'"),
        # with no name beside them
        ('upstream said Digest username="bob", realm="x", response="6629fae49393"', "upstream said Digest [REDACTED]"),
        (
            "sent AWS4-HMAC-SHA256 Credential=AKIA/x/aws4_request, SignedHeaders=host, Signature=fe5f80",
            "sent AWS4-HMAC-SHA256 [REDACTED]",
        ),
        # cookies whole
        ("cookie: session=9f8e7d6c; theme=dark", "cookie: [REDACTED]"),
    ],
)
def test_redaction_rules(text: str, expected: str) -> None:
    out, count = redact_text(text)
    assert out == expected
    assert count == out.count(MARK) - text.count(MARK)


@pytest.mark.parametrize(
    "text",
    [
        # names that merely contain the letters, or name something else
        "monkey: 5 keyword=token-like turkey=1 hotkey: ctrl",
        "tokens_used=1234 max_tokens: 4096 total_tokens=12 token_count=3 tokens: 7",
        "public_key: ssh-ed25519 AAAAC3Nz cache_key=GET/api partition_key=p1 routing_key=orders",
        "bytes_sent=512 bytes_received=0 duration=42 x-request-id: 6f1b-4c2e x_request_id=rid-9",
        ":authority: api.example.com :path: /oauth/token start_time=2024-05-01T10:00:00.000Z",
        'GET /v1/secret-keys/list HTTP/1.1 path="/api/token" route=/reset-password: ok',
        'key: "envoy.filters.network.http_connection_manager" fields:<key:"ISTIO_PROXY_VERSION">',
        '{"knative.dev/key":"knative-serving/net-istio-webhook-certs","secretName":"istio-ingressgateway-certs"}',
        "jwt: Called Filter : decodeHeaders jwt_auth: JWT authentication starts (allow_failed=false), tokens size=1",
        "tls_session_id=2c3d4e5f ssl.session.id=abcdef sig: 11 pass: true PWD=/root",
        "Missing JWT token, can't use in-cluster credentials; invalid bearer token, service account UID mismatch",
        '{"gcp-auth-skip-secret":"true","apiKey":"","token":null,"x-api-key":"-","password":"[REDACTED]"}',
        "/var/run/secrets/tokens/istio-token: no such file or directory",
    ],
)
def test_what_is_not_a_credential_is_kept(text: str) -> None:
    assert redact_text(text) == (text, 0)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("x-secret-key", True),
        ("x-aws-secret-key", True),
        ("aws_secret_access_key", True),
        ("secretKey", True),
        ("accessKey", True),
        ("APIKey", True),
        ("apikey", True),
        ("x-api-key", True),
        ("private_key", True),
        ("http.request.header.x-secret-key", True),
        ("client_secret", True),
        ("password2", True),
        ("db_passwd", True),
        ("x-hub-signature-256", True),
        ("x-amz-credential", True),
        ("Proxy-Authorization", True),
        ("set-cookie", True),
        ("sessionId", True),
        ("x-csrf-token", True),
        ("user_pass", True),
        ("hmac", True),
        ("monkey", False),
        ("keyword", False),
        ("key", False),
        ("tokens_used", False),
        ("max_tokens", False),
        ("public_key", False),
        ("publicKey", False),
        ("cache_key", False),
        ("bytes_sent", False),
        ("x-request-id", False),
        (":authority", False),
        ("tls_session_id", False),
        ("knative.dev/key", False),
        ("jwt", False),  # in text `jwt:` is Envoy's logger; an attribute named jwt is still one (below)
        ("pass", False),
        ("secrets", False),
    ],
)
def test_secret_name(name: str, secret: bool) -> None:
    assert redact.secret_name(name) is secret


def test_attribute_names() -> None:
    assert sensitive_key("http.request.header.x-secret-key") and sensitive_key("jwt") and sensitive_key("x-jwt")
    # whole header names of the old rule (x-auth, x-session-id, x-csrf-token); a user's name is no credential, the
    # key beside it is (Swift's X-Auth-User / X-Auth-Key)
    assert sensitive_key("http.request.header.x-auth") and sensitive_key("http.request.header.x-auth-key")
    assert not sensitive_key("http.request.header.x-auth-user")
    assert not sensitive_key("jwt.principal") and not sensitive_key("http.response.bytes_sent")


# ---- events: attributes, values found elsewhere, the schema ------------------------------------------------------


def test_json_access_log_credential_attribute_is_hunted_down_everywhere(validator) -> None:  # type: ignore[no-untyped-def]
    """A JSON access log's ``secretKey`` field is an attribute: replaced there, and where the same value stands
    with no name beside it (a path that carries it)."""
    line = (
        '{"start_time":"2024-05-01T10:00:00.000Z","method":"GET","path":"/cb/LEAKhunt-77aa88bb","response_code":200,'
        '"response_flags":"-","upstream_cluster":"outbound|80||x","secretKey":"LEAKhunt-77aa88bb",'
        '"bytes_sent":512,"x_request_id":"rid-1","tokens_used":42}'
    )
    event = parse(line)
    assert event.format == "envoy-json" and "LEAKhunt-77aa88bb" in secrets_of(event.attributes)
    out, count = redact_event(event.to_dict())
    assert "LEAKhunt" not in json.dumps(out) and count >= 2
    assert out["attributes"]["meshtail.redacted"] == count
    for kept in (
        '"x_request_id":"rid-1"',
        '"tokens_used":42',
        '"bytes_sent":512',
        '"upstream_cluster":"outbound|80||x"',
    ):
        assert kept in out["raw"], kept
    validator.validate(out)


def test_clean_access_logs_leave_unchanged(validator) -> None:  # type: ignore[no-untyped-def]
    """Access lines with no credential (numbers, ids, paths, the authority, times) are exported as they are."""
    for line in (
        '[2024-05-01T10:00:00.000Z] "GET /api/v1/keys?page=2 HTTP/1.1" 200 - via_upstream - "-" 0 512 3 2 "-" '
        '"curl/8.5.0" "6f1b4c2e-0000-4000-8000-000000000001" "api.shop:9080" "10.0.0.1:9080" '
        "outbound|9080||api.shop.svc.cluster.local 10.0.0.2:41234 10.0.0.1:9080 10.0.0.3:55000 - default",
        '{"start_time":"2024-05-01T10:00:00.000Z","method":"POST","path":"/v1/keyword-search","authority":"search:80",'
        '"response_code":201,"bytes_sent":77,"bytes_received":12,"duration":5,"x_request_id":"rid-2",'
        '"monkey":"banana","tokens_used":1200,"max_tokens":4096,"public_key":"ssh-ed25519 AAAA"}',
    ):
        obj = parse(line).to_dict()
        out, count = redact_event(obj)
        assert count == 0 and out == obj, out
        validator.validate(out)


# ---- linear time -------------------------------------------------------------------------------------------------

MB = 1 << 20
HOSTILE = {
    # one run of name characters: old _USERINFO tried a URL scheme at every position (40 KB took 11 s)
    "one long word": "a" * MB + " token=x",
    "letters then @": "a" * MB + "@",
    # JWT-looking starts inside one base64url run
    "eyJ after every dash": "-eyJaaaa" * (MB // 8),
    "userinfo starts": "=a:" * (MB // 3) + "@host",
    "names that are no credential": "monkey:" * (MB // 7) + "token",
    "numbered names": "a1=" * (MB // 3) + " token",
    "credential names": "x-secret-key: " * (MB // 14),
    "unterminated quotes": 'token:"' * (MB // 7),
    "one unterminated quote": 'password: "' + "\\\\" * (MB // 2),
    "digest parameters": "authorization: Digest " + "a=b, " * (MB // 5),
    "cookie pairs": "cookie: a=b" + ";a=b" * (MB // 4),
    "query": "?token=" + "&token=" * (MB // 7),
    "camel case": "aB" * (MB // 2) + "Key: v",
    "escaped JSON": '{\\"password\\":\\"' + "\\\\" * (MB // 2),
    "mixed": ("Bearer abcdefgh " + "x_api_key=v " + "a-b_c.d user:pw@ " + '"secret":"s p" ') * (MB // 64),
}


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_megabyte_hostile_line_is_redacted_in_linear_time(shape: str) -> None:
    """Each pattern is linear by construction (it starts only where a run of its characters starts, and every
    repetition is possessive over a class the next token cannot match), so a 1 MB line takes ~0.1-0.5 s on a
    2-core machine under load.  The bound of 20 s is there for a slow CI runner, not to measure speed: a
    quadratic pattern (as ``_USERINFO`` was) takes hours on a megabyte (11 s already at 40 KB), so it is caught
    two orders of magnitude before the bound could be mistaken for it."""
    text = HOSTILE[shape]
    start = time.perf_counter()
    out, _ = redact_event({"raw": text, "summary": text[:200], "attributes": {"log.message": text}})
    assert time.perf_counter() - start < 20, shape
    assert len(out["raw"]) <= len(text) + len(MARK) * (len(text) // 4)


def _without_atomic_groups(source: str) -> str:
    """``source`` with each atomic group ``(?>…)`` as one unit (nothing in it is given back)."""
    out, i = [], 0
    while i < len(source):
        if source.startswith("(?>", i):
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(source[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append("A")
            i = j + 1
        else:
            out.append(source[i])
            i += 1
    return "".join(out)


def assert_bounded_by_construction(patterns: list[re.Pattern[str]]) -> None:
    """No unbounded repetition in ``patterns`` may backtrack: every ``*``/``+``/``{n,}`` is possessive (``*+``,
    ``++``, ``{n,}+``) or sits in an atomic group, so a failing match gives nothing back to retry."""
    for pattern in patterns:
        source = re.sub(r"\\.", "E", pattern.pattern)  # (an escape is one literal)
        source = re.sub(r"\[\^?\]?[^\]]*\]", "C", source)  # (a class is one character)
        source = _without_atomic_groups(source)
        source = re.sub(r"(?:[*+?]|\{\d+(?:,\d*)?\})\+", "", source)  # possessive: gone
        left = re.search(r"[*+]|\{\d+,\d*\}", source)
        assert left is None, (pattern.pattern, source[max(0, left.start() - 30) : left.end() + 10])


def test_patterns_are_bounded_by_construction() -> None:
    """The text patterns cannot backtrack (with starts only where a run starts, which the hostile lines above
    check, this is what keeps each pass linear)."""
    assert_bounded_by_construction(
        [
            redact._NAMED,
            redact._VALUE,
            redact._COOKIE_VALUE,
            redact._AUTHORIZATION_VALUE,
            redact._SCHEME_TOKEN,
            redact._JWT,
            redact._QUERY,
            redact._USERINFO,
        ]
    )


# ---- the cheap first look must not hide what the passes would find ----------------------------------------------

_PIECES = [
    "x-secret-key",
    "secretKey",
    "db_pass",
    "api_key",
    "private_key",
    "session_id",
    "authorization",
    "cookie",
    "token2",
    "x-api-key-2",
    "monkey",
    "key",
    "Signature",
    "Digest",
    "AWS4-HMAC-SHA256",
    "bearer",
    "eyJhbGciOi.eyJzdWIi.c2ln",
    "user",
    "pw",
    "@host",
    ":",
    "=",
    ": ",
    '":"',
    "', '",
    '\\":\\"',
    '"',
    "'",
    " ",
    "\t",
    ",",
    ";",
    "?",
    "&",
    "abc def",
    "V1",
    "[REDACTED]",
    "\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_the_hint_never_hides_a_credential_the_passes_would_find(pieces: list[str]) -> None:
    text = "".join(pieces)
    with mock.patch.object(redact, "_hinted", lambda _text: True):
        unhinted = redact_text(text)
    assert redact_text(text) == unhinted


def test_identities_written_prefix_name_at_domain_are_kept(tmp_path: Path) -> None:
    """Found by a review: the `user:pass@host` rule also read `oidc:alice@example.com`, GKE's `user:john@corp` and
    `system:serviceaccount:…:sa@…` as a user and a password and hid the actor of a Kubernetes audit event -- who
    changed the mesh config.  A URL's userinfo is still replaced (an empty user too)."""
    audit = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": "a1",
        "stage": "ResponseComplete",
        "requestURI": "/apis/security.istio.io/v1/namespaces/shop/authorizationpolicies/allow-all", "verb": "delete",
        "user": {"username": "oidc:alice@example.com", "groups": ["system:authenticated"]},
        "objectRef": {"resource": "authorizationpolicies", "namespace": "shop", "name": "allow-all",
                      "apiGroup": "security.istio.io", "apiVersion": "v1"},
        "responseStatus": {"code": 200}, "requestReceivedTimestamp": "2024-05-01T10:00:00.000000Z",
    }  # fmt: skip
    event = _scan_record(tmp_path, audit)
    assert event["attributes"]["k8s.user"] == "oidc:alice@example.com"
    assert "oidc:alice@example.com" in event["raw"] and "alice@example.com" in event["summary"]
    for identity in ("user:john.doe@elastic.co", "system:serviceaccount:default:sa@corp", "mailto:bob@example.com"):
        assert redact_text(identity)[0] == identity
    assert redact_text("postgres://bob:s3cret@db:5432/x")[0] == f"postgres://bob:{MARK}@db:5432/x"
    assert redact_text("redis://:s3cret@redis:6379/0")[0] == f"redis://:{MARK}@redis:6379/0"


def test_an_object_under_a_secret_name_keeps_raw_json() -> None:
    """Found by a review: a pod's secret volume in an audit record, `"secret":{"defaultMode":420,…}`, lost its `{`
    to the mark and `raw` was no longer JSON."""
    line = json.dumps({"volumes": [{"name": "istio-token", "secret": {"defaultMode": 420, "secretName": "istio-ca"}}]})
    text, count = redact_text(line)
    assert json.loads(text) == json.loads(line) and count == 0


def test_the_values_hunted_elsewhere_are_bounded() -> None:
    """Found by a review: every credential attribute's value was looked for in every string of the event, quadratic
    for a line of 32,000 token fields (32 s for 0.9 MB).  At most HUNTED are hunted; each is still replaced where
    it stands."""
    attributes = {f"envoy.k{i}_token": f"secretvalue{i:06d}" for i in range(4 * redact.HUNTED)}
    assert len(secrets_of(attributes)) == redact.HUNTED
    out, count = redact_event({"raw": "", "summary": "", "attributes": attributes})
    assert count >= len(attributes) and not any("secretvalue" in str(v) for v in out["attributes"].values())


def test_a_name_and_its_value_in_two_fields_of_one_entry(tmp_path: Path) -> None:
    """Found by a review: a pod's env entry in an audit record, a header list, a proto dump kept the value of a
    credential whose name stood in the entry's other field."""
    for text, value in (
        ('[{"name":"DB_PASSWORD","value":"hunter2-env"}]', "hunter2-env"),
        ('headers { key: "x-api-key" value: "kkk123456" }', "kkk123456"),
        ('headers: {key: "x-api-key", value: "kkk123456"}', "kkk123456"),
        ("header_map: key: 'x-api-key', value: 'kkk123456'", "kkk123456"),
    ):
        redacted, count = redact_text(text)
        assert value not in redacted and MARK in redacted and count == 1, text
    kept = '[{"name":"LOG_LEVEL","value":"debug"}]'
    assert redact_text(kept) == (kept, 0)
    audit = {
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request", "auditID": "a2",
        "stage": "ResponseComplete",
        "requestURI": "/apis/apps/v1/namespaces/shop/deployments", "verb": "create", "user": {"username": "alice"},
        "objectRef": {"resource": "deployments", "namespace": "shop", "name": "cart", "apiGroup": "apps"},
        "requestObject": {"spec": {"template": {"spec": {"containers": [
            {"name": "cart",
             "env": [{"name": "DB_PASSWORD", "value": "hunter2-env"}, {"name": "LOG", "value": "debug"}]}
        ]}}}},
        "responseStatus": {"code": 201}, "requestReceivedTimestamp": "2024-05-01T10:00:00.000000Z",
    }  # fmt: skip
    event = _scan_record(tmp_path, audit)
    assert "hunter2-env" not in json.dumps(event) and '"debug"' in event["raw"]


def test_headers_that_only_start_like_a_credential_are_kept() -> None:
    """Found by a review: every header starting x-auth/x-session was a credential, so oauth2-proxy's
    X-Auth-Request-Email was hunted through the event and a 403 on /users/alice@example.com/profile was exported
    as /users/[REDACTED]/profile."""
    for name in ("x-auth-request-email", "x-authz-decision", "x-session-affinity", "x-authenticated-groups"):
        assert not sensitive_key(f"http.request.header.{name}"), name
    for name in ("x-auth", "x-session-id", "x-csrf-token", "authorization", "x-auth-request-access-token"):
        assert sensitive_key(f"http.request.header.{name}"), name
    attributes = {
        "http.request.header.x-auth-request-email": "alice@example.com",
        "url.path": "/users/alice@example.com",
    }
    out, _ = redact_event({"raw": "", "summary": "", "attributes": attributes})
    assert out["attributes"]["url.path"] == "/users/alice@example.com"
