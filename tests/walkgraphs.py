"""Commit graphs for the walk's tests: a hypothesis strategy drawing the shapes that break a
date-ordered walk, the repository written from a graph with ``git fast-import``, and the
answer of the README ("How the version is found") computed by set arithmetic on what git
stored (``git rev-list --parents HEAD``).

A :class:`Graph` is a list of commits (their parents are earlier commits: a commit's index is
above its parents'), committer times, tags and HEAD. The strategy draws:

- several roots (independent histories) and merges of them (``--allow-unrelated-histories``);
- merges of ancestors (a merge re-merging an older commit of its own history), octopus merges;
- tags on merges, several tags on one commit, equal versions spelled twice (``v1.0``, ``1.0.0``);
- commit times strictly in order, all in one second, in runs of one second, skewed (a parent
  newer than its child), or a mix;
- HEAD on the last commit or any other one.

:func:`write_repository` writes it (fixed authors, no files) and, as asked, a commit-graph
of the whole history (``full``), of the history before the last commits (``partial``: the
newest commits are outside the graph), or a split chain of two layers (``split``); and its
objects loose, in one pack, in two packs (the older half and the newer), or with the newer
half loose (:data:`STORAGES`), as commits, fetches and ``git gc`` leave them. With
``prefix_after`` the test lowers the number of lookups after which a pack builds its lookup
arrays, so that a small graph reaches that path too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st
from packaging.version import Version

from gitutil import git, run_git, unpack

__all__ = [
    "GRAPH_MODES",
    "INTENDED_DIFFERENCES",
    "STORAGES",
    "Answer",
    "Graph",
    "exact_answer",
    "graphs",
    "parse",
    "write_repository",
]

GRAPH_MODES = ("none", "full", "partial", "split")
"""How :func:`write_repository` writes a commit-graph (see the module docstring)."""
STORAGES = ("all loose", "one pack", "two packs", "newer loose")
"""Where :func:`write_repository` puts the objects (see the module docstring)."""

EPOCH = 1_700_000_000

INTENDED_DIFFERENCES: dict[str, str] = {
    "describe-tie": (
        "Several tags at the nearest distance: vcrelease takes the highest version, then the "
        "name first in byte order (README, 'How the version is found'); git describe takes "
        "the tag its walk met first (and prefers annotated tags)."
    ),
    "describe-dates": (
        "Commit times not strictly decreasing along parent edges (same second, or a parent "
        "newer than its child): git describe orders its walk by date and stops early, so it "
        "may count commits reachable from the tag, or name a farther tag; vcrelease counts "
        "exactly (generation numbers, or a date walk that corrects out-of-order commits)."
    ),
    "rev-list-dates": (
        "Commit times not strictly decreasing along parent edges: git rev-list --count "
        "TAG..HEAD stops its date-ordered walk by a heuristic (revision.c, SLOP) and may "
        "count commits reachable from the tag; vcrelease counts |ancestors(HEAD) - "
        "ancestors(TAG)| exactly."
    ),
    "skew-below-stop-without-generations": (
        "No commit-graph with generation numbers and a commit below the point where the walk "
        "stops has a parent strictly newer than itself through which it reaches a commit the "
        "walk counted: the walk cannot know without reading the whole history (git rev-list "
        "is heuristic there too). With a commit-graph (`git commit-graph write --reachable`, "
        "which git maintenance and fetch write) the answer is exact."
    ),
}
"""Every difference from the exact answer or from git that the tests allow, with its reason.
The README's list of intended differences from git describe is this table;
``tests/test_walk_dag.py`` keeps it honest (a witness graph per entry)."""


@dataclass(frozen=True)
class Graph:
    """A commit graph: ``parents[i]`` are indices below ``i``; ``times[i]`` the committer
    time in seconds; ``tags`` (name, commit index) pairs; ``head`` a commit index."""

    parents: tuple[tuple[int, ...], ...]
    times: tuple[int, ...]
    tags: tuple[tuple[str, int], ...]
    head: int
    graph_mode: str = "none"
    notes: tuple[str, ...] = field(default=())
    storage: str = "one pack"
    prefix_after: int | None = None

    def times_in_order(self) -> bool:
        """Every parent strictly older than each of its children (where git's date walks
        are exact)."""
        return all(self.times[p] < self.times[c] for c, ps in enumerate(self.parents) for p in ps)

    def skewed(self) -> bool:
        """Some parent strictly newer than one of its children."""
        return any(self.times[p] > self.times[c] for c, ps in enumerate(self.parents) for p in ps)

    def generations(self) -> bool:
        """The walk may order by generation numbers: a commit-graph holds every commit."""
        return self.graph_mode in ("full", "split")


def parse(name: str) -> str | None:
    """The version of a tag ``vX.Y.Z`` or ``X.Y.Z``; None for other names."""
    version = name[1:] if name.startswith("v") else name
    return version if version[:1].isdigit() else None


@st.composite
def graphs(draw: st.DrawFn, max_commits: int = 22) -> Graph:
    """A :class:`Graph` (see the module docstring for the shapes drawn)."""
    count = draw(st.integers(1, max_commits))
    parents: list[tuple[int, ...]] = []
    for i in range(count):
        if i == 0:
            parents.append(())
            continue
        kind = draw(
            st.sampled_from(
                ["line", "line", "line", "branch", "merge", "remerge", "octopus", "root"]
            )
        )
        if kind == "root":
            parents.append(())
        elif kind == "line":
            parents.append((i - 1,))
        elif kind == "branch":
            parents.append((draw(st.integers(0, i - 1)),))
        elif kind == "octopus" and i >= 3:
            chosen = draw(st.lists(st.integers(0, i - 1), min_size=3, max_size=4, unique=True))
            parents.append(tuple(chosen))
        elif kind == "remerge" and i >= 2:
            # a merge whose second parent is an ancestor of the first (an old commit merged
            # again); git makes such merges with `git merge --no-ff` of an older branch
            first = i - 1
            ancestors = _ancestors(parents, first) - {first}
            if ancestors:
                parents.append((first, draw(st.sampled_from(sorted(ancestors)))))
            else:
                parents.append((first,))
        else:
            other = draw(st.integers(0, i - 1))
            parents.append((i - 1,) if other == i - 1 else (i - 1, other))
    times = _times(draw, parents)
    names = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)).map(
        lambda v: f"{v[0]}.{v[1]}.{v[2]}"
    )
    tag_count = draw(st.integers(0, 6))
    tags: dict[str, int] = {}
    for _ in range(tag_count):
        version = draw(names)
        spelling = draw(st.sampled_from(["v{}", "{}", "v{}", "v{}.0"]))
        name = spelling.format(version)
        if name not in tags:
            tags[name] = draw(st.integers(0, count - 1))
    several = draw(st.booleans())
    if tags and several:
        # several tags on one commit: a second name on an already tagged commit
        commit = draw(st.sampled_from(sorted(tags.values())))
        tags.setdefault(f"v9.{commit}", commit)
    head = count - 1 if draw(st.booleans()) else draw(st.integers(0, count - 1))
    mode = draw(st.sampled_from(GRAPH_MODES))
    storage = draw(st.sampled_from(STORAGES))
    prefix_after = draw(st.sampled_from([None, 0, 1, 3]))
    return Graph(
        tuple(parents), tuple(times), tuple(sorted(tags.items())), head, mode,
        storage=storage, prefix_after=prefix_after,
    )  # fmt: skip


def _times(draw: st.DrawFn, parents: list[tuple[int, ...]]) -> list[int]:
    style = draw(st.sampled_from(["ordered", "same", "runs", "skewed", "mixed"]))
    count = len(parents)
    if style == "ordered":
        return [EPOCH + 60 * i for i in range(count)]
    if style == "same":
        return [EPOCH] * count
    if style == "runs":
        steps = draw(st.lists(st.sampled_from([0, 0, 1]), min_size=count, max_size=count))
        out, now = [], EPOCH
        for step in steps:
            now += step
            out.append(now)
        return out
    if style == "skewed":
        return draw(st.lists(st.integers(EPOCH - 5, EPOCH + 5), min_size=count, max_size=count))
    return [
        EPOCH + draw(st.sampled_from([60 * i, 60 * i, 0, -60 * i, 60 * (i - 1)]))
        for i in range(count)
    ]


def _ancestors(
    parents: list[tuple[int, ...]] | tuple[tuple[int, ...], ...], start: int
) -> set[int]:
    seen = {start}
    todo = [start]
    while todo:
        for p in parents[todo.pop()]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def fast_import_lines(graph: Graph, commits: range) -> list[str]:
    """The ``git fast-import`` commands writing ``commits`` of ``graph`` (marks are index
    + 1; one branch ``refs/heads/w`` reset before each root)."""
    lines: list[str] = []
    for i in commits:
        ps = graph.parents[i]
        if not ps:
            lines += ["reset refs/heads/w", ""]
        lines += ["commit refs/heads/w", f"mark :{i + 1}"]
        lines += [
            f"author Ada <ada@example.invalid> {EPOCH} +0000",
            f"committer Ada <ada@example.invalid> {graph.times[i]} +0000",
            f"data {len(str(i))}",
            str(i),
        ]
        lines += [("from" if j == 0 else "merge") + f" :{p + 1}" for j, p in enumerate(ps)]
        lines.append("")
    return lines


def write_repository(graph: Graph, path: Path) -> None:
    """A new repository at ``path`` holding ``graph``: branch ``main`` at HEAD, lightweight
    tags, the commit-graph of :attr:`Graph.graph_mode` and the objects stored as
    :attr:`Graph.storage` says."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    count = len(graph.parents)
    split = count if graph.graph_mode in ("none", "full") else max(1, count - 3)
    if graph.storage in ("two packs", "newer loose") and split == count and count > 1:
        split = count // 2  # two imports: the older commits, then the newer
    refs: list[str] = []
    if split < count:
        _import(path, fast_import_lines(graph, range(split)))
        if graph.graph_mode in ("partial", "split"):
            git(path, "commit-graph", "write", "--reachable")
        rest = range(split, count)
    else:
        rest = range(count)
    lines = fast_import_lines(graph, rest)
    lines += ["reset refs/heads/main", f"from :{graph.head + 1}", ""]
    for name, commit in graph.tags:
        refs += [f"reset refs/tags/{name}", f"from :{commit + 1}", ""]
    older = set(_packs(path))
    _import(path, lines + refs)
    if graph.storage == "all loose":
        for pack in _packs(path):
            unpack(path, pack)
    elif graph.storage == "newer loose" and split < count:
        for pack in set(_packs(path)) - older:
            unpack(path, pack)
    if graph.graph_mode == "full":
        git(path, "commit-graph", "write", "--reachable")
    elif graph.graph_mode == "split":
        git(path, "commit-graph", "write", "--reachable", "--split=no-merge")


