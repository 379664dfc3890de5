"""The release policy table (docs/architecture.md, "Release policy"), row by row."""

from __future__ import annotations

import pytest

from vcrelease.ci.context import BuildContext
from vcrelease.publish.policy import RepoFacts, branch_allowed, decide, version_kind

HEAD = "a" * 40
OTHER = "b" * 40


def tag_build(tag: str = "v1.2.3") -> BuildContext:
    return BuildContext(provider="github", event="tag", tag=tag, sha=HEAD, is_ci=True)


def branch_build(branch: str = "main") -> BuildContext:
    return BuildContext(provider="github", event="branch", branch=branch, sha=HEAD, is_ci=True)


PR = BuildContext(
    provider="github", event="pull_request", pr_number=7, pr_head_branch="feature/x", is_ci=True
)
LOCAL = BuildContext.local(branch="main", tag=None, sha=HEAD)
CI_NO_REF = BuildContext(provider="jenkins", event="manual", sha=HEAD, is_ci=True)

TAGGED = RepoFacts(head=HEAD, branch="main", head_tags=(("v1.2.3", "1.2.3"),))
UNTAGGED = RepoFacts(head=HEAD, branch="main")
DIRTY_TAGGED = RepoFacts(
    head=HEAD, branch="main", dirty_files=("src/app.py",), head_tags=(("v1.2.3", "1.2.3"),)
)
DIRTY = RepoFacts(head=HEAD, branch="main", dirty_files=("src/app.py",))
TAG_ELSEWHERE = RepoFacts(head=HEAD, branch=None, tag_commits={"v1.2.3": OTHER})
RC_AND_FINAL = RepoFacts(head=HEAD, head_tags=(("v2.0.0rc1", "2.0.0rc1"), ("v2.0.0", "2.0.0")))

# (id, context, version, repo facts, allowed branches, action, exit code, words in the reason)
TABLE = [
    ("tag-build-release", tag_build(), "1.2.3", TAGGED, (), "upload", 0, "tag build of v1.2.3"),
    (
        "tag-build-1.2-eq-1.2.0",
        tag_build("v1.2"),
        "1.2.0",
        RepoFacts(HEAD, head_tags=(("v1.2", "1.2"),)),
        (),
        "upload",
        0,
        "",
    ),
    ("tag-build-pre", tag_build("v2.0.0rc1"), "2.0.0rc1", RC_AND_FINAL, (), "upload", 0, ""),
    (
        "tag-build-post",
        tag_build("v1.2.3.post1"),
        "1.2.3.post1",
        RepoFacts(HEAD, head_tags=(("v1.2.3.post1", "1.2.3.post1"),)),
        (),
        "upload",
        0,
        "",
    ),
    (
        "tag-build-of-rc-with-final-files",
        tag_build("v2.0.0rc1"),
        "2.0.0",
        RC_AND_FINAL,
        (),
        "refuse",
        1,
        "2.0.0rc1",
    ),
    ("tag-build-dev-files", tag_build(), "1.2.4.dev3", TAGGED, (), "refuse", 1, "dev release"),
    ("tag-build-other-version", tag_build(), "1.2.2", TAGGED, (), "refuse", 1, "stale files"),
    (
        "tag-build-head-elsewhere",
        tag_build(),
        "1.2.3",
        TAG_ELSEWHERE,
        (),
        "refuse",
        1,
        "not the tagged commit",
    ),
    ("tag-build-dirty", tag_build(), "1.2.3", DIRTY_TAGGED, (), "refuse", 1, "src/app.py"),
    (
        "tag-build-non-version-tag",
        tag_build("docs-latest"),
        "1.2.4.dev3",
        UNTAGGED,
        (),
        "skip",
        0,
        "not a version tag",
    ),
    (
        "tag-build-local",
        tag_build(),
        "1.2.3+g1234567",
        TAGGED,
        (),
        "refuse",
        1,
        "local version label",
    ),
    ("branch-dev", branch_build(), "1.2.4.dev3", UNTAGGED, (), "upload", 0, "branch main"),
    (
        "branch-dev-allowed-pattern",
        branch_build("feature/x"),
        "1.2.4.dev3",
        UNTAGGED,
        ("feature/*", "main"),
        "upload",
        0,
        "",
    ),
    (
        "branch-dev-not-allowed",
        branch_build("wip/x"),
        "1.2.4.dev3",
        UNTAGGED,
        ("feature/*", "main"),
        "skip",
        0,
        "not allowed",
    ),
    ("branch-dev-dirty", branch_build(), "1.2.4.dev3", DIRTY, (), "refuse", 1, "src/app.py"),
    ("branch-racing-release", branch_build("master"), "1.2.3", TAGGED, (), "skip", 0, "tag build"),
    (
        "branch-release-untagged",
        branch_build(),
        "1.2.3",
        UNTAGGED,
        (),
        "refuse",
        1,
        "tag builds only",
    ),
    (
        "branch-local",
        branch_build(),
        "1.2.4.dev3+gabc",
        UNTAGGED,
        (),
        "refuse",
        1,
        "local version label",
    ),
    ("pr-dev", PR, "1.2.4.dev3", UNTAGGED, (), "skip", 0, "#7"),
    ("pr-release", PR, "1.2.3", TAGGED, (), "skip", 0, "never upload"),
    ("pr-local", PR, "1.2.3+g1", TAGGED, (), "refuse", 1, "local"),
    ("local-release-at-tag", LOCAL, "1.2.3", TAGGED, (), "upload", 0, "v1.2.3"),
    ("local-release-dirty", LOCAL, "1.2.3", DIRTY_TAGGED, (), "refuse", 1, "src/app.py"),
    ("local-release-untagged", LOCAL, "1.2.3", UNTAGGED, (), "refuse", 1, "git tag v1.2.3"),
    ("local-dev-clean", LOCAL, "1.2.4.dev3", UNTAGGED, (), "upload", 0, ""),
    ("local-dev-not-allowed", LOCAL, "1.2.4.dev3", UNTAGGED, ("release/*",), "skip", 0, ""),
    ("local-dev-detached-star", LOCAL, "1.2.4.dev3", RepoFacts(HEAD), ("*",), "upload", 0, ""),
    ("local-local-label", LOCAL, "1.2.4.dev3+g1.d2", UNTAGGED, (), "refuse", 1, "local"),
    ("ci-without-ref-release-at-tag", CI_NO_REF, "1.2.3", TAGGED, (), "upload", 0, ""),
    ("ci-without-ref-release-untagged", CI_NO_REF, "1.2.3", UNTAGGED, (), "refuse", 1, ""),
]


