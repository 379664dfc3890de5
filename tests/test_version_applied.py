"""What ``resolve_version`` applied (``VersionResult.applied``) and the one CI-tag rule
(``vcrelease.version.citag.ci_tag_at_head``) that the version and the release policy share."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gitutil import new_repo
from vcrelease.ci.context import BuildContext
from vcrelease.config import DEFAULT_TAG_PATTERN
from vcrelease.version.citag import ci_tag_at_head, ci_tag_problem
from vcrelease.version.devnumber import DevNumber
from vcrelease.version.formatting import tag_parser
from vcrelease.version.resolve import Applied, resolve_version

PARSE = tag_parser(re.compile(DEFAULT_TAG_PATTERN))
HEAD = "0123456789abcdef0123456789abcdef01234567"


def _repo(path: Path, pyproject: str = "") -> Path:
    """``pyproject.toml`` committed and tagged ``v1.2.3``, one commit after."""
    return new_repo(path, pyproject=pyproject, tags=["v1.2.3"], commits_after_tag=1)


def _github(**extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_RUN_NUMBER": "17",
        **extra,
    }


def test_applied_outside_ci_is_the_defaults(tmp_path: Path) -> None:
    result = resolve_version(_repo(tmp_path / "r"), env={})
    assert result.applied == Applied(
        "guess-next-dev", "node-and-date", "outside CI", DevNumber("distance", "default outside CI")
    )


def test_applied_in_ci_says_why(tmp_path: Path) -> None:
    result = resolve_version(_repo(tmp_path / "r"), env=_github())
    assert result.version == "1.2.4.dev17"
    assert result.applied == Applied(
        "guess-next-dev",
        "no-local-version",
        "in CI",
        DevNumber("run", "default in CI (github gives a run number)", 17),
    )


def test_applied_configured_schemes_and_dev_number(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path / "r",
        '[tool.vcrelease]\nlocal-scheme = "node-and-date"\ndev-number = "commit-time"\n',
    )
    result = resolve_version(repo, env={**_github(), "VCRELEASE_DEV_NUMBER": "distance"})
    assert result.applied is not None
    assert result.applied.local_scheme == "node-and-date"
    assert result.applied.local_scheme_by_context is None  # configured: no CI rule
    assert result.applied.dev_number == DevNumber("distance", "VCRELEASE_DEV_NUMBER", 17)
    overridden = resolve_version(repo, env={}, version_scheme="no-guess-dev")
    assert overridden.applied is not None
    assert overridden.applied.version_scheme == "no-guess-dev"
    assert overridden.applied.dev_number.reason == "[tool.vcrelease] dev-number"


def test_nothing_applied_to_a_pretend_version(tmp_path: Path) -> None:
    result = resolve_version(_repo(tmp_path / "r"), env={"VCRELEASE_PRETEND_VERSION": "2.0"})
    assert (result.version, result.applied) == ("2.0", None)


def _tag_build(tag: str | None = "v1.3.0", sha: str | None = HEAD[:7]) -> BuildContext:
    return BuildContext(provider="github", event="tag", tag=tag, sha=sha, is_ci=True)


@pytest.mark.parametrize(
    ("context", "tag_commits", "expected"),
    [
        (_tag_build(), {}, ("v1.3.0", "1.3.0")),  # not in the clone, HEAD is the CI's commit
        (_tag_build(sha=HEAD.upper()), {}, ("v1.3.0", "1.3.0")),  # any case, any length
        (_tag_build(sha="fedcba9"), {}, None),  # HEAD is another commit
        (_tag_build(), {"v1.3.0": "f" * 40}, None),  # in the clone: its own commit decides
        (_tag_build(sha=None), {}, None),  # the CI names no commit
        (_tag_build(tag="nightly"), {}, None),  # not a version tag
        (
            BuildContext(provider="github", event="branch", tag="v1.3.0", sha=HEAD, is_ci=True),
            {},
            None,
        ),
    ],
)
def test_ci_tag_at_head(
    context: BuildContext, tag_commits: dict[str, str], expected: tuple[str, str] | None
) -> None:
    assert ci_tag_at_head(context, HEAD, tag_commits, PARSE, shallow=True) == expected
    # a complete clone must have the tag: the CI's word is never taken there
    assert ci_tag_at_head(context, HEAD, tag_commits, PARSE, shallow=False) is None
    problem = ci_tag_problem(context, HEAD, tag_commits, PARSE, shallow=False)
    if expected is not None:
        assert problem is not None
        assert "git fetch --tags" in problem
    assert (ci_tag_problem(context, HEAD, tag_commits, PARSE, shallow=True) is None) == (
        expected is not None or problem is None
    )
