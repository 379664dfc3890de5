"""Merge-queue builds never upload: GitHub's ``merge_group`` event and the
``gh-readonly-queue/<base>/pr-<N>-<sha>`` branches any CI may build for it.

A merge-queue build tests a merge that has not happened; the push build of the base branch
after the merge is the one that publishes (GitHub docs, "Managing a merge queue").
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from gitutil import git, run
from servers import IndexServer, local_session
from test_ci_versions import github, project
from test_upload import vc_upload
from vcrelease.ci.context import BuildContext
from vcrelease.publish.policy import RepoFacts, decide

BASE_SHA = "fedcba9876543210fedcba9876543210fedcba98"
QUEUE = f"gh-readonly-queue/release/2.x/pr-123-{BASE_SHA}"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _merge_group(**extra: str) -> dict[str, str]:
    return github("merge_group", f"refs/heads/{QUEUE}", SHA, **extra)


def test_github_merge_group_is_a_pull_request_build() -> None:
    ctx = BuildContext.from_env(_merge_group(GITHUB_REF_TYPE="branch", GITHUB_REF_NAME=QUEUE))
    assert (ctx.event, ctx.branch, ctx.pr_number, ctx.pr_base_branch, ctx.trigger) == (
        "pull_request",
        None,
        123,
        "release/2.x",
        "merge_group",
    )


def test_github_merge_group_with_another_branch_shape_is_still_a_pull_request_build() -> None:
    """The event alone decides on GitHub; the payload's ``merge_group.base_ref`` names the base."""
    env = github("merge_group", "refs/heads/queue-of-some-other-shape", SHA)
    payload = {"merge_group": {"base_ref": "refs/heads/main", "head_ref": "x"}}
    ctx = BuildContext.from_env(env, payload)
    assert (ctx.event, ctx.branch, ctx.pr_number, ctx.pr_base_branch) == (
        "pull_request",
        None,
        None,
        "main",
    )


@pytest.mark.parametrize(
    "env",
    [
        {"CIRCLECI": "true", "CIRCLE_BRANCH": QUEUE, "CIRCLE_SHA1": SHA},
        {"BUILDKITE": "true", "BUILDKITE_BRANCH": QUEUE, "BUILDKITE_PULL_REQUEST": "false"},
        {"TF_BUILD": "True", "BUILD_SOURCEBRANCH": f"refs/heads/{QUEUE}"},
        {"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": QUEUE},
        {"JENKINS_URL": "https://ci.example/", "GIT_BRANCH": f"origin/{QUEUE}"},
        {"TRAVIS": "true", "TRAVIS_BRANCH": QUEUE, "TRAVIS_PULL_REQUEST": "false"},
        {"BITBUCKET_BUILD_NUMBER": "3", "BITBUCKET_BRANCH": QUEUE},
        {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": QUEUE},
    ],
    ids=["circleci", "buildkite", "azure", "jenkins", "jenkins-git", "travis", "bitbucket", "gl"],
)
def test_any_ci_building_a_merge_queue_branch_is_a_pull_request_build(
    env: dict[str, str],
) -> None:
    ctx = BuildContext.from_env(env)
    assert (ctx.event, ctx.branch, ctx.pr_number, ctx.pr_base_branch) == (
        "pull_request",
        None,
        123,
        "release/2.x",
    )


def test_an_ordinary_branch_named_like_the_queue_is_not_one() -> None:
    """Only the reserved prefix counts: ``x/gh-readonly-queue/...`` is a branch."""
    ctx = BuildContext.from_env(github("push", f"refs/heads/x/{QUEUE}", SHA))
    assert (ctx.event, ctx.branch) == ("branch", f"x/{QUEUE}")


def test_policy_skips_a_merge_queue_dev_release() -> None:
    decision = decide(BuildContext.from_env(_merge_group()), "2.1.0.dev4", RepoFacts(head=SHA))
    assert (decision.action, decision.exit_code) == ("skip", 0)
    assert "#123" in decision.reason


def _wheel(directory: Path, name: str, version: str) -> Path:
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    path = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        info = f"{stem}.dist-info"
        archive.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return path


def test_vc_upload_in_a_merge_group_run_uploads_nothing(
    tmp_path: Path, pypiserver_nofallback_index: IndexServer, unique_project: str
) -> None:
    """The whole run: `vcrelease ci` says skip, vc-upload sends nothing to a real index."""
    checkout = tmp_path / "p"
    head = project(checkout, after_tag=2)
    git(checkout, "checkout", "-q", "-b", QUEUE)
    env = _merge_group(GITHUB_SHA=head)
    ci = run("ci", "--format", "json", checkout, **env)
    assert ci.returncode == 0, ci.stderr
    report = json.loads(ci.stdout)
    assert (report["context"]["event"], report["upload"]) == ("pull_request", "skip")
    version = report["version"]
    wheel = _wheel(tmp_path, unique_project, version)
    uploaded = vc_upload(pypiserver_nofallback_index, [wheel], checkout, env=env)
    assert uploaded.returncode == 0, uploaded.stderr
    assert "pull request #123" in uploaded.stdout + uploaded.stderr
    listing = local_session().get(
        f"{pypiserver_nofallback_index.index_url}{canonicalize_name(unique_project)}/", timeout=30
    )
    assert listing.status_code == 404, listing.text
