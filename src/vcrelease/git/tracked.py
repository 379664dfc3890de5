"""The files git tracks, as an sdist should carry them: ``git ls-files`` plus the rules of
setuptools-scm's git file finder (``vcs_versioning._file_finders._git``).

From the index (:mod:`.indexfile`), every entry at any stage, once; then:

- ``export-ignore`` (:mod:`.attributes`) drops a file that carries it, and everything below a
  directory or a submodule that carries it (``git archive`` skips whole trees; setuptools-scm
  asks ``git check-attr`` for each directory with a trailing ``/``);
- a submodule (a gitlink entry, mode 160000) is replaced by the files its own index tracks,
  recursively, when it is checked out; a submodule that is not checked out gives nothing;
- sparse-index directory entries are skipped (their files are not in the work tree).

Symbolic links are listed as the entries they are; following them is the caller's walk.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RepositoryError
from .attributes import for_repository
from .indexfile import UnsupportedIndex, parse_index
from .repository import GitRepo

__all__ = ["index_paths", "tracked_paths"]

_GITLINK = 0o160000
_EXPORT_IGNORE = b"export-ignore"
_TREE = 0o040000


def _ancestors(name: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b"]``."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _index_entries(repo: GitRepo) -> list[tuple[int, str]]:
    """(mode, path) of every index entry, once per path, in index order."""
    path = repo.index_path
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    try:
        entries, _, _ = parse_index(data, repo.raw_len)
    except (UnsupportedIndex, ValueError, IndexError) as exc:
        raise RepositoryError(
            f"cannot read the index {path} ({exc}); run `git status` to rewrite it, or build "
            "from an sdist."
        ) from exc
    seen: set[bytes] = set()
    out: list[tuple[int, str]] = []
    for entry in entries:
        if entry.path in seen or entry.mode == _TREE:
            continue
        seen.add(entry.path)
        out.append((entry.mode, os.fsdecode(entry.path)))
    return out


def index_paths(repo: GitRepo) -> set[str]:
    """Every path the index holds (any stage, submodules as their gitlink path)."""
    return {name for _, name in _index_entries(repo)}


def tracked_paths(repo: GitRepo) -> list[str]:
    """The tracked files of ``repo``'s work tree, submodules expanded, ``export-ignore``
    honoured: ``/``-separated paths relative to the top, in index order.

    Raises:
        RepositoryError: an index this reader cannot parse.
    """
    entries = _index_entries(repo)
    attributes = for_repository(repo)

    def export_ignored(path: str, *, is_dir: bool = False) -> bool:
        found = attributes.get(os.fsencode(path), (_EXPORT_IGNORE,), is_dir=is_dir)
        return found.get(_EXPORT_IGNORE) is True

    candidates = {parent for _, name in entries for parent in _ancestors(name)}
    candidates.update(name for mode, name in entries if mode == _GITLINK)
    ignored = {d for d in candidates if export_ignored(d, is_dir=True)}

    paths: list[str] = []
    for mode, name in entries:
        if name in ignored or any(parent in ignored for parent in _ancestors(name)):
            continue
        if mode != _GITLINK:
            if not export_ignored(name):
                paths.append(name)
            continue
        sub_root = Path(repo.root, name)
        if not (sub_root / ".git").exists():
            continue  # not checked out: setuptools-scm lists nothing for it either
        try:
            sub = GitRepo.open(sub_root)
        except RepositoryError:
            continue
        with sub:
            paths.extend(f"{name}/{sub_name}" for sub_name in tracked_paths(sub))
    return paths
