"""Promotion: the same bytes of one release, from one index to the next (staging -> production).

:func:`fetch_release` reads every file of ``NAME==VERSION`` from the source index with the simple
repository API (PEP 503 / PEP 691), downloads each
(:func:`vcrelease.publish.indexclient.download`: same host only) and checks its sha256 against
the source listing: what was tested is what moves, never a rebuild.
:func:`unpromoted_dependencies` checks that every ``Requires-Dist`` of the wheels (core metadata,
PEP 508 requirements; markers evaluated for this environment, or all kept with
``all_markers``) has a satisfying version on the target index: a release may not be promoted
above the level of its dependencies. The upload then goes through vc-upload's preflight, upload
and verify (:mod:`vcrelease.publish.upload`): never an overwrite, identical files skipped, a
conflict refuses the whole set before any upload.

Several releases promoted together (a co-released set, :mod:`vcrelease.publish.sets`) are
checked as one and uploaded in dependency order (:mod:`vcrelease.publish.setupload`).
:func:`pin_gaps` and :func:`pin_refusal` hold the rule for exact pins (``name==V``, what
``pin-siblings`` writes): ``V`` must be on the target already, or be promoted with the
member; ``--allow-unpromoted-dependencies`` waives it only for a release the source index
does not have either (a third party's, not one of this pipeline's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import EXIT_REFUSED, ConfigError, VcreleaseError, redact_text
from .dists import Plan, parse_name, plan_files, requires_dist
from .indexclient import DEFAULT_TIMEOUT, download, fetch_listing
from .simpleapi import IndexFile

__all__ = [
    "Fetched",
    "PinGap",
    "PromotionRefused",
    "ReleaseSpec",
    "fetch_release",
    "parse_spec",
    "pin_gaps",
    "pin_refusal",
    "release_files",
    "requirements_of",
    "unpromoted_dependencies",
]

_CHUNK = 1 << 16


class PromotionRefused(VcreleaseError):
    """The release cannot be promoted as it is (exit 1)."""

    exit_code = EXIT_REFUSED


@dataclass(frozen=True)
class ReleaseSpec:
    """``NAME==VERSION``: one release of one project.

    Attributes:
        project: PEP 503 normalised name.
        version: the exact version (PEP 440, normalised).
    """

    project: str
    version: str


def parse_spec(text: str) -> ReleaseSpec:
    """Parse ``NAME==VERSION`` (PEP 508 with exactly one ``==`` clause and no wildcard).

    Raises:
        ConfigError: anything else (exit 2).
    """
    try:
        requirement = Requirement(text)
        (clause,) = requirement.specifier
        if clause.operator not in ("==", "===") or clause.version.endswith(".*"):
            raise ValueError(clause)
        version = str(Version(clause.version))
    except (InvalidRequirement, InvalidVersion, ValueError) as exc:
        raise ConfigError(
            f"{text!r} does not name one release. Write NAME==VERSION, e.g. foo==3.2.1."
        ) from exc
    return ReleaseSpec(str(canonicalize_name(requirement.name)), version)


def release_files(listed: tuple[IndexFile, ...], spec: ReleaseSpec) -> list[IndexFile]:
    """The wheels and the sdist of ``spec`` among a project's listed files (by file name):
    those whose version equals ``spec.version`` under PEP 440 (``3.0`` is ``3.0.0``, one
    release, as the preflight holds: :mod:`vcrelease.publish.preflight`).

    Raises:
        PromotionRefused: the source lists the release under several spellings (exit 1).
    """
    found = []
    wanted = Version(spec.version)
    for item in listed:
        try:
            _kind, project, version = parse_name(Path(item.filename))
        except ConfigError:
            continue
        if project == spec.project and version == wanted:
            found.append((item, str(version)))
    spellings = sorted({spelled for _item, spelled in found})
    if len(spellings) > 1:
        raise PromotionRefused(
            f"The source index lists {spec.project} {spec.version} under several spellings "
            f"({', '.join(spellings)}): builds of one release that may differ, so which one "
            "was tested is unknown. Nothing was promoted; remove all but one from the source."
        )
    return [item for item, _spelled in found]


@dataclass(frozen=True)
class Fetched:
    """The files of one release, downloaded from the source (:func:`fetch_release`).

    Attributes:
        plan: the files, planned (:func:`vcrelease.publish.dists.plan_files`).
        unverified: the file names the source listed without a sha256 (accepted only with
            ``allow_unverified``); empty when every file was checked.
    """

    plan: Plan
    unverified: tuple[str, ...] = ()


def fetch_release(
    session: requests.Session,
    index_url: str,
    spec: ReleaseSpec,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_unverified: bool = False,
) -> Fetched:
    """Download every file of ``spec`` from the simple index at ``index_url`` into ``dest``,
    check each against the sha256 the source lists, and plan them
    (:func:`vcrelease.publish.dists.plan_files`). The credentials are ``session``'s
    (:func:`vcrelease.publish.target.source_session`), for the listing and the downloads.

    Raises:
        ConfigError: the project or version is not on the source index (exit 2), or the files
            fail the plan's checks.
        PromotionRefused: a downloaded file does not match its listed sha256; the source lists
            no sha256 for a file and ``allow_unverified`` is false; the source lists one file
            name twice with different bytes (exit 1).
        IndexUnavailableError: the source cannot be read, or a download fails or redirects
            (exit 4).
    """
    listing = fetch_listing(session, index_url, spec.project, timeout=timeout)
    if not listing.exists:
        raise ConfigError(
            f"{spec.project} is not on the source index {redact_text(index_url)}. Check the name "
            "and the --from index."
        )
    files = release_files(listing.files, spec)
    if not files:
        versions = sorted({str(parse_name(Path(f.filename))[2]) for f in _dists(listing.files)})
        raise ConfigError(
            f"{spec.project} {spec.version} is not on the source index {redact_text(index_url)} "
            f"(it has: {', '.join(versions) or 'no distribution files'})."
        )
    unlisted = sorted({item.filename for item in files if not item.sha256})
    if unlisted and not allow_unverified:
        raise PromotionRefused(
            f"The source index {redact_text(index_url)} lists no sha256 for "
            f"{', '.join(unlisted)} (pypiserver with --hash-algo md5 or none, a plain file "
            "server), so the bytes downloaded cannot be checked against what was tested: "
            "nothing was promoted. Serve sha256 hashes from the source (pypiserver "
            "--hash-algo sha256, the default), or pass --allow-unverified-source to promote "
            "them unchecked (the report then says UNVERIFIED)."
        )
    dest.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    paths: list[Path] = []
    for n, item in enumerate(files):
        path = dest / f"{n}" / item.filename
        path.parent.mkdir()
        with path.open("wb") as f:
            digest = download(session, item, f.write, timeout=timeout)
        if item.sha256 is not None and digest != item.sha256:
            raise PromotionRefused(
                f"{item.filename} from {redact_text(item.url)} has sha256 {digest}, but the "
                f"source index lists {item.sha256}. These are not the bytes that were tested: "
                "nothing was promoted. Check the source index."
            )
        seen = digests.get(item.filename)
        if seen is None:
            digests[item.filename] = digest
            paths.append(path)
        elif seen != digest:
            raise PromotionRefused(
                f"The source index {redact_text(index_url)} lists {item.filename} twice, with "
                f"different bytes (sha256 {seen} and {digest}), so which one was tested is "
                "unknown: nothing was promoted. Remove one of them from the source index."
            )
    return Fetched(plan_files(paths), tuple(unlisted))


def _dists(listed: tuple[IndexFile, ...]) -> list[IndexFile]:
    out = []
    for item in listed:
        try:
            parse_name(Path(item.filename))
        except ConfigError:
            continue
        out.append(item)
    return out


def requirements_of(plan: Plan) -> list[Requirement]:
    """The ``Requires-Dist`` requirements of the plan's wheels (or of the sdist when there is
    no wheel), without duplicates (:func:`vcrelease.publish.dists.requires_dist`).

    Raises:
        ConfigError: the metadata cannot be read, or a requirement is not PEP 508 (exit 2).
    """
    try:
        return [Requirement(text) for text in requires_dist(plan)]
    except InvalidRequirement as exc:
        raise ConfigError(
            f"{plan.project} {plan.version}: a Requires-Dist of its metadata is not a PEP 508 "
            f"requirement ({exc}). Rebuild it."
        ) from None


def unpromoted_dependencies(
    session: requests.Session,
    target_index: str,
    requirements: list[Requirement],
    *,
    all_markers: bool,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[str]:
    """The requirements no version on the target index satisfies, as ``"req (has: ...)"``.

    A requirement whose marker is false in this environment is skipped unless ``all_markers``
    (then every requirement counts, e.g. Windows-only ones). Pre-releases satisfy a requirement
    when its specifier allows them (PEP 440, "Handling of pre-releases"). Extras of the
    requirement are not followed.

    Raises:
        IndexUnavailableError: the target index cannot be read (exit 4).
    """
    missing = []
    for req in requirements:
        if req.marker is not None and not all_markers and not req.marker.evaluate({"extra": ""}):
            continue
        listing = fetch_listing(session, target_index, req.name, timeout=timeout)
        versions = sorted(
            {parse_name(Path(f.filename))[2] for f in _dists(listing.files) if not f.yanked}
        )
        if not any(req.specifier.contains(v, prereleases=True) for v in versions):
            has = ", ".join(map(str, versions[-5:])) or "nothing"
            missing.append(f"{req} (the target has: {has})")
    return missing


@dataclass(frozen=True)
class PinGap:
    """An exact pin of a member that an index does not satisfy.

    Attributes:
        project: the pinned project (PEP 503 normalised).
        version: the pinned version.
        member: the member carrying the pin.
        has: the newest versions the index has of ``project`` (at most 5), for the message.
    """

    project: str
    version: str
    member: str
    has: tuple[str, ...] = ()


def pin_gaps(
    session: requests.Session,
    index_url: str,
    pins: Mapping[str, Sequence[tuple[str, str]]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[PinGap]:
    """The exact pins (member -> ``(project, version)``, :func:`.sets.sibling_pins`) whose
    release the index at ``index_url`` does not have (yanked files do not count).

    Raises:
        IndexUnavailableError: the index cannot be read (exit 4).
    """
    gaps = []
    for member in sorted(pins):
        for project, version in pins[member]:
            listing = fetch_listing(session, index_url, project, timeout=timeout)
            has = sorted(
                {parse_name(Path(f.filename))[2] for f in _dists(listing.files) if not f.yanked}
            )
            if Version(version) not in has:
                gaps.append(PinGap(project, version, member, tuple(map(str, has[-5:]))))
    return gaps


def pin_refusal(gaps: Sequence[PinGap], versions: Mapping[str, str], target_index: str) -> str:
    """The one-paragraph refusal for exact pins the target does not satisfy (exit 1 with
    :class:`PromotionRefused`): each member, the pinned release, what the target has, and the
    fix (promote them together, or the dependency first).

    Rule: "no artifact should be promoted above the promotion level of any of its
    dependencies" (``docs/architecture.md``, ``publish/sets``)."""
    said = "; ".join(
        f"{g.member} {versions[g.member]} pins {g.project}=={g.version}, which the target "
        f"does not have (it has: {', '.join(g.has) or 'nothing'})"
        for g in gaps
    )
    together = " ".join(f"{m}=={versions[m]}" for m in sorted({g.member for g in gaps}))
    deps = " ".join(sorted({f"{g.project}=={g.version}" for g in gaps}))
    return (
        f"Refused, nothing promoted: {said}, and it is not part of this promotion. No release "
        f"may be promoted above the level of its dependencies: {redact_text(target_index)} "
        "would then offer a release that cannot be installed from it. Promote them together "
        f"(`vcrelease promote {together} {deps} ...`: uploaded in dependency order), or "
        f"promote {deps} first. --allow-unpromoted-dependencies does not waive an exact pin "
        "whose release is on the source index (a release of this pipeline, such as a sibling "
        "pinned by pin-siblings)."
    )
