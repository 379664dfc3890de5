"""Is a work-tree path tracked, ignored or neither? (``git ls-files``, ``git check-ignore``)

One question, for the editable installs' version file (written into the work tree only where
git ignores it): the index says whether the path is tracked (:mod:`.indexfile`); dulwich's
``IgnoreFilterManager`` applies ``.gitignore`` files, ``.git/info/exclude`` and
``core.excludesFile`` as gitignore(5) describes.
"""

from __future__ import annotations

from typing import Literal

from .repository import GitRepo
from .tracked import index_paths

__all__ = ["PathStatus", "path_status"]

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
    from dulwich.ignore import IgnoreFilterManager  # dulwich only for this question

    manager = IgnoreFilterManager.from_repo(repo.dulwich())
    return "ignored" if manager.is_ignored(relative) else "untracked"
