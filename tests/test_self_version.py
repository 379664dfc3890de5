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
from pathlib import Path

import pytest

from gitutil import git
from test_build_e2e import needs_git

REPO_ROOT = Path(__file__).resolve().parent.parent
MODULE = "src/_vcrelease_self_version.py"


def self_version(project: Path) -> tuple[str, str]:
    """(``__version__``, stderr) of the module run in ``project``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCRELEASE_", "GIT_"))}
    env["PYTHONPATH"] = str(REPO_ROOT / "src")
    code = f"import runpy; print(runpy.run_path({str(project / MODULE)!r})['__version__'])"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip(), done.stderr


def copy_project(dest: Path) -> Path:
    (dest / "src").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy(REPO_ROOT / MODULE, dest / MODULE)
    return dest


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


def test_without_git_the_fallback(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    assert self_version(project)[0] == "0.0.0"


@needs_git
def test_a_failing_core_gives_the_fallback_and_says_why(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    git(project, "init", "-q")  # no commit yet: the core stops
    (project / "pyproject.toml").write_text(
        (REPO_ROOT / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace('fallback-version = "0.0.0"\n', ""),
        encoding="utf-8",
    )
    version, stderr = self_version(project)
    assert version == "0.0.0"
    assert "vcrelease's own version:" in stderr


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
