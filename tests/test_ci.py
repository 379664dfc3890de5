"""BuildContext.from_env against environment fixtures of the eight CI providers.

Each fixture is what the provider sets for one kind of build (variables from each provider's
documentation, values made up); each test compares the whole BuildContext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from vcrelease.ci.context import BuildContext
from vcrelease.errors import strip_credentials

SHA = "0123456789abcdef0123456789abcdef01234567"
MERGE_SHA = "fedcba9876543210fedcba9876543210fedcba98"
REPO = "brewblox/brewblox-devcon-spark"
FORK_REPO = "contributor/brewblox-devcon-spark"
FEATURE = "feature/implement-doodad"


def _env(base: Mapping[str, str], **changes: str) -> dict[str, str]:
    env = dict(base)
    env.update(changes)
    return env


def _payload(head_repo: str | None, number: int = 17) -> dict[str, Any]:
    head: dict[str, Any] = {"ref": FEATURE, "sha": SHA}
    head["repo"] = None if head_repo is None else {"full_name": head_repo}
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": head,
            "base": {"ref": "develop", "repo": {"full_name": REPO}},
        },
    }


# --- GitHub Actions -----------------------------------------------------------------------------

GITHUB = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_SHA": SHA,
    "GITHUB_RUN_NUMBER": "42",
    "GITHUB_RUN_ID": "9876543210",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": REPO,
    "GITHUB_HEAD_REF": "",  # set, and empty, on anything but pull requests
    "GITHUB_BASE_REF": "",
}
GITHUB_TAG = _env(
    GITHUB, GITHUB_REF="refs/tags/v1.2.3", GITHUB_REF_TYPE="tag", GITHUB_REF_NAME="v1.2.3"
)
GITHUB_BRANCH = _env(
    GITHUB,
    GITHUB_REF=f"refs/heads/{FEATURE}",
    GITHUB_REF_TYPE="branch",
    GITHUB_REF_NAME=FEATURE,
)
GITHUB_PR = _env(
    GITHUB,
    GITHUB_EVENT_NAME="pull_request",
    GITHUB_REF="refs/pull/17/merge",
    GITHUB_REF_TYPE="branch",
    GITHUB_REF_NAME="17/merge",
    GITHUB_SHA=MERGE_SHA,
    GITHUB_HEAD_REF=FEATURE,
    GITHUB_BASE_REF="develop",
)
GITHUB_PR_TARGET = _env(
    GITHUB,
    GITHUB_EVENT_NAME="pull_request_target",
    GITHUB_REF="refs/heads/develop",
    GITHUB_REF_TYPE="branch",
    GITHUB_REF_NAME="develop",
    GITHUB_HEAD_REF=FEATURE,
    GITHUB_BASE_REF="develop",
)
GITHUB_DISPATCH = _env(
    GITHUB,
    GITHUB_EVENT_NAME="workflow_dispatch",
    GITHUB_REF="refs/heads/develop",
    GITHUB_REF_TYPE="branch",
    GITHUB_REF_NAME="develop",
)
GH: dict[str, Any] = {
    "provider": "github",
    "sha": SHA,
    "run_number": 42,
    "run_id": "9876543210",
    "repository_url": f"https://github.com/{REPO}",
    "is_ci": True,
    "trigger": "push",
}
GH_PR = {**GH, "sha": MERGE_SHA, "trigger": "pull_request"}

# --- Travis CI ----------------------------------------------------------------------------------

TRAVIS = {
    "CI": "true",
    "TRAVIS": "true",
    "TRAVIS_COMMIT": SHA,
    "TRAVIS_BUILD_NUMBER": "311",
    "TRAVIS_BUILD_ID": "123456789",
    "TRAVIS_REPO_SLUG": REPO,
    "TRAVIS_EVENT_TYPE": "push",
    "TRAVIS_PULL_REQUEST": "false",
    "TRAVIS_PULL_REQUEST_BRANCH": "",
    "TRAVIS_PULL_REQUEST_SLUG": "",
    "TRAVIS_TAG": "",
}
TRAVIS_TAG = _env(TRAVIS, TRAVIS_TAG="v1.2.3", TRAVIS_BRANCH="v1.2.3")
TRAVIS_BRANCH = _env(TRAVIS, TRAVIS_BRANCH=FEATURE)
TRAVIS_PR = _env(
    TRAVIS,
    TRAVIS_EVENT_TYPE="pull_request",
    TRAVIS_COMMIT=MERGE_SHA,
    TRAVIS_BRANCH="develop",
    TRAVIS_PULL_REQUEST="17",
    TRAVIS_PULL_REQUEST_BRANCH=FEATURE,
    TRAVIS_PULL_REQUEST_SHA=SHA,
    TRAVIS_PULL_REQUEST_SLUG=REPO,
)
TR: dict[str, Any] = {
    "provider": "travis",
    "sha": SHA,
    "run_number": 311,
    "run_id": "123456789",
    "is_ci": True,
    "trigger": "push",
}
TR_PR = {**TR, "sha": MERGE_SHA, "trigger": "pull_request"}

# --- GitLab CI ----------------------------------------------------------------------------------

GITLAB = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_COMMIT_SHA": SHA,
    "CI_PIPELINE_IID": "57",
    "CI_PIPELINE_ID": "1234567",
    "CI_PIPELINE_SOURCE": "push",
    "CI_PROJECT_URL": "https://gitlab.com/brewblox/spark",
    "CI_REPOSITORY_URL": "https://gitlab-ci-token:[MASKED]@gitlab.com/brewblox/spark.git",
}
GITLAB_TAG = _env(GITLAB, CI_COMMIT_TAG="v1.2.3", CI_COMMIT_REF_NAME="v1.2.3")
GITLAB_BRANCH = _env(GITLAB, CI_COMMIT_BRANCH=FEATURE, CI_COMMIT_REF_NAME=FEATURE)
GITLAB_MR = _env(
    GITLAB,
    CI_PIPELINE_SOURCE="merge_request_event",
    CI_COMMIT_REF_NAME=FEATURE,
    CI_MERGE_REQUEST_IID="17",
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=FEATURE,
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME="develop",
    CI_MERGE_REQUEST_SOURCE_PROJECT_ID="100",
    CI_MERGE_REQUEST_PROJECT_ID="100",
)
GL: dict[str, Any] = {
    "provider": "gitlab",
    "sha": SHA,
    "run_number": 57,
    "run_id": "1234567",
    "repository_url": "https://gitlab.com/brewblox/spark",
    "is_ci": True,
    "trigger": "push",
}
GL_MR = {**GL, "trigger": "merge_request_event"}

# --- CircleCI -----------------------------------------------------------------------------------

CIRCLE = {
    "CI": "true",
    "CIRCLECI": "true",
    "CIRCLE_SHA1": SHA,
    "CIRCLE_BUILD_NUM": "88",
    "CIRCLE_WORKFLOW_ID": "6f1f0a6e-9a3b-4c55-8d3f-0a1b2c3d4e5f",
    "CIRCLE_PROJECT_USERNAME": "brewblox",
    "CIRCLE_PROJECT_REPONAME": "brewblox-devcon-spark",
    "CIRCLE_REPOSITORY_URL": f"git@github.com:{REPO}.git",
}
CIRCLE_TAG = _env(CIRCLE, CIRCLE_TAG="v1.2.3")
CIRCLE_BRANCH = _env(CIRCLE, CIRCLE_BRANCH=FEATURE)
CIRCLE_PR = _env(
    CIRCLE,
    CIRCLE_BRANCH=FEATURE,
    CIRCLE_PULL_REQUEST=f"https://github.com/{REPO}/pull/17",
    CIRCLE_PULL_REQUESTS=f"https://github.com/{REPO}/pull/17",
)
CIRCLE_FORK = _env(
    CIRCLE,
    CIRCLE_BRANCH="pull/17",
    CIRCLE_PR_NUMBER="17",
    CIRCLE_PR_USERNAME="contributor",
    CIRCLE_PR_REPONAME="brewblox-devcon-spark",
    CIRCLE_PULL_REQUEST=f"https://github.com/{REPO}/pull/17",
)
CC: dict[str, Any] = {
    "provider": "circleci",
    "sha": SHA,
    "run_number": 88,
    "run_id": "6f1f0a6e-9a3b-4c55-8d3f-0a1b2c3d4e5f",
    "repository_url": f"git@github.com:{REPO}.git",
    "is_ci": True,
}

# --- Azure Pipelines ----------------------------------------------------------------------------

AZURE = {
    "TF_BUILD": "True",
    "BUILD_REASON": "IndividualCI",
    "BUILD_SOURCEVERSION": SHA,
    "BUILD_BUILDNUMBER": "20240501.3",
    "BUILD_BUILDID": "4567",
    "BUILD_REPOSITORY_URI": f"https://github.com/{REPO}",
}
AZURE_TAG = _env(AZURE, BUILD_SOURCEBRANCH="refs/tags/v1.2.3", BUILD_SOURCEBRANCHNAME="v1.2.3")
AZURE_BRANCH = _env(
    AZURE, BUILD_SOURCEBRANCH=f"refs/heads/{FEATURE}", BUILD_SOURCEBRANCHNAME="implement-doodad"
)
AZURE_PR = _env(
    AZURE,
    BUILD_REASON="PullRequest",
    BUILD_SOURCEVERSION=MERGE_SHA,
    BUILD_SOURCEBRANCH="refs/pull/17/merge",
    BUILD_SOURCEBRANCHNAME="merge",
    SYSTEM_PULLREQUEST_PULLREQUESTID="1876543210",
    SYSTEM_PULLREQUEST_PULLREQUESTNUMBER="17",
    SYSTEM_PULLREQUEST_SOURCEBRANCH=FEATURE,
    SYSTEM_PULLREQUEST_TARGETBRANCH="develop",
    SYSTEM_PULLREQUEST_SOURCECOMMITID=SHA,
    SYSTEM_PULLREQUEST_ISFORK="False",
)
AZ: dict[str, Any] = {
    "provider": "azure",
    "sha": SHA,
    "run_number": None,  # 20240501.3 is a name, not a counter
    "run_id": "4567",
    "repository_url": f"https://github.com/{REPO}",
    "is_ci": True,
    "trigger": "IndividualCI",
}
AZ_PR = {**AZ, "sha": MERGE_SHA, "trigger": "PullRequest"}

# --- Jenkins ------------------------------------------------------------------------------------

JENKINS = {
    "JENKINS_URL": "https://ci.example.com/",
    "JENKINS_HOME": "/var/jenkins_home",
    "BUILD_NUMBER": "7",
    "BUILD_ID": "7",
    "GIT_COMMIT": SHA,
    "GIT_URL": f"https://github.com/{REPO}.git",
}
JENKINS_TAG = _env(JENKINS, TAG_NAME="v1.2.3", BRANCH_NAME="v1.2.3", GIT_BRANCH="v1.2.3")
JENKINS_MULTIBRANCH = _env(JENKINS, BRANCH_NAME=FEATURE, GIT_BRANCH=FEATURE)
JENKINS_FREESTYLE = _env(JENKINS, GIT_BRANCH=f"origin/{FEATURE}")
JENKINS_PR = _env(
    JENKINS,
    BRANCH_NAME="PR-17",
    GIT_BRANCH="PR-17",
    CHANGE_ID="17",
    CHANGE_BRANCH=FEATURE,
    CHANGE_TARGET="develop",
    CHANGE_URL=f"https://github.com/{REPO}/pull/17",
)
JK: dict[str, Any] = {
    "provider": "jenkins",
    "sha": SHA,
    "run_number": 7,
    "run_id": "7",
    "repository_url": f"https://github.com/{REPO}.git",
    "is_ci": True,
}

# --- Bitbucket Pipelines ------------------------------------------------------------------------

BITBUCKET = {
    "CI": "true",
    "BITBUCKET_BUILD_NUMBER": "12",
    "BITBUCKET_COMMIT": SHA,
    "BITBUCKET_PIPELINE_UUID": "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
    "BITBUCKET_REPO_FULL_NAME": "brewblox/spark",
    "BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/brewblox/spark",
}
BITBUCKET_TAG = _env(BITBUCKET, BITBUCKET_TAG="v1.2.3")
BITBUCKET_BRANCH = _env(BITBUCKET, BITBUCKET_BRANCH=FEATURE)
BITBUCKET_PR = _env(
    BITBUCKET,
    BITBUCKET_BRANCH=FEATURE,
    BITBUCKET_PR_ID="17",
    BITBUCKET_PR_DESTINATION_BRANCH="develop",
    BITBUCKET_PR_DESTINATION_COMMIT="abcdef012345",
)
BB: dict[str, Any] = {
    "provider": "bitbucket",
    "sha": SHA,
    "run_number": 12,
    "run_id": "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
    "repository_url": "http://bitbucket.org/brewblox/spark",
    "is_ci": True,
}

# --- Buildkite ----------------------------------------------------------------------------------

BUILDKITE = {
    "CI": "true",
    "BUILDKITE": "true",
    "BUILDKITE_COMMIT": SHA,
    "BUILDKITE_BUILD_NUMBER": "1514",
    "BUILDKITE_BUILD_ID": "9e08ef3c-d6e6-4a86-91dd-577ce5205b8e",
    "BUILDKITE_REPO": f"git@github.com:{REPO}.git",
    "BUILDKITE_SOURCE": "webhook",
    "BUILDKITE_PULL_REQUEST": "false",
    "BUILDKITE_PULL_REQUEST_BASE_BRANCH": "",
    "BUILDKITE_PULL_REQUEST_REPO": "",
    "BUILDKITE_TAG": "",
}
BUILDKITE_TAG = _env(BUILDKITE, BUILDKITE_TAG="v1.2.3", BUILDKITE_BRANCH="v1.2.3")
BUILDKITE_BRANCH = _env(BUILDKITE, BUILDKITE_BRANCH=FEATURE)
BUILDKITE_PR = _env(
    BUILDKITE,
    BUILDKITE_BRANCH=FEATURE,
    BUILDKITE_PULL_REQUEST="17",
    BUILDKITE_PULL_REQUEST_BASE_BRANCH="develop",
    BUILDKITE_PULL_REQUEST_REPO=f"https://github.com/{REPO}.git",
)
BK: dict[str, Any] = {
    "provider": "buildkite",
    "sha": SHA,
    "run_number": 1514,
    "run_id": "9e08ef3c-d6e6-4a86-91dd-577ce5205b8e",
    "repository_url": f"git@github.com:{REPO}.git",
    "is_ci": True,
    "trigger": "webhook",
}

PR_FIELDS: dict[str, Any] = {
    "event": "pull_request",
    "pr_number": 17,
    "pr_head_branch": FEATURE,
    "pr_base_branch": "develop",
}

CASES: list[tuple[str, dict[str, str], dict[str, Any] | None, BuildContext]] = [
    # GitHub Actions
    ("github-tag", GITHUB_TAG, None, BuildContext(event="tag", tag="v1.2.3", **GH)),
    ("github-branch", GITHUB_BRANCH, None, BuildContext(event="branch", branch=FEATURE, **GH)),
    ("github-pr", GITHUB_PR, _payload(REPO), BuildContext(**PR_FIELDS, **GH_PR)),
    (
        "github-pr-fork",
        GITHUB_PR,
        _payload(FORK_REPO),
        BuildContext(**PR_FIELDS, fork=True, **GH_PR),
    ),
    (
        "github-pr-fork-deleted",
        GITHUB_PR,
        _payload(None),
        BuildContext(**PR_FIELDS, fork=True, **GH_PR),
    ),
    (
        "github-manual",
        GITHUB_DISPATCH,
        None,
        BuildContext(event="branch", branch="develop", **{**GH, "trigger": "workflow_dispatch"}),
    ),
    # Travis CI
    ("travis-tag", TRAVIS_TAG, None, BuildContext(event="tag", tag="v1.2.3", **TR)),
    ("travis-branch", TRAVIS_BRANCH, None, BuildContext(event="branch", branch=FEATURE, **TR)),
    ("travis-pr", TRAVIS_PR, None, BuildContext(**PR_FIELDS, **TR_PR)),
    (
        "travis-pr-fork",
        _env(TRAVIS_PR, TRAVIS_PULL_REQUEST_SLUG=FORK_REPO),
        None,
        BuildContext(**PR_FIELDS, fork=True, **TR_PR),
    ),
    (
        "travis-manual",
        _env(TRAVIS, TRAVIS_BRANCH="develop", TRAVIS_EVENT_TYPE="api"),
        None,
        BuildContext(event="branch", branch="develop", **{**TR, "trigger": "api"}),
    ),
    # GitLab CI
    ("gitlab-tag", GITLAB_TAG, None, BuildContext(event="tag", tag="v1.2.3", **GL)),
    ("gitlab-branch", GITLAB_BRANCH, None, BuildContext(event="branch", branch=FEATURE, **GL)),
    ("gitlab-pr", GITLAB_MR, None, BuildContext(**PR_FIELDS, **GL_MR)),
    (
        "gitlab-pr-fork",
        _env(GITLAB_MR, CI_MERGE_REQUEST_SOURCE_PROJECT_ID="200"),
        None,
        BuildContext(**PR_FIELDS, fork=True, **GL_MR),
    ),
    (
        "gitlab-manual",
        _env(
            GITLAB,
            CI_PIPELINE_SOURCE="web",
            CI_COMMIT_BRANCH="develop",
            CI_COMMIT_REF_NAME="develop",
        ),
        None,
        BuildContext(event="branch", branch="develop", **{**GL, "trigger": "web"}),
    ),
    # CircleCI (no variable tells a run started by hand from a push)
    ("circleci-tag", CIRCLE_TAG, None, BuildContext(event="tag", tag="v1.2.3", **CC)),
    ("circleci-branch", CIRCLE_BRANCH, None, BuildContext(event="branch", branch=FEATURE, **CC)),
    (
        "circleci-pr",
        CIRCLE_PR,
        None,
        BuildContext(event="pull_request", pr_number=17, pr_head_branch=FEATURE, **CC),
    ),
    (
        "circleci-pr-fork",
        CIRCLE_FORK,
        None,
        BuildContext(event="pull_request", pr_number=17, fork=True, **CC),
    ),
    # Azure Pipelines
    ("azure-tag", AZURE_TAG, None, BuildContext(event="tag", tag="v1.2.3", **AZ)),
    ("azure-branch", AZURE_BRANCH, None, BuildContext(event="branch", branch=FEATURE, **AZ)),
    ("azure-pr", AZURE_PR, None, BuildContext(**PR_FIELDS, **AZ_PR)),
    (
        "azure-pr-fork",
        _env(AZURE_PR, SYSTEM_PULLREQUEST_ISFORK="True"),
        None,
        BuildContext(**PR_FIELDS, fork=True, **AZ_PR),
    ),
    (
        "azure-manual",
        _env(
            AZURE,
            BUILD_REASON="Manual",
            BUILD_SOURCEBRANCH="refs/heads/develop",
            BUILD_SOURCEBRANCHNAME="develop",
            BUILD_BUILDNUMBER="123",
        ),
        None,
        BuildContext(
            event="branch", branch="develop", **{**AZ, "trigger": "Manual", "run_number": 123}
        ),
    ),
    # Jenkins (no variable tells a run started by hand; without git variables: manual)
    ("jenkins-tag", JENKINS_TAG, None, BuildContext(event="tag", tag="v1.2.3", **JK)),
    (
        "jenkins-branch",
        JENKINS_MULTIBRANCH,
        None,
        BuildContext(event="branch", branch=FEATURE, **JK),
    ),
    ("jenkins-pr", JENKINS_PR, None, BuildContext(**PR_FIELDS, **JK)),
    (
        "jenkins-pr-fork",
        _env(JENKINS_PR, CHANGE_FORK="contributor"),
        None,
        BuildContext(**PR_FIELDS, fork=True, **JK),
    ),
    (
        "jenkins-manual",
        {"JENKINS_URL": "https://ci.example.com/", "BUILD_NUMBER": "7", "BUILD_ID": "7"},
        None,
        BuildContext(provider="jenkins", event="manual", run_number=7, run_id="7", is_ci=True),
    ),
    # Bitbucket Pipelines
    ("bitbucket-tag", BITBUCKET_TAG, None, BuildContext(event="tag", tag="v1.2.3", **BB)),
    (
        "bitbucket-branch",
        BITBUCKET_BRANCH,
        None,
        BuildContext(event="branch", branch=FEATURE, **BB),
    ),
    ("bitbucket-pr", BITBUCKET_PR, None, BuildContext(**PR_FIELDS, **BB)),
    # Bitbucket names no source repository: a pull request from a fork looks the same, and
    # fork stays False (documented).
    (
        "bitbucket-pr-fork",
        _env(BITBUCKET_PR, BITBUCKET_BRANCH="contributor-feature"),
        None,
        BuildContext(**{**PR_FIELDS, "pr_head_branch": "contributor-feature"}, **BB),
    ),
    # A custom pipeline started on a commit: no branch, no tag.
    ("bitbucket-manual", BITBUCKET, None, BuildContext(event="manual", **BB)),
    # Buildkite
    ("buildkite-tag", BUILDKITE_TAG, None, BuildContext(event="tag", tag="v1.2.3", **BK)),
    (
        "buildkite-branch",
        BUILDKITE_BRANCH,
        None,
        BuildContext(event="branch", branch=FEATURE, **BK),
    ),
    ("buildkite-pr", BUILDKITE_PR, None, BuildContext(**PR_FIELDS, **BK)),
    (
        "buildkite-pr-fork",
        _env(
            BUILDKITE_PR,
            BUILDKITE_BRANCH=f"contributor:{FEATURE}",
            BUILDKITE_PULL_REQUEST_REPO=f"https://github.com/{FORK_REPO}.git",
        ),
        None,
        BuildContext(**PR_FIELDS, fork=True, **BK),
    ),
    (
        "buildkite-manual",
        _env(BUILDKITE, BUILDKITE_BRANCH="develop", BUILDKITE_SOURCE="ui", BUILDKITE_COMMIT="HEAD"),
        None,
        BuildContext(event="branch", branch="develop", **{**BK, "trigger": "ui", "sha": None}),
    ),
]


@pytest.mark.parametrize(
    ("env", "payload", "expected"),
    [pytest.param(env, payload, expected, id=name) for name, env, payload, expected in CASES],
)
def test_provider_fixture_gives_the_whole_context(
    env: dict[str, str], payload: dict[str, Any] | None, expected: BuildContext
) -> None:
    assert BuildContext.from_env(env, payload) == expected


def test_every_provider_has_tag_branch_pr_and_fork_fixtures() -> None:
    names = {name for name, *_ in CASES}
    providers = ("github", "travis", "gitlab", "circleci", "azure", "jenkins", "bitbucket")
    for provider in (*providers, "buildkite"):
        for kind in ("tag", "branch", "pr", "pr-fork"):
            assert f"{provider}-{kind}" in names


# --- not CI -------------------------------------------------------------------------------------


def test_no_ci_variables_is_provider_none_and_not_ci() -> None:
    expected = BuildContext(provider="none", event="manual", is_ci=False)
    assert BuildContext.from_env({}) == expected
    assert BuildContext.from_env({"HOME": "/home/me", "CI": "false"}) == expected
    assert BuildContext.from_env({"CI": ""}) == expected


def test_unknown_ci_with_ci_true_is_ci_without_provider() -> None:
    assert BuildContext.from_env({"CI": "true", "DRONE": "true"}) == BuildContext(
        provider="none", event="manual", is_ci=True
    )


def test_local_context_is_what_the_repository_gave() -> None:
    ctx = BuildContext.local(branch="main", tag="v1.2.3", sha=SHA)
    assert ctx == BuildContext(
        provider="none", event="manual", branch="main", tag="v1.2.3", sha=SHA
    )
    assert not ctx.is_ci
    assert ctx.ref_name == "main"


def test_invalid_provider_or_event_is_rejected() -> None:
    with pytest.raises(ValueError, match="provider"):
        BuildContext(provider="teamcity", event="manual")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event"):
        BuildContext(provider="none", event="push")  # type: ignore[arg-type]


# --- the named traps ----------------------------------------------------------------------------


def test_travis_tag_build_is_not_a_branch_named_like_the_tag() -> None:
    ctx = BuildContext.from_env(TRAVIS_TAG)
    # ref_name is the tag on tag builds
    assert (ctx.event, ctx.tag, ctx.branch, ctx.ref_name) == ("tag", "v1.2.3", None, "v1.2.3")
    assert ctx.branch_name is None


@pytest.mark.parametrize("env", [TRAVIS_BRANCH, BUILDKITE_BRANCH], ids=["travis", "buildkite"])
def test_pull_request_false_means_no_pull_request(env: dict[str, str]) -> None:
    ctx = BuildContext.from_env(env)
    assert (ctx.event, ctx.pr_number) == ("branch", None)


def test_github_pr_names_the_head_branch_not_n_merge() -> None:
    ctx = BuildContext.from_env(GITHUB_PR)
    assert ctx.pr_number == 17  # from refs/pull/17/merge
    assert ctx.branch is None
    assert ctx.ref_name == FEATURE


def test_github_pr_without_payload_cannot_tell_a_fork() -> None:
    assert BuildContext.from_env(GITHUB_PR) == BuildContext(**PR_FIELDS, **GH_PR)


def test_github_pull_request_target_runs_on_the_base_branch() -> None:
    base = {**GH, "trigger": "pull_request_target"}
    with_payload = BuildContext.from_env(GITHUB_PR_TARGET, _payload(FORK_REPO))
    assert with_payload == BuildContext(**PR_FIELDS, fork=True, **base)
    # GITHUB_REF is the base branch: the number is only in the payload.
    assert BuildContext.from_env(GITHUB_PR_TARGET) == BuildContext(
        **{**PR_FIELDS, "pr_number": None}, **base
    )


def test_github_pr_review_event_takes_branches_from_the_payload() -> None:
    env = _env(
        GITHUB_PR, GITHUB_EVENT_NAME="pull_request_review", GITHUB_HEAD_REF="", GITHUB_BASE_REF=""
    )
    ctx = BuildContext.from_env(env, _payload(REPO))
    assert ctx == BuildContext(**PR_FIELDS, **{**GH_PR, "trigger": "pull_request_review"})


def test_github_ref_type_and_name_without_github_ref() -> None:
    env = {k: v for k, v in GITHUB_TAG.items() if k != "GITHUB_REF"}
    assert BuildContext.from_env(env).tag == "v1.2.3"
    env = {k: v for k, v in GITHUB_BRANCH.items() if k != "GITHUB_REF"}
    assert BuildContext.from_env(env).branch == FEATURE


def test_github_enterprise_server_url() -> None:
    env = _env(GITHUB_BRANCH, GITHUB_SERVER_URL="https://github.example.com/")
    assert BuildContext.from_env(env).repository_url == f"https://github.example.com/{REPO}"


def test_jenkins_git_branch_loses_its_origin_prefix() -> None:
    assert BuildContext.from_env(JENKINS_FREESTYLE) == BuildContext(
        event="branch", branch=FEATURE, **JK
    )
    for value in (f"refs/remotes/origin/{FEATURE}", f"remotes/origin/{FEATURE}"):
        assert BuildContext.from_env(_env(JENKINS, GIT_BRANCH=value)).branch == FEATURE
    tag = BuildContext.from_env(_env(JENKINS, GIT_BRANCH="refs/tags/v1.2.3"))
    assert (tag.event, tag.tag) == ("tag", "v1.2.3")


def test_jenkins_git_url_credentials_are_stripped() -> None:
    env = _env(JENKINS_FREESTYLE, GIT_URL=f"https://builder:s3cret@github.com/{REPO}.git")
    assert BuildContext.from_env(env).repository_url == f"https://github.com/{REPO}.git"


def test_azure_uses_the_full_source_branch_not_its_last_segment() -> None:
    ctx = BuildContext.from_env(AZURE_BRANCH)
    assert ctx.branch == FEATURE  # BUILD_SOURCEBRANCHNAME says implement-doodad
    assert BuildContext.from_env(AZURE_PR).ref_name == FEATURE  # not "merge"


def test_azure_repos_pr_uses_the_id_and_strips_refs_heads() -> None:
    env = _env(
        AZURE,
        BUILD_REASON="PullRequest",
        BUILD_SOURCEBRANCH="refs/pull/17/merge",
        BUILD_REPOSITORY_URI="https://brewblox@dev.azure.com/brewblox/spark/_git/spark",
        SYSTEM_PULLREQUEST_PULLREQUESTID="17",
        SYSTEM_PULLREQUEST_SOURCEBRANCH=f"refs/heads/{FEATURE}",
        SYSTEM_PULLREQUEST_TARGETBRANCH="refs/heads/develop",
        SYSTEM_PULLREQUEST_ISFORK="False",
    )
    assert BuildContext.from_env(env) == BuildContext(
        **PR_FIELDS,
        **{
            **AZ,
            "trigger": "PullRequest",
            "repository_url": "https://dev.azure.com/brewblox/spark/_git/spark",
        },
    )


def test_circleci_pr_number_comes_from_the_url_unless_a_fork() -> None:
    assert BuildContext.from_env(CIRCLE_PR).pr_number == 17  # no CIRCLE_PR_NUMBER here
    fork = BuildContext.from_env(CIRCLE_FORK)
    assert (fork.pr_number, fork.fork, fork.pr_head_branch) == (17, True, None)  # not pull/17


def test_gitlab_repository_url_without_project_url_loses_the_job_token() -> None:
    env = {k: v for k, v in GITLAB_BRANCH.items() if k != "CI_PROJECT_URL"}
    assert BuildContext.from_env(env).repository_url == "https://gitlab.com/brewblox/spark.git"


def test_gitlab_external_pull_request() -> None:
    env = _env(
        GITLAB,
        CI_PIPELINE_SOURCE="external_pull_request_event",
        CI_EXTERNAL_PULL_REQUEST_IID="17",
        CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME=FEATURE,
        CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME="develop",
        CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY=FORK_REPO,
        CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY=REPO,
    )
    assert BuildContext.from_env(env) == BuildContext(
        **PR_FIELDS, fork=True, **{**GL, "trigger": "external_pull_request_event"}
    )


def test_buildkite_same_repo_over_https_and_ssh_is_not_a_fork() -> None:
    assert not BuildContext.from_env(BUILDKITE_PR).fork


def test_tag_variable_wins_over_pull_request_and_branch() -> None:
    env = _env(BUILDKITE_TAG, BUILDKITE_PULL_REQUEST="17")
    assert BuildContext.from_env(env).event == "tag"


def test_garbage_numbers_become_none() -> None:
    ctx = BuildContext.from_env(_env(GITHUB_BRANCH, GITHUB_RUN_NUMBER="x1", GITHUB_SHA="HEAD"))
    assert (ctx.run_number, ctx.sha) == (None, None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://gitlab-ci-token:[MASKED]@gitlab.com/g/p.git", "https://gitlab.com/g/p.git"),
        ("ssh://git@gitlab.example.com:2222/g/p.git", "ssh://gitlab.example.com:2222/g/p.git"),
        ("https://x-access-token:ghs_abc@github.com/o/r", "https://github.com/o/r"),
        ("https://token@gitlab.com/g/p.git?private_token=x#frag", "https://gitlab.com/g/p.git"),
        ("https://us:er:p@ss@host.example:8443/r", "https://host.example:8443/r"),
        ("ssh://git@github.com/o/r.git", "ssh://github.com/o/r.git"),
        ("https://github.com/o/r", "https://github.com/o/r"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("github.com:o/r", "github.com:o/r"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert strip_credentials(url) == expected
