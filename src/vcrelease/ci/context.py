"""What kind of build this is, from the CI provider's environment variables.

The one entry point is :meth:`BuildContext.from_env`: it takes the environment as a mapping (no
I/O: the caller passes ``os.environ``), finds the provider and returns a frozen
:class:`BuildContext`. Outside CI the context comes from the repository instead; the caller
builds it with :meth:`BuildContext.local` from what it read there.

The rules common to all providers (`docs/architecture.md`, "ci/"; the README's "In CI"): each
provider's reader (:mod:`vcrelease.ci.providers`) says which tag, pull request and branch its
variables name, and one ladder (:func:`_classify`) decides:

- a tag is a tag build (the tag variable wins over the branch variable: Travis sets
  ``TRAVIS_BRANCH`` to the tag name on tag builds), then a pull request, then a branch;
- a build of a GitHub merge-queue branch (``gh-readonly-queue/...``, GitHub's ``merge_group``
  event) tests a merge that has not happened: a ``pull_request`` build, which never uploads;
- ``event`` names the kind of ref that was built: ``tag``, ``branch`` or ``pull_request``;
  ``manual`` means no such ref is known: not in CI, or a CI run the provider names no ref for
  (a Bitbucket custom pipeline started on a commit, a Jenkins job without the git plugin).
  How a run was started (push, schedule, a button) is in ``trigger``, where the provider says;
  a run started by hand on a branch is still a ``branch`` build of that branch;
- ``branch`` is the branch that was pushed, and None for tag and pull-request builds (a pull
  request checks out a merge commit or the base branch, not a branch of its own); the branch a
  pull request comes from is ``pr_head_branch``, and :attr:`BuildContext.ref_name` picks the one
  to name things after;
- the value rules (empty is unset, numbers, commit ids, URLs without credentials) are
  :mod:`vcrelease.ci.values`.
"""

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, get_args

from .providers import DETECTION_VARIABLES, PROVIDERS
from .values import FALSE_WORDS, Signals, get, merge_queue

__all__ = [
    "DETECTION_VARIABLES",
    "BuildContext",
    "Event",
    "Provider",
]

Provider = Literal[
    "github", "travis", "gitlab", "circleci", "azure", "jenkins", "bitbucket", "buildkite", "none"
]
Event = Literal["tag", "branch", "pull_request", "manual"]

_PROVIDERS: frozenset[str] = frozenset(get_args(Provider))
_EVENTS: frozenset[str] = frozenset(get_args(Event))


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
    def local(cls, branch: str | None, tag: str | None, sha: str | None) -> "BuildContext":
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
    ) -> "BuildContext":
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
        for provider, detect, read in PROVIDERS:
            if detect(env):
                return _classify(provider, read(env, event_payload))
        is_ci = (get(env, "CI") or "").lower() not in FALSE_WORDS
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


def _classify(provider: str, signals: Signals) -> BuildContext:
    """The one classification ladder: what kind of build the provider's signals name.

    In order: a tag is a tag build; a pull request, or a branch of GitHub's merge queue
    (:func:`~vcrelease.ci.values.merge_queue`, whichever CI builds it), is a pull-request build;
    a branch is a branch build; nothing known is ``manual``.
    """
    common: dict[str, Any] = {
        "provider": provider,
        "sha": signals.sha,
        "run_number": signals.run_number,
        "run_id": signals.run_id,
        "repository_url": signals.repository_url,
        "is_ci": True,
        "trigger": signals.trigger,
    }
    if signals.tag:
        return BuildContext(event="tag", tag=signals.tag, **common)
    pull = signals.pull_request or merge_queue(signals.branch)
    if pull is not None:
        return BuildContext(
            event="pull_request",
            pr_number=pull.number,
            pr_head_branch=pull.head,
            pr_base_branch=pull.base,
            fork=pull.fork,
            **common,
        )
    if signals.branch:
        return BuildContext(event="branch", branch=signals.branch, **common)
    return BuildContext(event="manual", **common)
