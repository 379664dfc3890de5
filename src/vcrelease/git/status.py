"""The dirty check: which tracked files differ from HEAD, as ``git status`` sees them.

Staged changes (index vs HEAD's tree): the index's cache-tree (``gitformat-index``, "Cache
tree") vouches for whole directories, so only directories whose cache-tree entry is invalid
are compared entry by entry with HEAD's trees. Unstaged changes (work tree vs index): each
tracked file is ``lstat``-ed (relative to a descriptor of the work tree's top, in one pass
over the index: :func:`_stat_index`) and compared with its index entry by git's rules
(:func:`_unstaged`); only files whose stat data do not decide, or
are racily clean (``Documentation/technical/racy-git.txt``), are hashed: byte for byte when
no attributes or filter settings exist, else after the check-in conversions
(:mod:`vcrelease.git.convert`). Assume-unchanged and skip-worktree entries are not looked at,
as in git (``git-update-index``). Submodules: :func:`_submodules_changed`.

Nothing is written: not the index (``git status`` refreshes it; this check does not), not the
object store (dulwich's LFS filter used to store every file it hashed under ``.git/lfs``).
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from ..errors import RepositoryError
from .gitconfig import GitConfig
from .ids import EMPTY_BLOBS, OBJ_TREE, HexId, RawId, to_hex, to_raw
from .indexfile import (
    ASSUME_VALID,
    INTENT_TO_ADD,
    SKIP_WORKTREE,
    STAT_KEY,
    CacheTree,
    EntryHeads,
    IndexEntry,
    NeedsFullDecode,
    UnsupportedIndex,
    entry_at,
    parse_index,
    read_extensions,
    read_header,
)
from .objects import ObjectStore, TreeEntry, parse_tree
from .repository import GitRepo

if TYPE_CHECKING:
    from .convert import Checkin

__all__ = ["dirty_files"]

_S_IFGITLINK = 0o160000
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
            or a required filter failed.
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
    pairs: Iterable[tuple[IndexEntry, os.stat_result]]
    submodules: list[IndexEntry]
    fast = None
    if data is not None:
        fast = _read(repo, path, lambda d, n: _stat_index(repo, d, index_s, covered), data)
    if data is not None and fast is not None:
        # The fast path: every entry read and lstat-ed in one pass, decoded in full only
        # where the stat data do not vouch for it; HEAD's trees are read only when the
        # cache-tree does not say the index is HEAD's tree.
        pairs, missing, submodules, end = fast
        cache_tree = _read(repo, path, lambda d, n: read_extensions(d, end, n), data)
        count = read_header(data)[1]
        changed = set(missing)
        if not _vouched(cache_tree, head_tree, count):
            changed.update(_staged_of(repo, path, data, head_tree))
        # A tracked .gitattributes has this name in the index's bytes (a stray match only
        # costs reading the full config)
        rules = _rules(repo, b".gitattributes" in data)
    else:
        entries, cache_tree, any_flags = (
            ([], None, False) if data is None else _read(repo, path, parse_index, data)
        )
        changed = set(_staged_checked(repo, entries, cache_tree, head_tree, any_flags))
        looked_at = entries if covered is None else [e for e in entries if covered(e.path)]
        rules = _rules(repo, any(e.path.endswith(b".gitattributes") for e in entries))
        submodules = []
        pairs = _stat_entries(looked_at, os.fsencode(repo.root) + b"/", changed, submodules)
    changed.update(_unstaged(repo, rules, index_s, pairs, submodules))
    names = sorted(p.decode("utf-8", "replace") for p in changed if p)
    if covered is not None:
        names = [n for n in names if covered(n.encode("utf-8", "surrogateescape"))]
    return [n for n in names if n not in ignored]


_DIR_FD = os.sep == "/" and os.stat in os.supports_dir_fd
"""Whether files can be ``lstat``-ed relative to a descriptor of the work tree's top."""

_T = TypeVar("_T")


