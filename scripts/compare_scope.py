"""``distance-scope`` on real monorepos: vcrelease's scoped distance against git's.

For each project given as ``CLONE:DIRECTORY:TAG_PREFIX`` (a local clone, the project's
directory in it, its tag prefix), the script clones the clone afresh, picks ``--commits``
commits spread over HEAD's first-parent history (those from which a tag with the prefix is
reachable) and at each one compares, with no commit-graph and with one holding changed-path
Bloom filters (``git commit-graph write --reachable --changed-paths``):

- the tag: vcrelease's nearest tag with the prefix against ``git describe --tags --match
  PREFIX*``;
- the distance, ``full-history`` and ``first-parent``: vcrelease (in this process, through
  :func:`vcrelease.version.resolve.describe_project`, ``distance-scope = true``) against
  ``git rev-list --count [--first-parent] --full-history TAG..HEAD -- DIRECTORY``;
- the version: vcrelease's (``no-local-version``) against vcs-versioning's own
  ``scm.git.distance_scope = true`` (``full-history``), where vcs-versioning gives one.

Writes a Markdown table (``--out``, default ``docs/scoped-distance.md``). Usage::

    python scripts/compare_scope.py --commits 6 /tmp/hatch:backend:hatchling-v \\
        /tmp/setuptools-scm:vcs-versioning:vcs-versioning-v
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from vcrelease.config import config_from_mapping
from vcrelease.git.cache import clear_memory
from vcrelease.version.resolve import describe_project, resolve_version

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VCRELEASE_"))},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "VCRELEASE_NO_CACHE": "1",
    "SOURCE_DATE_EPOCH": "1767225600",
    "LC_ALL": "C",
}


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=ENV, capture_output=True, text=True, check=check
    )
    return done.stdout.strip()


def vcs_versioning_version(root: Path, directory: str, prefix: str) -> str:
    """vcs-versioning's version with its own ``scm.git.distance_scope = true``, or a note."""
    try:
        from vcs_versioning import Configuration
        from vcs_versioning._get_version_impl import _get_version
    except ImportError:
        return "(vcs-versioning not installed)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            config = Configuration.from_data(
                relative_to=str(root / directory / "pyproject.toml"),
                data={
                    "root": os.path.relpath(root, root / directory),
                    "tag": {"regex": rf"^{prefix}(?P<version>.*)$"},
                    "local_scheme": "no-local-version",
                    "scm": {
                        "git": {
                            "distance_scope": True,
                            "describe_command": (
                                f"git describe --tags --long --dirty --match {prefix}*"
                            ),
                        }
                    },
                },
            )
            return str(_get_version(config, force_write_version_files=False))
        except Exception as exc:  # report, do not stop the survey
            return f"(error: {type(exc).__name__})"


def survey(spec: str, commits: int) -> list[str]:
    """Table rows for one ``CLONE:DIRECTORY:TAG_PREFIX``."""
    source, directory, prefix = spec.split(":")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vcrelease-scope-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(
            ["git", "clone", "-q", "--no-local", source, str(clone)], check=True, env=ENV
        )
        line = git(clone, "rev-list", "--first-parent", "HEAD").split()
        tagged = [
            c
            for c in line
            if git(clone, "describe", "--tags", "--match", f"{prefix}*", c, check=False)
        ]
        step = max(1, len(tagged) // commits)
        picked = tagged[::step][:commits]
        name = Path(source).name
        for graph in ("none", "changed-paths"):
            if graph == "changed-paths":
                git(clone, "commit-graph", "write", "--reachable", "--changed-paths")
            for commit in picked:
                git(clone, "checkout", "-q", "--detach", commit)
                described = git(clone, "describe", "--tags", "--match", f"{prefix}*", "--abbrev=0")
                cells = []
                ok = True
                for mode in ("full-history", "first-parent"):
                    config = config_from_mapping(
                        {"tag-prefix": prefix, "distance-scope": True, "distance-count": mode},
                        where="survey",
                        dist_name=None,
                    )
                    clear_memory()
                    started = time.perf_counter()
                    state = describe_project(clone / directory, config)
                    took = time.perf_counter() - started
                    flag = ["--first-parent"] if mode == "first-parent" else []
                    want = int(
                        git(
                            clone,
                            "rev-list",
                            "--count",
                            *flag,
                            "--full-history",
                            f"refs/tags/{state.tag}..HEAD",
                            "--",
                            directory,
                        )
                    )
                    ok &= state.distance == want and state.tag == described
                    cells.append(f"{state.distance} / {want} ({took * 1000:.0f} ms)")
                    if mode == "full-history":
                        unscoped = state.unscoped_distance
                        tag = state.tag
                version = "-"
                if graph == "none":
                    config = config_from_mapping(
                        {"tag-prefix": prefix, "distance-scope": True}, where="s", dist_name=None
                    )
                    ours = resolve_version(
                        clone / directory, config=config, env=ENV, local_scheme="no-local-version"
                    ).version
                    theirs = vcs_versioning_version(clone, directory, prefix)
                    version = f"{ours} / {theirs}"
                    ok &= theirs.startswith("(") or ours == theirs
                rows.append(
                    f"| {name} | `{directory}/` | {graph} | {commit[:10]} | {tag} | {unscoped} "
                    f"| {cells[0]} | {cells[1]} | {version} | {'yes' if ok else '**NO**'} |"
                )
                print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", nargs="+", help="CLONE:DIRECTORY:TAG_PREFIX")
    parser.add_argument("--commits", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("docs/scoped-distance.md"))
    args = parser.parse_args(argv)
    rows = []
    for spec in args.projects:
        rows += survey(spec, args.commits)
    version = git(Path("."), "--version")
    text = [
        "# `distance-scope` on real monorepos",
        "",
        "Made by `python scripts/compare_scope.py` (see its docstring) with "
        f"{version}. Each row is one commit of the project's first-parent history, in a fresh "
        "clone without a commit-graph (`none`) and with one holding changed-path Bloom filters "
        "(`changed-paths`). Distances are `vcrelease / git` (`git rev-list --count "
        "[--first-parent] --full-history TAG..HEAD -- DIRECTORY`), with vcrelease's time in "
        "this process; versions are `vcrelease / vcs-versioning` (its own "
        "`scm.git.distance_scope = true`, `no-local-version`).",
        "",
        "| repository | scope | commit-graph | commit | tag | all commits since | "
        "full-history | first-parent | version | equal |",
        "|---|---|---|---|---|---:|---|---|---|---|",
        *rows,
        "",
    ]
    args.out.write_text("\n".join(text), encoding="utf-8")
    bad = sum("**NO**" in row for row in rows)
    print(f"wrote {args.out}; {len(rows) - bad} of {len(rows)} rows equal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
