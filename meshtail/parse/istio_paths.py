"""Which Istio program a Go package of istio/istio is built into, by the package's path.

Read by ``scripts/gen_istio_templates.py`` (which program may print a template) and by the parsers when a line
names its own source file (a caller column, a klog reflector's ``istio.io/istio/security/pkg/nodeagent/…go:150:``):
one table for both, so what the templates say and what a line's path says cannot drift apart.
"""

from __future__ import annotations

import re

AGENT, ISTIOD, CNI = "istio-agent", "istiod", "istio-cni"
ALL = (AGENT, ISTIOD, CNI)
# Which program a package is built into: the first prefix of its path that matches (istio/istio).
# Shared packages get every program that links them; the parsers treat those as saying nothing.
BINARIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pilot/cmd/pilot-agent/", (AGENT,)),
    # the gRPC client's TLS (a provisioned cert, else the token): only the agent's CA client and xDS proxy dial
    # with it (ClientOptions' callers, 1.20+; the same messages were in those two before)
    ("pilot/pkg/grpc/tls.go", (AGENT,)),
    ("pilot/pkg/proxy/envoy/v2/", (ISTIOD,)),  # istiod's ADS server before 1.6
    ("pilot/pkg/proxy/envoy/discovery.go", (ISTIOD,)),  # pilot's v1 discovery service (1.0-1.3)
    # the ADS server core: the agent runs it too, for its SDS server and local xDS (1.8+)
    ("pilot/pkg/xds/ads.go", (AGENT, ISTIOD)),
    ("pilot/pkg/xds/delta.go", (AGENT, ISTIOD)),
    ("pilot/pkg/xds/discovery.go", (AGENT, ISTIOD)),
    ("pilot/pkg/xds/xdsgen.go", (AGENT, ISTIOD)),
    ("pilot/pkg/xds/monitoring.go", (AGENT, ISTIOD)),
    ("pkg/xds/", (AGENT, ISTIOD)),
    ("pilot/pkg/proxy/", (AGENT,)),  # the agent's Envoy watcher/supervisor before 1.5
    ("pilot/", (ISTIOD,)),
    ("pkg/istio-agent/", (AGENT,)),
    ("pkg/envoy/", (AGENT,)),
    ("pkg/dns/", (AGENT,)),
    ("pkg/wasm/", (AGENT,)),
    ("security/pkg/nodeagent/", (AGENT,)),  # the node agent / SDS server (separate DaemonSet 1.1-1.4)
    ("security/cmd/node_agent", (AGENT,)),
    ("security/pkg/stsservice/", (AGENT,)),
    ("security/pkg/credentialfetcher/", (AGENT,)),
    ("security/pkg/caclient/", (AGENT,)),
    ("security/pkg/platform/", (AGENT,)),
    ("security/pkg/server/", (ISTIOD,)),  # Citadel, istiod's CA (1.5+)
    ("security/pkg/pki/", (ISTIOD,)),
    ("security/pkg/k8s/", (ISTIOD,)),
    ("security/pkg/registry/", (ISTIOD,)),
    ("security/pkg/cmd/", (ISTIOD,)),
    ("security/cmd/istio_ca/", (ISTIOD,)),
    ("security/", (AGENT, ISTIOD)),
    ("galley/", (ISTIOD,)),  # validation and config sources, in istiod 1.5+
    # Mixer (1.0-1.7: policy checks and telemetry reports; its operators paste it as the control plane's)
    ("mixer/", (ISTIOD,)),
    ("pkg/config/", (ISTIOD,)),
    ("pkg/webhooks/", (ISTIOD,)),
    ("pkg/kube/inject/", (ISTIOD,)),
    ("pkg/mcp/", (ISTIOD,)),
    ("pkg/servicemesh/", (ISTIOD,)),
    ("pkg/bootstrap/", (AGENT, ISTIOD)),
    ("pkg/adsc/", (AGENT, ISTIOD)),
    ("pkg/spiffe/", (AGENT, ISTIOD)),
    ("pkg/security/", (AGENT, ISTIOD)),
    ("pkg/istio-agent", (AGENT,)),
    # remote clusters read from their secrets: only istiod's bootstrap, registries, CA and injector import it
    ("pkg/kube/multicluster/", (ISTIOD,)),
    ("pkg/kube/secretcontroller/", (ISTIOD,)),  # the same, 1.6-1.12
    ("pkg/", ALL),  # pkg/log, pkg/kube, pkg/ctrlz, pkg/cmd, pkg/monitoring ...
    ("cni/", (CNI,)),
    ("tools/istio-iptables/", (CNI,)),  # the CNI plugin's rules and the istio-validation init container
    ("tools/istio-clean-iptables/", (CNI,)),
    ("tools/istio-nftables/", (CNI,)),
)


# a Go source path as klog and Go's runtime print it: the module's import path, then the file and line
_PATH_IN_LINE = re.compile(r"istio\.io/istio/((?:pilot|security|galley|mixer|pkg|cni|tools)/[\w./-]{1,200}?\.go):\d+")


def programs_of(path: str) -> tuple[str, ...] | None:
    """The programs built from the package at ``path`` (``security/pkg/nodeagent/x.go``), or None for a path of
    no program's (tests, istioctl, other trees)."""
    for prefix, names in BINARIES:
        if path.startswith(prefix):
            return names
    return None


def program_in(text: str) -> str | None:
    """The one program a line's own Go source path names (``istio.io/istio/security/pkg/nodeagent/…go:150: …``), or
    None when it names none or a package several programs link."""
    found = _PATH_IN_LINE.search(text, 0, 300)
    if found is None:
        return None
    names = programs_of(found.group(1))
    return names[0] if names is not None and len(names) == 1 else None