def _read(repo: GitRepo, path: str, reader: Callable[[bytes, int], _T], data: bytes) -> _T:
    """``reader(data, raw_len)`` on the index file's bytes, its errors made a
    :class:`RepositoryError` that says the fix.

    Raises:
        RepositoryError: an index this reader cannot read, or a corrupt one.
    """
    try:
        return reader(data, repo.raw_len)
    except UnsupportedIndex as exc:
        hint = (
            "a split index (core.splitIndex); run `git update-index --no-split-index`"
            if "link" in str(exc)
            else "written by a newer git than vcrelease knows; please report it"
        )
        raise RepositoryError(
            f"{repo.root}: vcrelease cannot read the index file {path} ({exc}): it is {hint}, "
            "or set VCRELEASE_PRETEND_VERSION."
        ) from exc
    except (ValueError, IndexError, struct.error) as exc:
        raise RepositoryError(
            f"{repo.root}: the index file {path} cannot be read ({exc}). Run `git status` to "
            "see whether git can read it, or `git reset` to rebuild it."
        ) from exc


def _staged_checked(
    repo: GitRepo,
    entries: list[IndexEntry],
    cache_tree: CacheTree | None,
    head_tree: HexId,
    any_flags: bool,
) -> list[bytes]:
    """:func:`_staged`, a tree that cannot be read made a :class:`RepositoryError`."""
    try:
        intent_to_add = any_flags and any(e.flags & INTENT_TO_ADD for e in entries)
        return _staged(repo.objects, entries, cache_tree, head_tree, intent_to_add)
    except (KeyError, ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{repo.root}: a tree of HEAD cannot be read ({exc!r}). Run `git fsck`."
        ) from exc


def _staged_of(repo: GitRepo, path: str, data: bytes, head_tree: HexId) -> list[bytes]:
    """The staged paths of the index file's bytes ``data``."""
    entries, cache_tree, any_flags = _read(repo, path, parse_index, data)
    return _staged_checked(repo, entries, cache_tree, head_tree, any_flags)


def _vouched(cache_tree: CacheTree | None, head_tree: HexId, count: int) -> bool:
    """Whether the cache-tree's root says the index is exactly HEAD's tree: valid, with
    every entry, and HEAD's tree id (``gitformat-index``, "Cache tree")."""
    return (
        cache_tree is not None
        and cache_tree.entry_count == count
        and cache_tree.oid == to_raw(head_tree)
    )


def _covers(paths: Sequence[str]) -> Callable[[bytes], bool]:
    """``path -> bool``: the index path is one of ``paths`` or below one (a literal
    pathspec)."""
    prefixes = [p.encode("utf-8", "surrogateescape") for p in paths]
    if b"" in prefixes:
        return lambda path: True
    below = tuple(p + b"/" for p in prefixes)
    exact = frozenset(prefixes)
    return lambda path: path in exact or path.startswith(below)


