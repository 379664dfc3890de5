"""The default schemes and the tag parsing, computed here without importing vcs-versioning.

vcs-versioning (setuptools-scm's core) costs 40-50 ms to import, about a third of a
``vcrelease version`` run (start-up time). The defaults are a few lines each, so they live here and
vcs-versioning is imported only for the other schemes (:mod:`vcrelease.version.formatting`).
Each rule below is vcs-versioning 2.6's (setuptools-scm's documented behaviour, "Version number
construction" and "Default versioning scheme" in its docs), down to its quirks;
``tests/test_version_oracle.py`` compares the two on thousands of drawn inputs.

- Tag parsing (vcs-versioning ``tag_to_version``): the tag regex must match at the start of
  the tag name; its ``version`` group (or its only group) is the version, parsed by
  ``packaging.version.Version`` (PEP 440 "Public version identifiers", with its
  normalisation: ``v1.0-RC1`` -> ``1.0rc1``); what the regex matched after that group (a
  ``+local`` suffix under the default regex) is kept when the two still make a valid version,
  else dropped. No match, an empty group or an invalid version: not a version tag.
- ``guess-next-dev``: an exact tag (distance 0, clean tree) is the tag's version without its
  local part; otherwise the next version and ``.devN``: a ``.dev0`` tag drops it, any other
  ``.devN`` tag is an error, else the last number goes up by one (``1.2.3`` -> ``1.2.4``,
  ``1.0rc1`` -> ``1.0rc2``, ``1!2.0.post1`` -> ``1!2.0.post2``). No tag is tag ``0.0``, so
  ``0.1.devN``.
- ``node-and-date``: an exact tag gets nothing; otherwise ``+g`` and 9 hex digits of HEAD,
  then ``.dYYYYMMDD`` when the tree is dirty, at the tag too (a dirty ``1.2.3`` checkout is
  ``1.2.4.dev0+g<node>.d<date>``).
  The date is the build time (``SOURCE_DATE_EPOCH`` or the clock: vcs-versioning's ``time``),
  not the commit date (``node_date``, which only calendar schemes read).
- ``no-local-version``: nothing.
- The tag's own local part (``1.0+build5``) is joined with the local scheme's after ``+``,
  segment by segment, each segment once (vcs-versioning ``combine_version_with_local_parts``).

Pure functions: no I/O, the time is an argument.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.version import Version

__all__ = [
    "LOCAL_SCHEMES",
    "NODE_LENGTH",
    "NO_TAG_VERSION",
    "TAG_RULE",
    "VERSION_SCHEME",
    "format_default",
    "guess_next_dev",
    "handles",
    "join_local",
    "local_label",
    "tag_to_version",
]

VERSION_SCHEME = "guess-next-dev"
"""The version scheme computed here."""
LOCAL_SCHEMES = ("node-and-date", "no-local-version")
"""The local schemes computed here: the default outside CI and the default in CI."""
NO_TAG_VERSION = "0.0"
"""What the version scheme sees when no version tag is reachable (setuptools-scm's rule)."""
NODE_LENGTH = 10
"""Characters of the node in a local label: ``g`` and 9 hex digits (vcs-versioning's
``_NODE_ID_LENGTH``)."""
TAG_RULE = "vcrelease.version.defaults.tag_to_version/1"
"""Changes whenever :func:`tag_to_version` may answer differently: part of the history
cache's key (:func:`vcrelease.version.resolve.describe_project`)."""

_LAST_NUMBER = re.compile(r"(.*?)(\d+)$")


def handles(version_scheme: str, local_scheme: str) -> bool:
    """True when this module computes the pair (no vcs-versioning needed)."""
    return version_scheme == VERSION_SCHEME and local_scheme in LOCAL_SCHEMES


def tag_to_version(name: str, regex: re.Pattern[str]) -> str | None:
    """Tag name -> the (normalised) version it names, or None when it names none.

    ``v1.2.3`` -> ``1.2.3``; ``name-1.2.3`` -> ``1.2.3`` (default regex); ``1.0+build.5`` ->
    ``1.0+build.5``; ``1.0+bad!`` -> ``1.0`` (the suffix is dropped: vcs-versioning warns,
    we are quiet as the vcs-versioning path was); ``release`` -> None.
    """
    from packaging.version import InvalidVersion
    from packaging.version import Version as _Version

    match = regex.match(name)
    if match is None:
        return None
    # vcs-versioning's key: the only group when there is one (named or not), else "version".
    key: str | int = 1 if len(match.groups()) == 1 else "version"
    text = match.group(key)
    if not text:
        return None  # vcs-versioning raises ValueError ("the matched group has no value")
    try:
        version = _Version(text)
    except InvalidVersion:
        return None
    # The rest of what the regex matched: match.group(0) starts at 0 (re.match).
    suffix = match.group(0)[match.end(key) :]
    if suffix:
        try:
            return str(_Version(text + suffix))
        except InvalidVersion:
            pass  # vcs-versioning: "will be stripped of its suffix"
    return str(version)


def guess_next_dev(tag: Version, distance: int, dirty: bool) -> str:
    """``guess-next-dev`` on the public part of ``tag``.

    Raises:
        ValueError: past a ``.devN`` tag with N other than 0 (the next dev number is the
            distance, so the tag's own cannot be kept).
    """
    public = tag.public
    if distance == 0 and not dirty:
        return public
    if ".dev" in public:
        prefix, number = public.rsplit(".dev", 1)
        if number != "0":
            raise ValueError(
                f"{public} can't be bumped: choosing custom numbers for the `.devX` distance "
                "is not supported. Drop the tag or tag a version ending in .dev0."
            )
        guessed = prefix
    else:
        match = _LAST_NUMBER.match(public)
        if match is None:  # a normalised public version always ends with a number
            raise ValueError(f"{public} does not end with a number to bump")
        guessed = f"{match.group(1)}{int(match.group(2)) + 1}"
    return f"{guessed}.dev{distance}"


def local_label(local_scheme: str, *, distance: int, dirty: bool, node: str, now: datetime) -> str:
    """The local scheme's part: ``g<9 hex>``, ``g<9 hex>.dYYYYMMDD``, ``dYYYYMMDD`` or ``""``.

    Args:
        local_scheme: one of :data:`LOCAL_SCHEMES`.
        distance, dirty: the repository state (after the dev-number rule).
        node: the commit id (hex), without the ``g``.
        now: the build time, for the dirty date.
    """
    if local_scheme == "no-local-version":
        return ""
    if local_scheme != "node-and-date":
        raise ValueError(f"local-scheme {local_scheme!r} is not computed here")
    if distance == 0 and not dirty:
        return ""  # an exact tag: its own version, nothing to tell apart
    # Past the tag or dirty at it, the node is there (vcs-versioning's "+d<date>" alone is for
    # a repository with no commit, which never reaches here).
    short = ("g" + node)[:NODE_LENGTH]
    return f"{short}.d{now:%Y%m%d}" if dirty else short


def join_local(main: str, *parts: str) -> str:
    """``main`` with the local ``parts`` after ``+``: every ``.``-separated segment once, in
    order of first appearance (vcs-versioning ``combine_version_with_local_parts``)."""
    main_part, plus, existing = main.partition("+")
    segments = existing.split(".") if plus else []
    for part in parts:
        if not part.strip():
            continue
        for segment in part.strip("+").split("."):
            if segment and segment not in segments:
                segments.append(segment)
    return f"{main_part}+{'.'.join(segments)}" if segments else main_part


def format_default(
    tag_version: str | None,
    *,
    distance: int,
    dirty: bool,
    node: str,
    local_scheme: str,
    now: datetime,
) -> str:
    """The version under ``guess-next-dev`` and ``local_scheme`` (one of
    :data:`LOCAL_SCHEMES`).

    Args:
        tag_version: the nearest tag's version (:func:`tag_to_version`), None without one.
        distance: commits since the tag, or the dev number that replaces it.
        dirty: a tracked file differs from HEAD.
        node: HEAD's commit id (hex).
        local_scheme: ``node-and-date`` or ``no-local-version``.
        now: the build time (aware), for the dirty date.

    Raises:
        ValueError: as :func:`guess_next_dev`.
    """
    from packaging.version import Version as _Version

    tag = _Version(tag_version or NO_TAG_VERSION)
    main = guess_next_dev(tag, distance, dirty)
    label = local_label(local_scheme, distance=distance, dirty=dirty, node=node, now=now)
    return join_local(main, tag.local or "", label)
