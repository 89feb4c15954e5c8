"""The stand-in Kubernetes API server and the simulated mesh behind ``meshtail demo``.

It speaks the part of the Kubernetes API that meshtail (and kubectl) use, over real
HTTP, so the demo exercises the same client code as a real cluster.
"""
