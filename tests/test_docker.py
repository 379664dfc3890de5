"""Docker tags and OCI labels: table tests, every tag checked against the Docker tag grammar."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest

from vcrelease.ci.context import BuildContext
from vcrelease.errors import ConfigError
from vcrelease.publish.docker import (
    DockerTagRequest,
    DockerTags,
    branch_tag,
    compute_tags,
    is_valid_tag,
    oci_labels,
    pr_tag,
    sha_tag,
    version_tags,
)

# distribution/reference: tag := /[\w][\w.-]{0,127}/, \w being ASCII here.
GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
SHA = "0123456789abcdef0123456789abcdef01234567"
RELEASES = ["1.4.6", "2.0.0", "1.4.7", "2.1.0rc1", "2.0.1"]


def _hashed(name: str, keep: int = 120) -> str:
    """What the rule gives for a long name: its first ``keep`` characters, `-`, 7 hex."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).lstrip(".-")
    return f"{cleaned[:keep]}-{hashlib.sha256(name.encode()).hexdigest()[:7]}"


def _ref(tag: str) -> str:
    return tag.rpartition(":")[2]


LONG_A = "feature/" + "a" * 130 + "-one"
LONG_B = "feature/" + "a" * 130 + "-two"

BRANCHES: list[tuple[str, str]] = [
    ("main", "main"),
    ("develop", "develop"),
    ("feature/implement-doodad", "feature-implement-doodad"),
    ("feature/add-doodad", "feature-add-doodad"),
    ("release/1.2.x", "release-1.2.x"),
    ("a/b/c/d", "a-b-c-d"),
    ("feature//double", "feature-double"),
    ("trailing/", "trailing-"),
    ("fix#123", "fix-123"),
    ("issue-#42-crash", "issue--42-crash"),
    ("c++", "c-"),
    ("dep+bump", "dep-bump"),
    ("user@host", "user-host"),
    ("@scope/pkg", "scope-pkg"),
    ("with space", "with-space"),
    ("  leading spaces", "leading-spaces"),
    ("tab\there", "tab-here"),
    ("many   spaces", "many-spaces"),
    ("Feature/UPPER-Case", "Feature-UPPER-Case"),
    ("HEAD", "HEAD"),
    ("ünïcödé", "n-c-d-"),
    ("café/crème", "caf-cr-me"),
    ("功能/分支-x", "x"),
    ("fix/🐛-in-parser", "fix--in-parser"),  # the run becomes `-`; the real `-` stays
    ("🚀rocket", "rocket"),
    ("-leading-dash", "leading-dash"),
    ("--double-dash", "double-dash"),
    (".hidden", "hidden"),
    ("..dots", "dots"),
    ("-.-mixed", "mixed"),
    ("_underscore", "_underscore"),
    ("snake_case_branch", "snake_case_branch"),
    ("dots.in.name", "dots.in.name"),
    ("1.2.3", "1.2.3"),
    ("v2", "v2"),
    ("renovate/pin-dependencies~1", "renovate-pin-dependencies-1"),
    ("quote'and\"double", "quote-and-double"),
    ("a:b;c,d", "a-b-c-d"),
    ("back\\slash", "back-slash"),
    ("dependabot/npm_and_yarn/lodash-4.17.21", "dependabot-npm_and_yarn-lodash-4.17.21"),
    ("x" * 127, "x" * 127),
    ("x" * 128, "x" * 128),
    ("x" * 129, _hashed("x" * 129)),
    ("x" * 300, _hashed("x" * 300)),
    ("feature/" + "y" * 120, "feature-" + "y" * 120),  # 128 after cleaning: kept
    ("é" * 100 + "z" * 127, "z" * 127),  # the leading run becomes `-`, then is dropped
    (LONG_A, _hashed(LONG_A)),
    (LONG_B, _hashed(LONG_B)),
]


@pytest.mark.parametrize(
    ("name", "expected"), BRANCHES, ids=[f"b{i}" for i in range(len(BRANCHES))]
)
def test_branch_tag_table(name: str, expected: str) -> None:
    tag = branch_tag(name)
    assert tag == expected
    assert GRAMMAR.fullmatch(tag)
    assert is_valid_tag(tag)
    assert len(tag) <= 128


def test_branch_table_is_large_enough() -> None:
    assert len(BRANCHES) >= 40


