"""The history walk from HEAD: the nearest version tag and its distance.

Rules (README, "How the version is found"; ``git-describe``, ``git-rev-list``):

- the distance of a tag T is the number of commits reachable from HEAD and not from T,
  ``|ancestors(HEAD) - ancestors(T)|`` (``git rev-list --count T..HEAD`` whenever git's
  date-ordered walk is exact); the nearest tag wins, and on equal distance (several tags on
  one commit) the highest version wins, then the tag name first in byte order
  (:meth:`TagIndex.ranked`); every version tag on a commit met is listed;
- no version tag reachable: the distance counts every commit reachable from HEAD.

:func:`walk` is git's describe walk (``builtin/describe.c``: one walk propagating a flag bit
per version tag found, a tag's distance being the walked commits without its bit), made
exact:

- order: the queued commit of highest generation number first (the commit-graph's
  topological level, ``gitformat-commit-graph``, ``CDAT``; a commit newer than the graph
  comes before every graph commit, which cannot reach it), then the newest. By level, every
  commit is walked after all its children;
- commits met out of order (no levels: equal or skewed commit times): a commit walked before
  one of its children receives the child's bits late, and :func:`walk` passes them on to
  every walked ancestor and corrects the counts, so the counts are exact for what was
  walked;
- the stop: every queued commit carries the best tag's bit (any tag ahead is an ancestor of
  it, so farther), and no queued commit may reach a counted commit that lacks a found tag's
  bit. By level none can. Without levels the walk goes on while a queued commit is as new
  as the oldest such counted commit, then :data:`SLOP` commits more (as ``git rev-list``).
  The one inexact case (:data:`INEXACT`): without generation numbers, a commit below that
  point that reaches a counted commit only through a parent newer than itself (skewed
  times); ``git rev-list`` and ``git describe`` assume the same there;
- candidates: only found tags whose count is final (every queued commit carries their bit)
  are listed, the winner always.

:func:`exact_walk` reads the whole history, for a commit-graph whose levels do not grow along
a parent edge (corrupt). Both read parents and times through :class:`CommitReader`: the
commit-graph (:mod:`vcrelease.git.commitgraph`) first, the object store after. Tag names are
parsed only for the commits the walk meets (:class:`TagIndex`).
"""

from __future__ import annotations

import heapq
import os
from typing import Any

from ..errors import RepositoryError
from .model import ParseTag, TagCandidate
from .reader import _NO_TIME, NO_LEVEL, CommitReader, Node, read_commit

