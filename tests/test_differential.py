"""A differential test against git: hypothesis draws a list of operations (commits with equal
and skewed dates, merges and octopus merges, lightweight, annotated and nested tags, gc,
repack, commit-graph files, attribute files, edits that keep or change size and mtime,
chmod, symlinks, staged and unstaged edits, a directory replaced by a symbolic link to it, by
nothing or by a file), applies them to a fresh SHA-1 or SHA-256
repository with real git, and compares vcrelease's describe with git's:

- node: ``git rev-parse HEAD``; dirty: ``git status --porcelain --untracked-files=no``;
- tag and distance: the exact answer of README "How the version is found" (set arithmetic
  on ``git rev-list --parents HEAD``, :func:`walkgraphs.exact_answer`);
- distance: ``git rev-list --count TAG..HEAD``, and tag and distance: ``git describe --tags
  --long --dirty --abbrev=40``, where commit times decrease strictly along every parent
  edge (git's date walks are then exact).

Every other difference must be of a class of :data:`walkgraphs.INTENDED_DIFFERENCES`
(``tests/test_walk_dag.py`` keeps that table honest); any other fails (and hypothesis
shrinks it). Budget: the ``ci`` profile runs :data:`CI_EXAMPLES` examples (under a minute on
2 cores), ``fuzz`` (``nox -s fuzz``) :data:`FUZZ_EXAMPLES`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gitutil import BASE_DATE, git_describe, isolate_like_git, run_git  # noqa: E402
from vcrelease import git as vcgit  # noqa: E402
from walkgraphs import INTENDED_DIFFERENCES, exact_answer  # noqa: E402

CI_EXAMPLES = 20
FUZZ_EXAMPLES = 3000

OPS = st.one_of(
    st.tuples(st.just("commit"), st.integers(-3, 3)),
    st.tuples(st.just("tag"), st.sampled_from(["light", "annotated", "nested"])),
    st.tuples(st.just("merge"), st.integers(2, 3)),
    st.tuples(st.just("maintain"), st.sampled_from(["gc", "repack", "graph", "graph-split"])),
    st.tuples(st.just("attributes"), st.sampled_from(["text eol=lf", "ident", "-text", "crlf"])),
    st.tuples(
        st.just("edit"),
        st.sampled_from(["same-size", "grow", "same-size-old-mtime", "chmod", "symlink", "crlf"]),
    ),
    st.tuples(st.just("stage"), st.just(0)),
    st.tuples(
        st.just("directory"),
        st.sampled_from(["moved-and-linked", "copied-and-linked", "removed", "file-instead"]),
    ),
)


class Repo:
    def __init__(self, path: Path, object_format: str = "sha1") -> None:
        self.path = path
        self.clock = 1_700_000_000
        self.skewed = False  # a parent strictly newer than its child
        self.unordered = False  # a parent as new as its child, or newer
        self.tags = 0
        self.files = 0
        path.mkdir()
        self.git("init", "-q", "-b", "main", f"--object-format={object_format}")
        self.commit(0)
        self.unordered = False  # the root commit has no parent to be as new as

    def git(self, *args: str, check: bool = True, strip: bool = True) -> str:
        """``git --no-optional-locks ARGS`` (see :func:`run_git`), dated ``self.clock``."""
        when = self.clock - int(BASE_DATE.timestamp())
        done = run_git(["--no-optional-locks", *args], self.path, when=when, check=check)
        return done.stdout.strip() if strip else done.stdout

    def commit(self, skew: int) -> None:
        if skew < 0:
            self.skewed = True
        if skew <= 0:
            self.unordered = True
        self.clock += skew * 3600 if skew else 0  # 0: the same second as the parent
        self.files += 1
        name = f"f{self.files % 3}.txt"
        with open(self.path / name, "a") as f:
            f.write(f"line {self.files}\n")
        self.git("add", "-A")
        self.git("commit", "-qm", f"c{self.files}")

    def tag(self, kind: str) -> None:
        self.tags += 1
        name = f"v1.{self.tags}"
        if kind == "light":
            self.git("tag", name)
        elif kind == "annotated":
            self.git("tag", "-a", "-m", name, name)
        else:
            self.git("tag", "-a", "-m", "inner", f"inner{self.tags}")
            self.git("tag", "-a", "-m", name, name, f"inner{self.tags}")

    def merge(self, ways: int) -> None:
        base = self.git("rev-parse", "HEAD")
        branches = []
        for i in range(ways - 1):
            branch = f"b{self.files}-{i}"
            self.git("checkout", "-q", "-b", branch, base)
            self.commit(1)
            branches.append(branch)
        self.git("checkout", "-q", "main")
        self.commit(1)
        self.clock += 60  # the merge a minute after its parents
        self.git("merge", "-q", "--no-edit", *branches, check=False)
        if self.git("ls-files", "-u"):
            self.git("merge", "--abort", check=False)
            self.git("reset", "-q", "--hard")

    def apply(self, op: str, arg: object) -> None:
        path = self.path
        if op == "commit":
            self.git("reset", "-q", "--hard")
            self.commit(int(str(arg)))
        elif op == "tag":
            self.tag(str(arg))
        elif op == "merge":
            self.git("reset", "-q", "--hard")
            self.merge(int(str(arg)))
        elif op == "maintain":
            args = {
                "gc": ["gc", "-q"],
                "repack": ["repack", "-adq"],
                "graph": ["commit-graph", "write", "--reachable"],
                "graph-split": ["commit-graph", "write", "--reachable", "--split"],
            }[str(arg)]
            self.git(*args)
        elif op == "attributes":
            (path / ".gitattributes").write_text(f"*.txt {arg}\n")
        elif op == "stage":
            self.git("add", "-u")
        elif op == "directory":
            self.directory(str(arg))
        else:
            target = path / "f1.txt"
            if not target.is_file() or target.is_symlink():
                return
            st_before = target.stat()
            data = target.read_bytes()
            if arg == "same-size" or arg == "same-size-old-mtime":
                target.write_bytes(data[:-2] + (b"X\n" if data[-2:-1] != b"X" else b"Y\n"))
                if arg == "same-size-old-mtime":
                    os.utime(target, ns=(st_before.st_atime_ns, st_before.st_mtime_ns))
            elif arg == "grow":
                target.write_bytes(data + b"more\n")
            elif arg == "crlf":
                target.write_bytes(data.replace(b"\n", b"\r\n"))
            elif arg == "chmod":
                target.chmod(st_before.st_mode ^ 0o100)
            else:
                target.unlink()
                target.symlink_to("f0.txt")

    def directory(self, how: str) -> None:
        """A committed directory ``sub/`` (with ``sub/deeper/``) whose place in the work tree
        is then taken: by a symbolic link to it moved or copied (git counts the files behind
        the link as removed), by nothing, or by a file."""
        sub = self.path / "sub"
        if not (sub / "deeper" / "h.txt").is_file() or sub.is_symlink():
            self.git("reset", "-q", "--hard")
            if sub.is_symlink() or sub.is_file():
                sub.unlink()
            (sub / "deeper").mkdir(parents=True, exist_ok=True)
            (sub / "g.txt").write_text("g\n")
            (sub / "deeper" / "h.txt").write_text("h\n")
            self.clock += 60  # a minute after its parent
            self.git("add", "-A")
            self.git("commit", "-qm", "sub", check=False)
        if how == "moved-and-linked":
            shutil.rmtree(self.path / "sub-moved", ignore_errors=True)
            sub.rename(self.path / "sub-moved")
            sub.symlink_to("sub-moved")
        elif how == "copied-and-linked":
            shutil.rmtree(self.path / "sub-copy", ignore_errors=True)
            shutil.copytree(sub, self.path / "sub-copy", copy_function=shutil.copy2)
            shutil.rmtree(sub)
            sub.symlink_to("sub-copy")
        elif how == "removed":
            shutil.rmtree(sub)
        else:
            shutil.rmtree(sub / "deeper")
            (sub / "deeper").write_text("a file now\n")


def parse(name: str) -> str | None:
    return name[1:] if name.startswith("v1.") else None


def compare(repo: Repo, seen: set[str]) -> None:
    """vcrelease against the exact answer and git; adds the classes of intended difference
    met to ``seen`` and raises AssertionError on any other difference."""
    ours = vcgit.describe(repo.path, parse)
    assert ours.node == repo.git("rev-parse", "HEAD")
    status = repo.git("status", "--porcelain", "--untracked-files=no", strip=False)
    assert sorted(ours.dirty_files) == sorted(line[3:] for line in status.splitlines()), status
    exact = exact_answer(repo.path, parse)
    if (ours.tag, ours.distance) != (exact.tag, exact.distance):
        assert repo.skewed, f"vcrelease {ours.tag}-{ours.distance}, exact {exact}"
        seen.add("skew-below-stop-without-generations")
    count = int(repo.git("rev-list", "--count", f"{exact.tag}..HEAD" if exact.tag else "HEAD"))
    if count != exact.distance:
        assert repo.unordered, f"git rev-list --count {count}, exact {exact}"
        seen.add("rev-list-dates")
    if exact.tag is None:
        return
    no_locks = {"GIT_OPTIONAL_LOCKS": "0"}  # git --no-optional-locks, as Repo.git
    described = git_describe(repo.path, "--dirty", "--abbrev=40", "--match", "v1.*", env=no_locks)
    assert described is not None, f"git describe finds no tag, exact {exact}"
    tag, distance = described.tag, described.distance
    if (tag, distance) == (exact.tag, exact.distance):
        return
    if exact.distances.get(tag) == distance == exact.distance:
        seen.add("describe-tie")
    else:
        assert repo.unordered, f"git describe {described}, exact {exact}"
        seen.add("describe-dates")


def _examples() -> int:
    if os.environ.get("VCRELEASE_DIFF_EXAMPLES"):  # a search by hand
        return int(os.environ["VCRELEASE_DIFF_EXAMPLES"])
    current = settings.default
    return FUZZ_EXAMPLES if current and current.max_examples > 10_000 else CI_EXAMPLES


def test_vcrelease_agrees_with_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[str] = set()
    isolate_like_git(monkeypatch)  # vcrelease reads the same (empty) global config as git

    @settings(
        max_examples=_examples(),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.sampled_from(["sha1", "sha256"]), st.lists(OPS, min_size=1, max_size=8))
    def run(object_format: str, ops: list[tuple[str, object]]) -> None:
        repo = Repo(tmp_path_factory.mktemp("diff") / "r", object_format)
        for op, arg in ops:
            repo.apply(op, arg)
        compare(repo, seen)

    run()
    assert seen <= INTENDED_DIFFERENCES.keys()