def _staged(
    store: ObjectStore,
    entries: list[IndexEntry],
    cache_tree: CacheTree | None,
    head_tree: HexId,
    intent_to_add: bool,
) -> list[bytes]:
    """Paths whose index entry differs from HEAD's tree (added, removed, changed, conflicted).

    Where the cache-tree vouches for a directory (valid, same entry count, same tree id as
    HEAD's), its entries are not looked at.
    """
    changed: list[bytes] = []

    def tree_entries(oid: RawId) -> list[TreeEntry]:
        kind, data = store.read_needed(to_hex(oid), "the tree (of HEAD, for the dirty check)")
        if kind != OBJ_TREE:
            raise ValueError(f"{oid.hex()} is not a tree")
        return parse_tree(data, store.raw_len)

    def all_paths(oid: RawId, prefix: bytes) -> None:
        for name, mode, sha in tree_entries(oid):
            if mode == _S_IFDIR:
                all_paths(sha, prefix + name + b"/")
            else:
                changed.append(prefix + name)

    def compare(prefix: bytes, lo: int, hi: int, node: CacheTree | None, tree: RawId) -> None:
        if node is not None and node.oid == tree and node.entry_count == hi - lo:
            return
        in_head = {name: (mode, sha) for name, mode, sha in tree_entries(tree)}
        seen = set()
        start = len(prefix)
        i = lo
        while i < hi:
            path, mode, sha, stage, _, _, extended = entries[i][:7]
            slash = path.find(b"/", start)
            if slash < 0:
                name = path[start:]
                seen.add(name)
                head = in_head.get(name)
                if head is not None and head[0] == _S_IFDIR:
                    changed.append(path)
                    all_paths(head[1], path + b"/")
                elif (
                    head is None
                    or stage
                    or extended & INTENT_TO_ADD
                    or head[1] != sha
                    or _canonical_mode(head[0]) != mode
                ):
                    changed.append(path)
                i += 1
                continue
            name = path[start:slash]
            sub = path[: slash + 1]
            j = i + 1
            while j < hi and entries[j].path.startswith(sub):
                j += 1
            seen.add(name)
            head = in_head.get(name)
            if mode == _S_IFDIR and path == sub:
                # A sparse index's directory entry (``sdir``): the whole tree in one entry.
                if head is None or head[0] != _S_IFDIR or head[1] != sha or stage:
                    changed.append(path[:-1])
            elif head is not None and head[0] == _S_IFDIR:
                child = node.children.get(name) if node is not None else None
                compare(sub, i, j, child, head[1])
            else:
                changed.extend(entries[k].path for k in range(i, j))
                if head is not None:
                    changed.append(prefix + name)
            i = j
        for name, (mode, sha) in in_head.items():
            if name not in seen:
                if mode == _S_IFDIR:
                    all_paths(sha, prefix + name + b"/")
                else:
                    changed.append(prefix + name)

    if intent_to_add:
        cache_tree = None  # git's cache-tree leaves intent-to-add entries out of its trees
    compare(b"", 0, len(entries), cache_tree, to_raw(head_tree))
    return changed


def _canonical_mode(mode: int) -> int:
    """A tree entry's mode as the index records it (git's ``canon_mode``)."""
    if stat.S_ISREG(mode):
        return 0o100755 if mode & 0o100 else 0o100644
    return mode


class _Rules(NamedTuple):
    """The config that decides how a work-tree file is compared with its index entry."""

    filemode: bool  # core.filemode: the executable bit counts
    trust_ctime: bool  # core.trustctime
    check_stat: bool  # core.checkStat=default (True) or minimal
    symlinks: bool  # core.symlinks
    config: GitConfig | None  # None: nothing else is configured (byte-for-byte check-in)


