"""A repository session: one command's queries on one repository, read once.

``with vcrelease.git.open(path) as repo:`` finds the work tree, and the repository's files are
opened on the first query: a command whose version comes from elsewhere (a pretend version,
``PKG-INFO``) reads nothing. Every query then shares what was read: the repository
directories, the refs (``HEAD``, ``packed-refs``, the loose tags, ``shallow``: read once, so
every answer of one session describes the same refs), the memory-mapped packs and dulwich,
when it is needed at all. The dirty state is computed afresh by each query that reports it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import RepositoryError
from .history import read_history, version_tags
from .ids import HexId
from .model import Describe, HeadState, History, ParseTag, Scope, VersionTag
from .refs import Refs, read_refs
from .repository import GitRepo, environment_layout, find_work_tree, untrusted_reason
from .status import dirty_files
from .walk import read_commit

if TYPE_CHECKING:
    from .ignore import PathStatus

__all__ = [
    "Repository",
    "collector_paused",
    "describe",
    "open_repository",
    "refuse_foreign_write",
]


class Repository:
    """The repository of one work tree, for one command (see the module docstring).

    Use as a context manager, or call :meth:`close`: packs are memory-mapped.

    Attributes:
        root: the work tree's top directory (absolute).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: GitRepo | None = None
        self._refs: Refs | None = None

    def __enter__(self) -> Repository:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Unmap the packs and close dulwich; a later query opens the repository again."""
        if self._files is not None:
            self._files.close()
            self._files = None
        self._refs = None

    @property
    def files(self) -> GitRepo:
        """The repository's directories, object store and dulwich, opened on first use.

        Raises:
            RepositoryError: no readable repository at :attr:`root`, or a SHA-256 one.
        """
        if self._files is None:
            self._files = GitRepo.open(self.root, environment=True)
        return self._files

    @property
    def refs(self) -> Refs:
        """HEAD, the tag refs and the shallow list, read on first use and kept.

        Raises:
            RepositoryError: as :attr:`files`; HEAD cannot be read or names no commit yet.
        """
        if self._refs is None:
            self._refs = read_refs(self.files)
        return self._refs

    def history(
        self, parse_tag: ParseTag, *, tag_key: str | None = None, scope: Scope | None = None
    ) -> History:
        """The nearest version tag from HEAD and its distance (:func:`.history.read_history`).

        Args:
            parse_tag: tag name -> version string, or None for tags that are not versions.
            tag_key: a string that changes whenever ``parse_tag`` may answer differently
                (the tag pattern and its flags): the history goes through the describe cache
                (:mod:`vcrelease.git.cache`). None: walked every time.
            scope: count only the commits that touch these paths (``distance-scope``,
                :mod:`vcrelease.git.scope`); None: every commit.

        Raises:
            RepositoryError: as :attr:`refs`; a missing object, a corrupt version tag.
            ShallowCloneError: the clone's cut hides the nearest tag or part of the distance.
        """
        if tag_key is None:
            return read_history(self.files, self.refs, parse_tag, scope)
        from .cache import cached_history  # the cache's imports stay off the plugin's path

        return cached_history(self.files, self.refs, parse_tag, tag_key=tag_key, scope=scope)

    def dirty_files(
        self, head_tree: str, ignore: Iterable[str] = (), scope: Scope | None = None
    ) -> tuple[str, ...]:
        """Tracked paths that differ from the tree ``head_tree`` (hex), staged or not,
        sorted, ``/``-separated (:func:`vcrelease.git.status.dirty_files`); with ``scope``
        only those at or below its paths (as ``git status --porcelain
        --untracked-files=no -- PATHS`` lists them).

        Raises:
            RepositoryError: the index or a tree object cannot be read.
        """
        within = None if scope is None else scope.paths
        return tuple(dirty_files(self.files, HexId(head_tree.encode("ascii")), ignore, within))

    def describe(
        self,
        parse_tag: ParseTag,
        *,
        ignore_dirty: Iterable[str] = (),
        tag_key: str | None = None,
        scope: Scope | None = None,
    ) -> Describe:
        """The state of the work tree, as ``git describe --tags --long --dirty`` plus context.

        Args:
            parse_tag, tag_key, scope: as for :meth:`history`; the scope limits the dirty
                files too (:meth:`dirty_files`).
            ignore_dirty: work-tree paths (``/``-separated, relative to the top) whose changes
                do not make the tree dirty, such as the version file vcrelease writes.

        Raises:
            RepositoryError, ShallowCloneError: as :meth:`history` and :meth:`dirty_files`.
        """
        with collector_paused():
            history = self.history(parse_tag, tag_key=tag_key, scope=scope)
            dirty = self.dirty_files(history.head_tree, ignore_dirty, scope)
        return history.describe(dirty)

    def head_state(
        self, *, ignore_dirty: Iterable[str] = (), scope: Scope | None = None
    ) -> HeadState:
        """HEAD, its commit time and the dirty files (with ``scope``, only those at or below
        its paths), without walking history (works in any shallow clone).

        Raises:
            RepositoryError: as :attr:`refs`; HEAD's commit is missing or cannot be read.
        """
        refs = self.refs
        tree, _, commit_time = read_commit(
            self.files.objects, refs.replacement(refs.head), self.root
        )
        return HeadState(
            node=refs.head.decode("ascii"),
            branch=refs.branch,
            commit_time=datetime.fromtimestamp(commit_time, timezone.utc),
            dirty_files=tuple(
                dirty_files(self.files, tree, ignore_dirty, None if scope is None else scope.paths)
            ),
            shallow=bool(refs.shallow),
            root=self.root,
        )

    def version_tags(self, parse_tag: ParseTag) -> tuple[VersionTag, ...]:
        """Every tag ``parse_tag`` accepts, reachable from HEAD or not, sorted by name
        (:func:`vcrelease.git.history.version_tags`).

        Raises:
            RepositoryError: as :attr:`refs`; a version tag is corrupt or points at a missing
                object.
        """
        return version_tags(self.files, self.refs, parse_tag)

    def tracked_files(self, under: Path | None = None) -> tuple[str, ...]:
        """The files the index tracks at or below ``under`` (default: the whole work tree),
        as an sdist should carry them: submodules expanded, ``export-ignore`` honoured
        (:func:`vcrelease.git.tracked.tracked_paths`). ``/``-separated, relative to
        :attr:`root`.

        Raises:
            RepositoryError: as :attr:`files`; the index cannot be read.
        """
        from .tracked import tracked_paths  # off the version's path

        paths = tracked_paths(self.files)
        if under is None:
            return tuple(paths)
        prefix = Path(under).resolve().relative_to(self.root).as_posix()
        if prefix == ".":
            return tuple(paths)
        return tuple(p for p in paths if p.startswith(prefix + "/"))

    def path_status(self, relative: str) -> PathStatus:
        """``tracked``, ``ignored`` (by ``.gitignore``, ``info/exclude``, ``core.excludesFile``)
        or ``untracked``: the work-tree path ``relative`` (``/``-separated, relative to
        :attr:`root`) as ``git status`` sees it (:func:`vcrelease.git.ignore.path_status`).

        Raises:
            RepositoryError: as :attr:`files`; the index cannot be read.
        """
        from .ignore import path_status  # off the version's path

        return path_status(self.files, relative)

    def remote_url(self, remote: str = "origin") -> str | None:
        """``remote.<remote>.url`` from the config, as written (may hold credentials: strip
        them before showing it, :func:`vcrelease.ci.strip_credentials`); None when unset.

        Raises:
            RepositoryError: no readable repository at :attr:`root`.
        """
        return self.files.remote_url(remote)


def open_repository(path: Path) -> Repository:
    """The session of the work tree containing ``path`` (published as ``vcrelease.git.open``).

    Only the work tree is looked for here; the repository's files are opened by the first
    query (:class:`Repository`).

    Raises:
        RepositoryError: ``path`` is not inside a git work tree (no ``.git`` at or above it).
    """
    root = find_work_tree(path)
    if root is None and environment_layout() is not None:
        raise RepositoryError(
            "GIT_DIR or GIT_WORK_TREE is set and names no work tree (a bare repository, or "
            "GIT_WORK_TREE without a repository found from the current directory). Set "
            "GIT_WORK_TREE to the work tree, or unset the variables."
        )
    if root is None:
        raise RepositoryError(
            f"{path} is not inside a git work tree (no .git found here or above). "
            "Run vcrelease in a clone, or build from an sdist or a `git archive` tarball."
        )
    return Repository(root)


def describe(
    path: Path,
    parse_tag: ParseTag,
    *,
    ignore_dirty: Iterable[str] = (),
    tag_key: str | None = None,
) -> Describe:
    """Describe the work tree containing ``path`` in a session of its own
    (:meth:`Repository.describe`): through the describe cache when ``tag_key`` is given
    (:mod:`vcrelease.git.cache`), else walked.

    Raises:
        RepositoryError: not in a work tree, no commits yet, a missing object, a corrupt ref.
        ShallowCloneError: the clone's cut hides the nearest tag or part of the distance.
    """
    with open_repository(path) as repo:
        return repo.describe(parse_tag, ignore_dirty=ignore_dirty, tag_key=tag_key)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (``gc``) for the block, and restore its state.

    Why: a describe makes tens of thousands of tuples (a tag ref each, a commit's parents,
    the status of each index entry) and no reference cycle. The cyclic collector would still
    run after every 700 new objects and traverse the young ones (and now and then the older
    ones): about a tenth of ``vcrelease version`` on 5,000 tags, and the same inside a build
    backend, whose heap is larger (``benchmarks/README.md``, "Where the time goes").
    Reference counting frees everything as before; a cycle made in the block, if any, is
    collected after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def refuse_foreign_write(target: Path, what: str) -> None:
    """Refuse to write ``target`` (a file vcrelease is about to write, named ``what`` in the
    message) when it lies in the work tree of a repository another user owns and the
    protected configuration's ``safe.directory`` does not list it: git refuses that
    repository ("dubious ownership"), and vcrelease writes nothing into it
    (:func:`vcrelease.git.repository.untrusted_reason`). A path in no work tree is the file
    system's to allow.

    Raises:
        RepositoryError: names the file, the owner's repository and the fix.
    """
    directory = (target if target.is_dir() else target.parent).resolve()
    # The work tree the file lands in on disk, whatever GIT_DIR / GIT_WORK_TREE say.
    root = next((d for d in (directory, *directory.parents) if (d / ".git").exists()), None)
    if root is None:
        return
    try:
        with GitRepo.open(root) as files:
            reason = files.untrusted()
    except RepositoryError:
        reason = untrusted_reason(root, str(root / ".git"))
    if reason is not None:
        raise RepositoryError(
            f"{target}: not writing {what} into {root}: {reason}. Run this as the user who "
            f"owns the repository, or, if you trust it, list it in your global configuration: "
            f"`git config --global --add safe.directory {root}`."
        )