def test_long_branches_that_differ_only_after_128_get_different_tags() -> None:
    a, b = branch_tag(LONG_A), branch_tag(LONG_B)
    assert a != b
    assert len(a) == len(b) == 128
    assert a[:120] == b[:120]


def test_129_characters_is_cut_to_exactly_128() -> None:
    tag = branch_tag("b" * 129)
    assert len(tag) == 128
    assert tag == "b" * 120 + "-" + hashlib.sha256(b"b" * 129).hexdigest()[:7]


def test_branch_tag_is_the_hash_of_the_original_name_not_the_cleaned_one() -> None:
    # Cleaned alike, hashed apart.
    a = branch_tag("f/" + "q" * 200)
    b = branch_tag("f#" + "q" * 200)
    assert a != b


@pytest.mark.parametrize("name", ["", "-", "--", ".", "./-", "🚀", "ブランチ", "  ", "/"])
def test_branch_with_nothing_usable_is_a_config_error(name: str) -> None:
    with pytest.raises(ConfigError, match="Rename the branch") as err:
        branch_tag(name)
    assert err.value.exit_code == 2
    assert repr(name) in str(err.value)


# --- versions -----------------------------------------------------------------------------------

VERSIONS: list[tuple[str, list[str] | None, list[str]]] = [
    # finals against the interleaved release lines
    ("1.4.6", RELEASES, ["1.4.6"]),
    ("2.0.0", RELEASES, ["2.0.0"]),
    ("1.4.7", RELEASES, ["1.4.7", "1.4", "1"]),
    ("2.0.1", RELEASES, ["2.0.1", "2.0", "2", "latest"]),
    ("2.1.0rc1", RELEASES, ["2.1.0rc1"]),
    ("2.1.0", RELEASES, ["2.1.0", "2.1", "2", "latest"]),
    ("3.0.0", RELEASES, ["3.0.0", "3.0", "3", "latest"]),
    ("1.5.0", RELEASES, ["1.5.0", "1.5", "1"]),
    ("1.4.5", RELEASES, ["1.4.5"]),
    ("v1.2.3", [], ["1.2.3", "1.2", "1", "latest"]),
    ("1.2.3", ["1.2.3"], ["1.2.3", "1.2", "1", "latest"]),  # the same release again
    (
        "1.2.3",
        ["1.2.4.dev1", "1.3.0a1", "1.2.3.post1", "1.2.4+local"],
        ["1.2.3", "1.2", "1", "latest"],
    ),
    ("1.2.0", ["1.2"], ["1.2.0", "1.2", "1", "latest"]),  # 1.2 == 1.2.0
    ("1.2.3.4", ["1.2.3.3"], ["1.2.3.4", "1.2", "1", "latest"]),
    # two-part and one-part finals
    ("1.2", [], ["1.2", "1", "latest"]),
    ("1.2", ["1.2.1"], ["1.2"]),
    ("1.3", ["1.2.1", "2.0"], ["1.3", "1"]),
    ("1", [], ["1", "latest"]),
    ("2", ["1.9.9"], ["2", "latest"]),
    # pre, post, dev, local: the version alone
    ("1.2.3a1", [], ["1.2.3a1"]),
    ("1.2.3b2", [], ["1.2.3b2"]),
    ("1.2.3rc1", [], ["1.2.3rc1"]),
    ("1.2.3-rc.1", [], ["1.2.3rc1"]),  # normalised
    ("1.2.3.post1", [], ["1.2.3.post1"]),
    ("1.2.3-1", [], ["1.2.3.post1"]),
    ("1.2.4.dev5", [], ["1.2.4.dev5"]),
    ("1.2.4.dev5+g1a2b3c4", [], ["1.2.4.dev5-g1a2b3c4"]),
    ("1.2.4.dev5+g1a2b3c4.d20240501", [], ["1.2.4.dev5-g1a2b3c4.d20240501"]),
    ("1.2.3+local", [], ["1.2.3-local"]),  # a final with a local label is not a release
    ("2.0.0rc1.post2.dev3", [], ["2.0.0rc1.post2.dev3"]),
    # epochs: `!` becomes `_`, floating tags inside the epoch, latest across epochs
    ("1!2.0.0", RELEASES, ["1_2.0.0", "1_2.0", "1_2", "latest"]),
    ("1!2.0.0", ["1!2.0.1"], ["1_2.0.0"]),
    ("1!1.0.0", ["1!2.0.0", "3.0.0"], ["1_1.0.0", "1_1.0", "1_1"]),
    ("3.0.0", ["1!1.0.0"], ["3.0.0", "3.0", "3"]),  # epoch 1 is newer than any epoch 0
    ("1!2.0.0rc1", [], ["1_2.0.0rc1"]),
    ("1!2.0.0+abc", [], ["1_2.0.0-abc"]),
    # unknown release versions (shallow): no floating tags (warning tested below)
    ("1.2.3", None, ["1.2.3"]),
    ("1.2.3rc1", None, ["1.2.3rc1"]),
]


