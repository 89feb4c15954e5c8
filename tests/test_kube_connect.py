"""Connecting as kubectl does, and saying clearly what is wrong when it cannot."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from meshtail.commands.live import EXIT_INPUT, EXIT_USAGE, LiveRun, run_live
from meshtail.demo.run import kubeconfig_text
from meshtail.sources.kube.client import KubeClient
from meshtail.sources.kube.config import ConfigError, connect
from meshtail.sources.kube.errors import KubeError
from meshtail.sources.kube.live import Selection


async def test_no_kubeconfig_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match=r"no kubeconfig found: \$KUBECONFIG is not set and ~/.kube/config"):
        await connect()
    with pytest.raises(ConfigError, match="kubeconfig '/nope' does not exist"):
        await connect("/nope")


async def test_unknown_context_lists_the_known_ones(demo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"context 'prod' not found in .*; available: meshtail-demo"):
        await connect(demo.kubeconfig_path, "prod")


async def test_merged_kubeconfig_files_and_context_namespace(demo, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other"
    text = json.loads(kubeconfig_text("https://127.0.0.1:1", "x", None, "default", "other"))
    text["current-context"] = "other"
    other.write_text(json.dumps(text))
    monkeypatch.setenv("KUBECONFIG", f"{other}:{demo.kubeconfig_path}")
    cluster = await connect(context="meshtail-demo")
    assert cluster.host == demo.url and cluster.namespace == "bookinfo" and cluster.context == "meshtail-demo"
    assert (await connect()).context == "other", "the first file's current-context wins, as in kubectl"


async def test_exec_credential_plugin_is_rerun_after_a_401(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    token_file = tmp_path / "token"
    token_file.write_text("first-token")
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, pathlib, sys\n"
        f"token = pathlib.Path({str(token_file)!r}).read_text()\n"
        "json.dump({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',"
        " 'status': {'token': token}}, sys.stdout)\n"
    )
    config = json.loads(demo.kubeconfig())
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        }
    }
    path = tmp_path / "exec-kubeconfig"
    path.write_text(json.dumps(config))
    demo.state.tokens = {"first-token"}
    cluster = await connect(str(path))
    async with KubeClient(cluster) as client:
        assert (await client.get_json("/api"))["kind"] == "APIVersions"
        demo.state.tokens = {"second-token"}  # the old token expires; the plugin now hands out a new one
        token_file.write_text("second-token")
        assert (await client.get_json("/api"))["kind"] == "APIVersions"
    statuses = [path for method, path in demo.state.requests if path == "/api"]
    assert len(statuses) == 3, "one 401, then the retry with the refreshed token"


async def test_client_errors_name_the_problem(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cluster = await connect(demo.kubeconfig_path)
    async with KubeClient(cluster) as client:
        with pytest.raises(KubeError, match=r"not found \(404\)"):
            await client.get_json("/api/v1/namespaces/bookinfo/pods/nope", what="get pod nope")
        demo.state.tokens = {"someone-else"}
        with pytest.raises(KubeError, match=r"rejected the credentials \(401 Unauthorized\)"):
            await client.get_json("/api", what="connect")
    # a kubeconfig without the CA: the server's certificate is not trusted
    config = json.loads(demo.kubeconfig())
    del config["clusters"][0]["cluster"]["certificate-authority-data"]
    path = tmp_path / "no-ca"
    path.write_text(json.dumps(config))
    async with KubeClient(await connect(str(path))) as client:
        with pytest.raises(KubeError, match=r"TLS certificate of https://127.0.0.1:\d+ not trusted"):
            await client.get_json("/api", what="connect")
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:9"  # nothing listens on the discard port
    path.write_text(json.dumps(config))
    async with KubeClient(await connect(str(path))) as client:
        with pytest.raises(KubeError, match=r"cannot reach the API server at https://127.0.0.1:9"):
            await client.get_json("/api", what="connect")


async def test_insecure_skip_tls_verify_works_with_a_warning(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = json.loads(demo.kubeconfig())
    cluster_cfg = config["clusters"][0]["cluster"]
    del cluster_cfg["certificate-authority-data"]
    cluster_cfg["insecure-skip-tls-verify"] = True
    path = tmp_path / "insecure"
    path.write_text(json.dumps(config))
    cluster = await connect(str(path))
    assert cluster.insecure and "TLS verification is OFF" in cluster.warnings[0]
    async with KubeClient(cluster) as client:
        assert (await client.get_json("/api"))["kind"] == "APIVersions"


async def test_tail_exit_codes_and_messages(demo, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert await run_live(LiveRun(kubeconfig=demo.kubeconfig_path, context="nope"), io.StringIO()) == EXIT_USAGE
    assert "context 'nope' not found" in capsys.readouterr().err
    demo.state.deny_namespaces.add("bookinfo")
    run = LiveRun(kubeconfig=demo.kubeconfig_path, selection=Selection(namespaces=["bookinfo"]))
    assert await run_live(run, io.StringIO()) == EXIT_INPUT
    err = capsys.readouterr().err
    assert 'cannot list resource "pods" in API group "" in the namespace "bookinfo"' in err
    assert "Traceback" not in err


async def test_a_moment_of_503_is_asked_again_and_a_lasting_one_is_named(demo) -> None:  # type: ignore[no-untyped-def]
    """Found by an outside audit: one 503 at start made `tail` exit 1, and one during discovery switched config
    watching off for the whole run. A 502/503/504 is asked again a few times with back-off before anyone hears of
    it; one that lasts is named with how often it came; the throttle's give-up says it gave up."""
    async with KubeClient(await connect(demo.kubeconfig_path)) as client:
        demo.state.unavailable_next = 4
        listed = await client.get_json("/api/v1/pods")
        assert listed["items"] and client.unavailable == 4 and demo.state.faulted["503"] == 4  # the premise
        demo.state.unavailable_next = 5
        with pytest.raises(KubeError, match=r"HTTP 503 5 times in a row; gave up"):
            await client.get_json("/api/v1/pods")
        demo.state.throttle_next = 6
        with pytest.raises(KubeError, match=r"throttled by the API server \(429\) 6 times in a row; gave up"):
            await client.get_json("/api/v1/pods")


