"""Several version tags on one commit: every one is listed by ``version --explain``
and ``describe --json``, and equal versions are decided by one rule (README, "How the version
is found"; ``vcrelease.git.walk.TagIndex.ranked``): the highest version, then the tag name
first in byte order, annotated or not; stable across runs and through the describe cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitutil import commit, git, new_repo, run
from vcrelease import git as vcgit
from vcrelease.git import cache
from vcrelease.git.cache import cache_file, clear_memory


def _repo(path: Path, tags: list[tuple[str, bool]]) -> Path:
    """Two commits; ``v6.0`` on the first; ``tags`` (name, annotated) on the second, created
    in the order given, a second apart."""
    new_repo(path, files={"f.txt": "0\n"}, tags=["v6.0"])
    commit(path, "c1", {"f.txt": "1\n"}, when=1)
    for n, (name, annotated) in enumerate(tags):
        if annotated:
            git(path, "tag", "-a", "-m", name, name, when=10 + n)
        else:
            git(path, "tag", name, when=10 + n)
    return path


ORDERS = {
    "annotated v7.1 first": [("v7.1", True), ("7.1.0", False), ("v7.0", False)],
    "lightweight v7.1 last": [("v7.0", True), ("7.1.0", True), ("v7.1", False)],
}


@pytest.mark.parametrize("order", ORDERS)
def test_equal_versions_on_one_commit_the_name_first_in_byte_order(
    tmp_path: Path, order: str
) -> None:
    repo = _repo(tmp_path / "r", ORDERS[order])
    env = {"VCRELEASE_NO_CACHE": "1"}
    described = run("describe", repo, "--json", **env)
    assert described.returncode == 0, described.stderr
    data = json.loads(described.stdout)
    assert data["tag"] == "7.1.0"  # "7" sorts before "v"
    assert [(c["tag"], c["distance"]) for c in data["candidates"]] == [
        ("7.1.0", 0),
        ("v7.1", 0),
        ("v7.0", 0),
    ]  # v6.0 is behind the winner: the walk stops before it
    result = run("version", repo, "--explain", **env)
    assert (result.returncode, result.stdout) == (0, "7.1.0\n"), result.stderr
    explain = result.stderr
    assert "* 7.1.0 -> 7.1.0, 0 commits back" in explain
    assert "v7.1 -> 7.1, 0 commits back (same commit, same version: 7.1.0 is first" in explain
    assert "v7.0 -> 7.0, 0 commits back (same commit: 7.1.0 is the higher version)" in explain


def test_prefixed_tags_on_one_commit_are_all_listed(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", [("hatchling-v1.32.0", True), ("hatch-v1.18.0", True)])
    data = json.loads(run("describe", repo, "--json").stdout)
    assert data["tag"] == "hatchling-v1.32.0"
    assert [c["tag"] for c in data["candidates"]] == [
        "hatchling-v1.32.0",
        "hatch-v1.18.0",
    ]
    explain = run("version", repo, "--explain").stderr
    assert "hatch-v1.18.0 -> 1.18.0, 0 commits back (same commit: hatchling-v1.32.0" in explain


def _parse(name: str) -> str | None:
    stripped = name[1:] if name.startswith("v") else name
    return stripped if stripped[:1].isdigit() else None


def test_the_rule_holds_through_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.DISABLE_VARIABLE, raising=False)
    repo = _repo(tmp_path / "r", ORDERS["lightweight v7.1 last"])
    clear_memory()
    first = vcgit.describe(repo, _parse, tag_key="ties")  # fills the cache
    path = cache_file(repo / ".git")
    stored = path.read_text()
    assert '"v7.1"' in stored
    assert '"7.1.0"' in stored
    data = json.loads(stored)
    for entry in data["entries"].values():
        entry["distance"] = 999  # proves the second call reads the file
    path.write_text(json.dumps(data))
    clear_memory()
    second = vcgit.describe(repo, _parse, tag_key="ties")
    assert second.distance == 999
    assert (first.tag, second.tag) == ("7.1.0", "7.1.0")
    assert first.candidates == second.candidates
    assert [c.name for c in second.candidates] == ["7.1.0", "v7.1", "v7.0"]
    clear_memory()
