"""What kind of build this is, from the CI provider's environment variables.

The one entry point is :meth:`BuildContext.from_env`: it takes the environment as a mapping (no
I/O: the caller passes ``os.environ``), finds the provider and returns a frozen
:class:`BuildContext`. Outside CI the context comes from the repository instead; the caller
builds it with :meth:`BuildContext.local` from what it read there.

Rules common to all providers (`docs/architecture.md`, "ci/"; the README's "In CI"):

- the tag variable is read before the branch variable (Travis sets ``TRAVIS_BRANCH`` to the tag
  name on tag builds), then the pull-request variables, then the branch variables;
- ``event`` names the kind of ref that was built: ``tag``, ``branch`` or ``pull_request``;
  ``manual`` means no such ref is known: not in CI, or a CI run the provider names no ref for
  (a Bitbucket custom pipeline started on a commit, a Jenkins job without the git plugin).
  How a run was started (push, schedule, a button) is in ``trigger``, where the provider says;
  a run started by hand on a branch is still a ``branch`` build of that branch;
- ``branch`` is the branch that was pushed, and None for tag and pull-request builds (a pull
  request checks out a merge commit or the base branch, not a branch of its own); the branch a
  pull request comes from is ``pr_head_branch``, and :attr:`BuildContext.ref_name` picks the one
  to name things after;
- empty variables count as unset; numbers that are not decimal integers become None; a ``sha``
  that is not 7-64 hex digits (Buildkite's ``HEAD`` for builds started without a commit)
  becomes None;
- ``repository_url`` never carries credentials (:func:`strip_credentials`).

Sources, one per provider (the variables each parser reads are listed in its docstring):

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
from typing import Any, Literal, NamedTuple, get_args

__all__ = [
    "DETECTION_VARIABLES",
    "BuildContext",
    "Event",
    "Provider",
    "strip_credentials",
]

Provider = Literal[
    "github", "travis", "gitlab", "circleci", "azure", "jenkins", "bitbucket", "buildkite", "none"
]
Event = Literal["tag", "branch", "pull_request", "manual"]

_PROVIDERS: frozenset[str] = frozenset(get_args(Provider))
_EVENTS: frozenset[str] = frozenset(get_args(Event))
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
_SCHEME_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:[?#].*)?", re.DOTALL)


class BuildContext(NamedTuple):
    """The build as the CI provider (or the repository, outside CI) describes it.

    Attributes:
        provider: ``github``, ``travis``, ``gitlab``, ``circleci``, ``azure``, ``jenkins``,
            ``bitbucket``, ``buildkite``, or ``none`` (no known provider).
        event: ``tag``, ``branch``, ``pull_request`` or ``manual`` (no tag, branch or pull
            request known; always so outside CI).
        branch: pushed branch (``feature/x``, no ``refs/heads/``); None for tag and pull-request
            builds.
        tag: tag name of a tag build (``v1.2.3``, no ``refs/tags/``), else None.
        sha: 40-hex (or 64-hex) id of the commit the provider checked out, or None. For GitHub
            ``pull_request`` builds this is the merge commit, for ``pull_request_target`` the
            head of the base branch.
        pr_number: pull (merge) request number, or None (not a pull request, or not derivable).
        pr_head_branch: branch the pull request comes from (in the fork, for forks), or None.
        pr_base_branch: branch the pull request targets, or None.
        fork: the pull request comes from another repository. False when the provider does not
            say (GitHub without the event payload, Bitbucket).
        run_number: the provider's increasing build counter for this pipeline, or None.
        run_id: the provider's unique id of this run (a string), or None.
        repository_url: URL of the built repository without credentials, or None.
        is_ci: running under CI (a known provider, or ``CI`` set to a true value).
        trigger: how the run was started, in the provider's own words (GitHub
            ``GITHUB_EVENT_NAME``: ``push``, ``workflow_dispatch``; GitLab ``CI_PIPELINE_SOURCE``:
            ``push``, ``web``; Travis ``TRAVIS_EVENT_TYPE``: ``push``, ``api``, ``cron``; Azure
            ``BUILD_REASON``: ``IndividualCI``, ``Manual``; Buildkite ``BUILDKITE_SOURCE``:
            ``webhook``, ``ui``), or None where the provider has no such variable.

    Raises:
        ValueError: ``provider`` or ``event`` is not one of the values above.
    """

    provider: Provider
    event: Event
    branch: str | None = None
    tag: str | None = None
    sha: str | None = None
    pr_number: int | None = None
    pr_head_branch: str | None = None
    pr_base_branch: str | None = None
    fork: bool = False
    run_number: int | None = None
    run_id: str | None = None
    repository_url: str | None = None
    is_ci: bool = False
    trigger: str | None = None

    @property
    def branch_name(self) -> str | None:
        """The branch to name things after (Docker tags, branch-aware version schemes).

        The pull request's head branch for pull-request builds (never ``N/merge``), else
        ``branch``; None when neither is known (a tag build).
        """
        if self.event == "pull_request":
            return self.pr_head_branch
        return self.branch

    @property
    def ref_name(self) -> str | None:
        """The short name of the ref built: the tag on tag builds, else :attr:`branch_name`
        (as GitHub's ``GITHUB_REF_NAME``)."""
        if self.event == "tag" and self.tag:
            return self.tag
        return self.branch_name

    @classmethod
    def local(cls, branch: str | None, tag: str | None, sha: str | None) -> BuildContext:
        """The context outside CI, from what the caller read in the repository.

        Args:
            branch: checked-out branch, or None on a detached HEAD.
            tag: version tag at HEAD, or None.
            sha: HEAD commit id, or None.

        Returns:
            provider ``none``, event ``manual``, ``is_ci`` False, the three values as given.
        """
        return cls(provider="none", event="manual", branch=branch, tag=tag, sha=sha)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], event_payload: Mapping[str, Any] | None = None
    ) -> BuildContext:
        """Detect the CI provider in ``env`` and read the build from its variables.

        Args:
            env: the environment (``os.environ`` or a test's dict).
            event_payload: GitHub Actions only: the webhook payload (the parsed JSON file that
                ``GITHUB_EVENT_PATH`` names; reading it is the caller's I/O). It gives the
                pull-request number of ``pull_request_target`` runs and fork detection.

        Returns:
            The context. No known provider: provider ``none``, event ``manual``, ``is_ci`` True
            only when ``CI`` is set to a true value (an unknown CI).
        """
        for _name, detect, parse in _DETECTORS:
            if detect(env):
                return parse(env, event_payload)
        is_ci = (_get(env, "CI") or "").lower() not in _FALSE_WORDS
        return cls(provider="none", event="manual", is_ci=is_ci)


