"""The repository on disk: finding the work tree, its repository directories and dulwich.

Layout (``gitrepository-layout``): a work tree's top holds ``.git``, either the repository
directory or a ``gitdir: <path>`` file (a linked worktree, a submodule). A linked worktree's
directory (``.git/worktrees/<name>``) holds its own ``HEAD`` and ``index`` and a ``commondir``
file naming the directory with ``objects``, ``refs``, ``packed-refs`` and ``config``. SHA-256
repositories (``extensions.objectFormat``) are refused: every reader here is SHA-1.

Nothing here parses objects or refs; :class:`GitRepo` hands out the object store
(:mod:`vcrelease.git.objects`) and dulwich's view of the repository, both opened on first use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import RepositoryError
from .commitgraph import CommitGraph, CommitGraphError
from .files import read_optional
from .gitconfig import GitConfig
from .ids import RAW_LENGTHS

if TYPE_CHECKING:
    from dulwich.repo import Repo

    from .objects import ObjectStore

__all__ = [
    "GitRepo",
    "effective_uid",
    "environment_layout",
    "find_work_tree",
    "open_dulwich",
    "read_optional",
    "untrusted_reason",
]


def find_work_tree(start: Path) -> Path | None:
    """The top of the work tree, as git finds it: the one the environment names
    (:func:`environment_layout`: ``GIT_DIR``, ``GIT_WORK_TREE``), else the nearest directory
    at or above ``start`` holding ``.git`` (a directory or a file). Resolved (absolute,
    symlinks followed); None when there is none (or ``GIT_DIR`` names a bare repository)."""
    layout = environment_layout()
    if layout is not None:
        return layout[0]
    return _discover(start)


def _discover(start: Path) -> Path | None:
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def environment_layout() -> tuple[Path | None, str | None] | None:
    """(work tree top, repository directory) as ``GIT_DIR`` and ``GIT_WORK_TREE`` choose them
    (``git help git``, "ENVIRONMENT"; ``setup.c``); None when neither is set.

    ``GIT_DIR`` (relative to the current directory) is the repository directory; the work
    tree is then ``GIT_WORK_TREE``, else ``core.worktree`` (relative to the repository
    directory), else none when ``core.bare`` is true, else the current directory.
    ``GIT_WORK_TREE`` alone: the repository is found from the current directory, as git
    finds it, and the work tree is ``GIT_WORK_TREE``. The repository directory is None when
    it is the work tree's ``.git``.
    """
    env = os.environ
    git_dir_env = env.get("GIT_DIR") or None
    work_tree_env = env.get("GIT_WORK_TREE") or None
    if git_dir_env is None and work_tree_env is None:
        return None
    if git_dir_env is None:
        found = _discover(Path.cwd())
        if found is None:
            return None
        git_dir = str(found / ".git")
        if os.path.isfile(git_dir):
            git_dir = _gitdir_file(found, git_dir)
        return Path(work_tree_env or ".").resolve(), git_dir
    git_dir = os.path.abspath(git_dir_env)
    if work_tree_env is not None:
        return Path(work_tree_env).resolve(), git_dir
    config = GitConfig.load(_common_dir(git_dir), git_dir)
    configured = config.get(b"core", None, b"worktree")
    if configured is not None:
        return Path(git_dir, os.fsdecode(configured.value)).resolve(), git_dir
    if config.boolean(b"core", b"bare", False):
        return None, git_dir
    return Path.cwd().resolve(), git_dir


def _gitdir_file(root: Path | str, dot_git: str) -> str:
    """The repository directory a ``gitdir: <path>`` file names.

    Raises:
        OSError: the file does not start with ``gitdir:``.
    """
    with open(dot_git, "rb") as f:
        line = f.read().decode("utf-8", "replace").strip()
    if not line.startswith("gitdir:"):
        raise OSError(f"{dot_git} does not start with 'gitdir:'")
    return os.path.join(root, line[len("gitdir:") :].strip())


def _common_dir(git_dir: str) -> str:
    """The common directory of ``git_dir``: the ``commondir`` file's, else ``git_dir``
    (``gitrepository-layout``, "commondir"). ``GIT_COMMON_DIR`` may only confirm it
    (:meth:`GitRepo.open`)."""
    try:
        with open(os.path.join(git_dir, "commondir"), "rb") as f:
            common = f.read().decode("utf-8", "replace").strip()
        return os.path.normpath(os.path.join(git_dir, common))
    except (FileNotFoundError, NotADirectoryError):
        return git_dir


def _object_format(root: Path, config: bytes) -> int:
    """Bytes per raw object id of the repository whose own config is ``config``: 20 unless
    ``extensions.objectFormat`` says ``sha256`` (32; ``git-config``, "extensions";
    ``hash-function-transition``).

    Raises:
        RepositoryError: another value (git refuses the repository too).
    """
    found = re.findall(rb"(?im)^\s*objectformat\s*=\s*\"?([a-z0-9]+)\"?\s*$", config)
    if not found:
        return 20
    name = found[-1].lower()
    if name not in RAW_LENGTHS:
        raise RepositoryError(
            f"{root}: extensions.objectFormat = {name.decode(errors='replace')} is no object "
            "format git knows (sha1, sha256); git refuses this repository too."
        )
    return RAW_LENGTHS[name]


def _same_directory(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one directory (symlinks resolved; a missing one never
    equals)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def open_dulwich(root: Path) -> Repo:
    """dulwich's repository whose work tree is ``root`` (``.git`` directory or worktree file).

    Raises:
        RepositoryError: ``root`` holds no readable git repository.
    """
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo(str(root))
    except (NotGitRepository, OSError, ValueError) as exc:
        raise RepositoryError(
            f"{root} is not a readable git repository ({exc}). Run vcrelease inside a git "
            "work tree, or build from an sdist or a `git archive` with .git_archival.txt."
        ) from exc


effective_uid: Callable[[], int] = getattr(os, "geteuid", lambda: -1)
"""The user git compares owners with (``git-compat-util.h``, ``is_path_owned_by_current_user``):
the one seam of the ownership rule, so the tests can act as another user (a replaced
function in the test's own process) on machines where they cannot make one (not root)."""


def _owned(path: str) -> bool | None:
    """git's ``is_path_owned_by_current_user``: the owner is the effective user (or, for
    root, the user ``SUDO_UID`` names); None when ``path`` does not exist."""
    try:
        owner = os.lstat(path).st_uid
    except OSError:
        return None
    euid = effective_uid()
    if euid == 0:
        sudo = os.environ.get("SUDO_UID", "")
        if sudo.isdigit():
            euid = int(sudo)
    return owner == euid


def _safe_directory_matches(value: str, checked: tuple[str, ...]) -> bool:
    """Whether one ``safe.directory`` value allows a work tree whose paths are ``checked``
    (as given and resolved): ``*`` allows every directory; a value ending in ``/*`` every
    directory under that path; any other value the directory it names, itself or resolved
    (``git-config``, "safe.directory"; ``~`` expanded as git's path type does)."""
    if value == "*":
        return True
    if value.endswith("/*"):
        prefix = os.path.expanduser(value[:-1])
        prefixes = {prefix, os.path.join(os.path.realpath(prefix), "")}
        return any(path.startswith(p) for path in checked for p in prefixes)
    named = os.path.expanduser(value)
    return bool({named, os.path.realpath(named)} & set(checked))


def untrusted_reason(root: Path, git_dir: str) -> str | None:
    """None when git would work in this repository without complaint (``safe.directory``,
    ``git-config``): the work tree, its ``.git`` and the repository directory are owned by the
    current user, or the *protected* configuration (system, global, ``GIT_CONFIG_*``; never the
    repository's own files) lists the work tree in ``safe.directory`` (an empty value clears
    the list; :func:`_safe_directory_matches`). Else why not, for messages."""
    if not hasattr(os, "geteuid"):
        return None  # Windows: git checks ownership differently; not handled here
    paths = [str(root), os.path.join(str(root), ".git"), git_dir]
    foreign = [p for p in paths if _owned(p) is False]
    if not foreign:
        return None
    allowed = False
    checked = (str(root), os.path.realpath(str(root)))
    for setting in GitConfig.load(None).protected().all(b"safe", None, b"directory"):
        value = os.fsdecode(setting.value)
        if not value:
            allowed = False
        elif _safe_directory_matches(value, checked):
            allowed = True
    if allowed:
        return None
    return (
        f"a repository another user owns ({foreign[0]}; git calls it dubious ownership) "
        "that safe.directory does not list"
    )


class GitRepo:
    """An open repository: where its files are, its object reader, dulwich only on demand.

    Use as a context manager (or call :meth:`close`): packs and commit-graph files are
    memory-mapped.

    Attributes:
        root: the work tree's top directory.
        git_dir: the repository directory of this work tree (``.git``, or
            ``.git/worktrees/<name>`` for a linked worktree): ``HEAD`` and ``index`` live here.
        common_dir: the directory with ``objects``, ``refs`` and ``packed-refs`` (the same as
            ``git_dir`` except in a linked worktree).
    """

    def __init__(
        self, root: Path, git_dir: str, common_dir: str, index_file: str | None = None
    ) -> None:
        self.raw_len = 20
        """Bytes per raw object id: 20 (SHA-1) or 32 (SHA-256, ``extensions.objectFormat``)."""
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.index_path = index_file or os.path.join(git_dir, "index")
        """The index file: ``GIT_INDEX_FILE`` when the environment chose the repository
        (relative to the work tree's top, as git reads it), else ``<git_dir>/index``. The one
        place every reader of the index (the dirty check, the sdist file list, attributes)
        takes its path from."""
        self._config: GitConfig | None = None
        self._objects: ObjectStore | None = None
        self._dulwich: Repo | None = None
        self._untrusted: tuple[str | None] | None = None
        self._from_environment = False

    @classmethod
    def open(cls, root: Path, *, environment: bool = False) -> GitRepo:
        """Find the repository directories of the work tree ``root``.

        With ``environment`` (the repository a command works on; never a submodule, for which
        git clears these variables), ``GIT_DIR`` and ``GIT_WORK_TREE`` choose the repository
        directory when they name this work tree (:func:`environment_layout`),
        ``GIT_COMMON_DIR`` must name the repository's own common directory (git would read
        refs from that one and objects from the variable's), and ``GIT_INDEX_FILE`` chooses
        the index file (relative to ``root``), as for git.

        Raises:
            RepositoryError: ``root/.git`` is neither a repository directory nor a
                ``gitdir:`` file naming one, the repository uses SHA-256 object ids, or
                ``GIT_COMMON_DIR`` names another common directory than the repository's own.
        """
        dot_git = os.path.join(root, ".git")
        layout = environment_layout() if environment else None
        if layout is not None and layout[0] != Path(root).resolve():
            layout = None  # the environment names another work tree: not this one's
        index_file = None
        try:
            if layout is not None and layout[1] is not None:
                git_dir = layout[1]
                dot_git = git_dir
            elif os.path.isdir(dot_git):
                git_dir = dot_git
            else:
                git_dir = _gitdir_file(root, dot_git)
            common_dir = _common_dir(git_dir)
            if environment:
                common_env = os.environ.get("GIT_COMMON_DIR")
                if common_env and not _same_directory(common_env, common_dir):
                    # git reads objects and config from the variable's directory but refs
                    # from the repository's own (refs/files-backend.c asks
                    # get_common_dir_noenv): an answer mixing two repositories.
                    raise RepositoryError(
                        f"GIT_COMMON_DIR={common_env} names another common directory than "
                        f"the repository {git_dir} has itself ({common_dir}). git would read "
                        "objects from the first and tags from the second, so no version "
                        "can be trusted. Unset GIT_COMMON_DIR, or make it the repository's "
                        f"own common directory (write its path into {git_dir}/commondir, "
                        "as `git worktree add` does)."
                    )
                index_env = os.environ.get("GIT_INDEX_FILE")
                if index_env:
                    index_file = os.path.join(root, index_env)
            if not os.path.isfile(os.path.join(git_dir, "HEAD")):
                raise OSError(f"no HEAD file in {git_dir}")
            if not os.path.isdir(os.path.join(common_dir, "objects")):
                raise OSError(f"no objects directory in {common_dir}")
            config = read_optional(os.path.join(common_dir, "config")) or b""
        except OSError as exc:
            raise RepositoryError(
                f"{root} is not a readable git repository ({exc}). Run vcrelease inside a git "
                "work tree, or build from an sdist or a `git archive` with .git_archival.txt."
            ) from exc
        repo = cls(root, git_dir, common_dir, index_file)
        repo.raw_len = _object_format(root, config)
        repo._from_environment = git_dir != os.path.join(root, ".git") and layout is not None
        return repo

    @property
    def config(self) -> GitConfig:
        """Every setting git reads for this repository (system, global, the repository's
        own, worktree, ``GIT_CONFIG_*``; :mod:`vcrelease.git.gitconfig`), read on first use:
        the common path asks for none (the dirty check scans the files for the words that
        matter first)."""
        if self._config is None:
            self._config = GitConfig.load(self.common_dir, self.git_dir)
        return self._config

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmap the packs; close dulwich's repository if it was opened."""
        if self._objects is not None:
            self._objects.close()
            self._objects = None
        if self._dulwich is not None:
            self._dulwich.close()
            self._dulwich = None

    @property
    def objects(self) -> ObjectStore:
        """The object store (packs, loose objects, alternates), opened on first use."""
        if self._objects is None:
            from .objects import ObjectStore  # here: off the path of a command that reads none
            from .partial import promisor_remote

            self._objects = ObjectStore(
                os.path.join(self.common_dir, "objects"),
                self.dulwich,
                lambda: promisor_remote(self.config),
                self.raw_len,
            )
        return self._objects

    def dulwich(self) -> Repo:
        """dulwich's view of the repository, opened on first use (config,
        reftable refs, objects this module's reader cannot place).

        Raises:
            RepositoryError: dulwich cannot open the repository.
        """
        if self._dulwich is None:
            # GIT_DIR elsewhere: dulwich opens the repository directory itself
            where = Path(self.git_dir) if self._from_environment else self.root
            self._dulwich = open_dulwich(where)
        return self._dulwich

    def remote_url(self, remote: str = "origin") -> str | None:
        """``remote.<remote>.url`` from the repository's config, as written (may hold
        credentials: strip them before showing it, :func:`vcrelease.ci.strip_credentials`);
        None when unset.

        Raises:
            RepositoryError: dulwich cannot open the repository.
        """
        try:
            value = self.dulwich().get_config().get((b"remote", remote.encode()), b"url")
        except KeyError:
            return None
        return value.decode("utf-8", "replace") if value else None

    def untrusted(self) -> str | None:
        """None when the repository is the user's (git's ``safe.directory`` rules), else why
        not: then vcrelease runs no command its configuration names and writes nothing into it
        (not even the describe cache). See :func:`untrusted_reason`."""
        if self._untrusted is None:
            self._untrusted = (untrusted_reason(self.root, self.git_dir),)
        return self._untrusted[0]

    def open_graph(self) -> CommitGraph | None:
        """The commit-graph (single file or split chain), None when absent, unreadable or of
        another object format than the repository (git ignores such a file too)."""
        try:
            graph = CommitGraph.open(os.path.join(self.common_dir, "objects"))
        except CommitGraphError:
            return None
        if graph is not None and graph.raw_len != self.raw_len:
            graph.close()
            return None
        return graph
