"""The direct readers of :mod:`vcrelease.git` against git itself: packs (deltas, prefix
lookups), loose objects, alternates, long walks with and without a commit-graph, index
versions and extensions. The fixture scenarios cover the rules; these cover the readers on
repositories shaped the way ``git gc``, ``git clone --shared`` and sparse checkouts leave them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitutil import (
    AUTHOR,
    BASE_DATE,
    COMMITTER,
    Described,
    commit,
    fast_import,
    git,
    git_bytes,
    git_describe,
    run_git,
    unpack,
)
from vcrelease import git as vcgit
from vcrelease.errors import RepositoryError
from vcrelease.git.ids import EMPTY_BLOBS, HexId

TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")


def parse(name: str) -> str | None:
    m = TAG.match(name)
    return m.group(1) if m else None


def by_git(repo: Path) -> Described | None:
    """``git describe`` with the whole id (``--abbrev=64``) and the dirty mark."""
    return git_describe(repo, "--dirty", "--abbrev=64")


def ours(repo: Path) -> tuple[str | None, int, str, bool]:
    d = vcgit.describe(repo, parse)
    return d.tag, d.distance, d.node, d.dirty


def history_repo(
    path: Path,
    commits: int,
    *,
    tag_every: int = 0,
    merge_every: int = 0,
    object_format: str = "sha1",
) -> Path:
    """A linear history (a side branch forked two first-parent commits back and merged every
    ``merge_every`` commits), files that change a little each commit (so ``git gc`` makes
    deltas), ``v0.<n>`` tags every ``tag_every`` (annotated for odd ``n``), in a repository of
    ``object_format`` (``sha1`` or ``sha256``), checked out on ``main``.

    Written with ``git fast-import`` (one process instead of several per commit), then every
    object unpacked loose, as commits made one by one leave them (the tests that want packs run
    ``git gc``)."""
    stream: list[str] = []
    base = int(BASE_DATE.timestamp())

    def data(text: str) -> None:
        stream.extend([f"data {len(text.encode())}", text])

    def who(kind: str, when: int) -> str:
        name, email = COMMITTER if kind == "committer" else AUTHOR
        return f"{kind} {name} <{email}> {base + when} +0000"

    lines = [f"line {i}\n" for i in range(200)]
    main: list[int] = []  # marks of main's first-parent chain
    mark = 0
    for i in range(commits):
        lines[i % 200] = f"line {i % 200} changed in commit {i}\n"
        mark += 1
        stream += ["commit refs/heads/main", f"mark :{mark}", who("author", 2 * i),
                   who("committer", 2 * i)]  # fmt: skip
        data(f"commit {i}\n\n" + "body line\n" * (i % 5))
        for name, text in (("big.txt", "".join(lines)), (f"f{i % 7}.txt", f"{i}\n")):
            stream.append(f"M 100644 inline {name}")
            data(text)
        main.append(mark)
        if i == 0 or (tag_every and i % tag_every == 0):
            if i % 2:
                stream += [f"tag v0.{i}", f"from :{mark}", who("tagger", 2 * i)]
                data(f"tag {i}\n")
            else:
                stream += [f"reset refs/tags/v0.{i}", f"from :{mark}", ""]
        if merge_every and i and i % merge_every == 0:
            side, fork = mark + 1, main[-3]
            stream += [f"commit refs/heads/side{i}", f"mark :{side}",
                       who("author", 2 * i + 1), who("committer", 2 * i + 1)]  # fmt: skip
            data(f"side {i}")
            stream += [f"from :{fork}", f"M 100644 inline side{i}.txt"]
            data("side\n")
            mark = side + 1
            stream += ["commit refs/heads/main", f"mark :{mark}", who("author", 2 * i + 1),
                       who("committer", 2 * i + 1)]  # fmt: skip
            data(f"Merge branch 'side{i}'")
            stream += [f"from :{main[-1]}", f"merge :{side}", f"M 100644 inline side{i}.txt"]
            data("side\n")
            main.append(mark)
    fast_import(path, stream, object_format)
    for pack in sorted((path / ".git" / "objects" / "pack").glob("*.pack")):
        unpack(path, pack)
    git(path, "reset", "-q", "--hard", "main")
    return path


@pytest.fixture(scope="module")
def packed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 commits with merges and tags, `git gc --aggressive`, then a few loose objects."""
    repo = history_repo(tmp_path_factory.mktemp("packed") / "r", 300, tag_every=37, merge_every=23)
    git(repo, "gc", "-q", "--aggressive")
    (repo / "loose.txt").write_text("loose\n")
    git(repo, "add", "loose.txt")
    git(repo, "commit", "-qm", "loose commit", when=3000)
    return repo


