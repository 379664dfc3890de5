"""The describe cache on real repositories: hits, invalidation on every key change, the dirty
state always fresh, silent failures.

To show that a call used the cache (or did not), the tests *poison* the cache file: every
entry gets the distance :data:`POISON`. A call that returns it read the cache; after a change
of the key it must return the fresh answer instead (the same as the uncached
``vcrelease.git.describe``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitutil import commit, git, new_repo, run
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError
from vcrelease.git import cache
from vcrelease.git.cache import cache_file, clear_memory

POISON = 999_999
TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")
RELEASE_TAG = re.compile(r"^release/v(\d+(?:\.\d+)*)$")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


def parse_release_only(name: str) -> str | None:
    m = RELEASE_TAG.match(name)
    return m.group(1) if m else None


def cached(repo: Path, tag_key: str = "v") -> vcgit.Describe:
    return vcgit.describe(repo, parse if tag_key == "v" else parse_release_only, tag_key=tag_key)


def fresh(repo: Path) -> vcgit.Describe:
    return vcgit.describe(repo, parse)


@pytest.fixture(autouse=True)
def _empty_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(cache.DISABLE_VARIABLE, raising=False)
    clear_memory()
    yield
    clear_memory()


def commit_file(repo: Path, name: str, when: int) -> None:
    """A commit ``name`` at ``when`` that adds (or rewrites) the file ``name``."""
    commit(repo, name, {name: f"{name} {when}\n"}, when)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: c0 - c1 (v1.0.0) - c2 - c3; a branch ``side`` at c2."""
    path = new_repo(tmp_path / "repo", files={"f0.txt": "f0.txt 0\n"})
    commit_file(path, "f1.txt", when=1)
    git(path, "tag", "v1.0.0")
    commit_file(path, "f2.txt", when=2)
    git(path, "branch", "side")
    commit_file(path, "f3.txt", when=3)
    return path


def cache_path(repo: Path) -> Path:
    return cache_file(repo / ".git")


def poison(repo: Path) -> None:
    """Every cached entry says distance POISON; the in-memory copies are dropped."""
    path = cache_path(repo)
    data = json.loads(path.read_text())
    assert data["entries"], "nothing was cached"
    for entry in data["entries"].values():
        entry["distance"] = POISON
    path.write_text(json.dumps(data))
    clear_memory()


def test_first_call_writes_the_cache_and_equals_describe(repo: Path) -> None:
    got = cached(repo)
    assert got == fresh(repo)
    assert (got.tag, got.distance, got.dirty) == ("v1.0.0", 2, False)
    assert cache_path(repo).is_file()
    assert not (repo / ".git" / "vcrelease").samefile(repo)  # outside the work tree
    assert "vcrelease" not in git(repo, "status", "--porcelain", "--ignored")


def test_second_call_reads_the_cache(repo: Path) -> None:
    cached(repo)
    poison(repo)
    assert cached(repo).distance == POISON  # unchanged refs: the history comes from the file


def test_in_memory_hit_without_the_file(repo: Path) -> None:
    first = cached(repo)
    cache_path(repo).unlink()
    assert cached(repo) == first
    assert not cache_path(repo).exists()  # answered from memory: nothing read or written


def _new_commit(repo: Path) -> None:
    commit_file(repo, "new.txt", when=10)


def _new_lightweight_tag(repo: Path) -> None:
    git(repo, "tag", "v1.1.0")


def _new_annotated_tag_on_old_commit(repo: Path) -> None:
    git(repo, "tag", "-a", "-m", "old", "v0.9.0", "HEAD~3")


def _new_nested_tag(repo: Path) -> None:
    git(repo, "tag", "release/v2.0.0", "HEAD~1")


def _deleted_tag(repo: Path) -> None:
    git(repo, "tag", "-d", "v1.0.0")


def _tag_moved_same_second(repo: Path) -> None:
    git(repo, "tag", "-f", "v1.0.0", "HEAD~1")


def _branch_moved(repo: Path) -> None:
    git(repo, "reset", "-q", "--hard", "HEAD~1")


def _branch_moved_by_update_ref(repo: Path) -> None:
    git(repo, "update-ref", "refs/heads/main", "HEAD~2")
    git(repo, "reset", "-q", "--hard")


def _other_branch_same_commit(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")


def _switched_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "side")