_plain_new = BuildContext.__new__


def _checked_new(cls: type[BuildContext], *args: Any, **kwargs: Any) -> BuildContext:
    """BuildContext's constructor with the check its docstring promises (a named tuple's
    ``__new__`` cannot be written in its class body)."""
    context = _plain_new(cls, *args, **kwargs)
    if context.provider not in _PROVIDERS:
        raise ValueError(f"unknown CI provider {context.provider!r}")
    if context.event not in _EVENTS:
        raise ValueError(f"unknown build event {context.event!r}")
    return context


BuildContext.__new__ = staticmethod(_checked_new)  # type: ignore[assignment,method-assign]


def strip_credentials(url: str) -> str:
    """``url`` without user, password, query and fragment, for URLs with a scheme and host.

    ``https://gitlab-ci-token:secret@gitlab.com/g/p.git`` -> ``https://gitlab.com/g/p.git``.
    scp-like addresses (``git@github.com:owner/repo.git``) cannot carry a password and are
    returned unchanged, as is anything else without ``scheme://``. The authority is split by
    hand: ``urllib.parse`` rejects GitLab's ``gitlab-ci-token:[MASKED]@...`` as a bad IPv6 host.
    """
    match = _SCHEME_URL.fullmatch(url)
    if match is None:
        return url
    scheme, authority, path = match.groups()
    return f"{scheme}://{authority.rpartition('@')[2]}{path}"


