"""One rule of CI tag builds: a tag the clone does not have is on HEAD when HEAD is the commit
the CI names.

A CI checks a tag build out at depth 1, often without fetching the tag itself (GitHub's
``actions/checkout`` fetches the commit, not ``refs/tags/...``). The CI still names both the
tag (``GITHUB_REF``, ``CI_COMMIT_TAG``, ...) and the commit it built (``GITHUB_SHA``,
``CI_COMMIT_SHA``, ...); when HEAD is that commit, the tag is taken to be on HEAD, without
walking history (``docs/architecture.md``, "CI"). Both the version of a tag build
(:func:`vcrelease.version.resolve.tag_build_state`) and the release policy's facts
(:func:`vcrelease.publish.buildinfo.repo_facts`) use this one function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..ci.context import BuildContext

__all__ = ["ci_tag_at_head"]


def ci_tag_at_head(
    context: BuildContext,
    head: str,
    tag_commits: Mapping[str, str],
    parse_tag: Callable[[str], str | None],
) -> tuple[str, str] | None:
    """``(tag, version)`` when ``context`` is a tag build of a version tag missing from the
    clone (not in ``tag_commits``, tag name -> commit) and HEAD (``head``, 40 hex) is the commit
    the CI names (``context.sha``, full or abbreviated, any case); else None.

    A tag that is in the clone is never taken from the CI: its own commit decides.
    """
    tag = context.tag if context.event == "tag" else None
    if tag is None or tag in tag_commits or context.sha is None:
        return None
    if not head.startswith(context.sha.lower()):
        return None
    version = parse_tag(tag)
    return None if version is None else (tag, version)
