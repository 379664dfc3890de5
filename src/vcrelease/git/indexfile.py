"""The index file (``.git/index``): its entries and its cache-tree extension.

Format (``gitformat-index``): the signature ``DIRC``, a version (2, 3 or 4) and an entry count;
each entry holds stat data (ctime, mtime, dev, ino, mode, uid, gid, size: 32 bits each), the raw
object id (20 bytes, or 32 in a SHA-256 repository), 16 bits of flags (assume-valid, extended, 2
bits of stage, 12 bits of name length) and, from version 3, 16 bits of extended flags
(skip-worktree, intent-to-add) when the extended bit is set; then the path, NUL-padded to a
multiple of 8 bytes (versions 2, 3) or prefix-compressed against the previous path (version 4: a
varint of bytes to strip, then the NUL-terminated rest). Extensions follow: ``TREE`` (the
cache-tree, :class:`CacheTree`), ``sdir`` (a sparse index: directory entries stand for whole
trees), and optional ones (an upper-case first letter), which are skipped; ``link`` (a split
index) and any other required extension are refused (:class:`UnsupportedIndex`).
"""

import struct
from collections.abc import Iterator
from operator import itemgetter
from typing import NamedTuple

from .ids import RawId
from .varint import decode_varint

__all__ = [
    "ASSUME_VALID",
    "INTENT_TO_ADD",
    "SKIP_WORKTREE",
    "STAT_KEY",
    "CacheTree",
    "EntryHeads",
    "IndexEntry",
    "NeedsFullDecode",
    "UnsupportedIndex",
    "entry_at",
    "parse_index",
    "read_extensions",
    "read_header",
]

SKIP_WORKTREE = 0x4000
INTENT_TO_ADD = 0x2000
ASSUME_VALID = 0x10000  # the entry's "assume valid" flag, kept with the extended flags


class UnsupportedIndex(Exception):
    """An index this reader does not parse (split index, an unknown version or extension)."""


class IndexEntry(NamedTuple):
    """One index entry (a named tuple: the dirty check makes one per tracked file).

    Attributes:
        path: ``/``-separated path relative to the work tree's top (bytes, as stored).
        mode: file mode (``0o100644``, ``0o100755``, ``0o120000`` symlink, ``0o160000``
            submodule, ``0o040000`` a sparse directory entry).
        oid: the blob's (or tree's, or submodule commit's) raw id.
        stage: 0, or 1 to 3 for the sides of a conflict.
        mtime_ns: modification time from the stat data, in nanoseconds.
        size: file size from the stat data, modulo 2**32.
        flags: :data:`SKIP_WORKTREE`, :data:`INTENT_TO_ADD`, and :data:`ASSUME_VALID` for the
            entry's assume-valid bit; 0 for most entries.
        ctime_s, dev, ino, uid, gid: the rest of the stat data git compares (32 bits each;
            ``git-update-index``, ``core.checkStat``, ``core.trustctime``).
    """

    path: bytes
    mode: int
    oid: RawId
    stage: int
    mtime_ns: int
    size: int
    flags: int
    ctime_s: int = 0
    dev: int = 0
    ino: int = 0
    uid: int = 0
    gid: int = 0


class CacheTree:
    """A node of the index's cache-tree extension: ``oid`` is None when invalid."""

    __slots__ = ("children", "entry_count", "oid")

    def __init__(
        self, entry_count: int, oid: bytes | None, children: "dict[bytes, CacheTree]"
    ) -> None:
        self.entry_count = entry_count
        self.oid = oid
        self.children = children


_ENTRIES = {
    20: struct.Struct(">I4xIIIIIIII20sH"),
    32: struct.Struct(">I4xIIIIIIII32sH"),
}
"""Raw id length -> entry head: ctime s, (ns), mtime s, ns, dev, ino, mode, uid, gid, size,
id, flags."""


