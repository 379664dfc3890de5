"""``packed-refs`` as every writer leaves it, and ref names that are not UTF-8: git (and
dulwich, for its own ``pack_refs``) make the files, git is the oracle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gitutil import commit, git, git_bytes, isolate_like_git, new_repo, run_git
from vcrelease.errors import RepositoryError
from vcrelease.git.session import open_repository


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def _parse(name: str) -> str | None:
    return name[1:] if name.startswith("v") and name[1:2].isdigit() else None


def _repo(tmp_path: Path) -> Path:
    """v1.0.0 (lightweight) and v1.1.0 (annotated) on the first commit, one commit after."""
    path = new_repo(tmp_path / "repo", tags=["v1.0.0"])
    git(path, "tag", "-a", "-m", "release", "v1.1.0", when=3)
    commit(path, "two", when=4)
    return path


def _ours(path: Path) -> tuple[str | None, int, str | None]:
    with open_repository(path) as repo:
        history = repo.history(_parse)
    return history.tag, history.distance, history.branch


def _packed(path: Path) -> Path:
    git(path, "pack-refs", "--all")
    return path / ".git" / "packed-refs"


def test_dulwich_peeled_header_without_peeled_lines(tmp_path: Path) -> None:
    """dulwich's pack_refs writes '# pack-refs with: peeled' and no '^' line for v1.1.0: the
    annotated tag must still count (dropping it would give 1.0.0 silently)."""
    from dulwich.repo import Repo

    path = _repo(tmp_path)
    with Repo(str(path)) as repo:
        repo.refs.pack_refs(all=True)
    data = (path / ".git" / "packed-refs").read_bytes()
    assert data.startswith(b"# pack-refs with: peeled")
    assert b"\n^" not in data
    assert _ours(path) == ("v1.1.0", 1, "main")
    assert git(path, "rev-list", "--count", "v1.1.0..HEAD") == "1"


def test_fully_peeled_header_that_lies(tmp_path: Path) -> None:
    path = _repo(tmp_path)
    packed = _packed(path)
    lines = packed.read_bytes().splitlines(keepends=True)
    packed.write_bytes(b"".join(line for line in lines if not line.startswith(b"^")))
    assert b"fully-peeled" in packed.read_bytes()
    assert _ours(path) == ("v1.1.0", 1, "main")


def test_unsorted_file_with_sorted_header(tmp_path: Path) -> None:
    path = _repo(tmp_path)
    git(path, "tag", "v0.9.0", "HEAD")
    packed = _packed(path)
    header, *records = packed.read_bytes().splitlines(keepends=True)
    pairs: list[bytes] = []
    for line in records:
        if line.startswith(b"^"):
            pairs[-1] += line
        else:
            pairs.append(line)
    packed.write_bytes(header + b"".join(reversed(pairs)))
    assert b" sorted" in header
    with open_repository(path) as repo:
        names = [t.name for t in repo.refs.tags]
    assert names == ["v0.9.0", "v1.0.0", "v1.1.0"]
    assert _ours(path) == ("v0.9.0", 0, "main")


@pytest.mark.parametrize(
    ("change", "word"),
    [
        (lambda data: data.replace(b"\n", b"\r\n"), "carriage return"),
        (lambda data: data[data.index(b"\n") + 1 :], None),
        (lambda data: data + b"^" + b"0" * 40 + b"\n^" + b"1" * 40 + b"\n", "unexpected"),
        (lambda data: data + b"garbage line\n", "unexpected"),
    ],
    ids=["crlf", "no-header", "stray-peeled-line", "garbage"],
)
def test_files_git_refuses_are_refused(
    tmp_path: Path, change: Callable[[bytes], bytes], word: str | None
) -> None:
    path = _repo(tmp_path)
    packed = _packed(path)
    packed.write_bytes(change(packed.read_bytes()))
    git_ok = run_git(["for-each-ref"], path, check=False)
    if word is None:  # a file without a header is fine for git and for us
        assert git_ok.returncode == 0
        assert _ours(path) == ("v1.1.0", 1, "main")
        return
    with pytest.raises(RepositoryError, match="packed-refs") as info:
        _ours(path)
    assert word in str(info.value)
    assert info.value.exit_code == 3


@pytest.mark.parametrize("pack", [False, True], ids=["loose", "packed"])
def test_names_that_are_not_utf8(tmp_path: Path, pack: bool) -> None:
    path = _repo(tmp_path)
    bad_tag = b"v2.0.0\xff"
    bad_branch = b"feat\xe9ure"
    # The names as str with surrogate escapes: subprocess gives git the bytes again.
    git(path, "tag", os.fsdecode(bad_tag), "HEAD")
    git(path, "tag", "v1.2.0", "HEAD~1")
    git(path, "checkout", "-q", "-b", os.fsdecode(bad_branch))
    if pack:
        _packed(path)
    tag, distance, branch = _ours(path)
    # v2.0.0\xff is no PEP 440 version: git describe --tags would take it, we skip it.
    assert (tag, distance) == ("v1.2.0", 1)
    assert branch is not None
    assert os.fsencode(branch) == bad_branch
    out = subprocess.run(
        [sys.executable, "-m", "vcrelease", "describe", "--json", str(path)],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["tag"] == "v1.2.0"
    names = git_bytes(path, "for-each-ref", "--format=%(refname)", "refs/tags").split(b"\n")
    assert b"refs/tags/" + bad_tag in names
    with open_repository(path) as repo:
        assert os.fsencode(repo.refs.tags[-1].name) == bad_tag
