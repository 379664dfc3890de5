"""The history walk from HEAD: the nearest version tag and its distance.

Rules (``docs/architecture.md``, "The version rules"; ``git-describe``, ``git-rev-list``):

- the distance of a tag is the number of commits reachable from HEAD and not from the tag,
  ``git rev-list --count TAG..HEAD``; ``git describe`` prints the same number while commit
  times are in order, and may count more when they are not (equal or skewed times through a
  merge): ours is rev-list's; the nearest tag wins, and on equal distance (several tags on
  one commit) the highest version wins, then the tag name first in byte order
  (:meth:`TagIndex.ranked`); every version tag on a commit met is listed;
- no version tag reachable: the distance counts every commit reachable from HEAD.

:func:`walk` is git's describe walk (``builtin/describe.c``): one date-ordered walk
propagating a flag bit per version tag found; once the winner is known it goes on as
``git rev-list`` does (:func:`_settle`: while queued commits are as new as the oldest one
counted, then :data:`SLOP` more), and :func:`exact_walk` counts by set arithmetic when either
part met commit times out of order (a counted commit reached again from the tag's side).
Both read parents and times through :class:`CommitReader`: the commit-graph
(:mod:`vcrelease.git.commitgraph`) first, the object store after. Tag names are parsed only
for the commits the walk meets (:class:`TagIndex`).
"""

from __future__ import annotations

import heapq
import os
import struct
import zlib
from collections.abc import Callable, Container, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from ..errors import RepositoryError
from .commitgraph import (
    CommitGraph,
    CommitGraphError,
    corrupt_graph_message,
    follow_single_parents,
)
from .ids import HexId, to_hex, to_raw
from .model import ParseTag, TagCandidate
from .objects import NotACommit, ObjectStore
from .refs import Refs

__all__ = ["CommitReader", "Node", "TagIndex", "WalkResult", "exact_walk", "read_commit", "walk"]

Node: TypeAlias = int | HexId
"""A commit in the walk: its commit-graph position (int), or its id when it is not in the
commit-graph (or there is none)."""


def read_commit(store: ObjectStore, sha: HexId, root: Path) -> tuple[HexId, tuple[HexId, ...], int]:
    """:meth:`vcrelease.git.objects.ObjectStore.commit`, its errors said for the user.

    Raises:
        RepositoryError: the commit is missing, not a commit, or cannot be read.
    """
    try:
        return store.commit(sha)
    except KeyError as exc:
        message = store.missing_message(sha, "commit", "the commit")
        raise RepositoryError(f"{root}: {message}") from exc
    except NotACommit as exc:
        raise RepositoryError(f"{root}: {sha.decode()} is {exc}.") from exc
    except (ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{root}: commit {sha.decode()} cannot be read ({exc}). Run `git fsck`."
        ) from exc


