"""vcrelease's git reader against git itself, on real public repositories in many shapes.

For each repository given (a local clone or a bare mirror), the script clones it afresh and
checks out commits spread over its first-parent history. At each commit, in each shape of the
repository, it compares what vcrelease reads (in this process, through
:func:`vcrelease.git.open`, no describe cache) with git:

- the tag: the version tag (setuptools-scm's default tag pattern, PEP 440) with the fewest
  commits ``git rev-list --count TAG..HEAD`` among ``git tag --merged HEAD``, then the highest
  version (the README's rule); equal versions on one commit may be any of them;
- the distance: ``git rev-list --count TAG..HEAD`` (no tag: ``git rev-list --count HEAD``);
- the node: ``git rev-parse HEAD``;
- dirty: ``git status --porcelain --untracked-files=no`` is not empty (checked on a clean
  checkout and after changing one tracked file).

It also compares ``vcrelease version`` with ``python -m setuptools_scm`` (default settings, the
same ``SOURCE_DATE_EPOCH``) at each commit of the plain shape, and explains a difference when
it comes from the tag choice (setuptools-scm takes ``git describe``'s tag).

Shapes: ``packed`` (a fresh clone), ``commit-graph`` (``git commit-graph write --reachable
--split``), ``repacked`` (``git repack -adf`` + ``git multi-pack-index write``), ``index-v4``
(``git update-index --index-version 4``), ``worktree`` (a linked worktree), ``shallow`` (a
``--depth 30`` clone of the commit: the answer must equal the full clone's, or be an error
that says the clone is shallow; never another answer).

Writes a Markdown table (``--out``, default ``docs/real-repositories.md``). Usage::

    python scripts/compare_real.py --commits 12 /path/to/twine /path/to/hatch ...
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from vcrelease import git as vcgit  # noqa: E402
from vcrelease.config import Config  # noqa: E402
from vcrelease.errors import VcreleaseError  # noqa: E402
from vcrelease.version.formatting import tag_parser  # noqa: E402

SOURCE_DATE_EPOCH = "1767225600"
PARSE = tag_parser(Config().tag_pattern)
SHAPES = ("packed", "commit-graph", "repacked", "index-v4", "worktree", "shallow")


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VCRELEASE_", "CI"))}
    out.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="compare",
        GIT_AUTHOR_EMAIL="compare@example.invalid",
        GIT_COMMITTER_NAME="compare",
        GIT_COMMITTER_EMAIL="compare@example.invalid",
        SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH,
    )
    return out


def git(cwd: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env(), capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {done.stderr.strip()}")
    return done.stdout.strip()


@dataclass(frozen=True)
class Answer:
    tag: str | None
    distance: int
    node: str
    dirty: bool

    def show(self) -> str:
        return f"{self.tag or '-'}+{self.distance} {self.node[:9]}{' dirty' if self.dirty else ''}"


def ours(path: Path) -> Answer | str:
    try:
        with vcgit.open(path) as repo:
            d = repo.describe(PARSE)
    except VcreleaseError as exc:
        return f"error: {exc}"
    return Answer(d.tag, d.distance, d.node, d.dirty)


def oracle(path: Path) -> tuple[Answer, set[str]]:
    """git's answer; the set holds every tag that may win (equal versions on one commit)."""
    head = git(path, "rev-parse", "HEAD")
    dirty = bool(git(path, "status", "--porcelain", "--untracked-files=no"))
    best: list[tuple[int, Version, str]] = []
    for name in git(path, "tag", "--merged", "HEAD").splitlines():
        version = PARSE(name)
        if version is None:
            continue
        count = int(git(path, "rev-list", "--count", f"refs/tags/{name}..HEAD"))
        best.append((count, Version(version), name))
    if not best:
        return Answer(None, int(git(path, "rev-list", "--count", "HEAD")), head, dirty), {""}
    distance = min(b[0] for b in best)
    top = max(b[1] for b in best if b[0] == distance)
    winners = {b[2] for b in best if b[0] == distance and b[1] == top}
    return Answer(sorted(winners)[0], distance, head, dirty), winners


def agree(mine: Answer | str, want: Answer, winners: set[str]) -> bool:
    if isinstance(mine, str):
        return False
    tag_ok = (mine.tag or "") in winners if want.tag else mine.tag is None
    return tag_ok and (mine.distance, mine.node, mine.dirty) == (
        want.distance,
        want.node,
        want.dirty,
    )


def scm_versions(path: Path, config: Path) -> tuple[str, str]:
    def run(*args: str, cwd: Path = path) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=cwd, env=env(), capture_output=True, text=True
        )
        return done.stdout.strip() or f"error: {done.stderr.strip().splitlines()[-1:]}"

    # Outside the checkout: `python -m` puts the current directory first on sys.path, and
    # setuptools-scm's own repository would shadow the installed setuptools-scm with its source.
    scm = run("-m", "setuptools_scm", "-c", str(config), "--root", str(path), cwd=config.parent)
    mine = run("-c", f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r}); "
               "from vcrelease.cli import main; sys.exit(main(['version', '.']))")  # fmt: skip
    return mine, scm


@dataclass
class Tally:
    checked: int = 0
    agreed: int = 0
    notes: Counter[str] | None = None

    def note(self, text: str) -> None:
        if self.notes is None:
            self.notes = Counter()
        self.notes[text] += 1


