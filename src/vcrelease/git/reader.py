"""Parents, commit times and generation numbers of commits for the history walk
(:mod:`vcrelease.git.walk`): the commit-graph first (``gitformat-commit-graph``), the object
store after; replace refs and grafts applied as git applies them (``git-replace``,
``gitrepository-layout`` ``info/grafts``); a shallow commit has no parents
(``gitrepository-layout``, ``shallow``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Container, Sequence
from pathlib import Path
from typing import TypeAlias

from ..errors import RepositoryError
from .commitgraph import (
    CommitGraph,
    CommitGraphError,
    corrupt_graph_message,
    follow_single_parents,
)
from .ids import HexId, to_hex, to_raw
from .objects import NotACommit, ObjectStore
from .refs import Refs

__all__ = ["NO_LEVEL", "CommitReader", "Node", "read_commit"]

NO_LEVEL = 1 << 40
"""The level of a commit that has no generation number (outside the commit-graph, or no
commit-graph): above every ``CDAT`` level (30 bits), so such commits are walked first."""

_NO_TIME = 1 << 62  # later than any commit time


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
        self._store_read = store.commit_reader()
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

    def leveled_read(self) -> tuple[Callable[[Node], tuple[tuple[Node, ...], int, int]], bool]:
        """``(read, leveled)``: ``read(node)`` gives (parent nodes, committer time, level) and
        ``leveled`` says whether levels order the history. With a commit-graph that records
        topological levels (:meth:`CommitGraph.has_levels`), a graph commit's level is its
        ``CDAT`` generation number (above every parent's) and a commit outside the graph
        (newer than it: no graph commit has it as an ancestor) gets :data:`NO_LEVEL`, above
        all; otherwise every commit gets :data:`NO_LEVEL` and only commit times order them.
        Errors as :meth:`fast_read`'s reader."""
        graph = self._graph
        fast = self.fast_read()
        if graph is None or not graph.has_levels():

            def read_unleveled(node: Node) -> tuple[tuple[Node, ...], int, int]:
                parents, when = fast(node)
                return parents, when, NO_LEVEL

            return read_unleveled, False
        from_graph = graph.parents_time_level
        shallow = self.shallow

        def read_leveled(node: Node) -> tuple[tuple[Node, ...], int, int]:
            if type(node) is int and not shallow:
                return from_graph(node)
            parents, when = fast(node)
            return parents, when, graph.level(node) if type(node) is int else NO_LEVEL

        return read_leveled, True

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

    def timed_run(
        self, leveled: bool
    ) -> Callable[[Node, Container[Node], Container[Node]], tuple[Node, int, int]] | None:
        """:meth:`linear_run` for :func:`walk`: ``(start, stop, seen) -> (node reached, steps,
        oldest commit time stepped over)``. With levels (``leveled``, see
        :meth:`leveled_read`) only graph commits take steps and their times do not matter
        (the oldest is given as later than any); without, only the object store's reader
        steps (it reads every time); a commit-graph without levels takes no bulk steps.
        None in a shallow clone."""
        if self.shallow:
            return None
        graph = self._graph
        if graph is not None:
            if not leveled:
                return None
            graph_run = graph.linear_run

            def run_graph(
                start: Node, stop: Container[Node], seen: Container[Node]
            ) -> tuple[Node, int, int]:
                if type(start) is not int:
                    return start, 0, _NO_TIME
                end, steps = graph_run(start, stop, seen)
                return end, steps, _NO_TIME

            return run_graph
        read = self._store_read

        def run_store(
            start: Node, stop: Container[Node], seen: Container[Node]
        ) -> tuple[Node, int, int]:
            assert isinstance(start, bytes)  # no commit-graph: every node is a hex id
            node, steps, oldest = start, 0, _NO_TIME
            while node not in stop:
                parents, when = read(node)
                if len(parents) != 1 or parents[0] in seen:
                    break
                if when < oldest:
                    oldest = when
                node = parents[0]
                steps += 1
            return node, steps, oldest

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
    read = store.commit_reader()
    grafts = refs.grafts
    replacement = refs.replacement

    def rewritten(sha: HexId) -> tuple[tuple[HexId, ...], int]:
        parents, when = read(replacement(sha))
        graft = grafts.get(sha)
        return (parents if graft is None else graft), when

    return rewritten
