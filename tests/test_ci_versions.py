"""CI-aware versions on real repositories: tag builds (also in depth-1 clones without the tag),
no local label in CI, branch-aware schemes on the pull request's head branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitutil import git, new_repo, run


def github(event: str, ref: str, sha: str, **extra: str) -> dict[str, str]:
    """GitHub Actions variables for one build (https://docs.github.com/en/actions/reference)."""
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_RUN_NUMBER": "17",
        **extra,
    }


def project(path: Path, *, after_tag: int, pyproject: str = "") -> str:
    """A repo: one commit tagged v1.2.3, then ``after_tag`` commits; returns HEAD's id."""
    new_repo(
        path,
        files={"app.txt": "0\n"},
        pyproject=f'[project]\nname = "app"\n{pyproject}',
        tags=["v1.2.3"],
        annotated=True,
        commits_after_tag=after_tag,
    )
    return git(path, "rev-parse", "HEAD")


@pytest.fixture
def shallow_tag_clone(tmp_path: Path) -> tuple[Path, str]:
    """A depth-1 clone of a commit tagged v2.0.0 (10 commits past v1.2.3), tags not fetched,
    as actions/checkout makes it; returns (clone, HEAD id)."""
    origin = tmp_path / "origin"
    project(origin, after_tag=10)
    git(origin, "tag", "v2.0.0")
    head = git(origin, "rev-parse", "HEAD")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--no-tags", origin.as_uri(), str(clone))
    assert git(clone, "tag") == ""
    assert (clone / ".git" / "shallow").exists()
    return clone, head


def test_shallow_tag_build_takes_the_tag_from_ci(shallow_tag_clone: tuple[Path, str]) -> None:
    clone, head = shallow_tag_clone
    result = run("version", clone, **github("push", "refs/tags/v2.0.0", head))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.0.0"


def test_same_shallow_clone_outside_ci_exits_3_with_the_fix(
    shallow_tag_clone: tuple[Path, str],
) -> None:
    clone, _ = shallow_tag_clone
    result = run("version", clone)
    assert result.returncode == 3
    assert "shallow clone" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_shallow_tag_build_of_another_commit_exits_3_naming_both(
    shallow_tag_clone: tuple[Path, str],
) -> None:
    clone, head = shallow_tag_clone
    other = "1" * 40
    result = run("version", clone, **github("push", "refs/tags/v2.0.0", other))
    assert result.returncode == 3
    assert head in result.stderr
    assert other in result.stderr
    assert "v2.0.0" in result.stderr


def test_tag_build_of_a_non_version_tag_is_an_ordinary_build(
    shallow_tag_clone: tuple[Path, str],
) -> None:
    """A monorepo's other package, or a `docs-latest` tag: not this project's release."""
    clone, head = shallow_tag_clone
    result = run("version", clone, **github("push", "refs/tags/docs-latest", head))
    assert result.returncode == 3  # an ordinary build in a shallow clone: cannot know
    assert "shallow clone" in result.stderr


def test_tag_build_on_a_dirty_tree_exits_3_naming_the_files(tmp_path: Path) -> None:
    head = project(tmp_path / "p", after_tag=0)
    (tmp_path / "p" / "app.txt").write_text("changed by a build step\n")
    result = run("version", tmp_path / "p", **github("push", "refs/tags/v1.2.3", head))
    assert result.returncode == 3
    assert "app.txt" in result.stderr
    assert "v1.2.3" in result.stderr


def test_tag_build_with_head_past_the_tag_exits_3(tmp_path: Path) -> None:
    """The tag is in the clone but HEAD is a later commit (a wrong checkout ref)."""
    head = project(tmp_path / "p", after_tag=2)
    tagged = git(tmp_path / "p", "rev-parse", "v1.2.3^{commit}")
    result = run("version", tmp_path / "p", **github("push", "refs/tags/v1.2.3", head))
    assert result.returncode == 3
    assert tagged in result.stderr
    assert head in result.stderr


def test_tag_build_picks_the_built_tag_among_several_on_head(tmp_path: Path) -> None:
    """Outside CI the highest tag on HEAD wins; the tag build of the rc is the rc."""
    head = project(tmp_path / "p", after_tag=1)
    git(tmp_path / "p", "tag", "v1.3.0rc1")
    git(tmp_path / "p", "tag", "v1.3.0")
    assert run("version", tmp_path / "p").stdout.strip() == "1.3.0"
    result = run("version", tmp_path / "p", **github("push", "refs/tags/v1.3.0rc1", head))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.3.0rc1"


def test_no_local_label_in_ci_unless_configured(tmp_path: Path) -> None:
    head = project(tmp_path / "p", after_tag=2)
    (tmp_path / "p" / "app.txt").write_text("dirty\n")
    outside = run("version", tmp_path / "p").stdout.strip()
    assert outside.startswith(f"1.2.4.dev2+g{head[:7]}")
    assert ".d2" in outside  # the date of a dirty tree
    branch_build = github("push", "refs/heads/main", head)
    assert run("version", tmp_path / "p", **branch_build).stdout.strip() == "1.2.4.dev17"

    configured = project(
        tmp_path / "q", after_tag=2, pyproject='[tool.vcrelease]\nlocal-scheme = "node-and-date"\n'
    )
    result = run("version", tmp_path / "q", **github("push", "refs/heads/main", configured))
    assert result.stdout.strip().startswith(f"1.2.4.dev17+g{configured[:7]}")


