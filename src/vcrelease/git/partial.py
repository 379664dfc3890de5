"""Partial clones: what to say when an object the answer needs is not in the clone.

A partial clone (``git clone --filter=...``; ``gitrepository-layout`` and
``Documentation/technical/partial-clone.txt``: ``extensions.partialClone`` names the promisor
remote, ``remote.<name>.promisor = true`` marks one) leaves objects out and has git fetch
them on demand. vcrelease reads without fetching, so a missing object there is not a corrupt
repository: the error names the object, what it was needed for and how to get it.
``--filter=blob:none`` keeps every commit and tree, so the history is whole and only a blob
read by the dirty check (the index's copy of a modified file, an index-only
``.gitattributes``) can be missing; ``--filter=tree:0`` leaves trees out too.
"""

from __future__ import annotations

import os

from .gitconfig import GitConfig, parse_bool

__all__ = ["missing_in_partial_clone", "promisor_remote"]


def promisor_remote(config: GitConfig) -> str | None:
    """The promisor remote's name when the repository is a partial clone, else None."""
    setting = config.get(b"extensions", None, b"partialclone")
    if setting is not None and setting.value:
        return os.fsdecode(setting.value)
    for name in sorted(config.subsections(b"remote")):
        promisor = config.get(b"remote", name, b"promisor")
        if promisor is not None and parse_bool(promisor.value):
            return os.fsdecode(name)
    return None


def missing_in_partial_clone(remote: str, sha: str, what: str) -> str:
    """The message for the object ``sha`` (hex), ``what`` saying what it is and what needs
    it, missing from a partial clone whose promisor remote is ``remote``."""
    return (
        f"{what} {sha} is not in this clone: it is a partial clone (promisor remote "
        f"{remote!r}, cloned with --filter), which leaves objects on the server until git "
        "needs them, and vcrelease reads without fetching. Have git fetch it (`git cat-file -e "
        f"{sha}` fetches a missing object of a partial clone), or fetch every object "
        f"(`git config --unset remote.{remote}.partialclonefilter && git fetch --refetch "
        f"{remote}`), or clone without --filter. This is not corruption: `git fsck` will not "
        "help."
    )