def _unstaged(
    repo: GitRepo,
    rules: _Rules,
    index_s: int,
    pairs: Iterable[tuple[IndexEntry, os.stat_result]],
    submodules: list[IndexEntry],
) -> list[bytes]:
    """Paths whose work-tree file differs from its index entry, from (entry, ``lstat``
    result) pairs (:func:`_stat_index`, :func:`_stat_entries`), decided as git's
    ``ie_match_stat``/``ie_modified`` decide (``read-cache.c``, ``statinfo.c``, for a git
    built without ``USE_NSEC``/``USE_STDEV``, the default):

    - the stat data: mtime (seconds), and with ``core.checkStat=default`` (the default) ctime
      (seconds, unless ``core.trustctime=false``), uid, gid and inode; the size; the file
      type and (with ``core.filemode``) the executable bit;
    - a changed type or mode, or a changed non-zero recorded size: modified, not hashed;
    - other changes, a recorded size 0 for a non-empty blob, and racily clean entries (mtime
      not older than the index file, ``index_s`` in seconds; ``racy-git.txt``): the content
      is hashed after the check-in conversions (:mod:`vcrelease.git.convert`) and compared.

    Submodule entries among the pairs join ``submodules``, which are then compared
    (:func:`_submodules_changed`).
    """
    out: list[bytes] = []
    base = os.fsencode(repo.root) + b"/"
    to_hash: list[tuple[IndexEntry, bytes, os.stat_result]] = []
    # Hoisted out of the loop: the settings, and the type tests as mask comparisons
    # instead of calls to stat.S_ISREG / S_ISLNK.
    filemode, symlinks = rules.filemode, rules.symlinks
    check_stat, trust_ctime = rules.check_stat, rules.check_stat and rules.trust_ctime
    file_type, regular, link = stat.S_IFMT(0o177777), stat.S_IFREG, stat.S_IFLNK
    for entry, st in pairs:
        path, mode, oid, _, mtime_ns, size, _, ctime_s, _, ino, uid, gid = entry
        if mode == _S_IFGITLINK:
            submodules.append(entry)
            continue
        work_mode = st.st_mode
        if mode & file_type == regular:
            if work_mode & file_type != regular or (filemode and (mode ^ work_mode) & 0o100):
                out.append(path)  # TYPE_CHANGED / MODE_CHANGED
                continue
        elif (
            mode & file_type == link
            and work_mode & file_type != link
            and (symlinks or work_mode & file_type != regular)
        ):
            out.append(path)
            continue
        mtime_s = mtime_ns // 1_000_000_000
        changed = mtime_s != int(st.st_mtime) & 0xFFFFFFFF
        if check_stat and not changed:
            changed = (
                (trust_ctime and ctime_s != int(st.st_ctime) & 0xFFFFFFFF)
                or uid != st.st_uid & 0xFFFFFFFF
                or gid != st.st_gid & 0xFFFFFFFF
                or ino != st.st_ino & 0xFFFFFFFF
            )
        if size != st.st_size & 0xFFFFFFFF:
            if size:
                out.append(path)  # DATA_CHANGED with a recorded size: modified
                continue
            changed = True
        elif not size and oid not in EMPTY_BLOBS:
            changed = True
        if not changed and index_s > mtime_s:
            continue  # the stat data vouch for it (and it is not racily clean)
        to_hash.append((entry, _full_path(base, path), st))
    if to_hash:
        out.extend(_hash_changed(repo, rules, to_hash))
    if submodules:
        out.extend(_submodules_changed(repo, rules, base, submodules))
    return out


def _stat_index(
    repo: GitRepo, data: bytes, index_s: int, covered: Callable[[bytes], bool] | None
) -> tuple[list[tuple[IndexEntry, os.stat_result]], list[bytes], list[IndexEntry], int] | None:
    """One pass over a version 2 or 3 index file's entries that ``lstat``-s each covered
    path relative to a descriptor of the work tree's top and compares the two stat data
    whole (:data:`~vcrelease.git.indexfile.STAT_KEY`).

    Returns:
        (entry and stat result of each file whose stat data are not equal or are racy or
        whose recorded size is 0, paths without a file, submodule entries, the offset after
        the last entry); None for a version 4 index (prefix-compressed paths), when
        descriptors cannot be used, when an entry is flagged (a conflict, intent-to-add,
        skip-worktree, assume-unchanged) or its path is 4,095 bytes or longer, or the top
        cannot be opened: :func:`_stat_entries` reads those.

    Equal stat data, mode included, imply what :func:`_unstaged` compares whatever the
    settings, so only the rest go there. This is the dirty check's hot loop (one pass per
    tracked file): the entry heads are read in place
    (:class:`~vcrelease.git.indexfile.EntryHeads`), and only the rest is decoded
    (:func:`~vcrelease.git.indexfile.entry_at`).

    Raises:
        ValueError, struct.error: a truncated index file; UnsupportedIndex: as
            :func:`~vcrelease.git.indexfile.read_header`.
    """
    if not _DIR_FD:
        return None
    try:
        heads = EntryHeads(data, repo.raw_len)
    except NeedsFullDecode:
        return None
    root_fd = _open_dir(os.fsencode(repo.root) + b"/")
    if root_fd is None:
        return None
    raw_len = repo.raw_len
    work_key = STAT_KEY
    lstat = os.lstat
    linked = _LinkedDirectories(root_fd).linked
    last_directory, last_linked = b"", False
    pairs: list[tuple[IndexEntry, os.stat_result]] = []
    missing: list[bytes] = []
    submodules: list[IndexEntry] = []
    try:
        for here, head, path in heads:
            if covered is not None and not covered(path):
                continue
            slash = path.rfind(b"/")
            if slash > 0:  # the index is sorted: most paths share the last one's directory
                directory = path[:slash]
                if directory != last_directory:
                    last_directory, last_linked = directory, linked(directory)
                if last_linked and head[3] != _S_IFGITLINK:
                    missing.append(path)  # beyond a symbolic link: removed, for git
                    continue
            try:
                st = lstat(path, dir_fd=root_fd)
            except (FileNotFoundError, NotADirectoryError):
                if head[3] == _S_IFGITLINK:  # a submodule not checked out
                    submodules.append(entry_at(data, here, raw_len))
                else:
                    missing.append(path)
                continue
            # head[6]: size 0 may stand for a non-empty blob; head[1]: the mtime, racily
            # clean when not older than the index file. A submodule's entry never equals
            # the stat data of its directory, so it goes on to _unstaged.
            if head[:7] == work_key(st) and head[6] and head[1] < index_s:
                continue
            pairs.append((entry_at(data, here, raw_len), st))
    except NeedsFullDecode:
        return None
    finally:
        os.close(root_fd)
    return pairs, missing, submodules, heads.end