class CommitReader:
    """Parents and commit times for the walk: the commit-graph first, the object store after.

    Nodes are graph positions for commits in the commit-graph, hex ids for the others, so
    one commit always has one node.
    """

    def __init__(
        self,
        store: ObjectStore,
        graph: CommitGraph | None,
        shallow: frozenset[HexId],
        root: Path,
        rewrites: Refs | None = None,
    ) -> None:
        self._store = store
        self._graph = graph
        self._root = root
        self.shallow: frozenset[Node] = frozenset(self.node(sha) for sha in shallow)
        self._store_read: Callable[[HexId], tuple[tuple[HexId, ...], int]]
        self._store_read = store.parents_and_time
        if rewrites is not None and rewrites.rewritten:
            assert graph is None, "git reads no commit-graph when the history is rewritten"
            self._store_read = _rewritten_reader(store, rewrites)

    @property
    def root(self) -> Path:
        """The work tree's top directory (for messages)."""
        return self._root

    def node(self, hexsha: HexId) -> Node:
        """The node of the commit ``hexsha``."""
        if self._graph is not None:
            position = self._graph.position(to_raw(hexsha))
            if position is not None:
                return position
        return hexsha

    def nodes(self, hexshas: Sequence[HexId]) -> list[Node]:
        """:meth:`node` for each of ``hexshas`` (thousands of tags), in one graph pass."""
        graph = self._graph
        if graph is None:
            return list(hexshas)
        positions = graph.positions([to_raw(h) for h in hexshas])
        return [h if p is None else p for h, p in zip(hexshas, positions, strict=True)]

    def hexsha(self, node: Node) -> HexId:
        """The id of ``node``."""
        if isinstance(node, int):
            assert self._graph is not None
            return to_hex(self._graph.oid(node))
        return node

    def fast_read(self) -> Callable[[Node], tuple[tuple[Node, ...], int]]:
        """:meth:`read`, or without a commit-graph and a shallow list the object store's own
        reader (one call less per commit; its KeyError and ValueError reach the caller)."""
        graph = self._graph
        if self.shallow:
            return self.read
        if graph is None:
            return self._store_read  # type: ignore[return-value]
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
        read = self._store_read

        def run_store(
            start: Node, stop: Container[Node], seen: Container[Node]
        ) -> tuple[Node, int]:
            assert isinstance(start, bytes)  # no commit-graph: every node is a hex id
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
                raise RepositoryError(corrupt_graph_message(self._root, exc)) from exc
        else:
            try:
                hex_parents, when = self._store_read(node)
            except (KeyError, ValueError, zlib.error, IndexError):
                read_commit(self._store, node, self._root)  # raises the right error
                raise
            parents = hex_parents if graph is None else tuple(self.node(p) for p in hex_parents)
        if self.shallow and node in self.shallow:
            return (), when
        return parents, when


def _rewritten_reader(
    store: ObjectStore, refs: Refs
) -> Callable[[HexId], tuple[tuple[HexId, ...], int]]:
    """(parents, committer time) as git sees them with replace refs and grafts: the
    replacement's (``git-replace``), then the graft's parents for the original id
    (``commit.c``, ``parse_commit_buffer``)."""
    read = store.parents_and_time
    grafts = refs.grafts
    replacement = refs.replacement

    def rewritten(sha: HexId) -> tuple[tuple[HexId, ...], int]:
        parents, when = read(replacement(sha))
        graft = grafts.get(sha)
        return (parents if graft is None else graft), when

    return rewritten


class _Tag:
    """A version tag met by the walk: name, version string, ``packaging`` Version."""

    __slots__ = ("name", "sort_key", "version")

    def __init__(self, name: str, version: str, sort_key: Any) -> None:
        self.name = name
        self.version = version
        self.sort_key = sort_key


class TagIndex:
    """Tag names by commit node; names are parsed (and versions compared) only for the
    commits the walk meets."""

    def __init__(self, names: dict[Node, list[str]], parse_tag: ParseTag) -> None:
        self.names = names
        self._parse = parse_tag
        self._ranked: dict[Node, list[_Tag]] = {}

    def ranked(self, node: Node) -> list[_Tag]:
        """Every version tag on ``node``, the one that wins first.

        The rule for several version tags on one commit (README, "How the version is
        found"): the highest version wins (``packaging`` order, so ``v7.1`` and ``7.1.0``
        are equal); between equal versions, the tag name first in byte order (``7.1.0``
        before ``v7.1``), whether the tags are annotated or lightweight. It depends on the
        names alone, so every run, and the describe cache, give the same winner.
        """
        ranked = self._ranked.get(node)
        if ranked is not None:
            return ranked
        from packaging.version import InvalidVersion, Version

        found = []
        for name in self.names[node]:
            version = self._parse(name)
            if version is None:
                continue
            try:
                key = Version(version)
            except InvalidVersion:
                continue
            found.append(_Tag(name, version, key))
        found.sort(key=lambda t: os.fsencode(t.name))  # byte order, whatever the refs gave
        found.sort(key=lambda t: t.sort_key, reverse=True)  # stable: names stay in order
        self._ranked[node] = found
        return found

    def best(self, node: Node) -> _Tag | None:
        """The tag that wins on ``node`` (:meth:`ranked`), or None."""
        ranked = self.ranked(node)
        return ranked[0] if ranked else None


class WalkResult:
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


