"""Docker tags and OCI labels from a build context, a version and the known release versions.

Pure rules, no I/O (``docs/architecture.md``, "Docker tags"):

- branch build: :func:`branch_tag`, the branch name made a valid tag;
- pull request: :func:`pr_tag`, ``pr-<number>``;
- tag build: :func:`version_tags`, the version plus the floating ``X.Y``, ``X``, ``latest``
  where this is the newest final release of that line;
- optional ``sha-<7 hex>`` (:func:`sha_tag`), ``edge`` for pushes to one branch, a prefix and a
  suffix on every tag, several image names: :func:`compute_tags`;
- OCI labels: :func:`oci_labels`.

Sources:

- tag grammar: distribution/reference, ``tag := /[\\w][\\w.-]{0,127}/`` with ``\\w`` =
  ``[A-Za-z0-9_]`` (https://github.com/distribution/reference/blob/main/reference.go);
  image names: the same grammar's ``name`` (lower-case path components joined by ``.``, ``_``,
  ``__`` or ``-``, optional ``domain[:port]/``, at most 255 characters);
- branch clean-up: docker/metadata-action's ``sanitizeTag``, ``[^a-zA-Z0-9._-]+`` -> ``-``,
  case kept (https://github.com/docker/metadata-action, "Image name and tag sanitization");
- versions: PEP 440 through ``packaging.version.Version``;
- labels: OCI image spec, pre-defined annotation keys
  (https://github.com/opencontainers/image-spec/blob/main/annotations.md), ``created`` in RFC 3339.

Choices where the rules leave room:

- epoch versions: ``!`` is not allowed in a tag and becomes ``_`` (``1!2.0.0`` -> ``1_2.0.0``);
  ``_`` occurs in no other normalised version, so two versions never share a tag (``-``
  would: ``1!2.3`` and ``1+2.3``). A final epoch release gets floating tags in the same form
  (``1_2.0``, ``1_2``, compared within its epoch) and ``latest`` when it is the highest release
  overall (epochs order first, as in PEP 440), so a project that moved to an epoch keeps a
  moving ``latest``;
- a version with a local label (``1.2.3+g1a2b3c4``) is not a release: the version alone
  (``1.2.3-g1a2b3c4``), no floating tags;
- the version tag of a two-part release ``1.2`` and the floating tag ``1.2`` of that line are
  one tag: once ``1.2.1`` is released it moves to ``1.2.1`` (as with metadata-action's semver);
- the prefix and suffix apply to every tag, ``latest``, ``edge`` and ``sha-...`` included
  (``rpi-latest``: an architecture variant must not move the plain ``latest``);
- a tag that would be longer than 128 characters keeps its first characters and ends in ``-``
  plus 7 hex digits of the SHA-256 of the full name it was made from, 128 in all, so long
  names that share a beginning still get different tags.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from packaging.version import InvalidVersion, Version

from ..ci.context import BuildContext
from ..errors import ConfigError, strip_credentials

__all__ = [
    "HASH_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_TAG_LENGTH",
    "DockerTagRequest",
    "DockerTags",
    "branch_tag",
    "compute_tags",
    "is_valid_tag",
    "oci_labels",
    "pr_tag",
    "sha_tag",
    "version_tags",
]

MAX_TAG_LENGTH = 128
MAX_NAME_LENGTH = 255
HASH_LENGTH = 7

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_NOT_TAG_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_AFFIX = re.compile(r"[A-Za-z0-9_.-]*")
_HEX = re.compile(r"[0-9a-fA-F]{7,64}")

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_IMAGE_NAME = re.compile(rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")

_FETCH_TAGS_FIX = (
    "Fetch the history and the tags: with actions/checkout set `fetch-depth: 0`; "
    "elsewhere run `git fetch --tags` (with `--unshallow` in a shallow clone)."
)


def is_valid_tag(tag: str) -> bool:
    """True when ``tag`` matches the Docker tag grammar ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    return _TAG.fullmatch(tag) is not None


def branch_tag(name: str) -> str:
    """A branch name made a valid Docker tag.

    Runs of characters outside ``[A-Za-z0-9_.-]`` become one ``-`` (case kept), then leading
    ``.`` and ``-`` are removed (``feature/implement-doodad`` -> ``feature-implement-doodad``,
    ``-x`` -> ``x``). A result over 128 characters keeps its first 120 and ends in ``-`` plus 7
    hex digits of the SHA-256 of the full original name (UTF-8), exactly 128 in all.

    Raises:
        ConfigError: nothing usable is left (``"🚀"``, ``"--"``, ``""``).
    """
    return _fit(_branch_core(name), name, MAX_TAG_LENGTH)


