"""git's offset-encoded variable-length integer (``varint.c``, ``decode_varint``).

Each byte gives 7 bits, most significant group first; the high bit says another byte follows,
and every continuation adds one before shifting, so no value has two spellings. git writes it
for the base offset of an offset delta (``gitformat-pack``, "OBJ_OFS_DELTA") and for the
prefix length an index v4 entry strips from the previous path (``gitformat-index``).
"""

from __future__ import annotations

import mmap

__all__ = ["decode_varint"]


def decode_varint(data: bytes | mmap.mmap, pos: int) -> tuple[int, int]:
    """(the value at ``pos`` in ``data``, the offset just after it).

    Raises:
        IndexError: ``data`` ends inside the number.
    """
    c = data[pos]
    pos += 1
    value = c & 0x7F
    while c & 0x80:
        c = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (c & 0x7F)
    return value, pos
