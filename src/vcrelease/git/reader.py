"""Read what a version needs from a git repository, without the git binary.

The main entry point is :func:`describe`. It finds the nearest version tag the way
``git describe --tags --long`` does and reports the same tag distance and node, plus the dirty
state, the branch, the commit time and whether the clone is shallow. :func:`read_refs`,
:func:`read_history` and :func:`dirty_files` are its three steps, for the describe cache
(:mod:`vcrelease.git.cache`), which keys the history on the refs and always recomputes the dirty
state.

Rules (DESIGN.md, "The version rules"):

- candidates are ``refs/tags/*`` whose name the caller's ``parse_tag`` accepts (a tag pattern
  and a PEP 440 parse); lightweight and annotated tags count, tags of tags are peeled, tags of
  trees or blobs are skipped;
- the distance of a tag is the number of commits reachable from HEAD and not from the tag
  (``git rev-list --count TAG..HEAD``, which is what ``git describe`` reports whenever commit
  times are in order; where they are not, ours stays exact and git's may not); the nearest
  tag wins, and on equal distance (several
  tags on one commit) the highest version wins;
- no version tag reachable: the distance counts every commit reachable from HEAD;
- a shallow clone whose cut hides what the answer depends on raises :class:`ShallowCloneError`,
  never a silently wrong distance.

How it is read (issue 5, "Make it fast"): the common path imports no dulwich at all.

- refs: ``HEAD``, loose refs and ``packed-refs`` are read as files; its peeled lines give the
  commits of annotated tags without reading the tag objects (reftable repositories go through
  dulwich's refs);
- objects: pack ``.idx`` files (version 2) and packs are memory-mapped; an object is found by a
  binary search in the index (after a few hundred lookups, a bisect over an array of 4-byte id
  prefixes) and inflated with ``zlib``; deltas are applied here; loose objects and alternates
  are read as files. For a commit only the header up to the committer line is needed (tree,
  parents, committer time). What this reader cannot place goes to dulwich's object store;
- history: one date-ordered walk propagating a flag bit per version tag (git's describe walk);
  with a commit-graph file the walk runs on graph positions, reading parents and times from the
  memory-mapped file (:mod:`vcrelease.git.commitgraph`); tag names are parsed only for the commits
  the walk meets;
- dirty check: the index file (versions 2 to 4, sparse-index directory entries included) is
  parsed here; a split index is an error that says how to undo it. Staged changes: the index's
  cache-tree extension is compared with HEAD's trees, so only directories whose cache-tree
  entry is invalid are compared entry by entry. Unstaged changes: each tracked file is
  ``lstat``-ed (relative to its directory's descriptor) and only files whose stat data differ
  from the index entry (or are racily clean) are hashed: byte for byte when no attributes or
  filter settings exist, else through dulwich's check-in filters (``core.autocrlf``,
  ``.gitattributes``). Assume-unchanged and skip-worktree entries are not looked at, as in git.
"""

from __future__ import annotations

import array
import binascii
import bisect
import heapq
import mmap
import os
import re
import stat
import struct
import sys
import zlib
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import RepositoryError, ShallowCloneError
from .commitgraph import CommitGraph, CommitGraphError, SortedIds, follow_single_parents

if TYPE_CHECKING:
    from dulwich.repo import Repo

try:  # BLAKE2 and SHA-1 without hashlib, whose import loads OpenSSL (a few ms every call)
    from _blake2 import blake2b
    from _sha1 import sha1  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b, sha1

ParseTag = Callable[[str], "str | None"]
"""Takes a tag name (``v1.2.3``), returns its version string (``1.2.3``) or None to skip it."""

Node: TypeAlias = int | bytes
"""A commit in the walk: its commit-graph position (int), or its 40-hex id (bytes) when it is
not in the commit-graph (or there is none)."""

_S_IFGITLINK = 0o160000
_S_IFDIR = 0o040000
_HEX40 = re.compile(rb"[0-9a-fA-F]{40}")
_SHALLOW_FIX = (
    "Fetch the full history and the tags: with actions/checkout set `fetch-depth: 0`; "
    "elsewhere run `git fetch --unshallow --tags`."
)
_OBJ_COMMIT, _OBJ_TREE, _OBJ_BLOB, _OBJ_TAG = 1, 2, 3, 4
_OBJ_OFS_DELTA, _OBJ_REF_DELTA = 6, 7
_TYPE_NAMES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}
_TYPE_WORDS = {1: "commit", 2: "tree", 3: "blob", 4: "tag"}


@dataclass(frozen=True)
class TagCandidate:
    """A version tag reachable from HEAD.

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``, ``pkg-a/v1.2.3``).
        version: the version the tag names, as ``parse_tag`` returned it (``1.2.3``).
        commit: 40-hex id of the commit the tag points at, after peeling.
        distance: commits reachable from HEAD and not from the tag. Exact for the chosen tag;
            for the others a lower bound (the walk stops as soon as the winner is certain).
    """

    name: str
    version: str
    commit: str
    distance: int


@dataclass(frozen=True)
class Describe:
    """The state of a work tree, as ``git describe --tags --long --dirty`` plus context sees it.

    Attributes:
        tag: nearest version tag name, or None when no version tag is reachable.
        tag_version: the version that tag names (``1.2.3``), or None.
        distance: commits since ``tag`` (int, >= 0); with no tag, all commits reachable from HEAD.
        node: 40-hex id of the HEAD commit.
        dirty: a tracked file differs from HEAD (staged or not).
        dirty_files: the tracked paths (``/``-separated, relative to the work tree) that differ.
        branch: the checked-out branch (``main``, ``feature/x``), None on a detached HEAD.
        commit_time: committer time of HEAD (aware datetime, UTC).
        shallow: the repository is a shallow clone.
        candidates: reachable version tags the walk met, nearest first.
        root: the work tree's top directory.
    """

    tag: str | None
    tag_version: str | None
    distance: int
    node: str
    dirty: bool
    dirty_files: tuple[str, ...]
    branch: str | None
    commit_time: datetime
    shallow: bool
    candidates: tuple[TagCandidate, ...] = ()
    root: Path = field(default=Path("."), compare=False)

    @property
    def exact(self) -> bool:
        """HEAD is the tagged commit and the tree is clean."""
        return self.tag is not None and self.distance == 0 and not self.dirty

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``commit_time`` as ISO 8601, ``root`` as a string)."""
        return {
            "tag": self.tag,
            "tag_version": self.tag_version,
            "distance": self.distance,
            "node": self.node,
            "dirty": self.dirty,
            "dirty_files": list(self.dirty_files),
            "branch": self.branch,
            "commit_time": self.commit_time.isoformat(),
            "shallow": self.shallow,
            "candidates": [
                {"tag": c.name, "version": c.version, "commit": c.commit, "distance": c.distance}
                for c in self.candidates
            ],
            "root": str(self.root),
        }


def find_work_tree(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory or a file)."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def open_repository(root: Path) -> Repo:
    """Open the repository whose work tree is ``root`` (``.git`` directory or worktree file).

    Raises:
        RepositoryError: ``root`` holds no readable git repository.
    """
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo(str(root))
    except (NotGitRepository, OSError, ValueError) as exc:
        raise RepositoryError(
            f"{root} is not a readable git repository ({exc}). Run vcrelease inside a git "
            "work tree, or build from an sdist or a `git archive` with .git_archival.txt."
        ) from exc


def describe(
    path: Path,
    parse_tag: ParseTag,
    *,
    ignore_dirty: Iterable[str] = (),
) -> Describe:
    """Describe the work tree containing ``path``.

    Args:
        path: a directory inside the work tree.
        parse_tag: tag name -> version string, or None for tags that are not versions.
        ignore_dirty: work-tree paths (``/``-separated, relative to the top) whose changes
            do not make the tree dirty, such as the version file vcrelease writes.

    Raises:
        RepositoryError: not a repository, no commits yet, a missing object or a corrupt ref.
        ShallowCloneError: the clone is shallow and its cut hides the nearest tag or part of
            the distance.
    """
    root = find_work_tree(path)
    if root is None:
        raise RepositoryError(
            f"{path} is not inside a git work tree (no .git found here or above). "
            "Run vcrelease in a clone, or build from an sdist or a `git archive` tarball."
        )
    with GitRepo.open(root) as repo:
        history = read_history(repo, read_refs(repo), parse_tag)
        return history.describe(dirty_files(repo, history.head_tree, ignore_dirty))


# --- the repository: directories, dulwich on demand ------------------------------------------


class GitRepo:
    """An open repository: where its files are, its object reader, dulwich only on demand.

    Use as a context manager (or call :meth:`close`): packs and commit-graph files are
    memory-mapped.

    Attributes:
        root: the work tree's top directory.
        git_dir: the repository directory of this work tree (``.git``, or
            ``.git/worktrees/<name>`` for a linked worktree): ``HEAD`` and ``index`` live here.
        common_dir: the directory with ``objects``, ``refs`` and ``packed-refs`` (the same as
            ``git_dir`` except in a linked worktree).
    """

    def __init__(self, root: Path, git_dir: str, common_dir: str) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self._objects: _ObjectStore | None = None
        self._dulwich: Repo | None = None

    @classmethod
    def open(cls, root: Path) -> GitRepo:
        """Find the repository directories of the work tree ``root``.

        Raises:
            RepositoryError: ``root/.git`` is neither a repository directory nor a
                ``gitdir:`` file naming one, or the repository uses SHA-256 object ids.
        """
        dot_git = os.path.join(root, ".git")
        try:
            if os.path.isdir(dot_git):
                git_dir = dot_git
            else:
                with open(dot_git, "rb") as f:
                    line = f.read().decode("utf-8", "replace").strip()
                if not line.startswith("gitdir:"):
                    raise OSError(f"{dot_git} does not start with 'gitdir:'")
                git_dir = os.path.join(root, line[len("gitdir:") :].strip())
            common_dir = git_dir
            try:
                with open(os.path.join(git_dir, "commondir"), "rb") as f:
                    common = f.read().decode("utf-8", "replace").strip()
                common_dir = os.path.normpath(os.path.join(git_dir, common))
            except FileNotFoundError:
                pass
            if not os.path.isfile(os.path.join(git_dir, "HEAD")):
                raise OSError(f"no HEAD file in {git_dir}")
            if not os.path.isdir(os.path.join(common_dir, "objects")):
                raise OSError(f"no objects directory in {common_dir}")
            config = _read_optional(os.path.join(common_dir, "config")) or b""
        except OSError as exc:
            raise RepositoryError(
                f"{root} is not a readable git repository ({exc}). Run vcrelease inside a git "
                "work tree, or build from an sdist or a `git archive` with .git_archival.txt."
            ) from exc
        if re.search(rb"(?im)^\s*objectformat\s*=\s*sha256", config):
            raise RepositoryError(
                f"{root} uses SHA-256 object ids, which vcrelease cannot read yet. Build from "
                "an sdist, or set VCRELEASE_PRETEND_VERSION."
            )
        return cls(root, git_dir, common_dir)

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Unmap the packs; close dulwich's repository if it was opened."""
        if self._objects is not None:
            self._objects.close()
            self._objects = None
        if self._dulwich is not None:
            self._dulwich.close()
            self._dulwich = None

    @property
    def objects(self) -> _ObjectStore:
        if self._objects is None:
            self._objects = _ObjectStore(os.path.join(self.common_dir, "objects"), self.dulwich)
        return self._objects

    def dulwich(self) -> Repo:
        """dulwich's view of the repository, opened on first use (check-in filters, config,
        reftable refs, objects this module's reader cannot place).

        Raises:
            RepositoryError: dulwich cannot open the repository.
        """
        if self._dulwich is None:
            self._dulwich = open_repository(self.root)
        return self._dulwich

    def open_graph(self) -> CommitGraph | None:
        """The commit-graph (single file or split chain), None when absent or unreadable."""
        try:
            return CommitGraph.open(os.path.join(self.common_dir, "objects"))
        except CommitGraphError:
            return None


