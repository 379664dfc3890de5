"""``distance-scope`` and ``distance-count`` (scoped distance and dirty).

The counting rule itself is held against ``git rev-list`` on generated histories in
``tests/test_scope_oracle.py``; here: the configuration and its errors, the migration of
vcs-versioning's ``scm.git.distance_scope``, the scoped dirty state against ``git status``,
the command line (``version --explain``, ``projects``), the describe cache, shallow clones,
the Bloom filters being used, and vcs-versioning's own answer on a generated monorepo.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gitutil import commit, git, isolate_like_git, new_repo, run, run_git
from vcrelease.config import config_from_mapping, load_config
from vcrelease.errors import ConfigError, ShallowCloneError
from vcrelease.git import Scope
from vcrelease.git.bloom import BloomFilters, murmur3
from vcrelease.git.commitgraph import CommitGraph
from vcrelease.git.session import open_repository
from vcrelease.migration import translate, vcrelease_table
from vcrelease.version.resolve import describe_project, resolve_version, scope_for

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PYPROJECT = """\
[project]
name = "{name}"
dynamic = ["version"]

[tool.vcrelease]
tag-prefix = "{name}-v"
{settings}
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    """vcrelease sees the environment git sees: no ``GIT_*`` variable of the shell, no user
    or system configuration (:func:`gitutil.isolate_like_git`)."""
    isolate_like_git(monkeypatch)


@pytest.fixture
def mono(tmp_path: Path) -> Path:
    """pkg-a (scope: itself and shared/), pkg-b (scope: itself, first-parent), docs/.

    History after the tags (on the first commit): a commit to pkg-b, one to shared/, one to
    docs/, a branch that changes pkg-a merged with --no-ff, and a rename of a file from
    pkg-a/ to pkg-b/.
    """
    repo = tmp_path / "mono"
    a = PYPROJECT.format(name="pkg-a", settings='distance-scope = [".", "../shared"]')
    b = PYPROJECT.format(
        name="pkg-b", settings='distance-scope = true\ndistance-count = "first-parent"'
    )
    files = {
        "pkg-a/pyproject.toml": a,
        "pkg-a/a.py": "a\n",
        "pkg-a/moved.py": "m\n",
        "pkg-b/pyproject.toml": b,
        "shared/s.py": "s\n",
        "docs/index.md": "d\n",
    }
    new_repo(repo, files=files, tags=["pkg-a-v1.0.0", "pkg-b-v2.0.0"])
    commit(repo, "b", {"pkg-b/b.py": "b\n"}, 2)
    commit(repo, "shared", {"shared/s.py": "s2\n"}, 3)
    commit(repo, "docs", {"docs/index.md": "d2\n"}, 4)
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, "a on a branch", {"pkg-a/a.py": "a2\n"}, 5)
    git(repo, "checkout", "-q", "main")
    commit(repo, "b again", {"pkg-b/b.py": "b2\n"}, 6)
    git(repo, "merge", "-q", "--no-ff", "-m", "merge feature", "feature", when=7)
    git(repo, "mv", "pkg-a/moved.py", "pkg-b/moved.py")
    git(repo, "commit", "-q", "-m", "move across", when=8)
    return repo


def _rev_list(repo: Path, *args: str) -> int:
    return int(git(repo, "rev-list", "--count", *args))


# --- configuration ----------------------------------------------------------------------


def _config(**section: object) -> object:
    return config_from_mapping(dict(section), where="[tool.vcrelease] in x", dist_name=None)


def test_config_values() -> None:
    config = _config(**{"distance-scope": True})
    assert config.distance_scope == (".",)  # type: ignore[attr-defined]
    assert config.distance_count == "full-history"  # type: ignore[attr-defined]
    config = _config(
        **{"distance-scope": ["./", "../shared/", ":/tools"], "distance-count": "first-parent"}
    )
    assert config.distance_scope == (".", "../shared", ":/tools")  # type: ignore[attr-defined]
    assert config.distance_count == "first-parent"  # type: ignore[attr-defined]
    assert _config(**{"distance-scope": False}).distance_scope is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"distance-scope": "yes"}, "distance-scope must be true, false or a non-empty list"),
        ({"distance-scope": []}, "distance-scope must be true, false or a non-empty list"),
        ({"distance-scope": [""]}, "distance-scope entries must be non-empty strings"),
        ({"distance-scope": [1]}, "distance-scope entries must be non-empty strings"),
        ({"distance-scope": ["/abs"]}, "must be a relative, literal path"),
        ({"distance-scope": ["a\\b"]}, "must be a relative, literal path"),
        ({"distance-scope": ["src/*"]}, "must be a relative, literal path"),
        ({"distance-scope": True, "distance-count": "topo"}, "distance-count 'topo' is not one"),
        ({"distance-count": "first-parent"}, "distance-count only chooses how distance-scope"),
    ],
)
def test_config_errors_name_the_key_and_the_fix(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match="distance-") as info:
        _config(**section)
    assert message in str(info.value)
    assert info.value.exit_code == 2


