"""The work-tree half of the dirty check: each tracked file against its index entry, as
``git status`` compares them ("Changes not staged for commit"; ``read-cache.c``
``ie_match_stat``, ``diff-lib.c`` ``run_diff_files``).

Each tracked file is ``lstat``-ed (relative to a descriptor of the work tree's top, in one
pass over the index: :func:`stat_index`; else entry by entry: :func:`stat_entries`) and
compared with its index entry by git's stat rules (:func:`compare_stat`); only files whose
stat data do not decide, or are racily clean (``Documentation/technical/racy-git.txt``), are
left to be hashed. Assume-unchanged and skip-worktree entries are not looked at, as in git
(``git-update-index``), except the skip-worktree files of a sparse checkout that are present
in the work tree (:mod:`vcrelease.git.sparse`). A tracked file reached through a symbolic link
is removed, for git (:class:`LinkedDirectories`).
"""

import marshal
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from itertools import islice
from typing import NamedTuple

from .ids import EMPTY_BLOBS
from .indexfile import (
    ASSUME_VALID,
    INTENT_TO_ADD,
    SKIP_WORKTREE,
    STAT_KEY,
    EntryHeads,
    IndexEntry,
    NeedsFullDecode,
    entry_at,
)
from .repository import GitRepo

__all__ = [
    "SPLIT_MIN_ENTRIES",
    "LinkedDirectories",
    "StatRules",
    "ToHash",
    "compare_stat",
    "full_path",
    "split_point",
    "stat_entries",
    "stat_index",
]

_S_IFGITLINK = 0o160000

_DIR_FD = os.sep == "/" and os.stat in os.supports_dir_fd
"""Whether files can be ``lstat``-ed relative to a descriptor of the work tree's top."""

ToHash = tuple[IndexEntry, bytes, os.stat_result]
"""An entry whose content decides, its full path and its ``lstat`` result."""


class StatRules(NamedTuple):
    """The config that decides how a work-tree file's stat data are compared with its index
    entry's (``git-config``, "core.*")."""

    filemode: bool  # core.filemode: the executable bit counts
    trust_ctime: bool  # core.trustctime
    check_stat: bool  # core.checkStat=default (True) or minimal
    symlinks: bool  # core.symlinks


def compare_stat(
    root: bytes,
    rules: StatRules,
    index_s: int,
    pairs: Iterable[tuple[IndexEntry, os.stat_result]],
    submodules: list[IndexEntry],
) -> tuple[list[bytes], list[ToHash]]:
    """(paths whose work-tree file differs from its index entry, files whose content decides)
    from (entry, ``lstat`` result) pairs (:func:`stat_index`, :func:`stat_entries`) under the
    work tree's top ``root`` (ending in a separator), decided as git's
    ``ie_match_stat``/``ie_modified`` decide (``read-cache.c``, ``statinfo.c``, for a git
    built without ``USE_NSEC``/``USE_STDEV``, the default):

    - the stat data: mtime (seconds), and with ``core.checkStat=default`` (the default) ctime
      (seconds, unless ``core.trustctime=false``), uid, gid and inode; the size; the file
      type and (with ``core.filemode``) the executable bit;
    - a changed type or mode, or a changed non-zero recorded size: modified, not hashed;
    - other changes, a recorded size 0 for a non-empty blob, and racily clean entries (mtime
      not older than the index file, ``index_s`` in seconds; ``racy-git.txt``): the content
      is to be hashed after the check-in conversions (:mod:`vcrelease.git.convert`) and
      compared: those are the second list, with their full paths.

    Submodule entries among the pairs join ``submodules``
    (:mod:`vcrelease.git.submodules` compares them).
    """
    out: list[bytes] = []
    base = root
    to_hash: list[ToHash] = []
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
        to_hash.append((entry, full_path(base, path), st))
    return out, to_hash


