"""What changes in the demo cluster while it runs: configuration edits and pod churn.

:class:`ConfigEdits` applies the next of a fixed rotation of edits, each by the tool that
would really make it (Argo CD, helm, ``kubectl edit``/``patch``), and logs istiod's push
for it.  :class:`PodChurn` restarts, replaces and scales pods in a rotation of its own,
and churns short-lived workloads in the ``load`` namespace.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import UTC, datetime

from . import gateways
from .cluster import Cluster
from .policies import AP, PA
from .resources import BY_KEY, NAMESPACE
from .store import NotFound, Obj, ObjectStore
from .topology import DR, HR, VS, WORKLOADS, Workload, workload

EF = BY_KEY["envoyfilters.networking.istio.io"]
PROXY_KINDS = ("sidecar", "native", "gateway", "waypoint")  # the workloads istiod pushes Envoy config to


class ConfigEdits:
    """Configuration changes in a fixed rotation, and what istiod logs after each."""

    def __init__(self, cluster: Cluster, store: ObjectStore, rng: random.Random) -> None:
        self.cluster = cluster
        self.store = store
        self.rng = rng
        self.push_count = 0
        self._step = 0
        self._saved: dict[str, Obj] = {}
        self.rotation: tuple[Callable[[], None], ...] = (
            self.edit_reviews_weights,
            self.toggle_details_viewer,
            self.tune_outlier_detection,
            self.toggle_deny_admin,
            self.toggle_envoyfilter,
            self.flip_peer_auth,
            self.edit_cart_route,
        )

    def next(self) -> None:
        """The next change in the rotation."""
        self.rotation[self._step % len(self.rotation)]()
        self._step += 1

    def push(self, kind: str, namespace: str, name: str) -> None:
        """What istiod logs after a config change: debounce, the push, per-proxy pushes."""
        self.push_count += 1
        n = self.push_count
        since_change = f"{100 + self.rng.random():.6f}".rstrip("0")
        since_push = f"{100 + self.rng.uniform(0, 500):.6f}".rstrip("0")
        self.cluster.istiod(
            "info",
            "ads",
            f"Push debounce stable[{n}] 1 for config {kind}/{namespace}/{name}: "
            f"{since_change}ms since last change, {since_push}ms since last push, full=true",
        )
        proxies = [p for p in self.cluster.pods.values() if p.running and p.workload.kind in PROXY_KINDS]
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.cluster.istiod(
            "info",
            "ads",
            f"XDS: Pushing Services:{len(WORKLOADS)} ConnectedEndpoints:{len(proxies)} Version:{stamp}/{n}",
        )
        for p in sorted(proxies, key=lambda p: p.name)[:4]:
            self.cluster.istiod(
                "info",
                "ads",
                f"LDS: PUSH for node:{p.name}.{p.workload.namespace} "
                f"resources:{self.rng.randint(8, 40)} size:{self.rng.uniform(5, 90):.1f}kB",
            )

    # ---- the edits -------------------------------------------------------------------------
    def edit_reviews_weights(self) -> None:
        """New weights for the reviews subsets (the traffic follows them)."""
        a = self.rng.choice((10, 20, 30, 40, 50, 60, 70, 80))
        b = self.rng.choice([x for x in (0, 10, 20) if x <= 100 - a])

        def mutate(obj: Obj) -> None:
            routes = obj["spec"]["http"][0]["route"]
            routes[0]["weight"], routes[1]["weight"], routes[2]["weight"] = a, 100 - a - b, b

        self.store.update(VS, "bookinfo", "reviews", mutate, "kubectl-edit", "Update")
        self.push("VirtualService", "bookinfo", "reviews")

    def toggle_details_viewer(self) -> None:
        """sleep's principal added to (or removed from) details-viewer: sleep → details is allowed (or denied)."""
        sleep = workload("sleep").principal

        def mutate(obj: Obj) -> None:
            principals = obj["spec"]["rules"][0]["from"][0]["source"]["principals"]
            if sleep in principals:
                principals.remove(sleep)
            else:
                principals.append(sleep)

        self.store.update(AP, "bookinfo", "details-viewer", mutate, "argocd-controller", "Apply")
        self.push("AuthorizationPolicy", "bookinfo", "details-viewer")

    def tune_outlier_detection(self) -> None:
        def mutate(obj: Obj) -> None:
            od = obj["spec"]["trafficPolicy"]["outlierDetection"]
            od["consecutive5xxErrors"] = self.rng.choice((3, 5, 7))
            od["baseEjectionTime"] = self.rng.choice(("30s", "1m", "3m"))

        self.store.update(DR, "bookinfo", "reviews", mutate, "helm", "Update")
        self.push("DestinationRule", "bookinfo", "reviews")

    def toggle_deny_admin(self) -> None:
        """deny-admin-paths deleted (admin probes get through) or put back as it was."""
        try:
            self._saved["deny-admin"] = copy.deepcopy(self.store.get(AP, "bookinfo", "deny-admin-paths"))
            self.store.delete(AP, "bookinfo", "deny-admin-paths")
        except NotFound:
            saved = self._saved.get("deny-admin")
            if saved is None:
                return
            obj = {"metadata": {"name": "deny-admin-paths", "namespace": "bookinfo"}, "spec": saved["spec"]}
            self.store.create(AP, obj, "argocd-controller", "Apply")
        self.push("AuthorizationPolicy", "bookinfo", "deny-admin-paths")

    def toggle_envoyfilter(self) -> None:
        """An EnvoyFilter with a filter Envoy does not know: created (istiod logs the NACK) or deleted."""
        try:
            self.store.get(EF, "bookinfo", "add-debug-header")
            self.store.delete(EF, "bookinfo", "add-debug-header")
            self.push("EnvoyFilter", "bookinfo", "add-debug-header")
            return
        except NotFound:
            pass
        self.store.create(
            EF,
            {
                "metadata": {"name": "add-debug-header", "namespace": "bookinfo"},
                "spec": {
                    "workloadSelector": {"labels": {"app": "productpage"}},
                    "configPatches": [
                        {
                            "applyTo": "HTTP_FILTER",
                            "match": {"context": "SIDECAR_INBOUND"},
                            "patch": {"operation": "INSERT_BEFORE", "value": {"name": "envoy.lua.debug"}},
                        }
                    ],
                },
            },
            "kubectl-client-side-apply",
            "Update",
        )
        self.push("EnvoyFilter", "bookinfo", "add-debug-header")
        pp = self.cluster.one("bookinfo", "productpage")
        if pp is not None:
            self.cluster.istiod(
                "warn",
                "ads",
                f"ADS:LDS: ACK ERROR {pp.ip}:{self.rng.randint(32768, 60999)} "
                f"sidecar~{pp.ip}~{pp.name}.bookinfo~bookinfo.svc.cluster.local-{self.rng.randint(1, 9999)} "
                "Internal:Error adding/updating listener(s) virtualInbound: Didn't find a registered "
                "implementation for 'envoy.lua.debug' with type URL: ''",
            )

    def flip_peer_auth(self) -> None:
        def mutate(obj: Obj) -> None:
            mtls = obj["spec"]["mtls"]
            mtls["mode"] = "PERMISSIVE" if mtls["mode"] == "STRICT" else "STRICT"

        self.store.update(PA, "bookinfo", "default", mutate, "kubectl-patch", "Update")
        self.push("PeerAuthentication", "bookinfo", "default")

    def edit_cart_route(self) -> None:
        def mutate(obj: Obj) -> None:
            obj["spec"]["rules"][0]["timeouts"]["request"] = self.rng.choice(("1s", "2s", "5s", "10s"))

        self.store.update(HR, "shop", "cart", mutate, "kubectl-edit", "Update")
        gateways.refresh_route(self.store, "shop", "cart")  # istiod reports the new generation, as it would
        self.push("HTTPRoute", "shop", "cart")


