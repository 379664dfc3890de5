"""Is a work-tree path tracked, ignored or neither? (``git ls-files``, ``git check-ignore``)

Two questions: is one path untracked (the editable installs' version file is written into the
work tree only where git ignores it), and does a work tree hold any untracked file (a
submodule configured ``ignore = none`` is dirty then, as ``git status`` says). The index says
whether a path is tracked (:mod:`.indexfile`); dulwich's ``IgnoreFilterManager`` applies
``.gitignore`` files, ``.git/info/exclude`` and ``core.excludesFile`` (read from
:mod:`.gitconfig`) as gitignore(5) describes.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from .repository import GitRepo
from .tracked import index_paths

if TYPE_CHECKING:
    from dulwich.ignore import IgnoreFilterManager

__all__ = ["PathStatus", "first_untracked", "path_status"]

PathStatus = Literal["tracked", "ignored", "untracked"]


def path_status(repo: GitRepo, relative: str) -> PathStatus:
    """``tracked`` (in the index), ``ignored`` (by a gitignore rule) or ``untracked``.

    Args:
        repo: the repository.
        relative: a ``/``-separated path relative to the work tree's top directory.

    Raises:
        RepositoryError: the index cannot be read.
    """
    if relative in index_paths(repo):
        return "tracked"
    return "ignored" if _manager(repo).is_ignored(relative) else "untracked"


def first_untracked(repo: GitRepo) -> str | None:
    """One untracked, not ignored path of ``repo``'s work tree (``/``-separated, a directory
    ending in ``/``), or None when there is none: what ``git status`` would list as untracked
    (``--untracked-files=normal``). Empty directories hold nothing untracked; a directory
    with its own ``.git`` that the index does not hold is one untracked path (a nested
    repository), and one the index holds (a submodule) is not looked into.

    Raises:
        RepositoryError: the index cannot be read.
    """
    tracked = index_paths(repo)
    holding = {name[:i] for name in tracked for i, c in enumerate(name) if c == "/"}
    manager: IgnoreFilterManager | None = None
    top = str(repo.root)
    for current, dirs, files in os.walk(top):
        relative = os.path.relpath(current, top).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        links = [d for d in dirs if os.path.islink(os.path.join(current, d))]
        dirs[:] = [d for d in dirs if d != ".git" and d not in links]
        for name in sorted([*files, *links]):
            path = prefix + name
            if name == ".git" or path in tracked:
                continue
            manager = manager or _manager(repo)
            if not manager.is_ignored(path):
                return path
        kept = []
        for name in sorted(dirs):
            path = prefix + name
            if path in tracked:
                continue  # a submodule: its own untracked files are its own business
            manager = manager or _manager(repo)
            if manager.is_ignored(path + "/"):
                continue
            if path not in holding and os.path.lexists(os.path.join(current, name, ".git")):
                return path + "/"
            kept.append(name)
        dirs[:] = kept
    return None


def _manager(repo: GitRepo) -> IgnoreFilterManager:
    """dulwich's gitignore rules of ``repo`` (dulwich only for matching): the repository's
    ``info/exclude`` and ``core.excludesFile`` (else ``$XDG_CONFIG_HOME/git/ignore``), with
    ``core.ignoreCase``, each setting from :attr:`GitRepo.config` (``gitignore``, "DESCRIPTION").

    Raises:
        GitConfigError: ``core.ignoreCase`` is no boolean.
    """
    from dulwich.ignore import IgnoreFilter, IgnoreFilterManager

    config = repo.config
    excludes = config.path(b"core", b"excludesfile")
    if excludes is None:
        home = os.environ.get("HOME", "")
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        excludes = os.path.join(xdg, "git", "ignore")
    filters = []
    for path in (os.path.join(repo.common_dir, "info", "exclude"), excludes):
        try:
            filters.append(IgnoreFilter.from_path(path))
        except OSError:
            continue  # absent: no rules from there
    ignorecase = config.boolean(b"core", b"ignorecase", False)
    return IgnoreFilterManager(str(repo.root), filters, ignorecase)