@pytest.mark.parametrize(
    ("version", "releases", "expected"), VERSIONS, ids=[f"v{i}" for i in range(len(VERSIONS))]
)
def test_version_tags_table(version: str, releases: list[str] | None, expected: list[str]) -> None:
    tags, _ = version_tags(version, releases)
    assert tags == expected
    for tag in tags:
        assert GRAMMAR.fullmatch(tag)


def test_version_table_is_large_enough() -> None:
    assert len(VERSIONS) >= 20


def test_epoch_and_local_tags_never_collide() -> None:
    epoch, _ = version_tags("1!2.3", [])
    local, _ = version_tags("1+2.3", [])
    assert epoch[0] != local[0]


def test_release_lines_in_the_order_they_were_tagged() -> None:
    # Each release checked against the ones tagged before it, as a tag build would see them.
    expected = {
        "1.4.6": ["1.4.6", "1.4", "1", "latest"],
        "2.0.0": ["2.0.0", "2.0", "2", "latest"],
        "1.4.7": ["1.4.7", "1.4", "1"],
        "2.1.0rc1": ["2.1.0rc1"],
        "2.0.1": ["2.0.1", "2.0", "2", "latest"],
    }
    for i, version in enumerate(RELEASES):
        assert version_tags(version, RELEASES[: i + 1]) == (expected[version], [])


def test_unknown_release_versions_warn_and_give_no_floating_tags() -> None:
    tags, warnings = version_tags("1.2.3", None)
    assert tags == ["1.2.3"]
    assert len(warnings) == 1
    assert "1.2, 1, latest" in warnings[0]
    assert "shallow" in warnings[0]
    assert "fetch-depth: 0" in warnings[0]


def test_prerelease_with_unknown_release_versions_does_not_warn() -> None:
    assert version_tags("1.2.3rc1", None) == (["1.2.3rc1"], [])


@pytest.mark.parametrize(("version", "releases"), [("not-a-version", []), ("1.2.3", ["1.x"])])
def test_invalid_versions_are_config_errors(version: str, releases: list[str]) -> None:
    with pytest.raises(ConfigError, match="PEP 440"):
        version_tags(version, releases)


def test_absurdly_long_local_version_is_shortened() -> None:
    version = "1.2.3+" + "a" * 200
    (tag,), _ = version_tags(version, [])
    assert len(tag) == 128
    assert GRAMMAR.fullmatch(tag)


# --- small rules --------------------------------------------------------------------------------


def test_pr_and_sha_tags() -> None:
    assert pr_tag(17) == "pr-17"
    assert sha_tag(SHA) == "sha-0123456"
    assert sha_tag(SHA.upper()) == "sha-0123456"
    with pytest.raises(ValueError, match=">= 0"):
        pr_tag(-1)
    with pytest.raises(ConfigError, match="hex"):
        sha_tag("HEAD")


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("latest", True),
        ("_x", True),
        ("1.2.3", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        (".x", False),
        ("-x", False),
        ("a+b", False),
        ("a!b", False),
        ("é", False),
        ("x\n", False),
    ],
)
def test_is_valid_tag(tag: str, valid: bool) -> None:
    assert is_valid_tag(tag) is valid


def test_oci_labels() -> None:
    created = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    labels = oci_labels(
        "1.2.3", SHA, created, "https://user:token@github.com/brewblox/brewblox-devcon-spark"
    )
    assert labels == {
        "org.opencontainers.image.version": "1.2.3",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.created": "2024-05-01T12:00:00Z",
        "org.opencontainers.image.source": "https://github.com/brewblox/brewblox-devcon-spark",
    }
    assert oci_labels("1.2.4.dev1+g0123456", None, created, None) == {
        "org.opencontainers.image.version": "1.2.4.dev1+g0123456",
        "org.opencontainers.image.created": "2024-05-01T12:00:00Z",
    }
    with pytest.raises(ValueError, match="aware"):
        oci_labels("1.2.3", SHA, datetime(2024, 5, 1), None)