def test_every_object_matches_cat_file(packed_repo: Path) -> None:
    every_object_matches_cat_file(packed_repo)


@pytest.fixture(scope="module")
def sha256_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SHA-256 repository (``git init --object-format=sha256``): 120 commits with merges and
    tags, packed with ref deltas (``repack.useDeltaBaseOffset=false``: each delta names its
    base by its 32-byte id), then a loose commit."""
    repo = history_repo(
        tmp_path_factory.mktemp("sha256") / "r",
        120,
        tag_every=17,
        merge_every=23,
        object_format="sha256",
    )
    git(repo, "-c", "repack.useDeltaBaseOffset=false", "gc", "-q", "--aggressive")
    (repo / "loose.txt").write_text("loose\n")
    git(repo, "add", "loose.txt")
    git(repo, "commit", "-qm", "loose commit", when=3000)
    return repo


def test_sha256_every_object_matches_cat_file(sha256_repo: Path) -> None:
    pack = next((sha256_repo / ".git" / "objects" / "pack").glob("*.pack"))
    verify = git(sha256_repo, "verify-pack", "-v", str(pack))
    assert re.search(r"^[0-9a-f]{64} (tree|blob) .* [1-9]\d* [0-9a-f]{64}$", verify, re.M)
    every_object_matches_cat_file(sha256_repo)


@pytest.mark.parametrize("graph", [False, True], ids=["objects", "commit-graph"])
def test_sha256_describe_and_dirty_equal_git(
    sha256_repo: Path, tmp_path: Path, graph: bool
) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(sha256_repo), str(repo))
    if graph:
        git(repo, "commit-graph", "write", "--reachable")
    git(repo, "update-index", "--index-version", "4")
    assert ours(repo) == by_git(repo)
    assert len(ours(repo)[2]) == 64
    (repo / "f1.txt").write_text("edited\n")
    assert ours(repo) == by_git(repo)
    assert ours(repo)[3] is True


def every_object_matches_cat_file(packed_repo: Path) -> None:
    """Every object of the repository, read by type and content, as ``git cat-file`` gives
    it; commits' headers as ``git log`` gives them; ids of no object are absent."""
    listing = git(packed_repo, "cat-file", "--batch-all-objects", "--batch-check")
    objects = [line.split()[:2] for line in listing.splitlines()]
    assert len(objects) > 300  # more than SortedIds' threshold: the prefix array is used
    kinds = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}
    with vcgit.open(packed_repo) as repo:
        store = repo.files.objects
        for sha, kind in objects:
            got_kind, content = store.read(HexId(sha.encode()))
            assert got_kind == kinds[kind], sha
            assert content == git_bytes(packed_repo, "cat-file", kind, sha), sha
            assert store.kind(HexId(sha.encode())) == kinds[kind]
            assert store.exists(HexId(sha.encode()))
            if kind == "commit":
                tree, parents, when = store.commit(HexId(sha.encode()))
                info = git(packed_repo, "log", "-1", "--format=%T %ct %P", sha).split()
                assert (tree.decode(), str(when), [p.decode() for p in parents]) == (
                    info[0],
                    info[1],
                    info[2:],
                )
        width = len(objects[0][0])
        ids = [HexId(sha.encode()) for sha, _ in objects]
        absent = [HexId(b"0" * width), HexId(b"not hex"), HexId(ids[0][:-1])]
        expected = [kinds[kind] for _, kind in objects] + [None, None, None]
        assert store.kinds([*ids, *absent]) == expected  # the batch, deltas included
        assert not store.exists(HexId(b"0" * width))
        with pytest.raises(KeyError):
            store.read(HexId(b"0" * width))
        assert any(pack.ids.prefixes is not None for pack in store.packs)
        log = git(packed_repo, "log", "--all", "--format=%H %ct %P").splitlines()
        general = store.parents_and_time
        fallbacks: list[bytes] = []

        def counted(hexsha: HexId) -> tuple[tuple[HexId, ...], int]:
            fallbacks.append(hexsha)
            return general(hexsha)

        store.parents_and_time = counted  # type: ignore[method-assign]
        read = store.commit_reader()  # the walk's reader, now that the prefix arrays exist
        for line in log:
            sha, commit_time, *listed = line.split()
            for reader in (read, general):
                got_parents, got_when = reader(HexId(sha.encode()))
                assert ([p.decode() for p in got_parents], got_when) == (listed, int(commit_time))
        # The bound tables serve the packed commits: the reader falls back for its first
        # call (binding), the loose commit and deltified commits only.
        assert len(fallbacks) < len(log) // 4, len(fallbacks)
        for reader in (read, general):
            with pytest.raises(KeyError):
                reader(HexId(b"0" * width))


