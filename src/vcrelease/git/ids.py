"""Object ids and object type numbers, as git stores them.

Two spellings of one object id travel through the readers, and mixing them up is a silent
miss (a lookup that finds nothing), so they are distinct types for mypy:

- :data:`HexId`: lower-case hexadecimal ASCII bytes (``b"3f2a..."``), as in refs, commit
  and tag objects and the ``shallow`` file (``gitrepository-layout``, ``gitformat-commit``);
- :data:`RawId`: the bytes themselves, as in pack ``.idx`` files, trees, the index file
  and commit-graph files (``gitformat-pack``, ``gitformat-index``,
  ``gitformat-commit-graph``).

A repository's object format (``extensions.objectFormat``; ``git help
hash-function-transition``) fixes their length: SHA-1, 20 bytes (40 hex), or SHA-256, 32
bytes (64 hex); every file of a repository uses the one format (:data:`RAW_LENGTHS`).

Both are ``bytes`` at run time (``typing.NewType``: no wrapper, no cost in the hot loops).
The public records (:mod:`vcrelease.git.model`) give ids as ``str``.

Object type numbers are those of pack entries (``gitformat-pack``, "Object types").
"""

from __future__ import annotations

import binascii
import re
from typing import NewType

__all__ = [
    "EMPTY_BLOBS",
    "HEX40",
    "HEX_ID",
    "OBJ_BLOB",
    "OBJ_COMMIT",
    "OBJ_OFS_DELTA",
    "OBJ_REF_DELTA",
    "OBJ_TAG",
    "OBJ_TREE",
    "RAW_LENGTHS",
    "TYPE_NAMES",
    "TYPE_WORDS",
    "HexId",
    "RawId",
    "to_hex",
    "to_raw",
]

HexId = NewType("HexId", bytes)
"""An object id as 40 (SHA-1) or 64 (SHA-256) hexadecimal ASCII bytes (lower case once read
by this package)."""

RawId = NewType("RawId", bytes)
"""An object id as its 20 (SHA-1) or 32 (SHA-256) bytes."""

HEX40 = re.compile(rb"[0-9a-fA-F]{40}")
"""What a stored SHA-1 hex id looks like (``fullmatch`` it; either case, as git accepts)."""

HEX_ID = re.compile(rb"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")
"""A SHA-1 or SHA-256 id in hex, either case (``fullmatch`` it)."""

EMPTY_BLOBS = frozenset(
    (
        bytes.fromhex("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"),  # SHA-1
        bytes.fromhex("473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"),
    )
)
"""The raw id of the empty blob in either object format (``git hash-object /dev/null``):
an index entry of size 0 with this id is vouched for by its stat data alone."""

RAW_LENGTHS = {b"sha1": 20, b"sha256": 32}
"""``extensions.objectFormat`` value -> bytes per raw id (``git-config``, "extensions")."""

OBJ_COMMIT, OBJ_TREE, OBJ_BLOB, OBJ_TAG = 1, 2, 3, 4
OBJ_OFS_DELTA, OBJ_REF_DELTA = 6, 7
TYPE_NAMES = {b"commit": OBJ_COMMIT, b"tree": OBJ_TREE, b"blob": OBJ_BLOB, b"tag": OBJ_TAG}
"""Type word of a loose object or a tag's ``type`` line -> type number."""
TYPE_WORDS = {OBJ_COMMIT: "commit", OBJ_TREE: "tree", OBJ_BLOB: "blob", OBJ_TAG: "tag"}
"""Type number of a whole object -> its word (for messages)."""


def to_raw(hexid: HexId) -> RawId:
    """The bytes of a hex id (20 of 40 hex, 32 of 64).

    Raises:
        binascii.Error: ``hexid`` is not hexadecimal of even length.
    """
    return RawId(binascii.unhexlify(hexid))


def to_hex(raw: RawId) -> HexId:
    """The hex (lower case) spelling of a raw id."""
    return HexId(binascii.hexlify(raw))
