"""The dirty check's ``lstat`` pass split between this process and a forked child
(:func:`vcrelease.git.unstaged.stat_index`, ``split``): whatever the split point, the result
is the single-process one, in index order; a child that fails or is killed leaves its entries
to the parent; the index errors are the same; the signal mask is restored; and
:func:`~vcrelease.git.unstaged.split_point` forks only where it pays. The dirty files of a
forking read equal ``git status``'s (hypothesis draws the work-tree changes)."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitutil import isolate_like_git, new_repo, run_git
from vcrelease import git as vcgit
from vcrelease.git import unstaged
from vcrelease.git.indexfile import STAT_KEY
from vcrelease.git.repository import GitRepo

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FILES = {
    f"d{d}/e{e}/f{f}.txt": f"file {d} {e} {f}\n"
    for d in range(3)
    for e in range(3)
    for f in range(5)
}
"""45 files in 9 directories of 3."""

PAST = time.time() - 3600


def _settle(repo: Path) -> None:
    """Every file an hour old and the index refreshed after: no entry is racily clean."""
    for path in repo.rglob("*"):
        if ".git" not in path.parts and not path.is_symlink():
            os.utime(path, (PAST, PAST))
    run_git(["update-index", "-q", "--really-refresh"], repo)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        isolate_like_git(patch)
        repo = new_repo(tmp_path_factory.mktemp("split") / "repo", files=FILES)
        # a submodule that is not checked out, and a symbolic link
        sha = run_git(["rev-parse", "HEAD"], repo).stdout.strip()
        run_git(["update-index", "--add", "--cacheinfo", f"160000,{sha},d1/sub"], repo)
        os.symlink("f0.txt", repo / "d2/e2/link")
        run_git(["add", "d2/e2/link"], repo)
        run_git(["commit", "-q", "-m", "sub and link"], repo)
        _settle(repo)
    return repo


def _read(repo: Path, split: int, covered: Callable[[bytes], bool] | None = None) -> object:
    """stat_index's result with stat results as their compared fields."""
    with GitRepo.open(repo) as git_repo:
        index = Path(git_repo.index_path)
        data = index.read_bytes()
        index_s = index.stat().st_mtime_ns // 1_000_000_000
        result = unstaged.stat_index(git_repo, data, index_s, covered, split=split)
    if result is None:
        return None
    pairs, missing, submodules, end = result
    return [(e, STAT_KEY(s), s.st_mtime_ns) for e, s in pairs], missing, submodules, end


def _splits(count: int) -> list[int]:
    return sorted({1, 2, count // 3, count // 2, count - 1, count, count + 5})


CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["same-size", "grow", "delete", "chmod", "touch", "racy", "rmdir", "link"]),
        st.sampled_from(sorted(FILES)),
    ),
    max_size=6,
)


def _apply(repo: Path, changes: list[tuple[str, str]]) -> None:
    index_time = (Path(repo) / ".git/index").stat().st_mtime
    for kind, name in changes:
        path = repo / name
        directory = path.parent
        if not path.exists():
            continue
        if kind == "same-size":
            path.write_text(path.read_text().upper())
        elif kind == "grow":
            with path.open("a") as f:
                f.write("more\n")
        elif kind == "delete":
            path.unlink()
        elif kind == "chmod":
            path.chmod(0o755)
        elif kind == "touch":
            os.utime(path, (PAST + 60, PAST + 60))
        elif kind == "racy":
            os.utime(path, (index_time, index_time))
        elif kind == "rmdir":
            if directory.is_symlink():
                directory.unlink()
            else:
                shutil.rmtree(directory)
        elif kind == "link" and not directory.is_symlink():  # a link to a copy of it
            copy = directory.with_name(directory.name + "-copy")
            directory.rename(copy)
            os.symlink(copy.name, directory)


@settings(
    max_examples=2_000 if os.environ.get("VCRELEASE_FUZZ") else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes=CHANGES)
def test_every_split_agrees_with_one_process_and_git_status(
    template: Path, tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[str, str]]
) -> None:
    repo = tmp_path_factory.mktemp("case") / "repo"
    shutil.copytree(template, repo, symlinks=True)
    _apply(repo, changes)
    whole = _read(repo, 0)
    assert whole is not None
    count = len(FILES) + 2
    for split in _splits(count):
        assert _read(repo, split) == whole, split
    with pytest.MonkeyPatch.context() as patch:
        isolate_like_git(patch)
        patch.setattr(unstaged, "SPLIT_MIN_ENTRIES", 1)  # the dirty check forks here too
        args = ["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"]
        out = run_git(args, repo).stdout
        expected = tuple(sorted(line[3:] for line in out.splitlines()))
        with vcgit.open(repo) as session:
            assert session.head_state().dirty_files == expected