def test_a_scope_outside_the_repository_is_refused(mono: Path) -> None:
    (mono / "pkg-a" / "pyproject.toml").write_text(
        PYPROJECT.format(name="pkg-a", settings='distance-scope = ["../../elsewhere"]')
    )
    config = load_config(mono / "pkg-a")
    with pytest.raises(ConfigError, match="leads outside the repository"):
        scope_for(mono / "pkg-a", mono, config)
    result = run("version", mono / "pkg-a")
    assert result.returncode == 2, result.stderr
    assert "distance-scope entry '../../elsewhere'" in result.stderr


def test_scope_paths_are_relative_to_the_project_directory(mono: Path) -> None:
    config = load_config(mono / "pkg-a")
    assert scope_for(mono / "pkg-a", mono, config) == Scope(("pkg-a", "shared"))
    top = config_from_mapping(
        {"distance-scope": [".", ":/", "x"]}, where="w", dist_name=None
    )  # the top covers everything
    assert scope_for(mono / "pkg-a", mono, top) == Scope(("",))


# --- migration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("git_table", "expected"),
    [
        ({"distance_scope": True}, {"distance-scope": True}),
        ({"distance_scope": []}, {"distance-scope": True}),
        ({"distance_scope": False, "distance_count": "first-parent"}, {}),
        (
            {"distance_scope": ["shared", "tools/"], "distance_count": "first-parent"},
            {"distance-scope": [".", ":/shared", ":/tools"], "distance-count": "first-parent"},
        ),
    ],
)
def test_migration_translates_vcs_versionings_distance_scope(
    git_table: dict[str, object], expected: dict[str, object]
) -> None:
    for table in ("setuptools_scm", "vcs-versioning"):
        migration = translate({"tool": {table: {"scm": {"git": git_table}}}})
        assert migration.vcrelease == expected
        assert not migration.unsupported
    hatch = translate(
        {"tool": {"hatch": {"version": {"raw-options": {"scm": {"git": git_table}}}}}}
    )
    assert hatch.vcrelease == expected


def test_migration_refuses_bad_values() -> None:
    bad = translate({"tool": {"setuptools_scm": {"scm": {"git": {"distance_scope": ["/x"]}}}}})
    assert bad.unsupported
    assert "relative" in bad.unsupported[0][1]
    bad = translate(
        {
            "tool": {
                "setuptools_scm": {"scm": {"git": {"distance_scope": True, "distance_count": "x"}}}
            }
        }
    )
    assert bad.unsupported


def test_migrate_writes_a_table_vcrelease_reads(tmp_path: Path) -> None:
    project = tmp_path / "pkg"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
        'build-backend = "setuptools.build_meta"\n\n[project]\nname = "pkg"\n'
        'dynamic = ["version"]\n\n[tool.setuptools_scm.scm.git]\n'
        'distance_scope = ["shared"]\ndistance_count = "first-parent"\n'
    )
    migration = translate(
        {"tool": {"setuptools_scm": {"scm": {"git": {"distance_scope": ["shared"]}}}}}
    )
    assert 'distance-scope = [".", ":/shared"]' in vcrelease_table(migration)
    result = run("migrate", project, "--write")
    assert result.returncode == 0, result.stderr
    config = load_config(project)
    assert config.distance_scope == (".", ":/shared")
    assert config.distance_count == "first-parent"


def test_old_settings_left_behind_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.vcrelease]\n\n[tool.vcs-versioning.scm.git]\ndistance_scope = true\n"
    )
    assert load_config(tmp_path).distance_scope == (".",)


# --- distance and dirty -----------------------------------------------------------------


