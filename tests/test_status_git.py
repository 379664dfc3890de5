"""The dirty check against ``git status --porcelain --untracked-files=no`` (points 4
and 5): git's stat rules, attributes from every source and the check-in conversions, filters
that are absent or not ours to run, submodules, constant-memory hashing, and repositories
another user owns. git is the oracle, read with ``--no-optional-locks`` (it must not refresh
the index under the comparison)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from gitutil import ENV, git, isolate_like_git, new_repo, run, run_git
from otheruser import MODES, OtherUser, other_user
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError


@pytest.fixture(autouse=True)
def _git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same configuration for git and for vcrelease (no global or system config, no
    ``GIT_*`` variable of the shell)."""
    isolate_like_git(monkeypatch)


def git_dirty(repo: Path, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The paths ``git status --porcelain --untracked-files=no`` reports, sorted; ``env`` adds
    variables to :func:`gitutil.git_env`."""
    args = ["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"]
    out = run_git(args, repo, env=env).stdout
    return tuple(sorted(line[3:] for line in out.splitlines()))


def ours(repo: Path) -> tuple[str, ...]:
    with vcgit.open(repo) as session:
        return session.head_state().dirty_files


def agree(repo: Path) -> tuple[str, ...]:
    """Our dirty files equal git's, read from the index as it is (version 2 or 3: the
    one-pass reader, unless an entry is flagged) and from a version 4 copy of it (the
    general reader, which decodes every entry), so both readers meet every case here."""
    mine = ours(repo)
    assert mine == git_dirty(repo)
    git_dir = Path(git(repo, "rev-parse", "--absolute-git-dir").strip())
    copy = git_dir.parent / "index.v4"
    copy.write_bytes((git_dir / "index").read_bytes())
    env = {"GIT_INDEX_FILE": str(copy)}
    try:
        run_git(["update-index", "--index-version", "4"], repo, env=env)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GIT_INDEX_FILE", str(copy))
            assert ours(repo) == git_dirty(repo, env) == mine
    finally:
        copy.unlink()
    return mine


def aged_repo(path: Path, files: dict[str, bytes], attributes: str | None = None) -> Path:
    """A repository of ``files`` (and ``attributes`` as ``.gitattributes``) in one commit,
    every file older than the index."""
    tree: dict[str, str | bytes] = {} if attributes is None else {".gitattributes": attributes}
    tree.update(files)
    age(new_repo(path, files=tree))
    return path


def age(repo: Path) -> None:
    """Make every tracked file older than the index (no racily clean entries)."""
    for name in git(repo, "ls-files").splitlines():
        if not os.path.islink(repo / name):
            os.utime(repo / name, (1_700_000_000, 1_700_000_000))
    git(repo, "update-index", "--refresh")


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in files + dirs:
            full = os.path.join(directory, name)
            st = os.lstat(full)
            found[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
    return found


# --- git's stat rules ---------------------------------------------------------------------


def test_same_size_and_mtime_but_new_ctime_is_dirty_as_for_git(tmp_path: Path) -> None:
    repo = aged_repo(tmp_path / "r", {"a.txt": b"hello\n"})
    st = os.stat(repo / "a.txt")
    time.sleep(1.05)  # the next second: the ctime git recorded differs
    (repo / "a.txt").write_bytes(b"jello\n")
    os.utime(repo / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert agree(repo) == ("a.txt",)


def test_sub_second_mtime_is_not_compared_as_in_git(tmp_path: Path) -> None:
    """git (built without USE_NSEC) compares whole seconds: with core.trustctime=false a
    same-size edit whose mtime differs only in nanoseconds is clean for git, so for us."""
    repo = aged_repo(tmp_path / "r", {"a.txt": b"hello\n"})
    git(repo, "config", "core.trustctime", "false")
    os.utime(repo / "a.txt", ns=(1_700_000_000_100_000_000,) * 2)
    git(repo, "update-index", "--refresh")
    time.sleep(1.05)  # a new ctime second, which only core.trustctime=true looks at
    (repo / "a.txt").write_bytes(b"jello\n")
    os.utime(repo / "a.txt", ns=(1_700_000_000_200_000_000,) * 2)
    assert agree(repo) == ()
    git(repo, "config", "core.trustctime", "true")
    assert agree(repo) == ("a.txt",)
    git(repo, "config", "core.checkStat", "minimal")
    assert agree(repo) == ()


def test_racily_clean_entry_is_hashed(tmp_path: Path) -> None:
    repo = aged_repo(tmp_path / "r", {"a.txt": b"hello\n"})
    git(repo, "config", "core.trustctime", "false")
    future = 2_000_000_000  # newer than the index file: racily clean
    os.utime(repo / "a.txt", (future, future))
    git(repo, "update-index", "--refresh")
    (repo / "a.txt").write_bytes(b"jello\n")
    os.utime(repo / "a.txt", (future, future))
    assert agree(repo) == ("a.txt",)


@pytest.mark.parametrize(
    "how",
    ["moved-and-linked", "copied-and-linked", "nested", "outside", "tracked-link-to-dir"],
)
def test_a_file_reached_through_a_symbolic_link_is_removed_as_for_git(
    tmp_path: Path, how: str
) -> None:
    """git counts a tracked file whose leading directory became a symbolic link as deleted
    (``has_symlink_leading_path``), even when the link leads to the very same file (same
    inode and stat data)."""
    repo = aged_repo(
        tmp_path / "r",
        {"d/a.txt": b"a\n", "d/e/b.txt": b"b\n", "top.txt": b"t\n", "real/c.txt": b"c\n"},
    )
    if how == "moved-and-linked":
        (repo / "d").rename(repo / "moved")
        (repo / "d").symlink_to("moved")
    elif how == "copied-and-linked":
        shutil.copytree(repo / "d", repo / "copy", copy_function=shutil.copy2)
        shutil.rmtree(repo / "d")
        (repo / "d").symlink_to("copy")
    elif how == "nested":
        (repo / "d" / "e").rename(repo / "e2")
        (repo / "d" / "e").symlink_to("../e2")
    elif how == "outside":
        shutil.copytree(repo / "d", tmp_path / "elsewhere", copy_function=shutil.copy2)
        shutil.rmtree(repo / "d")
        (repo / "d").symlink_to(tmp_path / "elsewhere")
    else:  # a symbolic link git tracks, to a tracked directory: nothing is beyond it
        (repo / "to-real").symlink_to("real")
        git(repo, "add", "to-real")
        git(repo, "commit", "-qm", "link")
        age(repo)
    assert (
        agree(repo)
        == {
            "moved-and-linked": ("d/a.txt", "d/e/b.txt"),
            "copied-and-linked": ("d/a.txt", "d/e/b.txt"),
            "nested": ("d/e/b.txt",),
            "outside": ("d/a.txt", "d/e/b.txt"),
            "tracked-link-to-dir": (),
        }[how]
    )


def test_size_change_is_dirty_without_hashing_even_when_content_converts_back(
    tmp_path: Path,
) -> None:
    """git's ie_modified: a changed, recorded size is modified, whatever the filters say."""
    repo = aged_repo(tmp_path / "r", {"a.txt": b"one\ntwo\n"})
    git(repo, "config", "core.autocrlf", "true")
    (repo / "a.txt").write_bytes(b"one\r\ntwo\r\n")
    assert agree(repo) == ("a.txt",)


