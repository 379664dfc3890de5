"""Editable installs: the version file in the work tree, where git ignores it.

The fast tests call :func:`vcrelease.integrations.editable.write_editable_version_file` on a
sample repository for each state git can give the path (ignored, untracked, tracked, no git).
The end-to-end tests of the frontends are in ``test_frontends_e2e.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitutil import git
from test_build_e2e import VERSION_FILE, make_sample, needs_git, version_file_values
from vcrelease.integrations import version_file_text
from vcrelease.integrations.editable import write_editable_version_file
from vcrelease.version.versionfile import render_version_file

NODE = "ab" * 20


def write(project: Path) -> tuple[Path | None, list[str]]:
    warnings: list[str] = []
    text = version_file_text(project, VERSION_FILE, "1.2.4.dev5", NODE)
    written = write_editable_version_file(project, VERSION_FILE, text, warnings.append)
    return written, warnings


def stale(project: Path) -> None:
    path = project / VERSION_FILE
    path.write_text(render_version_file("0.0.1", None), encoding="utf-8")


def version_in(project: Path) -> object:
    return version_file_values((project / VERSION_FILE).read_bytes())["__version__"]


@needs_git
def test_ignored_file_is_written_over_a_stale_one_and_the_tree_stays_clean(tmp_path: Path) -> None:
    repo = make_sample("setuptools", tmp_path / "repo")
    stale(repo)
    written, warnings = write(repo)
    assert written == repo / VERSION_FILE
    assert warnings == []
    values = version_file_values(written.read_bytes())
    assert values["__version__"] == "1.2.4.dev5"
    assert values["__commit_id__"] == "gababababa"
    assert git(repo, "status", "--porcelain") == ""


@needs_git
def test_not_ignored_file_is_not_created_and_the_warning_names_gitignore(tmp_path: Path) -> None:
    repo = make_sample("hatchling", tmp_path / "repo")
    (repo / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(repo, "commit", "-qam", "forget the version file", when=600)
    written, (warning,) = write(repo)
    assert written is None
    assert not (repo / VERSION_FILE).exists()
    assert "not ignored by git" in warning
    assert f"Add {VERSION_FILE} to .gitignore" in warning
    assert git(repo, "status", "--porcelain") == ""

    # Already there (git status lists it anyway): rewritten, so it never states an old version.
    stale(repo)
    written, (warning,) = write(repo)
    assert written is not None
    assert version_in(repo) == "1.2.4.dev5"
    assert ".gitignore" in warning


@needs_git
def test_tracked_file_is_left_alone_with_the_fix(tmp_path: Path) -> None:
    repo = make_sample("setuptools", tmp_path / "repo")
    stale(repo)
    git(repo, "add", "-f", VERSION_FILE)
    git(repo, "commit", "-qm", "track the version file", when=600)
    written, (warning,) = write(repo)
    assert written is None
    assert version_in(repo) == "0.0.1"
    assert f"git rm --cached {VERSION_FILE}" in warning


def test_no_git_work_tree_is_written(tmp_path: Path) -> None:
    """An unpacked sdist: nothing of git's to dirty."""
    project = tmp_path / "project"
    shutil.copytree(Path(__file__).parent / "samples" / "setuptools", project)
    written, warnings = write(project)
    assert written is not None
    assert warnings == []
    assert version_in(project) == "1.2.4.dev5"


@needs_git
@pytest.mark.parametrize("rule", ["info/exclude", "nested .gitignore"])
def test_other_ignore_sources_count(tmp_path: Path, rule: str) -> None:
    repo = make_sample("setuptools", tmp_path / "repo")
    (repo / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(repo, "commit", "-qam", "forget the version file", when=600)
    if rule == "info/exclude":
        (repo / ".git" / "info").mkdir(exist_ok=True)
        (repo / ".git" / "info" / "exclude").write_text("_version.py\n", encoding="utf-8")
    else:
        (repo / "src" / "sample" / ".gitignore").write_text("/_version.py\n", encoding="utf-8")
        git(repo, "add", "src/sample/.gitignore")
        git(repo, "commit", "-qm", "nested ignore", when=700)
    written, warnings = write(repo)
    assert written is not None
    assert warnings == []
    assert git(repo, "status", "--porcelain") == ""
