"""The dirty check: which tracked files differ from HEAD, as ``git status`` sees them.

Staged changes (index vs HEAD's tree): the index's cache-tree (``gitformat-index``, "Cache
tree") vouches for whole directories, so only directories whose cache-tree entry is invalid
are compared entry by entry with HEAD's trees. Unstaged changes (work tree vs index): each
tracked file is ``lstat``-ed (relative to its directory's descriptor) and only files whose
stat data differ from the index entry, or are racily clean (modified in the index file's
second; ``Documentation/technical/racy-git.txt``), are hashed: byte for byte when no
attributes or filter settings exist, else through dulwich's check-in filters
(``core.autocrlf``, ``gitattributes``). Assume-unchanged and skip-worktree entries are not
looked at, as in git (``git-update-index``).
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..errors import RepositoryError
from .ids import OBJ_TREE, HexId, RawId, to_hex, to_raw
from .indexfile import (
    ASSUME_VALID,
    INTENT_TO_ADD,
    SKIP_WORKTREE,
    CacheTree,
    IndexEntry,
    UnsupportedIndex,
    parse_index,
)
from .objects import ObjectStore, TreeEntry, parse_tree
from .repository import GitRepo

if TYPE_CHECKING:
    from dulwich.repo import Repo

try:  # SHA-1 without hashlib, whose import loads OpenSSL (a few ms every call)
    from _sha1 import sha1  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import sha1

__all__ = ["dirty_files"]

_S_IFGITLINK = 0o160000
_S_IFDIR = 0o040000


def dirty_files(repo: GitRepo, head_tree: HexId, ignore: Iterable[str] = ()) -> list[str]:
    """Tracked paths that differ from HEAD: staged (index vs tree) or not (work tree vs index).

    Args:
        repo: the open repository.
        head_tree: HEAD's root tree (:attr:`vcrelease.git.model.History.head_tree`, encoded).
        ignore: ``/``-separated work-tree paths that never count (the version file).

    Returns:
        The paths, sorted, ``/``-separated, relative to the work tree's top.

    Untracked files never count; neither do uninitialised submodules nor ``ignore`` paths.
    Work-tree content goes through the repository's check-in filters (``core.autocrlf``,
    ``.gitattributes`` ``text``/``eol``) before it is hashed, as ``git status`` does; only
    files whose stat data differ from their index entry are hashed.

    Raises:
        RepositoryError: the index or a tree object cannot be read.
    """
    ignored = frozenset(ignore)
    path = os.path.join(repo.git_dir, "index")
    try:
        with open(path, "rb") as f:
            index_mtime = os.fstat(f.fileno()).st_mtime_ns
            data = f.read()
    except FileNotFoundError:
        return []
    try:
        entries, cache_tree, any_extended = parse_index(data)
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
    try:
        intent_to_add = any_extended and any(e.flags & INTENT_TO_ADD for e in entries)
        changed = set(_staged(repo.objects, entries, cache_tree, head_tree, intent_to_add))
    except (KeyError, ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{repo.root}: a tree of HEAD cannot be read ({exc!r}). Run `git fsck`."
        ) from exc
    changed.update(_unstaged(repo, entries, index_mtime))
    names = sorted(p.decode("utf-8", "replace") for p in changed if p)
    return [n for n in names if n not in ignored]


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
        kind, data = store.read(to_hex(oid))
        if kind != OBJ_TREE:
            raise ValueError(f"{oid.hex()} is not a tree")
        return parse_tree(data)

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
            path, mode, sha, stage, _, _, extended = entries[i]
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


def _unstaged(repo: GitRepo, entries: list[IndexEntry], index_mtime_ns: int) -> list[bytes]:
    """Paths whose work-tree file differs from its index entry (conflicts included).

    A file is hashed only when its stat data do not vouch for it: same mtime (ns) and size as
    recorded, same file type and executable bit, and older than the index file (git's "racily
    clean" rule). Where the platform allows, files are ``lstat``-ed relative to an open
    descriptor of their directory, which spares the kernel the walk down the full path.
    """
    out: list[bytes] = []
    base = os.fsencode(repo.root) + b"/"
    posix = os.sep == "/"
    lstat = os.lstat
    to_hash: list[tuple[IndexEntry, bytes, os.stat_result]] = []
    root_fd = _open_dir(base) if posix and os.stat in os.supports_dir_fd else None
    dir_fd = root_fd
    current = b""
    try:
        for entry in entries:
            path, mode, _, stage, mtime_ns, size, extended = entry
            if stage or extended or mode == _S_IFGITLINK:
                if stage:
                    out.append(path)
                    continue
                if extended & (SKIP_WORKTREE | ASSUME_VALID):
                    continue  # not checked out, or `git update-index --assume-unchanged`
                if mode == _S_IFGITLINK:
                    if _submodule_changed(_full_path(base, path), to_hex(entry.oid)):
                        out.append(path)
                    continue
            try:
                if root_fd is None:
                    st = lstat(_full_path(base, path))
                else:
                    slash = path.rfind(b"/")
                    directory = path[:slash] if slash >= 0 else b""
                    if directory != current:
                        if dir_fd is not None and dir_fd != root_fd:
                            os.close(dir_fd)
                        dir_fd = _open_dir(directory, root_fd) if directory else root_fd
                        current = directory
                    if dir_fd is None:
                        st = lstat(base + path)
                    else:
                        st = lstat(path[slash + 1 :], dir_fd=dir_fd)
            except (FileNotFoundError, NotADirectoryError):
                out.append(path)
                continue
            work_mtime = st.st_mtime_ns
            if (
                work_mtime == mtime_ns
                and work_mtime < index_mtime_ns
                and st.st_size & 0xFFFFFFFF == size
                and (st.st_mode & 0o170100 == mode & 0o170100 or _mode_clean(st.st_mode, mode))
            ):
                continue
            if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                out.append(path)
                continue
            to_hash.append((entry, _full_path(base, path), st))
    finally:
        if dir_fd is not None and dir_fd != root_fd:
            os.close(dir_fd)
        if root_fd is not None:
            os.close(root_fd)
    if to_hash:
        filemode = _plain_checkin(repo, entries)
        if filemode is None:
            out.extend(_hash_changed(repo.dulwich(), to_hash))
        else:
            out.extend(_hash_changed_plain(to_hash, filemode))
    return out


def _full_path(base: bytes, path: bytes) -> bytes:
    """``base`` (ending in a separator) joined with the index path ``path``."""
    return base + path if os.sep == "/" else os.path.join(base, *path.split(b"/"))


def _open_dir(path: bytes, dir_fd: int | None = None) -> int | None:
    """A read-only descriptor of the directory ``path``; None when it cannot be opened (the
    files below are then ``lstat``-ed by their full path, which reports why)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, dir_fd=dir_fd)
    except OSError:
        return None