def test_missing_equals_exists_for_many_ids(packed_repo: Path) -> None:
    """``missing`` (the many-tags check) against ``exists`` and git: packed ids, the loose
    commit, ids of no object, and text that is no id."""
    listing = git(packed_repo, "cat-file", "--batch-all-objects", "--batch-check")
    present = [HexId(line.split()[0].encode()) for line in listing.splitlines()]
    loose = HexId(git(packed_repo, "rev-parse", "HEAD").encode())
    flipped = present[0][:-1] + (b"0" if present[0][-1:] != b"0" else b"1")
    absent = [HexId(b"0" * 40), HexId(b"f" * 40), HexId(flipped)]
    bad = [HexId(b"not-hex-at-all-" + b"x" * 25)]
    with vcgit.open(packed_repo) as repo:
        store = repo.files.objects
        got = store.missing([*present, loose, *absent, *bad])
        assert got == {*absent, *bad}
        assert all(store.exists(sha) for sha in (*present, loose))
        assert not any(store.exists(sha) for sha in (*absent, *bad))
        assert store.missing([]) == set()


def test_deltas_are_in_the_pack(packed_repo: Path) -> None:
    pack = next((packed_repo / ".git" / "objects" / "pack").glob("*.pack"))
    verify = git(packed_repo, "verify-pack", "-v", str(pack))
    assert re.search(r"^[0-9a-f]{40} (tree|blob) .* [1-9]\d* [0-9a-f]{40}$", verify, re.M)


@pytest.mark.parametrize("graph", [False, True], ids=["objects", "commit-graph"])
def test_long_walk_equals_git_describe(packed_repo: Path, tmp_path: Path, graph: bool) -> None:
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-local", str(packed_repo), str(repo))
    if graph:
        git(repo, "commit-graph", "write", "--reachable")
    merge = git(repo, "rev-list", "--merges", "--max-count=1", "HEAD~30")
    for rev in ["HEAD", "HEAD~40", merge, f"{merge}^2", "v0.37"]:
        git(repo, "checkout", "-q", "--detach", rev)
        assert ours(repo) == by_git(repo), rev
    for tag in [line for line in git(repo, "tag").split() if line != "v0.0"]:
        git(repo, "tag", "-d", tag)
    git(repo, "checkout", "-q", "--detach", "origin/main")
    assert ours(repo) == by_git(repo)  # the root tag: every commit walked


def test_many_tags_with_a_commit_graph(tmp_path: Path) -> None:
    """More tags than SortedIds' threshold: graph positions found through the prefix array."""
    repo = history_repo(tmp_path / "r", 320, tag_every=1)
    git(repo, "gc", "-q")
    git(repo, "commit-graph", "write", "--reachable")
    assert ours(repo) == by_git(repo)
    git(repo, "checkout", "-q", "--detach", "HEAD~100")
    assert ours(repo) == by_git(repo)


@pytest.mark.parametrize("newer", ["loose", "second pack"])
def test_a_long_walk_that_misses_a_pack_many_times(tmp_path: Path, newer: str) -> None:
    """The oldest 300 commits in one pack, the 300 newer ones loose or in a second pack, no
    commit-graph: the walk looks each newer commit up in the old pack first (a miss) far more
    often than the lookups after which a pack builds its prefix array, and must still read the
    rest of the history through that pack as git does."""
    repo = history_repo(tmp_path / "r", 600)  # one tag, on the root: every commit walked
    old = git(repo, "rev-list", "--objects", "HEAD~300")
    objects = "\n".join(line.split(" ", 1)[0] for line in old.splitlines()) + "\n"
    run_git(["pack-objects", "-q", ".git/objects/pack/pack"], repo, input=objects)
    git(repo, "prune-packed")
    if newer == "second pack":
        git(repo, "repack", "-q", "-d")  # the loose objects into a pack of their own
    assert len(list((repo / ".git" / "objects" / "pack").glob("*.pack"))) == (
        1 if newer == "loose" else 2
    )
    assert not (repo / ".git" / "objects" / "info" / "commit-graph").exists()
    assert ours(repo) == by_git(repo)


