"""The eight CI providers: how each is detected and what its variables say.

Each reader takes the environment (and, for GitHub, the event payload) and returns
:class:`~vcrelease.ci.values.Signals`: the tag, pull request and branch the provider names, and
the run's facts. It does not decide what kind of build that is: :mod:`vcrelease.ci.context`
does, with one ladder for all. A reader's docstring lists every variable it reads.

Sources, one per provider:

- GitHub Actions: https://docs.github.com/en/actions/reference/variables-reference and the
  webhook payloads, https://docs.github.com/en/webhooks/webhook-events-and-payloads
- Travis CI: https://docs.travis-ci.com/user/environment-variables/#default-environment-variables
- GitLab CI: https://docs.gitlab.com/ci/variables/predefined_variables/
- CircleCI: https://circleci.com/docs/reference/variables/
- Azure Pipelines: https://learn.microsoft.com/en-us/azure/devops/pipelines/build/variables
- Jenkins: ``$JENKINS_URL/env-vars.html`` (branch-api: ``BRANCH_NAME``, ``CHANGE_*``,
  ``TAG_NAME``) and https://plugins.jenkins.io/git/#plugin-content-environment-variables
- Bitbucket Pipelines: https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/
- Buildkite: https://buildkite.com/docs/pipelines/configure/environment-variables
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .values import (
    PullRequest,
    Signals,
    get,
    integer,
    mapping,
    merge_queue,
    payload_int,
    payload_str,
    repo_key,
    sha,
    strip_prefix,
    true,
    url,
)

__all__ = ["DETECTION_VARIABLES", "PROVIDERS", "Reader"]

Reader = Callable[[Mapping[str, str], Mapping[str, Any] | None], Signals]
"""A provider's reader: (environment, GitHub event payload or None) -> what it names."""

_GITHUB_PR_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)
_PR_REF = re.compile(r"refs/pull/(\d+)/(?:merge|head)")


