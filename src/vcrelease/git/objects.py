"""The object store: objects by id from packs, loose files and alternates, and the parsers of
the object kinds the readers need (commit header, annotated tag, tree).

Layout (``gitrepository-layout``): ``objects/pack/*.idx`` + ``*.pack`` (:mod:`.pack`), loose
objects in ``objects/<2 hex>/<38 or 62 hex>`` (zlib of ``<type> <size>\\0<content>``), and further
alternate object directories (``objects/info/alternates``, ``GIT_ALTERNATE_OBJECT_DIRECTORIES``:
:mod:`.alternates`). Object formats (``gitformat-commit``... in git's ``Documentation/``, and
``git-cat-file``): a commit starts ``tree <hex>\\n``, then ``parent <hex>\\n`` lines, then
``author`` and ``committer <name> <<email>> <seconds> <zone>``; an annotated tag starts
``object <hex>\\ntype <word>\\n``; a tree is a run of ``<octal mode> <name>\\0<raw id>``.
Ids are SHA-1 (40 hex, 20 raw bytes) or SHA-256 (64 hex, 32 bytes), by the repository's
object format (:data:`vcrelease.git.ids.RAW_LENGTHS`).

:func:`parse_commit` is the one commit header parser: the general reader and the fused reader
of the history walk both use it.
"""

from __future__ import annotations

import binascii
import bisect
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..errors import RepositoryError
from .files import read_optional
from .ids import (
    OBJ_COMMIT,
    OBJ_OFS_DELTA,
    OBJ_REF_DELTA,
    OBJ_TAG,
    TYPE_NAMES,
    TYPE_WORDS,
    HexId,
    RawId,
    to_hex,
    to_raw,
)
from .pack import SMALL_COMMIT, CorruptPack, Pack, apply_delta, delta_base

_ALTERNATES_VARIABLE = "GIT_ALTERNATE_OBJECT_DIRECTORIES"
"""``alternates.ENV_VARIABLE``, named here so that a repository without alternates does not
import that module (``tests/test_git_alternates.py::test_the_environment_variable_is_read``
reads a repository whose only alternate is in it)."""

if TYPE_CHECKING:
    import array
    import mmap

    from dulwich.object_store import BaseObjectStore
    from dulwich.repo import Repo

__all__ = [
    "NotACommit",
    "ObjectStore",
    "TreeEntry",
    "parse_commit",
    "parse_tag_object",
    "parse_tree",
    "peel",
    "split_loose",
]

_DELTA_CACHE_BYTES = 16 * 1024 * 1024
"""What :meth:`ObjectStore._read_packed` keeps of resolved delta chains."""

TreeEntry = tuple[bytes, int, RawId]
"""One entry of a tree object: (name, mode as an int, raw id)."""


