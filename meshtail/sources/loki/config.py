"""Where Loki is and how to authenticate: URL, bearer token or basic auth, tenants, TLS.

The settings come from the command line (:meth:`LokiConfig.from_args`, with logcli's
``LOKI_*`` environment variables as defaults) or from a profile (:meth:`LokiConfig.from_mapping`).
Secrets can be given by file or environment variable so that they stay out of ``ps`` and out
of profiles; they never appear in any message, ``repr`` or health event (see :attr:`LokiConfig.where`).
"""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit


class LokiConfigError(ValueError):
    """The Loki settings are unusable; the message is one line naming the setting."""


def split_tenants(values: Iterable[str] | str | None) -> tuple[str, ...]:
    """Tenants as ``X-Scope-OrgID`` writes several (``a|b``), from one string or a list of them."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for tenant in str(value).split("|"):
            tenant = tenant.strip()
            if tenant and tenant not in out:
                out.append(tenant)
    return tuple(out)


def _read_secret(path: str, what: str) -> str:
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise LokiConfigError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class LokiConfig:
    """One Loki endpoint and its credentials.

    ``url`` is the base (``https://logs-prod-eu-west-0.grafana.net``, ``http://loki:3100``);
    a trailing ``/loki/api/v1`` is accepted and dropped.  ``basic`` is Grafana Cloud's
    ``(user id, access token)``.  ``tenants`` are sent as ``X-Scope-OrgID`` — one per request:
    Loki's tail endpoint accepts a single tenant, so meshtail reads each tenant on its own
    (which also works where multi-tenant queries are not enabled) and merges them by time.
    """

    url: str
    bearer: str | None = field(default=None, repr=False)
    basic: tuple[str, str] | None = field(default=None, repr=False)
    tenants: tuple[str, ...] = ()
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False
    timeout: float = 60.0  # one query_range / labels request, in seconds

    def __post_init__(self) -> None:
        parts = urlsplit(self.url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LokiConfigError(f"--loki needs an http:// or https:// URL, not {_safe_url(self.url)!r}")
        basic = self.basic
        if parts.username is not None:  # https://user:token@host: basic auth, kept out of the URL
            if basic is None:
                basic = (parts.username, parts.password or "")
            netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
            if ":" in parts.hostname:  # IPv6
                netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
            parts = parts._replace(netloc=netloc)
        path = parts.path.rstrip("/")
        if path.endswith("/loki/api/v1"):
            path = path[: -len("/loki/api/v1")]
        object.__setattr__(self, "url", urlunsplit((parts.scheme, parts.netloc, path, "", "")))
        object.__setattr__(self, "basic", basic)
        if self.bearer and basic:
            raise LokiConfigError("give Loki either a bearer token or basic auth (user and password), not both")
        if (self.cert_file is None) != (self.key_file is None) and self.cert_file is None:
            raise LokiConfigError("a Loki client key needs its certificate (--loki-cert)")
        if self.timeout <= 0:
            raise LokiConfigError("the Loki request timeout must be positive")

    # ---- what may be shown --------------------------------------------------------------
    @property
    def host(self) -> str:
        """``host:port`` for messages (never credentials)."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or "?"
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def where(self) -> str:
        """The URL as messages show it: no user, no password, no token."""
        return self.url

    @property
    def auth_mode(self) -> str:
        """``bearer``, ``basic`` or ``none`` (for health events; never the secret)."""
        return "bearer" if self.bearer else "basic" if self.basic else "none"

    # ---- what is sent -------------------------------------------------------------------
    def authorization(self) -> str | None:
        if self.bearer:
            return f"Bearer {self.bearer}"
        if self.basic:
            user, password = self.basic
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return None

    def ssl_context(self) -> ssl.SSLContext | bool:
        """TLS for https URLs: the custom CA, the client certificate, or no verification when insecure."""
        if not self.url.startswith("https"):
            return False
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            if self.cert_file:
                context.load_cert_chain(self.cert_file, keyfile=self.key_file)
        except FileNotFoundError as exc:
            raise LokiConfigError(f"Loki TLS file not found: {exc.filename}") from None
        except (ssl.SSLError, OSError) as exc:
            raise LokiConfigError(f"Loki TLS files unusable: {exc}") from None
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_args(
        cls,
        url: str | None,
        *,
        token: str | None = None,
        token_file: str | None = None,
        username: str | None = None,
        password: str | None = None,
        password_file: str | None = None,
        tenants: Iterable[str] | str | None = None,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        insecure: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> LokiConfig:
        """From command-line values; what is not given falls back to logcli's environment variables.

        ``LOKI_ADDR``, ``LOKI_BEARER_TOKEN``, ``LOKI_BEARER_TOKEN_FILE``, ``LOKI_USERNAME``,
        ``LOKI_PASSWORD``, ``LOKI_ORG_ID``, ``LOKI_CA_CERT_PATH``, ``LOKI_CLIENT_CERT_PATH``,
        ``LOKI_CLIENT_KEY_PATH``, ``LOKI_TLS_SKIP_VERIFY`` — the names Grafana's own CLI reads,
        so an environment set up for logcli works unchanged.
        """
        env = os.environ if env is None else env
        url = url or env.get("LOKI_ADDR")
        if not url:
            raise LokiConfigError("no Loki URL: give --loki URL (or set LOKI_ADDR)")
        if token_file:
            token = _read_secret(token_file, "bearer token")
        token = token or env.get("LOKI_BEARER_TOKEN") or None
        if not token and env.get("LOKI_BEARER_TOKEN_FILE"):
            token = _read_secret(env["LOKI_BEARER_TOKEN_FILE"], "bearer token")
        if password_file:
            password = _read_secret(password_file, "password")
        username = username or env.get("LOKI_USERNAME") or None
        if username and password is None:
            password = env.get("LOKI_PASSWORD")
        if password and not username:
            raise LokiConfigError("a Loki password needs a user (--loki-user; for Grafana Cloud the numeric user id)")
        found = split_tenants(tenants) or split_tenants(env.get("LOKI_ORG_ID"))
        skip = insecure or env.get("LOKI_TLS_SKIP_VERIFY", "").lower() in ("1", "true", "yes")
        return cls(
            url=url,
            bearer=token or None,
            basic=(username, password or "") if username else None,
            tenants=found,
            ca_file=ca_file or env.get("LOKI_CA_CERT_PATH") or None,
            cert_file=cert_file or env.get("LOKI_CLIENT_CERT_PATH") or None,
            key_file=key_file or env.get("LOKI_CLIENT_KEY_PATH") or None,
            insecure=skip,
        )

    MAPPING_KEYS = (
        "url",
        "token",
        "token_file",
        "token_env",
        "username",
        "password",
        "password_file",
        "password_env",
        "tenants",
        "tenant",
        "org_id",
        "ca_file",
        "cert_file",
        "key_file",
        "insecure",
        "timeout",
    )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> LokiConfig:
        """From a profile's ``[loki]`` table (or any dict).

        Keys: ``url``; ``token`` | ``token_file`` | ``token_env``; ``username`` with ``password`` |
        ``password_file`` | ``password_env``; ``tenants`` (a list, or ``"a|b"``; ``tenant`` and
        ``org_id`` are accepted too); ``ca_file``, ``cert_file``, ``key_file``, ``insecure``;
        ``timeout`` (seconds).  A secret is best kept in a file or the environment, not in the profile.
        """
        env = os.environ if env is None else env
        unknown = sorted(set(data) - set(cls.MAPPING_KEYS))
        if unknown:
            raise LokiConfigError(f"unknown Loki setting {unknown[0]!r} (known: {', '.join(cls.MAPPING_KEYS)})")

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, str):
                raise LokiConfigError(f"Loki setting {key!r} must be a string")
            return value

        token = text("token")
        if text("token_file"):
            token = _read_secret(text("token_file") or "", "bearer token")
        if text("token_env"):
            token = env.get(text("token_env") or "") or None
            if token is None:
                raise LokiConfigError(f"Loki setting token_env names {text('token_env')}, which is not set")
        password = text("password")
        if text("password_file"):
            password = _read_secret(text("password_file") or "", "password")
        if text("password_env"):
            password = env.get(text("password_env") or "")
            if password is None:
                raise LokiConfigError(f"Loki setting password_env names {text('password_env')}, which is not set")
        username = text("username")
        if password and not username:
            raise LokiConfigError("Loki setting password needs username")
        raw_tenants = data.get("tenants", data.get("tenant", data.get("org_id")))
        if raw_tenants is not None and not isinstance(raw_tenants, str | list | tuple):
            raise LokiConfigError("Loki setting tenants must be a string ('a|b') or a list of strings")
        insecure = data.get("insecure", False)
        if not isinstance(insecure, bool):
            raise LokiConfigError("Loki setting insecure must be true or false")
        timeout = data.get("timeout", 60.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool):
            raise LokiConfigError("Loki setting timeout must be a number of seconds")
        url = text("url")
        if not url:
            raise LokiConfigError("Loki settings need a url")
        return cls(
            url=url,
            bearer=token or None,
            basic=(username, password or "") if username else None,
            tenants=split_tenants(raw_tenants),
            ca_file=text("ca_file"),
            cert_file=text("cert_file"),
            key_file=text("key_file"),
            insecure=insecure,
            timeout=float(timeout),
        )


def _safe_url(url: str) -> str:
    """A URL with any user information removed, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.username is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
