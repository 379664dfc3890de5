"""Reading CI variables: the value rules every provider shares, and what a provider reports.

The rules (``docs/architecture.md``, "ci/"): empty variables count as unset; numbers that are
not decimal integers become None; a commit id that is not 7-64 hex digits (Buildkite's ``HEAD``
for builds started without a commit) becomes None; URLs never carry credentials
(:func:`vcrelease.errors.strip_credentials`). A provider's reader
(:mod:`vcrelease.ci.providers`) returns :class:`Signals`: what its variables say, before
:mod:`vcrelease.ci.context` classifies the build with its one ladder.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import strip_credentials

__all__ = [
    "FALSE_WORDS",
    "PullRequest",
    "Signals",
    "get",
    "integer",
    "mapping",
    "merge_queue",
    "payload_int",
    "payload_str",
    "repo_key",
    "sha",
    "strip_prefix",
    "true",
    "url",
]

FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
"""Values of ``CI`` that do not mean "in CI"."""

_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_SCHEME_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:[?#].*)?", re.DOTALL)
_SCP_URL = re.compile(r"[^@/:]+@([^:/]+):(.+)")


class PullRequest(NamedTuple):
    """A pull (merge) request as a provider names it.

    Attributes:
        number: its number, or None where the provider does not say.
        head: the branch it comes from (in the fork, for forks), or None.
        base: the branch it targets, or None.
        fork: it comes from another repository (False where the provider does not say).
    """

    number: int | None = None
    head: str | None = None
    base: str | None = None
    fork: bool = False


class Signals(NamedTuple):
    """What one provider's variables say about a build, before it is classified.

    Attributes:
        tag: the tag name the provider says was built, or None.
        pull_request: the pull request the provider says was built, or None.
        branch: the branch the provider names (for some providers the base branch of a pull
            request; the ladder reads ``pull_request`` first), or None.
        sha: the commit id (already checked, lower case), or None.
        run_number: the provider's increasing build counter, or None.
        run_id: the provider's unique id of the run, or None.
        repository_url: the repository's URL without credentials, or None.
        trigger: how the run was started, in the provider's words, or None.
    """

    tag: str | None = None
    pull_request: PullRequest | None = None
    branch: str | None = None
    sha: str | None = None
    run_number: int | None = None
    run_id: str | None = None
    repository_url: str | None = None
    trigger: str | None = None


def get(env: Mapping[str, str], name: str) -> str | None:
    """``env[name]`` stripped of surrounding blanks; None when unset or blank."""
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def integer(value: str | None) -> int | None:
    """A decimal (ASCII) integer, else None."""
    if value is None or not value.isdecimal() or not value.isascii():
        return None
    return int(value)


def sha(value: str | None) -> str | None:
    """A commit id of 7-64 hex digits in lower case, else None."""
    if value is None or not _SHA.fullmatch(value):
        return None
    return value.lower()


def url(value: str | None) -> str | None:
    """:func:`strip_credentials` of ``value``; None stays None."""
    return None if value is None else strip_credentials(value)


def strip_prefix(value: str | None, prefix: str) -> str | None:
    """``value`` without ``prefix`` (None when nothing is left); other values unchanged."""
    if value is not None and value.startswith(prefix):
        return value[len(prefix) :] or None
    return value


def true(value: str | None) -> bool:
    """The value is ``true`` in any case (the providers' own detection variables)."""
    return (value or "").lower() == "true"


def repo_key(address: str) -> str:
    """``host/owner/repo`` in lower case, from an https or scp-like URL, for comparisons."""
    address = strip_credentials(address)
    scp = _SCP_URL.fullmatch(address)
    scheme_url = _SCHEME_URL.fullmatch(address)
    if scp:
        host, path = scp.group(1), scp.group(2)
    elif scheme_url:
        host = re.sub(r":\d*$", "", scheme_url.group(2))  # no port
        path = scheme_url.group(3)
    else:
        host, path = "", address
    path = path.strip("/").removesuffix(".git")
    return f"{host.lower()}/{path.lower()}"


def mapping(value: object) -> Mapping[str, Any] | None:
    """``value`` when it is a JSON object (a mapping), else None."""
    return value if isinstance(value, Mapping) else None


def payload_int(value: object) -> int | None:
    """``value`` when it is a JSON integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def payload_str(value: object) -> str | None:
    """``value`` when it is a non-empty JSON string, else None."""
    return value if isinstance(value, str) and value else None


_MERGE_QUEUE_PREFIX = "gh-readonly-queue/"
_MERGE_QUEUE_BRANCH = re.compile(r"gh-readonly-queue/(.+)/pr-(\d+)-[0-9a-fA-F]{7,64}")


def merge_queue(branch: str | None) -> PullRequest | None:
    """The pull request a GitHub merge-queue branch tests, or None for any other branch.

    GitHub builds each queued pull request on a branch of its own,
    ``gh-readonly-queue/<base>/pr-<number>-<base sha>`` (GitHub docs, "Managing a merge queue":
    the prefix is reserved and read-only); whichever CI builds it, the build tests a merge that
    has not happened, so it is a pull-request build. A branch with the prefix and another shape
    is still one, with number and base unknown.
    """
    if branch is None or not branch.startswith(_MERGE_QUEUE_PREFIX):
        return None
    match = _MERGE_QUEUE_BRANCH.fullmatch(branch)
    if match is None:
        return PullRequest()
    return PullRequest(number=int(match.group(2)), base=match.group(1))
