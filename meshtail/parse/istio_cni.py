"""istio-cni: the CNI plugin, the CNI node agent, ambient enrolment and the repair controller.

The ``istio-cni-node`` DaemonSet (container ``install-cni``) prints through Istio's pkg/log like
istiod, so its lines have the same columns (:func:`.istio_go.read_line`); they are told apart by
scope and message.  Scopes by version: 1.5–1.17 ``cni``/``install``/``repair`` (and the default
scope); 1.18–1.21 add ``ambient`` and ``ebpf``; 1.22 ``ambient``/``cni``/``install``/``iptables``/
``repair``; 1.24+ ``cni-agent`` and ``cni-plugin`` (plus ``nftables`` with native nftables).  The
1.18 ambient controller also logged through ``controllers`` with ``controller=ambient``, and
1.22+ the repair controller with ``controller=repair pods``.  Labels are ``ns=``/``name=`` (pods),
``pod=ns/name`` (repair), ``uid=``, ``conn_uuid=`` (ztunnel connections).

An auditor's view: a pod added to or removed from the mesh (ambient enrolment) is a config
change; failing to capture or redirect a pod, or to program iptables/nftables, is a failure;
the repair controller deleting or relabelling a broken pod is a change; a ztunnel connecting
to the node agent is a success.
"""

from __future__ import annotations

import re
from typing import Any

from ..events import Source
from ..text import clip
from .addresses import REDACTED_IPV4
from .istio_go import (
    CNI_CONTAINERS,
    FAMILY_WEIGHT,
    FRAGMENT_WEIGHT,
    GoLine,
    by_template_or_cut,
    claiming_template,
    match_template,
    read_line,
    read_scope_first,
    stamp_less_prose,
    template_binary,
    whole_template,
)
from .result import Action, Parsed, action_word, attr_key, severity_of
from .timestamps import normalize

FORMAT = "istio-cni"
SCOPES = frozenset("cni cni-agent cni-plugin install repair iptables nftables ebpf ipset ambient".split())
_CONTROLLERS = frozenset(("ambient", "repair pods"))

