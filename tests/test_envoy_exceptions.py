"""Envoy's refusal texts pasted alone (meshtail/parse/envoy_exceptions.py, generated from Envoy's source).

When Envoy gives up on its bootstrap or its start it prints the exception's text alone to standard error, and a
NACK quotes it after the resource's name: no log template holds those texts, so without the table such a line
was unread (or only the failure-word fallback saw it).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from meshtail.parse import envoy_component
from meshtail.parse.envoy_exceptions import EXCEPTIONS

from .conftest import parse, verdict

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gen_envoy_exceptions", ROOT / "scripts" / "gen_envoy_exceptions.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("gen_envoy_exceptions", gen)
_spec.loader.exec_module(gen)


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # holdout115 (an Envoy issue on HTTP/3 listeners): the QUIC transport socket factory's refusal
        ("TLS Client Authentication is not supported over QUIC", ("envoy-component", "config", "failure", True)),
        # holdout41 (a Gloo thread, a second Envoy on the host): the hot restarter's domain socket, a markdown
        # table's border before it -- the start failed, no setting was refused
        (
            "| unable to bind domain socket with id=0 (see --base-id option)",
            ("envoy-component", "other", "failure", False),
        ),
        # holdout99 (envoyproxy/envoy sandboxes run with docker-compose): the access log's file, refused at start
        (
            "proxy_1        | unable to open file '/dev/stdout': Permission denied",
            ("envoy-component", "config", "failure", True),
        ),
        (
            "front-envoy_1       | unable to open file '/var/log/access.log': Permission denied`",
            ("envoy-component", "config", "failure", True),
        ),
    ],
)
def test_a_refusal_text_alone_is_envoys_and_says_what_failed(line: str, want: tuple[str, str, str, bool]) -> None:
    event = parse(line)
    assert verdict(event) == want
    assert event.attributes["meshtail.partial"] is True and event.attributes["envoy.exception"] in EXCEPTIONS


def test_a_texts_values_and_its_end_must_be_there() -> None:
    template = "TLS Client Authentication is not supported over QUIC"
    assert envoy_component.exception_template(template) is not None  # (the premise)
    # more words after the text, or the text cut short, are not the text
    assert envoy_component.exception_template(template + " and then some") is None
    assert envoy_component.exception_template(template[:-5]) is None
    # a value may not be empty: "unable to bind domain socket with id= (see --base-id option)" is not printed so
    assert envoy_component.exception_template("unable to bind domain socket with id= (see --base-id option)") is None


def test_a_nacks_resource_name_and_a_full_stop_either_way() -> None:
    # (found in review: the name's colon was eaten by its own pattern, and texts ending in "." never matched)
    text = "TLS Client Authentication is not supported over QUIC"
    for line in (f"listener_0: {text}", f"0.0.0.0_8443: {text}", f"outbound|443||x.svc.cluster.local: {text}"):
        assert envoy_component.exception_template(line) == (text, "config"), line
    dotted = "Abstract AF_UNIX sockets not supported."
    assert dotted in EXCEPTIONS  # (the premise: the table holds it with its full stop)
    for line in (dotted, dotted[:-1], dotted + "`"):
        assert envoy_component.exception_template(line, context=True) == (dotted, "config"), line


def test_prose_any_program_writes_needs_a_proxys_stream() -> None:
    # Envoy's "unable to open file '{}': {}" and "file {} does not exist" are any program's words: alone they say
    # nothing about who wrote them; in a stream a wrapper named after a proxy they are Envoy's
    for line in ("unable to open file '/tmp/x': Permission denied", "file /etc/foo does not exist"):
        assert parse(line).format == "unknown", line
    assert parse("proxy_1  | unable to open file '/tmp/x': Permission denied").format == "envoy-component"
    assert envoy_component.exception_template("file /etc/foo does not exist", context=True) is not None


def test_the_table_holds_no_text_of_a_request_or_of_too_few_words() -> None:
    assert len(EXCEPTIONS) > 1000
    for text, kind in EXCEPTIONS.items():
        fixed = text.replace("{}", " ")
        assert kind in ("config", "process", "crash"), text
        assert len(fixed.strip()) >= gen.MIN_FIXED and len(fixed.split()) >= gen.MIN_WORDS, text
    # a wire protocol's exception (thrift_proxy: "downstream connection is closed") is about traffic, not a setting
    assert "downstream connection is closed" not in EXCEPTIONS


def test_the_generator_builds_texts_from_every_way_envoy_writes_them() -> None:
    assert gen.message('"plain text here"') == "plain text here"
    assert gen.message('fmt::format("cluster {} has {} hosts", name, n)') == "cluster {} has {} hosts"
    assert gen.message('absl::StrCat("unknown cluster \'", name, "\'")') == "unknown cluster '{}'"
    assert gen.message('"invalid name " + name + " given"') == "invalid name {} given"
    assert gen.message('absl::StrFormat("bad value %s at %d", v, i)') == "bad value {} at {}"
    assert gen.message("some_variable") is None


@pytest.mark.skipif(
    not os.environ.get("MESHTAIL_GENERATOR_CHECK") or not gen.templates.ENVOY_MIRROR.exists(),
    reason="reads Envoy's history from a local mirror (~20 s): set MESHTAIL_GENERATOR_CHECK=1",
)
def test_the_file_is_current_with_envoys_sources() -> None:
    assert gen.main(["--check"]) == 0