def stat_index(
    repo: GitRepo,
    data: bytes,
    index_s: int,
    covered: Callable[[bytes], bool] | None,
    *,
    split: int | None = None,
) -> tuple[list[tuple[IndexEntry, os.stat_result]], list[bytes], list[IndexEntry], int] | None:
    """One pass over a version 2 or 3 index file's entries that ``lstat``-s each covered
    path relative to a descriptor of the work tree's top and compares the two stat data
    whole (:data:`~vcrelease.git.indexfile.STAT_KEY`).

    Args:
        split: the entry number from which a forked child process takes the entries over
            (:func:`_fork_stat`), 0 for none; None: :func:`split_point` decides.

    Returns:
        (entry and stat result of each file whose stat data are not equal or are racy or
        whose recorded size is 0, paths without a file, submodule entries, the offset after
        the last entry), each in index order, whatever the split; None for a version 4 index
        (prefix-compressed paths), when descriptors cannot be used, when an entry is flagged
        (a conflict, intent-to-add, skip-worktree, assume-unchanged) or its path is 4,095
        bytes or longer, or the top cannot be opened: :func:`stat_entries` reads those.

    Equal stat data, mode included, imply what :func:`compare_stat` compares whatever the
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
    root_fd = open_dir(os.fsencode(repo.root) + b"/")
    if root_fd is None:
        return None
    raw_len = repo.raw_len
    found: list[tuple[int, os.stat_result]] = []
    missing: list[bytes] = []
    submodules: list[int] = []
    if split is None:
        split = split_point(heads.count)
    child = None
    try:
        if split:
            child = _fork_stat(heads, split, root_fd, index_s, covered)
        entries = heads.entries(0)
        if child is None:
            _stat_loop(entries, root_fd, index_s, covered, found, missing, submodules)
            end = heads.end
        else:
            mine = islice(entries, split)
            _stat_loop(mine, root_fd, index_s, covered, found, missing, submodules)
            pending, child = child, None  # _child_result reaps it, whatever happens
            theirs = _child_result(pending)
            if theirs is None:  # the child failed: its entries are read here
                _stat_loop(entries, root_fd, index_s, covered, found, missing, submodules)
                end = heads.end
            else:
                their_found, their_missing, their_submodules, end = theirs
                _restat(data, raw_len, root_fd, their_found, found, missing, submodules)
                missing.extend(their_missing)
                submodules.extend(their_submodules)
    except NeedsFullDecode:
        return None
    finally:
        if child is not None:
            _reap(child)
        os.close(root_fd)
    pairs = [(entry_at(data, here, raw_len), st) for here, st in found]
    return pairs, missing, [entry_at(data, here, raw_len) for here in submodules], end


def _stat_loop(
    entries: Iterable[tuple[int, tuple[int, ...], bytes]],
    root_fd: int,
    index_s: int,
    covered: Callable[[bytes], bool] | None,
    found: list[tuple[int, os.stat_result]],
    missing: list[bytes],
    submodules: list[int],
) -> None:
    """:func:`stat_index`'s loop over ``entries``: appends (offset, stat result) of each
    entry the stat data do not vouch for to ``found``, the paths without a file to
    ``missing`` and the offsets of submodules not checked out to ``submodules``."""
    work_key = STAT_KEY
    lstat = os.lstat
    linked = LinkedDirectories(root_fd).linked
    last_directory, last_linked = b"", False
    for here, head, path in entries:
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
                submodules.append(here)
            else:
                missing.append(path)
            continue
        # head[6]: size 0 may stand for a non-empty blob; head[1]: the mtime, racily
        # clean when not older than the index file. A submodule's entry never equals
        # the stat data of its directory, so it goes on to _unstaged.
        if head[:7] == work_key(st) and head[6] and head[1] < index_s:
            continue
        found.append((here, st))


SPLIT_MIN_ENTRIES = 4096
"""Below this many index entries :func:`stat_index` reads them all in one process (a fork
and its pipe cost about as much as ``lstat``-ing a thousand files)."""


def split_point(count: int) -> int:
    """The entry number from which :func:`stat_index` leaves ``count`` entries to a forked
    child process: half of them, on Linux with two or more CPUs available to this process,
    no other Python thread running (a fork copies only the calling thread) and
    :data:`SPLIT_MIN_ENTRIES` entries or more; else 0 (no child).

    Why: ``lstat`` of every tracked file is most of ``git status``'s work, and git spreads
    it over threads (``core.preloadIndex``, ``preload-index.c``); Python's threads take turns
    holding the interpreter between two ``lstat`` calls, so two processes do it instead: on
    20,000 files the pass takes about 60 % of its single-process time.
    """
    if count < SPLIT_MIN_ENTRIES or not _CAN_FORK:
        return 0
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except OSError:
        return 0
    return count // 2 if cpus >= 2 else 0


_CAN_FORK = sys.platform.startswith("linux") and hasattr(os, "fork")
"""Linux only: elsewhere a fork is dearer (macOS also warns against one without ``exec``)."""


class _Child(NamedTuple):
    """A forked child of :func:`_fork_stat`: its process id and the read end of its pipe."""

    pid: int
    pipe: int


def _fork_stat(
    heads: EntryHeads,
    first: int,
    root_fd: int,
    index_s: int,
    covered: Callable[[bytes], bool] | None,
) -> _Child | None:
    """Fork a child that runs :func:`_stat_loop` on the entries from number ``first`` on
    and writes (offsets found, paths missing, submodule offsets, the offset after the last
    entry) to a pipe (``marshal``); None when the fork fails.

    The child runs with every signal blocked, touches nothing but the work tree's
    ``lstat`` results and its pipe, and leaves with ``os._exit`` (no ``atexit`` handler,
    no ``finally`` of the caller's, no buffered output flushed twice): exit status 0 after
    writing its result, 1 on any error (the parent then reads those entries itself).
    """
    import signal  # about 4 ms of enums: only where a fork pays for it

    read_end, write_end = os.pipe()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
    try:
        pid = os.fork()
    except OSError:
        pid = -1
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_end)
            found: list[tuple[int, os.stat_result]] = []
            missing: list[bytes] = []
            submodules: list[int] = []
            entries = heads.entries(first)
            _stat_loop(entries, root_fd, index_s, covered, found, missing, submodules)
            result = marshal.dumps(([here for here, _ in found], missing, submodules, heads.end))
            view = memoryview(result)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        except BaseException:
            pass  # status 1: the parent reads these entries itself
        finally:
            os._exit(status)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    os.close(write_end)
    if pid < 0:
        os.close(read_end)
        return None
    return _Child(pid, read_end)


def _child_result(child: _Child) -> tuple[list[int], list[bytes], list[int], int] | None:
    """What ``child`` wrote, once it has exited with status 0; None when it failed or wrote
    something else (the reader then reads its entries itself)."""
    chunks = []
    try:
        while chunk := os.read(child.pipe, 1 << 16):
            chunks.append(chunk)
    finally:
        status = _reap(child)
    if status != 0:
        return None
    try:
        result = marshal.loads(b"".join(chunks))
    except (EOFError, ValueError, TypeError):
        return None
    if not (
        isinstance(result, tuple)
        and len(result) == 4
        and all(isinstance(part, list) for part in result[:3])
        and isinstance(result[3], int)
    ):
        return None
    found, missing, submodules, end = result
    return found, missing, submodules, end


def _reap(child: _Child) -> int:
    """Close ``child``'s pipe (a child still writing then fails and exits) and wait for it;
    returns its wait status."""
    with suppress(OSError):
        os.close(child.pipe)
    try:
        return os.waitpid(child.pid, 0)[1]
    except ChildProcessError:  # reaped already
        return -1


def _restat(
    data: bytes,
    raw_len: int,
    root_fd: int,
    offsets: list[int],
    found: list[tuple[int, os.stat_result]],
    missing: list[bytes],
    submodules: list[int],
) -> None:
    """The entries a child found: ``lstat``-ed again here (a stat result does not cross a
    pipe whole), as one ``lstat`` at a later moment; a file gone meanwhile is missing."""
    for here in offsets:
        entry = entry_at(data, here, raw_len)
        try:
            st = os.lstat(entry.path, dir_fd=root_fd)
        except (FileNotFoundError, NotADirectoryError):
            if entry.mode == _S_IFGITLINK:
                submodules.append(here)
            else:
                missing.append(entry.path)
            continue
        found.append((here, st))


def stat_entries(
    entries: Iterable[IndexEntry],
    base: bytes,
    changed: set[bytes],
    submodules: list[IndexEntry],
    sparse: Callable[[IndexEntry], Iterable[IndexEntry]] | None = None,
) -> Iterator[tuple[IndexEntry, os.stat_result]]:
    """(entry, ``lstat`` result) for each entry whose work-tree file is compared.
    Conflicted, intent-to-add and missing paths go to ``changed``, submodules to
    ``submodules``; assume-unchanged entries are not looked at (``git-update-index``), nor
    are skip-worktree entries unless ``sparse`` is given.

    ``sparse`` (a sparse checkout, :func:`vcrelease.git.sparse.present_entries`): a
    skip-worktree entry -> the entries git compares after clearing the bit of those present
    in the work tree (git 2.37+, ``sparse-index.c``
    ``clear_skip_worktree_from_present_files``): the file itself when it is present, the
    present files of a sparse directory entry."""
    lstat = os.lstat
    beyond_link = LinkedDirectories(None, base).below
    for entry in entries:
        path, mode, _, stage, _, _, extended = entry[:7]
        if stage or extended or mode == _S_IFGITLINK:
            if stage:
                changed.add(path)
                continue
            if extended & SKIP_WORKTREE and sparse is not None and not extended & ASSUME_VALID:
                yield from stat_entries(sparse(entry), base, changed, submodules)
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
            st = lstat(full_path(base, path))
        except (FileNotFoundError, NotADirectoryError):
            changed.add(path)
            continue
        yield entry, st


class LinkedDirectories:
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
                        os.lstat(full_path(self._base, directory))
                        if self._root_fd is None
                        else os.lstat(directory, dir_fd=self._root_fd)
                    )
                except OSError:
                    st = None
                found = st is not None and stat.S_ISLNK(st.st_mode)
            self._seen[directory] = found
        return found


def full_path(base: bytes, path: bytes) -> bytes:
    """``base`` (ending in a separator) joined with the index path ``path``."""
    return base + path if os.sep == "/" else os.path.join(base, *path.split(b"/"))


def open_dir(path: bytes) -> int | None:
    """A read-only descriptor of the directory ``path``; None when it cannot be opened (the
    files below are then ``lstat``-ed by their full path, which reports why)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except OSError:
        return None
