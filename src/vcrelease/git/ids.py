"""Object ids and object type numbers, as git stores them.

Two spellings of one SHA-1 id travel through the readers, and mixing them up is a silent
miss (a lookup that finds nothing), so they are distinct types for mypy:

- :data:`HexId`: 40 lower-case hexadecimal ASCII bytes (``b"3f2a..."``), as in refs, commit
  and tag objects and the ``shallow`` file (``gitrepository-layout``, ``gitformat-commit``);
- :data:`RawId`: the 20 bytes themselves, as in pack ``.idx`` files, trees, the index file
  and commit-graph files (``gitformat-pack``, ``gitformat-index``,
  ``gitformat-commit-graph``).

Both are ``bytes`` at run time (``typing.NewType``: no wrapper, no cost in the hot loops).
The public records (:mod:`vcrelease.git.model`) give ids as ``str``.

Object type numbers are those of pack entries (``gitformat-pack``, "Object types").
"""

from __future__ import annotations

import binascii
import re
from typing import NewType

__all__ = [
    "HEX40",
    "OBJ_BLOB",
    "OBJ_COMMIT",
    "OBJ_OFS_DELTA",
    "OBJ_REF_DELTA",
    "OBJ_TAG",
    "OBJ_TREE",
    "TYPE_NAMES",
    "TYPE_WORDS",
    "HexId",
    "RawId",
    "to_hex",
    "to_raw",
]

HexId = NewType("HexId", bytes)
"""A SHA-1 object id as 40 hexadecimal ASCII bytes (lower case once read by this package)."""

RawId = NewType("RawId", bytes)
"""A SHA-1 object id as its 20 bytes."""

HEX40 = re.compile(rb"[0-9a-fA-F]{40}")
"""What a stored 40-hex id looks like (``fullmatch`` it; either case, as git accepts)."""

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG = 1, 2, 3, 4
OBJ_OFS_DELTA, OBJ_REF_DELTA = 6, 7
TYPE_NAMES = {b"commit": OBJ_COMMIT, b"tree": OBJ_TREE, b"blob": OBJ_BLOB, b"tag": OBJ_TAG}
"""Type word of a loose object or a tag's ``type`` line -> type number."""
TYPE_WORDS = {OBJ_COMMIT: "commit", OBJ_TREE: "tree", OBJ_BLOB: "blob", OBJ_TAG: "tag"}
"""Type number of a whole object -> its word (for messages)."""


def to_raw(hexid: HexId) -> RawId:
    """The 20 bytes of a 40-hex id.

    Raises:
        binascii.Error: ``hexid`` is not hexadecimal of even length.
    """
    return RawId(binascii.unhexlify(hexid))


def to_hex(raw: RawId) -> HexId:
    """The 40-hex (lower case) spelling of a 20-byte id."""
    return HexId(binascii.hexlify(raw))