def pr_tag(number: int) -> str:
    """``pr-<number>`` (``pr_tag(12)`` -> ``pr-12``).

    Raises:
        ValueError: ``number`` is negative.
    """
    if number < 0:
        raise ValueError(f"pull request number must be >= 0, got {number}")
    return f"pr-{number}"


def sha_tag(sha: str) -> str:
    """``sha-`` plus the first 7 hex digits of a commit id, lower case.

    Raises:
        ConfigError: ``sha`` is not 7-64 hex digits.
    """
    if not _HEX.fullmatch(sha):
        raise ConfigError(
            f"commit id {sha!r} is not 7 to 64 hex digits, so no `sha-` tag can be made from it."
        )
    return f"sha-{sha[:HASH_LENGTH].lower()}"


def version_tags(
    version: str, release_versions: Iterable[str] | None
) -> tuple[list[str], list[str]]:
    """The tags of a version: ``(tags, warnings)``.

    - final release ``X.Y.Z``: ``X.Y.Z``; ``X.Y`` when it is the highest final release with
      that epoch, major and minor among ``release_versions`` and itself; ``X`` likewise for the
      major line; ``latest`` when it is the highest final release of all. A hotfix ``1.4.7``
      after ``2.0.0`` gets ``1.4.7``, ``1.4``, ``1``. Two-part ``1.2``: ``1.2``, ``1``,
      ``latest`` by the same rules; one-part ``1``: ``1``, ``latest``. Releases compare as
      PEP 440 versions (``1.2`` == ``1.2.0``); only final releases count (no pre, post, dev or
      local part);
    - pre-, post- and dev releases, local versions: the normalised version alone;
    - in every tag ``+`` becomes ``-`` and an epoch's ``!`` becomes ``_`` (see the module
      docstring); tags longer than 128 characters are shortened with the hash rule.

    Args:
        version: the version being tagged (PEP 440).
        release_versions: versions of all the repository's version tags, or None when they are
            not known (shallow clone, tags not fetched): then a final release gets no floating
            tags and a warning says why and how to fix it.

    Raises:
        ConfigError: ``version`` or one of ``release_versions`` is not a PEP 440 version.
    """
    cores, warnings = _version_cores(version, release_versions)
    return [_fit(core, core, MAX_TAG_LENGTH) for core in cores], warnings


def oci_labels(
    version: str, revision: str | None, created: datetime, source: str | None
) -> dict[str, str]:
    """OCI image labels ``org.opencontainers.image.*``.

    Args:
        version: the package version, as is (``1.2.3``, ``1.2.4.dev5+g1a2b3c4``).
        revision: the commit id, or None to leave ``revision`` out.
        created: an aware datetime (the commit time, so a rebuild gives the same labels);
            written in RFC 3339, UTC, whole seconds (``2024-05-01T12:00:00Z``).
        source: repository URL, or None to leave ``source`` out; credentials are removed.

    Returns:
        ``{"org.opencontainers.image.version": ..., ".revision": ..., ".created": ...,
        ".source": ...}`` (full keys).

    Raises:
        ValueError: ``created`` is naive (its time zone is unknown).
    """
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("created must be an aware datetime (with a time zone)")
    labels = {"org.opencontainers.image.version": version}
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    stamp = created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels["org.opencontainers.image.created"] = stamp
    if source:
        labels["org.opencontainers.image.source"] = strip_credentials(source)
    return labels


@dataclass(frozen=True)
class DockerTagRequest:
    """What to tag: the build, the version, and the options of ``vcrelease docker-tags``.

    Attributes:
        context: the build (:class:`~vcrelease.ci.BuildContext`).
        version: the PEP 440 version being built.
        release_versions: versions of the project's version tags (its tag pattern: in a monorepo
            never another project's), or None when unknown
            (shallow clone); stored as a tuple.
        images: image names (``ghcr.io/owner/app``); lower-cased as metadata-action does; none:
            bare tags. Stored as a tuple.
        prefix: put before every tag (``rpi-``); characters ``[A-Za-z0-9_.-]``, not starting
            with ``.`` or ``-``.
        suffix: put after every tag (``-arm64``); characters ``[A-Za-z0-9_.-]``.
        sha: add ``sha-<7 hex>`` of ``context.sha``.
        edge_branch: add ``edge`` on a push (``branch`` event) of this branch.
    """

    context: BuildContext
    version: str
    release_versions: Iterable[str] | None = None
    images: Sequence[str] = ()
    prefix: str = ""
    suffix: str = ""
    sha: bool = False
    edge_branch: str | None = None

    def __post_init__(self) -> None:
        if self.release_versions is not None:
            object.__setattr__(self, "release_versions", tuple(self.release_versions))
        object.__setattr__(self, "images", tuple(self.images))


