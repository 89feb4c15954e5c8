"""The demo mesh's logs shipped into the Loki stand-in, labelled as Promtail labels Kubernetes pods.

Every line a simulated container writes is pushed at once with the kubelet timestamp it got
(as a shipper tailing the CRI file would read it), so the Loki source and the Kubernetes
source can be compared line for line on the same mesh.  Labels follow Promtail's
``kubernetes-pods`` scrape config (``namespace``, ``pod``, ``container``, ``app``, ``job`` =
``namespace/app``) plus a ``cluster`` label, as multi-cluster setups add through
``external_labels`` — which is what ``--cluster`` selects on.
"""

from __future__ import annotations

import re
from typing import TextIO

from .loki import LokiStandIn
from .podlogs import PodLogs, kubelet_timestamp
from .sentlog import sent_line

CLUSTER = "demo"
# a Deployment's pod: <app>-<replicaset hash>-<pod hash>; a DaemonSet's or StatefulSet's: <app>-<suffix>
_POD_SUFFIX = re.compile(r"-[0-9a-f]{6,10}-[0-9a-z]{5}$|-[0-9a-z]{5}$|-\d+$")


def app_of(pod: str) -> str:
    """The ``app`` label Promtail would copy from the pod (the demo's pods are named after it)."""
    return _POD_SUFFIX.sub("", pod) or pod


def ship(logs: PodLogs, loki: LokiStandIn, cluster: str = CLUSTER) -> None:
    """From now on, every line written to ``logs`` is pushed to ``loki`` too."""
    labels_of: dict[tuple[str, str, str], dict[str, str]] = {}

    def on_line(key: tuple[str, str, str], ns: int, text: str) -> None:
        labels = labels_of.get(key)
        if labels is None:
            if len(labels_of) > 10_000:  # pods come and go (churn): keep the memo bounded
                labels_of.clear()
            namespace, pod, container = key
            app = app_of(pod)
            labels = labels_of[key] = {
                "cluster": cluster,
                "namespace": namespace,
                "pod": pod,
                "container": container,
                "app": app,
                "job": f"{namespace}/{app}",
            }
        loki.push(labels, ns, text)

    logs.on_line = on_line


class SentLogFile:
    """The Loki stand-in's sent log on disk, in the API server's ``--sent-log`` format.

    ``<timestamp>\t<namespace>/<pod>/<container>\t<line>`` for every entry written to a client (a
    query_range answer or a tail frame), so ``scripts/compare_sent.py`` judges what meshtail
    delivered from Loki exactly as it judges the kube source: nothing lost without a gap, nothing twice.
    """

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle

    def extend(self, entries: object) -> None:
        for ts, labels, line in entries:  # type: ignore[attr-defined]
            origin = f"{labels.get('namespace')}/{labels.get('pod')}/{labels.get('container')}"
            self.handle.write(sent_line(kubelet_timestamp(ts), origin, line))
