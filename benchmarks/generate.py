"""Deterministic benchmark repositories, made with ``git fast-import`` and cached.

Each repository is described by a :class:`Spec`: a history shape (linear, or a merge every 10
commits), a number of tracked files, which commits carry tags, whether a commit-graph file is
written and whether one tracked file is left modified. The same spec always gives the same
object ids: authors, committers and dates are fixed (commit ``i`` is dated
2020-01-01T00:00:00Z + ``i`` minutes), and the file contents are functions of the commit number.

Generated repositories live outside the work tree, under ``$VCRELEASE_BENCH_DIR`` or
``~/.cache/vcrelease-bench``, in ``g<GENERATOR_VERSION>/<name>``; a repository is built once and
reused while the generator version and its spec are unchanged (a ``spec.json`` written last
marks a finished build). Bump :data:`GENERATOR_VERSION` whenever the output would change.

Every repository also commits a ``pyproject.toml`` with ``[tool.vcrelease]`` and
``[tool.setuptools_scm]`` tables, so both tools read the same default configuration.

The ``monorepo`` repositories (:class:`MonoSpec`) hold several projects: each commit
changes one file of one of ``pkg-00`` ... ``pkg-07``, ``shared`` or ``docs``; ``pkg-00`` is the
benchmarked project, with ``distance-scope = [".", "../shared"]`` in its ``pyproject.toml``
and the same settings for setuptools-scm in ``pkg-00/scm.toml`` (``scm.git.distance_scope``).

Run directly to build (or check) every repository: ``python benchmarks/generate.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

GENERATOR_VERSION = 2
"""Bump when the output of an existing spec changes (adding ``monorepo`` changed none)."""
EPOCH = 1577836800  # 2020-01-01T00:00:00Z; commit i is dated EPOCH + 60 * i
IDENT = "Bench <bench@example.org>"
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_AUTHOR_DATE": f"{EPOCH} +0000",
    "GIT_COMMITTER_DATE": f"{EPOCH} +0000",
    "LC_ALL": "C",
}
PYPROJECT = """\
[project]
name = "bench"
dynamic = ["version"]

[tool.vcrelease]

[tool.setuptools_scm]
"""


@dataclass(frozen=True)
class Spec:
    """One benchmark repository.

    Attributes:
        name: directory name (``near``, ``near-graph``, ``near-dirty``, ...).
        commits: total number of commits (merges and side-branch commits included).
        files: number of tracked files (plus ``pyproject.toml``), all made by the root commit.
        merge_every: 0 for a linear history; 10 for blocks of 8 main commits, 1 side-branch
            commit forked from the main tip one block earlier, and the merge of both.
        tags: number of version tags; tag ``k`` (``0 <= k < tags``) sits on the commit
            ``tag_head - (tags - 1 - k) * tag_step`` (commit numbers count from 0 in creation
            order), so the newest tag is ``tag_head``.
        tag_head: commit number of the newest tag.
        tag_step: commits between consecutive tags.
        annotated: ``all``, ``none`` or ``even`` (tags with an even ``k`` annotated, the others
            lightweight).
        graph: write a commit-graph file (``git commit-graph write --reachable``).
        dirty: leave one tracked file modified (not staged).
        expected_tag: the tag ``git describe --tags`` must find.
        expected_distance: its distance (``git rev-list --count TAG..HEAD``).
    """

    name: str
    commits: int
    files: int
    merge_every: int
    tags: int
    tag_head: int
    tag_step: int
    annotated: str
    graph: bool
    dirty: bool
    expected_tag: str
    expected_distance: int


def specs(quick: bool = False) -> list[Spec]:
    """The benchmark repositories (``quick``: 10 times smaller, same shapes).

    - ``near``: 100,000 commits, 100 tags, the newest 5 commits back, 20,000 files;
    - ``far``: 100,000 commits, one tag on the root commit (1,000 files);
    - ``merges``: 20,000 commits, a merge every 10 commits, the tag 2,000 commits back (1,000
      files);
    - ``tags``: 10,000 commits, 5,000 tags on every second commit, the newest 1 back (1,000
      files);
    - each without and with (``-graph``) a commit-graph file; ``near-dirty`` is ``near`` with
      one modified tracked file.
    """
    scale = 10 if quick else 1
    n = 100_000 // scale
    m = 20_000 // scale
    t = 10_000 // scale
    shapes: dict[str, dict[str, Any]] = {
        "near": {
            "commits": n, "files": 20_000 // scale, "merge_every": 0, "tags": 100,
            "tag_head": n - 6, "tag_step": n // 100, "annotated": "all",
            "expected_tag": tag_name_for(99), "expected_distance": 5,
        },
        "far": {
            "commits": n, "files": 1_000, "merge_every": 0, "tags": 1, "tag_head": 0,
            "tag_step": 1, "annotated": "none", "expected_tag": tag_name_for(0),
            "expected_distance": n - 1,
        },
        # Blocks of 10 commits; the tag on the merge that ends the block 200 blocks back.
        "merges": {
            "commits": m, "files": 1_000, "merge_every": 10, "tags": 1,
            "tag_head": m - 2_000 // scale - 1, "tag_step": 1, "annotated": "all",
            "expected_tag": tag_name_for(0), "expected_distance": 2_000 // scale,
        },
        "tags": {
            "commits": t, "files": 1_000, "merge_every": 0, "tags": t // 2, "tag_head": t - 2,
            "tag_step": 2, "annotated": "even", "expected_tag": tag_name_for(t // 2 - 1),
            "expected_distance": 1,
        },
    }  # fmt: skip
    out: list[Spec] = []
    for base, shape in shapes.items():
        variants = [(base, False, False), (f"{base}-graph", True, False)]
        if base == "near":
            variants.append(("near-dirty", False, True))
        for name, graph, dirty in variants:
            out.append(Spec(name=name, graph=graph, dirty=dirty, **shape))
    return out


MONO_DIRS = (*(f"pkg-{k:02d}" for k in range(8)), "shared", "docs")
MONO_PROJECT = "pkg-00"
MONO_PYPROJECT = """\
[project]
name = "pkg-00"
dynamic = ["version"]

