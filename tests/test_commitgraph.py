"""The lazy commit-graph reader against ``git log`` on the same repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import commit, git, new_repo
from vcrelease.git import commitgraph, sortedids
from vcrelease.git.commitgraph import CommitGraph
from vcrelease.git.ids import HexId, RawId


def _history(repo: Path) -> dict[bytes, tuple[tuple[bytes, ...], int]]:
    out = git(repo, "log", "--all", "--format=%H %ct %P")
    history = {}
    for line in out.splitlines():
        sha, when, *parents = line.split()
        history[sha.encode()] = (tuple(p.encode() for p in parents), int(when))
    return history


def _octopus_repo(path: Path) -> Path:
    new_repo(path, files={"f": "0"})
    for n, branch in enumerate(("a", "b", "c"), start=2):
        git(path, "checkout", "-q", "-b", branch, "main")
        commit(path, branch, {branch: branch}, when=n)
    git(path, "checkout", "-q", "main")
    git(path, "merge", "-q", "--no-edit", "a", "b", "c", when=10)
    return path


def test_single_file_graph_matches_git_log(tmp_path: Path) -> None:
    repo = _octopus_repo(tmp_path / "r")
    git(repo, "commit-graph", "write", "--reachable")
    graph = CommitGraph.open(str(repo / ".git" / "objects"))
    assert graph is not None
    try:
        for sha, (parents, when) in _history(repo).items():
            found = graph.lookup(HexId(sha))
            assert found is not None
            assert (found.parents, found.commit_time) == (parents, when)
        assert graph.lookup(HexId(b"0" * 40)) is None
    finally:
        graph.close()


def test_split_chain_matches_git_log_and_misses_newer_commits(tmp_path: Path) -> None:
    repo = _octopus_repo(tmp_path / "r")
    git(repo, "commit-graph", "write", "--reachable", "--split")
    for i in range(3):
        (repo / "f").write_text(f"after {i}")
        git(repo, "commit", "-qam", f"after {i}", when=20 + i)
    git(repo, "commit-graph", "write", "--reachable", "--split=no-merge")
    (repo / "f").write_text("not in the graph")
    git(repo, "commit", "-qam", "newest", when=30)
    chain = repo / ".git" / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert len(chain.read_text().split()) == 2
    graph = CommitGraph.open(str(repo / ".git" / "objects"))
    assert graph is not None
    try:
        head = git(repo, "rev-parse", "HEAD").encode()
        for sha, (parents, when) in _history(repo).items():
            found = graph.lookup(HexId(sha))
            if sha == head:
                assert found is None
                continue
            assert found is not None
            assert (found.parents, found.commit_time) == (parents, when)
    finally:
        graph.close()


def test_no_graph(tmp_path: Path) -> None:
    assert CommitGraph.open(str(tmp_path)) is None


def _linear_repo(path: Path, split: bool = False) -> Path:
    """A root, a side branch merged back, then a line of ten commits (one of them tagged);
    ``split``: a commit-graph layer written after six of them, one more for the rest."""
    repo = _octopus_repo(path)
    for i in range(10):
        if split and i == 6:
            git(repo, "commit-graph", "write", "--reachable", "--split")
        (repo / "f").write_text(f"line {i}")
        git(repo, "commit", "-qam", f"line {i}", when=20 + i)
        if i == 4:
            git(repo, "tag", "v1.0")
    return repo


def _expected_run(
    history: dict[bytes, tuple[tuple[bytes, ...], int]],
    start: bytes,
    stop: set[bytes],
    seen: set[bytes],
) -> tuple[bytes, int]:
    """linear_run's contract, stated on `git log`'s parents."""
    sha, steps = start, 0
    while sha not in stop:
        parents = history[sha][0]
        if len(parents) != 1 or parents[0] in seen:
            break
        sha, steps = parents[0], steps + 1
    return sha, steps


def _check_linear_runs(repo: Path) -> None:
    history = _history(repo)
    tagged = {git(repo, "rev-parse", "v1.0^{commit}").encode()}
    seen_sets = [set(), {git(repo, "rev-parse", "HEAD~7").encode()}]
    graph = CommitGraph.open(str(repo / ".git" / "objects"))
    assert graph is not None
    try:

        def pos(sha: bytes) -> int:
            found = graph.position(RawId(bytes.fromhex(sha.decode())))
            assert found is not None
            return found

        runs = 0
        for start in history:
            for seen in seen_sets:
                end, steps = _expected_run(history, start, tagged, seen)
                got = graph.linear_run(pos(start), {pos(t) for t in tagged}, {pos(s) for s in seen})
                assert got == (pos(end), steps), start
                runs += steps > 1
        assert runs  # some runs are long: the loop really steps
    finally:
        graph.close()


@pytest.mark.parametrize("long_run", [2048, 2, 1])
def test_linear_run_single_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long_run: int
) -> None:
    """With a small _LONG_RUN the runs switch from records to parent columns midway."""
    monkeypatch.setattr(commitgraph, "_LONG_RUN", long_run)
    repo = _linear_repo(tmp_path / "r")
    git(repo, "commit-graph", "write", "--reachable")
    _check_linear_runs(repo)


def test_linear_run_split_chain(tmp_path: Path) -> None:
    repo = _linear_repo(tmp_path / "r", split=True)
    git(repo, "commit-graph", "write", "--reachable", "--split=no-merge")
    chain = repo / ".git" / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert len(chain.read_text().split()) == 2
    _check_linear_runs(repo)


@pytest.mark.parametrize("split", [False, True], ids=["single", "split"])
@pytest.mark.parametrize("prefix_after", [256, 2])
def test_positions_equal_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: bool, prefix_after: int
) -> None:
    """The batch lookup (thousands of tags) against one lookup per id, with and without the
    prefix array (``_PREFIX_AFTER`` 2), for ids in either layer and ids in none."""
    monkeypatch.setattr(sortedids, "_PREFIX_AFTER", prefix_after)
    repo = _linear_repo(tmp_path / "r", split=split)
    git(repo, "commit-graph", "write", "--reachable", *(["--split=no-merge"] if split else []))
    oids = [RawId(bytes.fromhex(sha.decode())) for sha in _history(repo)]
    oids += [RawId(b"\0" * 20), RawId(b"\xff" * 20), RawId(oids[0][:-1] + bytes([oids[0][-1] ^ 1]))]
    graph = CommitGraph.open(str(repo / ".git" / "objects"))
    assert graph is not None
    try:
        single = [graph.position(oid) for oid in oids]
        assert graph.positions(oids) == single
        assert single[-3:] == [None, None, None]
        assert sorted(p for p in single if p is not None) == list(range(len(oids) - 3))
    finally:
        graph.close()