def _packs(path: Path) -> list[Path]:
    return list((path / ".git" / "objects" / "pack").glob("*.pack"))


def _import(path: Path, lines: list[str]) -> None:
    marks = path / ".git" / "walkgraph-marks"
    # fast-import unpacks a pack of fewer than 100 objects (fastimport.unpackLimit): 0 keeps
    # every import a pack, so that the storages drawn are the ones written
    args = ["-c", "fastimport.unpackLimit=0", "fast-import", "--quiet", "--force",
            f"--export-marks={marks}"]  # fmt: skip
    if marks.exists():
        args.append(f"--import-marks={marks}")
    run_git(args, path, input="\n".join(lines) + "\n")


@dataclass(frozen=True)
class Answer:
    """The README's answer: the winning tag (None: no version tag reachable), its distance,
    and the distance of every reachable version tag by name."""

    tag: str | None
    distance: int
    distances: dict[str, int]


def exact_answer(path: Path, parse_tag: Callable[[str], str | None] = parse) -> Answer:
    """The answer of README "How the version is found" by set arithmetic on what git stored:
    ``git rev-list --parents HEAD`` and ``git for-each-ref refs/tags`` (annotated and nested
    tags peeled, ``git cat-file --batch-check``). A tag's distance is
    ``|ancestors(HEAD) - ancestors(tag)|``; the nearest wins, then the highest version, then
    the name first in byte order."""
    parents: dict[str, list[str]] = {}
    for line in git(path, "rev-list", "--parents", "HEAD").splitlines():
        sha, *ps = line.split()
        parents[sha] = ps
    distances: dict[str, int] = {}
    names = git(path, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags").splitlines()
    query = "".join(f"refs/tags/{name}^{{commit}}\n" for name in names)
    peeled = run_git(["cat-file", "--batch-check=%(objectname)"], path, input=query).stdout
    for name, line in zip(names, peeled.splitlines(), strict=True):
        sha = line.split()[0]  # the commit the tag peels to ("... missing" for none)
        if sha not in parents or parse_tag(name) is None:
            continue
        seen = {sha}
        todo = [sha]
        while todo:
            for p in parents[todo.pop()]:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        distances[name] = len(parents) - len(seen)
    if not distances:
        return Answer(None, len(parents), distances)
    best = min(
        distances,
        key=lambda n: (distances[n], _Descending(Version(parse_tag(n) or "0")), os.fsencode(n)),
    )
    return Answer(best, distances[best], distances)


class _Descending:
    __slots__ = ("key",)

    def __init__(self, key: Version) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return self.key > other.key
