"""Alternate object directories as git reads them (``gitrepository-layout``,
"objects/info/alternates"; ``GIT_ALTERNATE_OBJECT_DIRECTORIES``), held against
``git describe`` and ``git cat-file -e`` on the same repositories.

Every clone here is ``git clone --shared``: its own object directory is empty, so each answer
depends on the alternates being read right.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from gitutil import ENV, git, git_describe, new_repo, run, run_git
from vcrelease import git as vcgit
from vcrelease.errors import EXIT_NO_VERSION, RepositoryError
from vcrelease.git.alternates import MAX_DEPTH, split_entries, unquote_c_style

TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VCRELEASE_NO_CACHE", "1")
    monkeypatch.delenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", raising=False)


def origin(path: Path, name: str = "src") -> Path:
    """A repository in ``path/name`` with ``v1.0`` and two commits after it."""
    return new_repo(path / name, tags=["v1.0"], commits_after_tag=2)


def shared_clone(source: Path, dest: Path) -> Path:
    git(source.parent, "clone", "-q", "--shared", str(source), str(dest))
    assert not any((dest / ".git" / "objects").glob("??/*"))  # every object is elsewhere
    return dest


def alternates(clone: Path) -> Path:
    return clone / ".git" / "objects" / "info" / "alternates"


def same_as_git(clone: Path, env: dict[str, str] | None = None) -> tuple[str, int]:
    """The describe of ``clone`` by git and by vcrelease, asserted equal; the tag and
    distance."""
    by_git = git_describe(clone, "--abbrev=40", env=env)
    state = vcgit.describe(clone, parse)
    assert by_git is not None
    assert (state.tag, state.distance, state.node) == by_git[:3]
    return by_git.tag, by_git.distance


def test_unquote_c_style() -> None:
    assert unquote_c_style(b'"a\\tb\\"c\\\\d\\303\\251"x') == (b'a\tb"c\\d\xc3\xa9', 20)
    assert unquote_c_style(b'"open') is None
    assert unquote_c_style(b'"bad \\q"') is None
    assert split_entries(b'#c\n\n"q\\n"\nplain\n', b"\n") == [b"q\n", b"plain"]
    assert split_entries(b'"a:b":c::', b":") == [b"a:b", b"c"]


@pytest.mark.parametrize(
    "dirname", ["plain", "with space", "tab\there", 'quote"in', "é-utf8", "new\nline"]
)
def test_quoted_alternates_with_blank_lines_and_comments(tmp_path: Path, dirname: str) -> None:
    clone = shared_clone(origin(tmp_path), tmp_path / "clone")
    source = tmp_path / dirname / "src"  # moved where only a quoted line can name it
    source.parent.mkdir()
    (tmp_path / "src").rename(source)
    objects = str(source / ".git" / "objects").encode()
    quoted = (
        objects.replace(b"\\", b"\\\\")
        .replace(b'"', b'\\"')
        .replace(b"\t", b"\\t")
        .replace(b"\n", b"\\n")
        .replace("é".encode(), b"\\303\\251")
    )
    alternates(clone).write_bytes(b'# a comment\n\n"' + quoted + b'"\n\n')
    assert run_git(["cat-file", "-e", "v1.0"], clone, check=False).returncode == 0
    assert same_as_git(clone) == ("v1.0", 2)


def test_relative_alternates_are_relative_to_the_objects_dir(tmp_path: Path) -> None:
    source = origin(tmp_path)
    clone = shared_clone(source, tmp_path / "clone")
    alternates(clone).write_text("../../../src/.git/objects\n")
    assert same_as_git(clone) == ("v1.0", 2)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_nested_alternates_stop_where_git_stops(tmp_path: Path, depth: int) -> None:
    """A chain of ``depth + 1`` empty clones, each naming the one before it: git reads the
    alternates' alternates :data:`MAX_DEPTH` levels deep."""
    source = origin(tmp_path)
    repo = source
    for i in range(depth + 1):  # each a clone of the source, then pointed at the one before
        below = repo
        repo = shared_clone(source, tmp_path / f"c{i}")
        alternates(repo).write_text(f"{below / '.git' / 'objects'}\n")
    by_git = run_git(["describe", "--tags", "--long"], repo, check=False)
    if depth <= MAX_DEPTH:
        assert by_git.returncode == 0, by_git.stderr
        assert same_as_git(repo) == ("v1.0", 2)
    else:
        assert by_git.returncode != 0  # the objects are one level too deep for git
        with pytest.raises(RepositoryError, match="missing"):
            vcgit.describe(repo, parse)
        done = run("version", repo, cwd=repo, **ENV)
        assert done.returncode == EXIT_NO_VERSION, done.stderr
        assert "Traceback" not in done.stderr


def test_the_environment_variable_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clone = shared_clone(origin(tmp_path), tmp_path / "clone")
    source = tmp_path / "a:b" / "src"  # a colon in the path: only a quoted entry keeps it
    source.parent.mkdir()
    (tmp_path / "src").rename(source)
    alternates(clone).unlink()
    assert run_git(["cat-file", "-e", "v1.0"], clone, check=False).returncode != 0
    value = f'/nonexistent{os.pathsep}"{source / ".git" / "objects"}"{os.pathsep}'
    env = {"GIT_ALTERNATE_OBJECT_DIRECTORIES": value}
    assert run_git(["cat-file", "-e", "v1.0"], clone, env=env, check=False).returncode == 0
    monkeypatch.setenv("GIT_ALTERNATE_OBJECT_DIRECTORIES", value)
    assert same_as_git(clone, env) == ("v1.0", 2)
    done = run("version", clone, cwd=clone, **ENV, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1.1.dev2+g")