def test_a_child_that_fails_or_is_killed_leaves_its_entries_to_the_parent(template: Path) -> None:
    (template.parent / "changed").mkdir(exist_ok=True)
    repo = template.parent / "changed" / "repo"
    if not repo.exists():
        shutil.copytree(template, repo, symlinks=True)
        _apply(repo, [("grow", "d0/e0/f0.txt"), ("delete", "d2/e1/f3.txt")])
    whole = _read(repo, 0)
    parent = os.getpid()
    for failure in ("raise", "kill"):
        calls: list[bytes] = []

        def covered(path: bytes, failure: str = failure, calls: list[bytes] = calls) -> bool:
            if os.getpid() != parent:  # in the child
                if failure == "raise":
                    raise RuntimeError("the child fails")
                os.kill(os.getpid(), signal.SIGKILL)
            calls.append(path)
            return True

        count = len(FILES) + 2
        assert _read(repo, count // 2, covered) == whole
        assert len(calls) == count  # the parent read the child's half itself
    # a child that succeeds: the parent reads only its own half
    seen: list[bytes] = []

    def counted(path: bytes) -> bool:
        seen.append(path)
        return True

    assert _read(repo, 10, counted) == whole
    assert len(seen) == 10


def test_flagged_entries_and_truncated_indexes_as_in_one_process(
    template: Path, tmp_path: Path
) -> None:
    for flagged in ("d0/e0/f0.txt", "d2/e2/f4.txt"):  # in the parent's half, in the child's
        repo = tmp_path / flagged.replace("/", "_") / "repo"
        shutil.copytree(template, repo, symlinks=True)
        run_git(["update-index", "--assume-unchanged", flagged], repo)
        for split in _splits(len(FILES) + 2):
            assert _read(repo, split) is None
    whole = _read(template, 0)
    assert isinstance(whole, tuple)
    end = whole[3]
    with GitRepo.open(template) as git_repo:
        data = Path(git_repo.index_path).read_bytes()
        for cut in (end - 1, end // 2, 200):
            errors: set[type[BaseException]] = set()
            for split in (0, 5, 30):
                with pytest.raises((ValueError, struct.error)) as raised:
                    unstaged.stat_index(git_repo, data[:cut], 0, None, split=split)
                errors.add(raised.type)
            assert len(errors) == 1, (cut, errors)  # the same error, whatever the split


def test_the_signal_mask_is_restored_and_no_child_is_left(template: Path) -> None:
    """In a fresh interpreter (this one may have children of its own: the index servers)."""
    code = (
        "import os, signal, sys;"
        "from pathlib import Path;"
        "from vcrelease.git.repository import GitRepo;"
        "from vcrelease.git.unstaged import stat_index;"
        "before = signal.pthread_sigmask(signal.SIG_BLOCK, []);"
        "repo = GitRepo.open(Path(sys.argv[1]));"
        "data = Path(repo.index_path).read_bytes();"
        "assert stat_index(repo, data, 0, None, split=20) is not None;"
        "assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before;"
        "os.waitpid(-1, os.WNOHANG)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(template)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith("ChildProcessError: [Errno 10] No child processes")


def test_split_point_forks_only_where_it_pays() -> None:
    """Half of the entries from SPLIT_MIN_ENTRIES on, with two CPUs or more and no other
    thread; none below, with one CPU or beside a running thread."""
    code = (
        "import os, sys, threading;"
        "from vcrelease.git.unstaged import split_point, SPLIT_MIN_ENTRIES as m;"
        "results = [split_point(m - 1), split_point(m), split_point(20000)];"
        "stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start();"
        "results.append(split_point(20000)); stop.set(); t.join();"
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))});"
        "results.append(split_point(20000));"
        "print(results, m)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    results, minimum = out.stdout.rsplit(maxsplit=1)
    if len(os.sched_getaffinity(0)) >= 2:
        assert results == f"[0, {int(minimum) // 2}, 10000, 0, 0]"
    else:
        assert results == "[0, 0, 0, 0, 0]"
