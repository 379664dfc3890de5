"""Read what a version needs from a git repository, with dulwich and without the git binary.

The one public entry point is :func:`describe`. It finds the nearest version tag the way
``git describe --tags --long`` does and reports the same tag distance and node, plus the dirty
state, the branch, the commit time and whether the clone is shallow.

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
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dulwich.objects import ObjectID
from dulwich.refs import Ref

from .commitgraph import CommitGraph, CommitGraphError
from .errors import RepositoryError, ShallowCloneError

if TYPE_CHECKING:
    from dulwich.repo import Repo

ParseTag = Callable[[str], "str | None"]
"""Takes a tag name (``v1.2.3``), returns its version string (``1.2.3``) or None to skip it."""

_S_IFGITLINK = 0o160000
_SHALLOW_FIX = (
    "Fetch the full history and the tags: with actions/checkout set `fetch-depth: 0`; "
    "elsewhere run `git fetch --unshallow --tags`."
)


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
    repo = open_repository(root)
    try:
        return _describe_repo(repo, root, parse_tag, frozenset(ignore_dirty))
    finally:
        repo.close()


def _describe_repo(
    repo: Repo, root: Path, parse_tag: ParseTag, ignore_dirty: frozenset[str]
) -> Describe:
    head, branch = _read_head(repo, root)
    store = repo.object_store
    head_commit = _load_commit(store, head, root)
    shallow = _read_shallow(repo)
    candidates = _version_tags(repo, root, parse_tag)
    graph = _open_graph(repo)
    try:
        reader = _ParentReader(store, graph, shallow, root)
        walk = _walk(head, candidates, reader)
        if not walk.exact:
            walk = _exact_walk(head, candidates, reader)
    finally:
        if graph is not None:
            graph.close()
    dirty_files = _dirty_files(repo, root, head_commit.tree, ignore_dirty)
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
    return Describe(
        tag=winner.name if winner else None,
        tag_version=winner.version if winner else None,
        distance=winner.distance if winner else walk.seen,
        node=head.decode("ascii"),
        dirty=bool(dirty_files),
        dirty_files=tuple(dirty_files),
        branch=branch,
        commit_time=datetime.fromtimestamp(head_commit.commit_time, timezone.utc),
        shallow=bool(shallow),
        candidates=walk.candidates,
        root=root,
    )


def _read_head(repo: Repo, root: Path) -> tuple[bytes, str | None]:
    try:
        chain, head = repo.refs.follow(Ref(b"HEAD"))
    except (KeyError, ValueError, OSError) as exc:
        raise RepositoryError(
            f"{root}: cannot read HEAD ({exc}). Check the repository with `git fsck`."
        ) from exc
    if head is None:
        raise RepositoryError(
            f"{root} has no commits yet, so there is nothing to version. Make a first commit "
            "(and tag it, e.g. `git tag v0.1.0`), or set VCRELEASE_PRETEND_VERSION."
        )
    branch = None
    if len(chain) > 1 and chain[-1].startswith(b"refs/heads/"):
        branch = chain[-1][len(b"refs/heads/") :].decode("utf-8", "replace")
    return head, branch


def _load_commit(store: Any, sha: bytes, root: Path) -> Any:
    from dulwich.objects import Commit

    try:
        obj = store[sha]
    except (KeyError, ValueError) as exc:
        raise RepositoryError(
            f"{root}: commit {sha.decode()} is missing from the object store. The clone is "
            "incomplete or corrupt; re-clone it or run `git fsck`."
        ) from exc
    if not isinstance(obj, Commit):
        raise RepositoryError(
            f"{root}: {sha.decode()} is a {obj.type_name.decode()}, not a commit."
        )
    return obj


def _read_shallow(repo: Repo) -> frozenset[bytes]:
    """Shallow commits, read from the common git dir (a worktree's own dir has no such file)."""
    path = os.path.join(repo.commondir(), "shallow")
    try:
        with open(path, "rb") as f:
            return frozenset(line.strip() for line in f if line.strip())
    except FileNotFoundError:
        return frozenset()


def _open_graph(repo: Repo) -> CommitGraph | None:
    try:
        return CommitGraph.open(os.path.join(repo.commondir(), "objects"))
    except CommitGraphError:
        return None


@dataclass(frozen=True)
class _Tag:
    name: str
    version: str
    sort_key: Any


def _version_tags(repo: Repo, root: Path, parse_tag: ParseTag) -> dict[bytes, _Tag]:
    """Peeled commit id -> the highest version tag on that commit."""
    from dulwich.objects import Commit, Tag
    from packaging.version import InvalidVersion, Version

    store = repo.object_store
    try:
        refs = repo.refs.as_dict(Ref(b"refs/tags"))
    except (ValueError, KeyError, OSError) as exc:
        raise RepositoryError(f"{root}: cannot read the tag refs ({exc}). Run `git fsck`.") from exc
    best: dict[bytes, _Tag] = {}
    for raw_name, sha in refs.items():
        name = raw_name.decode("utf-8", "replace")
        version = parse_tag(name)
        if version is None:
            continue
        try:
            sort_key: Any = Version(version)
        except InvalidVersion:
            continue
        target = sha
        try:
            obj = store[target]
            while isinstance(obj, Tag):
                target = obj.object[1]
                obj = store[target]
        except (KeyError, ValueError, AssertionError) as exc:  # dulwich asserts on bad ids
            raise RepositoryError(
                f"{root}: version tag {name} points at {target.decode('ascii', 'replace')!r}, "
                "which is not an object in this repository. "
                f"Delete the tag (`git tag -d {name}`) or fetch it again (`git fetch --tags`)."
            ) from exc
        if not isinstance(obj, Commit):
            continue  # a tag of a tree or a blob names no commit
        current = best.get(target)
        if current is None or sort_key > current.sort_key:
            best[target] = _Tag(name, version, sort_key)
    return best


class _ParentReader:
    """Parents and commit time of a commit: the commit-graph first, the object store after."""

    def __init__(
        self, store: Any, graph: CommitGraph | None, shallow: frozenset[bytes], root: Path
    ) -> None:
        self._store = store
        self._graph = graph
        self.shallow = shallow
        self._root = root

    def read(self, sha: bytes) -> tuple[tuple[bytes, ...], int]:
        if self._graph is not None:
            found = self._graph.lookup(sha)
            if found is not None:
                parents = () if sha in self.shallow else found.parents
                return parents, found.commit_time
        commit = _load_commit(self._store, sha, self._root)
        parents = () if sha in self.shallow else tuple(commit.parents)
        return parents, int(commit.commit_time)


@dataclass
class _WalkResult:
    winner: TagCandidate | None
    candidates: tuple[TagCandidate, ...]
    seen: int
    cut: bool
    cut_outside_winner: bool
    exact: bool


def _walk(head: bytes, tags: dict[bytes, _Tag], reader: _ParentReader) -> _WalkResult:
    """One walk from HEAD, newest commit first, propagating one flag bit per tag found.

    A commit carries the bit of every found tag it is an ancestor of. A tag's distance is the
    number of walked commits that lack its bit (git's ``builtin/describe.c`` walk). The walk
    stops once every queued commit carries the best tag's bit: the best tag's distance is then
    final, and any tag still ahead is an ancestor of it, so farther. Unlike git, no fixed
    candidate count (``--candidates=10``) cuts the search short.
    """
    first_parents, first_time = reader.read(head)
    flags: dict[bytes, int] = {head: 0}
    queued: dict[bytes, tuple[bytes, ...]] = {head: first_parents}
    queue: list[tuple[int, int, bytes]] = [(-first_time, 0, head)]
    counter = 1
    found: list[tuple[int, bytes, _Tag]] = []  # (bit, commit, tag), in walk order
    depth: list[int] = []
    seen = 0
    shallow_flags: list[int] = []  # flags of walked shallow commits
    best = -1
    best_bit = 0
    unflagged = 1  # queued commits lacking best_bit (all queued commits while no tag is found)
    out_of_order = False

    while queue:
        _, _, sha = heapq.heappop(queue)
        parents = queued.pop(sha)
        f = flags[sha]
        tag = tags.get(sha)
        if tag is not None:
            f |= 1 << len(found)
            flags[sha] = f
            found.append((1 << len(found), sha, tag))
            depth.append(seen)
        seen += 1
        for i, (bit, _, _) in enumerate(found):
            if not f & bit:
                depth[i] += 1
        if sha in reader.shallow:
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
                p_parents, p_time = reader.read(parent)
                queued[parent] = p_parents
                flags[parent] = f
                heapq.heappush(queue, (-p_time, counter, parent))
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
        TagCandidate(found[i][2].name, found[i][2].version, found[i][1].decode("ascii"), depth[i])
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


def _exact_walk(head: bytes, tags: dict[bytes, _Tag], reader: _ParentReader) -> _WalkResult:
    """Distances by set arithmetic, for histories whose commit times are not in order.

    ``distance(T) = |ancestors(HEAD)| - |ancestors(T)|`` for a tag T reachable from HEAD
    (``git rev-list --count T..HEAD``). Costs a walk of the whole history per candidate, so it
    runs only when the date-ordered walk saw a parent before one of its children (equal or
    skewed commit times), where git describe itself may miscount.
    """
    parents: dict[bytes, tuple[bytes, ...]] = {}
    stack = [head]
    while stack:
        sha = stack.pop()
        if sha not in parents:
            parents[sha] = reader.read(sha)[0]
            stack.extend(p for p in parents[sha] if p not in parents)

    def ancestors(start: bytes) -> set[bytes]:
        seen = {start}
        todo = [start]
        while todo:
            for p in parents[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    found = [(sha, tags[sha], ancestors(sha)) for sha in parents if sha in tags]
    found.sort(key=lambda item: item[1].sort_key, reverse=True)
    found.sort(key=lambda item: len(parents) - len(item[2]))
    candidates = tuple(
        TagCandidate(tag.name, tag.version, sha.decode("ascii"), len(parents) - len(anc))
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


def _best_index(found: list[tuple[int, bytes, _Tag]], depth: list[int]) -> int:
    """Index of the nearest tag found so far; on equal distance the highest version."""
    return min(range(len(found)), key=lambda i: (depth[i], _Descending(found[i][2].sort_key)))


@dataclass(frozen=True)
class _Descending:
    """Wraps a sort key so that ``min`` picks the highest."""

    key: Any

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.key > other.key)


def _dirty_files(repo: Repo, root: Path, head_tree: bytes, ignore: frozenset[str]) -> list[str]:
    """Tracked paths that differ from HEAD: staged (index vs tree) or not (work tree vs index).

    Untracked files never count; neither do uninitialised submodules nor ``ignore`` paths.
    Work-tree content goes through the repository's check-in filters (``core.autocrlf``,
    ``.gitattributes`` ``text``/``eol``) before it is hashed, as ``git status`` does.
    """
    from dulwich.index import ConflictedIndexEntry, changes_from_tree

    try:
        index = repo.open_index()
    except FileNotFoundError:
        return []
    changed: set[bytes] = set()

    def lookup(path: bytes) -> tuple[bytes, int]:
        entry = index[path]
        if isinstance(entry, ConflictedIndexEntry):
            raise KeyError(path)  # reported as unstaged below
        return entry.sha, entry.mode

    for (old, new), _, _ in changes_from_tree(
        list(index.paths()), lookup, repo.object_store, ObjectID(head_tree)
    ):
        changed.add(new or old or b"")
    changed.update(_unstaged(repo, root, index))
    names = sorted(p.decode("utf-8", "replace") for p in changed if p)
    return [n for n in names if n not in ignore]


def _unstaged(repo: Repo, root: Path, index: Any) -> list[bytes]:
    from dulwich.index import ConflictedIndexEntry, blob_from_path_and_stat

    normalizer = None
    filemode = repo.get_config().get_boolean(b"core", b"filemode", True)
    index_mtime = os.stat(index.path).st_mtime_ns
    out: list[bytes] = []
    base = os.fsencode(root)
    for path, entry in index.iteritems():
        if isinstance(entry, ConflictedIndexEntry):
            out.append(path)
            continue
        if getattr(entry, "skip_worktree", False):
            continue
        full = os.path.join(base, *path.split(b"/"))
        if entry.mode == _S_IFGITLINK:
            if _submodule_changed(full, entry.sha):
                out.append(path)
            continue
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            out.append(path)
            continue
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            out.append(path)
            continue
        if _stat_clean(st, entry, index_mtime):
            continue
        blob = blob_from_path_and_stat(full, st)
        if normalizer is None:
            normalizer = repo.get_blob_normalizer()
        blob = normalizer.checkin_normalize(blob, path)
        if blob.id != entry.sha or not _same_mode(st.st_mode, entry.mode, filemode):
            out.append(path)
    return out


def _stat_clean(st: os.stat_result, entry: Any, index_mtime_ns: int) -> bool:
    """The index's stat data vouches for the file (git's "racily clean" rule applied)."""
    mtime = entry.mtime
    entry_ns = (
        int(mtime[0]) * 1_000_000_000 + int(mtime[1])
        if isinstance(mtime, tuple)
        else int(mtime * 1e9)
    )
    if st.st_size != entry.size or st.st_mtime_ns != entry_ns:
        return False
    if stat.S_IFMT(st.st_mode) != stat.S_IFMT(entry.mode):
        return False
    if stat.S_ISREG(st.st_mode) and bool(st.st_mode & 0o100) != bool(entry.mode & 0o100):
        return False
    return st.st_mtime_ns < index_mtime_ns


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
    repo = open_repository(root)
    try:
        head, branch = _read_head(repo, root)
        commit = _load_commit(repo.object_store, head, root)
        dirty = _dirty_files(repo, root, commit.tree, frozenset(ignore_dirty))
        return HeadState(
            node=head.decode("ascii"),
            branch=branch,
            commit_time=datetime.fromtimestamp(commit.commit_time, timezone.utc),
            dirty_files=tuple(dirty),
            shallow=bool(_read_shallow(repo)),
            root=root,
        )
    finally:
        repo.close()


def list_version_tags(root: Path, parse_tag: ParseTag) -> tuple[VersionTag, ...]:
    """Every tag of the repository at ``root`` that ``parse_tag`` accepts, sorted by name.

    Tags that name no commit (a tag of a tree or blob) and versions that are not PEP 440 are
    left out.

    Raises:
        RepositoryError: the tag refs cannot be read, or a version tag points at a missing
            object.
    """
    from packaging.version import InvalidVersion, Version

    repo = open_repository(root)
    try:
        try:
            refs = repo.refs.as_dict(Ref(b"refs/tags"))
        except (ValueError, KeyError, OSError) as exc:
            raise RepositoryError(
                f"{root}: cannot read the tag refs ({exc}). Run `git fsck`."
            ) from exc
        found: list[VersionTag] = []
        for raw_name, sha in sorted(refs.items()):
            name = raw_name.decode("utf-8", "replace")
            version = parse_tag(name)
            if version is None:
                continue
            try:
                Version(version)
            except InvalidVersion:
                continue
            commit = _peel_to_commit(repo.object_store, sha, name, root)
            if commit is not None:
                found.append(VersionTag(name, version, commit.decode("ascii")))
        return tuple(found)
    finally:
        repo.close()


def _peel_to_commit(store: Any, sha: bytes, name: str, root: Path) -> bytes | None:
    """The commit a tag ref names after peeling annotated tags; None for trees and blobs."""
    from dulwich.objects import Commit, Tag

    target = sha
    try:
        obj = store[target]
        while isinstance(obj, Tag):
            target = obj.object[1]
            obj = store[target]
    except (KeyError, ValueError, AssertionError) as exc:  # dulwich asserts on bad ids
        raise RepositoryError(
            f"{root}: version tag {name} points at {target.decode('ascii', 'replace')!r}, "
            "which is not an object in this repository. "
            f"Delete the tag (`git tag -d {name}`) or fetch it again (`git fetch --tags`)."
        ) from exc
    return target if isinstance(obj, Commit) else None


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
