"""The repository on disk: finding the work tree, its repository directories and dulwich.

Layout (``gitrepository-layout``): a work tree's top holds ``.git``, either the repository
directory or a ``gitdir: <path>`` file (a linked worktree, a submodule). A linked worktree's
directory (``.git/worktrees/<name>``) holds its own ``HEAD`` and ``index`` and a ``commondir``
file naming the directory with ``objects``, ``refs``, ``packed-refs`` and ``config``.

Discovery (``git`` "ENVIRONMENT", ``setup.c``): the nearest directory at or above the start
holding ``.git``, never looking at or above a ``GIT_CEILING_DIRECTORIES`` entry (the start
itself excepted) nor across a file system boundary (unless
``GIT_DISCOVERY_ACROSS_FILESYSTEM``); ``core.worktree`` in the repository's config moves the
work tree (relative to the repository directory), ``core.bare = true`` means there is none.
The repository format git refuses is refused here too (:mod:`vcrelease.git.repoformat`).

Nothing here parses objects or refs; :class:`GitRepo` hands out the object store
(:mod:`vcrelease.git.objects`) and dulwich's view of the repository, both opened on first use.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import RepositoryError
from .commitgraph import CommitGraph, CommitGraphError
from .configfile import Entry, parse_bool, parse_file
from .files import read_optional
from .gitconfig import GitConfig, Setting, worktree_config_enabled
from .repoformat import repository_format

if TYPE_CHECKING:
    from dulwich.repo import Repo

    from .objects import ObjectStore

__all__ = [
    "GitRepo",
    "discover",
    "effective_uid",
    "environment_layout",
    "find_work_tree",
    "open_dulwich",
    "read_optional",
    "untrusted_reason",
]


_DISCOVERED: dict[Path, str] = {}
"""Work trees that discovery found away from their ``.git`` (``core.worktree``): work tree ->
repository directory, for :meth:`GitRepo.open` (given only the work tree)."""


def find_work_tree(start: Path) -> Path | None:
    """The top of the work tree, as git finds it: the one the environment names
    (:func:`environment_layout`: ``GIT_DIR``, ``GIT_WORK_TREE``), else the one
    :func:`discover` finds from ``start``. Resolved (absolute, symlinks followed); None when
    there is none (or ``GIT_DIR`` names a bare repository).

    Raises:
        RepositoryError: the discovered repository is bare (``core.bare``) or its ``.git``
            file names no repository: git refuses to work there too.
    """
    layout = environment_layout()
    if layout is not None:
        return layout[0]
    resolved = start.resolve()
    if resolved in _DISCOVERED:
        return resolved  # a work tree found before, away from its .git (core.worktree)
    found = discover(start)
    return None if found is None else found[0]


def discover(start: Path) -> tuple[Path, str] | None:
    """(work tree, repository directory) as git's discovery finds them from ``start``
    (``setup.c`` ``setup_git_directory_gently_1``): the nearest directory at or above
    ``start`` holding ``.git`` below every ``GIT_CEILING_DIRECTORIES`` entry and on
    ``start``'s file system; its ``.git`` directory, or the directory a ``gitdir:`` file
    names; the work tree moved by ``core.worktree``. None when there is no repository.

    Raises:
        RepositoryError: ``core.bare = true`` (no work tree: git refuses the commands that
            need one), a ``.git`` file that names no repository, or a bad ``core.bare``.
    """
    top = _find_dot_git(start.resolve())
    if top is None:
        return None
    dot_git = str(top / ".git")
    try:
        git_dir = dot_git if os.path.isdir(dot_git) else _gitdir_file(top, dot_git)
    except OSError as exc:
        raise RepositoryError(
            f"{dot_git} is neither a repository directory nor a `gitdir:` file naming one "
            f"({exc}); git stops there too. Remove it, or point it at the repository."
        ) from exc
    settings = _work_tree_settings(git_dir)
    if settings.bare:
        raise RepositoryError(
            f'{git_dir} sets core.bare = true, so it has no work tree (git: "this operation '
            f'must be run in a work tree"), yet vcrelease found it as {top}/.git. If {top} '
            f"is its work tree, run `git --git-dir={git_dir} config core.bare false`."
        )
    if settings.worktree is not None:
        root = Path(git_dir, settings.worktree).resolve()
        _DISCOVERED[root] = git_dir
        return root, git_dir
    return top, git_dir


def _ceilings() -> list[str]:
    """``GIT_CEILING_DIRECTORIES``: the absolute entries, resolved (not after an empty
    entry, as git does not), relative ones and those that cannot be resolved left out."""
    raw = os.environ.get("GIT_CEILING_DIRECTORIES")
    if not raw:
        return []
    out: list[str] = []
    empty_seen = False
    for entry in raw.split(os.pathsep):
        if not entry:
            empty_seen = True
            continue
        if not os.path.isabs(entry):
            continue
        if not empty_seen:
            try:
                entry = os.path.realpath(entry, strict=True)
            except OSError:
                continue
        out.append(os.path.normpath(entry))
    return out


def _find_dot_git(current: Path) -> Path | None:
    """The nearest directory at or above ``current`` (resolved) holding ``.git``: a parent
    is looked at only when it lies below every ceiling (``longest_ancestor_length``) and, unless
    ``GIT_DISCOVERY_ACROSS_FILESYSTEM`` is true, on ``current``'s device."""
    text = str(current)
    ceiling = -1
    for entry in _ceilings():
        length = 0 if entry == os.sep else len(entry)
        if text.startswith(entry.rstrip(os.sep) + os.sep) and length > ceiling:
            ceiling = length
    across = parse_bool(os.fsencode(os.environ.get("GIT_DISCOVERY_ACROSS_FILESYSTEM", "0")))
    device = None
    for candidate in (current, *current.parents):
        if candidate != current:
            length = 0 if str(candidate) == os.sep else len(str(candidate))
            if length <= ceiling:
                return None
        if not across:
            try:
                here = os.stat(candidate).st_dev
            except OSError:
                continue  # not there (a start that does not exist yet): holds no .git
            if device is None:
                device = here
            elif here != device:
                return None  # a mount point: git stops there too
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