class ObjectStore:
    """Objects by hex id: packs (most recently hit first), loose objects, alternates.

    ``raw_len`` is the bytes per raw id of the repository's object format (20 SHA-1, 32
    SHA-256). What this reader cannot place (a pack index of another version, an object
    added after the packs were listed and gone from the loose directory) is asked of
    dulwich's object store.
    Missing objects raise ``KeyError``; a corrupt object raises ``ValueError``.
    """

    def __init__(
        self,
        objects_dir: str,
        dulwich: Callable[[], Repo],
        promisor: Callable[[], str | None] = lambda: None,
        raw_len: int = 20,
    ) -> None:
        self.raw_len = raw_len
        if os.environ.get(_ALTERNATES_VARIABLE) or os.path.exists(
            os.path.join(objects_dir, "info", "alternates")
        ):
            from .alternates import object_dirs  # most repositories have none

            self._dirs = object_dirs(objects_dir)
        else:
            self._dirs = [os.path.normpath(os.path.abspath(objects_dir))]
        self._packs: list[Pack] | None = None
        self._dulwich = dulwich
        self._promisor = promisor
        self._delta_cache: dict[tuple[int, int], tuple[int, bytes]] = {}
        self._delta_cache_bytes = 0
        self._dulwich_alternates = False
        self.corrupt: list[str] = []
        """Why each pack git would not use was left out (:class:`~.pack.CorruptPack`), for
        the message of an object that is then missing."""

    def explain_missing(self, hexsha: bytes, what: str) -> str | None:
        """Why the object ``hexsha`` is missing when the repository is a partial clone (the
        message of :func:`vcrelease.git.partial.missing_in_partial_clone`, ``what`` saying
        what the object is and what needs it); None otherwise. Reads the config only here."""
        remote = self._promisor()
        if remote is None:
            return None
        from .partial import missing_in_partial_clone

        return missing_in_partial_clone(remote, hexsha.decode("ascii", "replace"), what)

    def missing_message(self, hexsha: bytes, word: str, what: str) -> str:
        """Why the object ``hexsha`` (a ``word``: commit, tree, ...) is not here, and the fix:
        :meth:`explain_missing` in a partial clone, else an incomplete or corrupt clone."""
        hint = self.explain_missing(hexsha, what)
        if hint is not None:
            return hint
        if self.corrupt:
            return (
                f"{word} {hexsha.decode('ascii', 'replace')} is missing from the object store, "
                f"and a pack that may hold it is corrupt ({'; '.join(self.corrupt)}); git "
                "ignores that pack too. Run `git fsck`, then re-clone or restore the pack."
            )
        return (
            f"{word} {hexsha.decode('ascii', 'replace')} is missing from the object store. The "
            "clone is incomplete or corrupt; re-clone it or run `git fsck`."
        )

    def read_needed(self, hexsha: HexId, what: str) -> tuple[int, bytes]:
        """:meth:`read`, a missing object of a partial clone raised as the
        :class:`~vcrelease.errors.RepositoryError` that says so (:meth:`explain_missing`)."""
        try:
            return self.read(hexsha)
        except KeyError:
            hint = self.explain_missing(hexsha, what)
            if hint is None:
                raise
            raise RepositoryError(hint) from None

    def close(self) -> None:
        for pack in self._packs or ():
            pack.close()
        self._packs = None
        self._delta_cache.clear()  # keyed on the packs' identities
        self._delta_cache_bytes = 0

    @property
    def packs(self) -> list[Pack]:
        """The packs of every object directory, listed and mapped on first use, most recently
        hit first (the list is reordered as lookups hit; read it, do not change it)."""
        if self._packs is None:
            self._packs = self._load_packs()
        return self._packs

    def _load_packs(self) -> list[Pack]:
        packs: list[tuple[float, Pack]] = []
        self.corrupt.clear()
        for directory in self._dirs:
            pack_dir = os.path.join(directory, "pack")
            try:
                names = os.listdir(pack_dir)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if not name.endswith(".idx"):
                    continue
                path = os.path.join(pack_dir, name)
                try:
                    packs.append((os.stat(path).st_mtime, Pack(path, self.raw_len)))
                except CorruptPack as exc:
                    self.corrupt.append(str(exc))  # git ignores such a pack too
                except (OSError, ValueError):
                    continue  # another idx version, a pack being written: dulwich's turn
        packs.sort(key=lambda item: -item[0])
        return [pack for _, pack in packs]

    def _locate(self, oid: RawId) -> tuple[Pack, int] | None:
        if self._packs is None:
            self._packs = self._load_packs()
        packs = self._packs
        for i, pack in enumerate(packs):
            offset = pack.find(oid)
            if offset is not None:
                if i:
                    packs.insert(0, packs.pop(i))
                return pack, offset
        return None

    def _loose(self, hexsha: HexId) -> bytes | None:
        name = hexsha.decode("ascii")
        for directory in self._dirs:
            raw = read_optional(os.path.join(directory, name[:2], name[2:]))
            if raw is not None:
                return zlib.decompress(raw)
        return None

    def exists(self, hexsha: HexId) -> bool:
        """The object is in this repository (a pack, a loose file, or dulwich finds it)."""
        try:
            if self._locate(to_raw(hexsha)) is not None:
                return True
        except binascii.Error:
            return False
        name = hexsha.decode("ascii")
        if any(os.path.exists(os.path.join(d, name[:2], name[2:])) for d in self._dirs):
            return True
        return self._from_dulwich(hexsha) is not None

    def missing(self, hexshas: Iterable[HexId]) -> set[HexId]:
        """The ids among ``hexshas`` (hex) that are no object here: :meth:`exists` for
        many ids at once (thousands of tags), one batch lookup per pack."""
        if self._packs is None:
            self._packs = self._load_packs()
        todo: list[tuple[RawId, HexId]] = []
        absent: set[HexId] = set()
        for hexsha in hexshas:
            try:
                todo.append((to_raw(hexsha), hexsha))
            except binascii.Error:
                absent.add(hexsha)
        for pack in self._packs:
            if not todo:
                break
            found = pack.find_indices([oid for oid, _ in todo])
            todo = [item for item, index in zip(todo, found, strict=True) if index is None]
        absent.update(hexsha for _, hexsha in todo if not self.exists(hexsha))
        return absent

    def kinds(self, hexshas: Sequence[HexId]) -> list[int | None]:
        """:meth:`kind` of each of ``hexshas`` (thousands of lightweight tags), None for an id
        that is no object here, not hex, or unreadable (the caller's own read of it says
        why): one batch lookup per pack, then the entry header of each whole object found (a
        delta's type is its base's: :meth:`kind` then)."""
        if self._packs is None:
            self._packs = self._load_packs()
        out: list[int | None] = [None] * len(hexshas)
        todo: list[tuple[int, RawId]] = []
        for i, hexsha in enumerate(hexshas):
            try:
                todo.append((i, to_raw(hexsha)))
            except binascii.Error:
                continue
        for pack in self._packs:
            if not todo:
                break
            left = []
            for (i, oid), index in zip(todo, pack.find_indices([o for _, o in todo]), strict=True):
                if index is None:
                    left.append((i, oid))
                    continue
                try:
                    kind = pack.entry(pack.offset_at(index))[0]
                    out[i] = kind if kind in TYPE_WORDS else self.kind(hexshas[i])
                except (KeyError, ValueError, zlib.error, IndexError):
                    out[i] = None
            todo = left
        for i, _ in todo:  # loose, or only dulwich knows
            try:
                out[i] = self.kind(hexshas[i])
            except (KeyError, ValueError, zlib.error, IndexError):
                out[i] = None
        return out

    def kind(self, hexsha: HexId) -> int:
        """The type of the object ``hexsha`` (1 commit, 2 tree, 3 blob, 4 tag), inflating
        nothing when it is a whole object in a pack."""
        found = self._locate(to_raw(hexsha))
        if found is not None:
            kind = found[0].entry(found[1])[0]
            if kind in TYPE_WORDS:
                return kind
            return self._read_packed(*found)[0]
        name = hexsha.decode("ascii")
        for directory in self._dirs:
            raw = read_optional(os.path.join(directory, name[:2], name[2:]))
            if raw is not None:
                head = zlib.decompressobj().decompress(raw, 32)
                loose_kind = TYPE_NAMES.get(head.partition(b" ")[0])
                if loose_kind is None:
                    raise ValueError(f"loose object {name} of unknown type")
                return loose_kind
        return self.read(hexsha)[0]

    def read(self, hexsha: HexId) -> tuple[int, bytes]:
        """(type: 1 commit, 2 tree, 3 blob, 4 tag; content) of the object ``hexsha``."""
        found = self._locate(to_raw(hexsha))
        if found is not None:
            return self._read_packed(*found)
        raw = self._loose(hexsha)
        if raw is not None:
            return split_loose(raw)
        got = self._from_dulwich(hexsha)
        if got is None:
            raise KeyError(hexsha)
        return got

    def commit(self, hexsha: HexId) -> tuple[HexId, tuple[HexId, ...], int]:
        """(tree, parents, committer time in seconds) of the commit ``hexsha``
        (:func:`parse_commit`).

        A whole (not deltified) commit in a pack is inflated in one call, or only up to its
        committer line when it is large (:meth:`vcrelease.git.pack.Pack.commit_start`).

        Raises:
            KeyError: no such object. NotACommit: another type. ValueError, zlib.error: a
                corrupt object.
        """
        oid = to_raw(hexsha)
        if self._packs is None:
            self._packs = self._load_packs()
        for pack in self._packs:
            offset = pack.find(oid)
            if offset is None:
                continue
            header = pack.commit_start(offset)
            if header is None:
                break  # a delta, or not a commit: the general reader says which
            return parse_commit(header)
        kind, content = self.read(hexsha)
        if kind != OBJ_COMMIT:
            raise NotACommit(kind)
        return parse_commit(content)

    def parents_and_time(self, hexsha: HexId) -> tuple[tuple[HexId, ...], int]:
        """(parents, committer time) of the commit ``hexsha``: :meth:`commit` without the
        tree. Raises as :meth:`commit`. The walk reads through :meth:`commit_reader`."""
        _, parents, when = self.commit(hexsha)
        return parents, when

    def commit_reader(self) -> Callable[[HexId], tuple[tuple[HexId, ...], int]]:
        """A function ``hexsha -> (parents, committer time)``, as :meth:`parents_and_time`,
        for the walk without a commit-graph, where it runs once per commit and where its
        calls and attribute reads cost as much as its work (100,000 commits: a tenth of the
        walk).

        The packs whose id tables have their prefix arrays (built after a few hundred
        lookups, :class:`~vcrelease.git.sortedids.SortedIds`) are read with their tables
        bound once: a bisect in C and an id comparison, the entry header, one inflate of a
        whole commit (``gitformat-pack``), then :func:`parse_commit`. Anything else goes to
        :meth:`parents_and_time`: a pack still on binary searches, a deltified commit or one
        over :data:`~vcrelease.git.pack.SMALL_COMMIT` bytes, an 8-byte offset, a loose or
        missing object, another type. Errors are :meth:`commit`'s; use the function only
        while this store is open.
        """
        general = self.parents_and_time
        unhexlify = binascii.unhexlify
        from_bytes = int.from_bytes
        bisect_left = bisect.bisect_left
        decompress = zlib.decompress
        zlib_error = zlib.error
        tables: list[tuple[array.array[int], list[int], mmap.mmap, array.array[int], mmap.mmap]]
        tables = []
        width = self.raw_len
        listed: list[Pack] | None = None  # the pack list ``tables`` was bound from

        def fallback(hexsha: HexId) -> tuple[tuple[HexId, ...], int]:
            nonlocal tables, listed
            found = general(hexsha)
            listed = self._packs  # the general read may have built more prefix arrays
            tables = [
                (p.ids.prefixes, p.fanout, p.idx, p.offset_table, p.data)
                for p in listed or ()
                if p.ids.prefixes is not None and p.fanout
            ]
            return found

        def read(hexsha: HexId) -> tuple[tuple[HexId, ...], int]:
            if listed is not self._packs:
                return fallback(hexsha)
            oid = unhexlify(hexsha)
            key = from_bytes(oid[:4], "big")
            first = oid[0]
            for prefixes, fanout, idx, offsets, data in tables:
                hi = fanout[first + 1]
                index = bisect_left(prefixes, key, fanout[first], hi)
                start = 1032 + width * index  # the id table follows the header and fan-out
                while index < hi and prefixes[index] == key:
                    if idx[start : start + width] == oid:
                        break
                    index += 1
                    start += width
                else:
                    continue  # not in this pack
                offset = offsets[index]
                if offset & 0x80000000:
                    break  # an 8-byte offset
                c = data[offset]
                if c & 0x70 != 0x10:
                    break  # not a whole commit (type 1): a delta, or another type
                size = c & 15
                pos = offset + 1
                shift = 4
                while c & 0x80:
                    c = data[pos]
                    pos += 1
                    size |= (c & 0x7F) << shift
                    shift += 7
                if size > SMALL_COMMIT:
                    break
                try:
                    body = decompress(data[pos : pos + size + 64])
                except zlib_error:
                    break  # a stream longer than size + 64 bytes: read in steps
                _, parents, when = parse_commit(body)
                return parents, when
            return fallback(hexsha)

        return read

    def _read_packed(self, pack: Pack, offset: int) -> tuple[int, bytes]:
        """The object at ``offset`` of ``pack``, its delta chain applied. Objects resolved
        on the way of a chain are kept (:data:`_DELTA_CACHE_BYTES` in all, as git's
        ``delta_base_cache``): trees of neighbouring commits share their bases, and a walk
        that reads many (the scoped distance) would otherwise apply each chain again."""
        deltas: list[tuple[Pack, int, bytes]] = []
        cache = self._delta_cache
        while True:
            hit = cache.get((id(pack), offset))
            if hit is not None:
                kind, base = hit
                break
            kind, size, pos = pack.entry(offset)
            if kind in (OBJ_OFS_DELTA, OBJ_REF_DELTA):
                base_at, pos = delta_base(pack.data, kind, offset, pos, pack.raw_len)
                deltas.append((pack, offset, pack.inflate(pos, size)))
                if isinstance(base_at, int):
                    offset = base_at
                    continue
                found = self._locate(base_at)
                if found is None:
                    kind, base = self.read(to_hex(base_at))
                    break
                pack, offset = found
                continue
            if kind not in TYPE_WORDS:
                raise ValueError(f"pack entry of unknown type {kind}")
            base = pack.inflate(pos, size)
            if deltas:
                self._keep(pack, offset, kind, base)
            break
        for at_pack, at_offset, delta in reversed(deltas):
            base = apply_delta(base, delta)
            self._keep(at_pack, at_offset, kind, base)
        return kind, base

    def _keep(self, pack: Pack, offset: int, kind: int, data: bytes) -> None:
        """Remember a resolved object of a delta chain, the oldest dropped past the budget."""
        size = len(data)
        if size > _DELTA_CACHE_BYTES // 8:
            return
        cache = self._delta_cache
        key = (id(pack), offset)
        if key in cache:
            return
        cache[key] = (kind, data)
        self._delta_cache_bytes += size
        while self._delta_cache_bytes > _DELTA_CACHE_BYTES:
            oldest = next(iter(cache))
            self._delta_cache_bytes -= len(cache.pop(oldest)[1])

    def _from_dulwich(self, hexsha: bytes) -> tuple[int, bytes] | None:
        if self.corrupt:
            return None  # dulwich would read the pack git refuses
        try:
            store = self._dulwich().object_store
            if not self._dulwich_alternates:
                self._dulwich_alternates = True
                store._alternates = _plain_stores(self._dirs[1:])
            kind, data = store.get_raw(hexsha)  # type: ignore[arg-type]
        except Exception:
            # (AttributeError on a quoted alternates line, struct errors on a damaged index):
            # it has no object for this id either, and the caller's missing-object message
            # names the fix, where dulwich's exception would be exit 70.
            return None
        return int(kind), bytes(data)