def test_branch_scheme_sees_the_pull_requests_head_branch(tmp_path: Path) -> None:
    """release-branch-semver: on `release-1.2` the next version is a patch; GitHub builds a
    pull request from that branch on a detached merge commit (refs/pull/7/merge)."""
    repo = tmp_path / "p"
    head = project(
        repo, after_tag=2, pyproject='[tool.vcrelease]\nversion-scheme = "release-branch-semver"\n'
    )
    git(repo, "checkout", "-q", "--detach")
    assert run("version", repo).stdout.strip().startswith("1.3.0.dev2")
    pr = github(
        "pull_request",
        "refs/pull/7/merge",
        head,
        GITHUB_HEAD_REF="release-1.2",
        GITHUB_BASE_REF="main",
    )
    result = run("version", repo, "--explain", **pr)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.2.4.dev17"  # the run number (dev-number default in CI)
    assert "branch: release-1.2" in result.stderr
    assert "no-local-version (in CI)" in result.stderr


@pytest.mark.parametrize(
    ("setting", "env_value", "expected"),
    [
        (None, None, "1.2.4.dev17"),  # CI default: the run number
        ("distance", None, "1.2.4.dev2"),
        ("run", None, "1.2.4.dev17"),
        ("commit-time", None, "1.2.4.dev20260101000002"),
        ("distance", "commit-time", "1.2.4.dev20260101000002"),  # the variable wins
    ],
)
def test_dev_number_rules_in_ci(
    tmp_path: Path, setting: str | None, env_value: str | None, expected: str
) -> None:
    config = f'[tool.vcrelease]\ndev-number = "{setting}"\n' if setting else ""
    head = project(tmp_path / "p", after_tag=2, pyproject=config)
    env = github("push", "refs/heads/main", head)
    if env_value:
        env["VCRELEASE_DEV_NUMBER"] = env_value
    result = run("version", tmp_path / "p", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_dev_number_defaults_outside_ci_and_without_a_run_number(tmp_path: Path) -> None:
    head = project(tmp_path / "p", after_tag=2)
    assert run("version", tmp_path / "p").stdout.startswith("1.2.4.dev2+g")
    no_run = {k: v for k, v in github("push", "refs/heads/main", head).items()}
    del no_run["GITHUB_RUN_NUMBER"]
    assert run("version", tmp_path / "p", **no_run).stdout.strip() == "1.2.4.dev20260101000002"


def test_exact_tag_keeps_its_version_under_every_dev_number(tmp_path: Path) -> None:
    head = project(tmp_path / "p", after_tag=0)
    for rule in ("distance", "run", "commit-time"):
        env = {**github("push", "refs/heads/main", head), "VCRELEASE_DEV_NUMBER": rule}
        assert run("version", tmp_path / "p", **env).stdout.strip() == "1.2.3"


def test_run_rule_outside_ci_keeps_the_distance_and_in_ci_needs_a_number(tmp_path: Path) -> None:
    head = project(tmp_path / "p", after_tag=2, pyproject='[tool.vcrelease]\ndev-number = "run"\n')
    assert run("version", tmp_path / "p").stdout.startswith("1.2.4.dev2+g")
    no_run = github("push", "refs/heads/main", head)
    del no_run["GITHUB_RUN_NUMBER"]
    result = run("version", tmp_path / "p", **no_run)
    assert result.returncode == 2
    assert "run number" in result.stderr


@pytest.mark.parametrize(("where", "value"), [("config", "sometimes"), ("env", "sometimes")])
def test_bad_dev_number_exits_2(tmp_path: Path, where: str, value: str) -> None:
    config = f'[tool.vcrelease]\ndev-number = "{value}"\n' if where != "env" else ""
    project(tmp_path / "p", after_tag=2, pyproject=config)
    env = {"VCRELEASE_DEV_NUMBER": value} if where == "env" else {}
    result = run("version", tmp_path / "p", **env)
    assert result.returncode == 2
    assert "dev-number" in result.stderr or "VCRELEASE_DEV_NUMBER" in result.stderr


@pytest.fixture
def full_clone_without_the_tag(tmp_path: Path) -> tuple[Path, str]:
    """A complete clone (not shallow) of a commit the CI calls ``v2.0.0``, a tag the clone
    does not have (made after the checkout, or fetched without tags)."""
    origin = tmp_path / "origin"
    project(origin, after_tag=3)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-tags", origin.as_uri(), str(clone))
    assert not (clone / ".git" / "shallow").exists()
    return clone, git(clone, "rev-parse", "HEAD")


@pytest.mark.parametrize("sha_is_head", [True, False], ids=["ci-sha-is-head", "other-sha"])
def test_full_clone_without_the_ci_tag_exits_3_with_the_fix(
    full_clone_without_the_tag: tuple[Path, str], sha_is_head: bool
) -> None:
    """The CI's tag is trusted without the tag only in a shallow clone: a complete clone
    without it must not give version 2.0.0 (which vc-upload would upload), nor exit 0
    without publishing."""
    clone, head = full_clone_without_the_tag
    env = github("push", "refs/tags/v2.0.0", head if sha_is_head else "1" * 40)
    result = run("version", clone, **env)
    assert result.returncode == 3, result.stdout
    assert "git fetch --tags" in result.stderr
    uploaded = run("upload", "--project-dir", str(clone), "--dry-run", *_wheel_of(clone), **env)
    assert uploaded.returncode == 3, uploaded.stderr
    assert "git fetch --tags" in uploaded.stderr


def _wheel_of(clone: Path) -> list[str]:
    import zipfile

    path = clone.parent / "app-2.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app-2.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: app\n"
                         "Version: 2.0.0\n")  # fmt: skip
        archive.writestr("app-2.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        archive.writestr("app-2.0.0.dist-info/RECORD", "")
    return [str(path)]