# --- helpers ------------------------------------------------------------------------------------


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _int(value: str | None) -> int | None:
    if value is None or not value.isdecimal() or not value.isascii():
        return None
    return int(value)


def _sha(value: str | None) -> str | None:
    if value is None or not _SHA.fullmatch(value):
        return None
    return value.lower()


def _url(value: str | None) -> str | None:
    return None if value is None else strip_credentials(value)


def _strip_prefix(value: str | None, prefix: str) -> str | None:
    if value is not None and value.startswith(prefix):
        return value[len(prefix) :] or None
    return value


def _true(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _repo_key(url: str) -> str:
    """``host/owner/repo`` in lower case, from an https or scp-like URL, for comparisons."""
    url = strip_credentials(url)
    scp = re.fullmatch(r"[^@/:]+@([^:/]+):(.+)", url)
    scheme_url = _SCHEME_URL.fullmatch(url)
    if scp:
        host, path = scp.group(1), scp.group(2)
    elif scheme_url:
        host = re.sub(r":\d*$", "", scheme_url.group(2))  # no port
        path = scheme_url.group(3)
    else:
        host, path = "", url
    path = path.strip("/").removesuffix(".git")
    return f"{host.lower()}/{path.lower()}"


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _payload_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _payload_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# --- providers ----------------------------------------------------------------------------------

_GITHUB_PR_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)
_GITHUB_PR_REF = re.compile(r"refs/pull/(\d+)/(?:merge|head)")


