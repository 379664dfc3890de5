"""May this build upload this version? The release policy as one pure function.

The table (``docs/architecture.md``, "Release policy"), checked in this order by :func:`decide`:

=====================================  ===============================  ===========================
build                                  version                          decision
=====================================  ===============================  ===========================
any                                    local label (``+...``)           refuse (exit 1)
pull request build                     any                              skip: never uploads
tag build, tag == version, HEAD ==     release, pre- or post-release    upload
tag commit, clean tree
tag build                              dev release, or tag != version,  refuse (exit 1)
                                       or HEAD not the tag's commit,
                                       or dirty tree
tag build of a tag that names no       any                              skip: not this project's
version (another package's tag)                                         release
branch build, branch allowed,          dev release                      upload
clean tree
branch build, branch not allowed       dev release                      skip
branch build whose HEAD carries the    release (the racing build)       skip: the tag build
version's tag                                                           publishes it
branch build, no such tag              release                          refuse (exit 1)
not in CI (or CI naming no ref),       release                          upload
HEAD exactly at the version's tag,
clean tree
not in CI                              dev release, clean tree,         upload
                                       branch allowed
any other                              ...                              refuse (exit 1)
=====================================  ===============================  ===========================

A skip exits 0 ("nothing to do", :mod:`vcrelease.errors`), or 1 with ``strict``: a pipeline can
choose to see the racing build as a failure. Versions are compared as PEP 440 versions
(``1.2`` == ``1.2.0``); a dev release is any version with a ``.devN`` part (PEP 440, "Developmental
releases"), a release anything else without a local label.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from packaging.version import InvalidVersion, Version

from ..ci.context import BuildContext
from ..errors import EXIT_OK, EXIT_REFUSED

__all__ = ["Action", "Decision", "RepoFacts", "branch_allowed", "decide", "version_kind"]

Action = Literal["upload", "skip", "refuse"]
"""What the rules decide: for a build here (:func:`decide`), and for each file by the index
rules (:attr:`vcrelease.publish.preflight.FileStep.action`): one vocabulary for both, so the
report shows them side by side."""


@dataclass(frozen=True)
class RepoFacts:
    """What the policy needs from the repository the files were built from.

    Attributes:
        head: 40-hex id of HEAD.
        branch: checked-out branch, None on a detached HEAD.
        dirty_files: tracked paths that differ from HEAD (``/``-separated).
        head_tags: ``(tag name, version)`` of every version tag on HEAD.
        tag_commits: tag name -> 40-hex commit of version tags the policy may ask about (the CI's
            tag); a tag missing here is not in the clone.
    """

    head: str
    branch: str | None = None
    dirty_files: tuple[str, ...] = ()
    head_tags: tuple[tuple[str, str], ...] = ()
    tag_commits: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The policy's answer.

    Attributes:
        action: ``upload``, ``skip`` (nothing to do, not an error) or ``refuse``.
        reason: one sentence for the report: why, and for a refusal what to do.
        exit_code: 0 for upload and skip (1 for a skip under ``strict``), 1 for a refusal.
        kind: ``release`` or ``dev`` (the version's kind), or ``local``.
    """

    action: Action
    reason: str
    exit_code: int
    kind: str

    @property
    def allowed(self) -> bool:
        """True when the files may be uploaded."""
        return self.action == "upload"


def version_kind(version: str) -> str:
    """``local`` (has ``+label``), ``dev`` (has ``.devN``) or ``release`` (final, pre, post).

    Raises:
        ValueError: ``version`` is not PEP 440.
    """
    try:
        parsed = Version(version)
    except InvalidVersion as exc:
        raise ValueError(f"{version!r} is not a PEP 440 version") from exc
    if parsed.local is not None:
        return "local"
    return "dev" if parsed.is_devrelease else "release"


def branch_allowed(branch: str | None, patterns: Sequence[str]) -> bool:
    """True when ``branch`` matches one of the shell-style ``patterns`` (``fnmatch``, case kept;
    ``*`` also matches ``/``). No patterns: every branch. A detached HEAD (None) matches only
    ``*``."""
    if not patterns:
        return True
    if branch is None:
        return "*" in patterns
    return any(fnmatch.fnmatchcase(branch, pattern) for pattern in patterns)


