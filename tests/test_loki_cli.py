"""``--loki`` on the command line and in the TUI, against the demo's Loki stand-in.

The demo ships every line its simulated containers write into the stand-in with Promtail's
labels, so the same mesh can be read through the Kubernetes API and through Loki: the
audit events must be the same.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from meshtail.ingest import SourceSpec
from meshtail.settings.profiles import load
from meshtail.ui.app import MeshtailApp

ENV = {**os.environ, "PYTHONPATH": os.getcwd()}


def meshtail(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meshtail", *args], capture_output=True, text=True, env=ENV, timeout=timeout
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """``meshtail demo --serve --loki``: the API server and the Loki stand-in, traffic for 4 s."""
    kubeconfig = tmp_path_factory.mktemp("loki") / "kc"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meshtail.commands.cli",
            "demo",
            "--serve",
            "--loki",
            "--kubeconfig-out",
            str(kubeconfig),
            "--rate",
            "300",
            "--traffic-for",
            "4",
            "--duration",
            "120",
            "--seed",
            "5",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert server.stderr is not None
    url = None
    for _ in range(10):
        line = server.stderr.readline()
        found = re.search(r"Loki stand-in on (http://\S+)", line)
        if found:
            url = found.group(1)
            break
    assert url, "the server says where its Loki is"
    time.sleep(5)  # traffic stops after 4 s; from then on both hold the same lines
    yield url, kubeconfig
    server.terminate()
    server.wait(timeout=30)


def events(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def log_events(found: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [e for e in found if e["format"] not in ("meshtail", "k8s-resource")]


def test_scan_loki_reads_the_same_audit_events_as_the_kubernetes_api(served) -> None:  # type: ignore[no-untyped-def]
    url, kubeconfig = served
    loki = meshtail("scan", "--loki", url, "--since", "10m", "-o", "jsonl", "--no-redact")
    assert loki.returncode == 0, loki.stderr
    kube = meshtail("tail", "--kubeconfig", str(kubeconfig), "-A", "--no-follow", "-o", "jsonl", "-q", "--no-redact")
    assert kube.returncode == 0, kube.stderr
    from_loki, from_kube = log_events(events(loki.stdout)), log_events(events(kube.stdout))
    assert len(from_kube) > 500, "premise: the mesh wrote a good amount"
    assert all(e["source"]["kind"] == "loki" for e in from_loki)
    assert all(e["source"]["path"] == "demo" for e in from_loki), "the cluster label is carried"

    def key(e: dict) -> tuple:  # type: ignore[type-arg]
        s = e["source"]
        return (s["namespace"], s["pod"], s["container"], e["raw"])

    def verdict(e: dict) -> tuple:  # type: ignore[type-arg]
        return (e["category"], e["outcome"], e["violation"], e["action"], e["format"])

    loki_by = {key(e): verdict(e) for e in from_loki}
    missing = [k for k in map(key, from_kube) if k not in loki_by]
    assert not missing, f"{len(missing)} lines the API served are not in Loki: {missing[:2]}"
    differ = [e for e in from_kube if loki_by[key(e)] != verdict(e)]
    assert not differ, f"same line, other verdict through Loki: {differ[:1]}"
    assert Counter(key(e) for e in from_loki) == Counter(key(e) for e in from_loki if key(e) in loki_by)
    assert any(e["outcome"] == "deny" for e in from_loki), "denials come through Loki too"
    assert re.search(r"reading Loki at http://127\.0\.0\.1:\d+: \{namespace=~`\.\+`\}", loki.stderr)


def test_scan_loki_pushes_namespace_and_words_down_and_filters_the_rest(served) -> None:  # type: ignore[no-untyped-def]
    url, _ = served
    done = meshtail(
        "scan", "--loki", url, "--since", "10m", "-n", "bookinfo", "-f", "outcome:deny status:403", "-o", "jsonl"
    )
    assert done.returncode == 0, done.stderr
    found = log_events(events(done.stdout))
    assert found and all(e["source"]["namespace"] == "bookinfo" and e["outcome"] == "deny" for e in found)
    read = int(re.search(r"(\d+) lines", done.stderr).group(1))  # type: ignore[union-attr]
    everything = meshtail("scan", "--loki", url, "--since", "10m", "-o", "jsonl", "-q")
    assert read < len(everything.stdout.splitlines()) / 3, "Loki sent only the lines that can match"
    assert '{namespace="bookinfo"} |= "403"' in done.stderr, done.stderr  # the literal went to Loki


def test_loki_errors_are_one_line_and_loki_flags_need_loki() -> None:
    down = meshtail("scan", "--loki", "http://127.0.0.1:9", "--since", "1m")
    assert down.returncode == 1 and "127.0.0.1:9" in down.stderr and "Traceback" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1, down.stderr
    lonely = meshtail("scan", "--from", "2024-05-01T00:00:00Z")
    assert lonely.returncode == 2 and "--loki" in lonely.stderr
    both = meshtail("scan", "--loki", "http://127.0.0.1:9", "--since", "1h", "--from", "2024-05-01T00:00:00Z")
    assert both.returncode == 2 and "--since and --from" in both.stderr
    bad = meshtail("tail", "--loki", "http://127.0.0.1:9", "--from", "yesterday")
    assert bad.returncode == 2 and "yesterday" in bad.stderr


def test_a_profile_keeps_the_loki_source_and_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "profiles.toml"
    path.write_text(
        '[profiles.fleet]\nfilter = "outcome:deny"\n[profiles.fleet.loki]\nurl = "https://loki.example"\n'
        'tenants = ["team-a", "team-b"]\ntoken_file = "/run/secrets/loki"\n'
        '[profiles.typo.loki]\nurl = "https://loki.example"\ntennant = "a"\n'
    )
    profiles, problems = load(path)
    assert profiles["fleet"].loki["tenants"] == ["team-a", "team-b"]
    assert len(problems) == 1 and "typo" in problems[0] and "tennant" in problems[0]


async def test_the_tui_reads_the_demo_through_loki() -> None:
    app = MeshtailApp(SourceSpec("demo", demo_seed=4, demo_rate=200, demo_loki=True))
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if len(app.main_screen.views["auth"]) > 0:
                break
        shown = [e for i in app.main_screen.views["all"].indices if (e := app.store.get(i)) is not None]
        assert any(e.source.kind == "loki" and e.format != "meshtail" for e in shown)
        assert len(app.main_screen.views["auth"]) > 0, "denials reach the Auth pane through Loki"
        # (the status line is redrawn at most three times a second: a loaded CI run read it before its first
        # redraw after the events came, "0 stored")
        for _ in range(50):
            if "loki http://127.0.0.1" in str(app.main_screen.query_one("#status").render()):
                break
            await pilot.pause(0.1)
        assert "loki http://127.0.0.1" in str(app.main_screen.query_one("#status").render())
        for _ in range(50):  # the history is read, then the tail follows
            await pilot.pause(0.1)
            if any(s.state == "following" for s in app.ingest.source.streams.values()):  # type: ignore[union-attr]
                break
        await pilot.press("h")
        await pilot.pause(0.3)
        health = str(app.screen.query_one("#health").render())
        assert re.search(r"^loki +following +[\d,]+", health, re.M), health  # the health panel covers Loki


def test_what_the_loki_stand_in_served_arrives_once(tmp_path: Path) -> None:
    """``--loki-sent-log`` records every entry Loki served; the events ``tail --loki`` wrote are judged against it."""
    from meshtail.demo.sentlog import compare

    sent, out = tmp_path / "loki-sent.log", tmp_path / "out.jsonl"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "meshtail", "demo", "--serve", "--loki", "--loki-sent-log", str(sent)),
            *("--rate", "400", "--traffic-for", "6", "--duration", "60", "--seed", "8"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert server.stderr is not None
    try:
        url = None
        for _ in range(10):
            found = re.search(r"Loki stand-in on (http://\S+)", server.stderr.readline())
            if found:
                url = found.group(1)
                break
        assert url
        done = meshtail("tail", "--loki", url, "-o", "jsonl", "--no-redact", "-q", "--duration", "10")
        assert done.returncode == 0, done.stderr
        out.write_text(done.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = compare(sent, out)
    assert len(result.served) > 1000, "premise: history and the live tail both served lines"
    assert not result.duplicated, result.duplicated[:3]
    assert not result.unexplained, result.unexplained[:3]
