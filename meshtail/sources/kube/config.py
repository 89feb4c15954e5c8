"""Find and load cluster credentials the way kubectl does.

``--kubeconfig`` or ``$KUBECONFIG`` (several files, merged) or ``~/.kube/config``, then the
in-cluster service account.  kubernetes_asyncio does the loading (exec plugins, OIDC,
client certificates); meshtail keeps the result and refreshes expiring credentials.

The connection follows kubectl's rules too: the cluster's ``proxy-url``, else
``$HTTPS_PROXY``/``$HTTP_PROXY`` minus ``$NO_PROXY`` (and never for loopback, as Go's
proxy resolution has it); ``--as``/``--as-group`` (impersonation headers on every request);
``--request-timeout`` (one non-streaming request; 0 = none).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml
from kubernetes_asyncio.client import Configuration
from kubernetes_asyncio.config import ConfigException
from kubernetes_asyncio.config.incluster_config import SERVICE_HOST_ENV_NAME, load_incluster_config
from kubernetes_asyncio.config.kube_config import KubeConfigLoader, KubeConfigMerger


class ConfigError(Exception):
    """No usable cluster configuration; the message says what was tried."""


DEFAULT_REQUEST_TIMEOUT = 60.0  # seconds, when --request-timeout is not given


@dataclass(frozen=True)
class ConnectOptions:
    """kubectl's global connection flags meshtail honours; every request of the client carries them.

    ``request_timeout`` is for one non-streaming request (lists, gets, discovery), in seconds;
    0 means none, None meshtail's default.  Followed logs and watches are long-lived on
    purpose and only have a connect timeout.
    """

    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    request_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.impersonate_groups and not self.impersonate_user:
            # kubectl's check: the API server would answer 500 for groups without a user
            raise ConfigError("--as-group needs --as: requesting groups without impersonating a user")

    @property
    def timeout(self) -> float | None:
        """The total seconds allowed for one non-streaming request, or None for no limit."""
        if self.request_timeout is None:
            return DEFAULT_REQUEST_TIMEOUT
        return self.request_timeout or None


# The options of this process's command line.  kubectl's flags are per process; the TUI's ingest
# thread connects knowing only the kubeconfig and context, so the command line sets these once.
_process_options = ConnectOptions()


def use_options(options: ConnectOptions) -> None:
    """Make ``options`` what every later :func:`connect` without options uses (the command line's flags)."""
    global _process_options
    _process_options = options


@dataclass(frozen=True)
class Proxy:
    """The HTTP(S) proxy requests go through, and where that came from (for messages)."""

    url: str  # may hold user:password; never shown
    origin: str  # "proxy-url in the kubeconfig", "$HTTPS_PROXY", ...

    @property
    def display(self) -> str:
        """``scheme://host:port`` without credentials: what messages name."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"

    def __str__(self) -> str:
        return f"{self.display} ({self.origin})"


_PROXY_SCHEMES = ("http", "https")


def _parse_proxy(value: str, origin: str) -> Proxy:
    """Go's ``parseProxy``: a value without a scheme means ``http://``; only HTTP(S) proxies are supported."""
    text = value.strip()
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        text = "http://" + text
        parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    shown = f"{parts.scheme}://{parts.hostname or ''}"
    if parts.scheme in ("socks5", "socks5h"):
        raise ConfigError(f"proxy {shown} ({origin}): SOCKS proxies are not supported by meshtail; use an HTTP proxy")
    if parts.scheme not in _PROXY_SCHEMES or not parts.hostname or port == -1:
        raise ConfigError(f"proxy from {origin} is not a valid http:// or https:// URL")
    return Proxy(text, origin)


def _first(environ: Mapping[str, str], *names: str) -> tuple[str, str]:
    """Go's ``getEnvAny``: the first of ``names`` that is set and not empty."""
    for name in names:
        value = environ.get(name)
        if value:
            return name, value
    return "", ""


def _no_proxy_matches(host: str, port: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` exempts ``host:port``, with golang.org/x/net/http/httpproxy's rules.

    Entries are comma-separated: ``*``; an IP or CIDR; ``host``, ``.domain`` or ``*.domain``
    (each matching the domain and its subdomains; a leading dot not the bare domain), any of
    them with ``:port``.
    """
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                network = None
            if network is not None:
                if ip is not None and ip in network:
                    return True
                continue
        entry_host, entry_port = entry, ""
        if entry.startswith("["):
            entry_host, _, rest = entry[1:].partition("]")
            entry_port = rest[1:] if rest.startswith(":") else ""
        elif entry.count(":") == 1:
            entry_host, entry_port = entry.split(":")
        if not entry_host:
            continue
        try:
            entry_ip = ipaddress.ip_address(entry_host)
        except ValueError:
            entry_ip = None
        if entry_ip is not None:
            if ip is not None and ip == entry_ip and entry_port in ("", port):
                return True
            continue
        if entry_host.startswith("*."):
            entry_host = entry_host[1:]
        match_host = not entry_host.startswith(".")
        suffix = entry_host if entry_host.startswith(".") else "." + entry_host
        if (host.endswith(suffix) or (match_host and host == suffix[1:])) and entry_port in ("", port):
            return True
    return False


def proxy_for(server: str, proxy_url: str | None = None, environ: Mapping[str, str] | None = None) -> Proxy | None:
    """The proxy kubectl (client-go) would use to reach ``server``.

    The kubeconfig cluster's ``proxy-url`` wins outright (``NO_PROXY`` does not apply to it).
    Otherwise ``$HTTPS_PROXY`` for https servers, ``$HTTP_PROXY`` for http ones (upper case
    first, no falling back from one to the other), unless ``$NO_PROXY`` exempts the host;
    ``localhost`` and loopback addresses never go through an environment proxy.
    """
    if proxy_url:
        return _parse_proxy(proxy_url, "proxy-url in the kubeconfig")
    env = os.environ if environ is None else environ
    parts = urlsplit(server)
    names = ("HTTPS_PROXY", "https_proxy") if parts.scheme == "https" else ("HTTP_PROXY", "http_proxy")
    name, value = _first(env, *names)
    if not value:
        return None
    host = (parts.hostname or "").lower()
    port = str(parts.port or (443 if parts.scheme == "https" else 80))
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    if _no_proxy_matches(host, port, _first(env, "NO_PROXY", "no_proxy")[1]):
        return None
    return _parse_proxy(value, f"${name}")


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
    options: ConnectOptions = field(default_factory=ConnectOptions)
    via: Proxy | None = None  # the proxy every request goes through, if any
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
        """The proxy URL (credentials included) requests go through, or None."""
        return self.via.url if self.via is not None else None

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


async def connect(
    kubeconfig: str | None = None, context: str | None = None, options: ConnectOptions | None = None
) -> Cluster:
    """Load credentials for ``context`` (or the current one); raise :class:`ConfigError` in words.

    ``options`` default to the command line's (:func:`use_options`).
    """
    options = options if options is not None else _process_options
    raw, existing = kubeconfig_paths(kubeconfig)
    if kubeconfig and not existing:
        raise ConfigError(f"kubeconfig {kubeconfig!r} does not exist")
    if not existing:
        if os.environ.get(SERVICE_HOST_ENV_NAME):
            cluster = _in_cluster()
            cluster.options, cluster.via = options, proxy_for(cluster.host)
            return cluster
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
    parts = urlsplit(configuration.host)
    if parts.username is not None or parts.password is not None:
        # aiohttp refuses a request whose URL holds credentials beside an Authorization header (a traceback, found by
        # an outside audit); kubectl takes credentials from the user entry, and so does meshtail: say so, once
        shown = parts._replace(netloc=f"***@{parts.hostname}{f':{parts.port}' if parts.port else ''}").geturl()
        raise ConfigError(
            f"context {context!r} from {raw}: the cluster's server URL {shown} carries a user name or password; "
            "put credentials in the kubeconfig's user entry (token, client certificate, exec) instead"
        )
    ctx = loader.current_context or {}
    namespace = (ctx.get("context") or {}).get("namespace") or "default"
    options = _kubeconfig_impersonation(options, getattr(loader, "_user", None))
    via = proxy_for(configuration.host, getattr(configuration, "proxy", None))
    cluster = Cluster(configuration.host, context, namespace, configuration, loader, options=options, via=via)
    if configuration.host.startswith("https") and not configuration.verify_ssl:
        cluster.insecure = True
        cluster.warnings.append(
            f"TLS verification is OFF for {configuration.host} (insecure-skip-tls-verify in the kubeconfig)"
        )
    return cluster


def _kubeconfig_impersonation(options: ConnectOptions, user: Any) -> ConnectOptions:
    """kubectl's merge: the kubeconfig user's ``as``/``as-groups`` apply where ``--as``/``--as-group`` are not given."""
    if user is None or not hasattr(user, "safe_get"):
        return options
    as_user = options.impersonate_user or user.safe_get("as")
    if not as_user:
        return options
    groups = options.impersonate_groups or tuple(str(g) for g in user.safe_get("as-groups") or ())
    return dataclasses.replace(options, impersonate_user=str(as_user), impersonate_groups=groups)


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