@dataclass(frozen=True)
class DockerTags:
    """The result of :func:`compute_tags`.

    Attributes:
        tags: full references (``image:tag``), image by image, or bare tags without images;
            no duplicates, in a stable order (ref tags, ``edge``, ``sha-...``).
        warnings: one sentence each: what was left out, why, and the fix.
    """

    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compute_tags(request: DockerTagRequest) -> DockerTags:
    """The Docker tags for a build.

    By ``request.context.event``:

    - ``branch``: :func:`branch_tag` of the branch, plus ``edge`` when it is ``edge_branch``;
    - ``pull_request``: :func:`pr_tag` of the number;
    - ``tag``: :func:`version_tags` of ``version``;
    - ``manual`` (outside CI, or CI without a ref): a tag at HEAD gives the version tags, else
      a branch gives its branch tag, else the version alone with a warning.

    Then ``sha-<7 hex>`` when asked, the prefix and suffix on every tag (a tag that would pass
    128 characters is shortened with the hash rule, the affixes kept whole), and every tag
    under every image.

    Raises:
        ConfigError: a bad prefix, suffix or image name; affixes leaving too little room; a
            branch name with no usable character; a pull-request build without a number
            (GitHub ``pull_request_target`` without the event payload); a version that is not
            PEP 440.
    """
    ctx = request.context
    _check_affixes(request.prefix, request.suffix)
    images = [_image_name(image) for image in request.images]
    release_versions = request.release_versions
    cores: list[tuple[str, str]] = []  # (tag before prefix/suffix, name hashed when too long)
    warnings: list[str] = []

    def add_versions() -> None:
        found, notes = _version_cores(request.version, release_versions)
        cores.extend((core, core) for core in found)
        warnings.extend(notes)

    if ctx.event == "tag":
        add_versions()
    elif ctx.event == "branch" and ctx.branch is not None:
        cores.append((_branch_core(ctx.branch), ctx.branch))
        if request.edge_branch is not None and ctx.branch == request.edge_branch:
            cores.append(("edge", "edge"))
    elif ctx.event == "pull_request":
        if ctx.pr_number is None:
            raise ConfigError(
                "This is a pull-request build but its number is unknown, so no `pr-<number>` "
                "tag can be made. On GitHub `pull_request_target` runs, pass the event payload "
                "(the JSON file GITHUB_EVENT_PATH names)."
            )
        tag = pr_tag(ctx.pr_number)
        cores.append((tag, tag))
    elif ctx.event == "manual" and ctx.tag is not None:
        add_versions()
    elif ctx.event == "manual" and ctx.branch is not None:
        cores.append((_branch_core(ctx.branch), ctx.branch))
    else:
        core = _version_core(_parse_version(request.version))
        cores.append((core, core))
        warnings.append(
            f"No branch, tag or pull request is known for this build, so it is tagged with its "
            f"version alone ({core}). Check out a branch or a tag, or run in CI."
        )
    if request.sha:
        if ctx.sha is None:
            warnings.append(
                "The `sha-` tag is left out: the commit id is not known. Run in CI or in a "
                "git checkout."
            )
        else:
            tag = sha_tag(ctx.sha)
            cores.append((tag, tag))

    tags: list[str] = []
    for core, key in cores:
        tag = _affixed(core, key, request.prefix, request.suffix)
        if tag not in tags:
            tags.append(tag)
    if images:
        return DockerTags(
            tags=[f"{image}:{tag}" for image in images for tag in tags], warnings=warnings
        )
    return DockerTags(tags=tags, warnings=warnings)


# --- helpers ------------------------------------------------------------------------------------


