"""The scoped distance: the commits of ``TAG..HEAD`` that touch some paths (``distance-scope``).

The rule is git's path-limited count, ``git rev-list --count --full-history TAG..HEAD --
PATHS`` (or with ``--first-parent``), from ``git-rev-list`` "History Simplification" and
``revision.c`` (``try_to_simplify_commit``, ``update_treesame``, ``relevant_commit``), for
literal paths:

- the commits looked at are those reachable from HEAD and not from the tag (with
  ``first-parent``: HEAD's first-parent line, up to the first commit reachable from the tag);
  with no tag, every commit reachable from HEAD (its first-parent line);
- a commit counts when it is not TREESAME: its tree differs at a scope path (mode or id of
  the entry, or present on one side only; :meth:`vcrelease.git.trees.TreeReader.differs`)
  from a parent's tree. A root commit is compared with the empty tree (it counts when it
  holds anything at a scope path). A commit with one parent counts when it differs from it;
- a merge (``--full-history`` without parent rewriting, "even if more than one side of the
  merge has commits that are included, this does not imply that the merge itself is"):
  only its *relevant* parents are compared, a parent being relevant when it is not
  reachable from the tag or is the tag's commit itself (git's ``BOTTOM``); the merge counts
  when it differs from any relevant parent, or, with no relevant parent, from any parent. A
  merge identical at the paths to both sides (a merge that only brought other directories)
  does not count, one that matches one side but not the other does. One case depends on
  git's walk order: a merge whose parents the tag all reaches (none the tag itself) was
  judged by the parents git had not yet marked when it took the merge, and git keeps a
  TREESAME verdict (:func:`_flags_when_met` replays that walk);
- with ``first-parent`` only the first parent is compared; the merge that ends HEAD's line
  (its first parent reachable from the tag, not the tag itself) does not count when, as git's
  walk takes it, its first parent is marked and its second is not (``relevant_parents``
  counts the second parent before git's loop stops at it): again replayed by
  :func:`_flags_when_met`.

The tree comparison is skipped where a changed-path Bloom filter of the commit-graph says
the commit changed none of the paths against its first parent (:mod:`vcrelease.git.bloom`):
"definitely not" is exact, "maybe" is compared.

Cost: a walk over the commits around ``TAG..HEAD`` to tell the tag's side (:func:`_tag_side`;
every ancestor of the tag only when commit times are out of order), then each commit of the
range with its parents' trees along the scope paths only (equal subtree ids stop the descent;
a Bloom filter's "no" skips even that).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

from ..errors import RepositoryError, ShallowCloneError
from .bloom import BloomFilters
from .commitgraph import CommitGraph, CommitGraphError, corrupt_graph_message
from .ids import RawId, to_raw
from .model import Scope
from .objects import ObjectStore
from .refs import Refs
from .trees import TreeReader, split_path
from .walk import CommitReader, Node, read_commit

__all__ = ["scoped_distance"]


def scoped_distance(
    reader: CommitReader,
    store: ObjectStore,
    graph: CommitGraph | None,
    refs: Refs,
    head: Node,
    tag: Node | None,
    scope: Scope,
    expected: int | None = None,
) -> int:
    """The number of commits in ``tag..head`` (all of ``head``'s history when ``tag`` is
    None) that touch ``scope.paths``, by the rule of the module docstring.

    Args:
        reader: the history's commit reader (commit-graph first, then the object store).
        store, graph, refs: the repository's object store, its commit-graph (or None) and
            refs (for replaced commits, whose tree is the replacement's).
        head, tag: nodes of :class:`~vcrelease.git.walk.CommitReader`.
        scope: the paths (relative to the top) and the count mode.
        expected: the number of commits in ``tag..head`` (``git rev-list --count``), when
            known: the walk that finds the tag's side then reads only the commits around
            the range, and checks its answer against it (:func:`_tag_side`).

    Raises:
        RepositoryError: a commit or tree cannot be read; a corrupt commit-graph.
        ShallowCloneError: the walk meets a shallow commit (the clone's cut), which would
            make the count silently smaller.
    """
    try:
        return _count(reader, store, graph, refs, head, tag, scope, expected)
    except (CommitGraphError, struct.error) as exc:
        raise RepositoryError(corrupt_graph_message(reader.root, exc)) from exc
    except (KeyError, ValueError, zlib.error, IndexError) as exc:
        raise RepositoryError(
            f"{reader.root}: a commit of the history cannot be read ({exc!r}). Run `git fsck`."
        ) from exc


def _count(
    reader: CommitReader,
    store: ObjectStore,
    graph: CommitGraph | None,
    refs: Refs,
    head: Node,
    tag: Node | None,
    scope: Scope,
    expected: int | None,
) -> int:
    read = reader.read
    shallow = reader.shallow
    paths = [split_path(p) for p in scope.paths]
    trees = TreeReader(store, "a tree (to count the commits that touch distance-scope)")
    tree_of = _tree_reader(reader, store, graph, refs)
    bloom = BloomFilters.for_graph(graph, scope.paths) if graph is not None else None

    def cut(node: Node) -> None:
        raise ShallowCloneError(
            f"{reader.root} is a shallow clone and the history that distance-scope counts "
            f"reaches its cut at {reader.hexsha(node).decode()}, so the count would be too "
            "small. Fetch the full history and the tags: with actions/checkout set "
            "`fetch-depth: 0`; elsewhere run `git fetch --unshallow --tags`."
        )

    excluded = _tag_side(read, head, tag, graph, expected)

    def relevant(node: Node) -> bool:
        return node not in excluded or node == tag

    def differs(node: Node, parent: Node | None, first: bool) -> bool:
        if first and bloom is not None and type(node) is int and not bloom.maybe_changed(node):
            return False
        return trees.differs(tree_of(node), None if parent is None else tree_of(parent), paths)

    count = 0
    if scope.first_parent:
        node: Node | None = head if head not in excluded else None
        while node is not None:
            if node in shallow:
                cut(node)
            parents = read(node)[0]
            if not parents:
                count += differs(node, None, True)
                break
            first = parents[0]
            if first in excluded and first != tag and len(parents) > 1:
                # The last commit of the line, a merge whose first parent the tag reaches:
                # git judged it by the flags its walk had set when it got there.
                asked = {node: parents[:2]}
                flagged = _flags_when_met(read, head, tag, asked, True).get(node, set())
                relevant_first = parents[0] not in flagged
                relevant_second = parents[1] == tag or parents[1] not in flagged
            else:
                relevant_first = relevant(first)
                relevant_second = len(parents) > 1 and relevant(parents[1])
            if (relevant_first or not relevant_second) and differs(node, first, True):
                count += 1
            node = first if first not in excluded else None
        return count

    seen: set[Node] = {head}
    todo = [head] if head not in excluded else []
    late: dict[Node, tuple[Node, ...]] = {}  # merges whose parents the tag all reaches
    while todo:
        node = todo.pop()
        if node in shallow:
            cut(node)
        parents = read(node)[0]
        for parent in parents:
            if parent not in seen and parent not in excluded:
                seen.add(parent)
                todo.append(parent)
        if not parents:
            count += differs(node, None, True)
            continue
        compared = [p for p in parents if relevant(p)]
        if compared:
            count += any(differs(node, p, p == parents[0]) for p in compared)
        elif any(differs(node, p, p == parents[0]) for p in parents):
            late[node] = parents  # counted unless git judged it by a subset first
    if late:
        marked_at = _flags_when_met(read, head, tag, late, False)
        for node, parents in late.items():
            unmarked = [p for p in parents if p not in marked_at.get(node, set(parents))]
            if not unmarked or any(differs(node, p, p == parents[0]) for p in unmarked):
                count += 1
    return count


def _tag_side(
    read: Callable[[Node], tuple[tuple[Node, ...], int]],
    head: Node,
    tag: Node | None,
    graph: CommitGraph | None,
    expected: int | None,
) -> set[Node]:
    """The commits reachable from ``tag`` that the count needs to know: every one met from
    HEAD's side (a parent of a counted commit, the commit that ends HEAD's line), which is
    all :func:`_count` asks about.

    One walk from both ends, taking the newest commit first and marking the commits
    reachable from the tag (git's ``paint_down_to_common``), stopping when every queued
    commit is marked: by topological level when the commit-graph has them for every commit
    met (a commit's level is above its ancestors', so it is marked before it is taken), else
    by commit time. The walk's unmarked commits must be ``expected`` many (the exact
    ``git rev-list --count TAG..HEAD`` the history walk found): the set is then exact (every
    commit of ``TAG..HEAD`` is taken unmarked, so equal counts mean no commit was taken
    unmarked wrongly). When they are not (commit times out of order), or there is no
    expected count: every ancestor of the tag, read in full.
    """
    if tag is None:
        return set()
    if expected is not None:
        if graph is not None:
            level = graph.level

            def by_level(node: Node) -> int:
                found = level(node) if type(node) is int else 0
                if not found:
                    raise _NoLevel
                return found

            try:
                painted = _paint(read, head, tag, by_level, expected)
            except _NoLevel:
                painted = None
            if painted is not None:
                return painted
        painted = _paint(read, head, tag, lambda node: read(node)[1], expected)
        if painted is not None:
            return painted
    excluded = {tag}
    stack = [tag]
    while stack:
        for parent in read(stack.pop())[0]:
            if parent not in excluded:
                excluded.add(parent)
                stack.append(parent)
    return excluded


class _NoLevel(Exception):
    """A commit without a topological level (outside the commit-graph, or a graph written
    without generation numbers)."""


def _paint(
    read: Callable[[Node], tuple[tuple[Node, ...], int]],
    head: Node,
    tag: Node,
    key: Callable[[Node], int],
    expected: int,
) -> set[Node] | None:
    """:func:`_tag_side`'s walk ordered by ``key`` (higher first): the marked commits, or None
    when the unmarked ones taken are not ``expected`` many."""
    import heapq

    from_tag: set[Node] = {tag}
    flags: dict[Node, bool] = {tag: True}
    queue: list[tuple[int, int, Node]] = [(-key(tag), 0, tag)]
    counter = 1
    head_side = 0  # queued commits not marked
    if head != tag:
        flags[head] = False
        queue.append((-key(head), 1, head))
        counter = 2
        head_side = 1
    heapq.heapify(queue)
    counted = 0
    while queue and head_side:
        node = heapq.heappop(queue)[2]
        marked = flags[node]
        if not marked:
            head_side -= 1
            counted += 1
        for parent in read(node)[0]:
            old = flags.get(parent)
            if old is None:
                flags[parent] = marked
                heapq.heappush(queue, (-key(parent), counter, parent))
                counter += 1
                if marked:
                    from_tag.add(parent)
                else:
                    head_side += 1
            elif marked and not old:
                flags[parent] = True
                from_tag.add(parent)
                head_side -= 1  # still queued, or taken already (then counted wrongly)
    return from_tag if counted == expected else None


def _flags_when_met(
    read: Callable[[Node], tuple[tuple[Node, ...], int]],
    head: Node,
    tag: Node | None,
    targets: dict[Node, tuple[Node, ...]],
    first_parent: bool,
) -> dict[Node, set[Node]]:
    """For each commit of ``targets``, which of its listed commits git's walk has marked
    UNINTERESTING when it takes that commit (git 2.39 ``revision.c``:
    ``prepare_revision_walk`` marks the tag's parents; ``limit_list`` takes commits newest
    first, equal times in the order queued, the tag before HEAD; an UNINTERESTING commit marks
    each parent, that parent's parents, and further the parents of every commit already
    parsed (``mark_parents_uninteresting``); an interesting commit parses and queues its
    parents, only the first with ``--first-parent``).

    ``try_to_simplify_commit`` judges a merge by the parents not yet marked then, and a merge
    it found TREESAME stays so (``update_treesame`` later only turns !TREESAME into TREESAME),
    so where a merge's parents are all reachable from the tag (none the tag itself), or with
    ``--first-parent`` at the merge that ends HEAD's line, the count depends on this order.
    Costs the walk git does up to the last of ``targets``.
    """
    import heapq

    flagged: set[Node] = set()
    parents_of: dict[Node, tuple[Node, ...]] = {}
    times: dict[Node, int] = {}
    found: dict[Node, set[Node]] = {}

    def parse(node: Node) -> tuple[Node, ...]:
        known = parents_of.get(node)
        if known is None:
            known, times[node] = read(node)
            parents_of[node] = known
        return known

    def mark_parents(node: Node) -> None:
        stack = list(parents_of.get(node, ()))
        while stack:
            commit = stack.pop()
            if commit in flagged:
                continue
            flagged.add(commit)
            stack.extend(parents_of.get(commit, ()))  # parsed commits only

    starts = [head] if tag is None else [tag, head]
    for node in starts:
        parse(node)
    if tag is not None:
        flagged.add(tag)
        mark_parents(tag)
    queue = [(-times[node], order, node) for order, node in enumerate(dict.fromkeys(starts))]
    heapq.heapify(queue)
    seen = set(starts)
    order = [len(queue)]  # the next insertion number: equal times keep the queue's order

    def push(node: Node) -> None:
        if node not in seen:
            seen.add(node)
            heapq.heappush(queue, (-times[node], order[0], node))
            order[0] += 1

    while queue and len(found) < len(targets):
        node = heapq.heappop(queue)[2]
        if node in targets:
            found[node] = {n for n in targets[node] if n in flagged}
        parents = parse(node)
        if node in flagged:
            for parent in parents:
                flagged.add(parent)
                parse(parent)
                mark_parents(parent)
                push(parent)
            mark_parents(node)
        else:
            for parent in parents[:1] if first_parent else parents:
                parse(parent)
                push(parent)
    return found


def _tree_reader(
    reader: CommitReader, store: ObjectStore, graph: CommitGraph | None, refs: Refs
) -> Callable[[Node], RawId]:
    """node -> its root tree's raw id: from the commit-graph, else the commit (the
    replacement's, when replace refs are in effect)."""
    trees: dict[Node, RawId] = {}

    def tree_of(node: Node) -> RawId:
        found = trees.get(node)
        if found is None:
            if type(node) is int:
                assert graph is not None
                found = graph.tree(node)
            else:
                hexsha = reader.hexsha(node)
                found = to_raw(read_commit(store, refs.replacement(hexsha), reader.root)[0])
            if len(trees) > 65536:
                trees.clear()
            trees[node] = found
        return found

    return tree_of
