"""Submodules in the dirty check, as ``git status --untracked-files=no`` sees them
(``wt-status.c``, ``diff-lib.c``, ``submodule.c``; ``gitmodules``).

A submodule's entry is compared with its work tree's directory: gone or not a directory is
a change; an initialised submodule (``.git`` inside) whose HEAD is not the recorded commit,
or whose own tracked files differ from its HEAD (checked by the same dirty check), is dirty;
one never initialised is clean. The ``ignore`` setting chooses how much counts.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from ..errors import RepositoryError
from .configfile import parse_file
from .gitconfig import Setting
from .ids import HexId, to_raw
from .indexfile import IndexEntry
from .repository import GitRepo
from .unstaged import LinkedDirectories, full_path

__all__ = ["submodules_changed"]


def submodules_changed(
    repo: GitRepo,
    base: bytes,
    entries: list[IndexEntry],
    dirty: Callable[[GitRepo, HexId], list[str]],
) -> list[bytes]:
    """Submodules that make the tree dirty for ``git status --untracked-files=no``: the work
    tree's directory gone or not a directory, or an initialised submodule whose HEAD is not
    the recorded commit or whose tracked files differ from its HEAD (checked as here,
    recursively: ``dirty``, :func:`vcrelease.git.status.dirty_files`), or one reached through
    a symbolic link (:class:`~vcrelease.git.unstaged.LinkedDirectories`); ``base`` is the work
    tree's top, ending in a separator. The
    ignore setting (``submodule.<name>.ignore`` from the config, else from
    ``.gitmodules``, else ``diff.ignoreSubmodules``): ``all`` hides the submodule, ``dirty``
    counts only a moved HEAD; the submodule's own setting ``none`` (not
    ``diff.ignoreSubmodules``) also counts an untracked, not ignored file in it
    (:func:`vcrelease.git.ignore.first_untracked`). An uninitialised submodule (no ``.git``
    inside) is clean.
    """
    from .ignore import first_untracked
    from .refs import read_refs
    from .walk import read_commit

    names = _gitmodules(repo.root)
    beyond_link = LinkedDirectories(None, base).below
    config = repo.config
    default = config.get(b"diff", None, b"ignoresubmodules")
    out = []
    for entry in entries:
        ignore = _word(default)
        # git status -uno leaves a submodule's untracked files out unless the submodule's
        # own setting says "none" (wt-status.c: ignore_untracked_in_submodules, then
        # set_diffopt_flags_from_submodule_config clears it); diff.ignoreSubmodules does not
        explicit_none = False
        name, from_file = names.get(entry.path, (None, None))
        if name is not None:
            own = config.get(b"submodule", name, b"ignore")
            if own is not None:
                ignore = _word(own)
                explicit_none = ignore == b"none"
            elif from_file is not None:
                ignore = from_file.lower()
                explicit_none = ignore == b"none"
        if ignore == b"all":
            continue
        if beyond_link(entry.path):
            out.append(entry.path)  # removed, for git
            continue
        full = full_path(base, entry.path)
        try:
            st = os.lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            out.append(entry.path)
            continue
        if not stat.S_ISDIR(st.st_mode):
            out.append(entry.path)
            continue
        if not os.path.lexists(os.path.join(full, b".git")):
            continue
        try:
            with GitRepo.open(Path(os.fsdecode(full))) as sub:
                head = read_refs(sub).head
                if to_raw(head) != entry.oid:
                    out.append(entry.path)
                    continue
                if ignore == b"dirty":
                    continue
                tree = read_commit(sub.objects, head, sub.root)[0]
                untracked = explicit_none and first_untracked(sub) is not None
                if untracked or dirty(sub, tree):
                    out.append(entry.path)
        except RepositoryError:
            continue  # git: a submodule whose HEAD cannot be resolved is not compared
    return out


def _word(setting: Setting | None) -> bytes:
    """An ``ignore`` setting's value, lower case (``none`` when unset)."""
    if setting is None or setting.value is None:
        return b"none"
    return setting.value.lower()


def _gitmodules(root: object) -> dict[bytes, tuple[bytes, bytes | None]]:
    """``.gitmodules`` of the work tree, read as a config file of its own (``gitmodules``:
    the config syntax, no includes): path -> (submodule name, its ``ignore`` or None).

    Raises:
        GitConfigError: a line git cannot parse (git stops there too).
    """
    entries = parse_file(os.path.join(str(root), ".gitmodules"))
    if not entries:
        return {}
    paths: dict[bytes, bytes] = {}
    ignores: dict[bytes, bytes] = {}
    for section, name, key, value in entries:
        if section != b"submodule" or name is None or value is None:
            continue
        if key == b"path":
            paths[name] = value
        elif key == b"ignore":
            ignores[name] = value
    return {path.strip(b"/"): (name, ignores.get(name)) for name, path in paths.items()}
