"""No file of the old plugin reaches an artifact: a real setuptools-scm build of a tree, then a
real vcrelease build of the same tree, whose sdist and wheel must hold none of the files
setuptools-scm left in the (git-ignored) ``*.egg-info`` directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitutil import git
from test_build_e2e import (
    build_ok,
    make_sample,
    needs_git,
    python_build,
    sdist_members,
    wheel_members,
)

SCM_TABLE = '[tool.setuptools_scm]\nversion_file = "src/sample/_version.py"\n'
LEFT = ("scm_version.json", "scm_file_list.json")


def as_setuptools_scm_project(repo: Path) -> str:
    """Turn the sample into a setuptools-scm project; return the vcrelease pyproject text."""
    pyproject = repo / "pyproject.toml"
    ours = pyproject.read_text(encoding="utf-8")
    head, _, _ = ours.partition("[tool.vcrelease]")
    old = head.replace('"vcrelease"', '"setuptools-scm>=8"') + SCM_TABLE
    pyproject.write_text(old, encoding="utf-8")
    git(repo, "commit", "-qam", "setuptools-scm", when=900)
    return ours


@pytest.mark.slow
@needs_git
def test_setuptools_scm_leftovers_never_ship(build_env: dict[str, str], tmp_path: Path) -> None:
    repo = make_sample("setuptools", tmp_path / "repo")
    ours = as_setuptools_scm_project(repo)
    # setuptools-scm's build, in this environment (it has setuptools-scm installed).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCRELEASE_", "GIT_"))}
    done = python_build(repo, tmp_path / "old", env, "--no-isolation", "--sdist")
    assert done.returncode == 0, done.stdout + done.stderr
    egg_info = repo / "src" / "sample.egg-info"
    assert all((egg_info / name).is_file() for name in LEFT), sorted(os.listdir(egg_info))

    # The switch (the migrated table), committed; then vcrelease's isolated builds: the sdist
    # and the wheel from it, and a wheel straight from the tree.
    (repo / "pyproject.toml").write_text(ours, encoding="utf-8")
    git(repo, "commit", "-qam", "vcrelease", when=960)
    out = tmp_path / "dist"
    sdist_name, wheel_name = "sample-1.2.4.dev7.tar.gz", "sample-1.2.4.dev7-py3-none-any.whl"
    assert build_ok(repo, out, build_env) == [wheel_name, sdist_name]
    direct = tmp_path / "direct"
    assert build_ok(repo, direct, build_env, "--wheel") == [wheel_name]
    for members in (
        sdist_members(out / sdist_name),
        wheel_members(out / wheel_name),
        wheel_members(direct / wheel_name),
    ):
        assert not [m for m in members if m.rsplit("/", 1)[-1] in LEFT], sorted(members)
        assert any(m.endswith(("PKG-INFO", "METADATA")) for m in members)
    assert not any((egg_info / name).exists() for name in LEFT)
