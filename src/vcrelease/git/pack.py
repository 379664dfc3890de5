"""Pack files: the version 2 ``.idx`` lookup, the pack entry header and git's delta format.

Format (``gitformat-pack``): a ``.idx`` (version 2) holds the magic ``\\377tOc``, version 2, a
256-entry fan-out table, the sorted raw ids (20 bytes each in a SHA-1 repository, 32 in a
SHA-256 one: the file does not say, the repository's object format does), their CRC-32s,
their 4-byte offsets (high bit
set: an index into the table of 8-byte offsets that follows). A ``.pack`` entry starts with a
header: 3 bits of type and the inflated size as a little-endian base-128 varint (4 bits in the
first byte); an offset delta (type 6) then gives its base's distance back in the pack as a
big-endian varint with an added 1 per continuation byte, a ref delta (type 7) its base's
raw id; the zlib stream follows. A delta holds two varint sizes (base, result) and
copy/insert instructions.

A pack is checked when it is opened as git checks it before use (``packfile.c``,
``check_packed_git_idx`` and ``open_packed_git_1``): a fan-out table that never decreases, an
index whose size fits its object count, a ``.pack`` whose header counts as many objects and
whose trailing checksum is the one the index records. git ignores a pack that fails (its
objects are then missing, or found elsewhere), and so does the object store
(:class:`CorruptPack`).

Both files are memory-mapped; nothing else is read up front. This module is the one decoder of the
entry header (:func:`entry_header`) and of delta bases (:func:`delta_base`): the object store's
general reader and its fused commit reader both go through them.
"""

from __future__ import annotations

import array
import bisect
import mmap
import struct
import sys
import zlib
from collections.abc import Sequence

from .ids import OBJ_COMMIT, OBJ_OFS_DELTA, OBJ_REF_DELTA, RawId
from .sortedids import Buffer, SortedIds
from .varint import decode_varint

__all__ = [
    "SMALL_COMMIT",
    "CorruptPack",
    "Pack",
    "apply_delta",
    "delta_base",
    "entry_header",
    "uint32_array",
]

SMALL_COMMIT = 2048
"""Inflated size up to which a commit is inflated in one call (most commits); a larger one
is inflated only up to its committer line."""


def entry_header(data: Buffer, offset: int) -> tuple[int, int, int]:
    """The header of the pack entry at ``offset``: (type number, inflated size in bytes,
    offset of what follows the header: the zlib stream, or a delta's base).

    Raises:
        IndexError: ``offset`` is past the end of the pack.
    """
    c = data[offset]
    kind = (c >> 4) & 7
    size = c & 15
    shift = 4
    pos = offset + 1
    while c & 0x80:
        c = data[pos]
        pos += 1
        size |= (c & 0x7F) << shift
        shift += 7
    return kind, size, pos


def delta_base(
    data: Buffer, kind: int, offset: int, pos: int, raw_len: int = 20
) -> tuple[int | RawId, int]:
    """The base of a delta entry at ``offset`` whose header ends at ``pos``: (the base's
    offset in this pack for an offset delta, or its ``raw_len``-byte id for a ref delta;
    offset of the zlib stream).

    Raises:
        ValueError: ``kind`` is not a delta type.
    """
    if kind == OBJ_OFS_DELTA:
        back, pos = decode_varint(data, pos)
        return offset - back, pos
    if kind == OBJ_REF_DELTA:
        return RawId(bytes(data[pos : pos + raw_len])), pos + raw_len
    raise ValueError(f"pack entry of type {kind} is not a delta")


class CorruptPack(ValueError):
    """A pack git would not use: its ``.idx`` or ``.pack`` fails git's checks (the message
    names the file and the check)."""


def _check(idx: Buffer, data: Buffer, raw_len: int, idx_path: str) -> None:
    """git's checks of a version 2 pack index and its pack (see the module docstring).

    Raises:
        CorruptPack: the first check that fails.
    """
    fanout = struct.unpack_from(">256I", idx, 8)
    if list(fanout) != sorted(fanout):
        raise CorruptPack(f"{idx_path}: non-monotonic index (its fan-out table decreases)")
    count = fanout[255]
    smallest = 8 + 1024 + count * (raw_len + 8) + 2 * raw_len
    largest = smallest + (count - 1) * 8 if count else smallest
    if not smallest <= len(idx) <= largest:
        raise CorruptPack(f"{idx_path}: wrong index file size for {count} objects")
    if data[:4] != b"PACK" or data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        raise CorruptPack(f"{idx_path[:-4]}.pack: not a version 2 or 3 pack")
    if len(data) < 12 + raw_len or struct.unpack_from(">I", data, 8)[0] != count:
        raise CorruptPack(f"{idx_path[:-4]}.pack: holds another number of objects than its index")
    if data[len(data) - raw_len :] != idx[len(idx) - 2 * raw_len : len(idx) - raw_len]:
        raise CorruptPack(f"{idx_path[:-4]}.pack does not match its index")