def test_shared_clone_reads_objects_through_alternates(packed_repo: Path, tmp_path: Path) -> None:
    repo = tmp_path / "shared"
    git(tmp_path, "clone", "-q", "--shared", str(packed_repo), str(repo))
    assert (repo / ".git" / "objects" / "info" / "alternates").is_file()
    assert not list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    assert ours(repo) == by_git(repo)


def test_index_version_4(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 3)
    (repo / "dir" / "sub").mkdir(parents=True)
    for name in ("dir/a.txt", "dir/sub/b.txt", "dir/sub/c.txt"):
        (repo / name).write_text(name)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "dirs", when=100)
    git(repo, "update-index", "--index-version", "4")
    assert (repo / ".git" / "index").read_bytes()[4:8] == b"\0\0\0\x04"
    assert ours(repo) == by_git(repo)
    (repo / "dir" / "sub" / "c.txt").write_text("changed")
    assert vcgit.describe(repo, parse).dirty_files == ("dir/sub/c.txt",)
    git(repo, "add", "dir/sub/c.txt")
    (repo / "dir" / "sub" / "c.txt").write_text("dir/sub/c.txt")
    assert vcgit.describe(repo, parse).dirty_files == ("dir/sub/c.txt",)  # staged only
    git(repo, "add", "dir/sub/c.txt")
    assert not vcgit.describe(repo, parse).dirty


def test_sparse_index(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 3)
    for name in ("a/1", "a/2", "b/c/3", "b/4"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(name)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "dirs", when=100)
    git(repo, "sparse-checkout", "init", "--cone", "--sparse-index")
    git(repo, "sparse-checkout", "set", "a")
    assert b"sdir" in (repo / ".git" / "index").read_bytes()
    assert not (repo / "b").exists()
    assert ours(repo) == by_git(repo)
    (repo / "a" / "1").write_text("changed")
    assert vcgit.describe(repo, parse).dirty_files == ("a/1",)
    assert git(repo, "status", "--porcelain") == "M a/1"


def test_split_index_is_a_clear_error(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 2)
    git(repo, "update-index", "--split-index")
    (repo / "f0.txt").write_text("staged\n")
    git(repo, "add", "f0.txt")
    with pytest.raises(RepositoryError, match="no-split-index"):
        vcgit.describe(repo, parse)


def test_deltified_commits(tmp_path: Path) -> None:
    """Commits stored as deltas of other commits: long, similar messages and a repack."""
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    body = "".join(f"A long message line {i}, the same in every commit.\n" for i in range(80))
    for i in range(30):
        commit(repo, f"commit {i}\n\n{body}", {"f.txt": f"{i}\n"}, when=i)
        if i == 3:
            git(repo, "tag", "v1.0")
    git(repo, "repack", "-q", "-a", "-d", "-f", "--window=250", "--depth=250")
    pack = next((repo / ".git" / "objects" / "pack").glob("*.pack"))
    verify = git(repo, "verify-pack", "-v", str(pack))
    deltified = re.findall(r"^([0-9a-f]{40}) commit .* [0-9a-f]{40}$", verify, re.M)
    assert len(deltified) > 10
    with vcgit.open(repo) as session:
        opened = session.files
        for sha in deltified:
            _, content = opened.objects.read(sha.encode())
            assert content == git_bytes(repo, "cat-file", "commit", sha)
            tree, parents, _ = opened.objects.commit(sha.encode())
            assert tree.decode() == git(repo, "rev-parse", f"{sha}^{{tree}}")
            assert [p.decode() for p in parents] == git(
                repo, "log", "-1", "--format=%P", sha
            ).split()
    assert ours(repo) == by_git(repo)
    described = by_git(repo)
    assert described is not None
    assert (described.tag, described.distance) == ("v1.0", 26)


def test_assume_unchanged_is_clean_as_for_git(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 2)
    git(repo, "update-index", "--assume-unchanged", "f0.txt")
    (repo / "f0.txt").write_text("changed behind git's back\n")
    assert git(repo, "status", "--porcelain") == ""
    assert ours(repo) == by_git(repo)
    assert not vcgit.describe(repo, parse).dirty
    git(repo, "update-index", "--no-assume-unchanged", "f0.txt")
    assert vcgit.describe(repo, parse).dirty_files == ("f0.txt",)