def _stat_entries(
    entries: Iterable[IndexEntry],
    base: bytes,
    changed: set[bytes],
    submodules: list[IndexEntry],
) -> Iterator[tuple[IndexEntry, os.stat_result]]:
    """(entry, ``lstat`` result) for each entry whose work-tree file is compared.
    Conflicted, intent-to-add and missing paths go to ``changed``, submodules to
    ``submodules``; skip-worktree and assume-unchanged entries are not looked at
    (``git-update-index``)."""
    lstat = os.lstat
    beyond_link = _LinkedDirectories(None, base).below
    for entry in entries:
        path, mode, _, stage, _, _, extended = entry[:7]
        if stage or extended or mode == _S_IFGITLINK:
            if stage:
                changed.add(path)
                continue
            if extended & (SKIP_WORKTREE | ASSUME_VALID):
                continue  # not checked out, or `git update-index --assume-unchanged`
            if extended & INTENT_TO_ADD:
                changed.add(path)
                continue
            if mode == _S_IFGITLINK:
                submodules.append(entry)
                continue
        if beyond_link(path):
            changed.add(path)  # removed, for git
            continue
        try:
            st = lstat(_full_path(base, path))
        except (FileNotFoundError, NotADirectoryError):
            changed.add(path)
            continue
        yield entry, st


class _LinkedDirectories:
    """Which directories of the work tree are symbolic links or lie below one, each looked
    at once. git counts a tracked file reached through a symbolic link as removed
    (``diff-lib.c``, ``check_removed``: ``has_symlink_leading_path``), whatever the link
    points to: ``lstat`` would follow the link to a file that may well be equal.
    """

    __slots__ = ("_base", "_root_fd", "_seen")

    def __init__(self, root_fd: int | None, base: bytes = b"") -> None:
        """``root_fd``: a descriptor of the work tree's top, or None: then paths are taken
        below ``base`` (the top, ending in a separator)."""
        self._root_fd = root_fd
        self._base = base
        self._seen: dict[bytes, bool] = {}

    def below(self, path: bytes) -> bool:
        """Whether a leading directory of the index path ``path`` is a symbolic link."""
        slash = path.rfind(b"/")
        return slash > 0 and self.linked(path[:slash])

    def linked(self, directory: bytes) -> bool:
        """Whether the ``/``-separated directory ``directory`` (relative to the top) is a
        symbolic link or lies below one. A directory that is missing or not a directory
        is not (the file's own ``lstat`` says what happened to it)."""
        found = self._seen.get(directory)
        if found is None:
            slash = directory.rfind(b"/")
            found = slash > 0 and self.linked(directory[:slash])
            if not found:
                try:
                    st = (
                        os.lstat(_full_path(self._base, directory))
                        if self._root_fd is None
                        else os.lstat(directory, dir_fd=self._root_fd)
                    )
                except OSError:
                    st = None
                found = st is not None and stat.S_ISLNK(st.st_mode)
            self._seen[directory] = found
        return found


