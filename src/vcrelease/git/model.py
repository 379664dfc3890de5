"""The records the git readers return: what a describe, a history walk, HEAD and the version
tags of a repository are, as typed named tuples: immutable like frozen dataclasses, but
defined on every start-up for a fifth of the cost and without importing ``dataclasses``
(``docs/architecture.md``, "Records and the start-up path").

The rules that fill them (``docs/architecture.md``, "The version rules"; ``git-describe``,
``git-rev-list``) live in :mod:`vcrelease.git.walk` and :mod:`vcrelease.git.history`. Ids are
``str`` here: lower-case hex characters (40 for SHA-1, 64 for SHA-256).
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "Describe",
    "HeadState",
    "History",
    "ParseTag",
    "Scope",
    "TagCandidate",
    "VersionTag",
]

ParseTag = Callable[[str], "str | None"]
"""Takes a tag name (``v1.2.3``), returns its version string (``1.2.3``) or None to skip it."""


class Scope(NamedTuple):
    """The paths that limit the distance and the dirty state (``distance-scope``).

    Attributes:
        paths: ``/``-separated paths relative to the work tree's top, sorted and unique;
            ``""`` is the whole tree. A path covers itself and everything below it, as a
            literal git pathspec does.
        first_parent: count as ``git rev-list --first-parent --full-history`` (else
            ``--full-history``); the rule is :func:`vcrelease.git.scope.scoped_distance`'s.
    """

    paths: tuple[str, ...]
    first_parent: bool = False

    @property
    def key(self) -> str:
        """A string that identifies the scope (for the describe cache's key)."""
        mode = "first-parent" if self.first_parent else "full-history"
        return "\0".join((mode, *self.paths))

    def describe(self) -> str:
        """The scope for people: ``pkg-a, shared (full-history)``."""
        mode = "first-parent" if self.first_parent else "full-history"
        return f"{', '.join(p or '.' for p in self.paths)} ({mode})"


class TagCandidate(NamedTuple):
    """A version tag reachable from HEAD.

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``, ``pkg-a/v1.2.3``).
        version: the version the tag names, as ``parse_tag`` returned it (``1.2.3``).
        commit: hex id of the commit the tag points at, after peeling.
        distance: commits reachable from HEAD and not from the tag, exact (the walk lists
            only the tags whose count is final when it stops; farther ones are left out).
    """

    name: str
    version: str
    commit: str
    distance: int


class Describe(NamedTuple):
    """The state of a work tree, as ``git describe --tags --long --dirty`` plus context sees it.

    Attributes:
        tag: nearest version tag name, or None when no version tag is reachable.
        tag_version: the version that tag names (``1.2.3``), or None.
        distance: commits reachable from HEAD and not from ``tag`` (``git rev-list --count
            TAG..HEAD``, int, >= 0); with no tag, all commits reachable from HEAD.
        node: hex id of the HEAD commit.
        dirty: a tracked file differs from HEAD (staged or not).
        dirty_files: the tracked paths (``/``-separated, relative to the work tree) that differ.
        branch: the checked-out branch (``main``, ``feature/x``), None on a detached HEAD.
        commit_time: committer time of HEAD (aware datetime, UTC).
        shallow: the repository is a shallow clone.
        candidates: reachable version tags the walk met, nearest first; every version tag
            on a commit met is listed, in the order that decides between them (highest
            version, then the name first in byte order), so the winner comes first.
        root: the work tree's top directory.
        scope: the ``distance-scope`` that limited :attr:`distance` and the dirty state, or
            None (every commit and every tracked file count).
        unscoped_distance: with a scope, the distance without it (every commit of
            ``TAG..HEAD``); None without a scope.
    """

    tag: str | None
    tag_version: str | None
    distance: int
    node: str
    dirty: bool
    dirty_files: tuple[str, ...]
    branch: str | None
    commit_time: datetime
    shallow: bool
    candidates: tuple[TagCandidate, ...] = ()
    root: Path = Path(".")
    scope: Scope | None = None
    unscoped_distance: int | None = None

    @property
    def exact(self) -> bool:
        """HEAD is the tagged commit and the tree is clean."""
        return self.tag is not None and self.distance == 0 and not self.dirty

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``commit_time`` as ISO 8601, ``root`` as a string; ``scope``
        only when a ``distance-scope`` applied: its paths, its count mode and the distance
        without it)."""
        out: dict[str, Any] = {
            "tag": self.tag,
            "tag_version": self.tag_version,
            "distance": self.distance,
            "node": self.node,
            "dirty": self.dirty,
            "dirty_files": list(self.dirty_files),
            "branch": self.branch,
            "commit_time": self.commit_time.isoformat(),
            "shallow": self.shallow,
            "candidates": [
                {"tag": c.name, "version": c.version, "commit": c.commit, "distance": c.distance}
                for c in self.candidates
            ],
            "root": str(self.root),
        }
        if self.scope is not None:
            out["scope"] = {
                "paths": [p or "." for p in self.scope.paths],
                "count": "first-parent" if self.scope.first_parent else "full-history",
                "unscoped_distance": self.unscoped_distance,
            }
        return out


class History(NamedTuple):
    """What the history gives, without the dirty state: the part the describe cache keeps.

    Attributes:
        tag, tag_version, distance, node, branch, shallow, candidates: as in
            :class:`Describe`.
        commit_time: committer time of HEAD in seconds since the Unix epoch (int).
        head_tree: hex id of HEAD's root tree (what the dirty check compares with).
        root: the work tree's top directory.
        scope, unscoped_distance: as in :class:`Describe` (the dirty state is scoped by
            :meth:`describe`'s caller).
    """

    tag: str | None
    tag_version: str | None
    distance: int
    node: str
    branch: str | None
    commit_time: int
    head_tree: str
    shallow: bool
    candidates: tuple[TagCandidate, ...]
    root: Path
    scope: Scope | None = None
    unscoped_distance: int | None = None

    def describe(self, dirty_files: Iterable[str]) -> Describe:
        """This history with the dirty state of the work tree: a :class:`Describe`."""
        files = tuple(dirty_files)
        return Describe(
            tag=self.tag,
            tag_version=self.tag_version,
            distance=self.distance,
            node=self.node,
            dirty=bool(files),
            dirty_files=files,
            branch=self.branch,
            commit_time=datetime.fromtimestamp(self.commit_time, timezone.utc),
            shallow=self.shallow,
            candidates=self.candidates,
            root=self.root,
            scope=self.scope,
            unscoped_distance=self.unscoped_distance,
        )


class HeadState(NamedTuple):
    """HEAD and the work tree, read without walking history (works in any shallow clone).

    Attributes:
        node: hex id of the HEAD commit.
        branch: the checked-out branch, None on a detached HEAD.
        commit_time: committer time of HEAD (aware datetime, UTC).
        dirty_files: tracked paths that differ from HEAD, as in :attr:`Describe.dirty_files`.
        shallow: the repository is a shallow clone.
        root: the work tree's top directory.
    """

    node: str
    branch: str | None
    commit_time: datetime
    dirty_files: tuple[str, ...]
    shallow: bool
    root: Path


class VersionTag(NamedTuple):
    """A version tag of the repository, reachable from HEAD or not.

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``).
        version: the version ``parse_tag`` gave (``1.2.3``).
        commit: hex id of the commit the tag points at, after peeling annotated tags.
    """

    name: str
    version: str
    commit: str
