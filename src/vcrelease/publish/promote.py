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
:func:`missing_sibling_pins` holds the rule for exact pins (``name==V``, what
``pin-siblings`` writes): ``V`` must be on the target already, or be promoted with the
member; ``--allow-unpromoted-dependencies`` does not waive it.
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
    "PromotionRefused",
    "ReleaseSpec",
    "fetch_release",
    "missing_sibling_pins",
    "parse_spec",
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


def missing_sibling_pins(
    session: requests.Session,
    target_index: str,
    pins: Mapping[str, Sequence[tuple[str, str]]],
    versions: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str | None:
    """The refusal (one paragraph) when a member's exact pin of a project outside the
    promotion (:func:`vcrelease.publish.sets.sibling_pins`) is not on the target index with
    that version (yanked files do not count), else None.

    Rule: "no artifact should be promoted above the promotion level of any of its
    dependencies" (``docs/architecture.md``, ``publish/sets``).

    Args:
        pins: member -> its ``(project, version)`` exact pins outside the promotion.
        versions: member -> its version (for the message).

    Raises:
        IndexUnavailableError: the target index cannot be read (exit 4).
    """
    gaps = []
    for member in sorted(pins):
        for project, version in pins[member]:
            listing = fetch_listing(session, target_index, project, timeout=timeout)
            has = sorted(
                {parse_name(Path(f.filename))[2] for f in _dists(listing.files) if not f.yanked}
            )
            if Version(version) not in has:
                shown = ", ".join(map(str, has[-5:])) or "nothing"
                gaps.append((member, project, version, shown))
    if not gaps:
        return None
    said = "; ".join(
        f"{m} {versions[m]} pins {p}=={v}, which the target does not have (it has: {h})"
        for m, p, v, h in gaps
    )
    together = " ".join(f"{m}=={versions[m]}" for m in sorted({g[0] for g in gaps}))
    deps = " ".join(sorted({f"{p}=={v}" for _, p, v, _ in gaps}))
    return (
        f"Refused, nothing promoted: {said}, and it is not part of this promotion. No release "
        f"may be promoted above the level of its dependencies: {redact_url(target_index)} "
        "would then offer a release that cannot be installed from it. Promote them together "
        f"(`vcrelease promote {together} {deps} ...`: uploaded in dependency order), or "
        f"promote {deps} first. An exact pin (name==version, what pin-siblings writes) is "
        "never waived by --allow-unpromoted-dependencies."
    )