def _github(env: Mapping[str, str], payload: Mapping[str, Any] | None) -> BuildContext:
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
    """
    event_name = _get(env, "GITHUB_EVENT_NAME")
    ref = _get(env, "GITHUB_REF") or ""
    ref_type = _get(env, "GITHUB_REF_TYPE")
    ref_name = _get(env, "GITHUB_REF_NAME")
    pull = _mapping(payload.get("pull_request")) if payload is not None else None
    server = (_get(env, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    repository = _get(env, "GITHUB_REPOSITORY")
    common: dict[str, Any] = {
        "provider": "github",
        "sha": _sha(_get(env, "GITHUB_SHA")),
        "run_number": _int(_get(env, "GITHUB_RUN_NUMBER")),
        "run_id": _get(env, "GITHUB_RUN_ID"),
        "repository_url": _url(f"{server}/{repository}") if repository else None,
        "is_ci": True,
        "trigger": event_name,
    }
    pr_ref = _GITHUB_PR_REF.fullmatch(ref)
    if event_name in _GITHUB_PR_EVENTS or pr_ref:
        number = int(pr_ref.group(1)) if pr_ref else None
        head = _get(env, "GITHUB_HEAD_REF")
        base = _get(env, "GITHUB_BASE_REF")
        fork = False
        if payload is not None:
            number = number or _payload_int(payload.get("number"))
        if pull is not None:
            number = number or _payload_int(pull.get("number"))
            head_side = _mapping(pull.get("head")) or {}
            base_side = _mapping(pull.get("base")) or {}
            head = head or _payload_str(head_side.get("ref"))
            base = base or _payload_str(base_side.get("ref"))
            head_repo = _mapping(head_side.get("repo"))
            base_repo = _mapping(base_side.get("repo")) or {}
            base_name = _payload_str(base_repo.get("full_name")) or repository
            if head_repo is None:
                fork = "repo" in head_side  # repo: null, the head repository was deleted
            else:
                fork = _payload_str(head_repo.get("full_name")) != base_name
        return BuildContext(
            event="pull_request",
            pr_number=number,
            pr_head_branch=head,
            pr_base_branch=base,
            fork=fork,
            **common,
        )
    if ref.startswith("refs/tags/") or (not ref and ref_type == "tag" and ref_name):
        tag = ref.removeprefix("refs/tags/") if ref else ref_name
        return BuildContext(event="tag", tag=tag, **common)
    if ref.startswith("refs/heads/") or (not ref and ref_type == "branch" and ref_name):
        branch = ref.removeprefix("refs/heads/") if ref else ref_name
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


def _travis(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
    """Travis CI (``TRAVIS=true``).

    Reads ``TRAVIS_TAG``, ``TRAVIS_PULL_REQUEST`` (the number, or ``false``),
    ``TRAVIS_PULL_REQUEST_BRANCH`` (head), ``TRAVIS_BRANCH`` (the pushed branch; the base branch
    of a pull request; the tag name on tag builds, so the tag is read first),
    ``TRAVIS_PULL_REQUEST_SLUG`` vs ``TRAVIS_REPO_SLUG`` (fork), ``TRAVIS_COMMIT``,
    ``TRAVIS_BUILD_NUMBER``, ``TRAVIS_BUILD_ID``, ``TRAVIS_EVENT_TYPE``. Travis names no
    repository URL (only a slug on an unnamed host): ``repository_url`` is None.
    """
    common: dict[str, Any] = {
        "provider": "travis",
        "sha": _sha(_get(env, "TRAVIS_COMMIT")),
        "run_number": _int(_get(env, "TRAVIS_BUILD_NUMBER")),
        "run_id": _get(env, "TRAVIS_BUILD_ID"),
        "is_ci": True,
        "trigger": _get(env, "TRAVIS_EVENT_TYPE"),
    }
    tag = _get(env, "TRAVIS_TAG")
    pull = _get(env, "TRAVIS_PULL_REQUEST")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    if pull and pull.lower() != "false":
        head_slug = _get(env, "TRAVIS_PULL_REQUEST_SLUG")
        base_slug = _get(env, "TRAVIS_REPO_SLUG")
        return BuildContext(
            event="pull_request",
            pr_number=_int(pull),
            pr_head_branch=_get(env, "TRAVIS_PULL_REQUEST_BRANCH"),
            pr_base_branch=_get(env, "TRAVIS_BRANCH"),
            fork=bool(head_slug and base_slug and head_slug != base_slug),
            **common,
        )
    branch = _get(env, "TRAVIS_BRANCH")
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


def _gitlab(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
    """GitLab CI (``GITLAB_CI=true``).

    Reads ``CI_COMMIT_TAG``; merge request pipelines: ``CI_MERGE_REQUEST_IID``,
    ``CI_MERGE_REQUEST_SOURCE_BRANCH_NAME``, ``CI_MERGE_REQUEST_TARGET_BRANCH_NAME``, fork when
    ``CI_MERGE_REQUEST_SOURCE_PROJECT_ID`` != ``CI_MERGE_REQUEST_PROJECT_ID``; external (GitHub)
    pull request pipelines: ``CI_EXTERNAL_PULL_REQUEST_IID``, ``..._SOURCE_BRANCH_NAME``,
    ``..._TARGET_BRANCH_NAME``, fork when ``..._SOURCE_REPOSITORY`` != ``..._TARGET_REPOSITORY``;
    ``CI_COMMIT_BRANCH`` (``CI_COMMIT_REF_NAME`` before GitLab 12.6); ``CI_COMMIT_SHA``,
    ``CI_PIPELINE_IID`` (run number, per project), ``CI_PIPELINE_ID``, ``CI_PIPELINE_SOURCE``,
    ``CI_PROJECT_URL`` (else ``CI_REPOSITORY_URL``, which carries a job token: stripped).
    """
    common: dict[str, Any] = {
        "provider": "gitlab",
        "sha": _sha(_get(env, "CI_COMMIT_SHA")),
        "run_number": _int(_get(env, "CI_PIPELINE_IID")),
        "run_id": _get(env, "CI_PIPELINE_ID"),
        "repository_url": _url(_get(env, "CI_PROJECT_URL") or _get(env, "CI_REPOSITORY_URL")),
        "is_ci": True,
        "trigger": _get(env, "CI_PIPELINE_SOURCE"),
    }
    tag = _get(env, "CI_COMMIT_TAG")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    mr = _get(env, "CI_MERGE_REQUEST_IID")
    if mr:
        source = _get(env, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID")
        target = _get(env, "CI_MERGE_REQUEST_PROJECT_ID")
        return BuildContext(
            event="pull_request",
            pr_number=_int(mr),
            pr_head_branch=_get(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            pr_base_branch=_get(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            fork=bool(source and target and source != target),
            **common,
        )
    external = _get(env, "CI_EXTERNAL_PULL_REQUEST_IID")
    if external:
        source = _get(env, "CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY")
        target = _get(env, "CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY")
        return BuildContext(
            event="pull_request",
            pr_number=_int(external),
            pr_head_branch=_get(env, "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME"),
            pr_base_branch=_get(env, "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME"),
            fork=bool(source and target and source != target),
            **common,
        )
    branch = _get(env, "CI_COMMIT_BRANCH") or _get(env, "CI_COMMIT_REF_NAME")
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


_PR_URL_NUMBER = re.compile(r"/(?:pull|pull-requests|merge_requests)/(\d+)/?")
_CIRCLE_FORK_BRANCH = re.compile(r"pull/\d+")


def _circleci(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
    """CircleCI (``CIRCLECI=true``).

    Reads ``CIRCLE_TAG``; ``CIRCLE_PR_NUMBER`` (set only for pull requests from forks, so it
    also means fork); ``CIRCLE_PULL_REQUEST`` (the pull request's URL: the number is parsed from
    ``.../pull/N``); ``CIRCLE_BRANCH`` (the head branch; ``pull/N`` for forks, where the head
    branch is not given: None); ``CIRCLE_SHA1``, ``CIRCLE_BUILD_NUM``, ``CIRCLE_WORKFLOW_ID``,
    ``CIRCLE_REPOSITORY_URL``. CircleCI builds pushes, and a push to a branch with an open pull
    request carries ``CIRCLE_PULL_REQUEST``: that build counts as a pull-request build (so it
    neither uploads nor pushes a branch image). The base branch is not given.
    """
    common: dict[str, Any] = {
        "provider": "circleci",
        "sha": _sha(_get(env, "CIRCLE_SHA1")),
        "run_number": _int(_get(env, "CIRCLE_BUILD_NUM")),
        "run_id": _get(env, "CIRCLE_WORKFLOW_ID"),
        "repository_url": _url(_get(env, "CIRCLE_REPOSITORY_URL")),
        "is_ci": True,
    }
    tag = _get(env, "CIRCLE_TAG")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    fork_number = _get(env, "CIRCLE_PR_NUMBER")
    pr_url = _get(env, "CIRCLE_PULL_REQUEST")
    branch = _get(env, "CIRCLE_BRANCH")
    if fork_number or pr_url:
        number = _int(fork_number)
        if number is None and pr_url:
            match = _PR_URL_NUMBER.search(pr_url)
            number = int(match.group(1)) if match else None
        head = None if branch and _CIRCLE_FORK_BRANCH.fullmatch(branch) else branch
        return BuildContext(
            event="pull_request",
            pr_number=number,
            pr_head_branch=head,
            fork=fork_number is not None,
            **common,
        )
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


def _azure(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
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
    common: dict[str, Any] = {
        "provider": "azure",
        "sha": _sha(_get(env, "BUILD_SOURCEVERSION")),
        "run_number": _int(_get(env, "BUILD_BUILDNUMBER")),
        "run_id": _get(env, "BUILD_BUILDID"),
        "repository_url": _url(_get(env, "BUILD_REPOSITORY_URI")),
        "is_ci": True,
        "trigger": _get(env, "BUILD_REASON"),
    }
    source = _get(env, "BUILD_SOURCEBRANCH") or ""
    if source.startswith("refs/tags/"):
        return BuildContext(event="tag", tag=source.removeprefix("refs/tags/"), **common)
    pr_ref = _GITHUB_PR_REF.fullmatch(source)
    if common["trigger"] == "PullRequest" or pr_ref:
        number = _int(_get(env, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER"))
        if number is None and pr_ref:
            number = int(pr_ref.group(1))
        if number is None:
            number = _int(_get(env, "SYSTEM_PULLREQUEST_PULLREQUESTID"))
        return BuildContext(
            event="pull_request",
            pr_number=number,
            pr_head_branch=_strip_prefix(
                _get(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH"), "refs/heads/"
            ),
            pr_base_branch=_strip_prefix(
                _get(env, "SYSTEM_PULLREQUEST_TARGETBRANCH"), "refs/heads/"
            ),
            fork=_true(_get(env, "SYSTEM_PULLREQUEST_ISFORK")),
            **common,
        )
    if source.startswith("refs/heads/"):
        return BuildContext(event="branch", branch=source.removeprefix("refs/heads/"), **common)
    return BuildContext(event="manual", **common)


_JENKINS_REMOTE_PREFIXES = ("refs/remotes/origin/", "remotes/origin/", "origin/", "refs/heads/")


def _jenkins(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
    """Jenkins (``JENKINS_URL`` or ``JENKINS_HOME`` set).

    Multibranch pipelines: ``TAG_NAME`` (tag builds; ``BRANCH_NAME`` is then the tag too),
    ``CHANGE_ID`` (pull request number), ``CHANGE_BRANCH`` (head; ``BRANCH_NAME`` is ``PR-N``),
    ``CHANGE_TARGET`` (base), ``CHANGE_FORK`` (set only for forks), ``BRANCH_NAME``. Other jobs
    with the git plugin: ``GIT_BRANCH``, which is the remote-tracking name (``origin/main``):
    ``origin/``, ``remotes/origin/``, ``refs/remotes/origin/``, ``refs/heads/`` are removed and
    ``refs/tags/v1`` is a tag. Also ``GIT_COMMIT``, ``BUILD_NUMBER``, ``BUILD_ID``,
    ``GIT_URL`` (credentials stripped). Jenkins names no trigger.
    """
    common: dict[str, Any] = {
        "provider": "jenkins",
        "sha": _sha(_get(env, "GIT_COMMIT")),
        "run_number": _int(_get(env, "BUILD_NUMBER")),
        "run_id": _get(env, "BUILD_ID"),
        "repository_url": _url(_get(env, "GIT_URL")),
        "is_ci": True,
    }
    tag = _get(env, "TAG_NAME")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    change = _get(env, "CHANGE_ID")
    if change:
        return BuildContext(
            event="pull_request",
            pr_number=_int(change),
            pr_head_branch=_get(env, "CHANGE_BRANCH"),
            pr_base_branch=_get(env, "CHANGE_TARGET"),
            fork=_get(env, "CHANGE_FORK") is not None,
            **common,
        )
    branch = _get(env, "BRANCH_NAME")
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    git_branch = _get(env, "GIT_BRANCH")
    if git_branch and git_branch.startswith("refs/tags/"):
        return BuildContext(event="tag", tag=git_branch.removeprefix("refs/tags/"), **common)
    if git_branch and git_branch not in ("HEAD", "detached"):
        for prefix in _JENKINS_REMOTE_PREFIXES:
            if git_branch.startswith(prefix):
                git_branch = git_branch[len(prefix) :]
                break
        if git_branch:
            return BuildContext(event="branch", branch=git_branch, **common)
    return BuildContext(event="manual", **common)


def _bitbucket(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
    """Bitbucket Pipelines (``BITBUCKET_BUILD_NUMBER`` set).

    Reads ``BITBUCKET_TAG``, ``BITBUCKET_PR_ID`` with ``BITBUCKET_BRANCH`` (the source branch)
    and ``BITBUCKET_PR_DESTINATION_BRANCH``, ``BITBUCKET_BRANCH``, ``BITBUCKET_COMMIT``,
    ``BITBUCKET_BUILD_NUMBER``, ``BITBUCKET_PIPELINE_UUID``, ``BITBUCKET_GIT_HTTP_ORIGIN``.
    Bitbucket names neither the source repository of a pull request nor the trigger, so
    ``fork`` is False and ``trigger`` None. A custom pipeline started on a commit has neither
    tag nor branch: event ``manual``.
    """
    common: dict[str, Any] = {
        "provider": "bitbucket",
        "sha": _sha(_get(env, "BITBUCKET_COMMIT")),
        "run_number": _int(_get(env, "BITBUCKET_BUILD_NUMBER")),
        "run_id": _get(env, "BITBUCKET_PIPELINE_UUID"),
        "repository_url": _url(_get(env, "BITBUCKET_GIT_HTTP_ORIGIN")),
        "is_ci": True,
    }
    tag = _get(env, "BITBUCKET_TAG")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    pr = _get(env, "BITBUCKET_PR_ID")
    branch = _get(env, "BITBUCKET_BRANCH")
    if pr:
        return BuildContext(
            event="pull_request",
            pr_number=_int(pr),
            pr_head_branch=branch,
            pr_base_branch=_get(env, "BITBUCKET_PR_DESTINATION_BRANCH"),
            **common,
        )
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


def _buildkite(env: Mapping[str, str], _: Mapping[str, Any] | None) -> BuildContext:
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
    repo = _get(env, "BUILDKITE_REPO")
    common: dict[str, Any] = {
        "provider": "buildkite",
        "sha": _sha(_get(env, "BUILDKITE_COMMIT")),
        "run_number": _int(_get(env, "BUILDKITE_BUILD_NUMBER")),
        "run_id": _get(env, "BUILDKITE_BUILD_ID"),
        "repository_url": _url(repo),
        "is_ci": True,
        "trigger": _get(env, "BUILDKITE_SOURCE"),
    }
    tag = _get(env, "BUILDKITE_TAG")
    if tag:
        return BuildContext(event="tag", tag=tag, **common)
    pull = _get(env, "BUILDKITE_PULL_REQUEST")
    branch = _get(env, "BUILDKITE_BRANCH")
    if pull and pull.lower() != "false":
        pr_repo = _get(env, "BUILDKITE_PULL_REQUEST_REPO")
        head = (branch.rpartition(":")[2] or None) if branch else None
        return BuildContext(
            event="pull_request",
            pr_number=_int(pull),
            pr_head_branch=head,
            pr_base_branch=_get(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH"),
            fork=bool(pr_repo and repo and _repo_key(pr_repo) != _repo_key(repo)),
            **common,
        )
    if branch:
        return BuildContext(event="branch", branch=branch, **common)
    return BuildContext(event="manual", **common)


_Parser = Callable[[Mapping[str, str], Mapping[str, Any] | None], BuildContext]
_Detect = Callable[[Mapping[str, str]], bool]

_DETECTORS: tuple[tuple[str, _Detect, _Parser], ...] = (
    ("github", lambda env: _true(_get(env, "GITHUB_ACTIONS")), _github),
    ("travis", lambda env: _true(_get(env, "TRAVIS")), _travis),
    ("gitlab", lambda env: _true(_get(env, "GITLAB_CI")), _gitlab),
    ("circleci", lambda env: _true(_get(env, "CIRCLECI")), _circleci),
    ("azure", lambda env: _true(_get(env, "TF_BUILD")), _azure),
    ("bitbucket", lambda env: _get(env, "BITBUCKET_BUILD_NUMBER") is not None, _bitbucket),
    ("buildkite", lambda env: _true(_get(env, "BUILDKITE")), _buildkite),
    # Last: JENKINS_HOME may linger on a machine that also runs another CI's agent.
    (
        "jenkins",
        lambda env: _get(env, "JENKINS_URL") is not None or _get(env, "JENKINS_HOME") is not None,
        _jenkins,
    ),
)
"""(provider, detection, parser), tried in order; the first detection that holds wins."""

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
"""Every variable :meth:`BuildContext.from_env` looks at to tell CI from a terminal: an
environment without them is "not CI" (tests remove them to run the same anywhere)."""
