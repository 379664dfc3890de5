"""Tree objects by path: does a commit change what lies at some paths?

Format (``gitformat-pack``, "Object types"; ``git-cat-file``): a tree object is a run of
entries ``<octal mode> SP <name> NUL <raw id>`` (:func:`vcrelease.git.objects.parse_tree`),
names sorted git's way; a directory is
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
from .objects import ObjectStore, parse_tree

__all__ = ["EMPTY_TREE", "EMPTY_TREE_SHA256", "TREE_MODE", "Entry", "TreeReader", "split_path"]

TREE_MODE = 0o40000
"""The mode of a directory entry in a tree object."""

Entry = tuple[int, RawId]
"""What a tree holds at a path: (mode, raw id)."""

EMPTY_TREE = RawId(bytes.fromhex("4b825dc642cb6eb9a060e54bf8d69288fbee4904"))
"""The id of the empty tree in a SHA-1 repository, which git knows without storing it."""

EMPTY_TREE_SHA256 = RawId(
    bytes.fromhex("6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321")
)
"""The id of the empty tree in a SHA-256 repository."""

_EMPTY_TREES = frozenset((EMPTY_TREE, EMPTY_TREE_SHA256))

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
        """name -> (mode, id) of the tree ``tree`` (a raw id).

        Raises:
            RepositoryError: the tree is missing, not a tree, or corrupt.
        """
        found = self._trees.get(tree)
        if found is not None:
            return found
        if tree in _EMPTY_TREES:
            return {}
        hexsha = to_hex(tree)
        try:
            kind, data = self._store.read(hexsha)
            if kind != OBJ_TREE:
                raise RepositoryError(
                    f"{hexsha.decode()} should be a tree and is not. Run `git fsck`."
                )
            found = {name: (mode, oid) for name, mode, oid in parse_tree(data, len(tree))}
        except KeyError:
            raise RepositoryError(self._store.missing_message(hexsha, "tree", self._what)) from None
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
            other = EMPTY_TREE if len(tree) == 20 else EMPTY_TREE_SHA256
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
