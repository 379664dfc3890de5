"""Ref names and symbolic refs as git reads them (``git-check-ref-format``, ``refs.c``).

A tag whose name git refuses (a trailing space, a control character, ``..``, ``@{``, a
component starting with ``.`` or ending with ``.lock``...) is no tag to git: ``git tag -l``
skips it with "ignoring ref with broken name" and ``git describe`` never names it. The refs are
written as files and ``packed-refs`` lines directly, since git will not make them. A HEAD
behind more symbolic refs than git follows (``SYMREF_MAXDEPTH``) is refused as
``git rev-parse HEAD`` refuses it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitutil import ENV, git, git_describe, new_repo, parse_describe, run, run_git
from vcrelease import git as vcgit
from vcrelease.errors import EXIT_NO_VERSION, RepositoryError
from vcrelease.git.refs import SYMREF_MAXDEPTH, _all_plain_valid, valid_ref_name

BROKEN = [
    "v9.0.0 ",
    "v9.0.0\t",
    "v9.0.0\x1f",
    "v9.0.0\x0b",
    "v9.0.0\x0c",
    "v9.0.0\x7f",
    "v9..0",
    "v9.0@{0}",
    ".v9.0.0",
    "rel/.v9.0.0",
    "v9.0.0.lock",
    "v9.0.0.lock/x",
    "v9.0.0.",
    "v9~0",
    "v9^0",
    "v9:0",
    "v9?0",
    "v9*0",
    "v9[0",
    "v9\\0",
    "rel//v9.0.0",
    "rel/v9.0.0/",
]
GOOD = ["v9.0.0", "rel/v9.0.0", "v9.0.0-lock", "v9.lock.0", "v9@0", "v9{0}", "v9.0.0é", "@x"]


def check_ref_format(name: bytes) -> bool:
    """git's own verdict on the full ref name ``name``."""
    done = subprocess.run(
        ["git", "check-ref-format", "--allow-onelevel", name],
        capture_output=True,
        check=False,
        env=ENV,
    )
    return done.returncode == 0


@pytest.mark.parametrize("name", BROKEN + GOOD)
def test_ref_names_as_git_check_ref_format(name: str) -> None:
    full = b"refs/tags/" + name.encode()
    assert valid_ref_name(full) == check_ref_format(full) == (name in GOOD)


