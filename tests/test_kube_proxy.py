"""Connection options as kubectl has them: proxies (kubeconfig ``proxy-url``, ``$HTTPS_PROXY``/``$NO_PROXY``),
``--as``/``--as-group`` impersonation and ``--request-timeout``.

The proxy is a real HTTP CONNECT proxy (tinyproxy, from Debian) run for each test, and real
kubectl runs beside meshtail as the oracle of what the same kubeconfig and environment mean.
That traffic went through the proxy is proved by counting: every connection the stand-in
accepted is one tinyproxy opened (one CONNECT line in its log each).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from meshtail.commands.cli import build_parser, build_tui_parser
from meshtail.commands.live import EXIT_INPUT, EXIT_OK, EXIT_USAGE, LiveRun, run_live
from meshtail.demo.run import Demo, kubeconfig_text, write_kubeconfig
from meshtail.sources.kube.config import ConfigError, ConnectOptions, connect, proxy_for, use_options
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import Selection

from .conftest import eventually

needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed (.ci/run installs it)"
)
needs_tinyproxy = pytest.mark.skipif(
    shutil.which("tinyproxy") is None,
    reason="tinyproxy is not installed (the proxy tests run a real CONNECT proxy: apt-get install -y tinyproxy)",
)
PROXY_ENV = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture(autouse=True)
def _clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the proxy variables it means; none leak in from the machine running the tests."""
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)


# ---- a real CONNECT proxy ------------------------------------------------------------------


@dataclass
class Tinyproxy:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connects(self, target: str) -> int:
        """How many CONNECT tunnels to ``target`` (host:port) tinyproxy opened so far."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count(f"CONNECT {target} HTTP/1.1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_tinyproxy(directory: Path, auth: tuple[str, str] | None = None) -> Tinyproxy:
    port = _free_port()
    log = directory / "tinyproxy.log"
    config = directory / "tinyproxy.conf"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 600",
        f'LogFile "{log}"',
        "LogLevel Info",
        "MaxClients 200",
    ]
    if auth is not None:
        lines.append(f"BasicAuth {auth[0]} {auth[1]}")
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        ["tinyproxy", "-d", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"tinyproxy did not start: {log.read_text() if log.exists() else ''}") from None
            time.sleep(0.05)
    return Tinyproxy(port, log, process)


@pytest.fixture
def tinyproxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    if shutil.which("tinyproxy") is None:
        pytest.skip(
            "tinyproxy is not installed (the proxy tests run a real CONNECT proxy: apt-get install -y tinyproxy)"
        )
    directory = tmp_path / "tinyproxy"
    directory.mkdir()
    proxy = _start_tinyproxy(directory)
    yield proxy
    proxy.process.terminate()
    proxy.process.wait(5)


@pytest.fixture
def auth_tinyproxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    if shutil.which("tinyproxy") is None:
        pytest.skip(
            "tinyproxy is not installed (the proxy tests run a real CONNECT proxy: apt-get install -y tinyproxy)"
        )
    directory = tmp_path / "tinyproxy-auth"
    directory.mkdir()
    proxy = _start_tinyproxy(directory, ("meshtail", "s3cret-pw"))
    yield proxy
    proxy.process.terminate()
    proxy.process.wait(5)


def _hostname() -> tuple[str, str] | None:
    """This machine's name and the address it resolves to: a host Go proxies (it is neither localhost nor an IP)."""
    name = socket.gethostname()
    if not name or name == "localhost" or name.replace(".", "").isdigit():
        return None
    try:
        return name, socket.gethostbyname(name)
    except OSError:
        return None


@pytest.fixture
async def named_demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """A stand-in reached by this machine's host name (not loopback by name), so ``$HTTPS_PROXY`` applies to it."""
    found = _hostname()
    if found is None:
        pytest.skip("this machine's host name does not resolve to an address the stand-in can listen on")
    name, address = found
    stand_in = Demo(seed=5, rate=0, config_every=0, churn_every=0)
    stand_in.logs.keep_removed = True
    try:
        await stand_in.start(traffic=False, host=address, name=name)
    except OSError as exc:
        pytest.skip(f"cannot listen on {address} ({name}): {exc}")
    path = tmp_path / "named-kubeconfig"
    write_kubeconfig(path, stand_in.kubeconfig())
    stand_in.kubeconfig_path = str(path)  # type: ignore[attr-defined]
    yield stand_in
    await stand_in.stop()