def test_scoped_distance_and_dirty_against_git(mono: Path) -> None:
    for project, paths, mode in (
        ("pkg-a", ["pkg-a", "shared"], []),
        ("pkg-b", ["pkg-b"], ["--first-parent"]),
    ):
        state = describe_project(mono / project, load_config(mono / project))
        tag = "pkg-a-v1.0.0" if project == "pkg-a" else "pkg-b-v2.0.0"
        want = _rev_list(mono, *mode, "--full-history", f"{tag}..HEAD", "--", *paths)
        assert state.distance == want, project
        assert state.unscoped_distance == _rev_list(mono, f"{state.tag}..HEAD")
        assert not state.dirty
    # pkg-a: shared, a on a branch, the merge (pkg-a differs from its first parent), move
    assert describe_project(mono / "pkg-a", load_config(mono / "pkg-a")).distance == 4
    # pkg-b: b, b again, move across (first-parent: the merge brought pkg-a only)
    assert describe_project(mono / "pkg-b", load_config(mono / "pkg-b")).distance == 3

    (mono / "docs" / "index.md").write_text("changed\n")
    (mono / "pkg-b" / "b.py").write_text("changed\n")
    (mono / "untracked.txt").write_text("u\n")
    for project, paths in (("pkg-a", ["pkg-a", "shared"]), ("pkg-b", ["pkg-b"])):
        state = describe_project(mono / project, load_config(mono / project))
        porcelain = git(mono, "status", "--porcelain", "--untracked-files=no", "--", *paths)
        assert state.dirty == bool(porcelain), project
        changed = git(mono, "diff", "--name-only", "HEAD", "--", *paths).splitlines()
        assert list(state.dirty_files) == sorted(changed)
    git(mono, "add", "shared")
    (mono / "shared" / "s.py").write_text("staged-then-changed\n")
    git(mono, "add", "shared/s.py")
    state = describe_project(mono / "pkg-a", load_config(mono / "pkg-a"))
    assert state.dirty_files == ("shared/s.py",)
    diff = run_git(["diff", "--quiet", "HEAD", "--", "pkg-a", "shared"], mono, check=False)
    assert diff.returncode == 1


def test_on_the_tag_nothing_changes(mono: Path) -> None:
    git(mono, "checkout", "-q", "pkg-a-v1.0.0")
    result = resolve_version(mono / "pkg-a", env={})
    assert result.version == "1.0.0"
    assert result.describe is not None
    assert result.describe.distance == 0


def test_no_tag_counts_the_scoped_history(mono: Path) -> None:
    git(mono, "tag", "-d", "pkg-a-v1.0.0")
    state = describe_project(mono / "pkg-a", load_config(mono / "pkg-a"))
    assert state.tag is None
    assert state.distance == _rev_list(mono, "--full-history", "HEAD", "--", "pkg-a", "shared")


def test_cli_version_explain_and_projects(mono: Path) -> None:
    result = run("version", mono / "pkg-a", "--explain")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1.0.1.dev4")
    assert "distance-scope: pkg-a, shared (full-history): 4 of the 7 commits" in result.stderr
    result = run("projects", mono, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["projects"]}
    assert rows["pkg-a"]["distance"] == 4
    assert rows["pkg-b"]["distance"] == 3
    (mono / "pkg-b" / "b.py").write_text("dirty\n")
    rows = {
        row["name"]: row
        for row in json.loads(run("projects", mono, "--format", "json").stdout)["projects"]
    }
    assert rows["pkg-b"]["dirty"] is True
    assert rows["pkg-a"]["dirty"] is False
    described = json.loads(run("describe", mono / "pkg-a", "--json").stdout)
    assert described["distance"] == 4
    assert described["scope"] == {
        "paths": ["pkg-a", "shared"],
        "count": "full-history",
        "unscoped_distance": 7,
    }


def test_the_describe_cache_keys_on_the_scope(mono: Path) -> None:
    from vcrelease.git.cache import clear_memory

    env = {k: v for k, v in os.environ.items() if k != "VCRELEASE_NO_CACHE"}
    clear_memory()
    scoped = resolve_version(mono / "pkg-a", env=env)
    assert scoped.describe is not None
    assert scoped.describe.distance == 4
    whole = config_from_mapping({"tag-prefix": "pkg-a-v"}, where="w", dist_name=None)
    unscoped = resolve_version(mono / "pkg-a", env=env, config=whole)
    assert unscoped.describe is not None
    assert unscoped.describe.distance == 7
    first = config_from_mapping(
        {"tag-prefix": "pkg-a-v", "distance-scope": True, "distance-count": "first-parent"},
        where="w",
        dist_name=None,
    )
    again = resolve_version(mono / "pkg-a", env=env, config=first)
    assert again.describe is not None
    assert again.describe.distance == _rev_list(
        mono, "--first-parent", "--full-history", "pkg-a-v1.0.0..HEAD", "--", "pkg-a"
    )
    clear_memory()  # from the disk cache now
    assert resolve_version(mono / "pkg-a", env=env).describe == scoped.describe