def _detached_head(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")


def _refs_packed(repo: Path) -> None:
    git(repo, "pack-refs", "--all")


def _tag_moved_and_packed(repo: Path) -> None:
    """packed-refs rewritten to the same size: only its content tells."""
    git(repo, "tag", "-f", "v1.0.0", "HEAD~1")
    git(repo, "pack-refs", "--all")


def _branch_moved_and_packed(repo: Path) -> None:
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "pack-refs", "--all")


def _shallow_file(repo: Path) -> None:
    (repo / ".git" / "shallow").write_text(git(repo, "rev-parse", "v1.0.0") + "\n")


CHANGES: dict[str, Callable[[Path], None]] = {
    "new commit": _new_commit,
    "new lightweight tag": _new_lightweight_tag,
    "new annotated tag on an old commit": _new_annotated_tag_on_old_commit,
    "new tag in a tag directory": _new_nested_tag,
    "deleted tag": _deleted_tag,
    "tag moved in the same second": _tag_moved_same_second,
    "branch moved (reset)": _branch_moved,
    "branch moved (update-ref)": _branch_moved_by_update_ref,
    "other branch on the same commit": _other_branch_same_commit,
    "switched branch": _switched_branch,
    "detached HEAD": _detached_head,
    "refs packed": _refs_packed,
    "tag moved and packed": _tag_moved_and_packed,
    "branch moved and packed": _branch_moved_and_packed,
    "shallow file": _shallow_file,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_every_key_change_invalidates(repo: Path, change: str) -> None:
    cached(repo)
    poison(repo)
    CHANGES[change](repo)
    got = cached(repo)
    assert got.distance != POISON
    assert got == fresh(repo)
    assert got.branch == fresh(repo).branch


@pytest.mark.parametrize(
    "change",
    [
        "deleted tag",
        "tag moved in the same second",
        "new lightweight tag",
        "new commit",
        "tag moved and packed",
        "branch moved and packed",
    ],
)
def test_every_key_change_invalidates_with_packed_refs(repo: Path, change: str) -> None:
    git(repo, "pack-refs", "--all")
    size = (repo / ".git" / "packed-refs").stat().st_size
    cached(repo)
    poison(repo)
    CHANGES[change](repo)
    got = cached(repo)
    assert got.distance != POISON
    assert got == fresh(repo)
    if change.endswith("and packed"):
        assert (repo / ".git" / "packed-refs").stat().st_size == size
        assert not list((repo / ".git" / "refs" / "tags").iterdir())


def test_tag_settings_are_part_of_the_key(repo: Path) -> None:
    git(repo, "tag", "release/v3.0.0", "HEAD~2")
    assert cached(repo).tag == "v1.0.0"
    poison(repo)
    other = cached(repo, tag_key="release/")  # another pattern: not the poisoned entry
    assert (other.tag, other.distance) == ("release/v3.0.0", 2)
    assert cached(repo).distance == POISON  # both entries kept (a monorepo's packages)
    data = json.loads(cache_path(repo).read_text())
    assert len(data["entries"]) == 2


def test_modified_file_is_dirty_with_a_warm_cache(repo: Path) -> None:
    assert not cached(repo).dirty
    (repo / "f1.txt").write_text("changed\n")
    got = cached(repo)  # a memory hit: the history is reused, the dirty state is not
    assert (got.dirty, got.dirty_files) == (True, ("f1.txt",))
    clear_memory()
    got = cached(repo)  # a disk hit
    assert (got.dirty, got.dirty_files) == (True, ("f1.txt",))
    assert got == fresh(repo)
    git(repo, "checkout", "--", "f1.txt")
    assert not cached(repo).dirty


def test_same_size_same_second_change_is_dirty(repo: Path) -> None:
    """The index was written in the same second as the file: racily clean, so hashed."""
    (repo / "f1.txt").write_text("f1.txt 1\n")  # the committed content
    git(repo, "add", "f1.txt")
    assert not cached(repo).dirty
    (repo / "f1.txt").write_text("f1.txt 9\n")  # same size, probably the same mtime second
    assert cached(repo).dirty_files == ("f1.txt",)


def test_staged_and_deleted_files_are_dirty_with_a_warm_cache(repo: Path) -> None:
    cached(repo)
    (repo / "f2.txt").write_text("staged\n")
    git(repo, "add", "f2.txt")
    (repo / "f0.txt").unlink()
    got = cached(repo)
    assert got.dirty_files == ("f0.txt", "f2.txt")
    assert got == fresh(repo)


def test_ignored_path_is_never_dirty(repo: Path) -> None:
    cached(repo)
    (repo / "f3.txt").write_text("the version file\n")
    got = vcgit.describe(repo, parse, tag_key="v", ignore_dirty=["f3.txt"])
    assert not got.dirty


def test_unwritable_cache_location_is_silent(repo: Path) -> None:
    (repo / ".git" / "vcrelease").write_text("a file where the cache directory goes\n")
    assert cached(repo) == fresh(repo)
    clear_memory()
    assert cached(repo) == fresh(repo)
    assert (repo / ".git" / "vcrelease").read_text().startswith("a file")


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[1, 2]", b'{"format": 1, "entries": {"k": 1}}', b"\xff\xfe"],
)
def test_corrupt_cache_file_is_ignored_and_replaced(repo: Path, content: bytes) -> None:
    path = cache_path(repo)
    path.parent.mkdir()
    path.write_bytes(content)
    assert cached(repo) == fresh(repo)
    assert json.loads(path.read_text())["format"] == cache.FORMAT


