"""Replace refs and grafts as git sees them: ``GIT_NO_REPLACE_OBJECTS``, the describe cache,
and git as the oracle (the scenarios ``replace-ref-graft``, ``replace-ref-disabled`` and
``grafts-file`` cover the plain cases)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from gitutil import git, git_describe, isolate_like_git
from repobuilder import BuiltRepo
from vcrelease.errors import RepositoryError
from vcrelease.git.session import open_repository


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def _parse(name: str) -> str | None:
    return name[1:] if name.startswith("v") else None


def _describe(path: Path, **env: str) -> str:
    """``TAG-DISTANCE`` by ``git describe`` under ``env``, as :func:`_ours` writes it."""
    described = git_describe(path, env=env)
    assert described is not None
    return f"{described.tag}-{described.distance}"


def _ours(path: Path, *, cached: bool) -> str:
    with open_repository(path) as repo:
        history = repo.history(_parse, tag_key="v" if cached else None)
    return f"{history.tag}-{history.distance}"


@pytest.fixture
def replaced(build_scenario: Callable[[str], BuiltRepo], tmp_path: Path) -> Path:
    """A private copy of the replace-ref-graft scenario (the tests change it)."""
    source = build_scenario("replace-ref-graft").workdir
    copy = tmp_path / "repo"
    git(tmp_path, "clone", "-q", "--mirror", str(source), str(copy / ".git"))
    git(copy, "config", "core.bare", "false")
    git(copy, "checkout", "-q", "main")
    return copy


@pytest.mark.parametrize("cached", [False, True])
def test_no_replace_objects_variable(
    replaced: Path, cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _ours(replaced, cached=cached) == _describe(replaced) == "v1.1.0-2"
    monkeypatch.setenv("GIT_NO_REPLACE_OBJECTS", "1")
    off = _describe(replaced, GIT_NO_REPLACE_OBJECTS="1")
    assert _ours(replaced, cached=cached) == off == "v1.0.0-3"
    monkeypatch.delenv("GIT_NO_REPLACE_OBJECTS")
    assert _ours(replaced, cached=cached) == "v1.1.0-2"


def test_cache_sees_a_new_or_deleted_replace_ref(replaced: Path) -> None:
    assert _ours(replaced, cached=True) == "v1.1.0-2"
    git(replaced, "replace", "-d", "HEAD~1")
    git(replaced, "pack-refs", "--all")
    assert _ours(replaced, cached=True) == _describe(replaced) == "v1.0.0-3"
    graft = ["replace", "--graft", "HEAD~1", "v1.1.0"]
    git(replaced, *graft)
    git(replaced, "pack-refs", "--all")
    assert _ours(replaced, cached=True) == _describe(replaced) == "v1.1.0-2"


def test_grafts_file_in_cache_key(replaced: Path) -> None:
    git(replaced, "replace", "-d", "HEAD~1")
    assert _ours(replaced, cached=True) == "v1.0.0-3"
    ids = git(replaced, "rev-parse", "HEAD~1", "v1.1.0^{commit}").split()
    (replaced / ".git" / "info" / "grafts").write_text(" ".join(ids) + "\n")
    assert _ours(replaced, cached=True) == _describe(replaced) == "v1.1.0-2"


def test_bad_grafts_file_is_an_error(replaced: Path) -> None:
    (replaced / ".git" / "info" / "grafts").write_text("not a graft\n")
    with pytest.raises(RepositoryError, match="grafts line 1"):
        _ours(replaced, cached=False)


def test_environment_unchanged() -> None:
    assert "GIT_NO_REPLACE_OBJECTS" not in os.environ
