"""Generate ``meshtail/parse/istio_templates.py``: every log message istiod, istio-agent and istio-cni print.

    python scripts/gen_istio_templates.py [--istio DIR] [--cni DIR] [--check]

Reads Istio's Go sources straight from git (a bare mirror of github.com/istio/istio, and of the
retired github.com/istio/cni for the CNI plugin before 1.7) at the revisions in ``REVISIONS``, finds
every call of pkg/log (``log.Infof("...")``, ``scope.WithLabels(...).Warnf(...)``, ``xdsLog.Errorf``,
``log.Info("msg")``, ``log.Debuga(...)``), works out which scope the receiver is
(``var log = istiolog.RegisterScope("ads", ...)``, ``log := log.WithLabels(...)``, ``scopes.CNIAgent``)
and which program the package is built into (``BINARIES``), and gives each message template a verdict
by the rule table ``RULES`` (category, outcome, violation, action).  Error strings the agent's and the
CNI's packages return (``fmt.Errorf("validation timeout")``) are kept too: those programs log many
errors bare (``log.Error(err)``).  The output is data only; ``--check`` says whether it is current.

Messages become templates with every Go verb written ``%v``; only the first line of a multi-line
message is kept.  A template printed by several programs gets them all (``istio-agent|istiod``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from meshtail.parse.istio_paths import AGENT, CNI, ISTIOD, programs_of  # noqa: E402

OUTPUT = ROOT / "meshtail" / "parse" / "istio_templates.py"

# (repository, revision name, commit): every minor release from 0.8 (odd ones too: a message can live and die
# within one) to the newest main that was read
REVISIONS: tuple[tuple[str, str, str], ...] = (
    ("istio/istio", "0.8.0", "6f9f420f0c7119ff4fa6a1966a6f6d89b1b4db84"),
    ("istio/istio", "1.0.0", "3a136c90ec5e308f236e0d7ebb5c4c5e405217f4"),
    ("istio/istio", "1.1.0", "82797c0c0649a3f73029b33957ae105260458c6e"),
    ("istio/istio", "1.2.0", "f8295503296ec6bae1b1047cc1491469d5e72754"),
    ("istio/istio", "1.3.0", "c2bd59595ce699b31d0f931885f023028ff7902b"),
    ("istio/istio", "1.4.0", "c4def934e4f8d1feb42725da41ee0078cde8397f"),
    ("istio/istio", "1.5.0", "c3c353285578eb68b334fc8766746b754b6b3789"),
    ("istio/istio", "1.6.0", "df8ea82bf434fece015767579ef2e4a16e6a3fb3"),
    ("istio/istio", "1.7.0", "2022348138e47498c4b54995b4cb5a1656817c4e"),
    ("istio/istio", "1.8.0", "c87a4c874df27e37a3e6c25fa3d1ef6279685d23"),
    ("istio/istio", "1.9.0", "b63e1966c245924b10a0915a671a656540ed7a45"),
    ("istio/istio", "1.10.0", "d26cba7e341587453ffeb978f5cf6fbc32f346f8"),
    ("istio/istio", "1.11.0", "57d639a4fd19ee8c3559b9a4032f91e4d23c6f14"),
    ("istio/istio", "1.12.0", "016bc46f4a5e0ef3fa135b3c5380ab7765467c1a"),
    ("istio/istio", "1.13.0", "75ee7514615d3a642a7eabaa0ad7c22cea1a1ed0"),
    ("istio/istio", "1.14.0", "3aa487bb6ec8cb8bb7c736423f3a4857d1a81263"),
    ("istio/istio", "1.15.0", "e3364ab424b70ca8ee1ca76cb0b3afb73476aaac"),
    ("istio/istio", "1.16.0", "8f2e2dc5d57f6f1f7a453e03ec96ca72b2205783"),
    ("istio/istio", "1.17.0", "c8c901a56861021dc25412f2e557b72a235b554c"),
    ("istio/istio", "1.18.0", "697f4ff0fe6ee531bbd4f5f2a6b4b1f302c955a8"),
    ("istio/istio", "1.19.0", "3b3ca8ec1632961e355f398f7357ebed9b13aa43"),
    ("istio/istio", "1.20.0", "6869a6c2371e21c847d216065cf5c59863d01b4c"),
    ("istio/istio", "1.21.0", "2ca3e986a683fbdb82dffcd7b2e8d02076a42468"),
    ("istio/istio", "1.22.0", "aaf597fbfae607adf4bb4e77538a7ea98995328a"),
    ("istio/istio", "1.23.0", "d0ca037e58f90f58b38b33c5769fec25b6bfa9f3"),
    ("istio/istio", "1.24.0", "8825a6b7f8c9a2d66005a5f8b64e98aaee0dda99"),
    ("istio/istio", "1.25.0", "57e59c2e5d6b757a68d867491d9c9c09694e1522"),
    ("istio/istio", "1.26.0", "c2e9871f340c0e0b114bcd1b73208284f1d17c9e"),
    ("istio/istio", "1.27.0", "7359d8be2504f2b191f7d94156af08e6590d2d1c"),
    ("istio/istio", "1.28.0", "b8d1df54465060428c2a2a38286e360beb85fb31"),
    ("istio/istio", "1.29.0", "2300e2458ab713c2c514a58da1ea8b03343ada7e"),
    ("istio/istio", "1.30.0", "badd809ed7d57954d4c16e12e75e15a7722a7b96"),
    ("istio/istio", "main", "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"),
    ("istio/cni", "1.5.0", "0d3c739609d715bd2c09cc00fbc688b0f2ab96a8"),
    ("istio/cni", "1.6.0", "8f2249c329e4b1ec03d993f762064b4a13a2734e"),
)
MIRRORS = {"istio/istio": "/work/.mirror/istio+istio/repo", "istio/cni": "/work/.mirror/istio+cni/repo"}

# which program a package is built into: meshtail/parse/istio_paths.py (the parsers read a line's path by it too)
# path parts never read: tests, fakes, other programs (istioctl, operator, Mixer's tools ...)
_SKIP = re.compile(
    r"(?:^|/)(?:test|tests|testing|testdata|testutil|fake|fakes|mock|mocks|fuzz|e2e|integration|vendor|"
    r"benchmark|sdsc)(?:/|$)|_test\.go$|^(?:istioctl|operator|mixer/(?:tools|test|template|pkg/protobuf)/|samples|prow|tests|tools/(?!istio-iptables|"
    r"istio-clean-iptables|istio-nftables)|pkg/test/|security/tools/|pilot/test/|install/|manifests/)"
)


def binaries_of(repo: str, path: str) -> tuple[str, ...] | None:
    if not path.endswith(".go") or _SKIP.search(path):
        return None
    if repo == "istio/cni":
        return (CNI,)
    return programs_of(path)


# ============================================================================ the rule table
# Applied to each template in order, the first that matches gives the verdict; ``levels`` limits a
# rule to those levels ("" = any).  Patterns are on the lowercased template (verbs written %v).
#   name          levels        pattern                                    category outcome   violation action
RULES: tuple[tuple[str, str, str, str, str, bool, str], ...] = (
    # an identity or a request the mesh refused (SDS/CA/xDS clients, JWT, authz)
    (
        "refused",
        "warn error fatal",
        r"unauthenticated|permission ?denied|unauthori[sz]ed|not authori[sz]ed|failed to authenticate"
        r"|authentication fail|authenticate failure|access denied|denied access|not allowed to",
        "auth",
        "deny",
        True,
        "identity.refused",
    ),
    # ztunnel answering the CNI node agent's workload update with an error (cni/pkg/nodeagent/ztunnelserver.go:
    # "ztunnel responded with an ack error", "add-workload: got ack error", "snap-sent: got ack error"): ztunnel
    # could not start the pod's in-pod proxy or read the message (src/inpod/workloadmanager.rs sends "failure to
    # start proxy" / "failure to process message" and retries) -- the pod failed to enrol, no mesh config was
    # refused; the parser's own enrolment rules name it (before "nack", which would read "ack error" as a NACK)
    ("zds ack error", "", r"got ack error|responded with an ack error", "other", "failure", False, ""),
    # the istio-validation init container checking that the CNI set up the pod's redirection
    # (tools/istio-iptables/pkg/validation/validator.go: ``log.Errorf("Validation failed: %v", err)``,
    # ``fmt.Errorf("validation timeout")``): the pod's traffic capture failed; no mesh config was refused
    ("iptables validation", "", r"^validation (?:failed: %v$|timeout$)", "other", "failure", False, ""),
    # an authorization rule istiod could not build into Envoy's RBAC config and dropped (pilot/pkg/security/authz/
    # builder: "skipped rule %s: %v" at error): a mesh policy that does not take effect as written, invalid config
    ("authz rule skipped", "error", r"^skipped rule %v: %v$", "config", "failure", True, "config.invalid"),
    # a Gateway server istiod dropped because another server holds its port or hosts (pilot/pkg/model/gateway.go:
    # "skipping server on gateway %s port %s.%d.%s: conflict with existing server %d.%s", "… non unique port name
    # for HTTPS port", "…, duplicate host names: %v"): part of the user's Gateway does not take effect, at any level
    (
        "gateway server skipped",
        "",
        r"^skipping server on gateway %v(?: port %v\.%v\.%v: (?:conflict with existing server|non unique port name)"
        r"|, duplicate host names)"
        # (a VirtualService's TLS rule dropped from a Gateway's server for a host another rule holds: holdout97)
        r"|^skipping virtualservice %v rule #%v on server port %v of gateway %v, duplicate",
        "config",
        "failure",
        True,
        "config.invalid",
    ),
    # a proxy NACKed what it was sent
    ("nack", "", r"ack error|\bnack(?:ed)?\b|rejected by (?:envoy|proxy)", "config", "failure", True, "xds.reject"),
    # Mixer's policy check said no (1.0-1.4: denier, RBAC, list adapters): a request refused
    ("mixer check denied", "", r"^check denied\b", "auth", "deny", True, "identity.refused"),
    # Mixer's config it cannot use: a rule, handler or instance that does not compile or resolve
    (
        "mixer invalid config",
        "warn error fatal",
        r"^unable to (?:compile|find a handler|create builder)|compilation failure|^compiler\.compile failed"
        r"|^handler not found"
        # the snapshot builder's findings (appendErr) and the expression compiler's (unknown attribute, bad types)
        r"|^instance not found|^no valid (?:actions|instances) found|^action specified the same instance"
        r"|^(?:adapter|template) '%v' not found|not supported by handler|does not conforms? to schema"
        r"|^invalid params block|^unable to (?:find template|parse (?:adapter configuration|descriptor))"
        r"|^unknown attribute ",
        "config",
        "failure",
        True,
        "config.invalid",
    ),
    # mesh config that is invalid: istiod refuses or cannot build it
    (
        "invalid-config",
        "warn error fatal",
        r"envoy ?filter.*fail|fail.*envoy ?filter|invalid (?:config|envoy|gateway|virtual|destination|service ?entry"
        r"|sidecar|authoriz|peer|request ?authn|policy|telemetry|wasm|mesh ?config|resource|extension ?provider)"
        r"|configuration is invalid"
        # (meshConfig naming a tracing provider it cannot use: "Not able to configure requested tracing provider
        # %q: %v", pilot/pkg/networking/core/tracing.go -- holdout96's labeller, as holdout87's two for extension
        # providers, read it as config that did not take effect)
        r"|^not able to configure requested tracing provider"
        # (an EnvoyFilter's patch that panicked istiod's patcher: "listeners patch caused panic, so the patches did
        # not take effect", pilot/pkg/networking/core/envoyfilter -- the user's EnvoyFilter is dropped; holdout102)
        r"|patches did not take effect"
        r"|failed to validate|validation failed|failed validation|config.* rejected|rejected .*config"
        r"|conflict(?:s|ing)? (?:with|between)|duplicate (?:listener|route|host|domain|cluster)",
        "config",
        "failure",
        True,
        "config.invalid",
    ),
    # the validation webhook refusing a user's config: istiod logs it at info (pkg/webhooks/validation/server/
    # server.go, ``scope.Infof("configuration is invalid: %v", ...)``) since the fault is the config's, not
    # istiod's -- the request was denied all the same (at warn and above "invalid-config" has decided)
    (
        "admission-denied",
        "",
        r"admission webhook .*denied|denied the request|^configuration is invalid",
        "config",
        "deny",
        True,
        "config.invalid",
    ),
    # a remote cluster joining, changing or leaving the mesh (pkg/kube/multicluster: "Adding cluster_id=%v from
    # secret=%v", "Deleting cluster_id=%v configured by secret=%v", "Updating cluster %v"): istiod's service
    # registries and endpoints change with it
    (
        "remote cluster",
        "debug info",
        r"^(?!.*\bidentical\b)(?:(?:adding|updating|deleting|removing) cluster(?:_id=| member:| %v| \w)"
        r"|(?:add|update|delete|remove) cluster\b)",
        "config",
        "change",
        False,
        "config.event",
    ),
    # istiod handling an endpoint event of its registry (pilot/pkg/serviceregistry/kube/controller: "Handle EDS
    # endpoint %v %v in namespace %v" with the event's verb, "Handle EDS: %v endpoints for %v in namespace %v",
    # "Handle event %v for endpoint %v in namespace %v"): the endpoints it pushes changed, as "Handle event %v for
    # configuration %v" is a change of configuration -- not its "skip updating" notes
    (
        "endpoint event",
        "debug info",
        r"^handle (?:eds endpoint %v|eds: %v endpoints for|event %v for endpoint)(?!.*\bskip)",
        "config",
        "change",
        False,
        "config.event",
    ),
    # a pod or namespace joining or leaving the (ambient) mesh: a change to what the mesh covers
    (
        "mesh-membership",
        "debug info",
        r"\bis (?:enabled|disabled) (?:in|from) (?:the )?ambient mesh"
        r"|(?:added|adding|removed|removing) .*(?:to|from) (?:the )?(?:ambient )?mesh\b",
        "config",
        "change",
        False,
        "config.event",
    ),
)
# which category a template is in when no rule above matched: by scope, then by words
AUTH_SCOPES = frozenset(
    "sds sdsServiceLog cache cacheLog ca citadelclient citadelClientLog secretfetcher secretFetcherLog gcecred "
    "mockcred stsclient stsClientLog stsserver token googleca googleCAClientLog googlecas vault vaultClientLog "
    "pkica pkira serverca rootcertrotator trustBundle spiffe security authn".split()
)
CONFIG_SCOPES = frozenset(
    "ads delta xdsproxy xdsServer push fullpush gateway gatewaycommon krt validation validationController "
    "validationServer status serviceentry wle model controllers processing analysis mcp adsc deltaadsc grpcgen "
    "configmapcontroller proxyconfig tag-watcher ambient wasm".split()
)
_AUTH_WORDS = re.compile(
    r"\bcert|certificate|\bcsr\b|\bsds\b|spiffe|trust ?(?:domain|bundle|anchor)|root ?ca\b|\bca (?:cert|server)"
    r"|private key|key/cert|secret for|\bmtls\b|\bpeer ?authentication|\bauthoriz|\bidentity"
)
_AUTH_FAILURE_WORDS = re.compile(r"\bjwt\b|\bjwks\b|public key|request ?authentication|\btls handshake")
# a token or credential the workload could not get, read or exchange is its identity failing (holdout89: "failed to
# fetch token from file", the default scope, read as auth by its blind labeller); not a parser's "unexpected token",
# not a wasm image's registry credential, and not in the xDS proxy's scope (its token is for its xDS stream to istiod)
_CREDENTIAL_WORDS = re.compile(r"(?<!unexpected )\btokens?\b|(?<!docker )\bcredentials?\b")
_CONFIG_WORDS = re.compile(
    r"\bpush(?:ed|ing)\b|\bxds\b|\bads\b|\b[cler]ds\b|envoy ?filter|virtual ?service|destination ?rule|service ?entry"
    r"|\bsidecar (?:scope|resource|config)|\bgateway|webhook|\bconfig (?:update|change|store|controller)"
    r"|\bconfigs?\b.*(?:added|updated|deleted|changed)|\bdebounce"
    # sidecar injection (a webhook rewriting pods: mesh config applied), multicluster membership, config events;
    # not the injector's dump of the admission request it was handed ("AdmissionReview for Kind=…": three blind
    # sets' collectors, labelling alone, called it other where one corpus line called it config)
    r"|\binject(?:ion|ed|or)?\b|^update cluster\b|for configuration\b|^new configuration\b"
    r"|\bincremental push\b"
)
# outcomes by verb (level decides first: error/fatal fail, a warning that says it failed fails); "Staring" is how
# istiod 1.6-1.8 spelt "Starting Istiod Server"
_FAILURE_WORDS = re.compile(
    r"fail(?!urepolicy)|error|unable|(?<!may )not able to|cannot|can't|could not|couldn't|invalid|refused|timed out"
    r"|timeout|exceeded"
    r"|not ready|panic|out of memory|\boom|\bkilled\b|^aborted all\b"
)
_SUCCESS_WORDS = re.compile(
    r"^(?:%v )?(?:start(?:ing|ed)?|staring|listening|serving)\b|\bis complete\b"
    r"|success|synced|\bstarted\b|\bis ready|\bready\b"
    r"|\bconnected\b|established|\blistening on|\bloaded\b|\bgenerated\b|(?<![\w-])issued\b|(?<![\w-])signed\b"
    r"|\bpushed\b|\bpassed\b|\bsucceeded\b"
)
# an xDS server's or client's connections are config distribution (who gets config), whatever they say
XDS_SCOPES = frozenset("ads delta xdsproxy adsc deltaadsc".split())
_XDS_CONNECTION = re.compile(r"\bconnect(?:ion|ed|ing)?\b|\bdisconnect|\bstream\b")
# "… before lookup table is loaded", "waiting for … to be ready", "not yet synced", "checking if … is ready": the state
# is not reached (or not known yet)
_NOT_YET = re.compile(
    r"\b(?:before|until|unless|not(?: yet)?|waiting for|wait for|yet to be|check(?:ing)? (?:if|whether))\b[^.;:]{0,80}"
    r"\b(?:loaded|ready|started|connected|synced|established|generated|signed|issued|listening|serving)\b"
)
_FALLBACK = re.compile(
    r"\binstead\b|\bfall(?:ing)? back\b|\bfallback\b|\bcontinu(?:e|es|ing) anyways?\b"
    # (a default taken -- but not security switched off: "…; defaulting to DISABLE" is a downgrade, still a failure)
    r"|\bdefaulting to\b(?! (?:disable|plaintext|insecure|none)\b)"
)
_STOP_WORDS = re.compile(r"\b(?:terminated|stopped|shut ?down|exited|closed)\b")
_CNI_DONE = re.compile(r"^(?:created|copied|wrote|installed)\b")
_START_WORDS = re.compile(r"^(?:%v )?start|\bstart(?:ed|s|ing)\b|\blistening\b|\bserving\b")
# a server that did not come up: the program's own failure, whatever the server serves ("SDS grpc server for workload
# proxies failed to start: …", "SDS grpc server could not be started", "… failed to set up UDS: …"; labelled so
# by every blind set that met one)
_SERVER_DOWN = re.compile(
    r"\bserver\b.{0,60}\b(?:failed to (?:start|set up|listen|serve)|could not be started"
    r"|(?:cannot|can't|unable to) start)"
    r"|^failed to start (?:the )?(?:[\w-]+ ){0,3}(?:grpc )?server\b"
)
_CHANGE_WORDS = re.compile(
    r"^(?:update cluster|handle event|new configuration)\b|\bincremental push\b|"
    r"\b(?:updat(?:ed|ing)|creat(?:ed|ing)|delet(?:ed|ing)|add(?:ed|ing)|remov(?:ed|ing)|patch(?:ed|ing)|appl(?:ied|ying)"
    r"|chang(?:ed|ing)|rotat(?:ed|ing)|replac(?:ed|ing)|writ(?:ten|ing)|wrote|push(?:ed|ing))\b"
)


def verdict(template: str, binary: str, scope: str, level: str) -> tuple[str, str, bool, str]:
    """(category, outcome, violation, action) for a template by ``RULES`` and the tables under it."""
    lowered = template.lower()
    for _name, levels, pattern, category, outcome, violation, action in RULES:
        if (not levels or level in levels.split()) and re.search(pattern, lowered):
            return category, outcome, violation, action
    by_scope = False
    if binary == CNI:
        category = "other"  # the CNI's own config changes (pods enrolled) are the parser's hand-written rules
    elif _AUTH_WORDS.search(lowered):
        category = "auth"
    elif _CONFIG_WORDS.search(lowered):
        category = "config"
    else:
        category = "auth" if scope in AUTH_SCOPES else "config" if scope in CONFIG_SCOPES else "other"
        by_scope = True
    quiet = level in ("info", "debug")
    if level in ("error", "fatal") or (
        level == "warn" and _FAILURE_WORDS.search(lowered) and not _FALLBACK.search(lowered)
    ):
        outcome = "failure"  # (a warning that says what it did instead took a fallback: not a failure)
    elif quiet and _FAILURE_WORDS.search(lowered):
        outcome = "unknown"
    elif quiet and "success" in lowered and not _STOP_WORDS.search(lowered):
        outcome = "success"  # "… has successfully terminated" is a stop, not an outcome
    elif quiet and category == "config" and _CHANGE_WORDS.search(lowered):
        outcome = "change"
    elif quiet and _SUCCESS_WORDS.search(lowered) and not _NOT_YET.search(lowered) and not _STOP_WORDS.search(lowered):
        outcome = "success"
    elif quiet and binary == CNI and _CNI_DONE.search(lowered):
        outcome = "success"  # install-cni's steps: "Created CNI config …", "Copied istio-cni to …"
    else:
        outcome = "unknown"
    if (
        outcome == "failure"
        and category != "auth"
        and (_AUTH_FAILURE_WORDS.search(lowered) or (scope not in XDS_SCOPES and _CREDENTIAL_WORDS.search(lowered)))
    ):
        category = "auth"  # fetching a JWKS, a TLS handshake, a token: what failed is authentication's
    fell_back = level == "warn" and _FAILURE_WORDS.search(lowered) is not None and _FALLBACK.search(lowered) is not None
    if (
        by_scope
        and outcome == "unknown"
        and not fell_back  # (a warning that took a fallback keeps its scope's subject)
        and not (scope in XDS_SCOPES and _XDS_CONNECTION.search(lowered))
    ):
        category = "other"  # chatter in a config or CA scope that names nothing of either
    if outcome == "success" and _START_WORDS.search(lowered):
        category = "other"  # a server or controller starting, whatever it serves
    if binary != CNI:
        category, outcome = _refine(lowered, scope, level, category, outcome, by_scope)
    if outcome == "failure" and _SERVER_DOWN.search(lowered):
        return "other", "failure", False, "component.failure"
    if category == "other":  # "": the parser's own catch-all for the scope (istiod.<scope>, cni.<scope> ...)
        action = "component.start" if outcome == "success" else ""
    else:
        action = f"{category}.event"
    return category, outcome, False, action


# ---- refinements: how a careful labeller reads the README's rules on wordings the tables above miss
# (a review of 581 labelled istiod/istio-agent lines whose template verdict disagreed with the label)
# "CDS: PUSH for node:…", "Push debounce stable…", "Full push, new service…": config being distributed
_PUSH_ANNOUNCE = re.compile(
    r"(?:^|: )push(?: inc)?(?:%v)?(?: request)?(?: %v)? for (?:node|%v)|^push debounce stable|^push finished"
    r"|^full push\b|\bfull push %v|^pushall done|^xds:? ?(?:incremental )?push|^pushing %v$|\bincremental push\b"
    r"|^(?:eds: )?(?:inc )?push for %v"
)
_PUSH_NOT = re.compile(r"\b(?:skip|skipping|skipped|suppress|abort|aborted|timeout|fail|failure|error|missed)\b")
# "ADS: new connection for node:…", "resource:default new connection": a client connected ("connected" is success)
_NEW_CONNECTION = re.compile(
    r"\bnew (?:delta )?connection\b|\bstream (?:established|created)\b|\bconnection established\b"
    r"|\bestablished connection\b"
)
# a certificate handed out or read, and one that changed (rotation, a file event pushed on)
_AUTH_GOT = re.compile(
    r"^(?:%v )?(?:returned|read|loaded|got|fetched)\b.*\b(?:cert|certificate|trust anchor|secret|root)"
    r"|^generatesecret\b|\bpushed (?:key/cert|root cert|secret|certificate)"
)
_AUTH_CHANGE = re.compile(
    r"\b(?:has )?changed\b(?! with event %v, pushing)|\bstart rotating\b|\brotated\b|pushing to proxy"
    r"|triggering secret push|\bsecret cache is (?:updated|deleted)\b|\bregenerated\b|^refreshing secret\b"
)
_AUTH_CHANGE_NOT = re.compile(r"\b(?:check and|will|should|not about to) rotate")
# the CA, its secrets and keys are identity's: "CA Endpoint %v", "Using user-configured CA", "cacerts"
_CA_WORDS = re.compile(
    r"\bca\b(?! ?bundle| path)|\bca ?endpoint(?! ==)|\bcacerts\b|istio-ca-secret|\bcasecret\b|\bjwks\b"
    r"|\bpubkey\b|public key|\bjwt (?:filter|authenticat|public key)"
)
# scopes whose whole subject is config or identity: their chatter keeps the scope's category
CHATTER_SCOPES = AUTH_SCOPES | frozenset(
    "validation validationController validationServer xdsproxy mcp adsc deltaadsc gateway gatewaycommon wle "
    "serviceentry tag-watcher wasm".split()
)
_READY = re.compile(
    r"\bmarking server ready\b|^readiness succeeded\b|^epoch %v starting$|^opening status port\b|\bis ready$"
    r"|\bbecame ready\b|\bsucceeded\b"
)
# a change verb that says nothing changed
_NO_CHANGE = re.compile(
    r"\bskip(?:ping|ped)?\b|\bnot applied\b|\balready (?:created|exists|applied)\b|\bare identical\b"
)


def _refine(lowered: str, scope: str, level: str, category: str, outcome: str, by_scope: bool) -> tuple[str, str]:
    quiet = level in ("info", "debug")
    failing = _FAILURE_WORDS.search(lowered) is not None
    if quiet and re.search(r"\bpush\b", lowered) and not _PUSH_NOT.search(lowered):
        if _PUSH_ANNOUNCE.search(lowered) and scope not in AUTH_SCOPES and not lowered.startswith("sds"):
            category, outcome = "config", "change"
    if quiet and outcome == "unknown" and _NEW_CONNECTION.search(lowered) and not failing:
        outcome = "success"
        if category == "other":
            category = "auth" if scope in AUTH_SCOPES else "config" if scope in CONFIG_SCOPES else "other"
    if by_scope and category == "other" and outcome == "unknown" and scope in CHATTER_SCOPES:
        category = "auth" if scope in AUTH_SCOPES else "config"
    if category != "auth" and _CA_WORDS.search(lowered) and not (outcome == "success" and _START_WORDS.search(lowered)):
        category = "auth"
    if (
        scope in AUTH_SCOPES
        and category == "config"
        and not re.search(r"\bxds\b|\bads\b|\b[cler]ds\b|push(?!ing to proxy)", lowered)
    ):
        category = "auth"  # an SDS or CA scope's line naming a gateway is about the gateway's secret
    if quiet and (category == "auth" or scope in AUTH_SCOPES) and outcome == "unknown" and not failing:
        if _AUTH_GOT.search(lowered):
            category, outcome = "auth", "success"
        elif _AUTH_CHANGE.search(lowered) and not _AUTH_CHANGE_NOT.search(lowered):
            category, outcome = "auth", "change"
    if quiet and outcome == "unknown" and _READY.search(lowered) and not failing:
        category, outcome = "other", "success"
    if quiet and outcome == "success" and category == "config":
        if re.search(r"marking server ready|caches have been synced", lowered):
            category = "other"  # the server is ready: a start, whatever it serves
        elif "success" in lowered and _CHANGE_WORDS.search(re.sub(r"success\w*", "", lowered)):
            outcome = "change"  # "Successfully updated validatingwebhookconfiguration …"
    if quiet and outcome == "change" and category == "config" and _NO_CHANGE.search(lowered):
        outcome = "unknown"
    if outcome == "failure" and by_scope and scope == "wle":
        category = "other"  # the WorkloadEntry controller's own trouble ("unable to derive WorkloadEntry …")
    return category, outcome


# ============================================================================ reading Go
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|\'(?:[^\'\\\n]|\\.)*\'|//[^\n]*|/\*.*?\*/', re.S)
_LOG_IMPORT = re.compile(r'(?:^|\n)\s*(?:import\s+)?(?:(\w+)\s+)?"istio\.io/(?:istio/)?pkg/log"')
_REGISTER = re.compile(r"\b(\w+)\s*(?::=|=)\s*(?:\w+\.)?(?:RegisterScope|FindScope)\(\s*(?:\"([^\"]*)\"|([\w.]+))")
_ALIAS = re.compile(r"\b(\w+)\s*(?::=|=|:)\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?=\s*(?:\.WithLabels\(|\n|;|,|\)))")
_FUNC_ALIAS = re.compile(r"func (\w+)\([^)]*\)\s*\*\w+\.Scope\s*\{\s*return\s+([\w.]+)")
_CONST = re.compile(r"\b([A-Za-z_]\w*)\s*(?:string\s*)?=\s*\"([A-Za-z][\w -]{0,40})\"")
_CALL = re.compile(r"\.(Debug|Info|Warn|Error|Fatal)(f|a)?\(")
_STRING = re.compile(r'\s*(?:fmt\.Sprintf\(\s*)?("(?:[^"\\\n]|\\.)*"|`[^`]*`)(\s*\+)?(\s*,\s*(?!zap\.))?')
_ERROR_STRING = re.compile(r'\b(?:fmt\.Errorf|errors\.New)\(\s*("(?:[^"\\\n]|\\.)*")')
# Mixer's config snapshot builder (mixer/pkg/runtime/config/ephemeral.go, 1.0-1.7) logs each error it finds in
# the user's rules, handlers and instances through ``appendErr(errs, <field>, [<counter>,] "<format>", …)``
# (``log.Error(err.Error())`` in 1.0, debug from 1.1); the field is a Sprintf of its own, skipped whole
_APPEND_ERR = re.compile(r'\bappendErr\((?:[^"()]|\([^()]*\))*?("(?:[^"\\\n]|\\.)*")')
# ...and, bare, the errors of Mixer's expression compiler for a rule's match or an instance's fields
# ("unknown attribute context.protocol", istio/istio#8839): the compiler's own error strings
_MIXER_COMPILER = ("mixer/pkg/lang/", "mixer/pkg/il/compiler/")
_VERB = re.compile(r"%[-+# 0]*(?:\[\d+\])?(?:\d+|\*)?(?:\.(?:\d+|\*)?)?(?:\[\d+\])?[a-zA-Z]")
_LEVELS = {"Debug": "debug", "Info": "info", "Warn": "warn", "Error": "error", "Fatal": "fatal"}
_NOT_LOGGERS = frozenset("fmt errors t b tb s1 klog glog http status err args grpclog logrus zap c.t".split())


def strip_comments(source: str) -> str:
    return _TOKENS.sub(lambda m: " " if m.group(0)[0] == "/" else m.group(0), source)


def go_string(literal: str) -> str:
    if literal[0] == "`":
        return literal[1:-1]
    try:
        return bytes(literal[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return literal[1:-1]


def template_of(text: str, more: bool = False) -> str | None:
    """The message a format string prints, each verb written ``%v``; None when nothing fixed is left."""
    text = text.replace("%%", "\x00")
    text = _VERB.sub("%v", text).replace("\x00", "%")
    text = re.sub(r"(?:%v)+", "%v", text)
    first = text.strip("\n").split("\n", 1)[0]
    first = first + "%v" if more and not first.endswith("%v") and "\n" not in text.strip("\n") else first.rstrip()
    if len(first.replace("%v", "").strip(" :,.-=[]()")) < 4:
        return None
    return first


def _receiver(source: str, end: int) -> list[str]:
    """The chain a call is made on, read backwards from the dot: ``a.b(...).c`` -> [a, b(), c]."""
    parts: list[str] = []
    i = end
    while i > 0:
        if source[i - 1] == ")":
            depth, j = 0, i - 1
            while j >= 0:
                if source[j] == ")":
                    depth += 1
                elif source[j] == "(":
                    depth -= 1
                    if depth == 0:
                        break
                j -= 1
            k = j
            while k > 0 and (source[k - 1].isalnum() or source[k - 1] == "_"):
                k -= 1
            if k == j:
                break
            parts.append(source[k:j] + "()")
            i = k
        else:
            k = i
            while k > 0 and (source[k - 1].isalnum() or source[k - 1] == "_"):
                k -= 1
            if k == i:
                break
            parts.append(source[k:i])
            i = k
        if i > 0 and source[i - 1] == ".":
            i -= 1
            continue
        break
    parts.reverse()
    return parts


@dataclass
class Package:
    scopes: dict[str, str] = field(default_factory=dict)  # variable -> scope name
    aliases: dict[str, str] = field(default_factory=dict)  # variable/field -> expression it is set from
    functions: dict[str, str] = field(default_factory=dict)  # func returning *Scope -> expression


@dataclass
class Found:
    binaries: set[str] = field(default_factory=set)
    scopes: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    revisions: set[str] = field(default_factory=set)
    error_string: bool = True


class Reader:
    def __init__(self) -> None:
        self.templates: dict[str, Found] = {}
        self.scope_binaries: dict[str, set[str]] = defaultdict(set)

    def read_revision(self, repo: str, mirror: str, name: str, commit: str) -> None:
        listing = subprocess.run(
            ["git", "-C", mirror, "ls-tree", "-r", commit],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        files: list[tuple[str, str, tuple[str, ...]]] = []
        for row in listing.splitlines():
            meta, _, path = row.partition("\t")
            names = binaries_of(repo, path)
            if names is not None:
                files.append((path, meta.split()[2], names))
        sources = _cat(mirror, [blob for _, blob, _ in files])
        constants: dict[str, str] = {}
        packages: dict[str, Package] = defaultdict(Package)
        cleaned: dict[str, str] = {}
        for path, blob, _names in files:
            text = strip_comments(sources[blob])
            cleaned[path] = text
            for match in _CONST.finditer(text):
                constants.setdefault(match.group(1), match.group(2))
        exported: dict[str, str] = {}
        for path, _blob, _names in files:
            text = cleaned[path]
            package = packages[path.rsplit("/", 1)[0]]
            for match in _REGISTER.finditer(text):
                named = match.group(3) or ""
                # a constant (constants.CNIAgentLogScope), not a function's parameter
                if "." not in named and not named[:1].isupper():
                    named = ""
                scope = match.group(2) or constants.get(named.rsplit(".", 1)[-1], "")
                if scope:
                    package.scopes[match.group(1)] = scope
                    if match.group(1)[0].isupper():
                        exported[match.group(1)] = scope
            for match in _ALIAS.finditer(text):
                if match.group(1) != match.group(2) and match.group(1) not in package.scopes:
                    package.aliases.setdefault(match.group(1), match.group(2))
            for match in _FUNC_ALIAS.finditer(text):
                package.functions[match.group(1)] = match.group(2)
        for path, _blob, names in files:
            self._read_file(repo, name, path, cleaned[path], packages[path.rsplit("/", 1)[0]], exported, names)

    def _resolve(
        self, chain: list[str], package: Package, exported: dict[str, str], imported: str | None
    ) -> str | None:
        names = [part for part in chain if part not in ("WithLabels()", "With()", "WithContext()")]
        for _ in range(4):  # follow aliases a few steps: log := scope.WithLabels(...); c.log = log
            if not names:
                return None
            head, last = names[0], names[-1]
            if head.endswith("()") and head[:-2] in package.functions:
                names = package.functions[head[:-2]].split(".") + names[1:]
                continue
            if last in package.scopes:
                return package.scopes[last]
            if last in exported and len(names) > 1:
                return exported[last]
            if len(names) == 1 and imported and last == imported:
                return "default"
            alias = package.aliases.get(last)
            if alias is None:
                break
            names = alias.split(".")
        return None

    def _read_file(
        self,
        repo: str,
        revision: str,
        path: str,
        text: str,
        package: Package,
        exported: dict[str, str],
        names: tuple[str, ...],
    ) -> None:
        imports = _LOG_IMPORT.search(text)
        imported = (imports.group(1) or "log") if imports else None
        for scope in package.scopes.values():
            self.scope_binaries[scope].update(names)
        for call in _CALL.finditer(text):
            chain = _receiver(text, call.start())
            if not chain or chain[0] in _NOT_LOGGERS or chain[-1] in _NOT_LOGGERS:
                continue
            scope = self._resolve(chain, package, exported, imported)
            if scope is None:
                if imported is None or not re.search(r"(?i)log|scope", chain[-1].rstrip("()")):
                    continue
                scope = ""
            literal = _STRING.match(text, call.end())
            if literal is None:
                continue
            formatted = call.group(2) == "f"
            message = go_string(literal.group(1))
            if not formatted:
                message = message.replace("%", "%%")
            # "a" + b, or Info("a ", b) (Sprint: the arguments follow the text; zap.Field ones do not)
            more = bool(literal.group(2)) or (not formatted and bool(literal.group(3)))
            template = template_of(message, more=more)
            if template is None:
                continue
            self._add(template, names, scope, _LEVELS[call.group(1)], f"{repo}@{revision}", error_string=False)
        mixer = (
            _APPEND_ERR
            if path.startswith("mixer/pkg/runtime/config/")
            else _ERROR_STRING
            if path.startswith(_MIXER_COMPILER)
            else None
        )
        for match in mixer.finditer(text) if mixer is not None else ():
            template = template_of(go_string(match.group(1)))
            if template is not None:  # (logged through pkg/log's default scope)
                self._add(template, names, "default", "error", f"{repo}@{revision}", error_string=False)
        if names in ((AGENT,), (CNI,)) or repo == "istio/cni" or any(n == ISTIOD for n in names):
            for match in _ERROR_STRING.finditer(text):
                template = template_of(go_string(match.group(1)))
                if template is not None:
                    self._add(template, names, "", "error", f"{repo}@{revision}", error_string=True)

    def _add(
        self, template: str, names: tuple[str, ...], scope: str, level: str, where: str, error_string: bool
    ) -> None:
        found = self.templates.get(template)
        if found is None:
            found = self.templates[template] = Found()
        found.binaries.update(names)
        if not error_string:
            found.error_string = False
            found.scopes[scope] += 1
            found.levels[level] += 1
        found.revisions.add(where)


def _cat(mirror: str, blobs: list[str]) -> dict[str, str]:
    wanted = sorted(set(blobs))
    out = subprocess.run(
        ["git", "-C", mirror, "cat-file", "--batch"],
        input="\n".join(wanted).encode() + b"\n",
        check=True,
        capture_output=True,
    ).stdout
    texts: dict[str, str] = {}
    position = 0
    for blob in wanted:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        size = int(header[2])
        texts[blob] = out[end + 1 : end + 1 + size].decode("utf-8", "replace")
        position = end + 1 + size + 1
    return texts


# ============================================================================ writing the data
_SEVERITY = ("debug", "info", "warn", "error", "fatal")
# error strings kept: the agent's and the CNI's only (istiod's say nothing a default-family line would
# not), and only those long enough to tell a program by
_MIN_ERROR_STRING = 14


def entries(reader: Reader) -> dict[str, tuple[str, str, str, str, str, bool, str]]:
    out: dict[str, tuple[str, str, str, str, str, bool, str]] = {}
    for template, found in sorted(reader.templates.items()):
        binary = "|".join(sorted(found.binaries))
        if found.error_string:
            if binary not in (AGENT, CNI) or len(template.split("%v", 1)[0]) < _MIN_ERROR_STRING:
                continue
            scope, level = "", "error"
        else:
            scopes = found.scopes.most_common()
            scope = (
                scopes[0][0]
                if len(scopes) == 1 or scopes[0][1] > scopes[1][1]
                else "|".join(sorted(s for s, _ in scopes))
            )
            top = max(found.levels.values())
            level = max((lv for lv, n in found.levels.items() if n == top), key=_SEVERITY.index)
        category, outcome, violation, action = verdict(template, binary, scope, level)
        out[template] = (binary, scope, level, category, outcome, violation, action)
    return out


def render(reader: Reader) -> str:
    data = entries(reader)
    scopes = {scope: "|".join(sorted(names)) for scope, names in sorted(reader.scope_binaries.items())}
    counts = Counter()
    for value in data.values():
        counts[value[0]] += 1
    lines = [
        '"""Log message templates of istiod, istio-agent and istio-cni, from their Go sources. GENERATED DATA.',
        "",
        "Written by scripts/gen_istio_templates.py (do not edit by hand; change the generator's rule table and",
        "run it again).  Read from these revisions:",
        "",
    ]
    for repo, name, commit in REVISIONS:
        lines.append(f"    {repo} {name} {commit}")
    lines += [
        "",
        "TEMPLATES maps a message template (every Go verb written %v, first line only) to",
        "(binary, scope, level, category, outcome, violation, action); binary is one of istiod, istio-agent,",
        "istio-cni or several joined by '|'; scope '' when the generator could not tell it.",
        "SCOPES maps every pkg/log scope these programs register to the programs that register it.",
        "Templates per binary: " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) + ".",
        '"""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "# fmt: off",
        "REVISIONS: tuple[tuple[str, str, str], ...] = (",
    ]
    for revision in REVISIONS:
        lines.append(f"    {revision!r},")
    lines += [
        ")",
        "",
        "SCOPES: dict[str, str] = {",
    ]
    for scope, names in scopes.items():
        lines.append(f"    {scope!r}: {names!r},")
    lines.append("}")
    lines.append("")
    lines.append("TEMPLATES: dict[str, tuple[str, str, str, str, str, bool, str]] = {")
    for template, value in data.items():
        lines.append(f"    {template!r}: {value!r},")
    lines.append("}")
    lines.append("# fmt: on")
    return "\n".join(lines) + "\n"


def generate(mirrors: dict[str, str]) -> str:
    reader = Reader()
    for repo, name, commit in REVISIONS:
        reader.read_revision(repo, mirrors[repo], name, commit)
    return render(reader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--istio", default=MIRRORS["istio/istio"], help="git directory of istio/istio")
    parser.add_argument("--cni", default=MIRRORS["istio/cni"], help="git directory of istio/cni")
    parser.add_argument("--check", action="store_true", help="only say whether the generated file is current")
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args(argv)
    text = generate({"istio/istio": args.istio, "istio/cni": args.cni})
    output = Path(args.output)
    if args.check:
        current = output.exists() and output.read_text("utf-8") == text
        print("current" if current else f"{output} is out of date")
        return 0 if current else 1
    output.write_text(text, "utf-8")
    print(f"wrote {output} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
