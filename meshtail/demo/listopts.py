"""``resourceVersionMatch`` and ``sendInitialEvents`` on lists and watches, as a 1.31 API server judges them.

The list handler decodes ``ListOptions``, then runs apimachinery's ``ValidateListOptions``
(``pkg/apis/meta/internalversion/validation``) and answers any error as 422 Invalid on
``ListOptions.meta.k8s.io ""``; the storage layer then applies the match:

* ``Exact`` (and the legacy form: a ``resourceVersion`` with a ``limit`` and no match) reads the
  collection *as of* that revision from etcd: a compacted one is 410 ``The resourceVersion for the
  provided list is too old.``, one etcd has not reached is etcd's own error (a 500).
* ``NotOlderThan`` (and a bare ``resourceVersion``) is a floor: the watch cache waits a moment for
  a revision it has not reached, then gives up with 504 ``Timeout: Too large resource version``.

A 1.31 server has the WatchList feature gate off, so a watch may not name either parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

EXACT = "Exact"
NOT_OLDER_THAN = "NotOlderThan"
# etcd3/errors.go: what a read at a compacted revision answers
LIST_TOO_OLD = "The resourceVersion for the provided list is too old."
# what etcd answers a read at a revision it has not reached (surfaced unchanged, as a 500 with no reason)
FUTURE_REVISION = "etcdserver: mvcc: required revision is a future revision"

_MATCH = "resourceVersionMatch"
_WITH_CONTINUE = "resourceVersionMatch is forbidden when continue is provided"

Problem = tuple[str, str, str]  # (field, cause reason, message) as field.Error renders them


@dataclass(frozen=True)
class ListOptions:
    """The options that decide which revision a list is read at."""

    resource_version: str
    match: str
    continue_token: str
    send_initial_events: bool  # present at all (the API server decodes it into a *bool)

    @classmethod
    def of(cls, query: Mapping[str, str]) -> ListOptions:
        return cls(
            query.get("resourceVersion", ""),
            query.get("resourceVersionMatch", ""),
            query.get("continue", ""),
            "sendInitialEvents" in query,
        )


def _forbidden(name: str, detail: str) -> Problem:
    return (name, "FieldValueForbidden", f"Forbidden: {detail}")


def _not_supported(name: str, value: str, supported: tuple[str, ...]) -> Problem:
    allowed = ", ".join(_quote(s) for s in supported)
    return (name, "FieldValueNotSupported", f"Unsupported value: {_quote(value)}: supported values: {allowed}")


def _quote(text: str) -> str:
    """Go's %q for the printable strings these messages quote."""
    return json.dumps(text, ensure_ascii=False)


def problems(options: ListOptions, watch: bool) -> list[Problem]:
    """ValidateListOptions with the WatchList gate off (1.31), errors in its order."""
    return _watch_problems(options) if watch else _list_problems(options)


def _list_problems(options: ListOptions) -> list[Problem]:
    out: list[Problem] = []
    match = options.match
    if match:
        if not options.resource_version:
            out.append(_forbidden("resourceVersionMatch", f"{_MATCH} is forbidden unless resourceVersion is provided"))
        if options.continue_token:
            out.append(_forbidden("resourceVersionMatch", _WITH_CONTINUE))
        if match not in (EXACT, NOT_OLDER_THAN):
            out.append(_not_supported("resourceVersionMatch", match, (EXACT, NOT_OLDER_THAN, "")))
        if match == EXACT and options.resource_version == "0":
            detail = 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
            out.append(_forbidden("resourceVersionMatch", detail))
    if options.send_initial_events:
        out.append(_forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return out


def _watch_problems(options: ListOptions) -> list[Problem]:
    out: list[Problem] = []
    match = options.match
    if options.send_initial_events:
        if match != NOT_OLDER_THAN:
            detail = f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}"
            out.append(_forbidden("resourceVersionMatch", detail))
        detail = "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"
        out.append(_forbidden("sendInitialEvents", detail))
    if match:
        if not options.send_initial_events:
            detail = "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"
            out.append(_forbidden("resourceVersionMatch", detail))
        if match != NOT_OLDER_THAN:
            out.append(_not_supported("resourceVersionMatch", match, (NOT_OLDER_THAN,)))
        if options.continue_token:
            out.append(_forbidden("resourceVersionMatch", _WITH_CONTINUE))
    return out


def reads_exact(options: ListOptions, limit: int | None, revision: int | None) -> bool:
    """Whether the list is read at exactly ``revision`` (etcd ``WithRev``) rather than at the latest one.

    storage.ValidateListOptions: ``Exact``, or the legacy form (no match, a limit, a revision > 0).
    """
    if revision is None:
        return False
    return options.match == EXACT or (not options.match and limit is not None and limit > 0)


def served_from_storage(options: ListOptions, limit: int | None) -> bool:
    """Whether the cacher hands a ``NotOlderThan`` list to etcd (a limit on a non-zero revision), where a
    revision not reached yet is refused at once instead of after the watch cache's wait."""
    return limit is not None and limit > 0 and options.resource_version not in ("", "0")