# Default-scope messages only istio-cni prints (cni/pkg/cmd, install, repair, plugin; 1.5 .. master).
_DEFAULT_PREFIXES = (
    "file modified:",
    "Pod detected as broken",
    "Repairing pod",
    "Controller Option:",
    "CNI race repair configuration",
    "CNI install configuration",
    "CNI version",
    "CNI logging level",
    "Start a UDS server for CNI",
    "Start CNI race condition repair",
    "Starting ambient node agent",
    "Ambient node agent",
    "CNI node agent",
    "CNI ambient server",
    "CNI listen server",
    "installer complete",
    "installer failed",
    "initialization complete, watching node CNI dir",
    "Command error output",
    "Running iptables",
    "Running ip6tables",
    "Running nft",
    "Wrote CNI config",
    "wrote kubeconfig file",
    "Istio CNI",
    "istio-cni ",
    "Waiting for CNI network config",
    "CNI config file",
    "valid Istio config present in node-level CNI file",
    "detected changes to the node-level CNI setup",
    "configuration requires updates, (re)writing CNI config",
    "cleaning up CNI installation",
    "removing Istio CNI",
    "Failed to write CNI config",
    "Failed to start up UDS Log Server",
    "NativeNftables is enabled",
)
# Messages distinctive enough to claim with nothing else (no timestamp, level or scope).
_FRAGMENT_PREFIXES = (
    "adding pod to the mesh",
    "removing pod from mesh",
    "removing pod from the mesh",
    "Failed capturing pod, will not retry",
    "Unable to send pod to ztunnel",
    "failed to add pod to ztunnel",
    "failed to update POD inpod",
    "failed to restore iptables rules",
    "failed to program nftable rules",
    "Pod detected as broken, ",
    "Repairing pod...",
    "new ztunnel connected, total connected:",
    "in pod mode - ",
    "Pod is now stopped or opt out",
    "sending pod add to ztunnel",
    "istio-cni cmdAdd ",
    "Clean-state detected, new iptables are needed",
    "Running iptables-restore with the following input:",
    "Writing following contents to rules file: ",  # istio-iptables before 1.12 (tools/istio-iptables/pkg/cmd/run.go)
    "Running iptables-legacy-restore with the following input:",
    "Running iptables-nft-restore with the following input:",
    "Start a UDS server for CNI plugin logs",
    "Start CNI race condition repair",
)
# the last line of a multi-line "Running iptables-restore with the following input:" entry carries
# the entry's labels: ``COMMIT\tns=... name=...``
_RULES_TAIL = re.compile(
    r"(?:COMMIT|\*(?:nat|mangle|raw|filter)|[-:][A-Z]{1,2}\S*(?: .*)?)(?:\t| {2,}+)ns=\S+ name=\S+"
)
# iptables rules the CNI writes, echoed one per line (iptables-save/-restore input): Istio's own chains
# (and istio-iptables echoing each command it runs before 1.12: "iptables -t nat -D PREROUTING -p tcp -j ISTIO_INBOUND")
_ISTIO_RULES = re.compile(
    r"(?:-[AIDNRFXP] |:)ISTIO_[A-Z_]+\b|-[AI] \S+ .*-j ISTIO_[A-Z_]+\b"
    r"|ip6?tables(?:-legacy|-nft)? (?:-w \d+ )?(?:-t \w+ )?-[AIDNRFXP] .{0,400}?\bISTIO_[A-Z_]+\b"
    # ... and the restore it runs of the rules file it wrote (tools/istio-iptables: os.CreateTemp("", "iptables-rules-
    # <unix time>.txt"), Go's random suffix after it)
    r"|ip6?tables(?:-legacy|-nft)?-restore (?:--noflush |-n |-w \d+ ){0,3}/tmp/ip6?tables-rules-[\dx]{6,24}\.txt"
    # (digits an author blanked out as x's are still the file's name)
    # ... and the command line it logs before it runs one, with the lock it runs it under
    # (tools/istio-iptables/pkg/dependencies/implementation_linux.go: "Running command (%s): %s %s")
    r"|Running command \((?:with global lock|with wait lock|without lock"
    r"|sandboxed (?:local lock by (?:mount|env) and nss|without lock))\): (?:ip6?tables|nft)"
)
# where install-cni writes on the node (the DaemonSet mounts the host's CNI directories under /host)
_CNI_HOST_PATH = re.compile(r"/host/(?:opt/cni/bin|etc/cni/(?:net\.d|multus))\b|istio-cni[.-]kubeconfig|ZZZ-istio-cni")
# iptables' own refusal when another program holds its lock (the CNI and istio-init run it with -w)
_XTABLES_LOCK = "currently holding the xtables lock"
# the kubelet's (or containerd's) sandbox error naming the istio-cni plugin as the one that failed
_PLUGIN_FAILED = re.compile(
    r'plugin type="istio-cni"[^\n]{0,200}\bfailed\b'
    # (the same message wrapped or cut before its type: containerd's 'name="istio-cni" failed (add): …')
    r'|\bname="istio-cni" failed \((?:add|delete|del|check|status)\)'
    # Multus delegating to it (k8snetworkplumbingwg/multus-cni: "error adding container to network %q: %v")
    r'|error adding container to network "istio-cni"'
)


# the continuation lines of install-cni's configuration dump at start ("CNI install configuration: \nCNINetDir:
# /etc/cni/net.d\nMountedCNINetDir: …", cni/pkg/config/config.go String(), 1.10 .. main), with the stamp
# ``kubectl logs --timestamps`` puts on each line: its own field names (not LogLevel, NodeName, Enabled …)
# the variables istio-iptables (istio-init, the CNI plugin, istio-validation) prints before it programs the redirect,
# one a line under "Environment:" and "Variables:" (tools/istio-iptables/pkg/capture/run.go and config.go Print(),
# 1.5 .. main): their names, as every version printed them
_IPTABLES_VARIABLE = re.compile(
    r"(?:ENVOY_PORT|INBOUND_CAPTURE_PORT|ISTIO_(?:INBOUND_(?:INTERCEPTION_MODE|TPROXY_MARK|TPROXY_ROUTE_TABLE|PORTS)"
    r"|OUTBOUND_PORTS|LOCAL_EXCLUDE_PORTS|EXCLUDE_INTERFACES|SERVICE_(?:EXCLUDE_)?CIDR|META_DNS_CAPTURE)"
    r"|PROXY_(?:PORT|INBOUND_CAPTURE_PORT|TUNNEL_PORT|UID|GID)|INBOUND_(?:INTERCEPTION_MODE|TPROXY_MARK"
    r"|TPROXY_ROUTE_TABLE|PORTS_(?:INCLUDE|EXCLUDE))|OUTBOUND_(?:IP_RANGES|PORTS|OWNER_GROUPS)_(?:INCLUDE|EXCLUDE)"
    r"|KUBE_?VIRT_INTERFACES|ENABLE_INBOUND_IPV6|DNS_CAPTURE|CAPTURE_ALL_DNS|DROP_INVALID|INVALID_DROP|DNS_SERVERS"
    r"|EXCLUDE_INTERFACES|NETWORK_NAMESPACE|CNI_MODE|HOST_NSENTER_EXEC|OUTPUT_PATH|DUAL_STACK|IPTABLES_VERSION"
    r"|NATIVE_NFTABLES|FORCE_IPTABLES_BINARY|FORCE_APPLY|CLEANUP_ONLY|RECONCILE)=[^\s=]{0,400}"
)
_CONFIG_DUMP = re.compile(
    r"(?:\d{4}-\d\d-\d\dT[\d:.]{8,18}Z )?"
    r"(?:(?:Mounted)?CNINetDir|CNIConfName|ChainedCNIPlugin|CNINetworkConfig(?:File)?"
    r"|KubeconfigFilename|LogUDSAddress|CNIEventAddress|ZtunnelUDSAddress|(?:Update|Skip)CNIBinaries|PluginLogLevel"
    r"|NativeNftables|ForceIptablesBinary|CNIEnable(?:Re)?[Ii]nstall|CNIBin(?:TargetDirs|SourceDir)|CNIAgentRunDir"
    r"|Ambient(?:IPv6|DNSCapture|Enabled|ReconcilePodRulesOnStartup|DisableSafeUpgrade|EnablementSelector|RedirectTPROXY)"
    r"|EnableAmbientDetectionRetry|IstioOwnedCNIConfig(?:Filename)?|HostNSEnterExec|CNIConfGroupRead|KubeconfigMode"
    r"|Init(?:ContainerName|TerminationMsg|ExitCode)|SidecarAnnotation): "
)


