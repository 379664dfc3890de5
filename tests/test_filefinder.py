"""The setuptools file finder against setuptools-scm's own git finder, on generated repos."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitutil import git, new_repo
from vcrelease.integrations.filefinder import find_files, tracked_files_below

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="makes repos with git")

git_finder = pytest.importorskip("vcs_versioning._file_finders._git")


def write(root: Path, name: str, text: str = "x\n") -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_repo(tmp_path: Path) -> Path:
    """A repo with what the finder must get right: export-ignore on files, directories and a
    submodule, nested attributes files, tracked and untracked symlinks, a submodule, an
    untracked file, a staged-only file and a conflict-free deleted file."""
    sub = new_repo(tmp_path / "sub", files={"s1.txt": "x\n", "deep/s2.txt": "x\n"})

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for name in (
        "pyproject.toml",
        "src/pkg/__init__.py",
        "src/pkg/data/a.dat",
        "tests/test_a.py",
        "docs/index.rst",
        "docs/secret/notes.txt",
        "ci/run.sh",
        "nested/keep.txt",
        "nested/drop.log",
        "weird name [1].txt",
        "build/gen/out.txt",
    ):
        write(repo, name)
    write(
        repo,
        ".gitattributes",
        "*.secret export-ignore\nci export-ignore\ndocs/secret/ export-ignore\n"
        "build/** export-ignore\n/external export-ignore\n",
    )
    write(repo, "nested/.gitattributes", "*.log export-ignore\n")
    write(repo, "top.secret")
    os.symlink("src/pkg", repo / "pkglink")  # tracked link to a directory inside
    os.symlink("tests/test_a.py", repo / "filelink")  # tracked link to a file
    git(repo, "add", "-A")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "vendored")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "external")
    git(repo, "commit", "-q", "-m", "init")
    os.symlink("docs", repo / "untracked-link")
    write(repo, "untracked.txt")
    write(repo, "staged.txt")
    git(repo, "add", "staged.txt")
    return repo


@pytest.fixture(scope="module")
def shared_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("finder"))


@needs_git
@pytest.mark.parametrize("under", ["", "src", "vendored"])
def test_same_files_as_setuptools_scm(
    shared_repo: Path, monkeypatch: pytest.MonkeyPatch, under: str
) -> None:
    repo = shared_repo
    monkeypatch.chdir(repo / under if under else repo)
    expected = sorted(git_finder.git_find_files(""))
    ours = sorted(tracked_files_below(""))
    assert ours == expected
    assert expected  # the comparison says something


@needs_git
def test_the_rules_themselves(shared_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = shared_repo
    monkeypatch.chdir(repo)
    ours = set(tracked_files_below(""))
    assert {"vendored/s1.txt", "vendored/deep/s2.txt", "pkglink", "filelink"} <= ours
    assert {"staged.txt", "weird name [1].txt", "nested/keep.txt", "docs/index.rst"} <= ours
    for dropped in (
        "top.secret",
        "ci/run.sh",
        "docs/secret/notes.txt",
        "build/gen/out.txt",
        "nested/drop.log",
        "external/s1.txt",
        "untracked.txt",
    ):
        assert dropped not in ours
    assert not any(name.startswith("untracked-link") for name in ours)


@needs_git
def test_only_for_vcrelease_projects_and_not_in_an_sdist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path)
    monkeypatch.chdir(repo)
    assert find_files("") == []  # pyproject.toml holds no [tool.vcrelease]
    write(
        repo, "pyproject.toml", '[project]\nname = "p"\ndynamic = ["version"]\n[tool.vcrelease]\n'
    )
    assert "tests/test_a.py" in find_files("")
    write(repo, "PKG-INFO", "Metadata-Version: 2.1\nName: p\nVersion: 1.0\n")
    assert find_files("") == []


def test_outside_a_work_tree_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "pyproject.toml", '[project]\ndynamic = ["version"]\n[tool.vcrelease]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("vcrelease.git.find_work_tree", lambda _path: None)
    assert find_files("") == []