def decide(
    context: BuildContext,
    version: str,
    repo: RepoFacts,
    *,
    allowed_branches: Sequence[str] = (),
    strict: bool = False,
) -> Decision:
    """Apply the release policy (module docstring) to one build and one version.

    Args:
        context: the build (:meth:`BuildContext.from_env`; outside CI, provider ``none``).
        version: the version of the files to upload (PEP 440).
        repo: HEAD, dirty files and tags of the repository the files were built from.
        allowed_branches: shell patterns of branches that may upload dev releases (``--allow-
            dev-branch``); empty: every branch.
        strict: a skip exits 1 instead of 0.

    Raises:
        ValueError: ``version`` is not PEP 440.
    """
    kind = version_kind(version)
    parsed = Version(version)

    def refuse(reason: str) -> Decision:
        return Decision("refuse", reason, EXIT_REFUSED, kind)

    def skip(reason: str) -> Decision:
        return Decision("skip", reason, EXIT_REFUSED if strict else EXIT_OK, kind)

    def upload(reason: str) -> Decision:
        return Decision("upload", reason, EXIT_OK, kind)

    if kind == "local":
        return refuse(
            f"{version} has a local version label, which indexes do not accept and which never "
            "leaves a developer's machine (PEP 440, local version identifiers). Build it in CI or "
            "set local-scheme = 'no-local-version' in [tool.vcrelease]."
        )
    if context.event == "pull_request":
        number = f" #{context.pr_number}" if context.pr_number is not None else ""
        return skip(f"pull request{number} builds never upload; the merge's push build does.")
    on_head = {name for name, tag_version in repo.head_tags if Version(tag_version) == parsed}
    if context.event == "tag" and context.tag is not None:
        return _tag_build(context.tag, version, kind, repo, refuse, skip, upload)
    if context.event == "branch":
        if kind == "release":
            if on_head:
                return skip(
                    f"HEAD carries the release tag {sorted(on_head)[0]}, so this branch build "
                    f"leaves {version} to the tag build, which publishes it."
                )
            return refuse(
                f"{version} is a release, but this is a build of branch {context.branch} and no "
                "tag on HEAD names it: releases come from tag builds only. Push a version tag."
            )
        if repo.dirty_files:
            return refuse(_dirty(repo, version))
        if not branch_allowed(context.branch, allowed_branches):
            return skip(
                f"branch {context.branch} is not allowed to upload dev releases "
                f"(allowed: {', '.join(allowed_branches)})."
            )
        return upload(f"dev release from a push build of branch {context.branch}.")
    # Not in CI, or a CI run that names no ref: judge by the repository alone.
    if repo.dirty_files:
        return refuse(_dirty(repo, version))
    if kind == "release":
        if on_head:
            return upload(f"HEAD is at {sorted(on_head)[0]} and the tree is clean.")
        return refuse(
            f"{version} is a release, but no tag on HEAD ({repo.head[:12]}) names it. Tag the "
            f"commit (`git tag v{version}`) and push the tag: its build publishes the release."
        )
    if not branch_allowed(repo.branch, allowed_branches):
        return skip(
            f"branch {repo.branch or '(detached HEAD)'} is not allowed to upload dev releases "
            f"(allowed: {', '.join(allowed_branches)})."
        )
    return upload(f"dev release from a clean checkout of {repo.branch or 'a detached HEAD'}.")


_Verdict = Callable[[str], "Decision"]


def _tag_build(
    tag: str,
    version: str,
    kind: str,
    repo: RepoFacts,
    refuse: _Verdict,
    skip: _Verdict,
    upload: _Verdict,
) -> Decision:
    parsed = Version(version)
    tag_version = next((v for name, v in repo.head_tags if name == tag), None)
    if tag_version is None and tag in repo.tag_commits:
        return refuse(
            f"this is the tag build of {tag}, but HEAD ({repo.head[:12]}) is not the tagged "
            f"commit ({repo.tag_commits[tag][:12]}). Check out the tag in the build."
        )
    if tag_version is None:
        return skip(f"the tag {tag} is not a version tag of this project, so nothing is released.")
    if kind == "dev":
        return refuse(
            f"this is the tag build of {tag}, but the files are the dev release {version}. Build "
            "the files from the tagged commit in this job (stale files in dist/?)."
        )
    if Version(tag_version) != parsed:
        return refuse(
            f"this is the tag build of {tag} ({tag_version}), but the files are {version}. "
            "Build the files from the tagged commit in this job (stale files in dist/?)."
        )
    if repo.dirty_files:
        return refuse(_dirty(repo, version))
    return upload(f"tag build of {tag} at HEAD, clean tree.")


def _dirty(repo: RepoFacts, version: str) -> str:
    files = ", ".join(repo.dirty_files[:5]) + (" ..." if len(repo.dirty_files) > 5 else "")
    return (
        f"tracked files differ from HEAD ({files}), so {version} would not be the bytes of any "
        "commit. Find the build step that changes them, or commit the change."
    )
