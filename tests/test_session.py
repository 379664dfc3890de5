"""The repository session (``vcrelease.git.open``): one read of the refs shared by every query
of a command, the repository files opened only when a query needs them, and the describe
cache's code stamp covering every module of the package."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest

import vcrelease.git
from gitutil import commit, git, new_repo, run_git
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError
from vcrelease.git import cache

TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """v1.0, v1.1 and v1.2 on three commits in a line, one commit after; refs packed."""
    path = new_repo(tmp_path / "r", files={"f.txt": "0\n"}, tags=["v1.0"])
    for i in (1, 2):
        commit(path, f"c{i}", {"f.txt": f"{i}\n"}, when=i)
        git(path, "tag", f"v1.{i}")
    commit(path, "c3", {"f.txt": "3\n"}, when=3)
    git(path, "pack-refs", "--all")
    return path


def test_queries_of_one_session_share_the_refs_read_once(repo: Path) -> None:
    """Once a session has read the refs, deleting packed-refs (every tag) and corrupting HEAD
    changes none of its answers: it does not read them again. A new session sees the damage."""
    with vcgit.open(repo) as session:
        described = session.describe(parse)
        assert (described.tag, described.distance) == ("v1.2", 1)
        (repo / ".git" / "packed-refs").unlink()
        (repo / ".git" / "HEAD").write_text("garbage\n")
        assert [t.name for t in session.version_tags(parse)] == ["v1.0", "v1.1", "v1.2"]
        assert session.head_state().node == described.node
        assert session.describe(parse) == described
    with vcgit.open(repo) as fresh, pytest.raises(RepositoryError, match="cannot read HEAD"):
        fresh.head_state()


def test_open_reads_nothing_until_a_query(repo: Path) -> None:
    """Opening only finds the work tree: a broken repository fails at the first query, so a
    command whose version comes from elsewhere never trips over it."""
    (repo / ".git" / "HEAD").unlink()
    with vcgit.open(repo) as session:
        assert session.root == repo.resolve()
        with pytest.raises(RepositoryError, match="not a readable git repository"):
            session.version_tags(parse)


def test_open_outside_a_work_tree_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="not inside a git work tree"):
        vcgit.open(tmp_path)


def test_cache_code_stamp_covers_every_module_of_the_package() -> None:
    """The cached history depends on every module of vcrelease.git: each one is stamped."""
    stamps = cache.code_stamps()
    names = [m.name for m in pkgutil.iter_modules(vcrelease.git.__path__)]
    assert len(names) >= 10
    for name in names:
        assert any(s.startswith(f"{name}.py:") for s in stamps), name


def test_describe_pauses_the_cyclic_collector_and_restores_it(tmp_path: Path) -> None:
    """A describe of 3,000 tags makes tens of thousands of tuples and no cycle: no collection
    runs while it reads (``collector_paused``; without it, about 35), and the collector is as
    it was afterwards, after an error too, and stays off when it was off."""
    import gc

    path = new_repo(tmp_path / "r", files={"f.txt": "0\n"})
    head = git(path, "rev-parse", "HEAD").strip()
    refs = "".join(f"create refs/tags/v1.{i} {head}\n" for i in range(3000))
    run_git(["update-ref", "--stdin"], path, input=refs)
    git(path, "pack-refs", "--all")
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        described = vcgit.describe(path, parse)
        assert (described.tag, described.distance) == ("v1.2999", 0)  # ties: the highest version
        # At most the one collection that the block's allocations call for, once it ends.
        assert len(collections) <= 1, collections
        assert gc.isenabled()
        (path / ".git" / "HEAD").write_text("garbage\n")
        with pytest.raises(RepositoryError):
            vcgit.describe(path, parse)
        assert gc.isenabled()
        gc.disable()
        try:
            with pytest.raises(RepositoryError):
                vcgit.describe(path, parse)
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        gc.callbacks.remove(count)
