"""Tree objects by path: does a commit change what lies at some paths?

Format (``gitformat-pack``, "Object types"; ``git-cat-file``): a tree object is a run of
entries ``<octal mode> SP <name> NUL <20-byte id>``, names sorted git's way; a directory is
an entry of mode ``40000`` naming another tree. Two trees hold the same content at a path
exactly when the entries for that path (mode and id) are equal, so the comparison walks down
the path's components and stops as soon as both sides name the same subtree (equal ids: the
whole directory is unchanged, nothing below is read). This is what git's tree diff decides
for a literal pathspec (``tree-diff.c``: an entry differs when its mode or id differs; a
path absent on one side differs from a present one).

Only the trees on the way down are read, each parsed once per :class:`TreeReader` (a bounded
cache: the top tree and the project's directories are shared by most commits).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from ..errors import RepositoryError
from .ids import OBJ_TREE, RawId, to_hex
from .objects import ObjectStore

__all__ = ["EMPTY_TREE", "TREE_MODE", "Entry", "TreeReader", "split_path"]

TREE_MODE = 0o40000
"""The mode of a directory entry in a tree object."""

Entry = tuple[int, RawId]
"""What a tree holds at a path: (mode, 20-byte id)."""

EMPTY_TREE = RawId(bytes.fromhex("4b825dc642cb6eb9a060e54bf8d69288fbee4904"))
"""The id of the empty tree, which git knows without storing it."""

_CACHE_TREES = 4096
"""Parsed trees kept per reader (the oldest half dropped when full)."""


def split_path(path: str) -> tuple[bytes, ...]:
    """A ``/``-separated path relative to the top (``""``: the top itself) -> its
    components, UTF-8 encoded as git stores names (``"a/b"`` -> ``(b"a", b"b")``)."""
    return tuple(p.encode("utf-8", "surrogateescape") for p in path.split("/") if p)


class TreeReader:
    """Entries of tree objects by name, read from an object store and kept.

    ``store``: the repository's :class:`~vcrelease.git.objects.ObjectStore`; ``what``: the
    reason the trees are read, for the message of a partial clone's missing tree.
    """

    def __init__(self, store: ObjectStore, what: str = "a tree (to compare scope paths)") -> None:
        self._store = store
        self._what = what
        self._trees: dict[bytes, dict[bytes, Entry]] = {}

    def entries(self, tree: RawId) -> dict[bytes, Entry]:
        """name -> (mode, id) of the tree ``tree`` (20-byte id).

        Raises:
            RepositoryError: the tree is missing, not a tree, or corrupt.
        """
        found = self._trees.get(tree)
        if found is not None:
            return found
        if tree == EMPTY_TREE:
            return {}
        hexsha = to_hex(tree)
        try:
            kind, data = self._store.read_needed(hexsha, self._what)
            if kind != OBJ_TREE:
                raise RepositoryError(
                    f"{hexsha.decode()} should be a tree and is not. Run `git fsck`."
                )
            found = _parse_entries(data)
        except KeyError:
            raise RepositoryError(
                f"tree {hexsha.decode()} is missing from the object store. The clone is "
                "incomplete or corrupt; re-clone it or run `git fsck`."
            ) from None
        except (ValueError, zlib.error, IndexError) as exc:
            raise RepositoryError(
                f"tree {hexsha.decode()} cannot be read ({exc}). Run `git fsck`."
            ) from exc
        if len(self._trees) >= _CACHE_TREES:
            for key in list(self._trees)[: _CACHE_TREES // 2]:
                del self._trees[key]
        self._trees[tree] = found
        return found

    def child(self, entry: Entry | None, name: bytes) -> Entry | None:
        """The entry ``name`` inside ``entry`` when it is a directory, else None."""
        if entry is None or entry[0] != TREE_MODE:
            return None
        return self.entries(entry[1]).get(name)

    def differs(self, tree: RawId, other: RawId | None, paths: Sequence[tuple[bytes, ...]]) -> bool:
        """True when the trees ``tree`` and ``other`` (None: the empty tree, as git compares
        a root commit) hold different content at any of ``paths`` (each a tuple of
        components from :func:`split_path`; ``()`` is the whole tree).

        Raises:
            RepositoryError: a tree on the way cannot be read.
        """
        if other is None:
            other = EMPTY_TREE
        if tree == other:
            return False
        top: Entry = (TREE_MODE, tree)
        bottom: Entry | None = (TREE_MODE, other)
        child = self.child
        for components in paths:
            a: Entry | None = top
            b = bottom
            for name in components:
                if a == b:
                    break
                a = child(a, name)
                b = child(b, name)
            if a != b:
                return True
        return False


def _parse_entries(data: bytes) -> dict[bytes, Entry]:
    """A tree object's content -> name -> (mode, 20-byte id).

    Raises:
        ValueError: a truncated entry.
    """
    out: dict[bytes, Entry] = {}
    pos = 0
    end = len(data)
    find = data.find
    while pos < end:
        space = find(b" ", pos)
        nul = find(b"\0", space)
        if space < 0 or nul < 0 or nul + 21 > end:
            raise ValueError("truncated tree entry")
        out[data[space + 1 : nul]] = (int(data[pos:space], 8), RawId(data[nul + 1 : nul + 21]))
        pos = nul + 21
    return out