__all__ = ["CommitReader", "Node", "TagIndex", "WalkResult", "exact_walk", "read_commit", "walk"]


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
    """One walk from HEAD propagating one flag bit per version tag found; exact.

    A commit carries the bit of every found tag it is an ancestor of; a tag's distance is the
    number of walked commits that lack its bit (git's ``builtin/describe.c`` walk). The walk
    takes the queued commit of highest level first (:meth:`CommitReader.leveled_read`:
    generation numbers, which order every commit after its children), then the newest. A
    commit met again after it was walked (commit times out of order) passes the bits it
    lacked on to every walked ancestor, and the counts are corrected, so at every step the
    flags are exact for the commits walked.

    The walk stops once every queued commit carries the best tag's bit and no queued commit
    may reach a counted one: by level, never; by time, when no commit without a level is
    queued that is as new as the oldest counted commit that lacks a found tag's bit (a
    path from an older commit to a newer one needs a parent newer than its child below the
    walk, see :data:`INEXACT`). Any tag still ahead is then an ancestor of the best one,
    so farther. Unlike git, no fixed candidate count (``--candidates=10``) cuts the search
    short. The candidates listed are the found tags whose count is final (every queued
    commit carries their bit), the winner always among them.
    """
    read, leveled = reader.leveled_read()
    first_parents, first_time, first_level = read(head)
    flags: dict[Node, int] = {head: 0}
    queued: dict[Node, tuple[Node, ...]] = {head: first_parents}
    done: dict[Node, tuple[Node, ...]] = {}  # walked commits: their parents
    queue: list[tuple[int, int, int, Node]] = []  # (-level, -time, order, commit)
    counter = 1
    found: list[tuple[int, Node, _Tag]] = []  # (bit, commit, tag), in walk order
    depth: list[int] = []
    seen = 0
    shallow = reader.shallow
    walked_shallow: list[Node] = []
    best = -1
    best_bit = 0
    all_bits = 0
    unflagged = 0  # queued commits lacking best_bit, once there is a best tag
    low = _NO_TIME  # the oldest time of a walked commit without a level
    reach = _NO_TIME  # the oldest such commit that lacked a found tag's bit (see above)
    trusted = True  # levels grew along every parent edge read
    slop = SLOP
    verifying = False  # the stop was reached once: the walk goes on only to check it
    cut_short = False  # that check met a commit it cannot read (see below)
    tag_names = tags.names
    run = reader.timed_run(leveled)
    heappop = heapq.heappop
    heappush = heapq.heappush

    def spread(start: Node, bits: int) -> bool:
        """Give ``bits`` to ``start``, walked before a child that carries them, and to its
        walked ancestors lacking them, uncounting each; True when the depths changed."""
        nonlocal unflagged
        changed = False
        stack = [(start, bits)]
        while stack:
            node, missing = stack.pop()
            old = flags[node]
            missing &= ~old
            if not missing:
                continue
            flags[node] = old | missing
            parents = done.get(node)
            if parents is not None:
                changed = True
                for i in range(len(found)):
                    if missing >> i & 1:
                        depth[i] -= 1
                stack.extend((p, missing) for p in parents)
            elif node in queued and best >= 0 and missing & best_bit:
                unflagged -= 1
            # else a commit stepped over in a single line of history: a run starts only when
            # nothing else is queued, so no commit walked later reaches it or its children
        return changed

    hold: Node | None = head  # the next commit when it is the only one queued (no heap)
    hold_time = first_time
    hold_level = first_level
    while True:
        if hold is not None:
            sha = hold
            hold = None
            when = hold_time
            level = hold_level
            if run is not None and sha not in tag_names:
                # A single line of history: step over its untagged commits in bulk. Each
                # would add 1 to `seen` and to the depth of every found tag it lacks the bit
                # of, hand its flags to its only parent and leave `unflagged` as it was.
                end, steps, oldest = run(sha, tag_names, flags)
                if steps:
                    f = flags[sha]
                    del queued[sha]
                    seen += steps
                    for i, (bit, _, _) in enumerate(found):
                        if not f & bit:
                            depth[i] += steps
                    if oldest < low:
                        low = oldest
                    if oldest < reach and f & all_bits != all_bits:
                        reach = oldest
                    flags[end] = f
                    queued[end], when, level = read(end)
                    sha = end
        elif queue:
            neg_level, neg_time, _, sha = heappop(queue)
            when = -neg_time
            level = -neg_level
        else:
            break
        parents = queued.pop(sha)
        done[sha] = parents
        f = flags[sha]
        if best >= 0 and not f & best_bit:
            unflagged -= 1
        changed = False
        tag = tags.best(sha) if sha in tag_names else None
        if tag is not None:
            bit = 1 << len(found)
            all_bits |= bit
            f |= bit
            flags[sha] = f
            found.append((bit, sha, tag))
            depth.append(seen)
            changed = True
            if low < reach:
                reach = low  # every commit walked so far lacks the new bit
        seen += 1
        for i, (bit, _, _) in enumerate(found):
            if not f & bit:
                depth[i] += 1
        if level == NO_LEVEL:
            if when < low:
                low = when
            if when < reach and f & all_bits != all_bits:
                reach = when
        if shallow and sha in shallow:
            walked_shallow.append(sha)
        for parent in parents:
            old = flags.get(parent)
            if old is None:
                try:
                    p_parents, p_time, p_level = read(parent)
                except (KeyError, RepositoryError):
                    if not verifying or changed or unflagged:
                        raise  # the answer still depends on what lies below
                    # The answer was final when the stop was reached (every queued commit
                    # carried the winner's bit); only the check below it needed this commit,
                    # which git's walk never reads. One missing there (removed by hand, a
                    # damaged clone) ends the check with the answer git gives.
                    cut_short = True
                    break
                if leveled and p_level >= level != NO_LEVEL:
                    trusted = False
                queued[parent] = p_parents
                flags[parent] = f
                if not queue and len(parents) == 1 and len(queued) == 1:
                    hold = parent  # linear history: no other commit to order it against
                    hold_time = p_time
                    hold_level = p_level
                else:
                    heappush(queue, (-p_level, -p_time, counter, parent))
                    counter += 1
                if best >= 0 and not f & best_bit:
                    unflagged += 1
            elif parent in queued:
                if best >= 0 and f & best_bit and not old & best_bit:
                    unflagged -= 1
                flags[parent] = old | f
            elif old | f != old and spread(parent, f):
                changed = True  # a parent walked before this child: commit times lie
        if found and (changed or not f & best_bit):  # a count fell, or the best one grew
            new_best = _best_index(found, depth)
            if new_best != best:
                best = new_best
                best_bit = found[best][0]
                unflagged = sum(1 for q in queued if not flags[q] & best_bit)
        if cut_short:
            break
        if best >= 0 and unflagged == 0:
            verifying = True
            if hold is not None:
                heappush(queue, (-hold_level, -hold_time, counter, hold))
                counter += 1
                hold = None
            if not queue:
                break
            top_level, top_time = -queue[0][0], -queue[0][1]
            if top_level != NO_LEVEL or reach == _NO_TIME:
                break  # by level nothing queued reaches a walked commit; or none is at stake
            if top_time >= reach:
                slop = SLOP
            elif slop:
                slop -= 1
            else:
                break

    final = all_bits
    for q in queued:
        final &= flags[q]
    listed = [i for i in range(len(found)) if found[i][0] & final]
    by_name = sorted(listed, key=lambda i: os.fsencode(found[i][2].name))
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
        cut=bool(walked_shallow),
        cut_outside_winner=any(not flags[s] & winner_bit for s in walked_shallow),
        exact=trusted,
    )


