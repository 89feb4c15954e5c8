"""Find and load cluster credentials the way kubectl does.

``--kubeconfig`` or ``$KUBECONFIG`` (several files, merged) or ``~/.kube/config``, then the
in-cluster service account.  kubernetes_asyncio does the loading (exec plugins, OIDC,
client certificates); meshtail keeps the result and refreshes expiring credentials.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import ConfigException
from kubernetes_asyncio.config.incluster_config import SERVICE_HOST_ENV_NAME, load_incluster_config
from kubernetes_asyncio.config.kube_config import KubeConfigLoader, KubeConfigMerger


class ConfigError(Exception):
    """No usable cluster configuration; the message says what was tried."""


@dataclass
class Cluster:
    """Where and how to reach one API server."""

    host: str
    context: str
    namespace: str
    configuration: Any
    loader: KubeConfigLoader | None = None
    insecure: bool = False
    warnings: list[str] = field(default_factory=list)
    _refresh_lock: asyncio.Lock | None = field(default=None, repr=False)

    def ssl_context(self) -> ssl.SSLContext | bool:
        """TLS settings from the kubeconfig: CA, client certificate, verification."""
        cfg = self.configuration
        if not self.host.startswith("https"):
            return False
        context = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
        if cfg.cert_file:
            context.load_cert_chain(cfg.cert_file, keyfile=cfg.key_file)
        if not cfg.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @property
    def server_name(self) -> str | None:
        return getattr(self.configuration, "tls_server_name", None) or None

    @property
    def proxy(self) -> str | None:
        return getattr(self.configuration, "proxy", None) or None

    async def authorization(self) -> str | None:
        """The Authorization header value (refreshing in-cluster tokens as they rotate)."""
        return await self.configuration.get_api_key_with_prefix("BearerToken") or None

    async def refresh(self, rejected: str | None = None) -> bool:
        """Re-run the credential plugin / OIDC refresh after a 401; True if there are new credentials.

        Hundreds of streams can get a 401 at once when a token expires: the first one runs the
        plugin, the others see that the credentials changed since theirs were rejected.
        """
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if rejected is not None and await self.authorization() != rejected:
                return True
            return await self._refresh()

    async def _refresh(self) -> bool:
        loader = self.loader
        if loader is None:
            return self.configuration.refresh_api_key_hook is not None
        user = getattr(loader, "_user", None)
        if user is None or not ("exec" in user or loader.provider in ("oidc", "gcp")):
            return False
        if hasattr(loader, "exec_plugin_expiry"):
            del loader.exec_plugin_expiry
        try:
            await loader.load_and_set(self.configuration)
        except Exception:  # the plugin failed: report the original 401
            return False
        return True


def kubeconfig_paths(explicit: str | None) -> tuple[str, list[str]]:
    """The kubeconfig path string to load and the files it names that exist."""
    raw = explicit or os.environ.get("KUBECONFIG") or os.path.join("~", ".kube", "config")
    existing = [os.path.expanduser(p) for p in raw.split(os.pathsep) if p and os.path.exists(os.path.expanduser(p))]
    return raw, existing


async def connect(kubeconfig: str | None = None, context: str | None = None) -> Cluster:
    """Load credentials for ``context`` (or the current one); raise :class:`ConfigError` in words."""
    raw, existing = kubeconfig_paths(kubeconfig)
    if kubeconfig and not existing:
        raise ConfigError(f"kubeconfig {kubeconfig!r} does not exist")
    if not existing:
        if os.environ.get(SERVICE_HOST_ENV_NAME):
            return _in_cluster()
        raise ConfigError(
            "no kubeconfig found: $KUBECONFIG is not set and ~/.kube/config does not exist, and this is not a pod "
            "with a service account; pass --kubeconfig PATH (or try `meshtail demo`)"
        )
    try:
        merged = KubeConfigMerger(raw)
        config = merged.config
    except Exception as exc:  # YAML errors and the like
        raise ConfigError(f"cannot read kubeconfig {raw}: {exc}") from exc
    names = [c["name"] for c in (config.safe_get("contexts") or [])] if config is not None else []
    if context is None:
        context = _first_current_context(existing)
        if not context:
            raise ConfigError(f"kubeconfig {raw} has no current-context; pass --context (one of: {', '.join(names)})")
    if context not in names:
        raise ConfigError(f"context {context!r} not found in {raw}; available: {', '.join(names) or 'none'}")
    configuration = type.__call__(Configuration)
    try:
        loader = KubeConfigLoader(config_dict=config, active_context=context, config_base_path=None)
        await loader.load_and_set(configuration)
    except (ConfigException, OSError, KeyError, AssertionError) as exc:
        raise ConfigError(f"cannot use context {context!r} from {raw}: {exc or type(exc).__name__}") from exc
    except Exception as exc:  # exec plugin failures and friends
        raise ConfigError(f"cannot get credentials for context {context!r}: {exc}") from exc
    ctx = loader.current_context or {}
    namespace = (ctx.get("context") or {}).get("namespace") or "default"
    cluster = Cluster(configuration.host, context, namespace, configuration, loader)
    if configuration.host.startswith("https") and not configuration.verify_ssl:
        cluster.insecure = True
        cluster.warnings.append(
            f"TLS verification is OFF for {configuration.host} (insecure-skip-tls-verify in the kubeconfig)"
        )
    return cluster


def _first_current_context(paths: list[str]) -> str | None:
    """kubectl's rule: the first file that sets current-context wins (kubernetes_asyncio takes the last)."""
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("current-context"):
            return str(data["current-context"])
    return None


def _in_cluster() -> Cluster:
    configuration = type.__call__(Configuration)
    try:
        load_incluster_config(client_configuration=configuration)
    except ConfigException as exc:
        raise ConfigError(f"in-cluster configuration failed: {exc}") from exc
    namespace = "default"
    try:
        with open("/var/run/secrets/kubernetes.io/serviceaccount/namespace", encoding="utf-8") as handle:
            namespace = handle.read().strip() or "default"
    except OSError:
        pass
    return Cluster(configuration.host, "in-cluster", namespace, configuration)


def warn(cluster: Cluster) -> None:
    for message in cluster.warnings:
        print(f"meshtail: warning: {message}", file=sys.stderr)
