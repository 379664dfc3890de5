"""The index rules before any upload, as pure functions: for each file to upload, what the
index already lists under its name decides ``upload``, ``skip`` or ``refuse``.

The rules (``docs/architecture.md``, "Upload"), for every file before any byte is sent:

- the same file on the index with the same sha256: skip it (an idempotent re-run);
- the same file with another sha256: refuse the whole set, upload nothing;
- "the same file" is the same file name, or a name that means the same file
  (:func:`same_file_key`): for wheels the same normalised project, version, build tag and tags
  (PEP 427 and the binary distribution format, "File name convention"), for sdists the same
  normalised project and version (PEP 625 and the source distribution format), so
  ``Pawesome-1.0.tar.gz`` collides with ``pawesome-1.0.tar.gz``;
- one release, one spelling: versions equal under PEP 440 ("Version matching": ``3.0``,
  ``3.0.0`` and ``3.0.0.0`` are one version, as ``pip install vv==3.0`` finds) are one release,
  so the same-file key compares versions with trailing zeros stripped
  (``packaging.utils.canonicalize_version``): ``vv-3.0.tar.gz`` on the index is the same file
  as our ``vv-3.0.0.tar.gz`` (same bytes: skip; other bytes: refuse). Any other file of the
  project on the index whose version equals ours under PEP 440 but is spelled otherwise
  (``vv-3.0-py3-none-any.whl`` beside our ``3.0.0`` sdist) is another build of this release:
  it refuses the whole set, since installers would mix one build's wheel with the other's
  sdist, unless it is the same file as one of ours with our bytes. Files of our own
  spelling that we do not upload (another platform's wheel) are left alone;
- an index that would accept an overwrite (devpi volatile indexes, pypiserver ``--overwrite``)
  changes nothing for runs one after another: the check is ours, not the index's (runs at the
  same time: :mod:`vcrelease.publish.upload`, "Indexes that replace files").

Reading the index, and reading it again until a mismatch stays, is
:mod:`vcrelease.publish.upload`'s; this module only compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from .dists import DistFile, Plan
from .policy import Action
from .simpleapi import IndexFile

__all__ = [
    "FileStep",
    "Outcome",
    "compare",
    "other_spellings",
    "refusal_message",
    "release_of",
    "same_file_key",
]

Outcome = Literal["uploaded", "found-on-index", "skipped", "not-uploaded", "failed", "unknown"]
"""What happened to a file in the upload phase (:attr:`FileStep.outcome`)."""


@dataclass(frozen=True)
class FileStep:
    """One file's decision and what happened.

    Attributes:
        file: the distribution file.
        action: ``upload`` (not on the index), ``skip`` (there with our sha256) or ``refuse``
            (there with another sha256).
        reason: one sentence for the report.
        index_filename: the name the index lists for this file, when it lists one.
        index_sha256: the sha256 the index has for it, when it has one.
        outcome: after the run: ``uploaded``; ``found-on-index`` (the upload failed or got
            no answer, but the index now lists our bytes: this run's, or a concurrent run's
            with the same bytes); ``skipped``; ``not-uploaded``; ``failed``; ``unknown`` (the
            upload got no answer, or the index could not be read after it: the file may be
            live). None before the upload phase.
    """

    file: DistFile
    action: Action
    reason: str
    index_filename: str | None = None
    index_sha256: str | None = None
    outcome: Outcome | None = None


def same_file_key(filename: str) -> tuple[str, ...] | None:
    """What makes two file names the same file on an index, or None for other names.

    Wheels: (normalised project, version, build tag, sorted tags) (binary distribution format,
    "File name convention"); sdists: (normalised project, version) (source distribution
    format). Versions are compared as PEP 440 compares them: trailing zeros stripped
    (``canonicalize_version``), so ``1.0``, ``1.0.0`` and ``1.0.0.0`` are one version.
    """
    try:
        if filename.endswith(".whl"):
            name, version, build, tags = parse_wheel_filename(filename)
            build_text = "".join(map(str, build)) if build else ""
            tag_text = ".".join(sorted(str(t) for t in tags))
            return ("wheel", str(name), canonicalize_version(version), build_text, tag_text)
        if filename.endswith(".tar.gz"):
            name, version = parse_sdist_filename(filename)
            return ("sdist", str(name), canonicalize_version(version))
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def release_of(filename: str) -> tuple[str, Version] | None:
    """``(normalised project, version)`` of a wheel or sdist file name, or None."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        if filename.endswith(".tar.gz"):
            name, version = parse_sdist_filename(filename)
            return str(name), version
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def other_spellings(plan: Plan, listed: Mapping[str, IndexFile]) -> list[str]:
    """The listed files of ``plan``'s project whose version equals the plan's under PEP 440
    but is spelled otherwise (``3.0`` for our ``3.0.0``), sorted: another build of this
    release (module docstring)."""
    ours = Version(plan.version)
    found = []
    for name in listed:
        release = release_of(name)
        if release is None or release[0] != plan.project:
            continue
        if release[1] == ours and str(release[1]) != plan.version:
            found.append(name)
    return sorted(found)