def _digest(name: str) -> str:
    data = name.encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def _fit(core: str, key: str, limit: int) -> str:
    """``core`` if it has at most ``limit`` characters, else cut and ended by ``-<hash of key>``."""
    if len(core) <= limit:
        return core
    keep = limit - HASH_LENGTH - 1
    if keep < 1:
        raise ConfigError(
            f"The prefix and suffix leave {limit} characters for the tag {core!r}; at least "
            f"{HASH_LENGTH + 2} are needed to shorten it. Use a shorter --prefix or --suffix."
        )
    return f"{core[:keep]}-{_digest(key)}"


def _branch_core(name: str) -> str:
    core = _NOT_TAG_CHARS.sub("-", name).lstrip(".-")
    if not core:
        raise ConfigError(
            f"Branch {name!r} has no character a Docker tag can use (A-Z, a-z, 0-9, `_`, and "
            f"`.`/`-` after the first). Rename the branch, or tag the image yourself."
        )
    return core


def _check_affixes(prefix: str, suffix: str) -> None:
    for option, value in (("--prefix", prefix), ("--suffix", suffix)):
        if not _AFFIX.fullmatch(value):
            raise ConfigError(
                f"{option} {value!r} has characters a Docker tag cannot hold; use only A-Z, "
                f"a-z, 0-9, `_`, `.` and `-`."
            )
    if prefix[:1] in (".", "-"):
        raise ConfigError(
            f"--prefix {prefix!r} starts with {prefix[0]!r}, and a Docker tag cannot; start it "
            f"with a letter, a digit or `_`."
        )
    if len(prefix) + len(suffix) >= MAX_TAG_LENGTH:
        raise ConfigError(
            f"--prefix and --suffix together have {len(prefix) + len(suffix)} characters; a "
            f"Docker tag has at most {MAX_TAG_LENGTH}. Shorten them."
        )


def _affixed(core: str, key: str, prefix: str, suffix: str) -> str:
    tag = prefix + _fit(core, key, MAX_TAG_LENGTH - len(prefix) - len(suffix)) + suffix
    if not is_valid_tag(tag):  # pragma: no cover - the rules above make this unreachable
        raise ConfigError(f"{tag!r} is not a valid Docker tag.")
    return tag


def _image_name(image: str) -> str:
    name = image.strip().lower()
    if len(name) > MAX_NAME_LENGTH or not _IMAGE_NAME.fullmatch(name):
        raise ConfigError(
            f"--image {image!r} is not a Docker image name: lower-case path components "
            f"([a-z0-9] joined by `.`, `_`, `__` or `-`) separated by `/`, optionally after "
            f"`registry[:port]/`, at most {MAX_NAME_LENGTH} characters, and no `:tag` or "
            f"`@digest`."
        )
    return name


def _parse_version(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        raise ConfigError(
            f"{version!r} is not a PEP 440 version, so no Docker tag can be made from it."
        ) from None


def _is_final(version: Version) -> bool:
    return not (
        version.is_prerelease
        or version.is_postrelease
        or version.is_devrelease
        or version.local is not None
    )


def _version_core(version: Version) -> str:
    return str(version).replace("+", "-").replace("!", "_")


def _release_part(version: Version, length: int) -> str:
    text = ".".join(str(part) for part in version.release[:length])
    return f"{version.epoch}_{text}" if version.epoch else text


def _padded(version: Version, length: int) -> tuple[int, ...]:
    release = version.release + (0,) * length
    return (version.epoch, *release[:length])


def _version_cores(
    version: str, release_versions: Iterable[str] | None
) -> tuple[list[str], list[str]]:
    parsed = _parse_version(version)
    core = _version_core(parsed)
    if not _is_final(parsed):
        return [core], []
    floating: list[tuple[str, int | None]] = []  # (tag, line length; None: all releases)
    if len(parsed.release) >= 2:
        floating.append((_release_part(parsed, 2), 2))
    floating.append((_release_part(parsed, 1), 1))
    floating.append(("latest", None))
    if release_versions is None:
        names = ", ".join(tag for tag, _ in floating if tag != core)
        return [core], [
            f"{core}: floating tags ({names}) left out: the repository's version tags are not "
            f"known (shallow clone, or tags not fetched), so whether {parsed} is the newest "
            f"release of its line cannot be checked. {_FETCH_TAGS_FIX}"
        ]
    finals = [parsed]
    finals.extend(v for v in map(_parse_version, release_versions) if _is_final(v))
    tags = [core]
    for tag, length in floating:
        if length is None:
            line = finals
        else:
            line = [v for v in finals if _padded(v, length) == _padded(parsed, length)]
        if parsed >= max(line) and tag not in tags:
            tags.append(tag)
    return tags, []