def test_malformed_entry_under_the_right_key_is_ignored(repo: Path) -> None:
    cached(repo)
    data = json.loads(cache_path(repo).read_text())
    for key in data["entries"]:
        data["entries"][key] = {"tag": 5, "distance": "two"}
    cache_path(repo).write_text(json.dumps(data))
    clear_memory()
    assert cached(repo) == fresh(repo)


def test_disabled_by_the_environment(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.DISABLE_VARIABLE, "1")
    assert cached(repo) == fresh(repo)
    assert not cache_path(repo).exists()


def test_errors_are_not_cached(repo: Path) -> None:
    (repo / ".git" / "refs" / "tags" / "v9.9.9").write_text("0123456789abcdef" * 2 + "01234567\n")
    for _ in range(2):
        with pytest.raises(RepositoryError, match=r"v9\.9\.9"):
            cached(repo)
    assert not cache_path(repo).exists()


def test_disk_entries_are_bounded(repo: Path) -> None:
    for i in range(cache.DISK_ENTRIES + 3):
        vcgit.describe(repo, parse, tag_key=f"pattern {i}")
    data = json.loads(cache_path(repo).read_text())
    assert len(data["entries"]) == cache.DISK_ENTRIES


def test_linked_worktree_keeps_its_own_cache(repo: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), "side")
    main_state = cached(repo)
    wt_state = cached(wt)
    assert (wt_state.branch, wt_state.distance) == ("side", 1)
    assert wt_state == vcgit.describe(wt, parse)
    assert main_state.branch == "main"
    assert cache_file(repo / ".git" / "worktrees" / "wt").is_file()
    commit_file(wt, "wt.txt", when=20)  # moves `side`, a ref both work trees share
    poison(repo)
    assert cached(wt).distance == 2


def test_the_cli_gives_the_same_version_twice(repo: Path) -> None:
    first = run("version", repo)
    assert first.returncode == 0, first.stderr
    assert cache_path(repo).is_file()
    second = run("version", repo)
    assert second.stdout == first.stdout
    (repo / "f0.txt").write_text("dirty now\n")
    third = run("version", repo, SOURCE_DATE_EPOCH="1767225600")
    assert third.stdout.strip() == first.stdout.strip() + ".d20260101"


def test_the_store_stamp_changes_with_every_input_it_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each input the describe cache keys besides the refs (:func:`cache.store_stamp`) changes
    the key: the commit-graph, a pack, the alternates, the config, the variables."""
    from vcrelease.git.repository import GitRepo

    repo = new_repo(tmp_path / "r")
    monkeypatch.delenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", raising=False)
    other = tmp_path / "other.git"
    git(tmp_path, "init", "-q", "--bare", str(other))

    def stamp() -> str:
        with GitRepo.open(repo) as files:
            return cache.store_stamp(files)

    steps: list[Callable[[], object]] = [
        lambda: git(repo, "commit-graph", "write", "--reachable"),
        lambda: git(repo, "gc", "-q"),
        lambda: (repo / ".git" / "objects" / "info" / "alternates").write_text(
            f"{other / 'objects'}\n"
        ),
        lambda: (  # an alternate's graph
            git(repo, "push", "-q", str(other), "HEAD:refs/heads/main"),
            git(other, "commit-graph", "write", "--reachable"),
        ),
        lambda: git(repo, "config", "core.commitGraph", "false"),
        lambda: monkeypatch.setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", str(tmp_path)),
        lambda: monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.usereplacerefs'='false'"),
    ]
    seen = {stamp()}
    for step in steps:
        step()
        now = stamp()
        assert now not in seen, step
        seen.add(now)
    assert stamp() in seen  # nothing else moves it
