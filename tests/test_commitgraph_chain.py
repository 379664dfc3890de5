"""Split commit-graph chains loaded as git loads them, and a describe cache that a rewritten
graph invalidates (``gitformat-commit-graph``, "Chains"; ``commit-graph.c``,
``load_commit_graph_chain``).

A layer is used only when its ``BASE`` chunk lists the layers below it as the chain file
names them; at the first layer that does not match (or is missing, or a line that is no id)
git warns and uses the layers below. The layers here are made by git and then recombined, as a
partial rewrite or a copy between clones leaves them; each answer is held against
``git describe`` and ``git rev-list --count``.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest

from gitutil import git, linear_history, parse_describe, run_git
from vcrelease import git as vcgit
from vcrelease.git import cache

TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


def linear(path: Path, count: int = 10, tag_at: int = 2) -> list[str]:
    """``count`` commits in a line, ``v1.0`` on commit ``tag_at``; their ids, oldest first."""
    return linear_history(path, count, tag_at)


def graphs(repo: Path) -> Path:
    return repo / ".git" / "objects" / "info" / "commit-graphs"


def write_layer(repo: Path, commits: list[str]) -> None:
    run_git(
        ["commit-graph", "write", "--stdin-commits", "--split=no-merge"],
        repo,
        input="\n".join(commits) + "\n",
    )


def git_says(repo: Path) -> tuple[tuple[str | None, int, str], int, str]:
    """((tag, distance, node) by ``git describe``, ``git rev-list --count``, the describe's
    stderr)."""
    done = run_git(["describe", "--tags", "--long", "--abbrev=40"], repo)
    count = int(git(repo, "rev-list", "--count", "v1.0..HEAD"))
    described = parse_describe(done.stdout)
    return (described.tag, described.distance, described.node), count, done.stderr


def ours(repo: Path, tag_key: str | None = None) -> tuple[tuple[str | None, int, str], int]:
    """((tag, distance, node), distance) by vcrelease; through the describe cache with a
    ``tag_key``."""
    state = vcgit.describe(repo, parse, tag_key=tag_key)
    return (state.tag, state.distance, state.node), state.distance


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.DISABLE_VARIABLE, "1")


@pytest.mark.parametrize("damage", ["other base", "missing layer", "not an id", "no base chunk"])
def test_a_chain_that_does_not_match_is_cut_as_git_cuts_it(tmp_path: Path, damage: str) -> None:
    repo = tmp_path / "r"
    commits = linear(repo)
    write_layer(repo, commits[:5])
    write_layer(repo, commits)  # the top layer: commits 5..9 over the first five
    chain = graphs(repo) / "commit-graph-chain"
    base, top = chain.read_text().split()
    if damage == "other base":  # a base of four commits: the top's positions point elsewhere
        keep = graphs(repo) / f"graph-{top}.graph"
        saved = tmp_path / "top.graph"
        shutil.copy(keep, saved)
        shutil.rmtree(graphs(repo))
        write_layer(repo, commits[:4])
        (other,) = chain.read_text().split()
        shutil.copy(saved, keep)
        chain.write_text(f"{other}\n{top}\n")
    elif damage == "missing layer":
        (graphs(repo) / f"graph-{base}.graph").unlink()
    elif damage == "not an id":
        chain.write_text(f"{base}\n{'z' * len(top)}\n")
    else:  # the top layer written as a base of its own, listed above another base
        shutil.rmtree(graphs(repo))
        write_layer(repo, commits[:4])
        (first,) = chain.read_text().split()
        first_layer = (graphs(repo) / f"graph-{first}.graph").read_bytes()
        shutil.rmtree(graphs(repo))
        write_layer(repo, commits[4:])
        (second,) = chain.read_text().split()
        (graphs(repo) / f"graph-{first}.graph").write_bytes(first_layer)
        chain.write_text(f"{first}\n{second}\n")
    described, count, stderr = git_says(repo)
    if damage in ("other base", "no base chunk"):
        assert "commit-graph" in stderr  # git warns and drops the layer
    assert described[:2] == ("v1.0", 7), described
    assert count == 7
    for _ in range(3):  # the same right answer on every run
        assert ours(repo) == (described, count)


def _lie_about_a_parent(graph: Path, child: bytes, parent_position: int) -> None:
    """Rewrite the first parent of ``child`` (raw id) in the single commit-graph file
    ``graph`` to the commit at ``parent_position``: a graph that disagrees with the objects
    (git trusts it too)."""
    data = bytearray(graph.read_bytes())
    chunks = {
        bytes(data[8 + 12 * i : 12 + 12 * i]): struct.unpack_from(">Q", data, 12 + 12 * i)[0]
        for i in range(data[6])
    }
    oids, cdat = chunks[b"OIDL"], chunks[b"CDAT"]
    count = (cdat - oids) // 20
    index = next(i for i in range(count) if data[oids + 20 * i : oids + 20 * i + 20] == child)
    struct.pack_into(">I", data, cdat + 36 * index + 20, parent_position)
    graph.write_bytes(bytes(data))


def test_a_rewritten_graph_invalidates_the_describe_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.DISABLE_VARIABLE)
    cache.clear_memory()
    repo = tmp_path / "r"
    commits = linear(repo)
    git(repo, "commit-graph", "write", "--reachable")
    graph = repo / ".git" / "objects" / "info" / "commit-graph"
    sorted_ids = sorted(commits)
    # commit 6's parent becomes the tagged commit 2: git and the graph say distance 4 now
    _lie_about_a_parent(graph, bytes.fromhex(commits[6]), sorted_ids.index(commits[2]))
    lying, _, _ = git_says(repo)
    assert lying[:2] == ("v1.0", 4)
    assert ours(repo, "v")[0] == lying
    cache.clear_memory()
    assert ours(repo, "v")[0] == lying  # from the disk cache
    graph.unlink()
    git(repo, "commit-graph", "write", "--reachable")  # the graph rewritten, refs unchanged
    right, count, _ = git_says(repo)
    assert right[:2] == ("v1.0", 7)
    assert ours(repo, "v") == (right, count)
    cache.clear_memory()
    assert ours(repo, "v") == (right, count)


def test_the_single_file_is_read_before_a_chain(tmp_path: Path) -> None:
    """git reads ``info/commit-graph`` first and a chain only without it
    (``read_commit_graph_one``): a stale chain beside it (here one that lies) is not read."""
    repo = tmp_path / "r"
    commits = linear(repo)
    git(repo, "commit-graph", "write", "--reachable", "--split")
    saved = tmp_path / "chain"
    shutil.copytree(graphs(repo), saved)
    git(repo, "commit-graph", "write", "--reachable")  # the single file; git empties the chain
    shutil.rmtree(graphs(repo))
    shutil.copytree(saved, graphs(repo))
    (layer,) = graphs(repo).glob("graph-*.graph")
    _lie_about_a_parent(layer, bytes.fromhex(commits[6]), sorted(commits).index(commits[2]))
    described, count, _ = git_says(repo)
    assert described[:2] == ("v1.0", 7)
    assert ours(repo) == (described, count)