def parse_index(data: bytes, raw_len: int = 20) -> tuple[list[IndexEntry], CacheTree | None, bool]:
    """An index file (``DIRC``, versions 2, 3 and 4) -> (entries in index order, cache-tree,
    whether any entry has flags: :attr:`IndexEntry.flags`). ``raw_len``: bytes per object id
    (20 SHA-1, 32 SHA-256), which the file does not say; its trailing checksum is that long
    too.

    Raises:
        UnsupportedIndex: another version, or a required extension other than ``sdir``
            (a sparse index, whose directory entries the dirty check compares as trees).
        ValueError, struct.error: a truncated or corrupt file.
    """
    version, count = read_header(data)
    entries: list[IndexEntry] = []
    any_flags = False
    entry_head = _ENTRIES[raw_len]
    pos = 12
    previous = b""
    for _ in range(count):
        entry, pos = _decode_entry(data, pos, entry_head, version, previous)
        previous = entry[0]
        if entry[6]:
            any_flags = True
        entries.append(entry)
    return entries, read_extensions(data, pos, raw_len), any_flags


_new = tuple.__new__


def read_header(data: bytes) -> tuple[int, int]:
    """(version, entry count) of an index file.

    Raises:
        ValueError: not an index file. UnsupportedIndex: a version other than 2, 3, 4.
    """
    if data[:4] != b"DIRC":
        raise ValueError("not an index file")
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        raise UnsupportedIndex(f"index version {version}")
    return version, count


def _decode_entry(
    data: bytes, pos: int, entry_head: struct.Struct, version: int, previous: bytes
) -> tuple[IndexEntry, int]:
    """The entry at ``pos`` and the position of the next one. ``previous``: the path of the
    entry before (version 4 compresses each path against it)."""
    ctime_s, mtime_s, mtime_ns, dev, ino, mode, uid, gid, size, sha, flags = entry_head.unpack_from(
        data, pos
    )
    start = pos + entry_head.size
    extended = 0
    if flags & 0x4000:
        (extended,) = struct.unpack_from(">H", data, start)
        start += 2
    if version == 4:
        strip, start = decode_varint(data, start)
        end = data.index(b"\0", start)
        path = previous[: len(previous) - strip] + data[start:end]
        pos = end + 1
    else:
        length = flags & 0xFFF
        end = data.index(b"\0", start) if length == 0xFFF else start + length
        path = data[start:end]
        pos += (end - pos + 8) & ~7
    if flags & 0x8000:
        extended |= ASSUME_VALID
    # tuple.__new__ rather than IndexEntry(...): the named tuple's __new__ is a Python call
    entry: IndexEntry = _new(
        IndexEntry,
        (
            path,
            mode,
            sha,
            (flags >> 12) & 3,
            mtime_s * 1_000_000_000 + mtime_ns,
            size,
            extended,
            ctime_s,
            dev,
            ino,
            uid,
            gid,
        ),
    )
    return entry, pos


def read_extensions(data: bytes, pos: int, raw_len: int) -> CacheTree | None:
    """Read the extensions from ``pos`` (after the last entry) to the trailing checksum: the
    cache-tree, or None.

    Raises:
        UnsupportedIndex: a required extension other than ``sdir``.
    """
    tree = None
    end = len(data) - raw_len
    while pos + 8 <= end:
        signature = data[pos : pos + 4]
        (length,) = struct.unpack_from(">I", data, pos + 4)
        payload = data[pos + 8 : pos + 8 + length]
        if signature == b"TREE":
            tree = _parse_cache_tree(payload, raw_len)
        elif signature != b"sdir" and not b"A" <= signature[:1] <= b"Z":
            raise UnsupportedIndex(f"index extension {signature!r}")
        pos += 8 + length
    return tree


STAT_KEY = itemgetter(9, 8, 1, 0, 4, 5, 6)
"""``os.stat_result -> (ctime s, mtime s, ino, mode, uid, gid, size)``: a work-tree file's
stat data in the order of :class:`EntryHeads` gives them (integer seconds, as git compares
them)."""


class NeedsFullDecode(Exception):
    """The index holds what only :func:`parse_index` reads: version 4 (prefix-compressed
    paths), a flagged entry (assume-valid, extended flags, a conflict stage) or a path of
    4,095 bytes or more."""