def _plain_stores(dirs: Sequence[str]) -> list[BaseObjectStore]:
    """dulwich object stores of ``dirs`` that read no alternates of their own: the alternates
    dulwich's store falls back on are git's (:mod:`.alternates`: quoted lines, the
    environment variable, the depth limit), not dulwich's own reading of the files."""
    from dulwich.object_store import DiskObjectStore

    stores: list[BaseObjectStore] = []
    for directory in dirs:
        store = DiskObjectStore(directory)
        store._alternates = []
        stores.append(store)
    return stores


class NotACommit(ValueError):
    """An object that should be a commit is of another type (``kind``: 2 tree, 3 blob, 4 tag)."""

    def __init__(self, kind: int) -> None:
        super().__init__(f"a {TYPE_WORDS.get(kind, 'object')}, not a commit")
        self.kind = kind


def split_loose(raw: bytes) -> tuple[int, bytes]:
    """A loose object's inflated bytes (``<type> <size>\\0<content>``) -> (type, content)."""
    nul = raw.index(b"\0")
    word, _, _ = raw[:nul].partition(b" ")
    kind = TYPE_NAMES.get(word)
    if kind is None:
        raise ValueError(f"loose object of unknown type {word!r}")
    return kind, raw[nul + 1 :]


def parse_commit(data: bytes) -> tuple[HexId, tuple[HexId, ...], int]:
    """A commit's header (at least up to the committer line) -> (tree, parents in parent
    order, committer time in seconds since the Unix epoch). Ids are returned as stored:
    40 hex (SHA-1) or 64 (SHA-256), as the tree line's length says.

    Raises:
        ValueError: no tree line, no committer line, or a committer line without a time.
    """
    if data[45:46] == b"\n":
        width = 40
    elif data[69:70] == b"\n":
        width = 64
    else:
        raise ValueError("commit without a tree line")
    if not data.startswith(b"tree "):
        raise ValueError("commit without a tree line")
    first = width + 6  # where a first parent line would start
    step = width + 8  # "parent " + id + "\n"
    parents: tuple[bytes, ...]
    # startswith at an offset and searches within bounds: no slice is made but the ids
    if not data.startswith(b"parent ", first):
        parents = ()
        pos = first
    elif not data.startswith(b"parent ", first + step):
        parents = (data[first + 7 : first + 7 + width],)
        pos = first + step
    else:
        found = []
        pos = first
        while data.startswith(b"parent ", pos):
            found.append(data[pos + 7 : pos + 7 + width])
            pos += step
        parents = tuple(found)
    at = data.find(b"\ncommitter ", pos - 1)
    end = data.find(b"\n", at + 11)
    if at < 0 or end < 0:
        raise ValueError("commit without a committer line")
    try:
        when = int(data[data.rindex(b">", at + 11, end) + 1 : end].split()[0])
    except (ValueError, IndexError):
        raise ValueError(f"bad committer line {data[at + 11 : end][:80]!r}") from None
    # The slices are HexIds by the format; no HexId() per id: this runs once per commit in the
    # walk without a commit-graph, where a call per id would cost about 0.1 us each.
    return data[5 : 5 + width], parents, when  # type: ignore[return-value]