class _WorkTreeSettings(NamedTuple):
    bare: bool
    worktree: str | None


def _work_tree_settings(git_dir: str) -> _WorkTreeSettings:
    """``core.bare`` and ``core.worktree`` as ``setup.c``'s ``check_repository_format_gently``
    reads them: from the repository's own ``config`` (no includes) unless ``git_dir`` is a
    linked worktree, then from ``config.worktree`` when ``extensions.worktreeConfig`` is set.

    Raises:
        RepositoryError: ``core.bare`` is no boolean, ``core.worktree`` has no value.
    """
    common = _common_dir(git_dir)
    local = parse_file(os.path.join(common, "config")) or []
    found: list[Setting] = []
    if common == git_dir:
        found += _core_settings(local, os.path.join(common, "config"))
    if worktree_config_enabled(local):
        path = os.path.join(git_dir, "config.worktree")
        found = [*found, *_core_settings(parse_file(path) or [], path)]
    config = GitConfig(found)
    worktree = config.get(b"core", None, b"worktree")
    if worktree is not None and worktree.value is None:
        raise RepositoryError(
            f"{worktree.origin}: core.worktree has no value (git: missing value). Give it "
            "the work tree's path or remove it."
        )
    return _WorkTreeSettings(
        config.boolean(b"core", b"bare", False),
        None if worktree is None else os.fsdecode(worktree.value or b""),
    )