class PodChurn:
    """Pods that come and go and restart, in a fixed rotation; short-lived workloads in ``load``."""

    BROKEN_AFTER_RESTART = 8  # browse requests that fail at reviews-v3 after its proxy restarts

    def __init__(self, cluster: Cluster, store: ObjectStore) -> None:
        self.cluster = cluster
        self.store = store
        self._step = 0
        self.churned = 0  # workloads made by :meth:`load` so far

    def next(self) -> None:
        """The next step: restart reviews-v3's proxy, replace ratings, scale sleep, scale cart."""
        cluster = self.cluster
        step = self._step % 4
        self._step += 1
        if step == 0:
            pod = cluster.one("bookinfo", "reviews", "v3")
            if pod is not None:
                cluster.restart_container(pod, "istio-proxy")
                pod.failing = self.BROKEN_AFTER_RESTART
        elif step == 1:
            pod = cluster.one("bookinfo", "ratings")
            if pod is not None:
                cluster.delete_pod(pod)
                cluster.add_pod(pod.workload)
        elif step == 2:
            pod = cluster.one("bookinfo", "sleep")
            if pod is not None:
                cluster.scale_down(pod)
            else:
                cluster.add_pod(workload("sleep"))
        else:
            cart = [p for p in cluster.pods.values() if p.workload.app == "cart"]
            if len(cart) > 1:
                cluster.scale_down(sorted(cart, key=lambda p: p.name)[-1])
            else:
                cluster.add_pod(cart[0].workload if cart else workload("cart"))

    def load(self, keep: int = 5) -> None:
        """High-rate churn: a new sidecar pod in 'load', and the oldest one there deleted."""
        try:
            self.store.get(NAMESPACE, "", "load")
        except NotFound:
            self.cluster.kinds.namespace("load", {})
        self.churned += 1
        w = Workload("load", f"churn{self.churned % 1000:03d}", "v1", 8080, "sidecar", "load")
        pod = self.cluster.add_pod(w)
        self.cluster.run(pod)
        load = [
            p
            for p in self.cluster.pods.values()
            if p.workload.namespace == "load" and p.workload.app.startswith("churn")
        ]
        if len(load) > keep:
            if load[0].owner is not None:
                self.cluster.remove_workload(load[0].owner)  # the workload goes with its pod: no ReplicaSet left behind
            else:
                self.cluster.delete_pod(load[0])