def _full_path(base: bytes, path: bytes) -> bytes:
    """``base`` (ending in a separator) joined with the index path ``path``."""
    return base + path if os.sep == "/" else os.path.join(base, *path.split(b"/"))


def _open_dir(path: bytes) -> int | None:
    """A read-only descriptor of the directory ``path``; None when it cannot be opened (the
    files below are then ``lstat``-ed by their full path, which reports why)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except OSError:
        return None


def _hash_changed(
    repo: GitRepo, rules: _Rules, candidates: list[tuple[IndexEntry, bytes, os.stat_result]]
) -> list[bytes]:
    """The candidates whose content (after the check-in conversions) differs from the index."""
    # here: the conversions and attributes are imported only when a file is to be hashed
    from .convert import hash_bytes, hash_file

    checkin = None if rules.config is None else _checkin(repo, rules.config)
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


_FILTER_WORDS = (
    b"autocrlf",
    b"eol",
    b"include",
    b"attributesfile",
    b"filter",
    b"symlinks",
    b"trustctime",
    b"checkstat",
    b"submodule",
    b"worktreeconfig",
)
"""Config words after which the full config is read (:class:`GitConfig`): content may not
be checked in byte for byte, or the stat comparison or the submodules are configured."""


def _rules(repo: GitRepo, attributes_tracked: bool) -> _Rules:
    """The comparison settings; ``config`` None when git would check files in byte for byte.

    Byte for byte means: no ``.gitattributes`` (tracked, at the top of the work tree, in
    ``info/attributes`` or the global or system attributes files), no config (system, global,
    repository, worktree, ``GIT_CONFIG_*`` variables) that mentions a word of
    :data:`_FILTER_WORDS`, and a POSIX system. Otherwise the whole configuration is read
    (which costs importing dulwich's config parser).
    """
    plain = None if attributes_tracked else _plain_filemode(repo)
    if plain is not None:
        return _Rules(plain, True, True, True, None)
    config = repo.config
    check = config.get(b"core", None, b"checkstat")
    return _Rules(
        config.boolean(b"core", b"filemode", True),
        config.boolean(b"core", b"trustctime", True),
        check is None or check.value.strip().lower() != b"minimal",
        config.boolean(b"core", b"symlinks", True),
        config,
    )


def _plain_filemode(repo: GitRepo) -> bool | None:
    """``core.filemode`` when no attributes file exists and no config file mentions a word
    of :data:`_FILTER_WORDS`, else None."""
    if os.sep != "/" or "GIT_CONFIG_PARAMETERS" in os.environ or "GIT_CONFIG_COUNT" in os.environ:
        return None
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    attributes = [
        os.path.join(repo.root, ".gitattributes"),
        os.path.join(repo.common_dir, "info", "attributes"),
        os.path.join(xdg, "git", "attributes"),
        "/etc/gitattributes",
        "/usr/local/etc/gitattributes",
    ]
    if any(os.path.exists(path) for path in attributes):
        return None
    configs: list[str] = []
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        configs.append(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig")
    if "GIT_CONFIG_GLOBAL" in os.environ:
        configs.append(os.environ["GIT_CONFIG_GLOBAL"])
    else:
        configs += [os.path.join(xdg, "git", "config"), os.path.join(home, ".gitconfig")]
    configs += [
        os.path.join(repo.common_dir, "config"),
        os.path.join(repo.git_dir, "config.worktree"),
    ]
    filemode = True
    for path in configs:
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError:
            continue  # absent: nothing set there
        lowered = text.lower()
        if any(word in lowered for word in _FILTER_WORDS) or b"ignore" in lowered:
            return None
        if b"filemode" in lowered:
            try:
                value = _core_boolean(text, b"filemode")
            except ValueError:
                return None
            if value is not None:
                filemode = value  # later files win, as in git
    return filemode


def _core_boolean(text: bytes, key: bytes) -> bool | None:
    """The last ``core.<key>`` boolean set in a config file's text, None when unset.

    Raises:
        ValueError: a value or a line this small reader does not know.
    """
    value = None
    section = b""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(b"["):
            end = line.find(b"]")
            if end < 0:
                raise ValueError("section header without ]")
            section = line[1:end].strip().lower()
            line = line[end + 1 :].strip()
        if not line or line[:1] in (b"#", b";") or section != b"core":
            continue
        name, equals, setting = line.partition(b"=")
        if name.strip().lower() != key:
            continue
        word = setting.split(b"#")[0].split(b";")[0].strip().strip(b'"').lower()
        if not equals or word in (b"true", b"yes", b"on", b"1"):
            value = True
        elif word in (b"false", b"no", b"off", b"0", b""):
            value = False
        else:
            raise ValueError(f"core.{key.decode()} = {word!r}")
    return value


def _submodules_changed(
    repo: GitRepo, rules: _Rules, base: bytes, entries: list[IndexEntry]
) -> list[bytes]:
    """Submodules that make the tree dirty for ``git status --untracked-files=no``: the work
    tree's directory gone or not a directory, or an initialised submodule whose HEAD is not
    the recorded commit or whose tracked files differ from its HEAD (checked as here,
    recursively), or one reached through a symbolic link (:class:`_LinkedDirectories`). The
    ignore setting (``submodule.<name>.ignore`` from the config, else from
    ``.gitmodules``, else ``diff.ignoreSubmodules``): ``all`` hides the submodule, ``dirty``
    counts only a moved HEAD; the submodule's own setting ``none`` (not
    ``diff.ignoreSubmodules``) also counts an untracked, not ignored file in it
    (:func:`vcrelease.git.ignore.first_untracked`). An uninitialised submodule (no ``.git``
    inside) is clean.
    """
    from pathlib import Path

    from .ignore import first_untracked
    from .refs import read_refs
    from .walk import read_commit

    names = _gitmodules(repo.root)
    beyond_link = _LinkedDirectories(None, base).below
    config = rules.config
    default = config.get(b"diff", None, b"ignoresubmodules") if config is not None else None
    out = []
    for entry in entries:
        ignore = default.value.strip().lower() if default is not None else b"none"
        # git status -uno leaves a submodule's untracked files out unless the submodule's
        # own setting says "none" (wt-status.c: ignore_untracked_in_submodules, then
        # set_diffopt_flags_from_submodule_config clears it); diff.ignoreSubmodules does not
        explicit_none = False
        name, from_file = names.get(entry.path, (None, None))
        if name is not None:
            own = config.get(b"submodule", name, b"ignore") if config is not None else None
            if own is not None:
                ignore = own.value.strip().lower()
                explicit_none = ignore == b"none"
            elif from_file is not None:
                ignore = from_file.strip().lower()
                explicit_none = ignore == b"none"
        if ignore == b"all":
            continue
        if beyond_link(entry.path):
            out.append(entry.path)  # removed, for git
            continue
        full = _full_path(base, entry.path)
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
                if untracked or dirty_files(sub, tree):
                    out.append(entry.path)
        except RepositoryError:
            continue  # git: a submodule whose HEAD cannot be resolved is not compared
    return out


def _gitmodules(root: object) -> dict[bytes, tuple[bytes, bytes | None]]:
    """``.gitmodules`` of the work tree: path -> (submodule name, its ``ignore`` or None)."""
    path = os.path.join(str(root), ".gitmodules")
    if not os.path.isfile(path):
        return {}
    from dulwich.config import ConfigFile

    try:
        config = ConfigFile.from_path(path)
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    found: dict[bytes, tuple[bytes, bytes | None]] = {}
    for section in config.sections():
        if len(section) != 2 or section[0].lower() != b"submodule":
            continue
        values = dict((k.lower(), v) for k, v in config.items(section))
        if b"path" in values:
            found[values[b"path"].strip(b"/")] = (section[1], values.get(b"ignore"))
    return found