# --- compute_tags -------------------------------------------------------------------------------

IMAGE = "brewblox/brewblox-devcon-spark"


def _ctx(event: str, **fields: object) -> BuildContext:
    return BuildContext(provider="github", event=event, is_ci=True, sha=SHA, **fields)  # type: ignore[arg-type]


BRANCH_CTX = _ctx("branch", branch="feature/implement-doodad")
TAG_CTX = _ctx("tag", tag="v1.2.3")
PR_CTX = _ctx("pull_request", pr_number=17, pr_head_branch="feature/implement-doodad")


def test_issue_example_branch_push() -> None:
    result = compute_tags(DockerTagRequest(BRANCH_CTX, "1.2.4.dev3", None, images=[IMAGE]))
    assert result == DockerTags(tags=[f"{IMAGE}:feature-implement-doodad"], warnings=[])


def test_issue_example_tag_build_of_the_newest_release() -> None:
    result = compute_tags(DockerTagRequest(TAG_CTX, "1.2.3", ["1.0.0", "1.2.2"], images=[IMAGE]))
    assert result.tags == [f"{IMAGE}:1.2.3", f"{IMAGE}:1.2", f"{IMAGE}:1", f"{IMAGE}:latest"]
    assert result.warnings == []


def test_tag_build_in_a_shallow_clone_warns() -> None:
    result = compute_tags(DockerTagRequest(TAG_CTX, "1.2.3", None, images=[IMAGE]))
    assert result.tags == [f"{IMAGE}:1.2.3"]
    assert len(result.warnings) == 1


def test_pull_request_gets_pr_tag_not_the_branch() -> None:
    assert compute_tags(DockerTagRequest(PR_CTX, "1.2.4.dev3", None)).tags == ["pr-17"]


def test_pull_request_without_number_is_an_error() -> None:
    ctx = _ctx("pull_request", pr_head_branch="x")
    with pytest.raises(ConfigError, match="GITHUB_EVENT_PATH"):
        compute_tags(DockerTagRequest(ctx, "1.2.4.dev3", None))


def test_prefix_for_an_arm_image() -> None:
    ctx = _ctx("branch", branch="feature/add-doodad")
    result = compute_tags(DockerTagRequest(ctx, "1.0.1.dev1", [], prefix="rpi-"))
    assert result.tags == ["rpi-feature-add-doodad"]


def test_prefix_and_suffix_apply_to_every_tag() -> None:
    request = DockerTagRequest(
        TAG_CTX, "1.2.3", [], images=[IMAGE], prefix="rpi-", suffix="-arm64", sha=True
    )
    assert compute_tags(request).tags == [
        f"{IMAGE}:rpi-1.2.3-arm64",
        f"{IMAGE}:rpi-1.2-arm64",
        f"{IMAGE}:rpi-1-arm64",
        f"{IMAGE}:rpi-latest-arm64",
        f"{IMAGE}:rpi-sha-0123456-arm64",
    ]


def test_prefix_on_a_long_branch_shortens_the_branch_part() -> None:
    name = "feature/" + "z" * 200
    request = DockerTagRequest(_ctx("branch", branch=name), "1.0.dev1", [], prefix="rpi-")
    (tag,) = compute_tags(request).tags
    assert len(tag) == 128
    assert tag == "rpi-" + _hashed(name, keep=116)
    assert GRAMMAR.fullmatch(tag)


def test_prefix_and_suffix_on_a_branch_just_fitting() -> None:
    name = "b" * 120
    request = DockerTagRequest(_ctx("branch", branch=name), "1.0", [], prefix="p-", suffix="-s")
    assert compute_tags(request).tags == ["p-" + name + "-s"]  # 124 characters: kept