# --- attributes and conversions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "committed", "work"),
    [
        ("*.txt text\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("*.txt -text\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("*.txt text=auto\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("*.txt text=auto\n", b"a\0\nb\n", b"a\0\r\nb\r\n"),
        ("*.txt eol=crlf\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("*.txt binary\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("[attr]mine text\n*.txt mine\n", b"a\nb\n", b"a\r\nb\r\n"),
        ("*.txt ident\n", b"$Id$\n", b"$Id: 0123456789abcdef $\n"),
        ("*.txt ident\n", b"$Id$\n", b"$Id: 0123456789abcdef\n$\n"),
        (
            "*.txt working-tree-encoding=UTF-16\n",
            "café\n".encode("utf-16"),
            "cafe\n".encode("utf-16"),
        ),
        (
            "*.txt working-tree-encoding=UTF-16\n",
            "café\n".encode("utf-16"),
            "café\n".encode("utf-16"),
        ),
        (
            "*.txt working-tree-encoding=UTF-16LE\n",
            "café\n".encode("utf-16-le"),
            "\ufeffcafé".encode("utf-16-le"),
        ),
        (
            "*.txt working-tree-encoding=latin-1\n",
            "café\n".encode("latin-1"),
            "cafe\n".encode("latin-1"),
        ),
        (
            "*.txt working-tree-encoding=latin-1\n",
            "café\n".encode("latin-1"),
            "café\n".encode("latin-1"),
        ),
    ],
)
def test_conversions_as_git(tmp_path: Path, attributes: str, committed: bytes, work: bytes) -> None:
    repo = aged_repo(tmp_path / "r", {"a.txt": committed, "sub/b.txt": committed}, attributes)
    for name in ("a.txt", "sub/b.txt"):
        (repo / name).write_bytes(work)
        os.utime(repo / name, (2_000_000_000, 2_000_000_000))  # racy: hashed
    agree(repo)


@pytest.mark.parametrize("where", ["nested", "info", "global", "xdg"])
def test_attributes_from_every_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    repo = aged_repo(tmp_path / "r", {"sub/a.txt": b"x\n", "a.txt": b"x\n"})
    (repo / "sub/a.txt").write_bytes(b"x\r")
    (repo / "a.txt").write_bytes(b"x\r")
    line = "*.txt text\n"
    home = tmp_path / "home"
    (home / ".config/git").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    if where == "nested":
        (repo / "sub/.gitattributes").write_text(line)
    elif where == "info":
        (repo / ".git/info").mkdir(exist_ok=True)
        (repo / ".git/info/attributes").write_text(line)
    elif where == "global":
        (tmp_path / "attrs").write_text(line)
        git(repo, "config", "core.attributesFile", str(tmp_path / "attrs"))
    else:
        (home / ".config/git/attributes").write_text(line)
    for name in ("sub/a.txt", "a.txt"):
        os.utime(repo / name, (2_000_000_000, 2_000_000_000))
    assert ours(repo) == git_dirty(repo, {"HOME": str(home)})


# --- filters --------------------------------------------------------------------------------


def test_lfs_without_git_lfs_writes_nothing_and_agrees(tmp_path: Path) -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\n"
    repo = aged_repo(tmp_path / "r", {"big.bin": pointer, "a.txt": b"a\n"}, "*.bin filter=lfs\n")
    git(repo, "tag", "v1.0")
    (repo / "big.bin").write_bytes(pointer.replace(b"0", b"1"))
    os.utime(repo / "big.bin", (2_000_000_000, 2_000_000_000))
    before = snapshot(repo)
    for command in ("version", "describe"):
        done = run(command, repo, cwd=repo, VCRELEASE_NO_CACHE="1")
        assert done.returncode == 0, done.stderr
    assert snapshot(repo) == before
    assert not (repo / ".git/lfs").exists()
    assert agree(repo) == ("big.bin",)


def test_a_read_writes_only_its_own_cache(tmp_path: Path) -> None:
    repo = aged_repo(tmp_path / "r", {"a.txt": b"a\n"}, "*.txt text ident\n")
    git(repo, "tag", "v1.0")
    (repo / "a.txt").write_bytes(b"b\n")
    before = snapshot(repo)
    for command in ("version", "describe"):
        assert run(command, repo, cwd=repo).returncode == 0
    after = snapshot(repo)
    assert (repo / ".git/vcrelease/describe-cache.json").is_file()
    # the cache's directory is the one change (and the new entry changes .git's mtime)
    keep = {k: v for k, v in after.items() if not k.startswith(".git/vcrelease") and k != ".git"}
    assert keep == {k: v for k, v in before.items() if k != ".git"}


def test_configured_clean_filter_runs_in_our_repository(tmp_path: Path) -> None:
    repo = aged_repo(tmp_path / "r", {"a.txt": b"a\n"}, "*.txt filter=upper\n")
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    (repo / "a.txt").write_bytes(b"A\n")  # committed bytes were "a\n" (no filter then)
    os.utime(repo / "a.txt", (2_000_000_000, 2_000_000_000))
    agree(repo)
    git(repo, "config", "filter.upper.clean", "exit 3")  # failing, not required: raw bytes
    agree(repo)


FILTER_PROCESS = Path(__file__).with_name("filterproc.py")


@pytest.mark.parametrize("mode", ["upper", "error", "abort", "noclean", "exit", "garbage"])
@pytest.mark.parametrize("required", [False, True])
def test_long_running_filter_process_as_git_runs_it(
    tmp_path: Path, mode: str, required: bool
) -> None:
    """filter.<driver>.process is spoken to in git's protocol, one process for the run; its
    failures count as git counts them (the bytes as they are, or an error when required)."""
    files = {"a.txt": b"A\n", "b.txt": b"b\n", "big.txt": b"x" * 200_000, "c.txt": b"c\n"}
    repo = aged_repo(tmp_path / "r", files, "*.txt filter=up\n")
    log = tmp_path / "starts.log"
    command = f"{sys.executable} {FILTER_PROCESS} {mode} {log}"
    git(repo, "config", "filter.up.process", command)
    git(repo, "config", "filter.up.clean", "exit 7")  # process wins over clean, as in git
    if required:
        git(repo, "config", "filter.up.required", "true")
    (repo / "a.txt").write_bytes(b"a\n")  # the committed blob once cleaned by "upper"
    (repo / "b.txt").write_bytes(b"b\n")  # the same bytes, not after "upper"
    (repo / "big.txt").write_bytes(b"x" * 199_999 + b"y")  # several packets each way
    for name in files:
        os.utime(repo / name, (2_000_000_000, 2_000_000_000))
    log.unlink(missing_ok=True)
    fails = mode in ("error", "abort", "noclean", "exit", "garbage")
    if required and fails:
        with pytest.raises(RepositoryError, match=r"clean filter 'up' failed"):
            ours(repo)
        done = run_git(["status", "--porcelain"], repo, check=False)
        assert done.returncode != 0
        return
    mine = ours(repo)
    assert log.read_text().count("start") == 1  # one process for every file
    assert mine == git_dirty(repo)
    if mode == "upper":
        assert mine == ("b.txt", "big.txt", "c.txt")


def test_required_filter_that_fails_is_an_error_as_for_git(tmp_path: Path) -> None:
    repo = aged_repo(tmp_path / "r", {"a.bin": b"a\n"}, "*.bin filter=lfs\n")
    git(repo, "config", "filter.lfs.clean", "git-lfs-not-installed clean -- %f")
    git(repo, "config", "filter.lfs.required", "true")
    os.utime(repo / "a.bin", (2_000_000_000, 2_000_000_000))
    with pytest.raises(RepositoryError, match=r"a\.bin: clean filter 'lfs' failed"):
        ours(repo)
    assert run_git(["status"], repo, check=False).returncode != 0


# --- submodules -----------------------------------------------------------------------------


@pytest.fixture
def with_submodule(tmp_path: Path) -> Path:
    sub = aged_repo(tmp_path / "subsrc", {"s.txt": b"s\n"})
    repo = aged_repo(tmp_path / "r", {"a.txt": b"a\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub")
    git(repo, "commit", "-qm", "sub")
    age(repo)
    age(repo / "sub")
    return repo


@pytest.mark.parametrize("ignore", [None, "dirty", "all"])
def test_a_submodule_behind_a_symbolic_link_is_removed_unless_ignored(
    tmp_path: Path, ignore: str | None
) -> None:
    """git counts a submodule whose leading directory became a symbolic link as deleted,
    like a file there; ``ignore = all`` hides it, as it hides any change of the submodule."""
    sub = aged_repo(tmp_path / "subsrc", {"s.txt": b"s\n"})
    repo = aged_repo(tmp_path / "r", {"libs/x.txt": b"x\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "libs/sub")
    git(repo, "commit", "-qm", "sub")
    if ignore is not None:
        git(repo, "config", "submodule.libs/sub.ignore", ignore)
    age(repo)
    assert agree(repo) == ()
    (repo / "libs").rename(repo / "libs-real")
    (repo / "libs").symlink_to("libs-real")
    expected = ("libs/x.txt",) if ignore == "all" else ("libs/sub", "libs/x.txt")
    assert agree(repo) == expected


def test_submodule_content_and_head(with_submodule: Path) -> None:
    repo = with_submodule
    assert agree(repo) == ()
    (repo / "sub/untracked").write_text("u")
    assert agree(repo) == ()
    (repo / "sub/s.txt").write_text("changed\n")
    assert agree(repo) == ("sub",)
    git(repo, "config", "submodule.sub.ignore", "dirty")
    assert agree(repo) == ()
    git(repo, "config", "--unset", "submodule.sub.ignore")
    git(repo, "config", "diff.ignoreSubmodules", "all")
    assert agree(repo) == ()
    git(repo, "config", "--unset", "diff.ignoreSubmodules")
    git(repo / "sub", "checkout", "-q", "--", "s.txt")
    git(repo / "sub", "commit", "-q", "--allow-empty", "-m", "moved")
    assert agree(repo) == ("sub",)
    git(repo, "config", "submodule.sub.ignore", "dirty")
    assert agree(repo) == ("sub",)
    git(repo, "config", "submodule.sub.ignore", "all")
    assert agree(repo) == ()


@pytest.mark.parametrize(
    ("setting", "content"),
    [
        ("config none", "untracked"),
        ("config none", "nested/dir/file"),
        ("config none", "ignored"),
        ("config none", "emptydir/"),
        ("config none", "repo/.git/"),
        ("gitmodules none", "untracked"),
        ("config untracked", "untracked"),
        ("diff none", "untracked"),  # diff.ignoreSubmodules does not reach status -uno
        ("unset", "untracked"),
    ],
)
def test_submodule_untracked_content_counts_only_when_its_setting_says_none(
    with_submodule: Path, setting: str, content: str
) -> None:
    repo = with_submodule
    (repo / "sub/.gitignore").write_text("ignored\n")
    git(repo / "sub", "add", ".gitignore")
    git(repo / "sub", "commit", "-qm", "ignore")
    git(repo, "add", "sub")
    git(repo, "commit", "-qm", "sub moved")
    where, _, value = setting.partition(" ")
    if where == "config":
        git(repo, "config", "submodule.sub.ignore", value)
    elif where == "gitmodules":
        git(repo, "config", "--file", ".gitmodules", "submodule.sub.ignore", value)
        git(repo, "commit", "-qam", "gitmodules")
    elif where == "diff":
        git(repo, "config", "diff.ignoreSubmodules", value)
    target = repo / "sub" / content
    if content.endswith("/.git/"):
        git(repo / "sub", "init", "-q", content[: -len("/.git/")])
    elif content.endswith("/"):
        target.mkdir(parents=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("u")
    age(repo)
    age(repo / "sub")
    expected = (
        ("sub",)
        if value == "none"
        and where != "diff"
        and content
        in (
            "untracked",
            "nested/dir/file",
            "repo/.git/",
        )
        else ()
    )
    assert agree(repo) == expected


# --- constant memory ------------------------------------------------------------------------


def test_large_file_is_hashed_in_constant_memory(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    with open(repo / "big", "wb") as f:
        f.truncate(96 << 20)  # sparse: 96 MiB of zeros
    git(repo, "add", "big")
    git(repo, "commit", "-qm", "big")
    os.utime(repo / "big", (2_000_000_000, 2_000_000_000))  # racily clean: hashed
    script = (
        "import resource, sys\nfrom pathlib import Path\nfrom vcrelease import git\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "with git.open(Path(sys.argv[1])) as s: print(s.head_state().dirty_files)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(repo)], capture_output=True, text=True, check=True
    )
    files, grown_kib = done.stdout.splitlines()
    assert files == "()"
    assert int(grown_kib) < 16 << 10, grown_kib  # far below the file's 96 MiB
    assert git_dirty(repo) == ()


# --- someone else's repository --------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_foreign_repository_starts_no_filter_process(tmp_path: Path, mode: str) -> None:
    user = other_user(mode)
    tmp_path.chmod(0o755)
    repo = aged_repo(tmp_path / "r", {"a.txt": b"a\n"}, "*.txt filter=up\n")
    log = tmp_path / "starts.log"
    git(repo, "config", "filter.up.process", f"{sys.executable} {FILTER_PROCESS} upper {log}")
    git(repo, "tag", "v1.0")
    os.utime(repo / "a.txt", (2_000_000_000, 2_000_000_000))
    user.give_away(repo)
    done = user.run("version", repo, cwd=repo, **ENV)
    assert done.returncode == 3, done.stderr
    assert "filter.up.process" in done.stderr
    assert not log.exists()


def foreign_repo_with_clean_filter(tmp_path: Path, user: OtherUser) -> tuple[Path, Path]:
    """(repository, marker): a repository another user owns (:mod:`otheruser`) whose one
    edited file needs a clean filter that creates ``marker`` when it runs."""
    tmp_path.chmod(0o755)
    marker = tmp_path / "marker"
    repo = aged_repo(tmp_path / "r", {"a.txt": b"a\n"}, "*.txt filter=evil\n")
    git(repo, "config", "filter.evil.clean", f"touch {marker}; cat")
    git(repo, "tag", "v1.0")
    (repo / "a.txt").write_bytes(b"b\n")  # hashed: it needs the clean filter
    user.give_away(repo)
    return repo, marker


@pytest.mark.parametrize("mode", MODES)
def test_foreign_repository_runs_no_filter_and_writes_nothing(tmp_path: Path, mode: str) -> None:
    user = other_user(mode)
    repo, marker = foreign_repo_with_clean_filter(tmp_path, user)
    before = snapshot(repo)
    done = user.run("version", repo, cwd=repo, **ENV)
    assert done.returncode == 3, done.stderr
    assert "a.txt" in done.stderr
    assert "filter.evil.clean" in done.stderr
    assert "safe.directory" in done.stderr
    assert ".git/config" in done.stderr
    assert not marker.exists()
    assert snapshot(repo) == before  # no describe cache either
    # safe.directory in the protected (global) config allows it; the repo's own does not
    git(repo, "config", "--file", ".git/config", "safe.directory", "*")
    assert user.run("version", repo, cwd=repo, **ENV).returncode == 3
    (tmp_path / "global").write_text(f"[safe]\n\tdirectory = {repo}\n")
    allowed = {**ENV, "GIT_CONFIG_GLOBAL": str(tmp_path / "global")}
    done = user.run("version", repo, cwd=repo, **allowed)
    assert done.returncode == 0, done.stderr
    assert marker.exists()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("{r}", True),
        ("{tmp}/*", True),  # every directory under tmp (git-config, "safe.directory")
        ("{tmp}/r/*", False),  # under r, not r itself
        ("{tmp}/other/*", False),
        ("{tmp}/r-not/*", False),
        ("{tmp}*", False),  # not a "/*" suffix: one literal directory name
        ("*", True),
    ],
)
def test_safe_directory_values_allow_what_git_documents(
    tmp_path: Path, value: str, allowed: bool, mode: str
) -> None:
    user = other_user(mode)
    repo, marker = foreign_repo_with_clean_filter(tmp_path, user)
    setting = value.format(r=repo, tmp=tmp_path)
    (tmp_path / "global").write_text(f"[safe]\n\tdirectory = {setting}\n")
    with_global = {**ENV, "GIT_CONFIG_GLOBAL": str(tmp_path / "global")}
    done = user.run("version", repo, cwd=repo, **with_global)
    assert (done.returncode == 0) is allowed, done.stderr
    assert marker.exists() is allowed
    # a later empty value clears the list (git-config, "safe.directory")
    (tmp_path / "global").write_text(f"[safe]\n\tdirectory = {setting}\n\tdirectory =\n")
    marker.unlink(missing_ok=True)
    done = user.run("version", repo, cwd=repo, **with_global)
    assert done.returncode == 3, done.stderr
