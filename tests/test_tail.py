"""``meshtail tail`` and ``meshtail demo``: the headless live pipeline, end to end."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys

from meshtail.commands.live import EXIT_OK, LiveRun, run_live
from meshtail.query import compile_filter
from meshtail.sources.kube.follow import FollowOptions
from meshtail.sources.kube.live import Selection

from .conftest import eventually


async def test_tail_jsonl_follows_filters_and_matches_the_schema(demo, validator) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    stop = asyncio.Event()
    run = LiveRun(
        kubeconfig=demo.kubeconfig_path,
        selection=Selection(all_namespaces=True),
        query=compile_filter("outcome:deny OR cat:config"),
        output="jsonl",
        quiet=True,
    )
    task = asyncio.create_task(run_live(run, out, stop))
    await eventually(lambda: len(demo.server._streams) >= 12)
    await eventually(lambda: any("authorizationpolicies?watch=1" in path for _, path in demo.state.requests))
    for _ in range(150):
        demo.mesh.tick()
    demo.mesh._toggle_details_viewer()
    await eventually(lambda: '"resource.update"' in out.getvalue() and '"authz.deny"' in out.getvalue())
    stop.set()
    assert await task == EXIT_OK
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    for event in events:
        validator.validate(event)
        assert event["outcome"] == "deny" or event["category"] == "config"
    denial = next(e for e in events if e["action"] == "authz.deny" and e["format"] == "envoy-text")
    assert denial["source"]["namespace"] and denial["source"]["pod"] and denial["source"]["container"]
    assert denial["attributes"]["k8s.log.timestamp"].endswith("Z"), "the kubelet timestamp is kept"


async def test_no_follow_drains_what_is_there_and_exits(demo, validator, capsys) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        demo.mesh.tick()
    out = io.StringIO()
    run = LiveRun(
        kubeconfig=demo.kubeconfig_path,
        selection=Selection(namespaces=["bookinfo"]),
        options=FollowOptions(follow=False),
        output="jsonl",
    )
    assert await asyncio.wait_for(run_live(run, out), 20) == EXIT_OK
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    lines = [e for e in events if e["format"] not in ("meshtail", "k8s-resource")]
    expected = sum(
        len(log.lines)
        for (ns, _, c), logs in demo.logs._logs.items()
        if ns == "bookinfo" and c == "istio-proxy"
        for log in logs[-1:]
    )
    assert len(lines) == expected
    assert {e["action"] for e in events if e["format"] == "k8s-resource"} == {"resource.observed"}
    assert "7 streams" in capsys.readouterr().err
    for event in events:
        validator.validate(event)


async def test_tail_with_tail_lines_and_duration(demo) -> None:  # type: ignore[no-untyped-def]
    for _ in range(30):
        demo.mesh.tick()
    out = io.StringIO()
    run = LiveRun(
        kubeconfig=demo.kubeconfig_path,
        selection=Selection(namespaces=["istio-system"], selector="istio=ingressgateway", config=False),
        options=FollowOptions(tail=2),
        duration=1.0,
        quiet=True,
    )
    assert await asyncio.wait_for(run_live(run, out), 10) == EXIT_OK
    text = [line for line in out.getvalue().splitlines() if "other/meshtail." not in line]
    assert len(text) == 2, "only the last two lines of a container that was already running"


def test_demo_command_runs_the_real_app_end_to_end(tmp_path, validator) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "meshtail.commands.cli",
            "demo",
            "--duration",
            "4",
            "--rate",
            "150",
            "--output",
            "jsonl",
            "--seed",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(events) > 200
    for event in events[:400]:
        validator.validate(event)
    kinds = {e["source"]["kind"] for e in events}
    assert {"sidecar", "gateway", "ztunnel", "istiod", "waypoint", "apiserver"} <= kinds
    assert any(e["outcome"] == "deny" for e in events)
    assert "streams" in result.stderr and "Traceback" not in result.stderr


def test_demo_serve_prints_a_kubeconfig_kubectl_can_use(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "demo.kubeconfig"
    result = subprocess.run(
        [sys.executable, "-m", "meshtail", "demo", "--serve", "--duration", "1", "--kubeconfig-out", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == 0, result.stderr
    assert f"kubeconfig: {path}" in result.stderr and "https://127.0.0.1:" in result.stderr
    config = json.loads(path.read_text())
    assert config["users"][0]["user"]["token"] and config["clusters"][0]["cluster"]["certificate-authority-data"]
    assert oct(path.stat().st_mode & 0o777) == "0o600", "the file holds a bearer token"


def test_ctrl_c_ends_cleanly_with_every_written_line_complete(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import signal
    import time

    with open(tmp_path / "out.jsonl", "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "meshtail", "demo", "--rate", "300", "--output", "jsonl"],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
        )
        time.sleep(4)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) > 300 and all(json.loads(line) for line in lines), "flushed, and no half-written line"
    assert f"{len(lines)} events written" in err and "Traceback" not in err


def test_tail_on_a_real_cluster_does_not_load_the_simulator_or_textual():
    """`meshtail tail` imports what following a cluster needs, not the demo server, cryptography or Textual."""
    import subprocess
    import sys

    code = (
        "import sys, meshtail.commands.cli, meshtail.commands.live, meshtail.sources.kube.live\n"
        "heavy = ('cryptography', 'textual')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('meshtail.demo')]\n"
        "print(loaded)\n"
        "import meshtail.demo.run\n"  # the premise: the demo really pulls these in
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'cryptography'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == "['cryptography']"


async def test_a_log_option_the_api_refuses_is_said_once_not_asked_for_ever(demo) -> None:  # type: ignore[no-untyped-def]
    """Found by an outside audit: `tail --no-follow --since 0` asked sinceSeconds=0 of every stream, the API
    answered 422 Invalid each time, and meshtail reconnected for ever (109 reconnects in 30 s, never exiting)."""
    out = io.StringIO()
    run = LiveRun(
        kubeconfig=demo.kubeconfig_path,
        selection=Selection(namespaces=["bookinfo"]),
        options=FollowOptions(follow=False, since_seconds=0),
        output="jsonl",
    )
    assert await asyncio.wait_for(run_live(run, out), 30) is not None
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    errors = [e for e in events if e["action"] == "meshtail.stream.error"]
    assert errors and all("sinceSeconds" in e["summary"] for e in errors), "the premise: the API refused the option"
    assert not [e for e in events if e["action"] == "meshtail.stream.reconnect"], "no stream asked again"


def test_since_zero_is_no_limit_as_kubectl() -> None:
    """kubectl leaves sinceSeconds unset for --since=0; a part of a second is asked as one second."""
    import argparse

    from meshtail.commands.kube_args import follow_options_from_args

    def options(since: float | None) -> FollowOptions:
        return follow_options_from_args(argparse.Namespace(since=since, tail=None, stall_timeout=120.0))

    assert options(0.0).since_seconds is None
    assert options(0.4).since_seconds == 1
    assert options(600.0).since_seconds == 600
    assert options(None).since_seconds is None


def test_a_reader_that_closes_the_output_is_said_in_the_summary() -> None:
    """Found by an outside audit: `meshtail demo -o jsonl | head -2` ended saying "10123 events written"."""
    child = subprocess.Popen(
        [sys.executable, "-m", "meshtail", "demo", "-o", "jsonl", "--duration", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))},
    )
    assert child.stdout is not None
    taken = [child.stdout.readline() for _ in range(2)]
    assert all(json.loads(line) for line in taken), "the premise: events were written"
    child.stdout.close()  # as head does after its lines
    _, err = child.communicate(timeout=60)
    summary = err.decode().strip().splitlines()[-1]
    assert child.returncode == 0, err
    assert "events written before the output's reader closed it" in summary, summary
    written = int(summary.split("at most ", 1)[1].split()[0])
    assert 2 <= written < 10_000, summary
