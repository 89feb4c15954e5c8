"""Start the stand-in API server with the simulated mesh, and write a kubeconfig for it."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .mesh import Mesh
from .podlogs import PodLogs
from .server import ApiServer, ServerState
from .store import ObjectStore
from .tls import Certificates, generate

if TYPE_CHECKING:
    from .loki import LokiStandIn


def kubeconfig_text(
    server: str,
    token: str,
    ca_pem: bytes | None = None,
    namespace: str = "bookinfo",
    name: str = "meshtail-demo",
    exec_token_file: str | None = None,
) -> str:
    """A kubeconfig for the stand-in.  JSON is valid YAML, so kubectl and meshtail both read it.

    With ``exec_token_file`` the user authenticates through an exec credential plugin that
    reads that file (token rotation), as cloud providers' kubeconfigs do.
    """
    cluster: dict[str, str] = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": _user(token, exec_token_file)}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
        "current-context": name,
        "preferences": {},
    }
    return json.dumps(config, indent=2) + "\n"


def _user(token: str, exec_token_file: str | None) -> dict[str, object]:
    if exec_token_file is None:
        return {"token": token}
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-m", "meshtail.demo.credential", exec_token_file],
            "env": [{"name": "PYTHONPATH", "value": package_parent}],
            "interactiveMode": "Never",
            "provideClusterInfo": False,
        }
    }


def write_kubeconfig(path: str | os.PathLike[str], text: str) -> None:
    """Write the kubeconfig readable by its owner only (it holds the bearer token)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


class Demo:
    """The whole stand-in: object store, container logs, mesh simulation and HTTP server."""

    def __init__(
        self,
        seed: int = 1,
        rate: float = 40.0,
        extra_pods: int = 0,
        config_every: int = 150,
        churn_every: int = 250,
        deny_namespaces: set[str] | None = None,
        token: str | None = None,
        keep_lines: int = 100_000,
        exec_auth: bool = False,
        load_rate: float = 0.0,
        loki: bool = False,
    ) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self._tmp = tempfile.TemporaryDirectory(prefix="meshtail-demo-auth-") if exec_auth else None
        self.token_file = os.path.join(self._tmp.name, "token") if self._tmp else None
        if self.token_file:
            write_kubeconfig(self.token_file, self.token)
        self.store = ObjectStore()
        self.logs = PodLogs(keep_lines)
        self.mesh = Mesh(self.store, self.logs, seed, config_every, churn_every, extra_pods)
        # a Loki the mesh's logs are shipped to as they are written (``meshtail demo --loki``)
        self.loki: LokiStandIn | None = None
        self.loki_url = ""
        if loki:
            from .loki import LokiStandIn
            from .loki_feed import ship

            self.loki = LokiStandIn()
            ship(self.logs, self.loki)
        self.state = ServerState(tokens={self.token}, deny_namespaces=set(deny_namespaces or ()))
        self.server = ApiServer(self.store, self.logs, self.state)
        self.rate = rate
        self.load_rate = load_rate  # lines/s written to the extra pods on top of ``rate`` (benchmarks)
        self.url = ""
        self.certificates: Certificates | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._load_task: asyncio.Task[None] | None = None

    async def start(
        self,
        port: int = 0,
        traffic: bool = True,
        tls: bool = True,
        host: str = "127.0.0.1",
        name: str | None = None,
        loki_port: int = 0,
    ) -> str:
        """Listen on ``host`` (loopback unless told otherwise); ``name`` is the host name the URL and certificate use.

        A name other than ``localhost`` or a loopback address is what proxy tests need: kubectl
        (Go) never sends loopback traffic to ``$HTTPS_PROXY``.
        """
        self.mesh.bootstrap()
        self.certificates = generate(name or host) if tls else None
        context = self.certificates.server_context() if self.certificates else None
        self.url = await self.server.start(host, port, context)
        if self.loki is not None:
            self.loki_url = await self.loki.start(host, loki_port)
        if name:
            self.url = f"{'https' if tls else 'http'}://{name}:{self.server.port}"
        if traffic and self.rate > 0:
            self._task = asyncio.create_task(self.mesh.run(self.rate, self._stop), name="demo-traffic")
        if traffic and self.load_rate > 0:
            self._load_task = asyncio.create_task(self.mesh.run_load(self.load_rate, self._stop), name="demo-load")
        return self.url

    def kubeconfig(self, namespace: str = "bookinfo") -> str:
        ca = self.certificates.ca_pem if self.certificates else None
        return kubeconfig_text(self.url, self.token, ca, namespace, exec_token_file=self.token_file)

    def stop_traffic(self) -> None:
        """No more log lines; the server keeps serving (so slow readers can catch up)."""
        self._stop.set()

    def rotate_token(self) -> None:
        """The current token expires now; the exec plugin hands out the next one."""
        if self.token_file is None:
            return
        self.token = secrets.token_urlsafe(24)
        write_kubeconfig(self.token_file, self.token)
        self.state.tokens = {self.token}

    async def stop(self) -> None:
        self._stop.set()
        for task in (self._task, self._load_task):
            if task is not None:
                await task
        await self.server.stop()
        if self.loki is not None:
            await self.loki.stop()
        if self.state.sent_log is not None:
            self.state.sent_log.flush()
        if self._tmp is not None:
            self._tmp.cleanup()


@contextlib.contextmanager
def kubeconfig_file(demo: Demo, path: str | os.PathLike[str] | None = None) -> Iterator[str]:
    """The demo's kubeconfig written to ``path`` (kept afterwards), or to a private temporary
    directory removed on exit — the one way the TUI, ``tail`` and ``--serve`` point a client at it."""
    if path is not None:
        write_kubeconfig(path, demo.kubeconfig())
        yield os.fspath(path)
        return
    with tempfile.TemporaryDirectory(prefix="meshtail-demo-") as tmp:
        target = os.path.join(tmp, "kubeconfig")
        write_kubeconfig(target, demo.kubeconfig())
        yield target