def parse_tag_object(data: bytes) -> tuple[HexId, int]:
    """An annotated tag's ``object`` and ``type`` lines -> (hex id, type number)."""
    if not data.startswith(b"object "):
        raise ValueError("tag object without an object line")
    target = HexId(data[7 : data.find(b"\n", 7)])
    if len(target) not in (40, 64):
        raise ValueError("tag object with a malformed object line")
    at = data.find(b"\ntype ")
    word = data[at + 6 : data.find(b"\n", at + 6)] if at >= 0 else b""
    kind = TYPE_NAMES.get(word)
    if kind is None:
        raise ValueError(f"tag object of unknown target type {word!r}")
    return target, kind


def parse_tree(data: bytes, raw_len: int = 20) -> list[TreeEntry]:
    """A tree object -> [(name, mode, raw id of ``raw_len`` bytes)] in stored order.

    Raises:
        ValueError: a truncated or malformed entry.
    """
    out: list[TreeEntry] = []
    pos = 0
    end = len(data)
    while pos < end:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        stop = nul + 1 + raw_len
        if stop > end:
            raise ValueError("truncated tree entry")
        out.append((data[space + 1 : nul], int(data[pos:space], 8), RawId(data[nul + 1 : stop])))
        pos = stop
    return out


def peel(store: ObjectStore, sha: HexId) -> HexId:
    """The id ``sha`` names after peeling annotated tags (``git rev-parse <sha>^{}``; any
    object type).

    Raises:
        KeyError: an object on the way is missing (``args[0]``: its id).
        ValueError, zlib.error: a corrupt object, or tags nested more than 32 deep.
    """
    for _ in range(32):
        try:
            if store.kind(sha) != OBJ_TAG:
                return sha
            _, data = store.read(sha)
        except KeyError:
            raise KeyError(sha) from None
        sha, _ = parse_tag_object(data)
        sha = HexId(sha.lower())
    raise ValueError("tags nested more than 32 deep")
