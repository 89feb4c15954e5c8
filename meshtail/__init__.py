"""meshtail: typed audit events from service-mesh logs (Envoy, istiod, ztunnel, Kubernetes audit)."""

__version__ = "0.1.0"
