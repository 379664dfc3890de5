"""The upload report, shown: a rich table or one JSON object, the same for ``vc-upload``,
``vcrelease promote`` and ``vcrelease channel``.

The report itself (:class:`vcrelease.publish.report.Report`, one shape for a project alone
and for a co-released set) is made by the publish stage; this
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
    from ..publish.report import Report

__all__ = ["REPORT_FORMAT", "policy_json", "report_json", "show_report"]

REPORT_FORMAT = 2
"""``format`` of the JSON document (:func:`report_json`). 2: one shape for a project alone
and for a set (``projects``, ``order``, ``set`` added to a project's document; ``project`` and
``version`` added to a set's, null for several projects); every key of 1 is kept."""


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
    """One document for every run and outcome (:data:`REPORT_FORMAT`):

    - ``format`` (2), ``set`` (true for several projects), ``order`` (project names, upload
      order), ``project`` and ``version`` (the project's, for a project alone; null for a
      set);
    - ``policy`` (``action``, ``reason``), ``dry_run``, ``exit_code``, ``message``;
    - ``projects``: in upload order, each ``project``, ``version``, ``exit_code``,
      ``message``, ``files``;
    - ``files``: every file of the run in upload order, each with ``project``, ``filename``,
      ``sha256``, ``size``, ``action``, ``reason``, ``index_sha256``, ``outcome`` and ``live``
      (true, false, or null for unknown);
    - for a failure, ``error`` (``type``: ``Refused`` for exit 1, else ``Failed``;
      ``message``).
    """
    alone = report.projects[0].plan if len(report.projects) == 1 else None
    out: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "set": alone is None,
        "order": list(report.order),
        "project": alone.project if alone is not None else None,
        "version": alone.version if alone is not None else None,
        "policy": policy,
        "dry_run": report.dry_run,
        "exit_code": report.exit_code,
        "message": report.message,
        "projects": [
            {
                "project": p.plan.project,
                "version": p.plan.version,
                "exit_code": p.exit_code,
                "message": p.message,
                "files": [_file_json(s) for s in p.steps],
            }
            for p in report.projects
        ],
        "files": [
            {"project": p.plan.project, **_file_json(s)} for p in report.projects for s in p.steps
        ],
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
        "live": _live(s.outcome),
    }


def _live(outcome: str | None) -> bool | None:
    """``live`` of a file in the JSON report: true (our bytes are on the index:
    :data:`vcrelease.publish.report.LIVE_OUTCOMES`), null (unknown: the upload got no answer,
    or the index could not be read after it), false (anything else)."""
    from ..publish.report import LIVE_OUTCOMES

    if outcome in LIVE_OUTCOMES:
        return True
    return None if outcome == "unknown" else False


def _table(report: Report, policy_reason: str) -> None:
    """One table for every run: the title names the project (or the set in upload order),
    a row per file; a set's rows are numbered and grouped by project."""
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    names = [f"{p.plan.project} {p.plan.version}" for p in report.projects]
    several = len(names) > 1
    title = (f"set, in upload order: {' -> '.join(names)}" if several else names[0]) + (
        " (dry run)" if report.dry_run else ""
    )
    table = Table(title=title, caption=f"policy: {policy_reason}")
    columns = ("#", "project", "file", "action", "outcome", "reason")
    for column in columns if several else columns[2:]:
        table.add_column(column, overflow="fold")
    for n, (name, p) in enumerate(zip(names, report.projects, strict=True), start=1):
        for k, s in enumerate(p.steps):
            cells = [s.file.filename, s.action, s.outcome or "-", s.reason]
            if several:
                cells = [str(n) if k == 0 else "", name if k == 0 else "", *cells]
            table.add_row(*cells)
        if several:
            table.add_section()
    console.print(table)
    if report.exit_code == EXIT_OK:
        console.print(report.message)
