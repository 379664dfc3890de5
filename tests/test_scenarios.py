"""Every scenario of ``fixtures-repos/`` against two oracles and against its own expectations.

For each scenario (built once per session with real git, see ``repobuilder.py``):

1. our describe (tag, distance, node, dirty, branch, commit time, shallow) against
   ``git describe --tags --long --dirty --abbrev=64 --match <scenario globs>``, plus
   ``git rev-list --count HEAD`` when git finds no tag, and ``git symbolic-ref``, ``git log``,
   ``git rev-parse --is-shallow-repository`` for the other fields;
2. our version against ``python -m setuptools_scm`` on the same repository, with the same
   version and local schemes and an equivalent tag configuration;
3. our results against the ``[expected]`` table of the scenario file.

Each intended difference from an oracle is listed in :data:`INTENDED_DIFFERENCES`. A
difference not listed there fails, and so does a listed difference that no longer occurs.
vcrelease is asked first: ``git describe --dirty`` refreshes the index's stat data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from gitutil import git_describe, git_env, run_git
from repobuilder import (
    BuiltRepo,
    Scenario,
    build,
    head_of,
    load_scenarios,
    toml_table,
)
from vcrelease.errors import VcreleaseError
from vcrelease.git import commitgraph
from vcrelease.version.resolve import resolve_version

# scenario name -> (what differs: "<oracle>.<field>, ...", why). Oracles: "git", "scm".
# Fields: git.{tag, distance, node, dirty, branch, commit_time, shallow, distance_rev_list,
# error}, scm.version. git.distance is git describe's count from the tag git describe picks;
# git.distance_rev_list is `git rev-list --count <our tag>..HEAD`.
INTENDED_DIFFERENCES: dict[str, tuple[str, str]] = {
    "several-tags-lightweight": (
        "git.tag, scm.version",
        "Two lightweight version tags on one commit: we take the highest version (v1.1.0); "
        "git describe keeps the first name in ref order (v1.0.0), and setuptools-scm follows it.",
    ),
    "several-tags-exact": (
        "git.tag, scm.version",
        "As several-tags-lightweight, on HEAD itself: we say 1.1.0, setuptools-scm says 1.0.0.",
    ),
    "several-tags-annotated-newer-lower": (
        "git.tag, scm.version",
        "Two annotated tags on one commit: git describe prefers the newer tagger date "
        "(v1.0.1); we take the highest version (v1.1.0), whatever the tagging order.",
    ),
    "merge-equal-distance-tags": (
        "git.tag, scm.version",
        "Tags at equal distance on both parents of a merge: git describe takes the tag it "
        "meets first in its date-ordered walk (v1.4.0, the newer commit); we take the highest "
        "version (v1.5.0). Same distance either way.",
    ),
    "hierarchical-tag-default-pattern": (
        "git.tag, git.distance, scm.version",
        "release/1.1.0 does not match the default tag pattern (setuptools-scm's own regex), so "
        "it is no candidate for us and v1.0.0 is the nearest version tag. git describe "
        "--match '*[0-9]*' picks release/1.1.0, which setuptools-scm then fails to parse.",
    ),
    "shallow-without-tag": (
        "git.error, scm.version",
        "The shallow clone's history is cut before any version tag: we stop with exit 3 "
        "(ShallowCloneError). git describe only finds no tag and rev-list counts the 2 commits "
        "it has; setuptools-scm prints the wrong 0.1.dev2+g... with only a warning.",
    ),
    "shallow-cut-side-branch": (
        "git.error, scm.version",
        "The shallow cut goes through the merged feature branch: v1.0.0 is fetched but the "
        "distance cannot be counted (the true one is 7). We stop with exit 3; git describe "
        "counts the 4 commits it has and setuptools-scm prints 1.0.1.dev4.",
    ),
    "shallow-cut-hides-tag-ancestry": (
        "git.error, scm.version",
        "The shallow cut goes through the tag's own history: a side commit merged into it "
        "below the cut looks counted in the clone (git describe and rev-list there say 3, the "
        "full history 2). We stop with exit 3; git describe says 3 and setuptools-scm prints "
        "1.0.1.dev3.",
    ),
    "non-version-tag-with-digits": (
        "git.tag, git.distance, scm.version",
        "deploy-2026-01-15-prod matches git's '*[0-9]*' glob, so git describe picks it; its "
        "version part is not PEP 440, so it is no version tag for us (v1.0.0 at 1), and "
        "setuptools-scm fails on it.",
    ),
    "empty-repo": (
        "scm.version",
        "No commit: we stop with exit 3 (RepositoryError). git fails too, but setuptools-scm "
        "invents 0.1.dev0+d<date>.",
    ),
    "corrupt-version-ref": (
        "git.error, scm.version",
        "refs/tags/v9.9.9 holds garbage: it may be the nearest version tag, so we stop with "
        "exit 3 naming the ref and the fix; git ignores the broken ref with a warning.",
    ),
    "dangling-tag-ref": (
        "git.error, scm.version",
        "refs/tags/v9.9.9 names an object the repository lacks: a version tag we cannot place "
        "in the history, so we stop with exit 3 naming the tag and the fix; git skips it.",
    ),
    "many-candidates": (
        "git.tag, git.distance, scm.version",
        "git describe stops collecting candidates at ten (--candidates=10) while walking a "
        "newer side branch with eleven tags, before it meets the nearer v2.0.0 on main, and "
        "reports v1.0.11 at 17. Our walk has no candidate cap: v2.0.0 at 14 (rev-list agrees).",
    ),
    "equal-commit-times": (
        "git.distance, scm.version",
        "All commits share one timestamp, so git describe's date-ordered walk meets the tag's "
        "parent before the tag and counts 6 (setuptools-scm follows: 1.0.1.dev6). We count "
        "what the distance means, `git rev-list --count v1.0.0..HEAD`: 4, so 1.0.1.dev4.",
    ),
    "skewed-time-merge": (
        "git.distance, scm.version",
        "A side branch dated in the future reaches the root before the tag does: git "
        "describe's date-ordered walk stops once every queued commit is below the tag and "
        "counts the root (4, setuptools-scm follows: 1.0.1.dev4). We count `git rev-list "
        "--count v1.0.0..HEAD`: 3.",
    ),
    "version-file-modified": (
        "git.dirty, scm.version",
        "The changed file is the configured version-file, which vcrelease writes: not dirty "
        "for us (no .d<date> in the local label); git and setuptools-scm see a dirty tree.",
    ),
}

SOURCE_DATE_EPOCH = int((datetime(2026, 2, 3, 12, tzinfo=timezone.utc)).timestamp())
DIRTY_DATE = "20260203"
SCENARIOS = load_scenarios()
# Scenarios also run through the command line (exit codes and messages).
CLI_SCENARIOS = [s for s in SCENARIOS if "error" in s.expected] + [
    s
    for s in SCENARIOS
    if s.name in {"linear-tag-distance", "monorepo-prefixed-tags", "version-file-modified"}
]


@dataclass
class Outcome:
    """What vcrelease and the two oracles said about one built scenario."""

    built: BuiltRepo
    ours: dict[str, Any]
    ours_version: str | None
    ours_error: VcreleaseError | None
    git: dict[str, Any]
    scm_version: str
    scm_stderr: str


def _scenario_ids(items: list[Scenario]) -> list[str]:
    return [s.name for s in items]


def _git_out(args: list[str], cwd: Path) -> str | None:
    proc = run_git(args, cwd, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _ask_ours(built: BuiltRepo) -> tuple[dict[str, Any], str | None, VcreleaseError | None]:
    try:
        result = resolve_version(built.workdir, env={"SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)})
    except VcreleaseError as exc:
        return {"error": exc.exit_code}, None, exc
    d = result.describe
    assert d is not None, f"resolve_version did not read git: source={result.source}"
    fields = {
        "tag": d.tag,
        "distance": d.distance,
        "node": d.node,
        "dirty": d.dirty,
        "branch": d.branch,
        "commit_time": int(d.commit_time.timestamp()),
        "shallow": d.shallow,
        "distance_rev_list": d.distance,
        "dirty_files": list(d.dirty_files),
    }
    return fields, result.version, None


def _ask_git(scenario: Scenario, workdir: Path, our_tag: str | None) -> dict[str, Any]:
    """The oracle: git describe and friends, in the fields our Describe has.

    ``distance_rev_list`` is ``git rev-list --count <our tag>..HEAD``: our distance by its
    definition, whichever tag git describe would have picked.
    """
    head = head_of(workdir)
    if head is None:
        return {"error": "no HEAD"}
    match_args = [f"--match={glob}" for glob in scenario.git_match]
    described = git_describe(workdir, "--dirty", "--abbrev=64", *match_args)  # the whole id
    if described is not None:
        tag: str | None = described.tag
        distance = described.distance
        node = described.node
        dirty = described.dirty
    else:
        tag, node = None, head
        distance = int(_git_out(["rev-list", "--count", "HEAD"], workdir) or "-1")
        status = _git_out(["status", "--porcelain", "--untracked-files=no"], workdir)
        dirty = bool(status)
    branch = _git_out(["symbolic-ref", "--short", "-q", "HEAD"], workdir)
    since = ["^refs/tags/" + our_tag] if our_tag else []
    return {
        "tag": tag,
        "distance": distance,
        "node": node,
        "dirty": dirty,
        "branch": branch or None,
        "commit_time": int(_git_out(["log", "-1", "--format=%ct", "HEAD"], workdir) or 0),
        "shallow": _git_out(["rev-parse", "--is-shallow-repository"], workdir) == "true",
        "distance_rev_list": int(
            _git_out(["rev-list", "--count", "HEAD", *since], workdir) or "-1"
        ),
    }


def _ask_setuptools_scm(built: BuiltRepo) -> tuple[str, str]:
    """``python -m setuptools_scm`` with the scenario's schemes and tag settings."""
    config = built.root / "setuptools-scm.toml"
    config.write_text(
        toml_table("tool.setuptools_scm", built.scenario.setuptools_scm_config), encoding="utf-8"
    )
    env = {
        k: v
        for k, v in git_env().items()
        if not k.startswith(("SETUPTOOLS_SCM_", "VCS_VERSIONING_", "VCRELEASE_"))
    }
    env["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    proc = subprocess.run(
        [sys.executable, "-m", "setuptools_scm", "-c", str(config), "--root", str(built.workdir)],
        cwd=built.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return f"error (exit {proc.returncode})", proc.stderr
    return proc.stdout.strip(), proc.stderr


@pytest.fixture(scope="session")
def outcome(build_scenario: Callable[[str], BuiltRepo]) -> Callable[[str], Outcome]:
    """Scenario name -> its :class:`Outcome`, computed once per session."""
    cache: dict[str, Outcome] = {}

    def get(name: str) -> Outcome:
        if name not in cache:
            built = build_scenario(name)
            ours, version, error = _ask_ours(built)  # first: git refreshes the index later
            git = _ask_git(built.scenario, built.workdir, ours.get("tag"))
            scm_version, scm_stderr = _ask_setuptools_scm(built)
            cache[name] = Outcome(built, ours, version, error, git, scm_version, scm_stderr)
        return cache[name]

    return get


def _declared(name: str, oracle: str) -> set[str]:
    if name not in INTENDED_DIFFERENCES:
        return set()
    fields = (f.strip() for f in INTENDED_DIFFERENCES[name][0].split(","))
    return {f.split(".", 1)[1] for f in fields if f.startswith(oracle + ".")}


def test_intended_differences_name_real_scenarios() -> None:
    names = {s.name for s in SCENARIOS}
    assert set(INTENDED_DIFFERENCES) <= names
    for what, why in INTENDED_DIFFERENCES.values():
        assert why
        for f in what.split(","):
            oracle, _, field = f.strip().partition(".")
            assert oracle in {"git", "scm"}
            assert field


def test_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 32


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_ids(SCENARIOS))
def test_describe_matches_git(scenario: Scenario, outcome: Callable[[str], Outcome]) -> None:
    o = outcome(scenario.name)
    if "error" in o.ours:
        differs = set() if "error" in o.git else {"error"}
    elif "error" in o.git:
        differs = {"error"}
    else:
        differs = {k for k in o.git if o.ours[k] != o.git[k]}
    declared = _declared(scenario.name, "git")
    assert differs == declared, (
        f"{scenario.name}: fields differing from git {sorted(differs)}, "
        f"declared {sorted(declared)}\n  ours: {o.ours}\n  git:  {o.git}\n"
        f"  ours error: {o.ours_error}"
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_ids(SCENARIOS))
def test_version_matches_setuptools_scm(
    scenario: Scenario, outcome: Callable[[str], Outcome]
) -> None:
    o = outcome(scenario.name)
    ours = o.ours_version if o.ours_error is None else f"error (exit {o.ours_error.exit_code})"
    differs = set() if ours == o.scm_version else {"version"}
    declared = _declared(scenario.name, "scm")
    assert differs == declared, (
        f"{scenario.name}: ours {ours!r}, setuptools-scm {o.scm_version!r} "
        f"(declared differences: {sorted(declared)})\nsetuptools-scm stderr:\n{o.scm_stderr}"
    )