def _github(env: Mapping[str, str], payload: Mapping[str, Any] | None) -> Signals:
    """GitHub Actions (``GITHUB_ACTIONS=true``).

    Reads ``GITHUB_EVENT_NAME``, ``GITHUB_REF`` (``refs/heads/x``, ``refs/tags/v1``,
    ``refs/pull/N/merge``), ``GITHUB_REF_TYPE`` and ``GITHUB_REF_NAME`` (when ``GITHUB_REF`` is
    unset), ``GITHUB_HEAD_REF``/``GITHUB_BASE_REF`` (pull requests), ``GITHUB_SHA``,
    ``GITHUB_RUN_NUMBER``, ``GITHUB_RUN_ID``, ``GITHUB_SERVER_URL`` + ``GITHUB_REPOSITORY``.

    Pull requests: ``pull_request`` runs on ``refs/pull/N/merge`` with a detached HEAD, so the
    number comes from the ref and the head branch from ``GITHUB_HEAD_REF``.
    ``pull_request_target`` runs on the base branch (``GITHUB_REF=refs/heads/<base>``, the sha is
    the base branch's head); it is still a pull-request build, and its number is only in the
    payload (``number``, ``pull_request.number``): without the payload it is None. Fork: the
    payload's ``pull_request.head.repo.full_name`` differs from ``pull_request.base.repo
    .full_name`` (a deleted head repository counts as a fork); without the payload, False.
    ``merge_group`` runs build a queued merge on a ``gh-readonly-queue/...`` branch: a
    pull-request build (:func:`~vcrelease.ci.values.merge_queue`; the base from the payload's
    ``merge_group.base_ref`` when the branch does not name it).
    """
    event_name = get(env, "GITHUB_EVENT_NAME")
    ref = get(env, "GITHUB_REF") or ""
    ref_type = get(env, "GITHUB_REF_TYPE")
    ref_name = get(env, "GITHUB_REF_NAME")
    server = (get(env, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = get(env, "GITHUB_REPOSITORY")
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else None
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    if not ref and ref_name:
        tag = ref_name if ref_type == "tag" else None
        branch = ref_name if ref_type == "branch" else None
    signals = Signals(
        tag=tag,
        branch=branch,
        sha=sha(get(env, "GITHUB_SHA")),
        run_number=integer(get(env, "GITHUB_RUN_NUMBER")),
        run_id=get(env, "GITHUB_RUN_ID"),
        repository_url=url(f"{server}/{repository}") if repository else None,
        trigger=event_name,
    )
    pr_ref = _PR_REF.fullmatch(ref)
    if event_name in _GITHUB_PR_EVENTS or pr_ref:
        pull = _github_pull(env, payload, repository)
        number = int(pr_ref.group(1)) if pr_ref else pull.number
        return signals._replace(tag=None, pull_request=pull._replace(number=number))
    if event_name == "merge_group":
        queued = merge_queue(branch) or PullRequest()
        group = mapping(payload.get("merge_group")) if payload is not None else None
        base = payload_str(group.get("base_ref")) if group is not None else None
        queued = queued._replace(base=queued.base or strip_prefix(base, "refs/heads/"))
        return signals._replace(tag=None, pull_request=queued)
    return signals


def _github_pull(
    env: Mapping[str, str], payload: Mapping[str, Any] | None, repository: str | None
) -> PullRequest:
    """The pull request of a GitHub pull-request run: the variables, then the payload."""
    head = get(env, "GITHUB_HEAD_REF")
    base = get(env, "GITHUB_BASE_REF")
    number = payload_int(payload.get("number")) if payload is not None else None
    pull = mapping(payload.get("pull_request")) if payload is not None else None
    if pull is None:
        return PullRequest(number=number, head=head, base=base)
    number = number or payload_int(pull.get("number"))
    head_side = mapping(pull.get("head")) or {}
    base_side = mapping(pull.get("base")) or {}
    head_repo = mapping(head_side.get("repo"))
    base_repo = mapping(base_side.get("repo")) or {}
    base_name = payload_str(base_repo.get("full_name")) or repository
    if head_repo is None:
        fork = "repo" in head_side  # repo: null, the head repository was deleted
    else:
        fork = payload_str(head_repo.get("full_name")) != base_name
    return PullRequest(
        number=number,
        head=head or payload_str(head_side.get("ref")),
        base=base or payload_str(base_side.get("ref")),
        fork=fork,
    )


def _travis(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """Travis CI (``TRAVIS=true``).

    Reads ``TRAVIS_TAG``, ``TRAVIS_PULL_REQUEST`` (the number, or ``false``),
    ``TRAVIS_PULL_REQUEST_BRANCH`` (head), ``TRAVIS_BRANCH`` (the pushed branch; the base branch
    of a pull request; the tag name on tag builds, so the tag is read first),
    ``TRAVIS_PULL_REQUEST_SLUG`` vs ``TRAVIS_REPO_SLUG`` (fork), ``TRAVIS_COMMIT``,
    ``TRAVIS_BUILD_NUMBER``, ``TRAVIS_BUILD_ID``, ``TRAVIS_EVENT_TYPE``. Travis names no
    repository URL (only a slug on an unnamed host): ``repository_url`` is None.
    """
    pull = get(env, "TRAVIS_PULL_REQUEST")
    branch = get(env, "TRAVIS_BRANCH")
    pull_request = None
    if pull and pull.lower() != "false":
        head_slug = get(env, "TRAVIS_PULL_REQUEST_SLUG")
        base_slug = get(env, "TRAVIS_REPO_SLUG")
        pull_request = PullRequest(
            number=integer(pull),
            head=get(env, "TRAVIS_PULL_REQUEST_BRANCH"),
            base=branch,
            fork=bool(head_slug and base_slug and head_slug != base_slug),
        )
    return Signals(
        tag=get(env, "TRAVIS_TAG"),
        pull_request=pull_request,
        branch=branch,
        sha=sha(get(env, "TRAVIS_COMMIT")),
        run_number=integer(get(env, "TRAVIS_BUILD_NUMBER")),
        run_id=get(env, "TRAVIS_BUILD_ID"),
        trigger=get(env, "TRAVIS_EVENT_TYPE"),
    )


def _gitlab(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """GitLab CI (``GITLAB_CI=true``).

    Reads ``CI_COMMIT_TAG``; merge request pipelines (merge trains too): ``CI_MERGE_REQUEST_IID``,
    ``CI_MERGE_REQUEST_SOURCE_BRANCH_NAME``, ``CI_MERGE_REQUEST_TARGET_BRANCH_NAME``, fork when
    ``CI_MERGE_REQUEST_SOURCE_PROJECT_ID`` != ``CI_MERGE_REQUEST_PROJECT_ID``; external (GitHub)
    pull request pipelines: ``CI_EXTERNAL_PULL_REQUEST_IID``, ``..._SOURCE_BRANCH_NAME``,
    ``..._TARGET_BRANCH_NAME``, fork when ``..._SOURCE_REPOSITORY`` != ``..._TARGET_REPOSITORY``;
    ``CI_COMMIT_BRANCH`` (``CI_COMMIT_REF_NAME`` before GitLab 12.6); ``CI_COMMIT_SHA``,
    ``CI_PIPELINE_IID`` (run number, per project), ``CI_PIPELINE_ID``, ``CI_PIPELINE_SOURCE``,
    ``CI_PROJECT_URL`` (else ``CI_REPOSITORY_URL``, which carries a job token: stripped).
    """
    pull_request = None
    for prefix, source, target in (
        ("CI_MERGE_REQUEST", "SOURCE_PROJECT_ID", "PROJECT_ID"),
        ("CI_EXTERNAL_PULL_REQUEST", "SOURCE_REPOSITORY", "TARGET_REPOSITORY"),
    ):
        number = get(env, f"{prefix}_IID")
        if number and pull_request is None:
            source_id = get(env, f"{prefix}_{source}")
            target_id = get(env, f"{prefix}_{target}")
            pull_request = PullRequest(
                number=integer(number),
                head=get(env, f"{prefix}_SOURCE_BRANCH_NAME"),
                base=get(env, f"{prefix}_TARGET_BRANCH_NAME"),
                fork=bool(source_id and target_id and source_id != target_id),
            )
    return Signals(
        tag=get(env, "CI_COMMIT_TAG"),
        pull_request=pull_request,
        branch=get(env, "CI_COMMIT_BRANCH") or get(env, "CI_COMMIT_REF_NAME"),
        sha=sha(get(env, "CI_COMMIT_SHA")),
        run_number=integer(get(env, "CI_PIPELINE_IID")),
        run_id=get(env, "CI_PIPELINE_ID"),
        repository_url=url(get(env, "CI_PROJECT_URL") or get(env, "CI_REPOSITORY_URL")),
        trigger=get(env, "CI_PIPELINE_SOURCE"),
    )


_PR_URL_NUMBER = re.compile(r"/(?:pull|pull-requests|merge_requests)/(\d+)/?")
_CIRCLE_FORK_BRANCH = re.compile(r"pull/\d+")


def _circleci(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """CircleCI (``CIRCLECI=true``).

    Reads ``CIRCLE_TAG``; ``CIRCLE_PR_NUMBER`` (set only for pull requests from forks, so it
    also means fork); ``CIRCLE_PULL_REQUEST`` (the pull request's URL: the number is parsed from
    ``.../pull/N``); ``CIRCLE_BRANCH`` (the head branch; ``pull/N`` for forks, where the head
    branch is not given: None); ``CIRCLE_SHA1``, ``CIRCLE_BUILD_NUM``, ``CIRCLE_WORKFLOW_ID``,
    ``CIRCLE_REPOSITORY_URL``. CircleCI builds pushes, and a push to a branch with an open pull
    request carries ``CIRCLE_PULL_REQUEST``: that build counts as a pull-request build (so it
    neither uploads nor pushes a branch image). The base branch is not given.
    """
    fork_number = get(env, "CIRCLE_PR_NUMBER")
    pr_url = get(env, "CIRCLE_PULL_REQUEST")
    branch = get(env, "CIRCLE_BRANCH")
    pull_request = None
    if fork_number or pr_url:
        number = integer(fork_number)
        if number is None and pr_url:
            match = _PR_URL_NUMBER.search(pr_url)
            number = int(match.group(1)) if match else None
        head = None if branch and _CIRCLE_FORK_BRANCH.fullmatch(branch) else branch
        pull_request = PullRequest(number=number, head=head, fork=fork_number is not None)
    return Signals(
        tag=get(env, "CIRCLE_TAG"),
        pull_request=pull_request,
        branch=branch,
        sha=sha(get(env, "CIRCLE_SHA1")),
        run_number=integer(get(env, "CIRCLE_BUILD_NUM")),
        run_id=get(env, "CIRCLE_WORKFLOW_ID"),
        repository_url=url(get(env, "CIRCLE_REPOSITORY_URL")),
    )


def _azure(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """Azure Pipelines (``TF_BUILD=True``).

    Reads ``BUILD_SOURCEBRANCH`` (``refs/heads/feature/x``, ``refs/tags/v1``,
    ``refs/pull/N/merge``; never ``BUILD_SOURCEBRANCHNAME``, which keeps only the last path
    segment: ``x``, ``merge``); pull requests: ``BUILD_REASON=PullRequest``,
    ``SYSTEM_PULLREQUEST_PULLREQUESTNUMBER`` (GitHub), else the number in the ref, else
    ``SYSTEM_PULLREQUEST_PULLREQUESTID`` (Azure Repos, where id and number agree; on GitHub the
    id is an internal one); ``SYSTEM_PULLREQUEST_SOURCEBRANCH`` and ``..._TARGETBRANCH`` (with or
    without ``refs/heads/``), ``SYSTEM_PULLREQUEST_ISFORK``; ``BUILD_SOURCEVERSION``,
    ``BUILD_BUILDNUMBER`` (run number only when it is an integer: the default format is
    ``20240101.1``), ``BUILD_BUILDID``, ``BUILD_REASON``, ``BUILD_REPOSITORY_URI``
    (``https://org@dev.azure.com/...``: user stripped).
    """
    source = get(env, "BUILD_SOURCEBRANCH") or ""
    trigger = get(env, "BUILD_REASON")
    pr_ref = _PR_REF.fullmatch(source)
    pull_request = None
    if trigger == "PullRequest" or pr_ref:
        number = integer(get(env, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER"))
        if number is None and pr_ref:
            number = int(pr_ref.group(1))
        if number is None:
            number = integer(get(env, "SYSTEM_PULLREQUEST_PULLREQUESTID"))
        pull_request = PullRequest(
            number=number,
            head=strip_prefix(get(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH"), "refs/heads/"),
            base=strip_prefix(get(env, "SYSTEM_PULLREQUEST_TARGETBRANCH"), "refs/heads/"),
            fork=true(get(env, "SYSTEM_PULLREQUEST_ISFORK")),
        )
    return Signals(
        tag=source.removeprefix("refs/tags/") if source.startswith("refs/tags/") else None,
        pull_request=pull_request,
        branch=source.removeprefix("refs/heads/") if source.startswith("refs/heads/") else None,
        sha=sha(get(env, "BUILD_SOURCEVERSION")),
        run_number=integer(get(env, "BUILD_BUILDNUMBER")),
        run_id=get(env, "BUILD_BUILDID"),
        repository_url=url(get(env, "BUILD_REPOSITORY_URI")),
        trigger=trigger,
    )


_JENKINS_REMOTE_PREFIXES = ("refs/remotes/origin/", "remotes/origin/", "origin/", "refs/heads/")


def _jenkins(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """Jenkins (``JENKINS_URL`` or ``JENKINS_HOME`` set).

    Multibranch pipelines: ``TAG_NAME`` (tag builds; ``BRANCH_NAME`` is then the tag too),
    ``CHANGE_ID`` (pull request number), ``CHANGE_BRANCH`` (head; ``BRANCH_NAME`` is ``PR-N``),
    ``CHANGE_TARGET`` (base), ``CHANGE_FORK`` (set only for forks), ``BRANCH_NAME``. Other jobs
    with the git plugin (no ``BRANCH_NAME``): ``GIT_BRANCH``, which is the remote-tracking name
    (``origin/main``): ``origin/``, ``remotes/origin/``, ``refs/remotes/origin/``,
    ``refs/heads/`` are removed and ``refs/tags/v1`` is a tag. Also ``GIT_COMMIT``,
    ``BUILD_NUMBER``, ``BUILD_ID``, ``GIT_URL`` (credentials stripped). Jenkins names no trigger.
    """
    change = get(env, "CHANGE_ID")
    pull_request = None
    if change:
        pull_request = PullRequest(
            number=integer(change),
            head=get(env, "CHANGE_BRANCH"),
            base=get(env, "CHANGE_TARGET"),
            fork=get(env, "CHANGE_FORK") is not None,
        )
    tag = get(env, "TAG_NAME")
    branch = get(env, "BRANCH_NAME")
    git_branch = get(env, "GIT_BRANCH")
    if branch is None and git_branch is not None:
        if git_branch.startswith("refs/tags/"):
            tag = tag or git_branch.removeprefix("refs/tags/") or None
        elif git_branch not in ("HEAD", "detached"):
            for prefix in _JENKINS_REMOTE_PREFIXES:
                if git_branch.startswith(prefix):
                    git_branch = git_branch[len(prefix) :]
                    break
            branch = git_branch or None
    return Signals(
        tag=tag,
        pull_request=pull_request,
        branch=branch,
        sha=sha(get(env, "GIT_COMMIT")),
        run_number=integer(get(env, "BUILD_NUMBER")),
        run_id=get(env, "BUILD_ID"),
        repository_url=url(get(env, "GIT_URL")),
    )


def _bitbucket(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """Bitbucket Pipelines (``BITBUCKET_BUILD_NUMBER`` set).

    Reads ``BITBUCKET_TAG``, ``BITBUCKET_PR_ID`` with ``BITBUCKET_BRANCH`` (the source branch)
    and ``BITBUCKET_PR_DESTINATION_BRANCH``, ``BITBUCKET_BRANCH``, ``BITBUCKET_COMMIT``,
    ``BITBUCKET_BUILD_NUMBER``, ``BITBUCKET_PIPELINE_UUID``, ``BITBUCKET_GIT_HTTP_ORIGIN``.
    Bitbucket names neither the source repository of a pull request nor the trigger, so
    ``fork`` is False and ``trigger`` None. A custom pipeline started on a commit has neither
    tag nor branch.
    """
    pr = get(env, "BITBUCKET_PR_ID")
    branch = get(env, "BITBUCKET_BRANCH")
    pull_request = None
    if pr:
        pull_request = PullRequest(
            number=integer(pr), head=branch, base=get(env, "BITBUCKET_PR_DESTINATION_BRANCH")
        )
    return Signals(
        tag=get(env, "BITBUCKET_TAG"),
        pull_request=pull_request,
        branch=branch,
        sha=sha(get(env, "BITBUCKET_COMMIT")),
        run_number=integer(get(env, "BITBUCKET_BUILD_NUMBER")),
        run_id=get(env, "BITBUCKET_PIPELINE_UUID"),
        repository_url=url(get(env, "BITBUCKET_GIT_HTTP_ORIGIN")),
    )


def _buildkite(env: Mapping[str, str], _: Mapping[str, Any] | None) -> Signals:
    """Buildkite (``BUILDKITE=true``).

    Reads ``BUILDKITE_TAG``, ``BUILDKITE_PULL_REQUEST`` (the number, or ``false``),
    ``BUILDKITE_BRANCH`` (the head branch of a pull request; for forks with the pipeline
    setting "prefix third-party fork branch names" it is ``owner:branch``, and as ``:`` cannot
    occur in a git branch name the ``owner:`` part is removed),
    ``BUILDKITE_PULL_REQUEST_BASE_BRANCH``, ``BUILDKITE_PULL_REQUEST_REPO`` vs
    ``BUILDKITE_REPO`` (fork; compared as host/owner/name, since one may be https and the other
    scp-like), ``BUILDKITE_COMMIT`` (``HEAD`` when a build was started without one: None),
    ``BUILDKITE_BUILD_NUMBER``, ``BUILDKITE_BUILD_ID``, ``BUILDKITE_SOURCE``.
    """
    repo = get(env, "BUILDKITE_REPO")
    pull = get(env, "BUILDKITE_PULL_REQUEST")
    branch = get(env, "BUILDKITE_BRANCH")
    pull_request = None
    if pull and pull.lower() != "false":
        pr_repo = get(env, "BUILDKITE_PULL_REQUEST_REPO")
        pull_request = PullRequest(
            number=integer(pull),
            head=(branch.rpartition(":")[2] or None) if branch else None,
            base=get(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH"),
            fork=bool(pr_repo and repo and repo_key(pr_repo) != repo_key(repo)),
        )
    return Signals(
        tag=get(env, "BUILDKITE_TAG"),
        pull_request=pull_request,
        branch=branch,
        sha=sha(get(env, "BUILDKITE_COMMIT")),
        run_number=integer(get(env, "BUILDKITE_BUILD_NUMBER")),
        run_id=get(env, "BUILDKITE_BUILD_ID"),
        repository_url=url(repo),
        trigger=get(env, "BUILDKITE_SOURCE"),
    )


PROVIDERS: tuple[tuple[str, Callable[[Mapping[str, str]], bool], Reader], ...] = (
    ("github", lambda env: true(get(env, "GITHUB_ACTIONS")), _github),
    ("travis", lambda env: true(get(env, "TRAVIS")), _travis),
    ("gitlab", lambda env: true(get(env, "GITLAB_CI")), _gitlab),
    ("circleci", lambda env: true(get(env, "CIRCLECI")), _circleci),
    ("azure", lambda env: true(get(env, "TF_BUILD")), _azure),
    ("bitbucket", lambda env: get(env, "BITBUCKET_BUILD_NUMBER") is not None, _bitbucket),
    ("buildkite", lambda env: true(get(env, "BUILDKITE")), _buildkite),
    # Last: JENKINS_HOME may linger on a machine that also runs another CI's agent.
    (
        "jenkins",
        lambda env: get(env, "JENKINS_URL") is not None or get(env, "JENKINS_HOME") is not None,
        _jenkins,
    ),
)
"""(provider, detection, reader), tried in order; the first detection that holds wins."""

DETECTION_VARIABLES = (
    "CI",
    "GITHUB_ACTIONS",
    "TRAVIS",
    "GITLAB_CI",
    "CIRCLECI",
    "TF_BUILD",
    "BITBUCKET_BUILD_NUMBER",
    "BUILDKITE",
    "JENKINS_URL",
    "JENKINS_HOME",
)
"""Every variable :meth:`~vcrelease.ci.context.BuildContext.from_env` looks at to tell CI from a
terminal: an environment without them is "not CI" (tests remove them to run the same anywhere)."""
