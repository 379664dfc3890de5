"""Nothing is written into a work tree another user owns, by any command (git's
``safe.directory`` rule: git refuses such a repository as "dubious ownership").

Each writer is tried on a repository another user owns (:mod:`otheruser`: a second user when
the tests run as root, the owner faked through the rule's one seam everywhere): the
``archival-file`` command, ``migrate --write``, the version file of an editable install and the
describe cache. Each must leave the work tree and the repository byte for byte as they were,
and write once the protected configuration lists the directory in ``safe.directory``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import ENV, new_repo, run_git
from otheruser import MODES, other_user
from vcrelease.errors import EXIT_NO_VERSION
from vcrelease.integrations.editable import write_editable_version_file

PYPROJECT = (
    '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
    'build-backend = "setuptools.build_meta"\n\n[project]\nname = "demo"\n'
    'dynamic = ["version"]\n\n[tool.setuptools_scm]\n'
)


def project(tmp_path: Path) -> Path:
    """A tagged repository holding a setuptools-scm project, readable by everyone."""
    tmp_path.chmod(0o755)
    return new_repo(
        tmp_path / "r", files={".gitignore": "_version.py\n"}, pyproject=PYPROJECT, tags=["v1.0"]
    )


def snapshot(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() if p.is_file() else b"<dir>"
        for p in sorted(path.rglob("*"))
    }


def allow(tmp_path: Path, repo: Path) -> dict[str, str]:
    """The environment whose global configuration lists ``repo`` in ``safe.directory``."""
    (tmp_path / "global").write_text(f"[safe]\n\tdirectory = {repo}\n")
    return {**ENV, "GIT_CONFIG_GLOBAL": str(tmp_path / "global")}


@pytest.mark.parametrize("mode", MODES)
def test_archival_file_is_not_written_into_another_users_work_tree(
    tmp_path: Path, mode: str
) -> None:
    user = other_user(mode)
    repo = project(tmp_path)
    user.give_away(repo)
    if user.real:  # the oracle: git refuses this repository
        refused = run_git(["status"], repo, check=False)
        assert refused.returncode != 0
        assert "dubious ownership" in refused.stderr
    before = snapshot(repo)
    done = user.run("archival-file", repo, cwd=tmp_path, **ENV)
    assert done.returncode == EXIT_NO_VERSION, done.stderr
    assert "safe.directory" in done.stderr
    assert ".git_archival.txt" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot(repo) == before
    sub = repo / "pkg"  # a directory below the top is the same work tree
    if not user.real:
        sub.mkdir()
        before = snapshot(repo)
        assert user.run("archival-file", sub, cwd=tmp_path, **ENV).returncode == EXIT_NO_VERSION
        assert snapshot(repo) == before
    done = user.run("archival-file", repo, cwd=tmp_path, **allow(tmp_path, repo))
    assert done.returncode == 0, done.stderr
    assert (repo / ".git_archival.txt").exists()


@pytest.mark.parametrize("mode", MODES)
def test_migrate_write_is_refused_in_another_users_work_tree(tmp_path: Path, mode: str) -> None:
    user = other_user(mode)
    repo = project(tmp_path)
    user.give_away(repo)
    before = snapshot(repo)
    done = user.run("migrate", repo, "--write", cwd=tmp_path, **ENV)
    assert done.returncode == EXIT_NO_VERSION, done.stderr
    assert "safe.directory" in done.stderr
    assert snapshot(repo) == before
    done = user.run("migrate", repo, "--write", cwd=tmp_path, **allow(tmp_path, repo))
    assert done.returncode == 0, done.stderr
    assert "[tool.vcrelease]" in (repo / "pyproject.toml").read_text()


@pytest.mark.parametrize("mode", MODES)
def test_editable_version_file_is_not_written_into_another_users_work_tree(
    tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = other_user(mode)
    repo = project(tmp_path)
    user.give_away(repo)
    user.patch(monkeypatch)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    before = snapshot(repo)
    warnings: list[str] = []
    written = write_editable_version_file(
        repo, "_version.py", '__version__ = "1.0"\n', warnings.append
    )
    assert written is None
    assert snapshot(repo) == before
    assert len(warnings) == 1
    assert "safe.directory" in warnings[0]
    for name, value in allow(tmp_path, repo).items():
        monkeypatch.setenv(name, value)
    written = write_editable_version_file(
        repo, "_version.py", '__version__ = "1.0"\n', warnings.append
    )
    assert written == repo / "_version.py"


@pytest.mark.parametrize("mode", MODES)
def test_version_writes_no_describe_cache_into_another_users_repository(
    tmp_path: Path, mode: str
) -> None:
    user = other_user(mode)
    repo = project(tmp_path)
    user.give_away(repo)
    before = snapshot(repo)
    done = user.run("version", repo, cwd=repo, **ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0"
    assert snapshot(repo) == before
    done = user.run("version", repo, cwd=repo, **allow(tmp_path, repo))
    assert done.returncode == 0, done.stderr
    assert (repo / ".git" / "vcrelease").is_dir()  # the user's own: the cache is written