def test_plain_hashing_when_no_filter_applies(tmp_path: Path) -> None:
    """Without attributes or filter config the changed files are hashed here (no dulwich):
    a rewrite with the same bytes is clean, a mode flip honours core.filemode, a symlink is
    hashed by its target."""
    repo = history_repo(tmp_path / "r", 2)
    (repo / "link").symlink_to("f0.txt")
    git(repo, "add", "link")
    git(repo, "commit", "-qm", "link", when=50)
    content = (repo / "f1.txt").read_bytes()
    (repo / "f1.txt").write_bytes(content)  # new mtime, same bytes
    assert not vcgit.describe(repo, parse).dirty
    (repo / "f1.txt").chmod(0o755)
    assert vcgit.describe(repo, parse).dirty_files == ("f1.txt",)
    git(repo, "config", "core.fileMode", "false")
    assert not vcgit.describe(repo, parse).dirty
    assert git(repo, "status", "--porcelain") == ""
    (repo / "link").unlink()
    (repo / "link").symlink_to("f1.txt")
    assert vcgit.describe(repo, parse).dirty_files == ("link",)
    assert ours(repo) == by_git(repo)


def test_gitattributes_in_the_work_tree_top_is_honoured(tmp_path: Path) -> None:
    """An untracked .gitattributes at the top still decides how files are checked in."""
    repo = history_repo(tmp_path / "r", 2)
    (repo / "f1.txt").write_bytes(b"line\r\n")
    git(repo, "add", "f1.txt")
    git(repo, "commit", "-qm", "crlf", when=60)
    (repo / ".gitattributes").write_text("*.txt text eol=lf\n")
    (repo / "f1.txt").write_bytes(b"line\r\n")  # touched: hashed, through the attributes
    described = by_git(repo)
    assert described is not None
    assert vcgit.describe(repo, parse).dirty == described.dirty


@pytest.mark.parametrize("name", ["v9.9.9", "junk"])
def test_corrupt_packed_tag_line(tmp_path: Path, name: str) -> None:
    """A packed-refs line that names no object id: git refuses the whole file (`fatal:
    unexpected line in .git/packed-refs`), and so do we, whatever the tag's name."""
    repo = history_repo(tmp_path / "r", 3)
    git(repo, "pack-refs", "--all")
    packed = repo / ".git" / "packed-refs"
    packed.write_text(packed.read_text() + f"not-an-id refs/tags/{name}\n")
    with pytest.raises(RepositoryError, match=r"packed-refs: line \d+ .*not-an-id"):
        vcgit.describe(repo, parse)


def test_missing_commit_in_the_walk_is_a_repository_error(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 4)  # loose objects: one file per object
    sha = git(repo, "rev-parse", "HEAD~1")
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()
    with pytest.raises(RepositoryError, match=f"commit {sha} is missing"):
        vcgit.describe(repo, parse)


def test_corrupt_commit_graph_is_a_repository_error(tmp_path: Path) -> None:
    """A parent position outside the graph (a damaged file) stops with the fix, not a crash."""
    repo = history_repo(tmp_path / "r", 5)
    git(repo, "commit-graph", "write", "--reachable")
    path = repo / ".git" / "objects" / "info" / "commit-graph"
    data = bytearray(path.read_bytes())
    chunks = {bytes(data[8 + 12 * i : 12 + 12 * i]): 12 + 12 * i for i in range(data[6])}
    cdat = int.from_bytes(data[chunks[b"CDAT"] : chunks[b"CDAT"] + 8], "big")
    for i in range(5):  # every commit's first parent: position 1,000,000
        at = cdat + i * 36 + 20
        if data[at : at + 4] != b"\x70\x00\x00\x00":
            data[at : at + 4] = (1_000_000).to_bytes(4, "big")
    path.chmod(0o644)
    path.write_bytes(bytes(data))
    with pytest.raises(RepositoryError, match="commit-graph file is corrupt"):
        vcgit.describe(repo, parse)


def test_unknown_object_format_is_refused_as_git_refuses_it(tmp_path: Path) -> None:
    repo = history_repo(tmp_path / "r", 2)
    git(repo, "config", "core.repositoryformatversion", "1")
    git(repo, "config", "extensions.objectFormat", "sha512")
    with pytest.raises(RepositoryError, match="objectFormat = sha512"):
        vcgit.describe(repo, parse)
    assert run_git(["status"], repo, check=False).returncode != 0


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_empty_blob_ids_are_gits(tmp_path: Path, object_format: str) -> None:
    git(tmp_path, "init", "-q", f"--object-format={object_format}", "r")
    (tmp_path / "r" / "empty").write_bytes(b"")
    spelled = git(tmp_path / "r", "hash-object", "empty")
    assert bytes.fromhex(spelled) in EMPTY_BLOBS
