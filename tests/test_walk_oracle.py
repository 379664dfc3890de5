"""The walk against the exact answer (set arithmetic on ``git rev-list --parents HEAD``,
:func:`walkgraphs.exact_answer`) on random histories whose commit times are equal, skewed (a
parent newer than its child) or in order, with merges; and against ``git rev-list --count
TAG..HEAD`` where the times decrease strictly along every parent edge (git's date walk is
exact there). ``tests/test_walk_dag.py`` draws more shapes with hypothesis.

Each history is written with ``git fast-import`` (one process per repository); the commits,
their parents and their committer times are drawn from a seeded random generator, so a
failure names the seed that reproduces it.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gitutil import fast_import, git, isolate_like_git
from vcrelease.git.session import open_repository
from walkgraphs import exact_answer


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def _parse(name: str) -> str | None:
    return name[1:] if name.startswith("v") else None


def _random_history(seed: int, path: Path, *, graph: bool) -> tuple[bool, bool]:
    """Writes the history of ``seed``; (times strictly in order along every edge, some
    parent strictly newer than its child)."""
    rng = random.Random(seed)
    count = rng.randint(6, 18)
    lines = []
    times = []
    parents: list[list[int]] = []
    for i in range(count):
        if i == 0:
            ps: list[int] = []
        else:
            ps = [rng.randrange(i) if rng.random() < 0.3 else i - 1]
            if i > 2 and rng.random() < 0.35:
                other = rng.randrange(i)
                if other not in ps:
                    ps.append(other)
        parents.append(ps)
        style = rng.random()
        if style < 0.3:
            when = 1_700_000_000  # equal times
        elif style < 0.6:
            when = 1_700_000_000 + rng.randrange(-5000, 5000)  # skewed
        else:
            when = 1_700_000_000 + 60 * i
        times.append(when)
        lines += [f"commit refs/heads/c{i}", f"mark :{i + 1}"]
        lines += [f"committer Ada <ada@example.org> {when} +0000", "data 2", f"{i:02d}"]
        lines += [("from" if j == 0 else "merge") + f" :{p + 1}" for j, p in enumerate(ps)]
        lines.append("")
    tagged = rng.randrange(count)
    # HEAD: a commit that is not a parent of any other one, the last preferred.
    children = {p for ps in parents for p in ps}
    tips = [i for i in range(count) if i not in children]
    head = tips[-1]
    lines += ["reset refs/heads/main", f"from :{head + 1}", ""]
    lines += [f"reset refs/tags/v1.{tagged}", f"from :{tagged + 1}", ""]
    fast_import(path, lines)
    if graph:
        git(path, "commit-graph", "write", "--reachable")
    edges = [(times[p], times[c]) for c, ps in enumerate(parents) for p in ps]
    return all(p < c for p, c in edges), any(p > c for p, c in edges)


def _rev_list_count(path: Path, *args: str) -> int:
    return int(git(path, "rev-list", "--count", *args))


@pytest.mark.parametrize("graph", [False, True], ids=["objects", "commit-graph"])
@pytest.mark.parametrize("seed", range(60))
def test_distance_is_exact(seed: int, graph: bool, tmp_path: Path) -> None:
    in_order, _ = _random_history(seed, tmp_path, graph=graph)
    with open_repository(tmp_path) as repo:
        history = repo.history(_parse)
    exact = exact_answer(tmp_path, _parse)
    # exact on every seed, even the skewed ones without a commit-graph (no skew hides below
    # where the walk stops: INTENDED_DIFFERENCES, "skew-below-stop-without-generations")
    assert (history.tag, history.distance) == (exact.tag, exact.distance), seed
    assert all(exact.distances[c.name] == c.distance for c in history.candidates), seed
    if in_order:
        spec = "HEAD" if exact.tag is None else f"refs/tags/{exact.tag}..HEAD"
        assert _rev_list_count(tmp_path, spec) == exact.distance, seed