@pytest.mark.parametrize(
    ("context", "version", "repo", "allowed", "action", "code", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in TABLE],
)
def test_policy_table(
    context: BuildContext,
    version: str,
    repo: RepoFacts,
    allowed: tuple[str, ...],
    action: str,
    code: int,
    words: str,
) -> None:
    decision = decide(context, version, repo, allowed_branches=allowed)
    assert (decision.action, decision.exit_code) == (action, code), decision.reason
    assert words in decision.reason
    assert decision.allowed == (action == "upload")


@pytest.mark.parametrize("row", [r for r in TABLE if r[5] == "skip"], ids=lambda r: r[0])
def test_strict_turns_every_skip_into_exit_1(row: tuple[object, ...]) -> None:
    _, context, version, repo, allowed, *_ = row
    decision = decide(context, version, repo, allowed_branches=allowed, strict=True)  # type: ignore[arg-type]
    assert (decision.action, decision.exit_code) == ("skip", 1)


@pytest.mark.parametrize(
    ("version", "kind"),
    [
        ("1.2.3", "release"),
        ("1.2.3rc1", "release"),
        ("1.2.3.post1", "release"),
        ("1!1.0", "release"),
        ("1.2.4.dev3", "dev"),
        ("1.2.4rc1.dev3", "dev"),
        ("1.2.3.post1.dev2", "dev"),
        ("1.2.3+local", "local"),
        ("1.2.4.dev3+g1234567.d20261121", "local"),
    ],
)
def test_version_kind(version: str, kind: str) -> None:
    assert version_kind(version) == kind


def test_version_kind_rejects_non_pep440() -> None:
    with pytest.raises(ValueError, match="not a PEP 440"):
        version_kind("banana")


@pytest.mark.parametrize(
    ("branch", "patterns", "allowed"),
    [
        ("main", (), True),
        (None, (), True),
        ("feature/a", ("feature/*",), True),
        ("feature/a/b", ("feature/*",), True),
        ("Feature/a", ("feature/*",), False),
        ("main", ("feature/*", "main"), True),
        ("mainline", ("main",), False),
        (None, ("main",), False),
        (None, ("*",), True),
        ("release-1.2", ("release-[0-9]*",), True),
    ],
)
def test_branch_allowed(branch: str | None, patterns: tuple[str, ...], allowed: bool) -> None:
    assert branch_allowed(branch, patterns) is allowed
