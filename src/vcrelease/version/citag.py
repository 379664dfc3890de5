"""One rule of CI tag builds: a tag the clone does not have is on HEAD when the clone is
shallow and HEAD is the commit the CI names.

A CI checks a tag build out at depth 1, often without fetching the tag itself (GitHub's
``actions/checkout`` fetches the commit, not ``refs/tags/...``). The CI still names both the
tag (``GITHUB_REF``, ``CI_COMMIT_TAG``, ...) and the commit it built (``GITHUB_SHA``,
``CI_COMMIT_SHA``, ...); when HEAD is that commit, the tag is taken to be on HEAD, without
walking history (``docs/architecture.md``, "CI"). Only a shallow clone is trusted so: a
complete clone that lacks the tag was made without tags, or the tag was made after the
checkout, or the CI names a tag of another repository; there the tag must be fetched (exit 3,
:func:`ci_tag_problem` says how). Both the version of a tag build
(:func:`vcrelease.version.resolve.tag_build_state`) and the release policy's facts
(:func:`vcrelease.publish.buildinfo.repo_facts`) use these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..ci.context import BuildContext

__all__ = ["ci_tag_at_head", "ci_tag_problem"]


def ci_tag_at_head(
    context: BuildContext,
    head: str,
    tag_commits: Mapping[str, str],
    parse_tag: Callable[[str], str | None],
    *,
    shallow: bool,
) -> tuple[str, str] | None:
    """``(tag, version)`` when ``context`` is a tag build of a version tag missing from the
    clone (not in ``tag_commits``, tag name -> commit), the clone is ``shallow`` and HEAD
    (``head``, 40 hex) is the commit the CI names (``context.sha``, full or abbreviated, any
    case); else None.

    A tag that is in the clone is never taken from the CI: its own commit decides.
    """
    tag = context.tag if context.event == "tag" else None
    if tag is None or tag in tag_commits or context.sha is None or not shallow:
        return None
    if not head.startswith(context.sha.lower()):
        return None
    version = parse_tag(tag)
    return None if version is None else (tag, version)


def ci_tag_problem(
    context: BuildContext,
    head: str,
    tag_commits: Mapping[str, str],
    parse_tag: Callable[[str], str | None],
    *,
    shallow: bool,
) -> str | None:
    """Why a tag build's version tag, missing from the clone, cannot be taken to be on HEAD
    (one paragraph with the fix), or None: not a tag build, not a version tag, the tag is in
    the clone (its own commit decides), or :func:`ci_tag_at_head` holds."""
    tag = context.tag if context.event == "tag" else None
    if tag is None or parse_tag(tag) is None or tag in tag_commits:
        return None
    if ci_tag_at_head(context, head, tag_commits, parse_tag, shallow=shallow) is not None:
        return None
    where = f"This is a {context.provider} tag build of {tag}, but the tag is not in the clone"
    if not shallow:
        return (
            f"{where}, and the clone is complete (not shallow), so the CI's word is not taken "
            "for it: a complete clone must have the tag, on HEAD. Fetch the tags "
            "(`git fetch --tags`; actions/checkout: `fetch-depth: 0`, or `fetch-tags: true`) "
            "and check that the tag is on the commit being built."
        )
    if context.sha is None:
        return (
            f"{where} and the CI names no commit, so HEAD ({head}) cannot be checked against "
            f"it. Fetch the tag (`git fetch --depth=1 origin tag {tag}`)."
        )
    return (
        f"{where}, and HEAD ({head}) is not the commit the CI names ({context.sha}). A tag "
        "build must check out the tagged commit: check the checkout step's ref, or fetch the "
        f"tag (`git fetch --depth=1 origin tag {tag}`)."
    )
