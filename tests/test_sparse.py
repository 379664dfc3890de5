"""Sparse checkouts in the dirty check, against ``git status`` (git 2.37+: a skip-worktree
file present in the work tree is compared, ``sparse-index.c``
``clear_skip_worktree_from_present_files``). ``git status`` runs with
``--no-optional-locks``: it would otherwise write the cleared bits into the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import git, isolate_like_git, new_repo, run_git
from vcrelease import git as vcgit


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_like_git(monkeypatch)


def git_dirty(repo: Path) -> tuple[str, ...]:
    args = ["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"]
    out = run_git(args, repo).stdout
    return tuple(sorted(line[3:] for line in out.splitlines()))


def ours(repo: Path) -> tuple[str, ...]:
    with vcgit.open(repo) as session:
        return session.head_state().dirty_files


def sparse_repo(path: Path, *args: str) -> Path:
    """``a/x``, ``b/y``, ``b/c/z``, ``t`` committed; then ``git sparse-checkout set ARGS``."""
    new_repo(path, files={"a/x": "1\n", "b/y": "2\n", "b/c/z": "3\n", "t": "top\n"})
    git(path, "sparse-checkout", "set", *args)
    return path


def _put(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)


CASES = {
    "outside_present_with_other_content": ("b/y", "other\n", ()),
    "outside_present_with_the_same_content": ("b/y", "2\n", ()),
    "outside_at_the_top_with_other_content": ("t", "changed\n", ()),
    "outside_present_expected_by_the_setting": (
        "b/y",
        "other\n",
        (("sparse.expectFilesOutsideOfPatterns", "true"),),
    ),
    "outside_present_without_sparse_checkout": (
        "b/y",
        "other\n",
        (("core.sparseCheckout", "false"),),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", ["no-cone", "cone-sparse-index"])
def test_present_skip_worktree_file_as_git_status(case: str, mode: str, tmp_path: Path) -> None:
    args = ("--no-cone", "a") if mode == "no-cone" else ("--cone", "--sparse-index", "a")
    repo = sparse_repo(tmp_path / "r", *args)
    assert not (repo / "b").exists()
    name, text, settings = CASES[case]
    for key, value in settings:
        git(repo, "config", "--worktree", key, value)
    _put(repo, name, text)
    expected = git_dirty(repo)
    differs = case in (
        "outside_present_with_other_content",
        "outside_at_the_top_with_other_content",
    )
    if differs and not (mode == "cone-sparse-index" and name == "t"):  # cone keeps the top
        assert expected == (name,)
    assert ours(repo) == expected


@pytest.mark.parametrize("mode", ["no-cone", "cone-sparse-index"])
def test_a_directory_where_a_skipped_file_was_is_removed_as_for_git(
    mode: str, tmp_path: Path
) -> None:
    args = ("--no-cone", "a") if mode == "no-cone" else ("--cone", "--sparse-index", "a")
    repo = sparse_repo(tmp_path / "r", *args)
    _put(repo, "b/y/inner", "x\n")
    assert ours(repo) == git_dirty(repo) == ("b/y",)


def test_sparse_directory_entry_present_with_a_changed_file(tmp_path: Path) -> None:
    """A sparse index holds ``b/`` as one entry; its directory back in the work tree with one
    changed file: git expands the entry and compares each present file."""
    repo = sparse_repo(tmp_path / "r", "--cone", "--sparse-index", "a")
    listed = run_git(["ls-files", "--sparse", "-t"], repo).stdout
    assert "S b/" in listed.splitlines()
    _put(repo, "b/c/z", "changed\n")
    _put(repo, "b/y", "2\n")
    assert ours(repo) == git_dirty(repo) == ("b/c/z",)
