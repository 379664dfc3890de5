"""The staged half of the dirty check: the index against HEAD's tree, as ``git status``
compares them ("Changes to be committed"; ``diff-lib.c`` ``run_diff_index --cached``).

The index's cache-tree (``gitformat-index``, "Cache tree") vouches for whole directories: only
directories whose cache-tree entry is invalid, or whose tree id is not HEAD's, are compared
entry by entry with HEAD's trees. A sparse index's directory entry (``sdir``) is compared with
HEAD's tree as one tree id.
"""

from __future__ import annotations

import stat
import struct
import zlib
from collections.abc import Callable
from typing import TypeVar

from ..errors import RepositoryError
from .ids import OBJ_TREE, HexId, RawId, to_hex, to_raw
from .indexfile import INTENT_TO_ADD, CacheTree, IndexEntry, UnsupportedIndex, parse_index
from .objects import ObjectStore, TreeEntry, parse_tree
from .repository import GitRepo

__all__ = ["canonical_mode", "read_index_part", "staged_of", "staged_paths", "vouched"]

_S_IFDIR = 0o040000

_T = TypeVar("_T")


def read_index_part(
    repo: GitRepo, path: str, reader: Callable[[bytes, int], _T], data: bytes
) -> _T:
    """``reader(data, raw_len)`` on the index file's bytes, its errors made a
    :class:`RepositoryError` that says the fix.

    Raises:
        RepositoryError: an index this reader cannot read, or a corrupt one.
    """
    try:
        return reader(data, repo.raw_len)
    except UnsupportedIndex as exc:
        hint = (
            "a split index (core.splitIndex); run `git update-index --no-split-index`"
            if "link" in str(exc)
            else "written by a newer git than vcrelease knows; please report it"
        )
        raise RepositoryError(
            f"{repo.root}: vcrelease cannot read the index file {path} ({exc}): it is {hint}, "
            "or set VCRELEASE_PRETEND_VERSION."
        ) from exc
    except (ValueError, IndexError, struct.error) as exc:
        raise RepositoryError(
            f"{repo.root}: the index file {path} cannot be read ({exc}). Run `git status` to "
            "see whether git can read it, or `git reset` to rebuild it."
        ) from exc


def staged_paths(
    repo: GitRepo,
    entries: list[IndexEntry],
    cache_tree: CacheTree | None,
    head_tree: HexId,
    any_flags: bool,
) -> list[bytes]:
    """:func:`_staged`, a tree that cannot be read made a :class:`RepositoryError`."""
    try:
        intent_to_add = any_flags and any(e.flags & INTENT_TO_ADD for e in entries)
        return _staged(repo.objects, entries, cache_tree, head_tree, intent_to_add)
    except (KeyError, ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{repo.root}: a tree of HEAD cannot be read ({exc!r}). Run `git fsck`."
        ) from exc


def staged_of(repo: GitRepo, path: str, data: bytes, head_tree: HexId) -> list[bytes]:
    """The staged paths of the index file's bytes ``data``."""
    entries, cache_tree, any_flags = read_index_part(repo, path, parse_index, data)
    return staged_paths(repo, entries, cache_tree, head_tree, any_flags)


def vouched(cache_tree: CacheTree | None, head_tree: HexId, count: int) -> bool:
    """Whether the cache-tree's root says the index is exactly HEAD's tree: valid, with
    every entry, and HEAD's tree id (``gitformat-index``, "Cache tree")."""
    return (
        cache_tree is not None
        and cache_tree.entry_count == count
        and cache_tree.oid == to_raw(head_tree)
    )


def _staged(
    store: ObjectStore,
    entries: list[IndexEntry],
    cache_tree: CacheTree | None,
    head_tree: HexId,
    intent_to_add: bool,
) -> list[bytes]:
    """Paths whose index entry differs from HEAD's tree (added, removed, changed, conflicted).

    Where the cache-tree vouches for a directory (valid, same entry count, same tree id as
    HEAD's), its entries are not looked at.
    """
    changed: list[bytes] = []

    def tree_entries(oid: RawId) -> list[TreeEntry]:
        kind, data = store.read_needed(to_hex(oid), "the tree (of HEAD, for the dirty check)")
        if kind != OBJ_TREE:
            raise ValueError(f"{oid.hex()} is not a tree")
        return parse_tree(data, store.raw_len)

    def all_paths(oid: RawId, prefix: bytes) -> None:
        for name, mode, sha in tree_entries(oid):
            if mode == _S_IFDIR:
                all_paths(sha, prefix + name + b"/")
            else:
                changed.append(prefix + name)

    def compare(prefix: bytes, lo: int, hi: int, node: CacheTree | None, tree: RawId) -> None:
        if node is not None and node.oid == tree and node.entry_count == hi - lo:
            return
        in_head = {name: (mode, sha) for name, mode, sha in tree_entries(tree)}
        seen = set()
        start = len(prefix)
        i = lo
        while i < hi:
            path, mode, sha, stage, _, _, extended = entries[i][:7]
            slash = path.find(b"/", start)
            if slash < 0:
                name = path[start:]
                seen.add(name)
                head = in_head.get(name)
                if head is not None and head[0] == _S_IFDIR:
                    changed.append(path)
                    all_paths(head[1], path + b"/")
                elif (
                    head is None
                    or stage
                    or extended & INTENT_TO_ADD
                    or head[1] != sha
                    or canonical_mode(head[0]) != mode
                ):
                    changed.append(path)
                i += 1
                continue
            name = path[start:slash]
            sub = path[: slash + 1]
            j = i + 1
            while j < hi and entries[j].path.startswith(sub):
                j += 1
            seen.add(name)
            head = in_head.get(name)
            if mode == _S_IFDIR and path == sub:
                # A sparse index's directory entry (``sdir``): the whole tree in one entry.
                if head is None or head[0] != _S_IFDIR or head[1] != sha or stage:
                    changed.append(path[:-1])
            elif head is not None and head[0] == _S_IFDIR:
                child = node.children.get(name) if node is not None else None
                compare(sub, i, j, child, head[1])
            else:
                changed.extend(entries[k].path for k in range(i, j))
                if head is not None:
                    changed.append(prefix + name)
            i = j
        for name, (mode, sha) in in_head.items():
            if name not in seen:
                if mode == _S_IFDIR:
                    all_paths(sha, prefix + name + b"/")
                else:
                    changed.append(prefix + name)

    if intent_to_add:
        cache_tree = None  # git's cache-tree leaves intent-to-add entries out of its trees
    compare(b"", 0, len(entries), cache_tree, to_raw(head_tree))
    return changed


def canonical_mode(mode: int) -> int:
    """A tree entry's mode as the index records it (git's ``canon_mode``)."""
    if stat.S_ISREG(mode):
        return 0o100755 if mode & 0o100 else 0o100644
    return mode
