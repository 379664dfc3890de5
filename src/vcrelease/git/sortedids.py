"""Sorted tables of object ids with a 256-entry fan-out table, as both the pack index
(``.idx`` v2, gitformat-pack) and the commit-graph (``OIDF``/``OIDL``, gitformat-commit-graph)
store them: one binary search per id, and an array of id prefixes once a table is asked often.
"""

from __future__ import annotations

import array
import bisect
import mmap
import struct
import sys
from collections.abc import Sequence
from typing import TypeAlias

from .ids import RawId

__all__ = ["Buffer", "SortedIds", "find_sorted"]

Buffer: TypeAlias = bytes | mmap.mmap
"""Bytes or a read-only memory map: anything sliceable and readable by ``struct``."""

_PREFIX_AFTER = 256
"""Lookups in one table before its id prefixes are copied into an array (see SortedIds)."""


def find_sorted(data: Buffer, table: int, fanout: int, oid: RawId, width: int) -> int | None:
    """Index of ``oid`` in a sorted table of ids, or None.

    ``data`` holds a 256-entry big-endian uint32 fan-out table at offset ``fanout`` (entry
    ``b``: how many ids start with a byte <= ``b``) and the ids, ``width`` bytes each, from
    offset ``table``; the layout of git's commit-graph OID chunks and pack ``.idx`` files. A
    binary search narrows the range to a few ids, then ``bytes.find`` scans it.
    """
    first = oid[0]
    lo: int = struct.unpack_from(">I", data, fanout + 4 * (first - 1))[0] if first else 0
    hi: int = struct.unpack_from(">I", data, fanout + 4 * first)[0]
    while hi - lo > 32:
        mid = (lo + hi) // 2
        start = table + mid * width
        probe = data[start : start + width]
        if probe < oid:
            lo = mid + 1
        elif probe > oid:
            hi = mid
        else:
            return mid
    window = data[table + lo * width : table + hi * width]
    at = window.find(oid)
    while at >= 0 and at % width:
        at = window.find(oid, at + 1)
    return None if at < 0 else lo + at // width


class SortedIds:
    """A sorted id table with a fan-out (:func:`find_sorted`'s layout), searched fast.

    The first :data:`_PREFIX_AFTER` lookups use :func:`find_sorted`. A caller that keeps
    asking (a long walk, thousands of tags) pays once for an array of the first 4 bytes of
    every id (about 10 ns per id), and later lookups bisect it in C. The constructor raises
    ValueError for a fan-out table that decreases or counts more ids than the data holds.
    """

    __slots__ = ("_data", "_fanout", "_lookups", "_table", "_width", "count", "prefixes")

    def __init__(self, data: Buffer, table: int, fanout: int, width: int) -> None:
        self._data = data
        self._table = table
        self._fanout = fanout
        self._width = width
        fan = struct.unpack_from(">256I", data, fanout)
        if list(fan) != sorted(fan) or table + fan[255] * width > len(data):
            raise ValueError("a fan-out table that decreases or counts ids past its table")
        self.count: int = fan[255]
        self._lookups = 0
        self.prefixes: array.array[int] | None = None
        """The first 4 bytes of each id as an int, once built (read-only for callers)."""

    def find(self, oid: RawId) -> int | None:
        """Index of the binary id ``oid`` in the table, or None."""
        if self.prefixes is None:
            self._lookups += 1
            if self._lookups <= _PREFIX_AFTER:
                return find_sorted(self._data, self._table, self._fanout, oid, self._width)
        return self.find_many((oid,))[0]

    def find_many(self, oids: Sequence[RawId]) -> list[int | None]:
        """:meth:`find` for each of ``oids`` (thousands of tags: one loop, no call per id);
        the prefix array is built first when the lookups so far and these exceed
        :data:`_PREFIX_AFTER`."""
        prefixes = self.prefixes
        if prefixes is None:
            if self._lookups + len(oids) <= _PREFIX_AFTER:
                return [self.find(oid) for oid in oids]
            prefixes = self.prefixes = self._build_prefixes()
        bisect_left = bisect.bisect_left
        width = self._width
        data = self._data
        table = self._table
        count = self.count
        out: list[int | None] = []
        for oid in oids:
            key = int.from_bytes(oid[:4], "big")
            index = bisect_left(prefixes, key)
            start = table + width * index
            found = None
            while index < count and prefixes[index] == key:
                if data[start : start + width] == oid:
                    found = index
                    break
                index += 1
                start += width
            out.append(found)
        return out

    def at(self, index: int) -> RawId:
        """The id at ``index``."""
        start = self._table + index * self._width
        return RawId(bytes(self._data[start : start + self._width]))

    def _build_prefixes(self) -> array.array[int]:
        width = self._width
        table = self._data[self._table : self._table + width * self.count]
        packed = bytearray(4 * self.count)
        for i in range(4):
            packed[i::4] = table[i::width]
        prefixes = array.array("I")
        if prefixes.itemsize != 4:  # pragma: no cover - no such platform here
            prefixes = array.array("L")
        prefixes.frombytes(bytes(packed))
        if sys.byteorder == "little":
            prefixes.byteswap()
        return prefixes
