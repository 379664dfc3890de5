"""Partial clones (``git clone --filter``): a missing object the answer needs is an error
(exit 3) that says the clone is partial, which object is missing, what needs it and how to
fetch it; never "run git fsck". Real partial clones over ``file://``."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gitutil import commit, git, git_bytes, isolate_like_git, new_repo, run

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


def _source(tmp_path: Path) -> Path:
    """v1.0 and two commits after it; ``* text=auto`` in ``.gitattributes``."""
    files = {".gitattributes": "* text=auto\n", "a.txt": "line 0\n"}
    src = new_repo(tmp_path / "src", files=files, tags=["v1.0"])
    git(src, "config", "uploadpack.allowFilter", "true")
    git(src, "config", "uploadpack.allowAnySHA1InWant", "true")
    for i in (1, 2):
        commit(src, f"c{i}", {"a.txt": f"line {i}\n"}, when=i)
    return src


def _clone(src: Path, dest: Path, *extra: str) -> Path:
    git(src.parent, "clone", "-q", "--filter=blob:none", "--no-checkout", *extra,
        f"file://{src}", str(dest))  # fmt: skip
    return dest


def _assert_partial_clone_error(result: subprocess.CompletedProcess[str], what: str) -> str:
    assert result.returncode == 3, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())
    assert "partial clone" in message
    assert "promisor remote 'origin'" in message
    assert what in message
    assert "git fetch --refetch origin" in message
    assert "run `git fsck`" not in message
    found = re.search(r"([0-9a-f]{40}) is not in this clone", message)
    assert found, message
    return found.group(1)


def _drop_object(clone: Path, sha: str, scratch: Path) -> None:
    """Make ``sha`` absent from ``clone``: its one pack unpacked into loose objects (the
    packs and their indexes removed), then that object's loose file deleted."""
    pack_dir = clone / ".git" / "objects" / "pack"
    (pack,) = pack_dir.glob("*.pack")
    moved = scratch / "pack.pack"
    shutil.move(pack, moved)
    for other in pack_dir.iterdir():
        other.unlink()
    git_bytes(clone, "unpack-objects", "-q", input=moved.read_bytes())
    (clone / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def test_a_missing_commit_of_the_history(tmp_path: Path) -> None:
    src = _source(tmp_path)
    clone = _clone(src, tmp_path / "clone")
    middle = git(clone, "rev-parse", "HEAD~1")
    _drop_object(clone, middle, tmp_path)
    result = run("describe", clone, VCRELEASE_NO_CACHE="1")
    sha = _assert_partial_clone_error(result, "a commit of the history")
    assert sha == middle
    git(clone, "cat-file", "-e", middle)  # the fix the message gives: git fetches it
    result = run("describe", clone, VCRELEASE_NO_CACHE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("v1.0-2-g")


def test_a_blob_the_dirty_check_needs(tmp_path: Path) -> None:
    src = _source(tmp_path)
    clone = _clone(src, tmp_path / "clone")
    # every commit and tree, no blob: the history is whole
    git(clone, "read-tree", "HEAD")  # an index without fetching a blob
    shutil.copy(src / ".gitattributes", clone / ".gitattributes")
    (clone / "a.txt").write_text("line 9\n")  # same size: only the content can tell
    result = run("describe", clone, VCRELEASE_NO_CACHE="1")
    sha = _assert_partial_clone_error(result, "the blob (the index's copy of a file whose stat")
    for _ in range(3):  # the fix the message gives, for each blob named
        git(clone, "cat-file", "-e", sha)
        result = run("describe", clone, "--json", VCRELEASE_NO_CACHE="1")
        if result.returncode == 0:
            break
        sha = _assert_partial_clone_error(result, "blob")
    assert result.returncode == 0, result.stderr
    status = git(clone, "status", "--porcelain", "--untracked-files=no")
    assert '"a.txt"' in result.stdout
    assert status.split() == ["M", "a.txt"]  # unstaged: " M a.txt"


def test_a_complete_clone_keeps_the_fsck_advice(tmp_path: Path) -> None:
    src = _source(tmp_path)
    clone = tmp_path / "full"
    git(tmp_path, "clone", "-q", "--no-checkout", "--no-local", str(src), str(clone))
    assert "partial" not in git(clone, "config", "--list")
    head = git(clone, "rev-parse", "HEAD~1")
    _drop_object(clone, head, tmp_path)
    result = run("describe", clone, VCRELEASE_NO_CACHE="1")
    assert result.returncode == 3
    assert "partial clone" not in result.stderr
    assert "fsck" in result.stderr
