"""Reading the repository's optional files (``packed-refs``, ``shallow``, loose objects,
``objects/info/alternates``...): each may be absent, and absence is an answer, not an error
(``gitrepository-layout`` lists which files are optional).

A module of its own below :mod:`.repository` and :mod:`.objects`, which both read files
through it (neither imports the other for it).
"""

from __future__ import annotations

__all__ = ["read_optional"]


def read_optional(path: str) -> bytes | None:
    """The bytes of ``path``, None when it does not exist (or is a directory).

    Raises:
        OSError: any other failure to read it (permissions, I/O).
    """
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
