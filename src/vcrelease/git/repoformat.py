"""The repository format git accepts (``gitrepository-layout``, "extensions"; ``git-config``
"extensions.*"; ``setup.c`` ``check_repo_format``, ``verify_repository_format``): read from
the repository's own ``config`` without includes, as git reads it.

``core.repositoryformatversion`` above 1 is refused; under version 1 an extension git does
not know is refused (it changes how the repository must be read); under version 0 unknown
extensions are ignored but one that only version 1 may set is refused. The object format
(``extensions.objectFormat``: ``sha1`` or ``sha256``) gives the length of raw object ids.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RepositoryError
from .configfile import Entry, parse_int
from .ids import RAW_LENGTHS

__all__ = ["repository_format"]


_EXTENSIONS_V0 = frozenset({b"noop", b"preciousobjects", b"partialclone", b"worktreeconfig"})
"""Extensions git honours under repository format version 0 (``setup.c``
``handle_extension_v0``)."""
_EXTENSIONS_V1 = frozenset(
    {b"noop-v1", b"objectformat", b"compatobjectformat", b"refstorage", b"relativeworktrees"}
)
"""Extensions only version 1 may set (``handle_extension``); ``refStorage`` and the newer
ones are known, so a repository a newer git wrote is read (reftable through dulwich)."""


def repository_format(root: Path, path: str, local: list[Entry]) -> int:
    """Bytes per raw object id of the repository whose own ``config`` (``path``, no includes)
    is ``local``, after git's checks of the repository format (``setup.c``
    ``check_repo_format``, ``verify_repository_format``): 20 unless ``extensions.objectFormat``
    says ``sha256`` (32; ``hash-function-transition``).

    Raises:
        RepositoryError: ``core.repositoryformatversion`` is no integer or above 1; under
            version 1 an extension git does not know; under version 0 an extension only
            version 1 may set; an ``objectFormat`` other than ``sha1``/``sha256``. git
            refuses each of these repositories too.
    """
    version = 0
    extensions: list[tuple[bytes, bytes | None]] = []
    for section, sub, name, value in local:
        if section == b"core" and sub is None and name == b"repositoryformatversion":
            number = parse_int(value)
            if number is None:
                raise RepositoryError(
                    f"{path}: core.repositoryformatversion = {os.fsdecode(value or b'')!r} is "
                    'not a number (git stops with "bad numeric config value" too). Set it '
                    f"to 0 or 1 (`git config --file {path} core.repositoryformatversion 0`)."
                )
            version = number
        elif section == b"extensions":
            extensions.append((name if sub is None else sub.lower() + b"." + name, value))
    if version > 1:
        raise RepositoryError(
            f"{root}: core.repositoryformatversion = {version} in {path} is a repository format "
            'neither git nor vcrelease reads (git: "Expected git repo version <= 1, found '
            f'{version}"). Use the tool that wrote the repository, or set '
            "VCRELEASE_PRETEND_VERSION."
        )
    raw_len = 20
    for name, value in extensions:
        shown = name.decode("utf-8", "replace")
        if name in _EXTENSIONS_V0:
            continue
        if name not in _EXTENSIONS_V1:
            if version == 0:
                continue  # version 0 ignores extensions it does not know
            raise RepositoryError(
                f"{root}: extensions.{shown} in {path} is a repository extension git does not "
                "know, and core.repositoryformatversion = 1 says it must be understood (git: "
                '"unknown repository extension found"). Use the tool that set it, remove it '
                f"if it is a mistake (`git config --file {path} --unset extensions.{shown}`), "
                "or set VCRELEASE_PRETEND_VERSION."
            )
        if version == 0:
            raise RepositoryError(
                f"{root}: extensions.{shown} in {path} needs core.repositoryformatversion = 1, "
                'and the repository says 0 (git: "repo version is 0, but v1-only extension '
                f'found"). Set `git config --file {path} core.repositoryformatversion 1` if '
                "the extension is meant, else remove it."
            )
        if name == b"objectformat":
            if value not in RAW_LENGTHS:
                text = os.fsdecode(value or b"")
                raise RepositoryError(
                    f"{root}: extensions.objectFormat = {text} is no object format git knows "
                    "(sha1, sha256); git refuses this repository too."
                )
            raw_len = RAW_LENGTHS[value]
    return raw_len
