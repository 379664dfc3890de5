"""Sparse checkouts in the dirty check: the skip-worktree files git compares after all.

git 2.37 and later (``sparse-index.c`` ``clear_skip_worktree_from_present_files``, run when
the index is read) clear the skip-worktree bit of every entry whose file is present in the
work tree, when ``core.sparseCheckout`` is true and ``sparse.expectFilesOutsideOfPatterns``
is not: ``git status`` then compares such a file like any other and calls it modified when its
content differs. A sparse index's directory entry (``index.sparse``) whose directory is present
is expanded to the files of its tree first (``ensure_full_index``), each compared the same way
when present. Without a sparse checkout the bit keeps the file out of the comparison
(``git update-index --skip-worktree``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from .ids import OBJ_TREE, RawId, to_hex
from .indexfile import SKIP_WORKTREE, IndexEntry
from .objects import parse_tree
from .repository import GitRepo
from .unstaged import full_path

__all__ = ["present_entries"]

_S_IFDIR = 0o040000


def present_entries(repo: GitRepo) -> Callable[[IndexEntry], list[IndexEntry]] | None:
    """None unless git would look at present skip-worktree files (a sparse checkout and
    ``sparse.expectFilesOutsideOfPatterns`` not true); else a skip-worktree entry -> the
    entries to compare: the entry without its bit when its file is present, the present files
    of a sparse directory entry (stat data zero, so their content decides, as for git's
    expanded entries), or nothing.

    Raises:
        GitConfigError: either setting is no boolean.
    """
    config = repo.config
    if not config.boolean(b"core", b"sparsecheckout", False):
        return None
    if config.boolean(b"sparse", b"expectfilesoutsideofpatterns", False):
        return None
    base = os.fsencode(repo.root) + b"/"

    def present(entry: IndexEntry) -> list[IndexEntry]:
        path = entry.path
        if entry.mode == _S_IFDIR and path.endswith(b"/"):
            if not os.path.lexists(full_path(base, path[:-1])):
                return []
            return [
                e
                for e in _tree_entries(repo, entry.oid, path)
                if os.path.lexists(full_path(base, e.path))
            ]
        if os.path.lexists(full_path(base, path)):
            return [entry._replace(flags=entry.flags & ~SKIP_WORKTREE)]
        return []

    return present


def _tree_entries(repo: GitRepo, oid: RawId, prefix: bytes) -> Iterator[IndexEntry]:
    """The index entries of the tree ``oid`` below ``prefix`` (ending in ``/``), as git's
    ``ensure_full_index`` makes them: mode and id from the tree, no stat data.

    Raises:
        RepositoryError: a tree cannot be read (``read_needed``).
    """
    what = "the tree of a sparse directory entry (for the dirty check)"
    kind, data = repo.objects.read_needed(to_hex(oid), what)
    if kind != OBJ_TREE:
        return
    for name, mode, sha in parse_tree(data, repo.raw_len):
        if mode == _S_IFDIR:
            yield from _tree_entries(repo, sha, prefix + name + b"/")
        else:
            regular = 0o100755 if mode & 0o100 else 0o100644
            canonical = regular if mode & 0o170000 == 0o100000 else mode
            yield IndexEntry(prefix + name, canonical, sha, 0, 0, 0, 0)
