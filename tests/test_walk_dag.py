"""The walk against the README's definition on random commit graphs, and against git.

Hypothesis draws commit graphs with the shapes that break a date-ordered walk
(:mod:`walkgraphs`: merges of ancestors, several roots, unrelated histories merged, octopus
merges, tags on merges, several tags on one commit, same-second and skewed times; with and
without a commit-graph, whole, partial or split). Each is written with ``git fast-import``
and vcrelease's answer is compared with

- the exact answer, by set arithmetic on ``git rev-list --parents HEAD`` (every candidate's
  distance, the winner, the distance): any difference fails, except those of
  :data:`INTENDED_DIFFERENCES` whose condition holds;
- ``git rev-list --count TAG..HEAD`` for the winner and ``git describe --tags --long``:
  where commit times decrease strictly along every parent edge (git's date walks are then
  exact) they must agree (a tie between tags at one distance is decided by version, on
  purpose); elsewhere a difference must be of a class in :data:`INTENDED_DIFFERENCES`.

:func:`test_every_intended_difference_still_occurs` keeps the table honest: each entry has a
witness graph on which the difference must still occur.

Budget: ``ci`` profile :data:`CI_EXAMPLES` graphs; ``fuzz`` (``nox -s fuzz``)
:data:`FUZZ_EXAMPLES`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from gitutil import git, git_describe, isolate_like_git
from vcrelease.git.session import open_repository
from walkgraphs import (
    EPOCH,
    INTENDED_DIFFERENCES,
    Answer,
    Graph,
    exact_answer,
    graphs,
    parse,
    write_repository,
)

CI_EXAMPLES = 60
FUZZ_EXAMPLES = 4000


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def _examples() -> int:
    if os.environ.get("VCRELEASE_WALK_EXAMPLES"):  # a search by hand
        return int(os.environ["VCRELEASE_WALK_EXAMPLES"])
    current = settings.default
    return FUZZ_EXAMPLES if current and current.max_examples > 10_000 else CI_EXAMPLES


@contextlib.contextmanager
def lookups_before_prefix_arrays(count: int | None) -> Iterator[None]:
    """Packs build their lookup arrays after ``count`` lookups (None: the package's number),
    so that small graphs reach that path of the readers too."""
    from vcrelease.git import sortedids

    saved = sortedids._PREFIX_AFTER
    if count is not None:
        sortedids._PREFIX_AFTER = count
    try:
        yield
    finally:
        sortedids._PREFIX_AFTER = saved


def ours(path: Path) -> tuple[str | None, int, dict[str, int]]:
    """vcrelease's tag, distance and listed candidates (name -> distance)."""
    with open_repository(path) as repo:
        history = repo.history(parse)
    return history.tag, history.distance, {c.name: c.distance for c in history.candidates}


def describe(path: Path) -> tuple[str, int] | None:
    """``git describe --tags --long``'s tag and distance; None when it finds no tag."""
    described = git_describe(path, "--abbrev=40", "HEAD")
    return None if described is None else (described.tag, described.distance)


def rev_list_count(path: Path, tag: str | None) -> int:
    spec = "HEAD" if tag is None else f"refs/tags/{tag}..HEAD"
    return int(git(path, "rev-list", "--count", spec))


def differences(graph: Graph, path: Path) -> set[str]:
    """The classes of difference on ``graph`` (written at ``path``); raises AssertionError on
    one that no class of :data:`INTENDED_DIFFERENCES` allows."""
    found: set[str] = set()
    exact = exact_answer(path)
    tag, distance, candidates = ours(path)
    mine = (tag, distance)
    wrong = []
    if mine != (exact.tag, exact.distance):
        wrong.append(f"vcrelease {mine}, exact {(exact.tag, exact.distance)}")
    if tag is not None and candidates.get(tag) != distance:
        wrong.append(f"the winner {tag} is not its first candidate: {candidates}")
    for name, d in candidates.items():
        if exact.distances.get(name) != d:
            wrong.append(f"candidate {name} at {d}, exact {exact.distances.get(name)}")
    if wrong:
        if graph.skewed() and not graph.generations():
            found.add("skew-below-stop-without-generations")
        else:
            raise AssertionError("; ".join(wrong) + f"\n{graph}")
    in_order = graph.times_in_order()
    count = rev_list_count(path, exact.tag)
    if count != exact.distance:
        assert not in_order, f"rev-list --count {count}, exact {exact}\n{graph}"
        found.add("rev-list-dates")
    described = describe(path)
    if described is None:
        assert exact.tag is None, f"git describe finds no tag, exact {exact}\n{graph}"
    elif described != (exact.tag, exact.distance):
        name, d = described
        if exact.distances.get(name) == d == exact.distance:
            found.add("describe-tie")
        else:
            assert not in_order, f"git describe {described}, exact {exact}\n{graph}"
            found.add("describe-dates")
    return found


SEEN: set[str] = set()


@settings(
    max_examples=_examples(),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(graph=graphs())
def test_walk_agrees_with_the_definition_on_random_graphs(
    graph: Graph, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("dag") / "r"
    write_repository(graph, path)
    with lookups_before_prefix_arrays(graph.prefix_after):
        SEEN.update(differences(graph, path))
    if os.environ.get("VCRELEASE_WALK_REPORT"):
        with open(os.environ["VCRELEASE_WALK_REPORT"], "a") as out:
            out.write(f"{sorted(SEEN)}\n")


SKEW_BELOW = Graph(
    parents=((), (0,), (1,), (2,), (3,), (4,), (5,), (6,), (7,), (8, 0)),
    times=(EPOCH + 99, *(EPOCH + i for i in range(1, 8)), EPOCH + 100, EPOCH + 101),
    tags=(("v1.0", 8),),
    head=9,
)
"""HEAD merges the tag v1.0 and the root commit; the root is the tag's ancestor through seven
commits older than both (a parent newer than its child at the bottom). Distance 1."""

TIE = Graph(parents=((), (0,)), times=(EPOCH, EPOCH + 60), tags=(("v1.0", 0), ("v2.0", 0)), head=1)
"""Two lightweight tags on one commit: vcrelease takes v2.0, git describe v1.0."""


def _git_differs(graph: Graph, path: Path) -> set[str]:
    exact = exact_answer(path)
    found = set()
    if rev_list_count(path, exact.tag) != exact.distance:
        found.add("rev-list-dates")
    described = describe(path)
    if described is not None and described != (exact.tag, exact.distance):
        tie = exact.distances.get(described[0]) == described[1] == exact.distance
        found.add("describe-tie" if tie else "describe-dates")
    return found


WITNESSES: dict[str, tuple[Graph, Callable[[Graph, Path], bool]]] = {
    "describe-tie": (TIE, lambda g, p: "describe-tie" in _git_differs(g, p)),
    "describe-dates": (SKEW_BELOW, lambda g, p: "describe-dates" in _git_differs(g, p)),
    "rev-list-dates": (SKEW_BELOW, lambda g, p: "rev-list-dates" in _git_differs(g, p)),
    "skew-below-stop-without-generations": (
        SKEW_BELOW,
        lambda g, p: ours(p)[:2] != (exact_answer(p).tag, exact_answer(p).distance),
    ),
}
"""A graph per entry of :data:`INTENDED_DIFFERENCES` and a check that the difference occurs."""


@pytest.mark.parametrize("name", sorted(INTENDED_DIFFERENCES))
def test_every_intended_difference_still_occurs(name: str, tmp_path: Path) -> None:
    graph, occurs = WITNESSES[name]
    write_repository(graph, tmp_path / "r")
    assert occurs(graph, tmp_path / "r"), f"{name} no longer occurs: remove it from the table"


def test_skew_below_the_stop_is_exact_with_a_commit_graph(tmp_path: Path) -> None:
    """The one inexact case needs both a skew below the stop and no generation numbers."""
    graph = Graph(SKEW_BELOW.parents, SKEW_BELOW.times, SKEW_BELOW.tags, SKEW_BELOW.head, "full")
    write_repository(graph, tmp_path / "r")
    assert ours(tmp_path / "r")[:2] == ("v1.0", 1) == _exact(tmp_path / "r")[:2]


def _exact(path: Path) -> tuple[str | None, int, dict[str, int]]:
    answer: Answer = exact_answer(path)
    return answer.tag, answer.distance, answer.distances


# Regressions: each graph gave a wrong version with exit 0 before the walk was exact; each
# is checked without a commit-graph and with one, except where the skew needs generation
# numbers (SKEW_BELOW).
REGRESSIONS: dict[str, Graph] = {
    "unrelated histories merged, same second": Graph(
        parents=((), (0,), (), (2,), (1, 3)),
        times=(EPOCH,) * 5,
        tags=(("v1.0", 1), ("v2.0", 3)),
        head=4,
    ),
    "skewed times": SKEW_BELOW,
    "two roots merged, same second": Graph(
        parents=((), (), (1,), (0,), (3, 2)),
        times=(EPOCH + 1, EPOCH + 1, EPOCH + 1, EPOCH + 1, EPOCH + 2),
        tags=(("v0.0", 3), ("v0.1", 2), ("v2.0", 2)),
        head=4,
    ),
    # A tagged merge (v1.0 on commit 3) that merges commit 1 again, an ancestor of its first
    # parent; one second for all: the walk said v1.0 + 5, which v0.1 is.
    "tagged merge re-merging an ancestor, same second": Graph(
        parents=((), (0,), (1,), (2, 1), (0,), (4, 0), (5,), (6,), (7, 3), (8, 7)),
        times=(EPOCH,) * 10,
        tags=(("v0.1", 7), ("v1.0", 3), ("v1.1", 0), ("v1.2", 6)),
        head=9,
    ),
    # The single-root history of 19 commits with three tags, times in order: git describe
    # and rev-list say v0.8.0 + 10; the walk said v2.6.2 + 10 (its count is 11): it left
    # v2.6.2's count partial and compared it with the winner's.
    "single root, three tags, times in order": Graph(
        parents=(
            *((), (0,), (0,), (2, 0), (3,), (4,), (5,), (6, 4), (7,), (8,)),
            *((9,), (10,), (11, 0), (2,), (13, 1), (14,), (15, 1), (16, 8), (17,)),
        ),
        times=tuple(EPOCH + 60 * i for i in range(19)),
        tags=(("v0.8.0", 14), ("v2.4.14", 0), ("v2.6.2", 4)),
        head=18,
    ),
    # The same fault on the winner itself: a count of 6 where 7 commits separate it.
    "single root, a partial count, times in order": Graph(
        parents=(
            *((), (0,), (1, 0), (2,), (3,), (2,), (1,), (6,), (2,), (8,)),
            *((9,), (10,), (11,), (12, 1), (3,), (14, 5), (15, 14), (16,), (17, 12)),
        ),
        times=tuple(EPOCH + 60 * i for i in range(19)),
        tags=(("v1.7.6", 15), ("v2.5.10", 12), ("v2.6.17", 13)),
        head=18,
    ),
}


@pytest.mark.parametrize(
    ("name", "graph_mode"),
    [
        (name, mode)
        for name, graph in sorted(REGRESSIONS.items())
        for mode in (("full", "partial") if graph.skewed() else ("none", "full"))
    ],
)
def test_regression(name: str, graph_mode: str, tmp_path: Path) -> None:
    base = REGRESSIONS[name]
    graph = Graph(base.parents, base.times, base.tags, base.head, graph_mode)
    path = tmp_path / "r"
    write_repository(graph, path)
    tag, distance, candidates = ours(path)
    exact = _exact(path)
    assert (tag, distance) == exact[:2]
    assert all(exact[2][name] == d for name, d in candidates.items()), candidates
