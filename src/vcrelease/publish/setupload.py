"""Upload a co-released set as one: the index side of ``vc-upload`` and ``vcrelease promote``
with the files of several projects (the rules are
:mod:`vcrelease.publish.sets`).

:func:`upload_set`:

1. **Preflight of every file of every project** before any byte is sent, as
   :func:`vcrelease.publish.upload.upload_checked` does for one project (the listing read, same
   bytes skipped, other bytes refuse, a volatile devpi index refused unless allowed); one
   member refused refuses the whole set: nothing of any project is uploaded.
2. **Upload in dependency order** (:func:`vcrelease.publish.sets.dependency_order`), each
   project through :func:`vcrelease.publish.upload.publish` (wheels first, the sdist last;
   the re-read after a failure; its verification, so a project is live with our bytes
   before the projects that depend on it go). A project that fails stops the set: the
   report says which files of the set are live and which were not uploaded, so a re-run
   finishes it (the files already there are skipped).
3. **Verify the set**: after the last upload every file of every project is read again and
   must be listed with our sha256 (an earlier project replaced meanwhile is seen here).

One twine repository (one connection pool) serves the whole set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import requests

from ..errors import EXIT_NETWORK, EXIT_OK, EXIT_REFUSED, InterruptedRun
from .dists import Plan, requires_dist
from .options import UploadOptions
from .preflight import FileStep
from .sets import check_pins, dependency_order
from .simpleapi import IndexUnavailableError
from .target import Target
from .twineadapter import twine_uploader
from .upload import Report, overwrite_guard, publish, settled_steps, upload_checked

__all__ = ["OrderedSet", "SetReport", "order_set", "upload_plans", "upload_set"]


@dataclass(frozen=True)
class OrderedSet:
    """The plans of a co-released set, checked and in upload order (:func:`order_set`).

    Attributes:
        plans: one per project, each after the members its requirements name.
        versions: project (PEP 503 normalised) -> the version of its files.
        requires: project -> its ``Requires-Dist`` strings (:func:`.dists.requires_dist`).
    """

    plans: tuple[Plan, ...]
    versions: dict[str, str]
    requires: dict[str, tuple[str, ...]]


def order_set(plans: Sequence[Plan]) -> OrderedSet:
    """Read each plan's ``Requires-Dist``, check that the members' pins of each other agree
    with their versions (:func:`.sets.check_pins`), and order them for upload
    (:func:`.sets.dependency_order`): what ``vc-upload`` and ``vcrelease promote`` do with a
    set before any request.

    Raises:
        ConfigError: the pins disagree, the requirements form a cycle, or the metadata
            cannot be read (exit 2).
    """
    versions = {p.project: p.version for p in plans}
    requires = {p.project: requires_dist(p) for p in plans}
    check_pins(versions, requires)
    by_name = {p.project: p for p in plans}
    ordered = tuple(by_name[name] for name in dependency_order(requires))
    return OrderedSet(ordered, versions, requires)


@dataclass(frozen=True)
class SetReport:
    """The result of :func:`upload_set`.

    Attributes:
        reports: one :class:`vcrelease.publish.upload.Report` per project, in upload order
            (each with its files and their actions and outcomes; its ``exit_code`` and
            ``message`` are that project's).
        exit_code: 0 done, 1 refused (nothing uploaded by this run, or another build's bytes
            are live), 4 index or network failure, 5 credentials rejected.
        message: one paragraph for the set: the outcome, the upload order, and for a failure
            which files are live and what to do.
        dry_run: nothing was uploaded on purpose.
    """

    reports: tuple[Report, ...]
    exit_code: int
    message: str
    dry_run: bool = False

    @property
    def order(self) -> tuple[str, ...]:
        """The projects in upload order."""
        return tuple(r.plan.project for r in self.reports)


def _held(report: Report) -> Report:
    """``report`` with every file not uploaded by this run marked so."""
    steps = tuple(
        replace(s, outcome="not-uploaded") if s.action == "upload" and s.outcome is None else s
        for s in report.steps
    )
    return replace(report, steps=steps)


def upload_plans(
    session: requests.Session,
    target: Target,
    plans: Sequence[Plan],
    settings: Any,
    options: UploadOptions,
) -> Report | SetReport:
    """:func:`upload_set` for the plans of several projects (in upload order),
    :func:`vcrelease.publish.upload.upload_checked` for one; arguments and errors as theirs."""
    if len(plans) > 1:
        return upload_set(session, target, plans, settings, options)
    return upload_checked(session, target, plans[0], settings, options)


def _names(plans: Sequence[Plan]) -> str:
    return ", ".join(f"{p.project} {p.version}" for p in plans)


def upload_set(
    session: requests.Session,
    target: Target,
    plans: Sequence[Plan],
    settings: Any,
    options: UploadOptions,
) -> SetReport:
    """Preflight every project, upload them in the order given, verify the set (module
    docstring).

    Args:
        plans: one per project, in upload order (:func:`.sets.dependency_order`).
        settings: twine's ``Settings`` (``create_repository()`` makes the uploader).
        options: as :func:`vcrelease.publish.upload.upload_checked`; every project is
            checked as a dry run first.

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
        InterruptedRun: Ctrl-C during an upload; its message lists the files of the set that
            are live and says that a re-run finishes the set.
    """
    order = " -> ".join(p.project for p in plans)
    overwrites = overwrite_guard(session, target)  # asked once for the whole set
    checking = replace(options, dry_run=True)
    checked = [
        upload_checked(session, target, plan, settings, checking, overwrites=overwrites)
        for plan in plans
    ]
    refused = [r for r in checked if r.exit_code != EXIT_OK]
    if refused:
        reports = tuple(_held(replace(r, dry_run=False)) for r in checked)
        said = " ".join(f"{r.plan.project} {r.plan.version}: {r.message}" for r in refused)
        return SetReport(
            reports,
            refused[0].exit_code,
            f"The set ({_names(plans)}) is refused as one: nothing of any of its projects was "
            f"uploaded. {said}",
        )
    if options.dry_run:
        todo = sum(1 for r in checked for s in r.steps if s.action == "upload")
        return SetReport(
            tuple(checked),
            EXIT_OK,
            f"Dry run: {todo} files to upload, in the order {order}; nothing sent.",
            True,
        )
    steps = [list(r.steps) for r in checked]
    guard = overwrites[1]
    repository = settings.create_repository()
    done: list[Report] = []
    try:
        uploader = twine_uploader(
            repository, quiet_stdout=options.quiet_stdout, timeout=target.timeout
        )
        for i, plan in enumerate(plans):
            options.log(
                f"set: {plan.project} {plan.version} ({i + 1} of {len(plans)}, order {order})"
            )
            try:
                report = publish(session, target, plan, steps[i], uploader, options, guard=guard)
            except InterruptedRun as exc:
                raise InterruptedRun(
                    f"{exc.message} Of the set ({order}): {_live_before(done)} Not started: "
                    f"{', '.join(p.project for p in plans[i + 1 :]) or 'none'}."
                ) from None
            done.append(report)
            if report.exit_code != EXIT_OK:
                rest = tuple(
                    _held(Report(p, _already_there(steps[j]), EXIT_OK, "not started"))
                    for j, p in enumerate(plans[i + 1 :], start=i + 1)
                )
                return SetReport(
                    (*done, *rest),
                    report.exit_code,
                    f"{plan.project} {plan.version}: {report.message} Of the set ({order}): "
                    f"{_live_before((*done, *rest))} Not uploaded: "
                    f"{', '.join(p.project for p in plans[i + 1 :]) or 'none'} (they depend "
                    "on it or come after it). Run the same command again to finish the set.",
                )
    finally:
        repository.close()
    return _verify_set(session, target, tuple(done), order, options)


def _already_there(steps: Sequence[FileStep]) -> tuple[FileStep, ...]:
    """A project not started: its files that the preflight found with our bytes are live."""
    return tuple(replace(s, outcome="skipped") if s.action == "skip" else s for s in steps)


def _live_before(done: Sequence[Report]) -> str:
    live = [
        s.file.filename
        for r in done
        for s in r.steps
        if s.outcome in ("uploaded", "found-on-index", "skipped")
    ]
    return f"live on the index: {', '.join(live)}." if live else "no file of it is live yet."


def _verify_set(
    session: requests.Session,
    target: Target,
    reports: tuple[Report, ...],
    order: str,
    options: UploadOptions,
) -> SetReport:
    """Read every project again: every file must be listed with our sha256."""
    wrong: list[FileStep] = []
    try:
        for report in reports:
            final = settled_steps(
                session,
                target,
                report.plan,
                lambda steps: all(s.action == "skip" for s in steps),
                clock=options.clock,
            )
            wrong.extend(f for f in final if f.action != "skip")
    except IndexUnavailableError as exc:
        live = _live_before(reports)
        return SetReport(
            reports,
            EXIT_NETWORK,
            f"The set ({order}) was uploaded, but the index could not be read to verify it "
            f"({exc.message}); {live} Check the index, or run the same command again when it "
            "answers: files already there with our bytes are skipped.",
        )
    if wrong:
        parts = "; ".join(
            f"{f.file.filename}: "
            + (
                "not listed"
                if f.action == "upload"
                else f"live sha256 {f.index_sha256}, ours {f.file.sha256}"
            )
            for f in wrong
        )
        replaced = any(f.action == "refuse" for f in wrong)
        return SetReport(
            reports,
            EXIT_REFUSED if replaced else EXIT_NETWORK,
            f"The set ({order}) was uploaded, but the last reading of the index does not "
            f"serve our bytes for every file ({parts}). "
            + (
                "Another run replaced them: check what is live and fix it by hand."
                if replaced
                else "Check the index before re-running."
            ),
        )
    uploaded = sum(
        1 for r in reports for s in r.steps if s.outcome in ("uploaded", "found-on-index")
    )
    total = sum(len(r.steps) for r in reports)
    return SetReport(
        reports,
        EXIT_OK,
        f"The set, in the order {order}: {uploaded} uploaded, {total - uploaded} already "
        "there; every file of every project is on the index with our sha256.",
    )
