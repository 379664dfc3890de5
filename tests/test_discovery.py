"""Finding the repository as git finds it (``git`` "ENVIRONMENT", ``setup.c``):
``GIT_CEILING_DIRECTORIES``, ``core.worktree`` and ``core.bare`` in a discovered ``.git``, and
the repository format git refuses (``core.repositoryformatversion``, ``extensions.*``). Each
case is held against ``git rev-parse`` / ``git status`` on the same directories."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitutil import git, isolate_like_git, new_repo, run, run_git
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError
from vcrelease.git.repository import find_work_tree


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_like_git(monkeypatch)


@pytest.fixture
def outer(tmp_path: Path) -> Path:
    """A repository ``outer`` tagged ``v1.0``, and below it ``sub/proj`` (not a repository)."""
    path = new_repo(tmp_path / "outer", files={"a.txt": "a\n"}, tags=["v1.0"])
    (path / "sub" / "proj").mkdir(parents=True)
    return path


def git_toplevel(cwd: Path, env: dict[str, str]) -> Path | None:
    done = run_git(["rev-parse", "--show-toplevel"], cwd, env=env, check=False)
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def _ceilings(outer: Path, tmp: Path) -> dict[str, str]:
    (tmp / "link").symlink_to(outer / "sub")
    return {
        "parent_of_the_project": str(outer / "sub"),
        "the_repository_top": str(outer),
        "the_project_itself": str(outer / "sub" / "proj"),
        "above_the_repository": str(tmp),
        "a_relative_entry_is_ignored": "outer/sub",
        "a_symbolic_link_is_resolved": str(tmp / "link"),
        "after_an_empty_entry_not_resolved": os.pathsep + str(tmp / "link"),
        "one_of_several": os.pathsep.join([str(tmp / "nowhere"), str(outer / "sub")]),
        "trailing_separator": str(outer / "sub") + "/",
    }


@pytest.mark.parametrize(
    "case",
    [
        "parent_of_the_project",
        "the_repository_top",
        "the_project_itself",
        "above_the_repository",
        "a_relative_entry_is_ignored",
        "a_symbolic_link_is_resolved",
        "after_an_empty_entry_not_resolved",
        "one_of_several",
        "trailing_separator",
    ],
)
def test_ceiling_directories_as_git(
    case: str, outer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ceiling = _ceilings(outer, tmp_path)[case]
    project = outer / "sub" / "proj"
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", ceiling)
    expected = git_toplevel(project, {"GIT_CEILING_DIRECTORIES": ceiling})
    assert find_work_tree(project) == expected


def test_below_the_ceiling_a_project_gets_no_version_from_above(outer: Path) -> None:
    project = outer / "sub" / "proj"
    (project / "pyproject.toml").write_text("[tool.vcrelease]\n")
    result = run("version", cwd=project, GIT_CEILING_DIRECTORIES=str(outer / "sub"))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "No version for" in result.stderr  # the path of a project outside any repository
    assert run("version", cwd=project).stdout.startswith("1.0")  # without it: outer's


@pytest.fixture
def moved(tmp_path: Path) -> tuple[Path, Path]:
    """(directory holding the ``.git``, the work tree ``core.worktree`` names): a repository
    whose ``.git`` was moved away from its files, ``a.txt`` edited."""
    tree = new_repo(tmp_path / "tree", files={"a.txt": "a\n", "b.txt": "b\n"}, tags=["v2.0"])
    holder = tmp_path / "holder"
    holder.mkdir()
    shutil.move(str(tree / ".git"), str(holder / ".git"))
    git(holder, "config", "core.worktree", "../../tree")  # relative to the .git directory
    (tree / "a.txt").write_text("edited\n")
    return holder, tree


def test_core_worktree_of_a_discovered_git_moves_the_work_tree(moved: tuple[Path, Path]) -> None:
    holder, tree = moved
    status = git(holder, "--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    assert status == "M a.txt"
    assert find_work_tree(holder) == tree.resolve()
    with vcgit.open(holder) as session:
        assert session.head_state().dirty_files == ("a.txt",)
        assert session.describe(lambda t: t[1:]).dirty


def test_core_worktree_absolute(moved: tuple[Path, Path]) -> None:
    holder, tree = moved
    git(holder, "config", "core.worktree", str(tree))
    (tree / "a.txt").write_text("a\n")
    assert git(holder, "--no-optional-locks", "status", "--porcelain", "-uno") == ""
    with vcgit.open(holder) as session:
        assert session.head_state().dirty_files == ()


def test_bare_repository_found_as_dot_git_is_refused_as_git_refuses_it(outer: Path) -> None:
    git(outer, "config", "core.bare", "true")
    assert run_git(["status"], outer, check=False).returncode != 0
    with pytest.raises(RepositoryError, match=r"core\.bare = true"):
        find_work_tree(outer)
    result = run("version", cwd=outer)
    assert result.returncode == 3
    assert "core.bare" in result.stderr
    assert "Traceback" not in result.stderr


def test_worktree_of_a_bare_repository_is_a_work_tree(tmp_path: Path, outer: Path) -> None:
    """``core.bare = true`` in the common config does not make a linked worktree bare (git
    reads ``core.bare`` only from a repository's own directory)."""
    git(tmp_path, "clone", "-q", "--bare", str(outer), "bare.git")
    git(tmp_path / "bare.git", "worktree", "add", "-q", str(tmp_path / "wt"), "HEAD")
    (tmp_path / "wt" / "a.txt").write_text("changed\n")
    status = git(tmp_path / "wt", "--no-optional-locks", "status", "--porcelain", "-uno")
    assert status == "M a.txt"
    assert find_work_tree(tmp_path / "wt") == (tmp_path / "wt").resolve()
    with vcgit.open(tmp_path / "wt") as session:
        assert session.head_state().dirty_files == ("a.txt",)


FORMATS = {
    "version_2": (["core.repositoryformatversion", "2"], "core.repositoryformatversion = 2"),
    "unknown_extension_under_version_1": (
        ["extensions.frobnicate", "true"],
        "extensions.frobnicate",
    ),
    "v1_only_extension_under_version_0": (
        ["extensions.objectFormat", "sha1"],
        "needs core.repositoryformatversion = 1",
    ),
    "unknown_extension_under_version_0": (["extensions.frobnicate", "true"], None),
    "version_not_a_number": (["core.repositoryformatversion", "one"], "not a number"),
}


@pytest.mark.parametrize("case", sorted(FORMATS))
def test_repository_format_as_git(case: str, outer: Path) -> None:
    (key, value), message = FORMATS[case]
    version = "1" if case == "unknown_extension_under_version_1" else "0"
    git(outer, "config", "core.repositoryformatversion", version)
    git(outer, "config", key, value)
    git_ok = run_git(["status"], outer, check=False).returncode == 0
    if message is None:
        assert git_ok
        with vcgit.open(outer) as session:
            assert session.describe(lambda t: t[1:]).tag == "v1.0"
        return
    assert not git_ok
    with pytest.raises(RepositoryError, match=message), vcgit.open(outer) as session:
        session.describe(lambda t: t[1:])
    result = run("version", cwd=outer)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr


NEWER_EXTENSIONS = {
    "refStorage": ("files", (2, 45)),
    "compatObjectFormat": ("sha1", (2, 43)),
    "relativeWorktrees": ("true", (2, 48)),
}
"""Intended differences from git 2.39: version-1 extensions a newer git writes (name ->
(value, the git release that knows it)). vcrelease reads such repositories (reftable refs
through dulwich, relative worktree paths, a compatibility hash it does not need); a git older
than the release refuses them as unknown."""


def _git_version() -> tuple[int, int]:
    words = run_git(["--version"], Path.cwd()).stdout.split()[2].split(".")
    return int(words[0]), int(words[1])


@pytest.mark.parametrize("name", sorted(NEWER_EXTENSIONS))
def test_extensions_of_a_newer_git_are_known(name: str, outer: Path) -> None:
    value, since = NEWER_EXTENSIONS[name]
    git(outer, "config", "core.repositoryformatversion", "1")
    git(outer, "config", f"extensions.{name}", value)
    git_ok = run_git(["status"], outer, check=False).returncode == 0
    assert git_ok == (_git_version() >= since)  # the list says what git does
    with vcgit.open(outer) as session:
        assert session.describe(lambda t: t[1:]).tag == "v1.0"


def test_object_format_is_read_from_extensions_only(outer: Path) -> None:
    """A key named ``objectFormat`` in another section is not the repository's object format
    (git reads ``extensions.objectFormat`` alone)."""
    git(outer, "config", "remote.origin.objectFormat", "sha256")
    git(outer, "config", "core.objectformat", "sha256")
    assert run_git(["status"], outer, check=False).returncode == 0
    with vcgit.open(outer) as session:
        assert session.describe(lambda t: t[1:]).tag == "v1.0"