def _names_cni(message: str) -> bool:
    """The node agent's probe set, install-cni's host paths or settings: nobody but istio-cni names them."""
    head = message[:2000]
    # (install-cni's settings SKIP_CNI_BINARIES / UPDATE_CNI_BINARIES, named in its messages)
    return "istio-inpod-probes" in head or "_CNI_BINARIES" in head or _CNI_HOST_PATH.search(head) is not None


def _redirect_failed(message: str) -> bool:
    """iptables gave up on its lock or refused the rules, or the kubelet says the istio-cni plugin failed: no
    redirection."""
    return (
        _XTABLES_LOCK in message[:400]
        or _PLUGIN_FAILED.search(message[:4000]) is not None
        or _IPTABLES_ERROR.match(message) is not None
    )


# iptables' own error output as istio-init (istio-iptables, the CNI plugin) passes it on, at the line's start: the
# legacy and nf_tables backends' refusals ("iptables-restore v1.6.1: iptables-restore: unable to initialize table
# 'nat'", "line 24: TABLE_ADD failed (No such file or directory): table nat", "Error occurred at line: 1",
# "iptables: Chain already exists."), the old shell script's own errors ("/usr/local/bin/istio-iptables.sh: line 97:
# hostname: command not found") and istio-iptables' note that it went on past one (capture/run.go, 1.8-1.12)
_IPTABLES_ERROR = re.compile(
    r"ip6?tables(?:-legacy|-nft)?(?:-restore|-save)?(?: v\d{1,2}\.\d{1,2}(?:\.\d{1,2})?(?: \([\w-]{1,20}\))?)?: "
    r"(?:ip6?tables(?:-legacy|-nft)?(?:-restore)?: )?"
    r"(?:unable to initialize table|Chain already exists|No chain/target/match by that name|line \d{1,6} failed"
    r"|Bad rule|Couldn't load|can't initialize|Could not fetch rule set generation id"
    r"|Chain '[\w-]{1,40}' does not exist|RULE_\w{1,20} failed|Permission denied)"
    r"|line \d{1,6}: (?:TABLE|CHAIN|RULE|SET)_\w{1,20} failed\b"
    r"|unable to initialize table '\w{1,20}'|Error occurred at line: \d{1,6}"
    r"|(?:\S{0,200}/)?istio-iptables(?:\.sh)?: line \d{1,6}: "
    r"|Ignoring error for bug compatibility with istio-iptables"
    # libxtables' own error classes ("xtables parameter problem: …"), as istio-iptables relays the command's output
    # ("Command error: %v", "Command error output: %v"), and iptables' refusal of a rule the kernel lacks support for
    r"|(?:Command error(?: output)?: )?xtables (?:other|parameter|version|resource) problem: "
    r"|ip6?tables(?:-legacy|-nft)?(?:-restore)?: Invalid argument\. Run `dmesg' for more information"
)
# a shell script's own error (bash: "<script>: line <N>: <what>: Permission denied"), as install-cni.sh printed
# it before the installer was Go: the step failed
_SHELL_ERROR = re.compile(r"(?:\S{0,200}/)?[\w.-]{1,64}\.sh: line \d{1,6}: ")


