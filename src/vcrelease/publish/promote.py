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

from ..errors import EXIT_REFUSED, ConfigError, VcreleaseError
from .dists import Plan, parse_name, plan_files
from .indexclient import DEFAULT_TIMEOUT, download, fetch_listing
from .simpleapi import IndexFile, redact_url

__all__ = [
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
    """The wheels and the sdist of ``spec`` among a project's listed files (by file name)."""
    found = []
    for item in listed:
        try:
            _kind, project, version = parse_name(Path(item.filename))
        except ConfigError:
            continue
        if project == spec.project and str(version) == spec.version:
            found.append(item)
    return found


def fetch_release(
    session: requests.Session,
    index_url: str,
    spec: ReleaseSpec,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Plan:
    """Download every file of ``spec`` from the simple index at ``index_url`` into ``dest``,
    check each against the listed sha256, and plan them
    (:func:`vcrelease.publish.dists.plan_files`).

    Raises:
        ConfigError: the project or version is not on the source index (exit 2), or the files
            fail the plan's checks.
        PromotionRefused: a downloaded file does not match its listed sha256 (exit 1).
        IndexUnavailableError: the source cannot be read, or a download fails or redirects
            (exit 4).
    """
    listing = fetch_listing(session, index_url, spec.project, timeout=timeout)
    if not listing.exists:
        raise ConfigError(
            f"{spec.project} is not on the source index {redact_url(index_url)}. Check the name "
            "and the --from index."
        )
    files = release_files(listing.files, spec)
    if not files:
        versions = sorted({str(parse_name(Path(f.filename))[2]) for f in _dists(listing.files)})
        raise ConfigError(
            f"{spec.project} {spec.version} is not on the source index {redact_url(index_url)} "
            f"(it has: {', '.join(versions) or 'no distribution files'})."
        )
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in files:
        path = dest / item.filename
        with path.open("wb") as f:
            digest = download(session, item, f.write, timeout=timeout)
        if item.sha256 is not None and digest != item.sha256:
            raise PromotionRefused(
                f"{item.filename} from {redact_url(item.url)} has sha256 {digest}, but the "
                f"source index lists {item.sha256}. These are not the bytes that were tested: "
                "nothing was promoted. Check the source index."
            )
        paths.append(path)
    return plan_files(paths)


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
    no wheel), without duplicates."""
    from twine.package import PackageFile

    files = [f for f in plan.files if f.kind == "wheel"] or list(plan.files)
    seen: dict[str, Requirement] = {}
    for dist in files:
        meta = PackageFile.from_filename(str(dist.path), comment=None).metadata_dictionary()
        for text in meta.get("requires_dist") or []:
            seen.setdefault(str(text), Requirement(str(text)))
    return list(seen.values())


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
        f"may be promoted above the level of its dependencies: {redact_url(target_index)} "
        "would then offer a release that cannot be installed from it. Promote them together "
        f"(`vcrelease promote {together} {deps} ...`: uploaded in dependency order), or "
        f"promote {deps} first. --allow-unpromoted-dependencies does not waive an exact pin "
        "whose release is on the source index (a release of this pipeline, such as a sibling "
        "pinned by pin-siblings)."
    )