SLOP = 5
"""Commits walked past the point where commit times say the answer is final, as ``git
rev-list`` does (``revision.c``, ``SLOP``): a parent newer than its child just below that
point is met and corrected."""


INEXACT = (
    "Without generation numbers (no commit-graph, or commits newer than it), the walk stops "
    "by commit time: a commit older than every counted commit lacking a tag's bit is taken "
    "to reach none of them. It does only through a parent newer than its child below the "
    "point where the walk stops; git rev-list and git describe assume the same."
)
"""The one case where :func:`walk` may differ from the definition (README, "How the version
is found"; ``tests/test_walk_dag.py``, ``INTENDED_DIFFERENCES``)."""


def exact_walk(head: Node, tags: TagIndex, reader: CommitReader) -> WalkResult:
    """Distances by reading the whole history, for a commit-graph whose levels do not grow
    along a parent edge (corrupt): :func:`walk` cannot trust them.

    ``distance(T) = |ancestors(HEAD)| - |ancestors(T)|`` for each tag T reachable from HEAD
    (``git rev-list --count T..HEAD``): one depth-first pass orders the history children
    first, one pass propagates a bit per tag down it.
    """
    parents: dict[Node, tuple[Node, ...]] = {}
    order: list[Node] = []  # every commit after all its parents
    stack: list[tuple[Node, bool]] = [(head, False)]
    while stack:
        sha, ready = stack.pop()
        if ready:
            order.append(sha)
            continue
        if sha in parents:
            continue
        parents[sha] = reader.read(sha)[0]
        stack.append((sha, True))
        stack.extend((p, False) for p in parents[sha] if p not in parents)
    found: list[tuple[Node, _Tag]] = []
    flags: dict[Node, int] = {}
    for sha in reversed(order):  # children first
        f = flags.get(sha, 0)
        tag = tags.best(sha) if sha in tags.names else None
        if tag is not None:
            f |= 1 << len(found)
            found.append((sha, tag))
        flags[sha] = f
        for p in parents[sha]:
            flags[p] = flags.get(p, 0) | f
    size = len(parents)
    carried = [0] * len(found)
    for f in flags.values():
        while f:
            low_bit = f & -f
            carried[low_bit.bit_length() - 1] += 1
            f ^= low_bit
    ranks = sorted(range(len(found)), key=lambda i: os.fsencode(found[i][1].name))
    ranks.sort(key=lambda i: found[i][1].sort_key, reverse=True)
    ranks.sort(key=lambda i: size - carried[i])
    candidates = tuple(
        TagCandidate(
            each.name, each.version, reader.hexsha(found[i][0]).decode("ascii"), size - carried[i]
        )
        for i in ranks
        for each in tags.ranked(found[i][0])
    )
    shallow = [sha for sha in parents if sha in reader.shallow]
    winner_bit = 1 << ranks[0] if ranks else 0
    return WalkResult(
        winner=candidates[0] if candidates else None,
        candidates=candidates,
        seen=size,
        cut=bool(shallow),
        cut_outside_winner=bool(found) and any(not flags[s] & winner_bit for s in shallow),
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
