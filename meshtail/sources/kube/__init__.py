"""The live Kubernetes source: connect, discover mesh pods, follow their logs, watch mesh config."""