def _read_optional(path: str) -> bytes | None:
    """The bytes of ``path``, None when it does not exist (or is a directory)."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


# --- refs ---------------------------------------------------------------------------------------

_PER_WORKTREE_REFS = ("refs/bisect/", "refs/worktree/", "refs/rewritten/")


@dataclass(frozen=True)
class TagRef:
    """A ref under ``refs/tags/``, as stored.

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``).
        target: 40-hex (lower case) id the ref names, None when the ref is corrupt.
        peeled: 40-hex id of the object after peeling annotated tags, when ``packed-refs``
            records it (its ``peeled`` / ``fully-peeled`` traits); None when unknown.
        raw: the ref's content as read (for messages).
    """

    name: str
    target: bytes | None
    peeled: bytes | None
    raw: bytes


_TagTuple: TypeAlias = tuple[str, "bytes | None", "bytes | None", bytes]
"""A :class:`TagRef` as a plain tuple (name, target, peeled, raw): thousands are made."""


@dataclass(frozen=True)
class Refs:
    """What the history depends on, besides objects (which never change under an id).

    Attributes:
        head: 40-hex id of the HEAD commit.
        branch: the checked-out branch, None on a detached HEAD.
        shallow: 40-hex ids listed in the ``shallow`` file (empty unless a shallow clone).
        fingerprint: a digest of every byte read to find these refs (``HEAD``, the refs it
            follows, the loose tag refs with their names, ``packed-refs``, ``shallow``), or
            None when the refs are not plain files (reftable). Equal fingerprints mean equal
            refs.
        packed_refs: the ``packed-refs`` file as read (its tags are parsed on demand).
        loose_tags: (name, content, id a symbolic ref resolves to) of each loose tag ref.
        listed_tags: the tags when they came from dulwich (reftable), else None.
    """

    head: bytes
    branch: str | None
    shallow: frozenset[bytes]
    fingerprint: bytes | None
    packed_refs: bytes = field(default=b"", repr=False)
    loose_tags: tuple[tuple[str, bytes, bytes | None], ...] = field(default=(), repr=False)
    listed_tags: tuple[TagRef, ...] | None = field(default=None, repr=False)

    @property
    def tags(self) -> tuple[TagRef, ...]:
        """Every ``refs/tags/*`` ref, sorted by name (loose refs over packed ones)."""
        if self.listed_tags is not None:
            return self.listed_tags
        return tuple(TagRef(*t) for t in self.tag_tuples())

    def tag_tuples(self) -> list[_TagTuple]:
        """:attr:`tags` as tuples (cheaper to make by the thousand)."""
        if self.listed_tags is not None:
            return [(t.name, t.target, t.peeled, t.raw) for t in self.listed_tags]
        tags: dict[str, _TagTuple] = {}
        data = self.packed_refs
        if data:
            if not data.endswith(b"\n"):
                data += b"\n"
            traits = data[: data.find(b"\n")] if data.startswith(b"# pack-refs with:") else b""
            peeled_known = b" peeled" in traits or b" fully-peeled" in traits
            found = _PACKED_TAG_STRICT.findall(data)
            if len(found) == data.count(b" refs/tags/"):  # every line well formed
                for sha, name_bytes, peeled in found:
                    name = name_bytes.decode("utf-8", "replace")
                    # The traits promise a peeled line for every annotated tag.
                    peel = peeled or (sha if peeled_known else None)
                    tags[name] = (name, sha, peel, sha)
            else:
                for sha, name_bytes, peeled in _PACKED_TAG.findall(data):
                    name = name_bytes.decode("utf-8", "replace")
                    target = sha.lower() if _HEX40.fullmatch(sha) else None
                    if peeled:
                        peel = peeled.lower() if _HEX40.fullmatch(peeled) else None
                    else:
                        peel = target if peeled_known else None
                    tags[name] = (name, target, peel, sha)
        for name, raw, resolved in self.loose_tags:
            content = raw.strip()
            if content.startswith(b"ref:"):
                tags[name] = (name, resolved, None, raw)
            elif _HEX40.fullmatch(content):
                tags[name] = (name, content.lower(), None, raw)
            else:
                tags[name] = (name, None, None, raw)
        if not self.loose_tags and b" sorted" in self.packed_refs[:200]:
            return list(tags.values())  # packed-refs says it is sorted by name already
        return [tags[name] for name in sorted(tags)]


_PACKED_TAG_STRICT = re.compile(
    rb"^([0-9a-f]{40}) refs/tags/([^\n]*)\n(?:\^([0-9a-f]{40})\n)?", re.MULTILINE
)
_PACKED_TAG = re.compile(rb"^([^ \n#^]*) refs/tags/([^\n]*)\n(?:\^([^\n]*)\n)?", re.MULTILINE)


def read_refs(repo: GitRepo) -> Refs:
    """HEAD, the tag refs and the shallow list of ``repo`` (tags parsed on demand).

    Raises:
        RepositoryError: HEAD cannot be read or names no commit yet (an empty repository).
    """
    shallow_raw = _read_optional(os.path.join(repo.common_dir, "shallow")) or b""
    shallow = frozenset(line.strip().lower() for line in shallow_raw.splitlines() if line.strip())
    if os.path.isdir(os.path.join(repo.common_dir, "reftable")):
        head, branch, tags = _dulwich_refs(repo)
        return Refs(head, branch, shallow, None, listed_tags=tags)
    digest = blake2b(digest_size=20)
    packed = _read_optional(os.path.join(repo.common_dir, "packed-refs")) or b""
    digest.update(b"packed-refs\0%d\0" % len(packed))
    digest.update(packed)
    head, branch = _resolve_head(repo, packed, digest)
    loose = _loose_tags(repo, packed, digest)
    digest.update(b"shallow\0%d\0" % len(shallow_raw))
    digest.update(shallow_raw)
    return Refs(head, branch, shallow, digest.digest(), packed, loose)


def _packed_ref(packed: bytes, name: str) -> bytes | None:
    """The id ``packed-refs`` gives the ref ``name``, or None."""
    needle = b" " + name.encode() + b"\n"
    data = packed if packed.endswith(b"\n") else packed + b"\n"
    at = data.find(needle)
    while at >= 0:
        start = at - 40
        if start >= 0 and (start == 0 or data[start - 1] == 0x0A):
            sha = data[start:at]
            return sha.lower() if _HEX40.fullmatch(sha) else None
        at = data.find(needle, at + 1)
    return None


def _loose_ref_path(repo: GitRepo, name: str) -> str:
    per_worktree = name == "HEAD" or name.startswith(_PER_WORKTREE_REFS) or "/" not in name
    base = repo.git_dir if per_worktree else repo.common_dir
    return os.path.join(base, *name.split("/"))


def _resolve_ref(
    repo: GitRepo, name: str, packed: bytes, digest: Any
) -> tuple[list[str], bytes | None]:
    """Follow ``name`` through symbolic refs: (names followed, 40-hex or None).

    The id is None when the last ref does not exist (an unborn branch). Raises ValueError for
    a ref whose content is neither an id nor ``ref: <name>``, or a symbolic loop.
    """
    chain = [name]
    for _ in range(10):
        raw = _read_optional(_loose_ref_path(repo, name))
        digest.update(b"ref\0%s\0" % name.encode())
        if raw is None:
            found = _packed_ref(packed, name)
            digest.update(b"packed\0" if found else b"absent\0")
            return chain, found
        digest.update(b"%d\0" % len(raw))
        digest.update(raw)
        content = raw.strip()
        if content.startswith(b"ref:"):
            name = content[4:].strip().decode("utf-8", "replace")
            chain.append(name)
            continue
        if _HEX40.fullmatch(content):
            return chain, content.lower()
        raise ValueError(f"{chain[-1]} holds {raw[:60]!r}, not an object id")
    raise ValueError(f"symbolic refs loop: {' -> '.join(chain)}")


def _resolve_head(repo: GitRepo, packed: bytes, digest: Any) -> tuple[bytes, str | None]:
    try:
        chain, head = _resolve_ref(repo, "HEAD", packed, digest)
    except (ValueError, OSError) as exc:
        raise RepositoryError(
            f"{repo.root}: cannot read HEAD ({exc}). Check the repository with `git fsck`."
        ) from exc
    if head is None:
        raise RepositoryError(
            f"{repo.root} has no commits yet, so there is nothing to version. Make a first "
            "commit (and tag it, e.g. `git tag v0.1.0`), or set VCRELEASE_PRETEND_VERSION."
        )
    branch = None
    if len(chain) > 1 and chain[-1].startswith("refs/heads/"):
        branch = chain[-1][len("refs/heads/") :]
    return head, branch


def _loose_tags(
    repo: GitRepo, packed: bytes, digest: Any
) -> tuple[tuple[str, bytes, bytes | None], ...]:
    """(name, content, resolved id of a symbolic ref) of every loose tag ref, by name; each
    read into ``digest``."""
    found: dict[str, bytes] = {}
    stack = [("", os.path.join(repo.common_dir, "refs", "tags"))]
    while stack:
        prefix, directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((prefix + entry.name + "/", entry.path))
            elif not entry.name.endswith(".lock"):
                raw = _read_optional(entry.path)
                if raw is not None:
                    found[prefix + entry.name] = raw
    out = []
    for name in sorted(found):
        raw = found[name]
        digest.update(b"tag\0%s\0%d\0" % (name.encode(), len(raw)))
        digest.update(raw)
        resolved = None
        content = raw.strip()
        if content.startswith(b"ref:"):
            try:
                _, resolved = _resolve_ref(
                    repo, content[4:].strip().decode("utf-8", "replace"), packed, digest
                )
            except (ValueError, OSError):
                resolved = None
        out.append((name, raw, resolved))
    return tuple(out)


def _dulwich_refs(repo: GitRepo) -> tuple[bytes, str | None, tuple[TagRef, ...]]:
    """HEAD and the tags through dulwich (refs not stored as files, e.g. reftable)."""
    from dulwich.refs import Ref

    refs = repo.dulwich().refs
    try:
        chain, head = refs.follow(Ref(b"HEAD"))
        tag_dict = refs.as_dict(Ref(b"refs/tags"))
    except (KeyError, ValueError, OSError) as exc:
        raise RepositoryError(
            f"{repo.root}: cannot read the refs ({exc}). Check the repository with `git fsck`."
        ) from exc
    if head is None:
        raise RepositoryError(
            f"{repo.root} has no commits yet, so there is nothing to version. Make a first "
            "commit (and tag it, e.g. `git tag v0.1.0`), or set VCRELEASE_PRETEND_VERSION."
        )
    branch = None
    if len(chain) > 1 and chain[-1].startswith(b"refs/heads/"):
        branch = chain[-1][len(b"refs/heads/") :].decode("utf-8", "replace")
    tags = tuple(
        TagRef(name.decode("utf-8", "replace"), bytes(sha), None, bytes(sha))
        for name, sha in sorted(tag_dict.items())
    )
    return bytes(head), branch, tags


# --- objects ------------------------------------------------------------------------------------


class _Pack:
    """One pack: its version 2 ``.idx`` and its ``.pack``, memory-mapped."""

    def __init__(self, idx_path: str) -> None:
        with open(idx_path, "rb") as f:
            self._idx = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            if self._idx[:8] != b"\xfftOc\x00\x00\x00\x02":
                raise ValueError(f"{idx_path}: not a version 2 pack index")
            with open(idx_path[: -len(".idx")] + ".pack", "rb") as f:
                self.data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except BaseException:
            self._idx.close()
            raise
        self._ids = SortedIds(self._idx, 8 + 1024, 8, 20)
        self.count = self._ids.count
        self._offset_table: array.array[int] = array.array("I")
        self._fanout: list[int] = []  # [0, fan-out...]: index range of each first byte
        self._oids = 8 + 1024
        self._offsets = self._oids + 24 * self.count  # after the ids and the CRCs
        self._large = self._offsets + 4 * self.count

    def close(self) -> None:
        self._idx.close()
        self.data.close()

    def find(self, oid: bytes) -> int | None:
        """Offset in the pack of binary ``oid``, or None.

        Once the id table has its prefix array (after a few hundred lookups, see
        :class:`~vcrelease.git.commitgraph.SortedIds`) the offsets are copied into an array too,
        and a lookup is a bisect in C plus one 20-byte comparison.
        """
        ids = self._ids
        prefixes = ids.prefixes
        if prefixes is None:
            index = ids.find(oid)
            if index is None:
                return None
            if ids.prefixes is None:
                (offset,) = struct.unpack_from(">I", self._idx, self._offsets + 4 * index)
                if offset & 0x80000000:
                    offset = self._large_offset(offset)
                return int(offset)
            self._build_tables()
        else:
            key = int.from_bytes(oid[:4], "big")
            fanout = self._fanout
            first = oid[0]
            index = bisect.bisect_left(prefixes, key, fanout[first], fanout[first + 1])
            idx = self._idx
            start = 1032 + 20 * index
            count = self.count
            while True:
                if index >= count or prefixes[index] != key:
                    return None
                if idx[start : start + 20] == oid:
                    break
                index += 1
                start += 20
        offset = self._offset_table[index]
        if offset & 0x80000000:
            offset = self._large_offset(offset)
        return int(offset)

    def find_indices(self, oids: Sequence[bytes]) -> list[int | None]:
        """Index in the id table of each of ``oids`` (binary), None where absent: a batch of
        lookups (:meth:`~vcrelease.git.commitgraph.SortedIds.find_many`)."""
        found = self._ids.find_many(oids)
        if self._ids.prefixes is not None and not self._fanout:
            self._build_tables()  # find() and the walk's reader expect them with the prefixes
        return found

    def _build_tables(self) -> None:
        """The offsets and the fan-out as arrays, for lookups on the prefix array."""
        offsets = self._idx[self._offsets : self._offsets + 4 * self.count]
        self._offset_table = _uint32_array(offsets)
        self._fanout = [0, *_uint32_array(self._idx[8 : 8 + 1024])]

    def _large_offset(self, offset: int) -> int:
        (large,) = struct.unpack_from(">Q", self._idx, self._large + 8 * (offset & 0x7FFFFFFF))
        return int(large)

    def entry(self, offset: int) -> tuple[int, int, int]:
        """(type, inflated size, offset of the data after the header) of the entry."""
        data = self.data
        c = data[offset]
        kind = (c >> 4) & 7
        size = c & 15
        shift = 4
        pos = offset + 1
        while c & 0x80:
            c = data[pos]
            pos += 1
            size |= (c & 0x7F) << shift
            shift += 7
        return kind, size, pos

    def inflate(self, pos: int, size: int) -> bytes:
        """The ``size`` bytes zlib-compressed at ``pos``.

        Raises:
            ValueError: the stream is corrupt or not ``size`` bytes long.
        """
        d = zlib.decompressobj()
        parts = []
        step = max(size + 64, 256)
        while True:
            chunk = self.data[pos : pos + step]
            parts.append(d.decompress(chunk))
            if d.eof:
                break
            if not chunk:
                raise ValueError("truncated pack entry")
            pos += len(chunk)
            step = max(step, 1 << 16)
        out = b"".join(parts)
        if len(out) != size:
            raise ValueError("pack entry of the wrong size")
        return out

    def inflate_until(self, pos: int, size: int, marker: bytes) -> bytes:
        """A prefix of the stream at ``pos`` that holds a full line starting with ``marker``
        (or the whole object when there is none)."""
        d = zlib.decompressobj()
        out = b""
        step = min(size + 64, 512)
        while True:
            chunk = self.data[pos : pos + step]
            out += d.decompress(chunk)
            at = out.find(marker)
            if (at >= 0 and out.find(b"\n", at + len(marker)) >= 0) or d.eof:
                return out
            if not chunk:
                raise ValueError("truncated pack entry")
            pos += len(chunk)
            step = 4096


def _uint32_array(data: bytes) -> array.array[int]:
    """Big-endian uint32s -> an array of ints."""
    out = array.array("I")
    if out.itemsize != 4:  # pragma: no cover - no such platform here
        out = array.array("L")
    out.frombytes(data)
    if sys.byteorder == "little":
        out.byteswap()
    return out


def _apply_delta(base: bytes, delta: bytes) -> bytes:
    """git's delta format: two varint sizes, then copy-from-base and insert instructions.

    Raises:
        ValueError: a corrupt delta (bad instruction, sizes that do not match).
    """
    pos = 0
    sizes = []
    for _ in range(2):
        value = shift = 0
        while True:
            c = delta[pos]
            pos += 1
            value |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                break
        sizes.append(value)
    if sizes[0] != len(base):
        raise ValueError("delta base of the wrong size")
    out = bytearray()
    end = len(delta)
    while pos < end:
        op = delta[pos]
        pos += 1
        if op & 0x80:
            offset = size = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    size |= delta[pos] << (8 * i)
                    pos += 1
            out += base[offset : offset + (size or 0x10000)]
        elif op:
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ValueError("delta instruction 0")
    if len(out) != sizes[1]:
        raise ValueError("delta result of the wrong size")
    return bytes(out)


class _ObjectStore:
    """Objects by 40-hex id: packs (most recently hit first), loose objects, alternates.

    What this reader cannot place (a pack index of another version, an object added after the
    packs were listed and gone from the loose directory) is asked of dulwich's object store.
    Missing objects raise ``KeyError``; a corrupt object raises ``ValueError``.
    """

    def __init__(self, objects_dir: str, dulwich: Callable[[], Repo]) -> None:
        self._dirs = _object_dirs(objects_dir)
        self._packs: list[_Pack] | None = None
        self._dulwich = dulwich

    def close(self) -> None:
        for pack in self._packs or ():
            pack.close()
        self._packs = None

    def _load_packs(self) -> list[_Pack]:
        packs: list[tuple[float, _Pack]] = []
        for directory in self._dirs:
            pack_dir = os.path.join(directory, "pack")
            try:
                names = os.listdir(pack_dir)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for name in names:
                if not name.endswith(".idx"):
                    continue
                path = os.path.join(pack_dir, name)
                try:
                    packs.append((os.stat(path).st_mtime, _Pack(path)))
                except (OSError, ValueError):
                    continue  # another idx version, a pack being written: dulwich's turn
        packs.sort(key=lambda item: -item[0])
        return [pack for _, pack in packs]

    def _locate(self, oid: bytes) -> tuple[_Pack, int] | None:
        if self._packs is None:
            self._packs = self._load_packs()
        packs = self._packs
        for i, pack in enumerate(packs):
            offset = pack.find(oid)
            if offset is not None:
                if i:
                    packs.insert(0, packs.pop(i))
                return pack, offset
        return None

    def _loose(self, hexsha: bytes) -> bytes | None:
        name = hexsha.decode("ascii")
        for directory in self._dirs:
            raw = _read_optional(os.path.join(directory, name[:2], name[2:]))
            if raw is not None:
                return zlib.decompress(raw)
        return None

    def exists(self, hexsha: bytes) -> bool:
        """The object is in this repository (a pack, a loose file, or dulwich finds it)."""
        try:
            if self._locate(binascii.unhexlify(hexsha)) is not None:
                return True
        except binascii.Error:
            return False
        name = hexsha.decode("ascii")
        if any(os.path.exists(os.path.join(d, name[:2], name[2:])) for d in self._dirs):
            return True
        return self._from_dulwich(hexsha) is not None

    def missing(self, hexshas: Iterable[bytes]) -> set[bytes]:
        """The ids among ``hexshas`` (40-hex) that are no object here: :meth:`exists` for
        many ids at once (thousands of tags), one batch lookup per pack."""
        if self._packs is None:
            self._packs = self._load_packs()
        todo: list[tuple[bytes, bytes]] = []
        absent: set[bytes] = set()
        for hexsha in hexshas:
            try:
                todo.append((binascii.unhexlify(hexsha), hexsha))
            except binascii.Error:
                absent.add(hexsha)
        for pack in self._packs:
            if not todo:
                break
            found = pack.find_indices([oid for oid, _ in todo])
            todo = [item for item, index in zip(todo, found, strict=True) if index is None]
        absent.update(hexsha for _, hexsha in todo if not self.exists(hexsha))
        return absent

    def kind(self, hexsha: bytes) -> int:
        """The type of the object ``hexsha`` (1 commit, 2 tree, 3 blob, 4 tag), inflating
        nothing when it is a whole object in a pack."""
        found = self._locate(binascii.unhexlify(hexsha))
        if found is not None:
            kind = found[0].entry(found[1])[0]
            if kind in _TYPE_WORDS:
                return kind
            return self._read_packed(*found)[0]
        name = hexsha.decode("ascii")
        for directory in self._dirs:
            raw = _read_optional(os.path.join(directory, name[:2], name[2:]))
            if raw is not None:
                head = zlib.decompressobj().decompress(raw, 32)
                loose_kind = _TYPE_NAMES.get(head.partition(b" ")[0])
                if loose_kind is None:
                    raise ValueError(f"loose object {name} of unknown type")
                return loose_kind
        return self.read(hexsha)[0]

    def read(self, hexsha: bytes) -> tuple[int, bytes]:
        """(type: 1 commit, 2 tree, 3 blob, 4 tag; content) of the object ``hexsha``."""
        found = self._locate(binascii.unhexlify(hexsha))
        if found is not None:
            return self._read_packed(*found)
        raw = self._loose(hexsha)
        if raw is not None:
            return _split_loose(raw)
        got = self._from_dulwich(hexsha)
        if got is None:
            raise KeyError(hexsha)
        return got

    def commit(self, hexsha: bytes) -> tuple[bytes, tuple[bytes, ...], int]:
        """(tree 40-hex, parents 40-hex, committer time) of the commit ``hexsha``.

        The hot path of a walk without a commit-graph: a whole (not deltified) commit in a
        pack is inflated in one call, or only up to its committer line when it is large.

        Raises:
            KeyError: no such object. ValueError: not a commit, or a corrupt one.
        """
        oid = binascii.unhexlify(hexsha)
        if self._packs is None:
            self._packs = self._load_packs()
        for pack in self._packs:
            offset = pack.find(oid)
            if offset is None:
                continue
            data = pack.data
            c = data[offset]
            if (c >> 4) & 7 != _OBJ_COMMIT:
                break
            size = c & 15
            shift = 4
            pos = offset + 1
            while c & 0x80:
                c = data[pos]
                pos += 1
                size |= (c & 0x7F) << shift
                shift += 7
            if size <= 2048:
                try:
                    header = zlib.decompress(data[pos : pos + size + 64])
                except zlib.error:
                    header = pack.inflate_until(pos, size, b"\ncommitter ")
            else:
                header = pack.inflate_until(pos, size, b"\ncommitter ")
            return _parse_commit(header)
        kind, content = self.read(hexsha)
        if kind != _OBJ_COMMIT:
            raise _NotACommit(kind)
        return _parse_commit(content)

    def parents_and_time(self, hexsha: bytes) -> tuple[tuple[bytes, ...], int]:
        """(parents 40-hex, committer time) of the commit ``hexsha``: :meth:`commit` fused
        into one function for the walk without a commit-graph, where it runs once per commit
        (its calls cost as much as its work). Raises as :meth:`commit`."""
        packs = self._packs
        if packs:
            oid = binascii.unhexlify(hexsha)
            key = int.from_bytes(oid[:4], "big")
            first = oid[0]
            for pack in packs:
                prefixes = pack._ids.prefixes
                if prefixes is None:
                    break  # a pack still on binary searches: the general path
                fanout = pack._fanout
                hi = fanout[first + 1]
                index = bisect.bisect_left(prefixes, key, fanout[first], hi)
                idx = pack._idx
                start = 1032 + 20 * index
                while index < hi and prefixes[index] == key:
                    if idx[start : start + 20] == oid:
                        break
                    index += 1
                    start += 20
                else:
                    continue  # not in this pack
                offset = pack._offset_table[index]
                data = pack.data
                if offset & 0x80000000 or (data[offset] >> 4) & 7 != _OBJ_COMMIT:
                    break
                c = data[offset]
                size = c & 15
                shift = 4
                pos = offset + 1
                while c & 0x80:
                    c = data[pos]
                    pos += 1
                    size |= (c & 0x7F) << shift
                    shift += 7
                if size > 2048:
                    break
                try:
                    header = zlib.decompress(data[pos : pos + size + 64])
                except zlib.error:
                    break
                if header[46:53] != b"parent ":
                    parents: tuple[bytes, ...] = ()
                elif header[94:101] != b"parent ":
                    parents = (header[53:93],)
                else:
                    break  # a merge: the general parser
                at = header.find(b"\ncommitter ", 45)
                end = header.find(b"\n", at + 11)
                line = header[at + 11 : end]
                if at < 0 or end < 0 or header[:5] != b"tree ":
                    break
                try:
                    return parents, int(line[line.rindex(b">") + 1 :].split()[0])
                except (ValueError, IndexError):
                    break
        _, parents, when = self.commit(hexsha)
        return parents, when

    def _read_packed(self, pack: _Pack, offset: int) -> tuple[int, bytes]:
        deltas: list[bytes] = []
        while True:
            kind, size, pos = pack.entry(offset)
            if kind == _OBJ_OFS_DELTA:
                data = pack.data
                c = data[pos]
                pos += 1
                back = c & 0x7F
                while c & 0x80:
                    c = data[pos]
                    pos += 1
                    back = ((back + 1) << 7) | (c & 0x7F)
                deltas.append(pack.inflate(pos, size))
                offset -= back
                continue
            if kind == _OBJ_REF_DELTA:
                base_id = bytes(pack.data[pos : pos + 20])
                deltas.append(pack.inflate(pos + 20, size))
                found = self._locate(base_id)
                if found is None:
                    kind, base = self.read(binascii.hexlify(base_id))
                    break
                pack, offset = found
                continue
            if kind not in _TYPE_WORDS:
                raise ValueError(f"pack entry of unknown type {kind}")
            base = pack.inflate(pos, size)
            break
        for delta in reversed(deltas):
            base = _apply_delta(base, delta)
        return kind, base

    def _from_dulwich(self, hexsha: bytes) -> tuple[int, bytes] | None:
        try:
            kind, data = self._dulwich().object_store.get_raw(hexsha)  # type: ignore[arg-type]
        except (KeyError, ValueError, AssertionError, RepositoryError):
            return None
        return int(kind), bytes(data)


class _NotACommit(ValueError):
    """An object that should be a commit is of another type (``kind``: 2 tree, 3 blob, 4 tag)."""

    def __init__(self, kind: int) -> None:
        super().__init__(f"a {_TYPE_WORDS.get(kind, 'object')}, not a commit")
        self.kind = kind


def _object_dirs(objects_dir: str) -> list[str]:
    """``objects_dir`` and its alternates (``objects/info/alternates``, recursively)."""
    dirs = [objects_dir]
    i = 0
    while i < len(dirs) and len(dirs) < 16:
        raw = _read_optional(os.path.join(dirs[i], "info", "alternates")) or b""
        for line in raw.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                path = os.path.normpath(os.path.join(dirs[i], line))
                if path not in dirs:
                    dirs.append(path)
        i += 1
    return dirs


def _split_loose(raw: bytes) -> tuple[int, bytes]:
    """A loose object's inflated bytes (``<type> <size>\\0<content>``) -> (type, content)."""
    nul = raw.index(b"\0")
    word, _, _ = raw[:nul].partition(b" ")
    kind = _TYPE_NAMES.get(word)
    if kind is None:
        raise ValueError(f"loose object of unknown type {word!r}")
    return kind, raw[nul + 1 :]


def _parse_commit(data: bytes) -> tuple[bytes, tuple[bytes, ...], int]:
    """A commit's header -> (tree 40-hex, parents 40-hex, committer time in seconds).

    Raises:
        ValueError: no tree line or no committer line.
    """
    if data[:5] != b"tree " or data[45:46] != b"\n":
        raise ValueError("commit without a tree line")
    parents: tuple[bytes, ...]
    if data[46:53] != b"parent ":
        parents = ()
        pos = 46
    elif data[94:101] != b"parent ":
        parents = (data[53:93],)
        pos = 94
    else:
        found = []
        pos = 46
        while data.startswith(b"parent ", pos):
            found.append(data[pos + 7 : pos + 47])
            pos += 48
        parents = tuple(found)
    at = data.find(b"\ncommitter ", pos - 1)
    end = data.find(b"\n", at + 11)
    if at < 0 or end < 0:
        raise ValueError("commit without a committer line")
    line = data[at + 11 : end]
    try:
        return data[5:45], parents, int(line[line.rindex(b">") + 1 :].split()[0])
    except (ValueError, IndexError):
        raise ValueError(f"bad committer line {line[:80]!r}") from None


def _parse_tag_object(data: bytes) -> tuple[bytes, int]:
    """An annotated tag's ``object`` and ``type`` lines -> (40-hex, type number)."""
    if not data.startswith(b"object "):
        raise ValueError("tag object without an object line")
    target = data[7:47]
    at = data.find(b"\ntype ")
    word = data[at + 6 : data.find(b"\n", at + 6)] if at >= 0 else b""
    kind = _TYPE_NAMES.get(word)
    if kind is None:
        raise ValueError(f"tag object of unknown target type {word!r}")
    return target, kind


def _parse_tree(data: bytes) -> list[tuple[bytes, int, bytes]]:
    """A tree object -> [(name, mode, 20-byte id)] in stored order."""
    out = []
    pos = 0
    end = len(data)
    while pos < end:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        out.append((data[space + 1 : nul], int(data[pos:space], 8), data[nul + 1 : nul + 21]))
        pos = nul + 21
    return out


# --- history: the walk from HEAD ----------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What the history gives, without the dirty state: the part the describe cache keeps.

    Attributes:
        tag, tag_version, distance, node, branch, shallow, candidates: as in
            :class:`Describe`.
        commit_time: committer time of HEAD in seconds since the Unix epoch (int).
        head_tree: 40-hex id of HEAD's root tree (what the dirty check compares with).
        root: the work tree's top directory.
    """

    tag: str | None
    tag_version: str | None
    distance: int
    node: str
    branch: str | None
    commit_time: int
    head_tree: str
    shallow: bool
    candidates: tuple[TagCandidate, ...]
    root: Path

    def describe(self, dirty_files: Iterable[str]) -> Describe:
        """This history with the dirty state of the work tree: a :class:`Describe`."""
        files = tuple(dirty_files)
        return Describe(
            tag=self.tag,
            tag_version=self.tag_version,
            distance=self.distance,
            node=self.node,
            dirty=bool(files),
            dirty_files=files,
            branch=self.branch,
            commit_time=datetime.fromtimestamp(self.commit_time, timezone.utc),
            shallow=self.shallow,
            candidates=self.candidates,
            root=self.root,
        )


def read_history(repo: GitRepo, refs: Refs, parse_tag: ParseTag) -> History:
    """The nearest version tag from ``refs.head`` and its distance, as ``git describe``.

    Raises:
        RepositoryError: HEAD's commit (or one walked) is missing or not a commit, a version
            tag ref is corrupt or names a missing object.
        ShallowCloneError: the clone's cut hides the nearest tag or part of the distance.
    """
    root = repo.root
    store = repo.objects
    head_tree, _, head_time = _read_commit(store, refs.head, root)
    graph = repo.open_graph()
    try:
        reader = _Commits(store, graph, refs.shallow, root)
        tags = _TagIndex(_tag_commits(repo, refs.tag_tuples(), parse_tag, reader), parse_tag)
        head = reader.node(refs.head)
        try:
            walk = _walk(head, tags, reader)
            if not walk.exact:
                walk = _exact_walk(head, tags, reader)
        except KeyError as exc:  # from the walk's direct reader (see _Commits.fast_read)
            sha = exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else b"?"
            raise RepositoryError(
                f"{root}: commit {sha.decode('ascii', 'replace')} is missing from the object "
                "store. The clone is incomplete or corrupt; re-clone it or run `git fsck`."
            ) from exc
        except (ValueError, zlib.error, IndexError) as exc:
            raise RepositoryError(
                f"{root}: a commit of the history cannot be read ({exc}). Run `git fsck`."
            ) from exc
        except (CommitGraphError, struct.error) as exc:
            raise RepositoryError(
                f"{root}: the commit-graph file is corrupt ({exc}). Delete it "
                "(`rm -r .git/objects/info/commit-graph*`) or run `git commit-graph write`."
            ) from exc
    finally:
        if graph is not None:
            graph.close()
    winner = walk.winner
    if winner is None and walk.cut:
        raise ShallowCloneError(
            f"{root} is a shallow clone and no version tag is reachable in the history it has, "
            f"so the version cannot be known. {_SHALLOW_FIX}"
        )
    if winner is not None and walk.cut_outside_winner:
        raise ShallowCloneError(
            f"{root} is a shallow clone: the nearest tag found, {winner.name}, may not be the "
            f"nearest one, and the distance to it cannot be counted. {_SHALLOW_FIX}"
        )
    return History(
        tag=winner.name if winner else None,
        tag_version=winner.version if winner else None,
        distance=winner.distance if winner else walk.seen,
        node=refs.head.decode("ascii"),
        branch=refs.branch,
        commit_time=head_time,
        head_tree=head_tree.decode("ascii"),
        shallow=bool(refs.shallow),
        candidates=walk.candidates,
        root=root,
    )


def _read_commit(
    store: _ObjectStore, sha: bytes, root: Path
) -> tuple[bytes, tuple[bytes, ...], int]:
    try:
        return store.commit(sha)
    except KeyError as exc:
        raise RepositoryError(
            f"{root}: commit {sha.decode()} is missing from the object store. The clone is "
            "incomplete or corrupt; re-clone it or run `git fsck`."
        ) from exc
    except _NotACommit as exc:
        raise RepositoryError(f"{root}: {sha.decode()} is {exc}.") from exc
    except (ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{root}: commit {sha.decode()} cannot be read ({exc}). Run `git fsck`."
        ) from exc


class _Commits:
    """Parents and commit times for the walk: the commit-graph first, the object store after.

    Nodes are graph positions for commits in the commit-graph, 40-hex ids for the others, so
    one commit always has one node.
    """

    def __init__(
        self,
        store: _ObjectStore,
        graph: CommitGraph | None,
        shallow: frozenset[bytes],
        root: Path,
    ) -> None:
        self._store = store
        self._graph = graph
        self._root = root
        self.shallow: frozenset[Node] = frozenset(self.node(sha) for sha in shallow)

    def node(self, hexsha: bytes) -> Node:
        """The node of the commit ``hexsha`` (40-hex bytes)."""
        if self._graph is not None:
            position = self._graph.position(binascii.unhexlify(hexsha))
            if position is not None:
                return position
        return hexsha

    def nodes(self, hexshas: Sequence[bytes]) -> list[Node]:
        """:meth:`node` for each of ``hexshas`` (thousands of tags), in one graph pass."""
        graph = self._graph
        if graph is None:
            return list(hexshas)
        positions = graph.positions([binascii.unhexlify(h) for h in hexshas])
        return [h if p is None else p for h, p in zip(hexshas, positions, strict=True)]

    def hexsha(self, node: Node) -> bytes:
        """The 40-hex id of ``node``."""
        if isinstance(node, int):
            assert self._graph is not None
            return binascii.hexlify(self._graph.oid(node))
        return node

    def fast_read(self) -> Callable[[Node], tuple[tuple[Node, ...], int]]:
        """:meth:`read`, or without a commit-graph and a shallow list the object store's own
        reader (one call less per commit; its KeyError and ValueError reach the caller)."""
        graph = self._graph
        if self.shallow:
            return self.read
        if graph is None:
            return self._store.parents_and_time  # type: ignore[return-value]
        from_graph = graph.parents_and_time
        read = self.read

        def read_graph_first(node: Node) -> tuple[tuple[Node, ...], int]:
            if type(node) is int:
                return from_graph(node)
            return read(node)

        return read_graph_first

    def linear_run(
        self,
    ) -> Callable[[Node, Container[Node], Container[Node]], tuple[Node, int]] | None:
        """A function ``(start, stop, seen) -> (node reached, steps)`` that follows a single
        line of history from ``start``: it steps from a commit to its only parent while the
        commit is not in ``stop`` and the parent is not in ``seen``. On a commit-graph it is
        :meth:`vcrelease.git.commitgraph.CommitGraph.linear_run` (commits outside the graph take
        no step); without one, a loop over the object store's reader. None in a shallow
        clone, where a shallow commit must stop every run."""
        if self.shallow:
            return None
        graph = self._graph
        if graph is not None:
            graph_run = graph.linear_run

            def run_graph(
                start: Node, stop: Container[Node], seen: Container[Node]
            ) -> tuple[Node, int]:
                return graph_run(start, stop, seen) if type(start) is int else (start, 0)

            return run_graph
        read = self._store.parents_and_time

        def run_store(
            start: Node, stop: Container[Node], seen: Container[Node]
        ) -> tuple[Node, int]:
            assert isinstance(start, bytes)  # no commit-graph: every node is a 40-hex id
            return follow_single_parents(read, start, stop, seen)

        return run_store

    def read(self, node: Node) -> tuple[tuple[Node, ...], int]:
        """(parent nodes, committer time); no parents for a shallow commit."""
        parents: tuple[Node, ...]
        graph = self._graph
        if isinstance(node, int):
            assert graph is not None
            try:
                parents, when = graph.parents_and_time(node)
            except (CommitGraphError, struct.error, IndexError) as exc:
                raise RepositoryError(
                    f"{self._root}: the commit-graph file is corrupt ({exc}). Delete it "
                    "(`rm -r .git/objects/info/commit-graph*`) or run `git commit-graph write`."
                ) from exc
        else:
            try:
                hex_parents, when = self._store.parents_and_time(node)
            except (KeyError, ValueError, zlib.error, IndexError):
                _read_commit(self._store, node, self._root)  # raises the right error
                raise
            parents = hex_parents if graph is None else tuple(self.node(p) for p in hex_parents)
        if self.shallow and node in self.shallow:
            return (), when
        return parents, when


class _Tag:
    """A version tag met by the walk: name, version string, ``packaging`` Version."""

    __slots__ = ("name", "sort_key", "version")

    def __init__(self, name: str, version: str, sort_key: Any) -> None:
        self.name = name
        self.version = version
        self.sort_key = sort_key


class _TagIndex:
    """Tag names by commit node; names are parsed (and versions compared) only for the
    commits the walk meets."""

    def __init__(self, names: dict[Node, list[str]], parse_tag: ParseTag) -> None:
        self.names = names
        self._parse = parse_tag
        self._best: dict[Node, _Tag | None] = {}

    def best(self, node: Node) -> _Tag | None:
        """The highest version tag on ``node``, or None."""
        if node in self._best:
            return self._best[node]
        from packaging.version import InvalidVersion, Version

        best = None
        for name in self.names[node]:
            version = self._parse(name)
            if version is None:
                continue
            try:
                key = Version(version)
            except InvalidVersion:
                continue
            if best is None or key > best.sort_key:
                best = _Tag(name, version, key)
        self._best[node] = best
        return best


def _tag_commits(
    repo: GitRepo, tags: list[_TagTuple], parse_tag: ParseTag, reader: _Commits
) -> dict[Node, list[str]]:
    """Commit node -> names of the tags peeling to it.

    Every tag ref is checked: a corrupt one, or one naming a missing object, is an error when
    its name is a version tag (it might be the nearest) and skipped otherwise; the name is
    parsed only then. A tag whose peeled id ``packed-refs`` records is checked through that
    id (its tag object is not read). Tags of trees and blobs stay in the result under the
    tree's or blob's id, which the walk never meets.
    """
    store = repo.objects
    node_of = reader.node
    # (name, commit node, problem, peeled commit whose existence is still to be checked)
    found: list[tuple[str, Node | None, str | None, bytes | None]] = []
    peeled_nodes = iter(reader.nodes([t[2] for t in tags if t[1] is not None and t[2] is not None]))
    for name, target, peeled, raw in tags:
        if target is None:
            found.append((name, None, _corrupt(name, raw), None))
        elif peeled is not None:
            node = next(peeled_nodes)  # a graph position: the commit exists
            found.append((name, node, None, None if isinstance(node, int) else peeled))
        else:
            try:
                commit = _peel(store, target)  # reads every object on the way
                found.append((name, node_of(commit), None, None))
            except KeyError as exc:
                found.append(
                    (name, None, _missing(name, exc.args[0] if exc.args else target), None)
                )
            except (ValueError, zlib.error, IndexError) as exc:
                found.append((name, None, f"version tag {name} cannot be read ({exc})", None))
    absent = store.missing([unchecked for *_, unchecked in found if unchecked is not None])
    out: dict[Node, list[str]] = {}
    for name, commit_node, problem, unchecked in found:
        if unchecked is not None and unchecked in absent:
            problem = _missing(name, unchecked)
        if problem is not None:
            if parse_tag(name) is None:
                continue  # not a version tag: skipped, as git skips a broken ref
            raise RepositoryError(
                f"{repo.root}: {problem}. Delete the tag (`git tag -d {name}`) or fetch it "
                "again (`git fetch --tags`)."
            )
        assert commit_node is not None
        out.setdefault(commit_node, []).append(name)
    return out


def _corrupt(name: str, raw: bytes) -> str:
    content = raw.strip()[:60].decode("utf-8", "replace")
    return f"version tag {name} points at {content!r}, which is not an object id"


def _missing(name: str, sha: bytes) -> str:
    return (
        f"version tag {name} points at {sha.decode('ascii', 'replace')!r}, which is not an "
        "object in this repository"
    )


def _peel(store: _ObjectStore, sha: bytes) -> bytes:
    """The id an object id names after peeling annotated tags (any object type).

    Raises:
        KeyError: an object on the way is missing (``args[0]``: its id).
    """
    for _ in range(32):
        try:
            if store.kind(sha) != _OBJ_TAG:
                return sha
            _, data = store.read(sha)
        except KeyError:
            raise KeyError(sha) from None
        sha, _ = _parse_tag_object(data)
        sha = sha.lower()
    raise ValueError("tags nested more than 32 deep")


class _WalkResult:
    """What a walk found (plain class: dataclasses cost import time on every call)."""

    __slots__ = ("candidates", "cut", "cut_outside_winner", "exact", "seen", "winner")

    def __init__(
        self,
        *,
        winner: TagCandidate | None,
        candidates: tuple[TagCandidate, ...],
        seen: int,
        cut: bool,
        cut_outside_winner: bool,
        exact: bool,
    ) -> None:
        self.winner = winner
        self.candidates = candidates
        self.seen = seen
        self.cut = cut
        self.cut_outside_winner = cut_outside_winner
        self.exact = exact


def _walk(head: Node, tags: _TagIndex, reader: _Commits) -> _WalkResult:
    """One walk from HEAD, newest commit first, propagating one flag bit per tag found.

    A commit carries the bit of every found tag it is an ancestor of. A tag's distance is the
    number of walked commits that lack its bit (git's ``builtin/describe.c`` walk). The walk
    stops once every queued commit carries the best tag's bit: the best tag's distance is then
    final, and any tag still ahead is an ancestor of it, so farther. Unlike git, no fixed
    candidate count (``--candidates=10``) cuts the search short.
    """
    first_parents, first_time = reader.read(head)
    flags: dict[Node, int] = {head: 0}
    queued: dict[Node, tuple[Node, ...]] = {head: first_parents}
    queue: list[tuple[int, int, Node]] = [(-first_time, 0, head)]
    counter = 1
    found: list[tuple[int, Node, _Tag]] = []  # (bit, commit, tag), in walk order
    depth: list[int] = []
    seen = 0
    shallow = reader.shallow
    shallow_flags: list[int] = []  # flags of walked shallow commits
    best = -1
    best_bit = 0
    unflagged = 1  # queued commits lacking best_bit (all queued commits while no tag is found)
    out_of_order = False
    tag_names = tags.names
    read = reader.fast_read()
    run = reader.linear_run()
    heappop = heapq.heappop
    heappush = heapq.heappush

    hold: Node | None = None  # the next commit when it is the only one queued (no heap)
    while True:
        if hold is not None:
            sha = hold
            hold = None
            if run is not None and sha not in tag_names:
                # A single line of history: step over its untagged commits in bulk. Each
                # would add 1 to `seen` and to the depth of every found tag it lacks the bit
                # of, hand its flags to its only parent and leave `unflagged` as it was.
                end, steps = run(sha, tag_names, flags)
                if steps:
                    f = flags[sha]
                    del queued[sha]
                    seen += steps
                    for i, (bit, _, _) in enumerate(found):
                        if not f & bit:
                            depth[i] += steps
                    flags[end] = f
                    queued[end] = read(end)[0]
                    sha = end
        elif queue:
            sha = heappop(queue)[2]
        else:
            break
        parents = queued.pop(sha)
        f = flags[sha]
        tag = tags.best(sha) if sha in tag_names else None
        if tag is not None:
            f |= 1 << len(found)
            flags[sha] = f
            found.append((1 << len(found), sha, tag))
            depth.append(seen)
        seen += 1
        for i, (bit, _, _) in enumerate(found):
            if not f & bit:
                depth[i] += 1
        if shallow and sha in shallow:
            shallow_flags.append(f)
        new_best = _best_index(found, depth) if tag is not None else best
        if new_best != best:
            best = new_best
            best_bit = found[best][0]
            unflagged = sum(1 for q in queued if not flags[q] & best_bit)
        elif not f & best_bit or best < 0:
            unflagged -= 1
        for parent in parents:
            old = flags.get(parent)
            if old is None:
                p_parents, p_time = read(parent)
                queued[parent] = p_parents
                flags[parent] = f
                if not queue and len(parents) == 1:
                    hold = parent  # linear history: no other commit to order it against
                else:
                    heappush(queue, (-p_time, counter, parent))
                    counter += 1
                if best < 0 or not f & best_bit:
                    unflagged += 1
            elif parent in queued:
                if best >= 0 and f & best_bit and not old & best_bit:
                    unflagged -= 1
                flags[parent] = old | f
            elif old | f != old:
                out_of_order = True  # a parent walked before this child: commit times lie
        if best >= 0 and unflagged == 0:
            break

    by_version = sorted(range(len(found)), key=lambda i: found[i][2].sort_key, reverse=True)
    ordered = sorted(by_version, key=lambda i: depth[i])
    candidates = tuple(
        TagCandidate(
            found[i][2].name,
            found[i][2].version,
            reader.hexsha(found[i][1]).decode("ascii"),
            depth[i],
        )
        for i in ordered
    )
    winner_bit = found[ordered[0]][0] if ordered else 0
    return _WalkResult(
        winner=candidates[0] if candidates else None,
        candidates=candidates,
        seen=seen,
        cut=bool(shallow_flags),
        cut_outside_winner=any(not f & winner_bit for f in shallow_flags),
        exact=not out_of_order,
    )


def _exact_walk(head: Node, tags: _TagIndex, reader: _Commits) -> _WalkResult:
    """Distances by set arithmetic, for histories whose commit times are not in order.

    ``distance(T) = |ancestors(HEAD)| - |ancestors(T)|`` for a tag T reachable from HEAD
    (``git rev-list --count T..HEAD``). Costs a walk of the whole history per candidate, so it
    runs only when the date-ordered walk saw a parent before one of its children (equal or
    skewed commit times), where git describe itself may miscount.
    """
    parents: dict[Node, tuple[Node, ...]] = {}
    stack = [head]
    while stack:
        sha = stack.pop()
        if sha not in parents:
            parents[sha] = reader.read(sha)[0]
            stack.extend(p for p in parents[sha] if p not in parents)

    def ancestors(start: Node) -> set[Node]:
        seen = {start}
        todo = [start]
        while todo:
            for p in parents[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    found = []
    for sha in parents:
        tag = tags.best(sha) if sha in tags.names else None
        if tag is not None:
            found.append((sha, tag, ancestors(sha)))
    found.sort(key=lambda item: item[1].sort_key, reverse=True)
    found.sort(key=lambda item: len(parents) - len(item[2]))
    candidates = tuple(
        TagCandidate(
            tag.name, tag.version, reader.hexsha(sha).decode("ascii"), len(parents) - len(anc)
        )
        for sha, tag, anc in found
    )
    shallow = [sha for sha in parents if sha in reader.shallow]
    return _WalkResult(
        winner=candidates[0] if candidates else None,
        candidates=candidates,
        seen=len(parents),
        cut=bool(shallow),
        cut_outside_winner=bool(found) and any(sha not in found[0][2] for sha in shallow),
        exact=True,
    )


def _best_index(found: list[tuple[int, Node, _Tag]], depth: list[int]) -> int:
    """Index of the nearest tag found so far; on equal distance the highest version."""
    return min(range(len(found)), key=lambda i: (depth[i], _Descending(found[i][2].sort_key)))


class _Descending:
    """Wraps a sort key so that ``min`` picks the highest."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.key > other.key)


# --- the dirty check ------------------------------------------------------------------------------


class _UnsupportedIndex(Exception):
    """An index this reader does not parse (split index, an unknown version or extension)."""


_Entry: TypeAlias = tuple[bytes, int, bytes, int, int, int, int]
"""One index entry: (path, mode, 20-byte id, stage (0 unless conflicted), mtime in ns from
the stat data, size modulo 2**32 from the stat data, extended flags (``_SKIP_WORKTREE``,
``_INTENT_TO_ADD``, and ``_ASSUME_VALID`` for the entry's assume-valid bit))."""

_SKIP_WORKTREE = 0x4000
_INTENT_TO_ADD = 0x2000
_ASSUME_VALID = 0x10000  # the entry's "assume valid" flag, kept with the extended flags


class _CacheTree:
    """A node of the index's cache-tree extension: ``oid`` is None when invalid."""

    __slots__ = ("children", "entry_count", "oid")

    def __init__(
        self, entry_count: int, oid: bytes | None, children: dict[bytes, _CacheTree]
    ) -> None:
        self.entry_count = entry_count
        self.oid = oid
        self.children = children


_ENTRY = struct.Struct(">8xII8xI8xI20sH")  # mtime s, ns, mode, size, sha, flags


def _parse_index(data: bytes) -> tuple[list[_Entry], _CacheTree | None, bool]:
    """An index file (``DIRC``, versions 2, 3 and 4) -> (entries in index order, cache-tree,
    whether any entry has extended flags).

    Raises:
        _UnsupportedIndex: another version, or a required extension other than ``sdir``
            (a sparse index, whose directory entries :func:`_staged` compares as trees).
        ValueError, struct.error: a truncated or corrupt file.
    """
    if data[:4] != b"DIRC":
        raise ValueError("not an index file")
    version, count = struct.unpack_from(">II", data, 4)
    if version not in (2, 3, 4):
        raise _UnsupportedIndex(f"index version {version}")
    entries = []
    any_extended = False
    unpack = _ENTRY.unpack_from
    pos = 12
    previous = b""
    for _ in range(count):
        mtime_s, mtime_ns, mode, size, sha, flags = unpack(data, pos)
        start = pos + 62
        extended = 0
        if flags & 0x4000:
            (extended,) = struct.unpack_from(">H", data, start)
            start += 2
            any_extended = True
        if version == 4:
            c = data[start]
            start += 1
            strip = c & 0x7F
            while c & 0x80:
                c = data[start]
                start += 1
                strip = ((strip + 1) << 7) | (c & 0x7F)
            end = data.index(b"\0", start)
            path = previous[: len(previous) - strip] + data[start:end]
            previous = path
            pos = end + 1
        else:
            length = flags & 0xFFF
            end = data.index(b"\0", start) if length == 0xFFF else start + length
            path = data[start:end]
            pos += (end - pos + 8) & ~7
        if flags & 0x8000:
            extended |= _ASSUME_VALID
        entries.append(
            (path, mode, sha, (flags >> 12) & 3, mtime_s * 1_000_000_000 + mtime_ns, size, extended)
        )
    tree = None
    end = len(data) - 20
    while pos + 8 <= end:
        signature = data[pos : pos + 4]
        (length,) = struct.unpack_from(">I", data, pos + 4)
        payload = data[pos + 8 : pos + 8 + length]
        if signature == b"TREE":
            tree = _parse_cache_tree(payload)
        elif signature != b"sdir" and not b"A" <= signature[:1] <= b"Z":
            raise _UnsupportedIndex(f"index extension {signature!r}")
        pos += 8 + length
    return entries, tree, any_extended


def _parse_cache_tree(data: bytes) -> _CacheTree | None:
    """The ``TREE`` extension: nodes in pre-order, ``<name>\\0<count> <subtrees>\\n[<oid>]``."""
    pos = 0

    def node() -> tuple[bytes, _CacheTree]:
        nonlocal pos
        nul = data.index(b"\0", pos)
        name = data[pos:nul]
        newline = data.index(b"\n", nul)
        count_text, subtrees_text = data[nul + 1 : newline].split(b" ")
        pos = newline + 1
        count = int(count_text)
        oid = None
        if count >= 0:
            oid = data[pos : pos + 20]
            pos += 20
        children = {}
        for _ in range(int(subtrees_text)):
            child_name, child = node()
            children[child_name] = child
        return name, _CacheTree(count, oid, children)

    if not data:
        return None
    try:
        return node()[1]
    except (ValueError, IndexError):
        return None  # a cache-tree we cannot read: compare every entry instead


def dirty_files(repo: GitRepo, head_tree: str, ignore: Iterable[str] = ()) -> list[str]:
    """Tracked paths that differ from HEAD: staged (index vs tree) or not (work tree vs index).

    Args:
        repo: the open repository.
        head_tree: 40-hex id of HEAD's root tree (:attr:`History.head_tree`).
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
        entries, cache_tree, any_extended = _parse_index(data)
    except _UnsupportedIndex as exc:
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
        intent_to_add = any_extended and any(e[6] & _INTENT_TO_ADD for e in entries)
        changed = set(_staged(repo.objects, entries, cache_tree, head_tree.encode(), intent_to_add))
    except (KeyError, ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{repo.root}: a tree of HEAD cannot be read ({exc!r}). Run `git fsck`."
        ) from exc
    changed.update(_unstaged(repo, entries, index_mtime))
    names = sorted(p.decode("utf-8", "replace") for p in changed if p)
    return [n for n in names if n not in ignored]


def _staged(
    store: _ObjectStore,
    entries: list[_Entry],
    cache_tree: _CacheTree | None,
    head_tree: bytes,
    intent_to_add: bool,
) -> list[bytes]:
    """Paths whose index entry differs from HEAD's tree (added, removed, changed, conflicted).

    Where the cache-tree vouches for a directory (valid, same entry count, same tree id as
    HEAD's), its entries are not looked at.
    """
    changed: list[bytes] = []

    def tree_entries(oid: bytes) -> list[tuple[bytes, int, bytes]]:
        kind, data = store.read(binascii.hexlify(oid))
        if kind != _OBJ_TREE:
            raise ValueError(f"{oid.hex()} is not a tree")
        return _parse_tree(data)

    def all_paths(oid: bytes, prefix: bytes) -> None:
        for name, mode, sha in tree_entries(oid):
            if mode == _S_IFDIR:
                all_paths(sha, prefix + name + b"/")
            else:
                changed.append(prefix + name)

    def compare(prefix: bytes, lo: int, hi: int, node: _CacheTree | None, tree: bytes) -> None:
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
                    or extended & _INTENT_TO_ADD
                    or head[1] != sha
                    or _canonical_mode(head[0]) != mode
                ):
                    changed.append(path)
                i += 1
                continue
            name = path[start:slash]
            sub = path[: slash + 1]
            j = i + 1
            while j < hi and entries[j][0].startswith(sub):
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
                changed.extend(entries[k][0] for k in range(i, j))
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
    compare(b"", 0, len(entries), cache_tree, binascii.unhexlify(head_tree))
    return changed


def _canonical_mode(mode: int) -> int:
    """A tree entry's mode as the index records it (git's ``canon_mode``)."""
    if stat.S_ISREG(mode):
        return 0o100755 if mode & 0o100 else 0o100644
    return mode


def _unstaged(repo: GitRepo, entries: list[_Entry], index_mtime_ns: int) -> list[bytes]:
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
    to_hash: list[tuple[_Entry, bytes, os.stat_result]] = []
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
                if extended & (_SKIP_WORKTREE | _ASSUME_VALID):
                    continue  # not checked out, or `git update-index --assume-unchanged`
                if mode == _S_IFGITLINK:
                    if _submodule_changed(_full_path(base, path), binascii.hexlify(entry[2])):
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
    repo: Repo, candidates: list[tuple[_Entry, bytes, os.stat_result]]
) -> list[bytes]:
    """The candidates whose content (after the check-in filters) or mode differs."""
    from dulwich.index import blob_from_path_and_stat

    filemode = repo.get_config().get_boolean(b"core", b"filemode", True)
    normalizer = repo.get_blob_normalizer()
    out = []
    for entry, full, st in candidates:
        path, mode, sha = entry[:3]
        blob = normalizer.checkin_normalize(blob_from_path_and_stat(full, st), path)
        if blob.id != binascii.hexlify(sha) or not _same_mode(st.st_mode, mode, filemode):
            out.append(path)
    return out


_FILTER_WORDS = (b"autocrlf", b"eol", b"include", b"attributesfile", b"filter", b"symlinks")
"""Config words after which content may not be checked in byte for byte (or after which the
config needs a real parser): their presence sends hashing to dulwich's check-in filters."""


def _plain_checkin(repo: GitRepo, entries: list[_Entry]) -> bool | None:
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
    if any(path.endswith(b".gitattributes") for path, *_ in entries):
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
    candidates: list[tuple[_Entry, bytes, os.stat_result]], filemode: bool
) -> list[bytes]:
    """:func:`_hash_changed` without check-in filters: the blob id of the bytes as they are."""
    out = []
    for entry, full, st in candidates:
        path, mode, sha = entry[:3]
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


def _submodule_changed(path: bytes, recorded: bytes) -> bool:
    """An initialised submodule whose HEAD is not the recorded commit; uninitialised is clean."""
    if not os.path.exists(os.path.join(path, b".git")):
        return False
    from dulwich.index import read_submodule_head

    try:
        return read_submodule_head(path) != recorded
    except (OSError, ValueError, KeyError):
        return True


# --- HEAD without a walk, and the tag listing (CI tag builds, Docker floating tags) ------------


@dataclass(frozen=True)
class HeadState:
    """HEAD and the work tree, read without walking history (works in any shallow clone).

    Attributes:
        node: 40-hex id of the HEAD commit.
        branch: the checked-out branch, None on a detached HEAD.
        commit_time: committer time of HEAD (aware datetime, UTC).
        dirty_files: tracked paths that differ from HEAD, as in :attr:`Describe.dirty_files`.
        shallow: the repository is a shallow clone.
        root: the work tree's top directory.
    """

    node: str
    branch: str | None
    commit_time: datetime
    dirty_files: tuple[str, ...]
    shallow: bool
    root: Path


@dataclass(frozen=True)
class VersionTag:
    """A version tag of the repository, reachable from HEAD or not.

    Attributes:
        name: tag name without ``refs/tags/`` (``v1.2.3``).
        version: the version ``parse_tag`` gave (``1.2.3``).
        commit: 40-hex id of the commit the tag points at, after peeling annotated tags.
    """

    name: str
    version: str
    commit: str


def head_state(root: Path, *, ignore_dirty: Iterable[str] = ()) -> HeadState:
    """Read HEAD, its commit time and the dirty files of the work tree whose top is ``root``.

    Raises:
        RepositoryError: no readable repository, no commits, HEAD's commit missing.
    """
    with GitRepo.open(root) as repo:
        refs = read_refs(repo)
        tree, _, commit_time = _read_commit(repo.objects, refs.head, root)
        dirty = dirty_files(repo, tree.decode("ascii"), ignore_dirty)
        return HeadState(
            node=refs.head.decode("ascii"),
            branch=refs.branch,
            commit_time=datetime.fromtimestamp(commit_time, timezone.utc),
            dirty_files=tuple(dirty),
            shallow=bool(refs.shallow),
            root=root,
        )


def list_version_tags(root: Path, parse_tag: ParseTag) -> tuple[VersionTag, ...]:
    """Every tag of the repository at ``root`` that ``parse_tag`` accepts, sorted by name.

    Tags that name no commit (a tag of a tree or blob) and versions that are not PEP 440 are
    left out.

    Raises:
        RepositoryError: the tag refs cannot be read, or a version tag is corrupt or points
            at a missing object.
    """
    from packaging.version import InvalidVersion, Version

    with GitRepo.open(root) as repo:
        store = repo.objects
        found: list[VersionTag] = []
        for tag in read_refs(repo).tags:
            version = parse_tag(tag.name)
            if version is None:
                continue
            try:
                Version(version)
            except InvalidVersion:
                continue
            problem = None
            try:
                if tag.target is None:
                    problem = _corrupt(tag.name, tag.raw)
                else:
                    commit = _peel(store, tag.target)
                    if store.kind(commit) == _OBJ_COMMIT:
                        found.append(VersionTag(tag.name, version, commit.decode("ascii")))
            except KeyError as exc:
                problem = _missing(tag.name, exc.args[0] if exc.args else b"?")
            except (ValueError, zlib.error, IndexError) as exc:
                problem = f"version tag {tag.name} cannot be read ({exc})"
            if problem is not None:
                raise RepositoryError(
                    f"{root}: {problem}. Delete the tag (`git tag -d {tag.name}`) or fetch it "
                    "again (`git fetch --tags`)."
                )
        return tuple(found)


def remote_url(root: Path, remote: str = "origin") -> str | None:
    """``remote.<remote>.url`` from the repository's config, as written (may hold credentials:
    strip them before showing it, :func:`vcrelease.ci.strip_credentials`); None when unset.

    Raises:
        RepositoryError: no readable repository at ``root``.
    """
    repo = open_repository(root)
    try:
        value = repo.get_config().get((b"remote", remote.encode()), b"url")
    except KeyError:
        return None
    finally:
        repo.close()
    return value.decode("utf-8", "replace") if value else None