@pytest.mark.parametrize(
    ("prefix", "suffix", "message"),
    [
        ("-rpi", "", "starts with"),
        (".rpi", "", "starts with"),
        ("rpi/", "", "prefix"),
        ("", "+arm", "suffix"),
        ("a" * 64, "b" * 64, "at most 128"),
    ],
)
def test_bad_affixes_are_config_errors(prefix: str, suffix: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compute_tags(DockerTagRequest(BRANCH_CTX, "1.0", [], prefix=prefix, suffix=suffix))


def test_affixes_leaving_too_little_room_for_a_long_tag() -> None:
    request = DockerTagRequest(
        _ctx("branch", branch="x" * 200), "1.0", [], prefix="a" * 60, suffix="b" * 62
    )
    with pytest.raises(ConfigError, match="shorter --prefix"):
        compute_tags(request)


def test_edge_on_a_push_of_the_edge_branch_only() -> None:
    main = _ctx("branch", branch="main")
    assert compute_tags(DockerTagRequest(main, "1.0.dev1", [], edge_branch="main")).tags == [
        "main",
        "edge",
    ]
    assert compute_tags(DockerTagRequest(BRANCH_CTX, "1.0.dev1", [], edge_branch="main")).tags == [
        "feature-implement-doodad"
    ]
    pr_into_main = _ctx("pull_request", pr_number=3, pr_head_branch="main")
    assert compute_tags(DockerTagRequest(pr_into_main, "1.0", [], edge_branch="main")).tags == [
        "pr-3"
    ]


def test_sha_tag() -> None:
    result = compute_tags(DockerTagRequest(BRANCH_CTX, "1.0.dev1", [], sha=True))
    assert result.tags == ["feature-implement-doodad", "sha-0123456"]
    no_sha = BuildContext(provider="github", event="branch", branch="main", is_ci=True)
    result = compute_tags(DockerTagRequest(no_sha, "1.0.dev1", [], sha=True))
    assert result.tags == ["main"]
    assert "commit id is not known" in result.warnings[0]


def test_several_images_image_by_image() -> None:
    images = [IMAGE, "ghcr.io/Brewblox/Spark", "localhost:5000/spark"]
    result = compute_tags(DockerTagRequest(TAG_CTX, "2.0.1", RELEASES, images=images, sha=True))
    tags = ["2.0.1", "2.0", "2", "latest", "sha-0123456"]
    assert result.tags == [
        f"{image}:{tag}"
        for image in (IMAGE, "ghcr.io/brewblox/spark", "localhost:5000/spark")
        for tag in tags
    ]
    for ref in result.tags:
        assert GRAMMAR.fullmatch(_ref(ref))


@pytest.mark.parametrize(
    "image", ["", "app:latest", "app@sha256:abc", "-app", "app/", "a//b", "app name", "x" * 256]
)
def test_bad_image_names_are_config_errors(image: str) -> None:
    with pytest.raises(ConfigError, match="--image"):
        compute_tags(DockerTagRequest(BRANCH_CTX, "1.0", [], images=[image]))


def test_hotfix_tag_build_does_not_move_latest() -> None:
    result = compute_tags(DockerTagRequest(_ctx("tag", tag="v1.4.7"), "1.4.7", RELEASES))
    assert result.tags == ["1.4.7", "1.4", "1"]


def test_local_context_uses_the_tag_then_the_branch_then_the_version() -> None:
    at_tag = BuildContext.local(branch="main", tag="v1.2.3", sha=SHA)
    assert compute_tags(DockerTagRequest(at_tag, "1.2.3", [])).tags == [
        "1.2.3",
        "1.2",
        "1",
        "latest",
    ]
    on_branch = BuildContext.local(branch="feature/x", tag=None, sha=SHA)
    assert compute_tags(
        DockerTagRequest(on_branch, "1.2.4.dev1", [], edge_branch="feature/x")
    ).tags == [
        "feature-x"  # edge is for pushes only
    ]
    detached = BuildContext.local(branch=None, tag=None, sha=SHA)
    result = compute_tags(DockerTagRequest(detached, "1.2.4.dev1+g0123456", []))
    assert result.tags == ["1.2.4.dev1-g0123456"]
    assert "version alone" in result.warnings[0]


def test_request_stores_sequences_as_tuples() -> None:
    request = DockerTagRequest(TAG_CTX, "1.2.3", iter(["1.0"]), images=[IMAGE])
    assert request.release_versions == ("1.0",)
    assert request.images == (IMAGE,)
    assert compute_tags(request) == compute_tags(request)  # the iterator was not used up