class Pack:
    """One pack: its version 2 ``.idx`` and its ``.pack``, memory-mapped.

    Use :meth:`close` when done. The attributes :attr:`ids`, :attr:`idx`, :attr:`fanout` and
    :attr:`offset_table` are read by the object store's fused commit reader
    (:meth:`vcrelease.git.objects.ObjectStore.commit_reader`), which looks ids up without a
    call per pack; :attr:`fanout` and :attr:`offset_table` are filled once the id table has
    its prefix array.

    Args (constructor):
        idx_path: the ``.idx`` file; its ``.pack`` is beside it.
        raw_len: bytes per object id (20 SHA-1, 32 SHA-256: the repository's format).

    Raises (constructor):
        OSError: a file cannot be opened or mapped.
        CorruptPack: the files fail git's checks (see the module docstring).
        ValueError: the ``.idx`` is not version 2.
    """

    def __init__(self, idx_path: str, raw_len: int = 20) -> None:
        with open(idx_path, "rb") as f:
            self.idx = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            if self.idx[:8] != b"\xfftOc\x00\x00\x00\x02":
                raise ValueError(f"{idx_path}: not a version 2 pack index")
            with open(idx_path[: -len(".idx")] + ".pack", "rb") as f:
                self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self.idx.close()
            raise
        try:
            if len(self.idx) < 8 + 1024:
                raise CorruptPack(f"{idx_path}: index file too small")
            _check(self.idx, self.data, raw_len, idx_path)
        except BaseException:
            self.close()
            raise
        self.raw_len = raw_len
        self.ids = SortedIds(self.idx, 8 + 1024, 8, raw_len)
        self.count = self.ids.count
        self.offset_table: array.array[int] = array.array("I")
        self.fanout: list[int] = []  # [0, fan-out...]: index range of each first byte
        self._oids = 8 + 1024
        self._offsets = self._oids + (raw_len + 4) * self.count  # after the ids and the CRCs
        self._large = self._offsets + 4 * self.count

    def close(self) -> None:
        self.idx.close()
        self.data.close()

    def find(self, oid: RawId) -> int | None:
        """Offset in the pack of binary ``oid``, or None.

        Once the id table has its prefix array (after a few hundred lookups, see
        :class:`~vcrelease.git.sortedids.SortedIds`) the offsets are copied into an array too,
        and a lookup is a bisect in C plus one id comparison.
        """
        ids = self.ids
        prefixes = ids.prefixes
        if prefixes is None:
            index = ids.find(oid)
            if ids.prefixes is not None:
                # This lookup built the prefix array (a miss may too): the tables go with it,
                # since every later lookup (and the walk's fused reader) reads them.
                self._build_tables()
            if index is None:
                return None
            if ids.prefixes is None:
                (offset,) = struct.unpack_from(">I", self.idx, self._offsets + 4 * index)
                if offset & 0x80000000:
                    offset = self._large_offset(offset)
                return int(offset)
        else:
            key = int.from_bytes(oid[:4], "big")
            fanout = self.fanout
            first = oid[0]
            index = bisect.bisect_left(prefixes, key, fanout[first], fanout[first + 1])
            idx = self.idx
            width = self.raw_len
            start = 1032 + width * index
            count = self.count
            while True:
                if index >= count or prefixes[index] != key:
                    return None
                if idx[start : start + width] == oid:
                    break
                index += 1
                start += width
        offset = self.offset_table[index]
        if offset & 0x80000000:
            offset = self._large_offset(offset)
        return int(offset)

    def find_indices(self, oids: Sequence[RawId]) -> list[int | None]:
        """Index in the id table of each of ``oids`` (binary), None where absent: a batch of
        lookups (:meth:`~vcrelease.git.sortedids.SortedIds.find_many`)."""
        found = self.ids.find_many(oids)
        if self.ids.prefixes is not None and not self.fanout:
            self._build_tables()  # find() and the walk's reader expect them with the prefixes
        return found

    def offset_at(self, index: int) -> int:
        """Offset in the pack of the object at ``index`` of the id table."""
        (offset,) = struct.unpack_from(">I", self.idx, self._offsets + 4 * index)
        if offset & 0x80000000:
            offset = self._large_offset(offset)
        return int(offset)

    def _build_tables(self) -> None:
        """The offsets and the fan-out as arrays, for lookups on the prefix array."""
        offsets = self.idx[self._offsets : self._offsets + 4 * self.count]
        self.offset_table = uint32_array(offsets)
        self.fanout = [0, *uint32_array(self.idx[8 : 8 + 1024])]

    def _large_offset(self, offset: int) -> int:
        at = self._large + 8 * (offset & 0x7FFFFFFF)
        if at + 8 > len(self.idx) - 2 * self.raw_len:
            raise ValueError("pack index names an 8-byte offset past its table (bad offset)")
        (large,) = struct.unpack_from(">Q", self.idx, at)
        return int(large)

    def entry(self, offset: int) -> tuple[int, int, int]:
        """:func:`entry_header` of the entry at ``offset`` in this pack."""
        return entry_header(self.data, offset)

    def commit_start(self, offset: int) -> bytes | None:
        """The inflated start of the entry at ``offset`` when it is a whole (not deltified)
        commit: all of it up to :data:`SMALL_COMMIT` bytes, else at least up to its committer
        line. None for any other entry.

        Raises:
            ValueError, zlib.error: a corrupt or truncated stream.
        """
        kind, size, pos = entry_header(self.data, offset)
        if kind != OBJ_COMMIT:
            return None
        if size <= SMALL_COMMIT:
            try:
                return zlib.decompress(self.data[pos : pos + size + 64])
            except zlib.error:
                pass  # a stream longer than size + 64 bytes: read it in steps
        return self.inflate_until(pos, size, b"\ncommitter ")

    def inflate(self, pos: int, size: int) -> bytes:
        """The ``size`` bytes zlib-compressed at ``pos``.

        Raises:
            ValueError: the stream is corrupt or not ``size`` bytes long.
        """
        d = zlib.decompressobj()
        parts = []
        step = max(size + 64, 256)
        while True:
            chunk = self.data[pos : pos + step]
            parts.append(d.decompress(chunk))
            if d.eof:
                break
            if not chunk:
                raise ValueError("truncated pack entry")
            pos += len(chunk)
            step = max(step, 1 << 16)
        out = b"".join(parts)
        if len(out) != size:
            raise ValueError("pack entry of the wrong size")
        return out

    def inflate_until(self, pos: int, size: int, marker: bytes) -> bytes:
        """A prefix of the stream at ``pos`` that holds a full line starting with ``marker``
        (or the whole object when there is none)."""
        d = zlib.decompressobj()
        out = b""
        step = min(size + 64, 512)
        while True:
            chunk = self.data[pos : pos + step]
            out += d.decompress(chunk)
            at = out.find(marker)
            if (at >= 0 and out.find(b"\n", at + len(marker)) >= 0) or d.eof:
                return out
            if not chunk:
                raise ValueError("truncated pack entry")
            pos += len(chunk)
            step = 4096


def uint32_array(data: bytes) -> array.array[int]:
    """Big-endian uint32s -> an array of ints."""
    out = array.array("I")
    if out.itemsize != 4:  # pragma: no cover - no such platform here
        out = array.array("L")
    out.frombytes(data)
    if sys.byteorder == "little":
        out.byteswap()
    return out


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """git's delta format: two varint sizes, then copy-from-base and insert instructions.

    Raises:
        ValueError: a corrupt delta (bad instruction, sizes that do not match).
    """
    pos = 0
    sizes = []
    for _ in range(2):
        value = shift = 0
        while True:
            c = delta[pos]
            pos += 1
            value |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                break
        sizes.append(value)
    if sizes[0] != len(base):
        raise ValueError("delta base of the wrong size")
    out = bytearray()
    end = len(delta)
    while pos < end:
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = size = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    size |= delta[pos] << (8 * i)
                    pos += 1
            out += base[offset : offset + (size or 0x10000)]
        elif op:
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ValueError("delta instruction 0")
    if len(out) != sizes[1]:
        raise ValueError("delta result of the wrong size")
    return bytes(out)