@settings(max_examples=max(20, settings().max_examples // 10))
@given(st.binary(min_size=1, max_size=12).filter(lambda b: b"\0" not in b))
def test_generated_ref_names_as_git(tail: bytes) -> None:
    name = b"refs/tags/" + tail
    assert valid_ref_name(name) == check_ref_format(name), name


_PIECES = [b"v1", b"a", b"0", b".", b"/", b"..", b".lock", b"lock", b"-", b"@", b"{", b"\x01", b" "]


@settings(max_examples=max(50, settings().max_examples // 5))
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=6).map(b"".join), max_size=5))
def test_the_check_of_many_packed_names_at_once_passes_none_that_git_refuses(
    names: list[bytes],
) -> None:
    """The bulk check of a packed-refs file's tag names says "all valid" only when each is
    (else every name is checked alone); names made of the pieces git's rules are about."""
    if _all_plain_valid(names):
        assert all(valid_ref_name(b"refs/tags/" + n) for n in names), names


def test_the_bulk_check_passes_ordinary_tag_names() -> None:
    names = [f"v{i}.{j}.0".encode() for i in range(50) for j in range(20)]
    assert _all_plain_valid([*names, b"pkg-a-v1.2.3", b"rel/v1_0+x"])
    assert not _all_plain_valid([*names, b"v1..0"])
    assert not _all_plain_valid([b"v1.0", b""])


def tagged(path: Path) -> tuple[Path, str]:
    """A repository: ``v1.0`` on the first commit, HEAD one commit later; (path, HEAD)."""
    new_repo(path, tags=["v1.0"], commits_after_tag=1)
    return path, git(path, "rev-parse", "HEAD")


@pytest.mark.parametrize("tag", ["v1.0", "pkg-a-v1.0", "x-2-gdeadbee", "v1.0-dirty", "rel/v1-0"])
def test_the_describe_oracle_reads_a_tag_whole(tmp_path: Path, tag: str) -> None:
    """:func:`gitutil.git_describe`, the oracle of the describe tests, reads a tag that holds
    dashes, a ``-N-gHEX`` or ``-dirty`` of its own whole; the dirty mark only from
    ``--dirty``; no tag (none at all, none matching) is None, any other failure an error."""
    repo = new_repo(tmp_path / "r", files={"a.txt": "0\n"}, commits_after_tag=2)
    assert git_describe(repo) is None
    git(repo, "tag", tag, "HEAD~2")
    head = git(repo, "rev-parse", "HEAD")
    assert git_describe(repo, "--abbrev=40") == (tag, 2, head, False)
    (repo / "a.txt").write_text("edited\n")
    assert git_describe(repo, "--dirty", "--abbrev=40") == (tag, 2, head, True)
    assert git_describe(repo, "--abbrev=40") == (tag, 2, head, False)
    short = git_describe(repo, "--dirty")
    assert short is not None
    assert short[:2] == (tag, 2)
    assert head.startswith(short.node)
    assert git_describe(repo, "--match", "no-such-*") is None
    with pytest.raises(RuntimeError, match="no-such-commit"):
        git_describe(repo, "no-such-commit")
    with pytest.raises(ValueError, match="not the output of git describe"):
        parse_describe(f"{tag}-2-g")  # no node: not the --long form


TAG = re.compile(r"^v(\d+(?:\.\d+)*)")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


@pytest.mark.parametrize("store", ["loose", "packed"])
@pytest.mark.parametrize(
    "name", ["v9.0.0 ", "v9.0.0\t", "v9.0.0\x1f", "v9.0.0\x0b", "v9..0", "v9.0.0.lock", ".v9"]
)
def test_a_tag_git_ignores_gives_no_version(
    tmp_path: Path, name: str, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, head = tagged(tmp_path / "r")
    raw = name.encode()
    if store == "loose":
        target = repo / ".git" / "refs" / "tags" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(head.encode() + b"\n")
    else:
        packed = repo / ".git" / "packed-refs"
        packed.write_bytes(b"%s refs/tags/%s\n" % (head.encode(), raw))
    described = git_describe(repo)
    assert described is not None
    assert described[:2] == ("v1.0", 1)  # git: the broken tag on HEAD does not count
    assert git(repo, "tag", "-l").splitlines() == ["v1.0"]
    monkeypatch.setenv("VCRELEASE_NO_CACHE", "1")
    state = vcgit.describe(repo, parse)
    assert (state.tag, state.distance) == ("v1.0", 1)
    with vcgit.open(repo) as session:
        assert [t.name for t in session.version_tags(parse)] == ["v1.0"]
    if name == BROKEN[0]:  # the broken name end to end: the version command still answers
        done = run("version", repo, cwd=repo, **ENV)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("1.1.dev1+g"), done.stdout


def test_a_packed_ref_that_climbs_out_of_refs_is_refused(tmp_path: Path) -> None:
    repo, head = tagged(tmp_path / "r")
    (repo / ".git" / "packed-refs").write_bytes(b"%s refs/tags/../../../x\n" % head.encode())
    assert run_git(["tag", "-l"], repo, check=False).returncode != 0  # git: dangerous
    with pytest.raises(RepositoryError, match="climbs out of refs/"):
        vcgit.describe(repo, parse)


def symref_chain(repo: Path, links: int) -> None:
    """HEAD -> refs/heads/s1 -> ... -> refs/heads/s<links> -> refs/heads/main."""
    names = [f"refs/heads/s{i}" for i in range(1, links + 1)]
    for name, target in zip(names, [*names[1:], "refs/heads/main"][: len(names)], strict=True):
        (repo / ".git" / name).write_text(f"ref: {target}\n")
    (repo / ".git" / "HEAD").write_text(f"ref: {names[0] if names else 'refs/heads/main'}\n")


@pytest.mark.parametrize("links", range(SYMREF_MAXDEPTH + 2))
def test_symbolic_ref_depth_as_git(tmp_path: Path, links: int) -> None:
    repo, head = tagged(tmp_path / "r")
    symref_chain(repo, links)
    by_git = run_git(["rev-parse", "--verify", "-q", "HEAD"], repo, check=False)
    if by_git.returncode == 0:
        assert by_git.stdout.strip() == head
        assert vcgit.describe(repo, parse).node == head
    else:
        assert links >= SYMREF_MAXDEPTH - 1  # git's limit, not ours
        with pytest.raises(RepositoryError, match="deeper than git's limit"):
            vcgit.describe(repo, parse)
    if links == SYMREF_MAXDEPTH:  # the command line: exit 3, one paragraph
        done = run("describe", repo, cwd=repo, **ENV)
        assert done.returncode == EXIT_NO_VERSION, done.stderr
        assert "deeper than git's limit" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_symbolic_ref_loop_is_refused(tmp_path: Path) -> None:
    repo, _ = tagged(tmp_path / "r")
    (repo / ".git" / "refs" / "heads" / "a").write_text("ref: refs/heads/b\n")
    (repo / ".git" / "refs" / "heads" / "b").write_text("ref: refs/heads/a\n")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/a\n")
    assert run_git(["rev-parse", "--verify", "-q", "HEAD"], repo, check=False).returncode != 0
    done = run("describe", repo, cwd=repo, **ENV)
    assert done.returncode == EXIT_NO_VERSION, done.stderr
    assert "loop" in done.stderr
    assert "git symbolic-ref HEAD" in done.stderr


def test_head_on_a_branch_name_git_refuses_is_refused(tmp_path: Path) -> None:
    repo, head = tagged(tmp_path / "r")
    (repo / ".git" / "refs" / "heads" / "bad name").write_text(head + "\n")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/bad name\n")
    assert run_git(["rev-parse", "--verify", "-q", "HEAD"], repo, check=False).returncode != 0
    with pytest.raises(RepositoryError, match="a name git refuses"):
        vcgit.describe(repo, parse)