def walk(head: Node, tags: TagIndex, reader: CommitReader) -> WalkResult:
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
    hold_time = first_time
    low = first_time  # the oldest commit time walked (see _settle)
    while True:
        if hold is not None:
            sha = hold
            hold = None
            if hold_time < low:
                low = hold_time
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
                    queued[end], end_time = read(end)
                    if end_time < low:
                        low = end_time
                    sha = end
        elif queue:
            neg_time, _, sha = heappop(queue)
            if -neg_time < low:
                low = -neg_time
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
                    hold_time = p_time
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
            if hold is not None:
                heappush(queue, (-hold_time, counter, hold))
            if _settle(queue, queued, flags, read, low):
                out_of_order = True
            break

    by_name = sorted(range(len(found)), key=lambda i: os.fsencode(found[i][2].name))
    by_version = sorted(by_name, key=lambda i: found[i][2].sort_key, reverse=True)
    ordered = sorted(by_version, key=lambda i: depth[i])
    candidates = tuple(
        TagCandidate(tag.name, tag.version, reader.hexsha(found[i][1]).decode("ascii"), depth[i])
        for i in ordered
        for tag in tags.ranked(found[i][1])
    )
    winner_bit = found[ordered[0]][0] if ordered else 0
    return WalkResult(
        winner=candidates[0] if candidates else None,
        candidates=candidates,
        seen=seen,
        cut=bool(shallow_flags),
        cut_outside_winner=any(not f & winner_bit for f in shallow_flags),
        exact=not out_of_order,
    )


SLOP = 5
"""Commits walked past the point where commit times say the answer is final (git's
``revision.c`` ``SLOP``)."""


def _settle(
    queue: list[tuple[int, int, Node]],
    queued: dict[Node, tuple[Node, ...]],
    flags: dict[Node, int],
    read: Callable[[Node], tuple[tuple[Node, ...], int]],
    low: int,
) -> bool:
    """After the walk stopped (every queued commit carries the winner's bit), go on walking
    the queued commits, newest first, as ``git rev-list`` does (``revision.c``,
    ``limit_list`` and ``still_interesting``): while a queued commit is as new as the oldest
    commit counted (``low``), and :data:`SLOP` commits further. True when a walked commit is
    met again from below: it was counted but is reachable from the tag (commit times out of
    order), and the distance must be counted exactly.
    """
    slop = SLOP
    counter = -1
    while queue and slop:
        neg_time, _, sha = heapq.heappop(queue)
        slop = SLOP if -neg_time >= low else slop - 1
        f = flags[sha]
        for parent in queued.pop(sha, ()):
            old = flags.get(parent)
            if old is None:
                p_parents, p_time = read(parent)
                queued[parent] = p_parents
                flags[parent] = f
                heapq.heappush(queue, (-p_time, counter, parent))
                counter -= 1
            elif parent in queued:
                flags[parent] = old | f
            elif old | f != old:
                return True
    return False


def exact_walk(head: Node, tags: TagIndex, reader: CommitReader) -> WalkResult:
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
    found.sort(key=lambda item: os.fsencode(item[1].name))
    found.sort(key=lambda item: item[1].sort_key, reverse=True)
    found.sort(key=lambda item: len(parents) - len(item[2]))
    candidates = tuple(
        TagCandidate(
            each.name, each.version, reader.hexsha(sha).decode("ascii"), len(parents) - len(anc)
        )
        for sha, _, anc in found
        for each in tags.ranked(sha)
    )
    shallow = [sha for sha in parents if sha in reader.shallow]
    return WalkResult(
        winner=candidates[0] if candidates else None,
        candidates=candidates,
        seen=len(parents),
        cut=bool(shallow),
        cut_outside_winner=bool(found) and any(sha not in found[0][2] for sha in shallow),
        exact=True,
    )


def _best_index(found: list[tuple[int, Node, _Tag]], depth: list[int]) -> int:
    """Index of the nearest tag found so far; on equal distance the highest version, then
    the name first in byte order (the order :func:`walk` lists its candidates in)."""
    return min(
        range(len(found)),
        key=lambda i: (
            depth[i],
            _Descending(found[i][2].sort_key),
            os.fsencode(found[i][2].name),
        ),
    )


class _Descending:
    """Wraps a sort key so that ``min`` picks the highest."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.key > other.key)