def test_a_shallow_clone_cut_is_an_error_not_a_smaller_count(mono: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", "--no-single-branch", mono.as_uri(), str(clone))
    git(clone, "fetch", "-q", "--depth", "2", "origin", "refs/tags/*:refs/tags/*")
    with pytest.raises(ShallowCloneError):
        describe_project(clone / "pkg-a", load_config(clone / "pkg-a"))


# --- Bloom filters ----------------------------------------------------------------------


def test_murmur3_known_values() -> None:
    # MurmurHash3_x86_32 reference values (git's t/helper/test-bloom.c and t0095-bloom.sh).
    assert murmur3(0, b"") == 0x00000000
    assert murmur3(1, b"") == 0x514E28B7
    assert murmur3(0, b"Hello world!") == 0x627B0C2C
    assert murmur3(0, b"The quick brown fox jumps over the lazy dog") == 0x2E4FF723


def test_bloom_filters_answer_definitely_not_and_never_wrongly(mono: Path) -> None:
    git(mono, "commit-graph", "write", "--reachable", "--changed-paths")
    graph = CommitGraph.open(str(mono / ".git" / "objects"))
    assert graph is not None
    try:
        filters = BloomFilters.for_graph(graph, ["pkg-a"])
        assert filters is not None
        said_no = 0
        for sha in git(mono, "rev-list", "HEAD").split():
            position = graph.position(bytes.fromhex(sha))  # type: ignore[arg-type]
            assert position is not None
            changed = git(mono, "diff-tree", "--root", "-r", "--name-only", sha, "--", "pkg-a")
            if not filters.maybe_changed(position):
                said_no += 1
                assert not changed, sha
        assert said_no >= 3
        assert BloomFilters.for_graph(graph, [""]) is None  # the whole tree: no filter helps
    finally:
        graph.close()
    state = describe_project(mono / "pkg-a", load_config(mono / "pkg-a"))
    assert state.distance == 4


# --- vcs-versioning's own distance_scope --------------------------------------------------


def test_vcs_versioning_gives_the_same_distance(mono: Path) -> None:
    """setuptools-scm's own ``scm.git.distance_scope`` (vcs-versioning 2.6, through git)."""
    pytest.importorskip("vcs_versioning")
    from vcs_versioning import Configuration
    from vcs_versioning._get_version_impl import _get_version

    (mono / "docs" / "index.md").write_text("dirty outside both scopes\n")
    for project, scope, count in (
        ("pkg-a", ["shared"], "full-history"),
        ("pkg-b", True, "first-parent"),
    ):
        config = Configuration.from_data(
            relative_to=str(mono / project / "pyproject.toml"),
            data={
                "root": "..",
                "tag": {"regex": rf"^{project}-v(?P<version>.*)$"},
                "scm": {
                    "git": {
                        "distance_scope": scope,
                        "distance_count": count,
                        "describe_command": (
                            f"git describe --tags --long --dirty --match {project}-v*"
                        ),
                    }
                },
                "local_scheme": "no-local-version",
            },
        )
        theirs = _get_version(config, force_write_version_files=False)
        ours = resolve_version(mono / project, env={}, local_scheme="no-local-version").version
        assert ours == theirs, project


def test_first_parent_follows_gits_walk_at_the_line_s_last_merge(tmp_path: Path) -> None:
    """``--first-parent``: a merge of the tag's branch into a commit the tag descends from
    (``main`` at A, the tag two commits later on a branch, merged with ``--no-ff``) counts
    when git's walk reaches it before marking A, which git does for a grandparent of the
    tag and not for its parent (``scope._flags_when_met``)."""
    for extra, want in ((True, 1), (False, 0)):
        repo = tmp_path / f"extra-{extra}"
        new_repo(repo, files={"x/f": "0\n"})
        commit(repo, "A", {"x/f": "1\n"}, 2)
        git(repo, "checkout", "-q", "-b", "feat")
        if extra:
            commit(repo, "T1", {"x/f": "2\n"}, 3)
        commit(repo, "T", {"x/f": "3\n"}, 4)
        git(repo, "tag", "v1.0")
        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--no-ff", "-m", "M", "feat", when=5)
        for first_parent in (True, False):
            mode = ["--first-parent"] if first_parent else []
            git_count = _rev_list(repo, *mode, "--full-history", "v1.0..HEAD", "--", "x")
            with open_repository(repo) as session:
                history = session.history(lambda n: n[1:], scope=Scope(("x",), first_parent))
            assert history.distance == git_count, (extra, first_parent)
        assert git_count == 0
        with open_repository(repo) as session:
            assert session.history(lambda n: n[1:], scope=Scope(("x",), True)).distance == want


def test_a_tag_build_minds_only_the_scope(mono: Path) -> None:
    """A CI tag build of pkg-a: a sibling's uncommitted change is no reason to refuse, a
    change under pkg-a's scope is."""
    from test_ci_versions import github
    from vcrelease.errors import TagBuildError

    git(mono, "tag", "pkg-a-v1.1.0")
    head = git(mono, "rev-parse", "HEAD")
    env = github("push", "refs/tags/pkg-a-v1.1.0", head)
    (mono / "pkg-b" / "b.py").write_text("sibling work\n")
    assert resolve_version(mono / "pkg-a", env=env).version == "1.1.0"
    (mono / "shared" / "s.py").write_text("in the scope\n")
    with pytest.raises(TagBuildError, match=r"shared/s\.py"):
        resolve_version(mono / "pkg-a", env=env)


@pytest.mark.slow
def test_the_build_plugins_use_the_scope(
    mono: Path, build_env: dict[str, str], tmp_path: Path
) -> None:
    """``python -m build`` of a hatchling project with ``distance-scope``: the sdist and the
    wheel carry the scoped version (pkg-b: 4 of the 8 commits since its tag)."""
    from test_build_e2e import build_ok

    text = (mono / "pkg-b" / "pyproject.toml").read_text()
    (mono / "pkg-b" / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling", "vcrelease"]\n'
        'build-backend = "hatchling.build"\n\n[tool.hatch.version]\nsource = "vcrelease"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["pkg_b"]\n\n'
        + text.replace(
            "distance-scope = true", 'distance-scope = true\nlocal-scheme = "no-local-version"'
        )
    )
    (mono / "pkg-b" / "pkg_b").mkdir()
    (mono / "pkg-b" / "pkg_b" / "__init__.py").write_text("")
    git(mono, "add", "-A")
    git(mono, "commit", "-qm", "pkg-b builds with hatchling", when=9)
    count = _rev_list(mono, "--first-parent", "--full-history", "pkg-b-v2.0.0..HEAD", "--", "pkg-b")
    assert count == 4
    want = f"2.0.1.dev{count}"
    files = build_ok(mono / "pkg-b", tmp_path / "dist", build_env)
    assert len(files) == 2, files
    assert f"pkg_b-{want}.tar.gz" in files
    assert any(f.startswith(f"pkg_b-{want}-") and f.endswith(".whl") for f in files), files


def test_a_split_commit_graph_with_bloom_filters_in_each_layer(mono: Path) -> None:
    """Two layers (``--split``), each with its own filters, and commits newer than both."""
    git(mono, "commit-graph", "write", "--reachable", "--split", "--changed-paths")
    commit(mono, "shared later", {"shared/s.py": "s3\n"}, 10)
    commit(mono, "docs later", {"docs/index.md": "d3\n"}, 11)
    git(mono, "commit-graph", "write", "--reachable", "--split=no-merge", "--changed-paths")
    chain = mono / ".git" / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert len(chain.read_text().split()) == 2
    commit(mono, "pkg-a outside the graph", {"pkg-a/a.py": "a3\n"}, 12)
    for project, tag, paths, mode in (
        ("pkg-a", "pkg-a-v1.0.0", ["pkg-a", "shared"], []),
        ("pkg-b", "pkg-b-v2.0.0", ["pkg-b"], ["--first-parent"]),
    ):
        state = describe_project(mono / project, load_config(mono / project))
        want = _rev_list(mono, *mode, "--full-history", f"{tag}..HEAD", "--", *paths)
        assert state.distance == want, project
    assert describe_project(mono / "pkg-a", load_config(mono / "pkg-a")).distance == 6
