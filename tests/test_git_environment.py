"""``GIT_DIR``, ``GIT_WORK_TREE``, ``GIT_COMMON_DIR`` and ``GIT_INDEX_FILE`` choose the
repository, the work tree and the index as they do for git (``git help git``, "ENVIRONMENT";
``gitrepository-layout``): each case is compared with ``git describe`` and ``git status``
run under the same variables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitutil import git, isolate_like_git, new_repo, run, run_git
from vcrelease import git as vcgit


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def git_under(cwd: Path, env: dict[str, str], *args: str) -> str:
    """``git ARGS`` in ``cwd`` with :func:`git_env` plus ``env`` (the variables under test)."""
    return run_git(list(args), cwd, env=env).stdout.rstrip("\n")


def git_truth(cwd: Path, env: dict[str, str]) -> tuple[str, list[str]]:
    """(``git describe --tags --long --dirty``, ``git status`` paths) under ``env``."""
    described = git_under(cwd, env, "describe", "--tags", "--long", "--dirty", "--abbrev=7")
    status = git_under(cwd, env, "status", "--porcelain", "--untracked-files=no")
    return described, sorted(line[3:] for line in status.splitlines())


def ours(cwd: Path, path: Path, env: dict[str, str]) -> tuple[str, list[str]]:
    described = run("describe", path, cwd=cwd, VCRELEASE_NO_CACHE="1", **env)
    assert described.returncode == 0, described.stderr
    data = json.loads(run("describe", path, "--json", cwd=cwd, **env).stdout)
    return described.stdout.strip(), data["dirty_files"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``v1.0`` then two commits; ``a.txt`` edited in the work tree (dirty)."""
    path = tmp_path / "work"
    files = {"a.txt": "0\n", "b.txt": "0\n"}
    new_repo(path, files=files, pyproject="[tool.vcrelease]\n", tags=["v1.0"], commits_after_tag=2)
    (path / "a.txt").write_text("edited\n")
    return path


def test_git_dir_elsewhere_with_the_current_directory_as_work_tree(
    repo: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store.git"
    shutil.move(repo / ".git", store)
    env = {"GIT_DIR": str(store)}
    truth = git_truth(repo, env)
    assert truth[1] == ["a.txt"]
    assert ours(repo, repo, env) == truth
    # without the variable there is no repository here at all
    assert run("describe", repo, cwd=repo).returncode == 3


def test_git_dir_and_git_work_tree_from_anywhere(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.git"
    shutil.move(repo / ".git", store)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_DIR": str(store), "GIT_WORK_TREE": str(repo)}
    truth = git_truth(elsewhere, env)
    assert ours(elsewhere, repo, env) == truth
    relative = {"GIT_DIR": "../store.git", "GIT_WORK_TREE": "../work"}
    assert ours(elsewhere, repo, relative) == git_truth(elsewhere, relative) == truth


def test_git_dir_with_core_worktree(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store.git"
    shutil.move(repo / ".git", store)
    git_under(tmp_path, {"GIT_DIR": str(store)}, "config", "core.worktree", "../work")
    env = {"GIT_DIR": str(store)}
    truth = git_truth(tmp_path, env)
    assert truth[1] == ["a.txt"]
    assert ours(tmp_path, repo, env) == truth


def test_git_index_file_is_the_index_of_the_dirty_check_and_the_file_list(repo: Path) -> None:
    git(repo, "checkout", "-q", "--", "a.txt")
    shutil.copy(repo / ".git" / "index", repo / ".git" / "other-index")
    (repo / "c.txt").write_text("new\n")
    env = {"GIT_INDEX_FILE": ".git/other-index"}  # relative to the work tree's top
    git_under(repo, env, "add", "c.txt")
    git_under(repo, env, "rm", "-q", "--cached", "b.txt")
    truth = git_truth(repo, env)
    assert truth[1] == ["b.txt", "c.txt"]
    assert ours(repo, repo, env) == truth
    assert ours(repo, repo, {})[1] == git_truth(repo, {})[1] == []


def test_git_index_file_gives_the_sdist_file_list(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(repo / ".git" / "index", repo / ".git" / "other-index")
    (repo / "c.txt").write_text("new\n")
    env = {"GIT_INDEX_FILE": ".git/other-index"}
    git_under(repo, env, "add", "c.txt")
    git_under(repo, env, "rm", "-q", "--cached", "b.txt")
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/other-index")
    with vcgit.open(repo) as session:
        files = session.tracked_files()
    assert files == tuple(git_under(repo, env, "ls-files").splitlines())
    assert "c.txt" in files
    assert "b.txt" not in files


def test_git_index_file_naming_no_file_is_an_empty_index(repo: Path) -> None:
    env = {"GIT_INDEX_FILE": str(repo / "no-such-index")}
    truth = git_truth(repo, env)
    assert truth[1] == ["a.txt", "b.txt", "pyproject.toml"]  # every file a staged deletion
    assert ours(repo, repo, env) == truth


def test_git_common_dir_names_the_common_directory(repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "--detach", str(linked), "HEAD~1")
    git_dir = Path(git(linked, "rev-parse", "--absolute-git-dir"))
    env = {"GIT_DIR": str(git_dir), "GIT_COMMON_DIR": str(repo / ".git")}
    (linked / "b.txt").write_text("edited\n")
    truth = git_truth(linked, env)
    assert truth[0].startswith("v1.0-1-g")
    assert truth[1] == ["b.txt"]
    # Only the variable names the common directory now. git 2.39 reads refs from the
    # repository's own (refs/files-backend.c, get_common_dir_noenv: here the linked gitdir,
    # with no tags) and objects from the variable's: a mix of two repositories, so vcrelease
    # refuses instead of choosing one (exit 3, naming the variable and the fix).
    (git_dir / "commondir").unlink()
    refused = run("describe", linked, cwd=linked, **env)
    assert refused.returncode == 3, refused.stderr
    assert "GIT_COMMON_DIR" in refused.stderr
    assert "commondir" in refused.stderr
    assert "Traceback" not in refused.stderr
    mixed = run_git(["describe", "--tags"], linked, env=env, check=False)
    assert mixed.returncode != 0  # git finds no tag in that mix
    # without the variable the linked worktree has no objects: a clear error
    assert run("describe", linked, cwd=linked, GIT_DIR=str(git_dir)).returncode == 3