# What the istio-validation init container (tools/istio-iptables/pkg/validation) prints, in every version:
# 1.5-1.11 with fmt.Println (no timestamp or level: "in new validator: <ip>", "Listening on <addr>",
# "Error connecting to 127.0.0.6:15002: ...", "validation passed", "validation failed:<err>"), 1.12+ through
# pkg/log ("Validation failed: <err>", "Validation passed, iptables rules established"), and the command's
# exit error ("iptables validation failed; workload is not ready for Istio.", cobra's "Error: " before it).
# It dials 127.0.0.6 (redirected to its own listeners on 127.0.0.1 or ::1 at the proxy's capture ports):
# those addresses tell its generic-sounding lines from another program's.
_VALIDATOR = re.compile(
    r"(?:Error: )?iptables validation failed\b|[Ii]n new validator: |Starting iptables validation\b"
    rf"|(?:Error connecting to|connect to) (?:127\.0\.0\.6|{REDACTED_IPV4}):\d+"
    rf"|Listening on (?:127\.0\.0\.1|\[::1\]|{REDACTED_IPV4}):150\d\d$|[Vv]alidation (?:passed|failed:|timeout$)"
    r"|Error on listening: |Listener failed to accept connection: |Error getting original dst: "
)
_VALIDATOR_FAILED = re.compile(r"(?i)(?:error|iptables validation failed|validation failed|validation timeout)")
_KLOG_CNI_ACCOUNT = re.compile(r"serviceaccount:[\w.-]{1,253}:[\w.-]{0,253}cni\b")
_FLAG = re.compile(r"FLAG: --([a-z0-9][a-z0-9_-]{0,79})=")
_ISTIOD_KEBAB_FLAGS = ("tls-cipher-suites", "tls-min-version", "debug-port")
_NS_NAME = re.compile(r"(?<![\w./-])([a-z0-9][a-z0-9-]{0,62})/([a-z0-9][a-z0-9.-]{0,252})(?![\w/])")
_POD_NAME = re.compile(r"\bpod(?:Name)?:? '?([a-z0-9][a-z0-9.-]{0,252})'?")


def _from_cni_container(source: Source | None) -> bool:
    """The source says so: the istio-cni-node DaemonSet's container (only when a source knows it)."""
    return source is not None and (source.container in CNI_CONTAINERS or source.kind in ("cni", "istio-cni"))


_CONTROLLER_LABEL = re.compile(r" controller=(repair pods|\S+)\s*$")


def _claims(line: GoLine, source: Source | None = None) -> bool:
    """Whether a Go-shaped line is istio-cni's (asked before istio_go, so never istiod's)."""
    scope = line.scope
    message = line.message
    if line.stamped and _from_cni_container(source):
        return True
    if scope is not None:
        if scope in SCOPES:
            return True
        if scope == "controllers":
            named = line.fields.get("controller")
            if named is None:  # its tabs became single spaces: the label is the message's last word
                label = _CONTROLLER_LABEL.search(message, max(0, len(message) - 80))
                named = label.group(1) if label is not None else None
            return named in _CONTROLLERS
        if scope == "klog":
            return "cni" in message and _KLOG_CNI_ACCOUNT.search(message[:2000]) is not None
        if scope != "default":
            # a first word read as a scope when the tab after the level became a space ("info file modified:
            # /host/etc/cni/net.d/…"): the CNI's host paths are nobody else's
            return scope.isalpha() and _names_cni(message)
    if _VALIDATOR.match(message) is not None:
        return True  # the istio-validation init container (runs the CNI's istio-iptables)
    if _names_cni(message):
        return True
    if not line.level:  # a fragment
        return (
            message.startswith(_FRAGMENT_PREFIXES)
            or _RULES_TAIL.fullmatch(message[:4000]) is not None
            or _ISTIO_RULES.match(message) is not None
            or _CONFIG_DUMP.match(message) is not None
            or _IPTABLES_VARIABLE.fullmatch(message) is not None
            or _redirect_failed(message)
            or _cni_template(message, FRAGMENT_WEIGHT)
        )
    if message.startswith(_DEFAULT_PREFIXES) or message.startswith(_FRAGMENT_PREFIXES):
        return True
    if _cni_template(message, FAMILY_WEIGHT if line.stamped else FRAGMENT_WEIGHT):
        return True  # a message only the CNI's programs print (read from their sources)
    if _from_cni_container(source) and whole_template(message) == FORMAT:
        return True  # a short one its template explains whole, in the CNI's own container
    if line.stamped and template_binary(match_template(message), FAMILY_WEIGHT) == FORMAT:
        # the same with a short or variable start ("node %v add readiness taint because …", "Labeling pod
        # %v/%v with label …", "%v is in SKIP_CNI_BINARIES, skipping."): looked up by its words (cached for
        # istio_go, which asks the same of the same line next)
        return True
    if message.startswith("FLAG: --"):
        return _cni_flag(message)
    return message == 'cluster "" kube client started'  # the CNI agent's kube client has no cluster ID


