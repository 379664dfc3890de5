"""Upload the files of a run to an index: the index side of ``vc-upload``, ``vcrelease
promote`` and ``vcrelease channel``. A project alone is a co-released set of one; several
projects are a set (its rules: :mod:`vcrelease.publish.sets`).

:func:`upload_set`:

1. **Preflight of every file of every project** before any byte is sent
   (:func:`vcrelease.publish.upload.check_project`: the listing read, same bytes skipped,
   other bytes refuse, a volatile devpi index refused unless allowed); one project refused
   refuses the run: nothing of any project is uploaded.
2. **Upload in dependency order** (:func:`vcrelease.publish.sets.dependency_order`), each
   project through :func:`vcrelease.publish.upload.publish` (wheels first, the sdist last;
   the re-read after a failure; its verification, so a project is live with our bytes
   before the projects that depend on it go). A project that fails stops the run: the
   report says which files are live and which were not uploaded, so a re-run finishes it
   (the files already there are skipped).
3. **Verify the set** (several projects): after the last upload every file of every project
   is read again and must be listed with our sha256 (an earlier project replaced meanwhile is
   seen here). A project alone was verified by its upload.

One twine repository (one connection pool) serves the whole run; none is made when every
file is already on the index. The result is one :class:`vcrelease.publish.report.Report`;
for a project alone its message is the project's.
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
from .report import LIVE_OUTCOMES, ProjectOutcome, Report, mark_not_uploaded
from .sets import check_pins, dependency_order
from .simpleapi import IndexUnavailableError
from .target import Target
from .twineadapter import Dist, Uploader, twine_uploader
from .upload import check_project, overwrite_guard, publish, settled_steps

__all__ = ["OrderedSet", "order_set", "upload_set"]


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


def _names(plans: Sequence[Plan]) -> str:
    return ", ".join(f"{p.project} {p.version}" for p in plans)


def upload_set(
    session: requests.Session,
    target: Target,
    plans: Sequence[Plan],
    settings: Any,
    options: UploadOptions,
) -> Report:
    """Preflight every project, upload them in the order given, verify (module docstring).

    Args:
        plans: one per project, in upload order (:func:`order_set`); one for a project alone.
        settings: twine's ``Settings`` (``create_repository()`` makes the uploader).
        options: the run's options (:class:`vcrelease.publish.options.UploadOptions`).

    Raises:
        IndexUnavailableError: the index cannot be read before the first upload (exit 4).
        ConfigError: a file to upload is not a valid distribution file (exit 2).
        InterruptedRun: Ctrl-C during an upload; its message lists the files that are live
            and says that a re-run finishes the run.
    """
    alone = len(plans) == 1
    order = " -> ".join(p.project for p in plans)
    overwrites = overwrite_guard(session, target)  # asked once for the whole run
    checked = [check_project(session, target, plan, options, overwrites) for plan in plans]
    refused = [c for c in checked if c.exit_code != EXIT_OK]
    if refused:
        outcomes = tuple(mark_not_uploaded(c) for c in checked)
        if alone:
            return Report.of(outcomes[0])
        said = " ".join(f"{c.plan.project} {c.plan.version}: {c.message}" for c in refused)
        return Report(
            outcomes,
            refused[0].exit_code,
            f"The set ({_names(plans)}) is refused as one: nothing of any of its projects was "
            f"uploaded. {said}",
        )
    todo = sum(1 for c in checked for s in c.steps if s.action == "upload")
    if options.dry_run:
        message = (
            f"Dry run: {todo} to upload, nothing sent."
            if alone
            else f"Dry run: {todo} files to upload, in the order {order}; nothing sent."
        )
        outcomes = tuple(replace(c, message=message, dry_run=True) for c in checked)
        return Report(outcomes, EXIT_OK, message, True)
    steps = [list(c.steps) for c in checked]
    guard = overwrites[1]
    # every file already there: twine is not needed (nor imported)
    repository = settings.create_repository() if todo else None
    done: list[ProjectOutcome] = []
    try:
        uploader: Uploader = (
            twine_uploader(repository, quiet_stdout=options.quiet_stdout, timeout=target.timeout)
            if repository is not None
            else _nothing_to_upload
        )
        for i, plan in enumerate(plans):
            if not alone:
                options.log(
                    f"set: {plan.project} {plan.version} ({i + 1} of {len(plans)}, order {order})"
                )
            try:
                outcome = publish(session, target, plan, steps[i], uploader, options, guard=guard)
            except InterruptedRun as exc:
                if alone:
                    raise
                raise InterruptedRun(
                    f"{exc.message} Of the set ({order}): {_live_before(done)} Not started: "
                    f"{', '.join(p.project for p in plans[i + 1 :]) or 'none'}."
                ) from None
            done.append(outcome)
            if outcome.exit_code != EXIT_OK:
                if alone:
                    return Report.of(outcome)
                rest = tuple(
                    mark_not_uploaded(
                        ProjectOutcome(p, _already_there(steps[j]), EXIT_OK, "not started")
                    )
                    for j, p in enumerate(plans[i + 1 :], start=i + 1)
                )
                return Report(
                    (*done, *rest),
                    outcome.exit_code,
                    f"{plan.project} {plan.version}: {outcome.message} Of the set ({order}): "
                    f"{_live_before((*done, *rest))} Not uploaded: "
                    f"{', '.join(p.project for p in plans[i + 1 :]) or 'none'} (they depend "
                    "on it or come after it). Run the same command again to finish the set.",
                )
    finally:
        if repository is not None:
            repository.close()
    if alone:
        return Report.of(done[0])
    return _verify_set(session, target, tuple(done), order, options)


def _nothing_to_upload(dist: Dist) -> tuple[int | None, str]:
    raise AssertionError(f"{dist.filename} was not to be uploaded")


def _already_there(steps: Sequence[FileStep]) -> tuple[FileStep, ...]:
    """A project not started: its files that the preflight found with our bytes are live."""
    return tuple(replace(s, outcome="skipped") if s.action == "skip" else s for s in steps)


def _live_before(done: Sequence[ProjectOutcome]) -> str:
    live = [s.file.filename for r in done for s in r.steps if s.outcome in LIVE_OUTCOMES]
    return f"live on the index: {', '.join(live)}." if live else "no file of it is live yet."


def _verify_set(
    session: requests.Session,
    target: Target,
    reports: tuple[ProjectOutcome, ...],
    order: str,
    options: UploadOptions,
) -> Report:
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
        return Report(
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
        return Report(
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
    return Report(
        reports,
        EXIT_OK,
        f"The set, in the order {order}: {uploaded} uploaded, {total - uploaded} already "
        "there; every file of every project is on the index with our sha256.",
    )