async def test_mesh_config_discovery_is_tried_again_until_it_answers(demo) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from meshtail.sources.kube.mesh_resources import watch_mesh_config

    events = []
    demo.state.error_rate = 1.0  # the API server answers 503 to everything, for a while
    async with KubeClient(await connect(demo.kubeconfig_path)) as client:
        task = asyncio.create_task(watch_mesh_config(client, None, events.append, follow=True))
        for _ in range(200):
            await asyncio.sleep(0.05)
            if any("trying again" in e.summary for e in events):
                break
        assert any(e.action == "meshtail.watch.error" and "trying again" in e.summary for e in events), "said so"
        demo.state.error_rate = 0.0
        for _ in range(400):
            await asyncio.sleep(0.05)
            if any(e.action == "meshtail.watch.start" for e in events):
                break
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    assert any(e.action == "meshtail.watch.start" for e in events), [e.summary for e in events]


async def test_a_server_url_with_credentials_in_it_is_refused_in_one_line(tmp_path: Path) -> None:
    """aiohttp refused such a URL beside a token with a traceback (an outside audit); the line names the context and
    the file, and never the password."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "c1", "user": "u1"}}],
        "clusters": [{"name": "c1", "cluster": {"server": "https://user:pw-SECRET@127.0.0.1:6443"}}],
        "users": [{"name": "u1", "user": {"token": "tok"}}],
    }
    path = tmp_path / "kc.json"
    path.write_text(json.dumps(config))
    said = r"context 'c' from .*kc\.json: the cluster's server URL https://\*\*\*@"
    with pytest.raises(ConfigError, match=said) as err:
        await connect(str(path))
    assert "SECRET" not in str(err.value) and "user:" not in str(err.value)


async def test_a_big_list_that_the_api_server_gzips_is_read(tmp_path: Path) -> None:
    """kube-apiserver gzips a whole answer over 128 KiB for a client that asks, and aiohttp asks: meshtail's client
    kept bodies compressed and read a namespace of a few dozen pods as "invalid JSON" (found when the stand-in
    began to answer as the API server does; every list of a real cluster that size failed the same way)."""

    from meshtail.demo.run import Demo, write_kubeconfig

    stand_in = Demo(seed=2, rate=0, config_every=0, churn_every=0, extra_pods=60)
    await stand_in.start(traffic=False)
    try:
        path = tmp_path / "kubeconfig"
        write_kubeconfig(path, stand_in.kubeconfig())
        async with KubeClient(await connect(str(path))) as client:
            listed = await client.get_json("/api/v1/namespaces/load/pods", what="list pods")
            assert len(listed["items"]) == 60
            # the premise: the stand-in sent that list gzipped to a client that asks as aiohttp does
            raw = await client.session.get(
                stand_in.url + "/api/v1/namespaces/load/pods",
                headers={"Authorization": f"Bearer {stand_in.token}", "Accept-Encoding": "gzip"},
                auto_decompress=False,
            )
            assert raw.headers.get("Content-Encoding") == "gzip"
            raw.release()
    finally:
        await stand_in.stop()