def _cni_flag(message: str) -> bool:
    """A flag dump line of the CNI's (its flags are kebab-case; istiod's and the agent's camelCase, but a few)."""
    flag = _FLAG.match(message) if message.startswith("FLAG: --") else None
    return flag is not None and "-" in flag.group(1) and flag.group(1) not in _ISTIOD_KEBAB_FLAGS


def _cni_template(message: str, weight: int) -> bool:
    """Whether the message is printed by the CNI's programs only (plugin, node agent, install, repair,
    and the istio-validation init container's iptables checks), with fixed text enough to say so."""
    return template_binary(claiming_template(message), weight, message) == FORMAT


def recognise(body: str, source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istio-cni text line, or None."""
    line = read_line(body)
    if line is not None and not line.level and line.scope is None:
        # a paste from the scope column on ("cni-agent\tremoving pod …"); after one space only when the
        # message alone would be claimed as the CNI's
        wide = read_scope_first(line.message)
        scoped = wide or read_scope_first(line.message, single=True)
        if scoped is not None and scoped.scope in SCOPES:
            if (
                wide is not None
                or _claims(GoLine(None, "", None, scoped.message, scoped.fields), source)
                # (a CNI template printed in that very scope)
                or (
                    (found := claiming_template(scoped.message)) is not None
                    and found.binary == FORMAT
                    and found.scope == scoped.scope
                )
            ):
                line = scoped
    if line is None or not _claims(line, source):
        return None
    if not line.stamped and line.scope is not None and stamp_less_prose(body, line.scope):
        # "error install helm chart: …": a sentence as well as the CNI's level and scope, tabs collapsed
        if not (
            _cni_template(line.message, FRAGMENT_WEIGHT) or _from_cni_container(source) or _names_cni(line.message)
        ):
            return None
    if (
        line.level
        and not line.stamped
        and line.scope is None
        and not line.message.startswith(_FRAGMENT_PREFIXES)
        and not _cni_template(line.message, FRAGMENT_WEIGHT)
        and _VALIDATOR.match(line.message) is None
        and not _names_cni(line.message)
        and not _cni_flag(line.message)
        and line.message != 'cluster "" kube client started'
    ):
        return None  # "info <sentence>" with nothing of the CNI's but a prefix: too little to go on
    parsed = build(line.stamp, line.level, line.scope, line.message, line.fields, line.caller)
    if parsed.outcome == "unknown" and (_redirect_failed(line.message) or _SHELL_ERROR.match(line.message)):
        parsed.outcome = "failure"  # iptables gave up, or the kubelet says the plugin failed: no redirection
        if parsed.severity in ("debug", "info"):
            parsed.severity = "error"
    return FORMAT, parsed


def recognise_json(obj: dict[str, Any], source: Source | None = None) -> tuple[str, Parsed] | None:
    """An istio-cni JSON line (``--log_as_json``), or None."""
    message = obj.get("msg")
    level = obj.get("level")
    if not isinstance(message, str) or not isinstance(level, str):
        return None
    scope = obj.get("scope")
    scope = scope if isinstance(scope, str) else None
    fields = {k: v for k, v in obj.items() if k not in ("level", "time", "scope", "msg", "caller")}
    line = GoLine(obj.get("time") if isinstance(obj.get("time"), str) else None, level.lower(), scope, message, fields)
    # pkg/log's keys from the CNI DaemonSet's container, its time moved out by a collector (GKE's jsonPayload)
    from_cni = _from_cni_container(source) and level == level.lower() and "msg" in obj
    if not (from_cni or _claims(line, source)):
        return None
    caller = obj.get("caller") if isinstance(obj.get("caller"), str) else None
    parsed = build(line.stamp, line.level, scope, message, fields, caller)
    parsed.decoded = True
    return FORMAT, parsed


# ============================================================================ classification
_ADDING = (
    "adding pod to the mesh",
    "sending pod add to ztunnel",
    "About to send added pod",
    "pod is now enrolled",
    "in pod mode - adding pod",
    "pod added to ambient",
    "Pod added to ",
    "Adding pod '",  # 1.16-1.17 ambient (iptables mode): "Adding pod '<name>/<ns>' (<uid>) to ipset"
    "Adding route for ",  # and next its route: "Adding route for <name>/<ns>: {table 100 <ip>/32 via …}"
    "Pod added not in ipset, adding",  # 1.18-1.20 ambient informer (iptables mode)
    "sent pod add to ztunnel",  # 1.26+: the node agent handed the pod to ztunnel
)
_REMOVING = (
    "removing pod from mesh",
    "removing pod from the mesh",
    "in pod mode - deleting pod",
    "in pod mode - removing pod",
    "Pod is now stopped or opt out",
    "sending delete pod to ztunnel",
    "removing pod from ztunnel",
    "deleting pod from mesh",
    "Removing pod '",
    "Removing route: ",
)
_REDIRECT_WORDS = (
    "iptables",
    "ip6tables",
    "nftable",
    "nft ",
    "route",
    "netlink",
    "ipset",
    "addressset",
    "rule",
    "xtables",
    "veth",
    "tunnel",
    "ebpf",
    "tproxy",
    "chain",
)
_ENROL_WORDS = ("pod", "ztunnel", "mesh", "netns", "enrol")
_FAILURE_WORDS = (
    "fail",
    "error",
    "unable",
    "cannot",
    "can't",
    "could not",
    "invalid",
    "denied",
    "forbidden",
    "refused",
    "timed out",
    "exceeded",
    "not capturing",  # "pod <ns>/<name> does not appear to have any assigned IPs, not capturing"
)
# the catch-all's action until _refine names it by scope
_CATCH_ALL = "cni.*"
# a ztunnel connected to the node agent (1.21+: "new ztunnel connected, total connected: 1", then "latest ztunnel
# connection is <uuid>, total connected: 1"; 1.18-1.20 ambient: "active ztunnel updated to <pod>")
_ZTUNNEL_UP = ("new ztunnel connected", "latest ztunnel connection is ", "active ztunnel updated to ")
_TOTAL_CONNECTED = re.compile(r"total connected:? (\d+)")
# success words in a template that are no success: a ztunnel gone ("ztunnel disconnected, total connected
# 0"), a message about to go over a connection ("sending msg to connected ztunnel"), iptables rules built
# for a dump ("Generated check-rules: …", "Generated undo-rules: …"), the plugin's arguments read ("Loaded k8s
# arguments: …")
_NOT_DONE = re.compile(r"disconnect|^(?:sending|Sending) |^(?:Generated \w+-rules|Loaded k8s arguments)\b")
# info/debug lines that still say an operation failed ("Failed to get pod info: …", "error writing
# kubeconfig: …", "Failed setting up kubernetes client …"): the CNI logs many failures below warn
_FAILED_START = re.compile(r"(?:[Ff]ail(?:ed|ure)|[Ee]rror|[Uu]nable to)\b")
# the repair controller acting on a broken pod (deleting or labelling it, or its repair done)
_REPAIRING = ("Pod detected as broken", "Repairing pod", "Deleting broken pod", "Labeling pod ", "pod repaired")
# a pod leaving the mesh: 1.18-1.20 "Pod <ns>/<name> is now stopped... cleaning up.", "Pod is now opt out...";
# 1.22+ "pod is deleted and was (fully or partially) captured, removing from ztunnel"
_LEAVING = re.compile(
    r"Pod (?:\S+ )?is now (?:stopped|opt out)\b|pod is deleted and was\b.{0,40}, removing from ztunnel$"
)
# the node agent up: "initialization complete, watching node CNI dir" (cni/pkg/cmd/root.go, 1.24+)
_READY = ("initialization complete",)
_STARTED = re.compile(r"(?:Start(?:ing|ed)?|start(?:ing|ed)?)\b|.*(?: kube client started$| started\b)")


def _failing(lowered: str) -> bool:
    return any(word in lowered for word in _FAILURE_WORDS)


def build(
    stamp: str | None, level: str, scope: str | None, message: str, fields: dict[str, Any], caller: str | None = None
) -> Parsed:
    attrs: dict[str, Any] = {"log.message": message}
    if scope:
        attrs["istio.scope"] = scope
    if caller:
        attrs["istio.caller"] = caller
    for key, value in fields.items():
        if key in ("ns", "namespace", "podNamespace"):
            attrs["k8s.namespace.name"] = value
        elif key in ("name", "podName"):
            attrs["k8s.pod.name"] = value
        elif key == "uid":
            attrs["k8s.pod.uid"] = value
        elif key == "pod" and isinstance(value, str) and "/" in value:
            attrs["k8s.namespace.name"], _, attrs["k8s.pod.name"] = value.partition("/")
        else:
            attrs[attr_key("istio.cni", key)] = value
    if "k8s.pod.name" not in attrs:
        _pod_from_message(message, attrs)
    return _refine(classify(normalize(stamp), level, scope, message, attrs), level, message, scope)


def _pod_from_message(message: str, attrs: dict[str, Any]) -> None:
    head = message[:400]
    if "pod" not in head.lower():
        return
    pair = _NS_NAME.search(head)
    if pair and not head[: pair.start()].rstrip().endswith(("file", "to", "from")):
        attrs["k8s.namespace.name"], attrs["k8s.pod.name"] = pair.group(1), pair.group(2)
        return
    named = _POD_NAME.search(head)
    if named:
        attrs["k8s.pod.name"] = named.group(1)


def _error_of(message: str, attrs: dict[str, Any]) -> None:
    _, colon, rest = message.partition(": ")
    if colon and rest:
        attrs["error.message"] = rest


def _who(attrs: dict[str, Any]) -> str:
    pod = attrs.get("k8s.pod.name")
    if not isinstance(pod, str):
        return "a pod"
    ns = attrs.get("k8s.namespace.name")
    return f"pod {ns}/{pod}" if isinstance(ns, str) else f"pod {pod}"


def classify(time: str | None, level: str, scope: str | None, message: str, attrs: dict[str, Any]) -> Parsed:
    failed_start = message.startswith(("failed", "Failed", "Error: "))
    severity = severity_of(level) if level else ("error" if failed_start else "info")
    text = clip(message, 180)
    lowered = message.lower()
    failing = (
        severity == "error"
        or (severity == "warning" and _failing(lowered))
        or (scope == "klog" and _failing(lowered))
        or message.startswith(("Failed capturing pod", "Unable to send pod to ztunnel", "Error: "))
        or _FAILED_START.match(message) is not None
    )
    validator = _VALIDATOR.match(message) is not None
    if validator and _VALIDATOR_FAILED.match(message) is not None:
        # the pod's traffic capture is not in place: the init container fails and blocks the pod
        if severity in ("info", "debug"):
            severity = "error"
        _error_of(message, attrs)
        return Parsed(
            time, "other", "failure", False, severity, "cni.validation_failure", f"istio-validation: {text}", attrs
        )
    if validator and not failing:
        done = message.startswith(("Listening on", "validation passed", "Validation passed"))
        outcome = "success" if done else "unknown"
        return Parsed(time, "other", outcome, False, severity, "cni.validation", f"istio-validation: {text}", attrs)
    if message.startswith(_ZTUNNEL_UP) or message == "ztunnel connected":
        total = _TOTAL_CONNECTED.search(message)
        if total:
            attrs["istio.cni.ztunnel_connections"] = int(total.group(1))
        return Parsed(time, "other", "success", False, severity, "cni.ztunnel_connect", f"istio-cni: {text}", attrs)
    if message.startswith(_REPAIRING):
        verb = "deleting" if "deleting" in lowered else "relabelling" if "label" in lowered else "repairing"
        return Parsed(
            time,
            "other",
            "change",
            False,
            severity,
            "cni.repair",
            f"istio-cni repair: {verb} broken {_who(attrs)}",
            attrs,
        )
    if failing:
        _error_of(message, attrs)
        if (any(word in lowered for word in _ENROL_WORDS) or "ack error" in lowered) and not lowered.startswith(
            ("failed to add route", "failed to restore")
        ):
            # (an "ack error" is ztunnel answering the workload update the node agent sent it over ZDS with
            # an error -- "add-workload: got ack error", "snap-sent: got ack error", "ztunnel responded with an
            # ack error": ztunnel could not start the pod's in-pod proxy or read the message, so the pod is not
            # enrolled; no mesh config was rejected, so it is no xds.reject and no violation)
            action, what = "cni.enrol_failure", f"istio-cni could not enrol/unenrol {_who(attrs)}"
        elif any(word in lowered for word in _REDIRECT_WORDS) or message.startswith("Command error output"):
            action, what = "cni.redirect_failure", "istio-cni traffic redirection failed"
        else:
            action, what = _CATCH_ALL, "istio-cni"
        return Parsed(time, "other", "failure", False, severity, action, f"{what}: {text}", attrs)
    if message.startswith(_ADDING) or message.endswith("adding to mesh."):
        return Parsed(
            time,
            "config",
            "change",
            False,
            severity,
            "cni.pod_add",
            f"istio-cni added {_who(attrs)} to the ambient mesh",
            attrs,
        )
    if message.startswith(_REMOVING) or lowered.endswith("removing from mesh") or _LEAVING.match(message):
        return Parsed(
            time,
            "config",
            "change",
            False,
            severity,
            "cni.pod_remove",
            f"istio-cni removed {_who(attrs)} from the ambient mesh",
            attrs,
        )
    if message.startswith("FLAG: "):
        return Parsed(time, "other", "unknown", False, severity, "process.flag", f"istio-cni: {text}", attrs)
    if message.startswith(
        (
            "Copied ",
            "Wrote CNI config",
            "wrote kubeconfig",
            "Istio CNI configuration and binaries",
            "CNI configuration and binaries reinstalled",
            "initial installation complete",
            "Created CNI config",
        )
    ):
        return Parsed(time, "other", "success", False, severity, "cni.install", f"istio-cni: {text}", attrs)
    if severity in ("info", "debug") and (_STARTED.match(message) or message.startswith(_READY)):
        return Parsed(time, "other", "success", False, severity, "component.start", f"istio-cni: {text}", attrs)
    if scope in ("iptables", "nftables", "ebpf", "ipset") or "iptables" in lowered or "nftables" in lowered:
        return Parsed(time, "other", "unknown", False, severity, "cni.redirect", f"istio-cni: {text}", attrs)
    return Parsed(time, "other", "unknown", False, severity, _CATCH_ALL, f"istio-cni: {text}", attrs)


def _refine(parsed: Parsed, level: str, message: str, scope: str | None) -> Parsed:
    """A catch-all event refined by the template its message was printed from (istio_go.by_template).

    The catch-all is marked ``_CATCH_ALL`` until here, not told by its name: the scope's own name
    (``cni.repair`` in scope ``repair``, ``cni.install`` in ``install``) is also a rule's action, and a
    repair or an install a rule has read must not be handed to the template's verdict."""
    generic = f"cni.{action_word(scope)}"
    if parsed.action == _CATCH_ALL:
        parsed.action = generic
        failed = parsed.outcome == "failure"
        by_template_or_cut(parsed, match_template(message, anywhere=bool(level)), message, generic, bool(level))
        if failed and parsed.outcome in ("unknown", "success"):
            # the line says it failed ("failed to get CNI node …, retrying", "Failed to get pod info: …") at
            # info or debug, where the template's usual verdict for a quiet level is unknown: it still failed
            parsed.category, parsed.outcome, parsed.action = "other", "failure", generic
        if parsed.outcome == "success" and _NOT_DONE.search(message[:300]) is not None:
            # a template read as a success by a word ("connected", "generated") that says no such thing here
            parsed.category, parsed.outcome, parsed.action = "other", "unknown", generic
    if parsed.outcome == "success" and parsed.severity == "error":
        # an error or fatal line is never a success, whatever its words say: the scope's catch-all failure
        parsed.category, parsed.outcome, parsed.action = "other", "failure", generic
    return parsed


ACTIONS: tuple[Action, ...] = (
    Action("cni.pod_add", "config", "change", False, "adding pod to the mesh, sending pod add to ztunnel"),
    Action("cni.pod_remove", "config", "change", False, "removing pod from mesh, deleting pod from ztunnel"),
    Action(
        "cni.enrol_failure",
        "other",
        "failure",
        False,
        "failed to add pod to ztunnel, Failed capturing pod, ztunnel's ack error for a workload update, ...",
    ),
    Action("cni.redirect_failure", "other", "failure", False, "failed to restore iptables rules / program nftables"),
    Action("cni.redirect", "other", "unknown", False, "iptables / nftables chatter (Running iptables-restore ...)"),
    Action(
        "cni.validation_failure",
        "other",
        "failure",
        False,
        "istio-validation init container: Validation failed, validation timeout, Error connecting to 127.0.0.6:…, "
        "iptables validation failed; workload is not ready",
    ),
    Action(
        "cni.validation",
        "other",
        "success|unknown",
        False,
        "istio-validation init container: Listening on 127.0.0.1:150xx, Validation passed (success); in new validator",
    ),
    Action("cni.ztunnel_connect", "other", "success", False, "new ztunnel connected, total connected: N"),
    Action("cni.repair", "other", "change", False, "Pod detected as broken, deleting / Repairing pod..."),
    Action("cni.install", "other", "success", False, "Copied istio-cni to ..., Wrote CNI config ..."),
    Action("component.start", "other", "success", False, "Start a UDS server ..., kube client started"),
    Action("process.flag", "other", "unknown", False, "FLAG: --name=value dump at start"),
    Action("cni.<scope>", "other", "unknown|failure", False, "any other istio-cni line (failure for errors)"),
    Action("config.event", "config", "change|unknown", False, "a namespace or pod enabled in / removed from the mesh"),
    Action("config.invalid", "config", "failure", True, "invalid config the CNI could not apply (by template)"),
    Action("identity.refused", "auth", "deny", True, "a request the API server or ztunnel refused (by template)"),
)