class EntryHeads:
    """The entries of a version 2 or 3 index, read in place for a hot loop (the dirty check
    makes one pass per tracked file). Iterating gives ``(offset, head, path)`` per entry, in
    index order: ``head`` is ``(ctime s, mtime s, ino, mode, uid, gid, size, flags)`` (the
    stat data in the order of :data:`STAT_KEY`, then the 16-bit flags; the dev and
    nanosecond fields, which git built without ``USE_NSEC``/``USE_STDEV`` does not compare,
    and the object id are skipped), ``path`` the entry's path; :func:`entry_at` decodes the
    entry at ``offset`` in full. After a whole iteration :attr:`end` is the offset after the
    last entry (where :func:`read_extensions` starts; -1 before).

    Raises:
        NeedsFullDecode: at creation (version 4) or while iterating (a flagged entry, a long
            path).
        ValueError, UnsupportedIndex: as :func:`read_header`; ValueError, struct.error: a
            truncated file.
    """

    __slots__ = ("count", "data", "end", "raw_len")

    def __init__(self, data: bytes, raw_len: int) -> None:
        version, self.count = read_header(data)
        if version == 4:
            raise NeedsFullDecode("index version 4")
        self.data, self.raw_len = data, raw_len
        self.end = -1

    def __iter__(self) -> Iterator[tuple[int, tuple[int, ...], bytes]]:
        return self.entries(0)

    def entries(self, first: int) -> Iterator[tuple[int, tuple[int, ...], bytes]]:
        """As iterating, from the entry numbered ``first`` (0-based) on: the entries before
        it are stepped over reading only their flags (which hold the path's length), and
        checked as iterating checks them."""
        data = self.data
        head_of = _HEADS[self.raw_len].unpack_from
        head_len = 42 + self.raw_len
        pos = 12
        if first:
            flags_of = _FLAGS.unpack_from
            flags_at = head_len - 2
            for _ in range(min(first, self.count)):
                flags = flags_of(data, pos + flags_at)[0]
                if flags >= 0xFFF:
                    raise NeedsFullDecode(f"a flagged entry at offset {pos}")
                pos += (head_len + flags + 8) & ~7
        for _ in range(self.count - first):
            head = head_of(data, pos)
            flags = head[7]
            if flags >= 0xFFF:
                # assume-valid, extended or a stage (the top 4 bits), or a path of 0xFFF bytes
                # or more; else the flags are the path's length
                raise NeedsFullDecode(f"a flagged entry at offset {pos}")
            start = pos + head_len
            yield pos, head, data[start : start + flags]
            pos += (head_len + flags + 8) & ~7  # NUL-padded to a multiple of 8
        if pos > len(data) - self.raw_len:
            raise ValueError("truncated index file")
        self.end = pos


_HEADS = {n: struct.Struct(f">I4xI4x4xIIIII{n}xH") for n in (20, 32)}
"""Raw id length -> the entry head as :class:`EntryHeads` reads it."""

_FLAGS = struct.Struct(">H")
"""An entry's 16-bit flags, the last field of its head."""


def entry_at(data: bytes, pos: int, raw_len: int) -> IndexEntry:
    """The entry at byte offset ``pos`` of a version 2 or 3 index, decoded in full."""
    return _decode_entry(data, pos, _ENTRIES[raw_len], 2, b"")[0]


def _parse_cache_tree(data: bytes, raw_len: int) -> CacheTree | None:
    """The ``TREE`` extension: nodes in pre-order, ``<name>\\0<count> <subtrees>\\n[<oid>]``."""
    pos = 0

    def node() -> tuple[bytes, CacheTree]:
        nonlocal pos
        nul = data.index(b"\0", pos)
        name = data[pos:nul]
        newline = data.index(b"\n", nul)
        count_text, subtrees_text = data[nul + 1 : newline].split(b" ")
        pos = newline + 1
        count = int(count_text)
        oid = None
        if count >= 0:
            oid = data[pos : pos + raw_len]
            pos += raw_len
        children = {}
        for _ in range(int(subtrees_text)):
            child_name, child = node()
            children[child_name] = child
        return name, CacheTree(count, oid, children)

    if not data:
        return None
    try:
        return node()[1]
    except (ValueError, IndexError):
        return None  # a cache-tree we cannot read: compare every entry instead