def _mode_clean(work_mode: int, index_mode: int) -> bool:
    """Same file type, and for regular files the same executable bit."""
    if work_mode & 0o170100 == index_mode & 0o170100:
        return True
    return stat.S_ISLNK(work_mode) and stat.S_ISLNK(index_mode)


def _hash_changed(
    repo: Repo, candidates: list[tuple[IndexEntry, bytes, os.stat_result]]
) -> list[bytes]:
    """The candidates whose content (after the check-in filters) or mode differs."""
    from dulwich.index import blob_from_path_and_stat

    filemode = repo.get_config().get_boolean(b"core", b"filemode", True)
    normalizer = repo.get_blob_normalizer()
    out = []
    for entry, full, st in candidates:
        path, mode, sha = entry.path, entry.mode, entry.oid
        blob = normalizer.checkin_normalize(blob_from_path_and_stat(full, st), path)
        if bytes(blob.id) != to_hex(sha) or not _same_mode(st.st_mode, mode, filemode):
            out.append(path)
    return out


_FILTER_WORDS = (b"autocrlf", b"eol", b"include", b"attributesfile", b"filter", b"symlinks")
"""Config words after which content may not be checked in byte for byte (or after which the
config needs a real parser): their presence sends hashing to dulwich's check-in filters."""


def _plain_checkin(repo: GitRepo, entries: list[IndexEntry]) -> bool | None:
    """``core.filemode`` when git would check files in byte for byte, else None.

    Byte for byte means: no ``.gitattributes`` (tracked, at the top of the work tree, in
    ``info/attributes`` or the global or system attributes files), no config (system, global,
    repository, worktree, ``GIT_CONFIG_*`` variables) that mentions a filter word
    (:data:`_FILTER_WORDS`), and a POSIX system. None sends the caller to dulwich's
    normalizer, which reads all of that properly; it costs importing dulwich, so it is taken
    only when a filter may apply.
    """
    if os.sep != "/" or "GIT_CONFIG_PARAMETERS" in os.environ or "GIT_CONFIG_COUNT" in os.environ:
        return None
    if any(entry.path.endswith(b".gitattributes") for entry in entries):
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
        if any(word in lowered for word in _FILTER_WORDS):
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


def _hash_changed_plain(
    candidates: list[tuple[IndexEntry, bytes, os.stat_result]], filemode: bool
) -> list[bytes]:
    """:func:`_hash_changed` without check-in filters: the blob id of the bytes as they are."""
    out = []
    for entry, full, st in candidates:
        path, mode, sha = entry.path, entry.mode, entry.oid
        try:
            content = os.readlink(full) if stat.S_ISLNK(st.st_mode) else _read_bytes(full)
        except OSError:
            out.append(path)  # cannot be read, so cannot be vouched for
            continue
        digest = sha1(b"blob %d\0" % len(content))
        digest.update(content)
        if digest.digest() != sha or not _same_mode(st.st_mode, mode, filemode):
            out.append(path)
    return out


def _read_bytes(path: bytes) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _same_mode(work_mode: int, index_mode: int, filemode: bool) -> bool:
    """File type equal, and the executable bit too unless ``core.filemode`` is false."""
    if stat.S_IFMT(work_mode) != stat.S_IFMT(index_mode):
        return False
    if not filemode or not stat.S_ISREG(work_mode):
        return True
    return bool(work_mode & 0o100) == bool(index_mode & 0o100)


def _submodule_changed(path: bytes, recorded: HexId) -> bool:
    """An initialised submodule whose HEAD is not the recorded commit; uninitialised is clean."""
    if not os.path.exists(os.path.join(path, b".git")):
        return False
    from dulwich.index import read_submodule_head

    try:
        return read_submodule_head(path) != recorded
    except (OSError, ValueError, KeyError):
        return True
