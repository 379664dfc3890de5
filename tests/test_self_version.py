"""vcrelease versions itself: ``src/_vcrelease_self_version.py`` (hatchling's ``code`` source).

The module runs in a copy of ``pyproject.toml`` next to it, in a repository of its own (tags
in this checkout would be shared with every worktree), with this checkout's ``src`` on the path.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from gitutil import ENV, commit, git, new_repo
from test_build_e2e import needs_git

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULE = "src/_vcrelease_self_version.py"
PREFIXES = ("VCRELEASE_", "SETUPTOOLS_SCM_", "VCS_VERSIONING_", "GIT_")


def self_version(project: Path, **env: str) -> tuple[str, str]:
    """(``__version__``, stderr) of the module run in ``project``; ``("", stderr)`` when it
    stops the build."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    full.update(ENV, PYTHONPATH=str(REPO_ROOT / "src"), **env)
    code = f"import runpy; print(runpy.run_path({str(project / MODULE)!r})['__version__'])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=False
    )
    assert done.returncode in (0, 1), done.stderr  # 1: SystemExit with the message
    return done.stdout.strip(), done.stderr


def copy_project(dest: Path) -> Path:
    (dest / "src").mkdir(parents=True)
    for name in ("pyproject.toml", MODULE, ".git_archival.txt", ".gitattributes"):
        shutil.copy(REPO_ROOT / name, dest / name)
    return dest


def tagged(project: Path) -> Path:
    """``project`` committed, tagged ``v0.3.0``, one commit more."""
    new_repo(project, tags=["v0.3.0"], annotated=True)
    commit(project, "next", {"README.md": "next\n"}, when=60)
    return project


@needs_git
def test_tag_then_dev_versions_without_local_part(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "release", when=0)
    assert self_version(project)[0] == "0.1.dev1"  # no tag yet
    git(project, "tag", "-a", "v0.3.0", "-m", "0.3.0", when=0)
    assert self_version(project)[0] == "0.3.0"
    (project / "README.md").write_text("next\n", encoding="utf-8")
    git(project, "add", "README.md")
    git(project, "commit", "-qm", "next", when=60)
    assert self_version(project)[0] == "0.3.1.dev1"


def test_without_git_the_build_stops_naming_the_fix(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    version, stderr = self_version(project)
    assert version == ""
    assert "vcrelease's own version: No version for" in stderr
    assert "VCRELEASE_PRETEND_VERSION_FOR_VCRELEASE=X.Y.Z" in stderr
    assert "Traceback" not in stderr
    assert self_version(project, SETUPTOOLS_SCM_PRETEND_VERSION_FOR_VCRELEASE="1.2")[0] == "1.2"
    (project / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: vcrelease\nVersion: 0.4.0\n")
    assert self_version(project)[0] == "0.4.0"  # an sdist


@needs_git
def test_a_shallow_clone_hiding_the_tag_stops_the_build(tmp_path: Path) -> None:
    origin = tagged(copy_project(tmp_path / "origin"))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    version, stderr = self_version(clone)
    assert version == ""
    assert "shallow" in stderr
    assert "VCRELEASE_PRETEND_VERSION_FOR_VCRELEASE" in stderr


@needs_git
def test_a_git_archive_of_vcrelease_has_its_version(tmp_path: Path) -> None:
    """``.git_archival.txt`` with ``export-subst``: the archive of a commit one past
    ``v0.3.0`` builds as ``0.3.1.dev1``, with no repository (``python -m build`` of the
    unpacked archive, hatchling's ``code`` source loading this module)."""
    project = copy_project(tmp_path / "project")
    shutil.copytree(REPO_ROOT / "src" / "vcrelease", project / "src" / "vcrelease")
    shutil.copy(REPO_ROOT / "README.md", project / "README.md")
    tagged(project)
    archive = tmp_path / "vcrelease.tar"
    git(project, "archive", "--format=tar", "--prefix=vcrelease/", "-o", str(archive), "HEAD")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    unpacked = tmp_path / "unpacked" / "vcrelease"
    assert "$Format" not in (unpacked / ".git_archival.txt").read_text(encoding="utf-8")
    assert self_version(unpacked)[0] == "0.3.1.dev1"
    env = {k: v for k, v in os.environ.items() if not k.startswith(PREFIXES)}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist", "."],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in (unpacked / "dist").iterdir()] == [
        "vcrelease-0.3.1.dev1-py3-none-any.whl"
    ]


@pytest.mark.parametrize("command", ["main", "upload_main"])
def test_version_option_prints_the_installed_version(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vcrelease import cli

    monkeypatch.setattr(sys, "argv", ["prog", "--version"])
    with pytest.raises(SystemExit) as exited:
        getattr(cli, command)()
    assert exited.value.code == 0
    assert capsys.readouterr().out.split()[-1] == importlib.metadata.version("vcrelease")