[tool.vcrelease]
tag-prefix = "pkg-00-v"
local-scheme = "no-local-version"
distance-scope = [".", "../shared"]
"""
MONO_SCM = """\
[project]
name = "pkg-00"
dynamic = ["version"]

[tool.setuptools_scm]
root = ".."
tag_regex = '^pkg-00-v(?P<version>.*)$'
local_scheme = "no-local-version"

[tool.setuptools_scm.scm.git]
distance_scope = ["shared"]
describe_command = "git describe --tags --long --dirty --match pkg-00-v*"
"""


@dataclass(frozen=True)
class MonoSpec:
    """A monorepo benchmark repository (see the module docstring).

    Attributes:
        name: ``monorepo`` or ``monorepo-graph``.
        commits: total number of commits; a merge every 10 (8 main commits, one side-branch
            commit forked one block back, the merge), as ``merges``.
        files: tracked files, spread over :data:`MONO_DIRS`.
        tag_back: the tags ``pkg-0K-v1.0.0`` sit on the main-line commits ``tag_back + K``
            commits before the last one (``pkg-00`` the nearest).
        graph: write a commit-graph with changed-path Bloom filters (``git commit-graph write
            --reachable --changed-paths``).
        dirty: always False (the field keeps :func:`build` uniform).
    """

    name: str
    commits: int
    files: int
    tag_back: int
    graph: bool
    dirty: bool = False


def monorepo_specs(quick: bool = False) -> list[MonoSpec]:
    """``monorepo`` (100,000 commits, 2,000 files; ``quick``: 10,000 and 1,000) and
    ``monorepo-graph`` (the same with a commit-graph and Bloom filters); the project's tag
    2,000 (200) commits back."""
    scale = 10 if quick else 1
    return [
        MonoSpec(name, 100_000 // scale, 2_000 // scale, 2_000 // scale, graph)
        for name, graph in (("monorepo", False), ("monorepo-graph", True))
    ]


def mono_file(j: int, files: int) -> str:
    """Path of monorepo file ``j``: spread over the directories of :data:`MONO_DIRS`."""
    directory = MONO_DIRS[j % len(MONO_DIRS)]
    return f"{directory}/d{(j // len(MONO_DIRS)) % 10}/f{j}.txt"


def _mono_stream(spec: MonoSpec) -> Iterator[bytes]:
    """The monorepo's fast-import stream: commit ``i`` changes file ``(i * 7919) % files``
    (so the directories take turns irregularly); a merge every 10 commits."""
    main_tip = 0
    block_start: list[int] = []
    main_line: list[int] = []
    for i in range(spec.commits):
        mark = i + 1
        when = EPOCH + 60 * i
        head = b"commit refs/heads/main\nmark :%d\ncommitter %s %d +0000\n" % (
            mark, IDENT.encode(), when,
        )  # fmt: skip
        msg = _data(f"commit {i}".encode())
        if i == 0:
            ops = [
                b"M 100644 inline %s/pyproject.toml\n" % MONO_PROJECT.encode()
                + _data(MONO_PYPROJECT.encode()),
                b"M 100644 inline %s/scm.toml\n" % MONO_PROJECT.encode() + _data(MONO_SCM.encode()),
            ]
            ops += [
                b"M 100644 inline %s\n%s"
                % (mono_file(f, spec.files).encode(), _data(_blob(mono_file(f, spec.files), 0)))
                for f in range(spec.files)
            ]
            yield head + msg + b"".join(ops)
            main_tip = mark
            block_start.append(mark)
            main_line.append(mark)
            continue
        path = mono_file((i * 7919) % spec.files, spec.files)
        change = b"M 100644 inline %s\n%s" % (path.encode(), _data(_blob(path, i)))
        position = i % 10
        if position == 0:
            block_start.append(main_tip)
        if position == 8:
            fork = block_start[-2] if len(block_start) >= 2 else block_start[-1]
            yield (
                b"commit refs/heads/side\nmark :%d\ncommitter %s %d +0000\n"
                % (mark, IDENT.encode(), when)
                + msg
                + b"from :%d\n" % fork
                + change
            )
            continue
        if position == 9:
            yield head + msg + b"from :%d\nmerge :%d\n" % (main_tip, mark - 1) + change
        else:
            yield head + msg + b"from :%d\n" % main_tip + change
        main_tip = mark
        main_line.append(mark)
    for k in range(8):
        commit = main_line[-1 - spec.tag_back - k]
        name = f"pkg-{k:02d}-v1.0.0".encode()
        yield b"reset refs/tags/%s\nfrom :%d\n\n" % (name, commit)


def tag_name_for(k: int) -> str:
    """Version tag ``k``: ``v<major>.<minor>.0`` with 100 minors per major (``v1.0.0`` first)."""
    return f"v{1 + k // 100}.{k % 100}.0"


def bench_dir(quick: bool = False) -> Path:
    """Where generated repositories live (outside the work tree)."""
    base = os.environ.get("VCRELEASE_BENCH_DIR")
    root = Path(base) if base else Path.home() / ".cache" / "vcrelease-bench"
    return root / f"g{GENERATOR_VERSION}{'-quick' if quick else ''}"


def file_path(i: int) -> str:
    """Path of tracked file ``i``: three levels, 20 x 20 x 50 per 20,000 files."""
    return f"src/d{i // 1000:02d}/e{(i // 50) % 20:02d}/f{i % 50:02d}.txt"


def _blob(path: str, revision: int) -> bytes:
    return f"{path}\nrevision {revision}\n".encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _commit_stream(spec: Spec) -> Iterator[bytes]:
    """The fast-import stream: commits (mark ``:i+1`` is commit ``i``), then the tags."""
    tagged = {spec.tag_head - (spec.tags - 1 - k) * spec.tag_step: k for k in range(spec.tags)}
    assert min(tagged) >= 0, spec
    main_tip = 0  # mark of the main line's tip
    block_start: list[int] = []  # main tip mark at the start of each block
    for i in range(spec.commits):
        mark = i + 1
        when = EPOCH + 60 * i
        head = b"commit refs/heads/main\nmark :%d\ncommitter %s %d +0000\n" % (
            mark, IDENT.encode(), when,
        )  # fmt: skip
        msg = _data(f"commit {i}".encode())
        if i == 0:
            ops = [b"M 100644 inline pyproject.toml\n" + _data(PYPROJECT.encode())]
            ops += [
                b"M 100644 inline %s\n%s" % (file_path(f).encode(), _data(_blob(file_path(f), 0)))
                for f in range(spec.files)
            ]
            yield head + msg + b"".join(ops)
            main_tip = mark
            block_start.append(mark)
            continue
        path = file_path(i % spec.files)
        change = b"M 100644 inline %s\n%s" % (path.encode(), _data(_blob(path, i)))
        position = i % spec.merge_every if spec.merge_every else -1
        if spec.merge_every and position == 0:
            block_start.append(main_tip)
        if spec.merge_every and position == spec.merge_every - 2:
            # The side-branch commit forks from the main tip one block back.
            fork = block_start[-2] if len(block_start) >= 2 else block_start[-1]
            yield (
                b"commit refs/heads/side\nmark :%d\ncommitter %s %d +0000\n"
                % (mark, IDENT.encode(), when)
                + msg
                + b"from :%d\n" % fork
                + change
            )
            continue
        if spec.merge_every and position == spec.merge_every - 1:
            side = mark - 1
            side_path = file_path((i - 1) % spec.files)
            side_change = b"M 100644 inline %s\n%s" % (
                side_path.encode(), _data(_blob(side_path, i - 1)),
            )  # fmt: skip
            yield head + msg + b"from :%d\nmerge :%d\n" % (main_tip, side) + side_change + change
            main_tip = mark
            continue
        yield head + msg + b"from :%d\n" % main_tip + change
        main_tip = mark
    for commit, k in sorted(tagged.items()):
        name = tag_name_for(k).encode()
        annotated = spec.annotated == "all" or (spec.annotated == "even" and k % 2 == 0)
        if annotated:
            yield (
                b"tag %s\nfrom :%d\ntagger %s %d +0000\n"
                % (name, commit + 1, IDENT.encode(), EPOCH + 60 * commit + 30)
                + _data(b"release " + name)
            )
        else:
            yield b"reset refs/tags/%s\nfrom :%d\n\n" % (name, commit + 1)


def _git(repo: Path, *args: str, stdin: IO[bytes] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True,
        stdout=subprocess.PIPE, stdin=stdin,
    )  # fmt: skip
    return done.stdout.decode().strip()


def build(spec: Spec | MonoSpec, path: Path) -> None:
    """Make the repository of ``spec`` at ``path`` (replaced if it exists)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    env = {**os.environ, **GIT_ENV}
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=path, env=env, stdin=subprocess.PIPE
    )
    assert importer.stdin is not None
    stream = _mono_stream(spec) if isinstance(spec, MonoSpec) else _commit_stream(spec)
    for chunk in stream:
        importer.stdin.write(chunk)
    importer.stdin.write(b"done\n")
    importer.stdin.close()
    if importer.wait() != 0:
        raise RuntimeError(f"git fast-import failed for {spec.name}")
    # fast-import's pack is not the one a clone or `git gc` leaves (its manual says to repack
    # after an import): objects in git's own order, commits first, newest first.
    _git(path, "repack", "-a", "-d", "-q")
    _git(path, "pack-refs", "--all")  # as a fresh clone has them: packed, peeled
    _git(path, "reset", "-q", "--hard", "main")
    # Racily clean entries (file mtime not older than the index) would make every tool hash
    # them; wait, then refresh, so the index's stat data vouches for every file.
    time.sleep(1.1)
    _git(path, "update-index", "-q", "--really-refresh")
    _git(path, "status", "--porcelain")
    if spec.graph:
        changed = ["--changed-paths"] if isinstance(spec, MonoSpec) else []
        _git(path, "commit-graph", "write", "--reachable", *changed)
    if isinstance(spec, Spec) and spec.dirty:
        target = path / file_path(spec.files // 2)
        with target.open("a", encoding="utf-8") as f:
            f.write("a local change\n")


def ensure(spec: Spec | MonoSpec, quick: bool = False, log: IO[str] = sys.stderr) -> Path:
    """The path of the repository of ``spec``, built first unless a finished build is cached."""
    path = bench_dir(quick) / spec.name
    marker = path / ".git" / "bench-spec.json"
    wanted = json.dumps(asdict(spec), sort_keys=True)
    if marker.is_file() and marker.read_text(encoding="utf-8") == wanted:
        return path
    print(f"generating {spec.name} ({spec.commits:,} commits) in {path} ...", file=log, flush=True)
    started = time.monotonic()
    build(spec, path)
    marker.write_text(wanted, encoding="utf-8")
    print(f"  done in {time.monotonic() - started:.0f} s", file=log, flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 times smaller repositories")
    parser.add_argument("names", nargs="*", help="only these repositories")
    args = parser.parse_args(argv)
    every: list[Spec | MonoSpec] = [*specs(args.quick), *monorepo_specs(args.quick)]
    for spec in every:
        if not args.names or spec.name in args.names:
            print(ensure(spec, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