def shape_checkout(
    base: Path, shape: str, commit: str, work: Path, full: Answer | str
) -> tuple[Path, Answer | str, Answer | None, set[str]]:
    """Prepare ``shape`` at ``commit``; return (work tree, ours, git's answer, winners)."""
    if shape == "shallow":
        clone = work / "shallow"
        shutil.rmtree(clone, ignore_errors=True)
        git(work, "clone", "-q", "--no-checkout", "--depth", "30", f"file://{base}", str(clone))
        git(clone, "fetch", "-q", "--depth", "30", "origin", commit)
        git(clone, "checkout", "-q", "--detach", commit)
        return clone, ours(clone), None, set()
    if shape == "worktree":
        tree = work / "linked"
        if not tree.exists():
            git(base, "worktree", "add", "-q", "--detach", str(tree), commit)
        git(tree, "checkout", "-q", "--detach", commit)
        want, winners = oracle(tree)
        return tree, ours(tree), want, winners
    git(base, "checkout", "-q", "--detach", commit)
    if shape == "index-v4":
        git(base, "update-index", "--index-version", "4")
    want, winners = oracle(base)
    return base, ours(base), want, winners


def compare(source: Path, commits: int, out: list[str]) -> None:
    name = source.name.removesuffix(".git")
    if name == "repo":
        name = source.parent.name.split("+")[-1]
    work = Path(tempfile.mkdtemp(prefix=f"compare-{name}-"))
    try:
        base = work / "clone"
        git(work, "clone", "-q", "--no-local", str(source), str(base))
        history = git(base, "rev-list", "--first-parent", "HEAD").splitlines()
        step = max(1, len(history) // commits)
        chosen = history[::step][:commits]
        config = work / "empty.toml"
        config.write_text("", encoding="utf-8")
        tallies = {shape: Tally() for shape in SHAPES}
        scm = Tally()
        dirty = Tally()
        full_answers: dict[str, Answer | str] = {}
        for shape in SHAPES:
            if shape == "commit-graph":
                git(base, "commit-graph", "write", "--reachable", "--split")
            elif shape == "repacked":
                git(base, "repack", "-adfq")
                git(base, "multi-pack-index", "write")
            for commit in chosen:
                tally = tallies[shape]
                tree, mine, want, winners = shape_checkout(
                    base, shape, commit, work, full_answers.get(commit, "")
                )
                tally.checked += 1
                if shape == "shallow":
                    full = full_answers[commit]
                    if mine == full:
                        tally.agreed += 1
                    elif isinstance(mine, str) and "shallow" in mine:
                        tally.agreed += 1
                        tally.note("shallow: history cut before the tag, error with the fix")
                    else:
                        tally.note(f"{commit[:9]}: {mine} vs full clone {full}")
                    continue
                assert want is not None
                if shape == "packed":
                    full_answers[commit] = mine
                if agree(mine, want, winners):
                    tally.agreed += 1
                else:
                    shown = mine if isinstance(mine, str) else mine.show()
                    tally.note(f"{commit[:9]}: ours {shown}, git {want.show()}")
                if shape == "packed":
                    mine_v, scm_v = scm_versions(tree, config)
                    scm.checked += 1
                    if mine_v == scm_v:
                        scm.agreed += 1
                    else:
                        described = git(tree, "describe", "--tags", "--abbrev=0", check=False)
                        why = (
                            "setuptools-scm takes git describe's tag "
                            f"({described}), we the nearest version tag"
                            if described and described != (want.tag or "")
                            else f"ours {mine_v}, setuptools-scm {scm_v}"
                        )
                        scm.note(why)
                    # dirty: change one tracked file, compare, restore
                    tracked = git(tree, "ls-files").splitlines()
                    target = next(
                        (tree / p for p in tracked if (tree / p).is_file() and p.endswith(".py")),
                        None,
                    )
                    if target is not None:
                        original = target.read_bytes()
                        target.write_bytes(original + b"\n# changed\n")
                        changed = ours(tree)
                        want_dirty, winners_dirty = oracle(tree)
                        dirty.checked += 1
                        if agree(changed, want_dirty, winners_dirty):
                            dirty.agreed += 1
                        else:
                            dirty.note(f"{commit[:9]}: ours {changed}, git {want_dirty.show()}")
                        target.write_bytes(original)
        rows = [(shape, tallies[shape]) for shape in SHAPES]
        rows.append(("a changed tracked file (dirty)", dirty))
        rows.append(("`vcrelease version` vs setuptools-scm", scm))
        for label, tally in rows:
            notes = "; ".join(f"{n} ({c}x)" for n, c in (tally.notes or Counter()).most_common(4))
            out.append(f"| {name} | {label} | {tally.checked} | {tally.agreed} | {notes or '-'} |")
            print(out[-1], flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--commits", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "real-repositories.md")
    args = parser.parse_args(argv)
    head = git(ROOT, "rev-parse", "--short=12", "HEAD")
    lines = [
        "# vcrelease against git on real repositories",
        "",
        "Made by `python scripts/compare_real.py` (see its docstring for what is compared and",
        f"how). vcrelease at commit {head}; {git(ROOT, '--version')}. Each row: commits spread",
        "over the first-parent history, checked out in one shape of the repository.",
        "",
        "| repository | shape | checked | agree | differences (explained) |",
        "|---|---|---:|---:|---|",
    ]
    for repo in args.repos:
        compare(repo.resolve(), args.commits, lines)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