def compare(
    plan: Plan, listed: Mapping[str, IndexFile], hashes: Mapping[str, str]
) -> list[FileStep]:
    """The preflight decision for each planned file (pure).

    Args:
        plan: the files to upload.
        listed: index file name -> listed file, for the project's page.
        hashes: index file name -> its sha256 (listed, or downloaded and hashed), for every
            listed file that is the same file as a planned one.

    Returns:
        One :class:`FileStep` per planned file, in plan order.
    """
    by_key: dict[tuple[str, ...], IndexFile] = {}
    for item in listed.values():
        key = same_file_key(item.filename)
        if key is not None:
            by_key.setdefault(key, item)
    ours = {same_file_key(d.filename): d.sha256 for d in plan.files}
    spelled = [
        name
        for name in other_spellings(plan, listed)
        if ours.get(same_file_key(name)) != hashes.get(name, "")
    ]
    steps = []
    for dist in plan.files:
        found = listed.get(dist.filename) or by_key.get(same_file_key(dist.filename) or ())
        if found is None and spelled:
            steps.append(
                FileStep(
                    dist,
                    "refuse",
                    f"the index holds {plan.version} spelled otherwise ({', '.join(spelled)}): "
                    "another build of this release",
                )
            )
            continue
        if found is None:
            steps.append(FileStep(dist, "upload", "not on the index"))
            continue
        theirs = hashes[found.filename]
        named = "" if found.filename == dist.filename else f" (as {found.filename})"
        if theirs == dist.sha256:
            steps.append(
                FileStep(
                    dist,
                    "skip",
                    f"already on the index{named} with the same sha256",
                    found.filename,
                    theirs,
                )
            )
        else:
            steps.append(
                FileStep(
                    dist,
                    "refuse",
                    f"on the index{named} with other bytes (sha256 {theirs[:12]}..., ours "
                    f"{dist.sha256[:12]}...)",
                    found.filename,
                    theirs,
                )
            )
    return steps


def refusal_message(steps: list[FileStep], version: str, *, dev_rule: str | None = None) -> str:
    """The one-paragraph message of a preflight refusal, the likeliest cause first from what
    the run can see: ``dev_rule`` is the dev-number rule in force (``run`` or ``commit-time``:
    one dev version means one commit, so a non-reproducible rebuild; ``distance`` or unknown:
    two commits the same distance past the tag, so the dev-number setting). A release
    version comes from one tag, so one commit: a non-reproducible rebuild of it."""
    from packaging.version import Version

    conflicts = "; ".join(
        f"{s.file.filename}: index {s.index_sha256}, ours {s.file.sha256}"
        for s in steps
        if s.action == "refuse" and s.index_sha256 is not None
    )
    spelled = sorted({s.reason for s in steps if s.action == "refuse" and s.index_sha256 is None})
    if spelled:
        return (
            f"Refused, nothing uploaded: {'; '.join(spelled)}. Versions equal under PEP 440 "
            f"(such as 3.0 and 3.0.0) are one release: an installer asking for {version} "
            "could take the wheel of one build and the sdist of the other. Upload the files "
            "of the build that is on the index, or give this build a new version."
        )
    head = (
        "Refused, nothing uploaded: files with these names are already on the index with other "
        f"bytes ({conflicts})."
    )
    reproducible = (
        "build with SOURCE_DATE_EPOCH=$(vcrelease version --source-date-epoch) so that "
        "rebuilding one commit gives the same bytes (then a re-run's upload is a skip)"
    )
    if Version(version).is_devrelease:
        two_commits = (
            "two commits on different branches the same number of commits past the last tag, "
            "counted by dev-number = 'distance'. Set dev-number = 'run' (or 'commit-time') in "
            "[tool.vcrelease], or VCRELEASE_DEV_NUMBER in the CI, so every build gets its own "
            "dev number"
        )
        if dev_rule in ("run", "commit-time"):
            return (
                f"{head} Two different builds produced one dev version, {version}. With "
                f"dev-number = '{dev_rule}' one dev version means one commit, so most likely "
                "it was built twice (a re-run) and the builds are not reproducible: "
                f"{reproducible}. Less likely, two commits got one number (two workflows "
                "with their own run counters, or two commits with one commit time): upload "
                "dev releases from one workflow."
            )
        return (
            f"{head} Two different builds produced one dev version, {version}: most likely "
            f"{two_commits}. If it is a rebuild of the same commit, {reproducible}."
        )
    return (
        f"{head} A release version comes from one tag, so most likely the tagged commit was "
        f"built again and the build is not reproducible ({reproducible}). A published file "
        "never changes (create once, store forever): to ship other bytes, give the fix a new "
        "version (commit and tag again), or remove the old file from the index by hand if it "
        "was never used."
    )