def _core_settings(entries: list[Entry], origin: str) -> list[Setting]:
    return [
        Setting(section, sub, name, value, origin, "local")
        for section, sub, name, value in entries
        if section == b"core" and sub is None and name in (b"bare", b"worktree")
    ]


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
        top = _find_dot_git(Path.cwd().resolve())
        if top is None:
            return None
        git_dir = str(top / ".git")
        if os.path.isfile(git_dir):
            git_dir = _gitdir_file(top, git_dir)
        return Path(work_tree_env or ".").resolve(), git_dir
    git_dir = os.path.abspath(git_dir_env)
    if work_tree_env is not None:
        return Path(work_tree_env).resolve(), git_dir
    settings = _work_tree_settings(git_dir)
    if settings.bare:
        return None, git_dir
    if settings.worktree is not None:
        return Path(git_dir, settings.worktree).resolve(), git_dir
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


def _same_directory(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one directory (symlinks resolved; a missing one never
    equals)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def open_dulwich(root: Path) -> "Repo":
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
        value = os.fsdecode(setting.value or b"")
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
        self._local: list[Entry] | None = None
        self._objects: ObjectStore | None = None
        self._dulwich: Repo | None = None
        self._untrusted: tuple[str | None] | None = None
        self._from_environment = False

    @classmethod
    def open(cls, root: Path, *, environment: bool = False) -> "GitRepo":
        """Find the repository directories of the work tree ``root``.

        With ``environment`` (the repository a command works on; never a submodule, for which
        git clears these variables), ``GIT_DIR`` and ``GIT_WORK_TREE`` choose the repository
        directory when they name this work tree (:func:`environment_layout`),
        ``GIT_COMMON_DIR`` must name the repository's own common directory (git would read
        refs from that one and objects from the variable's), and ``GIT_INDEX_FILE`` chooses
        the index file (relative to ``root``), as for git.

        Raises:
            RepositoryError: ``root/.git`` is neither a repository directory nor a
                ``gitdir:`` file naming one, its repository format is one git refuses
                (:func:`.repoformat.repository_format`), or ``GIT_COMMON_DIR`` names another common
                directory than the repository's own.
        """
        dot_git = os.path.join(root, ".git")
        layout = environment_layout() if environment else None
        if layout is not None and layout[0] != Path(root).resolve():
            layout = None  # the environment names another work tree: not this one's
        index_file = None
        if layout is None and environment:
            discovered = _DISCOVERED.get(Path(root).resolve())
            if discovered is not None:  # core.worktree: the repository is elsewhere
                layout = (Path(root).resolve(), discovered)
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
        except OSError as exc:
            raise RepositoryError(
                f"{root} is not a readable git repository ({exc}). Run vcrelease inside a git "
                "work tree, or build from an sdist or a `git archive` with .git_archival.txt."
            ) from exc
        config_path = os.path.join(common_dir, "config")
        local = parse_file(config_path) or []
        repo = cls(root, git_dir, common_dir, index_file)
        repo.raw_len = repository_format(root, config_path, local)
        repo._local = local
        repo._from_environment = git_dir != os.path.join(root, ".git") and layout is not None
        return repo

    @property
    def config(self) -> GitConfig:
        """Every setting git reads for this repository (system, global, the repository's
        own, worktree, ``GIT_CONFIG_*``; :mod:`vcrelease.git.gitconfig`), read on first use:
        the common path asks for none (the dirty check scans the files for the words that
        matter first)."""
        if self._config is None:
            self._config = GitConfig.load(self.common_dir, self.git_dir, local=self._local)
        return self._config

    def __enter__(self) -> "GitRepo":
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
    def objects(self) -> "ObjectStore":
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

    def dulwich(self) -> "Repo":
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
        """``remote.<remote>.url`` from the configuration (:attr:`config`), as written (may
        hold credentials: strip them before showing it, :func:`vcrelease.ci.strip_credentials`);
        None when unset.

        Raises:
            GitConfigError: a config file git refuses.
        """
        value = self.config.get(b"remote", remote.encode(), b"url")
        return value.value.decode("utf-8", "replace") if value and value.value else None

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
