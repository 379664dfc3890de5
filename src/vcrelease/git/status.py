"""The dirty check: which tracked files differ from HEAD, as ``git status`` sees them.

Three comparisons, each in a module of its own: the index against HEAD's tree
(:mod:`vcrelease.git.staged`, the cache-tree vouching for whole directories), each tracked
file against its index entry by git's stat rules (:mod:`vcrelease.git.unstaged`, with the
present files of a sparse checkout: :mod:`vcrelease.git.sparse`), and the submodules
(:mod:`vcrelease.git.submodules`). Here: the settings they follow (``core.fileMode``,
``core.trustctime``, ``core.checkStat``, ``core.symlinks``, from :mod:`vcrelease.git.gitconfig`)
and the hashing of the files whose stat data do not decide: byte for byte when no attributes
and no ``core.autocrlf`` exist, else after the check-in conversions
(:mod:`vcrelease.git.convert`).

Nothing is written: not the index (``git status`` refreshes it; this check does not), not the
object store (dulwich's LFS filter would store every file it hashed under ``.git/lfs``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from .gitconfig import GitConfig
from .ids import HexId, RawId, to_hex
from .indexfile import SKIP_WORKTREE, IndexEntry, parse_index, read_extensions, read_header
from .repository import GitRepo
from .staged import read_index_part, staged_of, staged_paths, vouched
from .unstaged import StatRules, ToHash, compare_stat, stat_entries, stat_index

if TYPE_CHECKING:
    from .convert import Checkin

__all__ = ["dirty_files"]

_S_IFDIR = 0o040000


def dirty_files(
    repo: GitRepo,
    head_tree: HexId,
    ignore: Iterable[str] = (),
    within: Sequence[str] | None = None,
) -> list[str]:
    """Tracked paths that differ from HEAD: staged (index vs tree) or not (work tree vs index).

    Args:
        repo: the open repository.
        head_tree: HEAD's root tree (:attr:`vcrelease.git.model.History.head_tree`, encoded).
        ignore: ``/``-separated work-tree paths that never count (the version file).
        within: only these ``/``-separated paths and what lies below them count (``""``: the
            whole tree), as ``git status -- PATHS``; the work-tree files outside are not even
            looked at. None: every path.

    Returns:
        The paths, sorted, ``/``-separated, relative to the work tree's top.

    Untracked files never count; neither do uninitialised submodules nor ``ignore`` paths.
    Work-tree content goes through git's check-in conversions (:mod:`.convert`) before it
    is hashed, as ``git status`` does; only files whose stat data do not decide are hashed.

    Raises:
        RepositoryError: the index or a tree object cannot be read; a file needs a clean
            filter that may not run here (another user's repository, a ``process`` filter)
            or a required filter failed; a configuration git refuses
            (:class:`~vcrelease.git.gitconfig.GitConfigError`).
    """
    ignored = frozenset(ignore)
    path = repo.index_path
    try:
        with open(path, "rb") as f:
            index_mtime = os.fstat(f.fileno()).st_mtime_ns
            data = f.read()
    except FileNotFoundError:
        # No index (``rm .git/index``, a clone with --no-checkout, GIT_INDEX_FILE naming no
        # file): git reads an empty index, so every file of HEAD is a staged deletion.
        index_mtime, data = 0, None
    covered = None if within is None else _covers(within)
    index_s = index_mtime // 1_000_000_000
    base = os.fsencode(repo.root) + b"/"
    pairs: Iterable[tuple[IndexEntry, os.stat_result]]
    submodules: list[IndexEntry]
    fast = None
    if data is not None:
        fast = read_index_part(repo, path, lambda d, n: stat_index(repo, d, index_s, covered), data)
    if data is not None and fast is not None:
        # The fast path: every entry read and lstat-ed in one pass, decoded in full only
        # where the stat data do not vouch for it; HEAD's trees are read only when the
        # cache-tree does not say the index is HEAD's tree.
        pairs, missing, submodules, end = fast
        cache_tree = read_index_part(repo, path, lambda d, n: read_extensions(d, end, n), data)
        count = read_header(data)[1]
        changed = set(missing)
        if not vouched(cache_tree, head_tree, count):
            changed.update(staged_of(repo, path, data, head_tree))
        # A tracked .gitattributes has this name in the index's bytes (a stray match only
        # costs the check-in conversions)
        attributes_tracked = b".gitattributes" in data
    else:
        entries, cache_tree, any_flags = (
            ([], None, False) if data is None else read_index_part(repo, path, parse_index, data)
        )
        changed = set(staged_paths(repo, entries, cache_tree, head_tree, any_flags))
        looked_at = entries if covered is None else [e for e in entries if _looked_at(e, covered)]
        attributes_tracked = any(e.path.endswith(b".gitattributes") for e in entries)
        sparse = None
        if any_flags and any(e.flags & SKIP_WORKTREE for e in looked_at):
            from .sparse import present_entries  # sparse checkouts only

            sparse = present_entries(repo)
        submodules = []
        pairs = stat_entries(looked_at, base, changed, submodules, sparse)
    rules, plain = _rules(repo, attributes_tracked)
    found, to_hash = compare_stat(base, rules, index_s, pairs, submodules)
    changed.update(found)
    if to_hash:
        changed.update(_hash_changed(repo, plain, to_hash))
    if submodules:
        from .submodules import submodules_changed  # repositories with submodules only

        changed.update(submodules_changed(repo, base, submodules, dirty_files))
    names = sorted(p.decode("utf-8", "replace") for p in changed if p)
    if covered is not None:
        names = [n for n in names if covered(n.encode("utf-8", "surrogateescape"))]
    return [n for n in names if n not in ignored]


def _covers(paths: Sequence[str]) -> Callable[[bytes], bool]:
    """``path -> bool``: the index path is one of ``paths`` or below one (a literal
    pathspec)."""
    prefixes = [p.encode("utf-8", "surrogateescape") for p in paths]
    if b"" in prefixes:
        return lambda path: True
    below = tuple(p + b"/" for p in prefixes)
    exact = frozenset(prefixes)
    return lambda path: path in exact or path.startswith(below)


def _looked_at(entry: IndexEntry, covered: Callable[[bytes], bool]) -> bool:
    """Whether the work tree is looked at for ``entry``: a covered path, or a sparse
    directory entry (some covered path may lie below it; the result is filtered again)."""
    return covered(entry.path) or (entry.mode == _S_IFDIR and entry.path.endswith(b"/"))


def _rules(repo: GitRepo, attributes_tracked: bool) -> tuple[StatRules, bool]:
    """The stat comparison's settings, and whether git would check files in byte for byte.

    Byte for byte means: no ``.gitattributes`` (tracked, at the top of the work tree, in
    ``info/attributes``, ``core.attributesFile`` or the global or system attributes files),
    ``core.autocrlf`` unset or false, and a POSIX system: no conversion can apply.

    Raises:
        GitConfigError: a setting read here is not what git accepts.
    """
    config = repo.config
    check = config.get(b"core", None, b"checkstat")
    rules = StatRules(
        config.boolean(b"core", b"filemode", True),
        config.boolean(b"core", b"trustctime", True),
        check is None or (check.value or b"").lower() != b"minimal",
        config.boolean(b"core", b"symlinks", True),
    )
    plain = (
        os.sep == "/"
        and not attributes_tracked
        and not _autocrlf(config)
        and not any(os.path.exists(p) for p in _attribute_files(repo, config))
    )
    return rules, plain


def _autocrlf(config: GitConfig) -> bool:
    """Whether ``core.autocrlf`` converts (``input`` or true; ``git_default_core_config``)."""
    setting = config.get(b"core", None, b"autocrlf")
    if setting is None:
        return False
    if setting.value is not None and setting.value.lower() == b"input":
        return True
    return config.boolean(b"core", b"autocrlf", False)


def _attribute_files(repo: GitRepo, config: GitConfig) -> list[str]:
    """The attributes files git reads besides the tracked ones (``gitattributes``, "FILES")."""
    files = [
        os.path.join(repo.root, ".gitattributes"),
        os.path.join(repo.common_dir, "info", "attributes"),
    ]
    configured = config.path(b"core", b"attributesfile")
    if configured is not None:
        files.append(configured)
    else:
        home = os.environ.get("HOME", "")
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        files.append(os.path.join(xdg, "git", "attributes"))
    files += ["/etc/gitattributes", "/usr/local/etc/gitattributes"]
    return files


def _hash_changed(repo: GitRepo, plain: bool, candidates: list[ToHash]) -> list[bytes]:
    """The candidates whose content (after the check-in conversions) differs from the index."""
    # here: the conversions and attributes are imported only when a file is to be hashed
    from .convert import hash_bytes, hash_file

    checkin = None if plain else _checkin(repo, repo.config)
    out = []
    try:
        for entry, full, st in candidates:
            path, oid = entry.path, entry.oid
            try:
                if stat.S_ISLNK(st.st_mode):
                    digest = hash_bytes(os.readlink(full), repo.raw_len)
                elif checkin is None:
                    digest = hash_file(full, repo.raw_len)
                else:
                    digest = checkin.blob_id(full, path, oid)
            except OSError:
                out.append(path)  # cannot be read, so cannot be vouched for
                continue
            if digest != oid:
                out.append(path)
    finally:
        if checkin is not None:
            checkin.close()
    return out


def _checkin(repo: GitRepo, config: GitConfig) -> Checkin:
    """The repository's check-in rules: attributes from every source git reads."""
    from .attributes import for_repository
    from .convert import Checkin

    store = repo.objects

    def blob(oid: bytes) -> bytes:
        what = "the blob (the index's copy of a file whose stat data changed, for the dirty check)"
        return store.read_needed(to_hex(RawId(oid)), what)[1]

    attributes = for_repository(repo)
    return Checkin(os.fsencode(repo.root), config, attributes, blob, repo.untrusted(), repo.raw_len)
