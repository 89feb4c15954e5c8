"""Which Loki labels say namespace, pod, container and cluster: the shipper's layout.

Shippers label the same Kubernetes logs differently:

* **Promtail** (and Alloy's ``discovery.kubernetes`` recipes): stream labels ``namespace``,
  ``pod``, ``container`` (plus ``app``, ``job``), ``cluster`` where an external label adds it.
* **Alloy k8s-monitoring** (the Helm chart): ``namespace`` and ``container`` are labels, but
  ``pod`` is *structured metadata* (kept per entry, not indexed, to spare Loki a stream per pod).
* **Loki's OTLP endpoint**: resource attributes with dots made underscores —
  ``k8s_namespace_name``, ``k8s_pod_name`` (structured metadata in Loki 3's default config),
  ``k8s_container_name``, ``service_name``, ``k8s_cluster_name``.

The layout is chosen from the label names ``/loki/api/v1/labels`` lists, and each of its keys
is an index label when listed there, else structured metadata (which label filters still
select on: ``| pod="x"``).  The same keys, and only those, fill the events' source, so a
pushed-down stream matcher selects exactly what the source fields would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields

from ...events import Source

FIELDS = ("namespace", "pod", "container", "cluster")


@dataclass(frozen=True)
class Layout:
    """The label (or structured-metadata key) for each source field; None where the shipper has none."""

    name: str
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    cluster: str | None = None
    metadata: frozenset[str] = field(default_factory=frozenset)  # keys that are structured metadata, not labels

    def key(self, name: str) -> str | None:
        return getattr(self, name)  # type: ignore[no-any-return]

    def is_label(self, key: str) -> bool:
        return key not in self.metadata

    @property
    def known(self) -> bool:
        """True when the keys are a shipper's (so source fields and pushed matchers agree exactly)."""
        return self.name != "generic"

    def describe(self) -> str:
        parts = []
        for name in FIELDS:
            key = self.key(name)
            if key:
                parts.append(f"{name}={key}{' (structured metadata)' if key in self.metadata else ''}")
        return f"{self.name}: " + (", ".join(parts) or "no Kubernetes labels")


# The keys of each layout; which are index labels is decided against the server's label list.
LAYOUTS: dict[str, Layout] = {
    "promtail": Layout("promtail", "namespace", "pod", "container", "cluster"),
    "alloy": Layout("alloy", "namespace", "pod", "container", "cluster"),
    "otlp": Layout("otlp", "k8s_namespace_name", "k8s_pod_name", "k8s_container_name", "k8s_cluster_name"),
}

# Other names a cluster label goes by (external labels are the operator's choice)
_CLUSTER_LABELS = ("cluster", "k8s_cluster_name", "cluster_name", "k8s_cluster")

# For streams of no known layout: read whatever names are there (nothing is pushed down then)
_FALLBACK = {
    "namespace": ("namespace", "k8s_namespace_name", "namespace_name", "kubernetes_namespace_name", "pod_namespace"),
    "pod": ("pod", "k8s_pod_name", "pod_name", "kubernetes_pod_name", "instance"),
    "container": ("container", "k8s_container_name", "container_name", "kubernetes_container_name"),
    "cluster": _CLUSTER_LABELS,
}


class LayoutError(ValueError):
    """An explicit layout name meshtail does not know."""


def detect_layout(labels: Iterable[str], override: str | None = None) -> Layout:
    """The layout for a server whose streams carry ``labels`` (``/loki/api/v1/labels``).

    OTLP when ``k8s_namespace_name`` is a label; Promtail when ``namespace`` and ``pod`` are;
    Alloy k8s-monitoring when ``namespace`` is but ``pod`` is not (then ``pod`` is structured
    metadata); otherwise ``generic``.  ``override`` names the layout outright (``promtail``,
    ``alloy``, ``otlp``, ``generic``); its keys are still checked against the label list.
    """
    present = set(labels)
    if override:
        if override == "generic":
            return Layout("generic")
        if override not in LAYOUTS:
            raise LayoutError(f"unknown Loki label layout {override!r} (known: {', '.join([*LAYOUTS, 'generic'])})")
        base = LAYOUTS[override]
    elif "k8s_namespace_name" in present:
        base = LAYOUTS["otlp"]
    elif "namespace" in present and "pod" in present:
        base = LAYOUTS["promtail"]
    elif "namespace" in present:
        base = LAYOUTS["alloy"]
    else:
        return Layout("generic")
    cluster = base.cluster
    if cluster not in present:
        # an external label of another name, if the server has one; else the layout's own name,
        # which may still be structured metadata
        cluster = next((name for name in _CLUSTER_LABELS if name in present), cluster)
    keys = {name: base.key(name) for name in FIELDS}
    keys["cluster"] = cluster
    metadata = frozenset(key for key in keys.values() if key and key not in present)
    return Layout(base.name, keys["namespace"], keys["pod"], keys["container"], keys["cluster"], metadata)


_HAS_CLUSTER_FIELD = any(f.name == "cluster" for f in fields(Source))


def source_for(layout: Layout, labels: Mapping[str, str], metadata: Mapping[str, str] | None = None) -> Source:
    """The event source of an entry with stream ``labels`` and structured ``metadata``.

    ``kind`` is ``loki``.  The cluster goes into ``Source.cluster`` where the event model has
    that field, else into ``Source.path`` (the one free place the store and exports keep; it
    also keeps streams of two clusters with the same namespace/pod/container apart in the
    parser, whose formats are sticky per stream).
    """

    def value(name: str) -> str | None:
        keys = (layout.key(name),) if layout.known else _FALLBACK[name]
        for key in keys:
            if not key:
                continue
            found = labels.get(key)
            if found is None and metadata:
                found = metadata.get(key)
            if found:
                return found
        return None

    cluster = value("cluster")
    source = Source(kind="loki", namespace=value("namespace"), pod=value("pod"), container=value("container"))
    if cluster:
        if _HAS_CLUSTER_FIELD:
            source.cluster = cluster  # type: ignore[attr-defined]
        else:
            source.path = cluster
    return source


def cluster_field() -> str:
    """The filter field that reads the cluster of a Loki event (``source.cluster`` or ``source.path``)."""
    return "source.cluster" if _HAS_CLUSTER_FIELD else "source.path"
