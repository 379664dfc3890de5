"""The upload report, shown: a rich table or one JSON object, the same for ``vc-upload``,
``vcrelease promote`` and ``vcrelease channel``.

The report itself (:class:`vcrelease.publish.upload.Report`) is made by the publish stage; this
module only renders it (``docs/architecture.md``, "Upload"). rich is imported only when a table
is printed.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from ..errors import EXIT_OK

if TYPE_CHECKING:
    from ..publish.policy import Decision
    from ..publish.preflight import FileStep
    from ..publish.setupload import SetReport
    from ..publish.upload import Report

__all__ = [
    "policy_json",
    "report_json",
    "set_report_json",
    "show_report",
    "show_result",
    "show_set_report",
]


def policy_json(decision: Decision) -> dict[str, str]:
    """The ``policy`` part of the report for a :class:`vcrelease.publish.policy.Decision`."""
    return {"action": decision.action, "reason": decision.reason}


def show_report(
    report: Report, policy: dict[str, str], fmt: str, *, prog: str = "vc-upload"
) -> None:
    """Print ``report`` as ``fmt`` (``table`` or ``json``) on stdout, and for a failure its
    message on stderr, prefixed with ``prog``."""
    if fmt == "json":
        print(json.dumps(report_json(report, policy), indent=2))
    else:
        _table(report, policy["reason"])
    if report.exit_code != EXIT_OK:
        print(f"{prog}: error: {report.message}", file=sys.stderr)


def report_json(report: Report, policy: dict[str, str]) -> dict[str, Any]:
    """One shape for every outcome: ``project``, ``version``, ``policy`` (``action``,
    ``reason``), ``dry_run``, ``exit_code``, ``message``, ``files`` (each with ``action``,
    ``outcome``, ``live`` (true, false, or null for unknown), ``reason``, hashes), and for a
    failure ``error`` (``type``, ``message``)."""
    out = {
        "project": report.plan.project,
        "version": report.plan.version,
        "policy": policy,
        "dry_run": report.dry_run,
        "exit_code": report.exit_code,
        "message": report.message,
        "files": [_file_json(s) for s in report.steps],
    }
    if report.exit_code != EXIT_OK:
        out["error"] = {"type": "Refused" if report.exit_code == 1 else "Failed",
                        "message": report.message}  # fmt: skip
    return out


def _file_json(s: FileStep) -> dict[str, Any]:
    return {
        "filename": s.file.filename,
        "sha256": s.file.sha256,
        "size": s.file.size,
        "action": s.action,
        "reason": s.reason,
        "index_sha256": s.index_sha256,
        "outcome": s.outcome,
        "live": _LIVE.get(s.outcome or "", False),
    }


_LIVE: dict[str, bool | None] = {
    "uploaded": True,
    "found-on-index": True,
    "skipped": True,
    "unknown": None,
}
"""``live`` of a file in the JSON report: true (our bytes are on the index), null (unknown:
the upload got no answer, or the index could not be read after it), false (anything else)."""


def show_result(
    result: Report | SetReport, policy: dict[str, str], fmt: str, *, prog: str = "vc-upload"
) -> None:
    """:func:`show_set_report` for a set's result, :func:`show_report` for one project's."""
    from ..publish.setupload import SetReport

    if isinstance(result, SetReport):
        show_set_report(result, policy, fmt, prog=prog)
    else:
        show_report(result, policy, fmt, prog=prog)


def show_set_report(
    report: SetReport, policy: dict[str, str], fmt: str, *, prog: str = "vc-upload"
) -> None:
    """:func:`show_report` for a co-released set (:class:`vcrelease.publish.setupload.
    SetReport`): the projects in upload order, each with its files."""
    if fmt == "json":
        print(json.dumps(set_report_json(report, policy), indent=2))
    else:
        _set_table(report, policy["reason"])
    if report.exit_code != EXIT_OK:
        print(f"{prog}: error: {report.message}", file=sys.stderr)


def set_report_json(report: SetReport, policy: dict[str, str]) -> dict[str, Any]:
    """A set's report: ``set`` (true), ``order`` (project names, upload order), ``projects``
    (in that order, each ``project``, ``version``, ``files``), ``files`` (every file of the
    set in upload order, each with its ``project``), ``policy``, ``dry_run``, ``exit_code``,
    ``message``, and for a failure ``error`` (``type``, ``message``)."""
    out: dict[str, Any] = {
        "set": True,
        "order": list(report.order),
        "policy": policy,
        "dry_run": report.dry_run,
        "exit_code": report.exit_code,
        "message": report.message,
        "projects": [
            {
                "project": r.plan.project,
                "version": r.plan.version,
                "files": [_file_json(s) for s in r.steps],
            }
            for r in report.reports
        ],
        "files": [
            {"project": r.plan.project, **_file_json(s)} for r in report.reports for s in r.steps
        ],
    }
    if report.exit_code != EXIT_OK:
        out["error"] = {"type": "Refused" if report.exit_code == 1 else "Failed",
                        "message": report.message}  # fmt: skip
    return out


def _set_table(report: SetReport, policy_reason: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    order = " -> ".join(f"{r.plan.project} {r.plan.version}" for r in report.reports)
    title = f"set, in upload order: {order}" + (" (dry run)" if report.dry_run else "")
    table = Table(title=title, caption=f"policy: {policy_reason}")
    for column in ("#", "project", "file", "action", "outcome", "reason"):
        table.add_column(column, overflow="fold")
    for n, r in enumerate(report.reports, start=1):
        for k, s in enumerate(r.steps):
            first = k == 0
            table.add_row(
                str(n) if first else "",
                f"{r.plan.project} {r.plan.version}" if first else "",
                s.file.filename,
                s.action,
                s.outcome or "-",
                s.reason,
            )
        table.add_section()
    console.print(table)
    if report.exit_code == EXIT_OK:
        console.print(report.message)


def _table(report: Report, policy_reason: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    title = f"{report.plan.project} {report.plan.version}" + (
        " (dry run)" if report.dry_run else ""
    )
    table = Table(title=title, caption=f"policy: {policy_reason}")
    for column in ("file", "action", "outcome", "reason"):
        table.add_column(column, overflow="fold")
    for s in report.steps:
        table.add_row(s.file.filename, s.action, s.outcome or "-", s.reason)
    console.print(table)
    if report.exit_code == EXIT_OK:
        console.print(report.message)
