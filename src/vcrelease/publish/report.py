"""The upload report: what one run of ``vc-upload``, ``vcrelease promote`` or ``vcrelease
channel`` did with every file of every project.

One shape for every run: a project alone is a co-released set of one
(:func:`vcrelease.publish.setupload.upload_set`), so its report is a :class:`Report` with one
:class:`ProjectOutcome`, rendered by the same table and JSON document as a set's
(:mod:`vcrelease.cli.report`).

A file is *live* when the index serves our bytes under its name: the outcomes in
:data:`LIVE_OUTCOMES` say so. ``unknown`` is neither live nor not live (the upload got no
answer and the index did not list it yet, or could not be read after it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .dists import Plan
from .policy import Action
from .preflight import FileStep

__all__ = ["LIVE_OUTCOMES", "ProjectOutcome", "Report", "held_back", "mark_not_uploaded"]

LIVE_OUTCOMES = frozenset({"uploaded", "found-on-index", "skipped"})
"""Outcomes of a file whose bytes (ours) the index serves: uploaded by this run, found there
after an upload that failed or got no answer, or there before the run."""


@dataclass(frozen=True)
class ProjectOutcome:
    """One project of a run: its files and what happened to each.

    Attributes:
        plan: the project's files (one version).
        steps: one per file, in upload order (wheels first, the sdist last).
        exit_code: this project's: 0 done, 1 refused, 4 index or network failure, 5
            credentials rejected (:mod:`vcrelease.errors`).
        message: one paragraph: this project's outcome, and for a failure what to do.
        dry_run: nothing was uploaded on purpose.
    """

    plan: Plan
    steps: tuple[FileStep, ...]
    exit_code: int
    message: str
    dry_run: bool = False


@dataclass(frozen=True)
class Report:
    """The result of a run: one :class:`ProjectOutcome` per project, in upload order.

    Attributes:
        projects: one per project, in upload order (dependencies first); one for a project
            alone.
        exit_code: the run's: 0 done, 1 refused (nothing uploaded by this run, or another
            build's bytes are live), 4 index or network failure, 5 credentials rejected.
        message: one paragraph for the run: the outcome, and for a failure which files are
            live and what to do.
        dry_run: nothing was uploaded on purpose.
    """

    projects: tuple[ProjectOutcome, ...]
    exit_code: int
    message: str
    dry_run: bool = False

    @property
    def order(self) -> tuple[str, ...]:
        """The projects (PEP 503 normalised names) in upload order."""
        return tuple(p.plan.project for p in self.projects)

    @property
    def steps(self) -> tuple[FileStep, ...]:
        """Every file of every project, in upload order."""
        return tuple(s for p in self.projects for s in p.steps)

    @classmethod
    def of(cls, outcome: ProjectOutcome) -> Report:
        """The report of a run of one project: its outcome is the run's."""
        return cls((outcome,), outcome.exit_code, outcome.message, outcome.dry_run)


def held_back(plans: Sequence[Plan], action: Action, reason: str, exit_code: int) -> Report:
    """The report of a run stopped before the index was read (the release policy refused or
    skipped it): every file of every plan with ``action`` and ``reason`` and the outcome
    ``not-uploaded``."""
    outcomes = tuple(
        ProjectOutcome(
            plan,
            tuple(FileStep(f, action, reason, outcome="not-uploaded") for f in plan.files),
            exit_code,
            reason,
        )
        for plan in plans
    )
    return Report(outcomes, exit_code, reason)


def mark_not_uploaded(outcome: ProjectOutcome) -> ProjectOutcome:
    """``outcome`` with every file this run was to upload and did not marked ``not-uploaded``."""
    steps = tuple(
        replace(s, outcome="not-uploaded") if s.action == "upload" and s.outcome is None else s
        for s in outcome.steps
    )
    return replace(outcome, steps=steps)