# ---- helpers -------------------------------------------------------------------------------


def _kubeconfig_with(demo: Demo, path: Path, **cluster: Any) -> str:
    config = json.loads(demo.kubeconfig())
    config["clusters"][0]["cluster"].update(cluster)
    path.write_text(json.dumps(config))
    return str(path)


def _target(demo: Demo) -> str:
    return demo.url.split("://", 1)[1]


async def _kubectl(kubeconfig: str, tmp: Path, *args: str, timeout: float = 30.0) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        kubeconfig,
        "--cache-dir",
        str(tmp / "kube-cache"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode(), err.decode()


async def _tail_bookinfo(kubeconfig: str, connection: ConnectOptions | None = None) -> tuple[int, list[dict[str, Any]]]:
    """``meshtail tail -n bookinfo --no-follow -o jsonl``: exit status and the events."""
    out = io.StringIO()
    run = LiveRun(
        kubeconfig=kubeconfig,
        selection=Selection(namespaces=["bookinfo"], config=False),
        options=FollowOptions(follow=False),
        output="jsonl",
        quiet=True,
        connection=connection or ConnectOptions(),
    )
    code = await asyncio.wait_for(run_live(run, out), 30)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def _log_lines(events: list[dict[str, Any]]) -> list[str]:
    return [e["raw"] for e in events if e["format"] not in ("meshtail", "k8s-resource")]


def _bookinfo_proxy_lines(demo: Demo) -> int:
    return sum(
        len(logs[-1].lines)
        for (ns, _, container), logs in demo.logs._logs.items()
        if ns == "bookinfo" and container == "istio-proxy"
    )


# ---- proxies -------------------------------------------------------------------------------


def test_proxy_resolution_follows_go_rules() -> None:
    """The rules client-go gets from Go's http.ProxyFromEnvironment, and proxy-url's precedence."""
    env = {"HTTPS_PROXY": "proxy.corp:3128", "HTTP_PROXY": "http://plain.corp:80", "NO_PROXY": ""}
    via = proxy_for("https://api.example.com:6443", None, env)
    assert via is not None and via.url == "http://proxy.corp:3128" and via.origin == "$HTTPS_PROXY"
    assert proxy_for("http://api.example.com", None, env).url == "http://plain.corp:80"  # type: ignore[union-attr]
    assert proxy_for("https://api.example.com", None, {"HTTP_PROXY": "http://p:1"}) is None, "no fallback to HTTP_PROXY"
    assert proxy_for("https://api.example.com", None, {"https_proxy": "http://lower:1"}).url == "http://lower:1"  # type: ignore[union-attr]
    for server in ("https://localhost:6443", "https://127.0.0.1:6443", "https://127.9.9.9", "https://[::1]:6443"):
        assert proxy_for(server, None, env) is None, f"{server}: loopback never goes to an environment proxy"
    for no_proxy, server, exempt in [
        ("*", "https://api.example.com", True),
        ("example.com", "https://api.example.com", True),
        ("example.com", "https://example.com", True),
        (".example.com", "https://example.com", False),
        ("*.example.com", "https://api.example.com", True),
        ("example.com:443", "https://api.example.com:6443", False),
        ("example.com:6443", "https://api.example.com:6443", True),
        ("10.0.0.0/8", "https://10.1.2.3:6443", True),
        ("10.0.0.0/8", "https://11.1.2.3:6443", False),
        ("10.1.2.3", "https://10.1.2.3", True),
        ("other.com, example.com", "https://api.example.com", True),
        ("ample.com", "https://api.example.com", False),
    ]:
        found = proxy_for(server, None, env | {"NO_PROXY": no_proxy})
        assert (found is None) == exempt, (no_proxy, server)
    # the kubeconfig's proxy-url wins, even over NO_PROXY, and even for loopback
    pinned = proxy_for("https://127.0.0.1:6443", "http://user:pw@10.9.9.9:8080", env | {"NO_PROXY": "*"})
    assert pinned is not None and pinned.origin == "proxy-url in the kubeconfig"
    assert pinned.display == "http://10.9.9.9:8080", "messages never show the proxy's credentials"
    with pytest.raises(ConfigError, match="SOCKS proxies are not supported"):
        proxy_for("https://api.example.com", "socks5://10.9.9.9:1080")


@needs_tinyproxy
@needs_kubectl
async def test_tail_reads_logs_through_the_kubeconfig_proxy_url(demo, tinyproxy: Tinyproxy, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for _ in range(20):
        demo.mesh.tick()
    kubeconfig = _kubeconfig_with(demo, tmp_path / "proxied", **{"proxy-url": tinyproxy.url})
    target = _target(demo)
    # the premise: real kubectl, with this kubeconfig, goes through the proxy (proxy-url applies even to loopback)
    code, _out, err = await _kubectl(kubeconfig, tmp_path, "get", "pods", "-n", "bookinfo", "-o", "name")
    assert code == 0, err
    assert tinyproxy.connects(target) >= 1
    before_connects, before_peers, before_requests = (
        tinyproxy.connects(target),
        len(demo.state.peers),
        len(demo.state.requests),
    )
    code, events = await _tail_bookinfo(kubeconfig)
    assert code == EXIT_OK
    assert len(_log_lines(events)) == _bookinfo_proxy_lines(demo) > 0, "every line, read through the proxy"
    tunnels = tinyproxy.connects(target) - before_connects
    peers = set(list(demo.state.peers)[before_peers:])
    assert len(demo.state.requests) - before_requests > 7, "discovery, the pod list, seven log streams"
    assert tunnels >= 1 and len(peers) == tunnels, "every connection the stand-in saw is one tinyproxy opened"


@needs_tinyproxy
@needs_kubectl
async def test_environment_proxy_and_no_proxy_as_kubectl_applies_them(  # type: ignore[no-untyped-def]
    named_demo: Demo, demo, tinyproxy: Tinyproxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named, target = named_demo.kubeconfig_path, _target(named_demo)  # type: ignore[attr-defined]
    monkeypatch.setenv("HTTPS_PROXY", tinyproxy.url)
    # a host name: kubectl goes through $HTTPS_PROXY, and so does meshtail
    code, _out, err = await _kubectl(named, tmp_path, "get", "pods", "-n", "bookinfo")
    assert code == 0, err
    assert tinyproxy.connects(target) >= 1, "the premise: kubectl used $HTTPS_PROXY for this server"
    before = tinyproxy.connects(target)
    code, events = await _tail_bookinfo(named)
    assert code == EXIT_OK and len(_log_lines(events)) == _bookinfo_proxy_lines(named_demo)
    assert tinyproxy.connects(target) > before
    # NO_PROXY names it: both go direct
    monkeypatch.setenv("NO_PROXY", f"example.com,{target.split(':')[0]}")
    before = tinyproxy.connects(target)
    code, _out, err = await _kubectl(named, tmp_path, "get", "pods", "-n", "bookinfo")
    assert code == 0, err
    code, events = await _tail_bookinfo(named)
    assert code == EXIT_OK and _log_lines(events)
    assert tinyproxy.connects(target) == before, "NO_PROXY: neither kubectl nor meshtail used the proxy"
    monkeypatch.delenv("NO_PROXY")
    # loopback by address: Go never proxies it from the environment; meshtail neither
    loopback = demo.kubeconfig_path
    before_all = tinyproxy.log.read_text().count("CONNECT ")
    code, _out, err = await _kubectl(loopback, tmp_path, "get", "pods", "-n", "bookinfo")
    assert code == 0, err
    code, events = await _tail_bookinfo(loopback)
    assert code == EXIT_OK and _log_lines(events)
    assert tinyproxy.log.read_text().count("CONNECT ") == before_all
    # proxy-url beats the environment: a dead $HTTPS_PROXY does not matter when the kubeconfig names a proxy
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_free_port()}")
    pinned = _kubeconfig_with(named_demo, tmp_path / "pinned", **{"proxy-url": tinyproxy.url})
    before = tinyproxy.connects(target)
    code, _out, err = await _kubectl(pinned, tmp_path, "get", "pods", "-n", "bookinfo")
    assert code == 0, err
    code, events = await _tail_bookinfo(pinned)
    assert code == EXIT_OK and _log_lines(events)
    assert tinyproxy.connects(target) >= before + 2


@needs_tinyproxy
async def test_proxy_failures_are_one_line_naming_the_proxy_not_its_credentials(  # type: ignore[no-untyped-def]
    demo, auth_tinyproxy: Tinyproxy, tmp_path: Path
) -> None:
    async def tail(kubeconfig: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "meshtail.commands.cli",
            "tail",
            "--kubeconfig",
            kubeconfig,
            "-n",
            "bookinfo",
            "--no-follow",
            "--no-config",
            "-o",
            "jsonl",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
        _out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, err.decode()

    port = auth_tinyproxy.port
    # wrong password: tinyproxy refuses the CONNECT (407 without credentials, 401 with wrong ones)
    wrong = _kubeconfig_with(demo, tmp_path / "wrong", **{"proxy-url": f"http://meshtail:not-the-pw@127.0.0.1:{port}"})
    code, err = await tail(wrong)
    assert code == EXIT_INPUT
    (line,) = err.splitlines()
    assert re.fullmatch(
        f"meshtail: connect to {re.escape(demo.url)}: the proxy http://127.0.0.1:{port} "
        rf"\(proxy-url in the kubeconfig\) refused to connect to {re.escape(demo.url)}: 40[17] \w[\w ]+",
        line,
    ), line
    assert "not-the-pw" not in err
    # nothing listening there
    dead = _free_port()
    gone = _kubeconfig_with(demo, tmp_path / "gone", **{"proxy-url": f"http://meshtail:s3cret-pw@127.0.0.1:{dead}"})
    code, err = await tail(gone)
    assert code == EXIT_INPUT and len(err.splitlines()) == 1, err
    assert err.startswith(f"meshtail: connect to {demo.url}: cannot reach the proxy http://127.0.0.1:{dead} (proxy-url")
    assert "s3cret-pw" not in err and "Traceback" not in err
    # the right credentials: through the authenticating proxy (the credentials are sent, as Proxy-Authorization)
    right = _kubeconfig_with(demo, tmp_path / "right", **{"proxy-url": f"http://meshtail:s3cret-pw@127.0.0.1:{port}"})
    code, events = await _tail_bookinfo(right)
    assert code == EXIT_OK and len(_log_lines(events)) == _bookinfo_proxy_lines(demo)
    assert auth_tinyproxy.connects(_target(demo)) >= 2


# ---- impersonation -------------------------------------------------------------------------


@needs_kubectl
async def test_as_and_as_group_reach_the_server_on_every_request(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    expected = ("alice", ("devs", "ops", "system:authenticated"))
    # the premise: the stand-in reads impersonation as real kubectl sends it
    code, _out, err = await _kubectl(
        demo.kubeconfig_path, tmp_path, "--as", "alice", "--as-group", "devs", "--as-group", "ops", "get", "pods"
    )
    assert code == 0, err
    kubectl_seen = {(user, groups) for _path, user, groups in demo.state.identities}
    assert kubectl_seen == {expected}
    demo.state.identities.clear()
    args = build_parser().parse_args(
        ["tail", "--kubeconfig", demo.kubeconfig_path, "--as", "alice", "--as-group", "devs", "--as-group", "ops"]
    )
    from meshtail.commands.cli import _live_run

    run = _live_run(args)
    assert isinstance(run, LiveRun)
    code, events = await _tail_bookinfo(demo.kubeconfig_path, run.connection)
    assert code == EXIT_OK and _log_lines(events)
    seen = list(demo.state.identities)
    assert len(seen) > 7 and {(user, groups) for _path, user, groups in seen} == {expected}, "every request, logs too"
    assert any("/log?" in path for path, *_ in seen), "log requests carry them too"


async def test_impersonated_identity_is_what_authorization_judges(demo, capsys) -> None:  # type: ignore[no-untyped-def]
    demo.state.deny_for["alice"] = {"bookinfo"}
    code, events = await _tail_bookinfo(demo.kubeconfig_path)
    assert code == EXIT_OK and _log_lines(events), "the token's own user may read bookinfo"
    capsys.readouterr()
    code, _events = await _tail_bookinfo(demo.kubeconfig_path, ConnectOptions("alice"))
    assert code == EXIT_INPUT
    assert (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "bookinfo"'
        in (capsys.readouterr().err)
    )
    demo.state.deny_for.clear()
    demo.state.allow_impersonation = False
    code, _events = await _tail_bookinfo(demo.kubeconfig_path, ConnectOptions("alice", ("devs",)))
    assert code == EXIT_INPUT
    assert (
        'users "alice" is forbidden: User "meshtail-demo" cannot impersonate resource "users"'
        in capsys.readouterr().err
    )


@needs_kubectl
async def test_as_group_without_as_is_refused_as_kubectl_refuses_it(demo, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = await _kubectl(demo.kubeconfig_path, tmp_path, "--as-group", "devs", "get", "pods")
    assert code != 0 and "without impersonating a user" in err, "the premise: kubectl refuses before sending"
    from meshtail.commands.cli import _live_run

    args = build_parser().parse_args(["tail", "--kubeconfig", demo.kubeconfig_path, "--as-group", "devs"])
    assert _live_run(args) == EXIT_USAGE
    assert "--as-group needs --as" in capsys.readouterr().err


def test_tui_and_kubeconfig_impersonation_reach_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI's flags apply to its ingest thread's connect(); a kubeconfig user's ``as`` applies without flags."""
    import meshtail.commands.tui as tui_main

    path = tmp_path / "kubeconfig"
    config = json.loads(kubeconfig_text("https://127.0.0.1:1", "token"))
    path.write_text(json.dumps(config))
    monkeypatch.setattr(tui_main, "run_tui", lambda *a, **k: EXIT_OK)
    args = build_tui_parser().parse_args(
        ["--kubeconfig", str(path), "--as", "bob", "--as-group", "sre", "--request-timeout", "1m"]
    )
    try:
        assert tui_main.tui_from_args(args) == EXIT_OK
        cluster = asyncio.run(connect(str(path)))  # as the ingest thread calls it: no options passed
        assert cluster.options == ConnectOptions("bob", ("sre",), 60.0)
    finally:
        use_options(ConnectOptions())
    assert asyncio.run(connect(str(path))).options == ConnectOptions()
    config["users"][0]["user"] |= {"as": "carol", "as-groups": ["auditors"]}
    path.write_text(json.dumps(config))
    assert asyncio.run(connect(str(path))).options.impersonate_groups == ("auditors",)
    flagged = asyncio.run(connect(str(path), options=ConnectOptions("dave")))
    assert (flagged.options.impersonate_user, flagged.options.impersonate_groups) == ("dave", ("auditors",))


# ---- request timeout -----------------------------------------------------------------------


@needs_kubectl
async def test_request_timeout_bounds_requests_not_streams(demo, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    demo.state.delay = 1.0  # a slow API server: every answer but log streams and watches takes a second
    # the premise: kubectl's --request-timeout gives up on this server, and waits without one
    code, _out, err = await _kubectl(demo.kubeconfig_path, tmp_path, "--request-timeout=300ms", "get", "ns")
    assert code != 0 and ("Timeout" in err or "deadline" in err), err
    code, _out, err = await _kubectl(demo.kubeconfig_path, tmp_path, "--request-timeout=0", "get", "ns")
    assert code == 0, err
    args = build_parser().parse_args(["tail", "--kubeconfig", demo.kubeconfig_path, "--request-timeout", "300ms"])
    from meshtail.commands.cli import _live_run

    run = _live_run(args)
    assert isinstance(run, LiveRun) and run.connection.request_timeout == 0.3
    began = time.monotonic()
    code, _events = await _tail_bookinfo(demo.kubeconfig_path, run.connection)
    assert code == EXIT_INPUT and time.monotonic() - began < 1.0
    assert (
        f"connect to {demo.url}: no answer from {demo.url} within 0.3s (--request-timeout)" in capsys.readouterr().err
    )
    code, events = await _tail_bookinfo(demo.kubeconfig_path, ConnectOptions(request_timeout=0))
    assert code == EXIT_OK and _log_lines(events), "0: no timeout, as in kubectl"
    # a followed stream outlives the timeout: lines written long after it still arrive
    demo.state.delay = 0.0
    out = io.StringIO()
    stop = asyncio.Event()
    run = LiveRun(
        kubeconfig=demo.kubeconfig_path,
        selection=Selection(namespaces=["bookinfo"], config=False),
        output="jsonl",
        quiet=True,
        connection=ConnectOptions(request_timeout=0.5),
    )
    task = asyncio.create_task(run_live(run, out, stop))
    await eventually(lambda: len(demo.server._streams) >= 7)
    await asyncio.sleep(1.5)
    demo.mesh._one("bookinfo", "details").logs["istio-proxy"].append("written after the request timeout")
    await eventually(lambda: "written after the request timeout" in out.getvalue())
    stop.set()
    assert await task == EXIT_OK