def _expected_version(scenario: Scenario, node: str) -> str:
    local = scenario.expected["local"].replace("{node}", "g" + node[:9])
    local = local.replace("{date}", DIRTY_DATE)
    public = scenario.expected["public"]
    return f"{public}+{local}" if local else public


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_ids(SCENARIOS))
def test_expected_values(scenario: Scenario, outcome: Callable[[str], Outcome]) -> None:
    o = outcome(scenario.name)
    exp = scenario.expected
    if "error" in exp:
        assert o.ours_error is not None, f"expected exit {exp['error']}, got {o.ours_version}"
        assert o.ours_error.exit_code == exp["error"], str(o.ours_error)
        return
    assert o.ours_error is None, f"unexpected error: {o.ours_error}"
    head = head_of(o.built.workdir)
    assert head is not None
    got = {k: o.ours[k] for k in ("tag", "distance", "dirty", "branch", "node")}
    want = {
        "tag": exp["tag"] or None,
        "distance": exp["distance"],
        "dirty": exp["dirty"],
        "branch": exp["branch"] or None,
        "node": head,
    }
    assert got == want
    if "dirty-files" in exp:
        assert o.ours["dirty_files"] == exp["dirty-files"]
    assert o.ours_version == _expected_version(scenario, head)


@pytest.mark.parametrize("scenario", CLI_SCENARIOS, ids=_scenario_ids(CLI_SCENARIOS))
def test_cli_version(scenario: Scenario, outcome: Callable[[str], Outcome]) -> None:
    o = outcome(scenario.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VCRELEASE_")}
    env["SOURCE_DATE_EPOCH"] = str(SOURCE_DATE_EPOCH)
    proc = subprocess.run(
        [sys.executable, "-m", "vcrelease", "version", str(o.built.workdir)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if "error" in scenario.expected:
        assert proc.returncode == scenario.expected["error"], proc.stderr
        assert proc.stdout == ""
        assert str(o.built.workdir) in proc.stderr or o.built.workdir.name in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == o.ours_version


DOCKER_SCENARIOS = [s for s in SCENARIOS if "docker-tags" in s.expected]


@pytest.mark.parametrize("scenario", DOCKER_SCENARIOS, ids=_scenario_ids(DOCKER_SCENARIOS))
def test_docker_tags(scenario: Scenario, outcome: Callable[[str], Outcome]) -> None:
    """Floating tags on interleaved release lines, and none in a shallow clone."""
    o = outcome(scenario.name)
    proc = subprocess.run(
        [sys.executable, "-m", "vcrelease", "docker-tags", str(o.built.workdir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == scenario.expected["docker-tags"]
    word = scenario.expected.get("docker-warning")
    if word is None:
        assert proc.stderr == ""
    else:
        assert "warning" in proc.stderr
        assert word in proc.stderr


def test_enough_docker_scenarios() -> None:
    assert len(DOCKER_SCENARIOS) >= 6


def test_shallow_error_says_how_to_fix(outcome: Callable[[str], Outcome]) -> None:
    err = outcome("shallow-without-tag").ours_error
    assert err is not None
    assert "shallow" in str(err)
    assert "fetch-depth: 0" in str(err)
    assert "--unshallow" in str(err)


@pytest.mark.parametrize(
    "name", ["linear-tag-distance", "criss-cross-merge", "packed-refs", "worktree-branch"]
)
def test_build_is_deterministic(name: str, tmp_path: Path) -> None:
    """The same scenario built twice has the same HEAD and the same refs (tags included)."""
    scenario = next(s for s in SCENARIOS if s.name == name)
    refs = []
    for attempt in ("one", "two"):
        built = build(scenario, tmp_path / attempt)
        listing = _git_out(["for-each-ref", "--format=%(objectname) %(refname)"], built.workdir)
        refs.append((head_of(built.workdir), listing))
    assert refs[0][0] is not None
    assert refs[0] == refs[1]


def test_commit_dates_are_fixed_and_increasing(build_scenario: Callable[[str], BuiltRepo]) -> None:
    built = build_scenario("linear-tag-distance")
    stamps = _git_out(["log", "--format=%at %ct %an %cn"], built.workdir)
    assert stamps is not None
    rows = [line.split(" ", 2) for line in stamps.splitlines()]
    times = [int(r[1]) for r in rows][::-1]
    assert times == sorted(set(times))
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert all(
        base < datetime.fromtimestamp(t, timezone.utc) < base + timedelta(days=1) for t in times
    )


SHA1_SPELLED = re.compile(r"\b[0-9a-f]{40}\b")
SHA256_SCENARIOS = [s for s in SCENARIOS if not SHA1_SPELLED.search(repr(s.steps))]
"""Every scenario whose steps spell no SHA-1 id (a grafts file, a ref file, an index entry)."""


def test_sha256_leaves_out_only_scenarios_that_spell_sha1_ids() -> None:
    left_out = {s.name for s in SCENARIOS} - {s.name for s in SHA256_SCENARIOS}
    assert left_out == {"dangling-tag-ref", "grafts-file", "submodule-uninitialised"}


@pytest.mark.parametrize("scenario", SHA256_SCENARIOS, ids=_scenario_ids(SHA256_SCENARIOS))
def test_sha256_repository_matches_git(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same scenario built as a SHA-256 repository (``git init --object-format=sha256``,
    every id 64 hex, trees, packs and the index with 32-byte ids) gives git's answer, with the
    same differences declared for SHA-1, and the version the scenario expects, with a
    commit-graph written as without."""
    monkeypatch.setenv("VCRELEASE_NO_CACHE", "1")
    built = build(scenario, tmp_path, object_format="sha256")
    head = head_of(built.workdir)
    assert head is None or len(head) == 64, head
    ours, version, error = _ask_ours(built)
    git = _ask_git(scenario, built.workdir, ours.get("tag"))
    if "error" in ours:
        differs = set() if "error" in git else {"error"}
    elif "error" in git:
        differs = {"error"}
    else:
        differs = {k for k in git if ours[k] != git[k]}
    assert differs == _declared(scenario.name, "git"), f"ours: {ours}\ngit:  {git}\n{error}"
    exp = scenario.expected
    if "error" in exp:
        assert error is not None, version
        assert error.exit_code == exp["error"], str(error)
    else:
        assert error is None, str(error)
        assert head is not None
        assert version == _expected_version(scenario, head)
    if run_git(["commit-graph", "write", "--reachable"], built.workdir, check=False).returncode:
        return  # an empty or broken repository: nothing to write
    assert _ask_ours(built)[:2] == (ours, version)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_scenario_ids(SCENARIOS))
def test_commit_graph_changes_nothing(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same scenario with a commit-graph file (the walk then reads parents from the graph
    and steps over single lines of history in bulk, here switching to the parent columns after
    two steps) gives the same answer, error or not."""
    monkeypatch.setenv("VCRELEASE_NO_CACHE", "1")
    monkeypatch.setattr(commitgraph, "_LONG_RUN", 2)
    built = build(scenario, tmp_path)
    without = _ask_ours(built)[:2]
    written = run_git(["commit-graph", "write", "--reachable"], built.workdir, check=False)
    objects = run_git(["rev-parse", "--git-path", "objects"], built.workdir, check=False)
    graph = built.workdir / objects.stdout.strip() / "info" / "commit-graph"
    fields = without[0]
    # git writes no commit-graph in a shallow clone, nor for an empty or broken repository
    assert graph.is_file() or fields.get("shallow") or "error" in fields, written.stderr
    assert _ask_ours(built)[:2] == without
