"""The history of HEAD: version tags from refs to commits, the walk's answer checked against
a shallow clone's cut, and the listing of every version tag.

Rules (``docs/architecture.md``, "The version rules"; ``git-describe``):

- candidates are ``refs/tags/*`` whose name the caller's ``parse_tag`` accepts (a tag pattern
  and a PEP 440 parse); lightweight and annotated tags count, tags of tags are peeled, tags of
  trees or blobs are skipped;
- a corrupt version tag ref, or one naming a missing object, is an error (it might be the
  nearest); other broken refs are skipped, as git skips them;
- the nearest tag and its distance are those of the README ("How the version is found"):
  ``|ancestors(HEAD) - ancestors(TAG)|``, the nearest first, then the highest version, then
  the name first in byte order; :func:`vcrelease.git.walk.walk` computes them exactly (one
  case aside without generation numbers, :data:`vcrelease.git.walk.INEXACT`), and
  :func:`vcrelease.git.walk.exact_walk` reads the whole history when the commit-graph's
  generation numbers cannot be trusted;
- a shallow clone (``gitrepository-layout``, ``shallow``) whose cut hides what the answer
  depends on raises :class:`~vcrelease.errors.ShallowCloneError`, never a silently wrong
  distance.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Container

from ..errors import RepositoryError, ShallowCloneError
from .commitgraph import CommitGraphError, corrupt_graph_message
from .ids import OBJ_COMMIT, HexId
from .model import History, ParseTag, Scope, VersionTag
from .objects import peel
from .refs import Refs, TagRef
from .repository import GitRepo
from .walk import CommitReader, Node, TagIndex, exact_walk, read_commit, walk

__all__ = ["read_history", "version_tags"]

_SHALLOW_FIX = (
    "Fetch the full history and the tags: with actions/checkout set `fetch-depth: 0`; "
    "elsewhere run `git fetch --unshallow --tags`."
)


def read_history(
    repo: GitRepo, refs: Refs, parse_tag: ParseTag, scope: Scope | None = None
) -> History:
    """The nearest version tag from ``refs.head`` and its distance, as ``git describe``.

    With ``scope`` the tag is found as without it (the whole history), and the distance
    counts only the commits of ``TAG..HEAD`` that touch the scope's paths
    (:func:`vcrelease.git.scope.scoped_distance`); :attr:`History.unscoped_distance` keeps
    the count of every commit.

    Raises:
        RepositoryError: HEAD's commit (or one walked) is missing or not a commit, a version
            tag ref is corrupt or names a missing object.
        ShallowCloneError: the clone's cut hides the nearest tag or part of the distance.
    """
    root = repo.root
    store = repo.objects
    head_tree, _, head_time = read_commit(store, refs.replacement(refs.head), root)
    # Replace refs and grafts: git reads no commit-graph (commit-graph.c,
    # commit_graph_compatible), and neither do we.
    graph = None if refs.rewritten else repo.open_graph()
    try:
        reader = CommitReader(store, graph, refs.shallow, root, refs)
        tag_nodes = _tag_commits(repo, refs.tags, parse_tag, reader)
        tags = TagIndex(tag_nodes, parse_tag)
        head = reader.node(refs.head)
        try:
            found = walk(head, tags, reader)
            if not found.exact:  # generation numbers that do not grow along an edge
                found = exact_walk(head, tags, reader)
        except KeyError as exc:  # from the walk's direct reader (see CommitReader.fast_read)
            sha = exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else b"?"
            what = "a commit of the history (to count the distance)"
            message = store.missing_message(sha, "commit", what)
            raise RepositoryError(f"{root}: {message}") from exc
        except (ValueError, zlib.error, IndexError) as exc:
            raise RepositoryError(
                f"{root}: a commit of the history cannot be read ({exc}). Run `git fsck`."
            ) from exc
        except (CommitGraphError, struct.error) as exc:
            raise RepositoryError(corrupt_graph_message(root, exc)) from exc
        side_paths = (
            found.winner is not None
            and bool(reader.shallow)
            and not found.cut_outside_winner
            and _cut_may_join(reader, head, tag_nodes, found.winner.name)
        )
        winner = found.winner
        if winner is None and found.cut:
            raise ShallowCloneError(
                f"{root} is a shallow clone and no version tag is reachable in the history it "
                f"has, so the version cannot be known. {_SHALLOW_FIX}"
            )
        if winner is not None and (found.cut_outside_winner or side_paths):
            raise ShallowCloneError(
                f"{root} is a shallow clone: the nearest tag found, {winner.name}, may not be "
                f"the nearest one, and the distance to it cannot be counted. {_SHALLOW_FIX}"
            )
        distance = winner.distance if winner else found.seen
        unscoped = None
        if scope is not None:
            from .scope import scoped_distance  # off the path of an unscoped describe

            tag_node = None if winner is None else reader.node(HexId(winner.commit.encode()))
            unscoped = distance
            distance = scoped_distance(
                reader,
                store,
                graph,
                refs,
                head,
                tag_node,
                scope,
                None if winner is None else unscoped,
            )
    finally:
        if graph is not None:
            graph.close()
    return History(
        tag=winner.name if winner else None,
        tag_version=winner.version if winner else None,
        distance=distance,
        node=refs.head.decode("ascii"),
        branch=refs.branch,
        commit_time=head_time,
        head_tree=head_tree.decode("ascii"),
        shallow=bool(refs.shallow),
        candidates=found.candidates,
        root=root,
        scope=scope,
        unscoped_distance=unscoped,
    )


def _cut_may_join(
    reader: CommitReader, head: Node, tag_nodes: dict[Node, list[str]], tag: str
) -> bool:
    """In a shallow clone: may a commit counted in the distance to ``tag`` be reachable from
    the tag through history the clone does not have?

    The distance counts the commits reachable from HEAD and not from the tag. When the tag's
    own history is cut (a shallow commit among its ancestors), a counted commit that is not a
    descendant of the tag (a side branch merged after the tag that forked before it) may join
    the tag's history below the cut: then the full history would not count it, and the clone
    cannot tell (``git rev-list --count`` in the clone counts it too; twine's history at
    ``fbb5ec911`` in a ``--depth 30`` clone gives 40 where the full clone gives 23). Every
    counted commit that descends from the tag is safe: a descendant cannot be an ancestor.
    Cost: the clone's reachable history, once (a shallow clone is small).
    """
    node = next((n for n, names in tag_nodes.items() if tag in names), None)
    if node is None:
        return True  # cannot place the tag: say nothing rather than a guess
    read = reader.read

    def ancestors(start: Node, stop: Container[Node]) -> set[Node]:
        if start in stop:
            return set()
        seen = {start}
        stack = [start]
        while stack:
            for parent in read(stack.pop())[0]:
                if parent not in seen and parent not in stop:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    tag_side = ancestors(node, ())
    if not tag_side & reader.shallow:
        return False  # the tag's history is whole: nothing can join it below a cut
    counted = ancestors(head, tag_side)
    descends: dict[Node, bool] = {}
    for start in counted:
        stack: list[tuple[Node, bool]] = [(start, False)]
        while stack:
            current, ready = stack.pop()
            if current in descends:
                continue
            parents = read(current)[0]
            if ready:
                descends[current] = any(
                    p == node or (p in counted and descends.get(p, False)) for p in parents
                )
                continue
            stack.append((current, True))
            stack.extend((p, False) for p in parents if p in counted and p not in descends)
    return not all(descends.values())


def _tag_commits(
    repo: GitRepo, tags: list[TagRef], parse_tag: ParseTag, reader: CommitReader
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
    found: list[tuple[str, Node | None, str | None, HexId | None]] = []
    peeled_nodes = iter(
        reader.nodes([t.peeled for t in tags if t.target is not None and t.peeled is not None])
    )
    # The type of every target not peeled by packed-refs, in one batch: most are lightweight
    # tags naming a commit, which then needs no further read (thousands of tags).
    unpeeled = [t.target for t in tags if t.target is not None and t.peeled is None]
    kinds = store.kinds(unpeeled)
    commits = [sha for sha, kind in zip(unpeeled, kinds, strict=True) if kind == OBJ_COMMIT]
    node_of_commit = dict(zip(commits, reader.nodes(commits), strict=True))
    for name, target, peeled, raw in tags:
        if target is None:
            found.append((name, None, _corrupt(name, raw), None))
        elif peeled is not None:
            node = next(peeled_nodes)  # a graph position: the commit exists
            found.append((name, node, None, None if isinstance(node, int) else peeled))
        elif target in node_of_commit:  # found in a pack as a commit: it exists
            found.append((name, node_of_commit[target], None, None))
        else:
            try:
                commit = peel(store, target)  # reads every object on the way
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


def version_tags(repo: GitRepo, refs: Refs, parse_tag: ParseTag) -> tuple[VersionTag, ...]:
    """Every tag in ``refs`` that ``parse_tag`` accepts, sorted by name, reachable from HEAD
    or not.

    Tags that name no commit (a tag of a tree or blob) and versions that are not PEP 440 are
    left out.

    Raises:
        RepositoryError: a version tag is corrupt or points at a missing object.
    """
    from packaging.version import InvalidVersion, Version

    store = repo.objects
    found: list[VersionTag] = []
    for tag in refs.tags:
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
                commit = peel(store, tag.target)
                if store.kind(commit) == OBJ_COMMIT:
                    found.append(VersionTag(tag.name, version, commit.decode("ascii")))
        except KeyError as exc:
            problem = _missing(tag.name, exc.args[0] if exc.args else b"?")
        except (ValueError, zlib.error, IndexError) as exc:
            problem = f"version tag {tag.name} cannot be read ({exc})"
        if problem is not None:
            raise RepositoryError(
                f"{repo.root}: {problem}. Delete the tag (`git tag -d {tag.name}`) or fetch it "
                "again (`git fetch --tags`)."
            )
    return tuple(found)
