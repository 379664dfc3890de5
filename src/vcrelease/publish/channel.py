"""Rollback channels: indirection packages that pin one release of another project. The rules,
pure (no build, no HTTP: those are :mod:`vcrelease.publish.channelio`).

A channel (``foo-stable``) has no code and exactly one dependency, the pin (``foo==3.2.1``).
Customers run ``pip install --upgrade foo-stable`` on a schedule; publishing a new channel
version pinned elsewhere moves every one of them at their next run, forwards or back.

The rules, each with the standard it rests on:

- **The pin** (:func:`parse_pin`, :func:`resolve_pin`) is a PEP 508 requirement in one of three
  forms. *Full*: an exact version (``foo==3.2.0``, or ``===``). *Exclusion*: a specifier with
  at least one ``!=`` clause (``foo>=3.2.0,!=3.2.1``); written as given. *Partial*:
  ``foo 3`` or ``foo 3.2``, like a symlink to the newest file of a series: resolved when the
  channel is built, against the target index, to the highest final release in ``3.*`` /
  ``3.2.*`` (PEP 440 prefix matching; final means not a pre-release or a development release,
  and not yanked, PEP 592; post-releases count, as they do for pip), then pinned exactly
  (``foo==3.2.2``). Plain ranges (``foo>=3.2``, ``foo~=3.2``, ``foo==3.2.*``) are refused:
  pip's default upgrade strategy (``--upgrade-strategy only-if-needed``) upgrades the named
  package only and keeps an installed dependency that still satisfies the requirement, so a
  range would not move a customer who has 3.2.0 and would never roll anyone back. An exact
  pin, or an exclusion of the installed version, no longer satisfied by what is installed,
  makes pip replace it, downgrading when needed. Markers and URLs are refused (a marker leaves
  other environments without a pin; indexes refuse direct references). When the index is
  known, a full pin or an exclusion must match a release on it, or every customer's install
  would fail.
- **The version** (:func:`date_version`) is the date ``YYYY.M.D`` (no zero padding, as PEP 440
  normalises it), and ``YYYY.M.D.N`` with N one higher than the highest N of that date already
  on the target index (yanked files included: their names stay taken). Under PEP 440 ordering
  ``2026.11.21 < 2026.11.21.1 < 2026.11.21.2 < 2026.11.22``, so every move is a new, higher
  version, which is what ``pip install --upgrade`` picks. A version that would not be higher
  than everything the index already has for the channel (a ``--date`` in the past) is
  refused: pip would not move anyone to it.
- **The package** (:func:`pyproject_text`, :func:`readme_text`; built by
  :func:`vcrelease.publish.channelio.build_channel`) is a
  tiny hatchling project built with ``python -m build``: a wheel with metadata only
  (``bypass-selection``) and an sdist, ``Requires-Dist`` the pin, the README saying what the
  channel points at and when it was moved. ``SOURCE_DATE_EPOCH`` is midnight UTC of the chosen
  date, so the same channel version with the same pin gives the same bytes (a concurrent
  identical move is then a skip in vc-upload's preflight, and a different one a refusal).
- **History** (:func:`channel_versions`, :func:`requires_from_wheel`; the wheel downloaded by
  :func:`vcrelease.publish.channelio.read_requires`): every channel version on the
  index, newest first, with its pin read from the wheel's ``METADATA`` ``Requires-Dist``
  (core metadata); the channel points at the highest version that is not yanked (pip ignores
  yanked releases unless pinned, PEP 592).

The release policy of vc-upload (git, CI) does not apply: a channel package is not built from
the repository, so there is no commit or tag to check. The index rules do (never overwrite,
identical files skipped, other bytes refused).
"""

from __future__ import annotations

import calendar
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from packaging.metadata import RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import Version

from ..errors import EXIT_REFUSED, ConfigError, VcreleaseError
from .dists import parse_name
from .simpleapi import IndexFile

__all__ = [
    "ChannelEntry",
    "ChannelVersion",
    "NotAChannel",
    "Pin",
    "PinKind",
    "PinRequest",
    "channel_name",
    "channel_versions",
    "check_is_channel",
    "current_version",
    "date_version",
    "parse_date",
    "parse_pin",
    "pyproject_text",
    "readme_text",
    "requires_from_wheel",
    "resolve_pin",
    "source_date_epoch",
    "summary_text",
    "wheel_metadata",
]

PinKind = Literal["full", "exclusion", "partial"]
_PARTIAL = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?)\s+(\d+(?:\.\d+)*)\s*$")


@dataclass(frozen=True)
class PinRequest:
    """The ``--pin`` as asked, parsed.

    Attributes:
        text: what was given.
        project: PEP 503 normalised name of the pinned project.
        extras: the requirement's extras, sorted.
        kind: ``full``, ``exclusion`` or ``partial``.
        specifier: the PEP 440 specifier (full and exclusion), else None.
        series: the release prefix of a partial pin (``(3, 2)`` for ``foo 3.2``), else None.
    """

    text: str
    project: str
    extras: tuple[str, ...]
    kind: PinKind
    specifier: SpecifierSet | None = None
    series: tuple[int, ...] | None = None

    def requirement(self, specifier: str) -> str:
        """``project[extras]specifier`` as written into ``Requires-Dist``."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.project}{extras}{specifier}"


@dataclass(frozen=True)
class Pin:
    """The dependency a channel version gets.

    Attributes:
        requirement: the PEP 508 requirement written as ``Requires-Dist`` (``foo==3.2.2``).
        request: what was asked for.
        notes: warnings for the user (unchecked pin, pin on a yanked release).
    """

    requirement: str
    request: PinRequest
    notes: tuple[str, ...] = ()


def parse_pin(text: str, *, channel: str | None = None) -> PinRequest:
    """Parse ``--pin`` (module docstring, "The pin"); ``channel`` may not pin itself.

    Raises:
        ConfigError: not one of the three forms, a marker or URL, a plain range (exit 2).
    """
    partial = _PARTIAL.match(text)
    if partial:
        name, series = partial.groups()
        try:
            requirement = Requirement(name)
        except InvalidRequirement as exc:
            raise _bad_pin(text, str(exc)) from None
        request = PinRequest(
            text=text,
            project=str(canonicalize_name(requirement.name)),
            extras=tuple(sorted(requirement.extras)),
            kind="partial",
            series=tuple(int(part) for part in series.split(".")),
        )
    else:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise _bad_pin(text, str(exc)) from None
        if requirement.url:
            raise _bad_pin(text, "a URL requirement (indexes refuse direct references)")
        if requirement.marker is not None:
            raise _bad_pin(text, "a marker would leave other environments without a pin")
        request = PinRequest(
            text=text,
            project=str(canonicalize_name(requirement.name)),
            extras=tuple(sorted(requirement.extras)),
            kind=_kind(text, requirement.name, requirement.specifier),
            specifier=requirement.specifier,
        )
    if channel is not None and canonicalize_name(channel) == request.project:
        raise ConfigError(
            f"The channel {channel} cannot pin itself ({text!r}). Name the project it points "
            "at, e.g. --pin foo==3.2.1 for the channel foo-stable."
        )
    return request


def _kind(text: str, name: str, specifier: SpecifierSet) -> PinKind:
    clauses = list(specifier)
    if any(c.operator in ("==", "===") and not c.version.endswith(".*") for c in clauses):
        return "full"
    if any(c.operator == "!=" for c in clauses):
        return "exclusion"
    if not clauses:
        raise _bad_pin(text, "no version: the channel would point at nothing in particular")
    wildcard = next((c for c in clauses if c.operator == "==" and c.version.endswith(".*")), None)
    if wildcard is not None:
        series = wildcard.version[: -len(".*")]
        raise _bad_pin(
            text,
            f"a wildcard range; write the partial pin '{name} {series}' to pin the newest "
            "final release of that series exactly",
        )
    raise _bad_pin(
        text,
        "a range: pip install --upgrade keeps an installed version that still satisfies it, "
        "so it would not move customers",
    )


def _bad_pin(text: str, why: str) -> ConfigError:
    return ConfigError(
        f"--pin {text!r} is not a channel pin: {why}. Write a full pin (foo==3.2.0), an "
        "exclusion (foo>=3.2.0,!=3.2.1) or a partial pin (foo 3 or foo 3.2: the newest final "
        "release of that series on the index, pinned exactly)."
    )


def resolve_pin(request: PinRequest, listed: Iterable[IndexFile] | None) -> Pin:
    """The requirement the channel gets, checked against the pinned project's files on the
    target index (``listed``; None when no index is known).

    Raises:
        ConfigError: a partial pin without an index, or no release on the index that the pin
            matches (exit 2).
    """
    if listed is None:
        if request.kind == "partial":
            raise ConfigError(
                f"--pin {request.text!r} is resolved against the target index: pass --index "
                "URL (the simple API base), or --upload with the upload options."
            )
        assert request.specifier is not None
        return Pin(
            request.requirement(str(request.specifier)),
            request,
            ("no index given: the pin was not checked against the index's releases",),
        )
    versions = _versions(listed)
    available = sorted(v for v, yanked in versions.items() if not yanked)
    has = ", ".join(map(str, available[-8:])) or "no releases"
    if request.kind == "partial":
        assert request.series is not None
        series = ".".join(map(str, request.series))
        within = SpecifierSet(f"=={series}.*")
        finals = [v for v in available if not v.is_prerelease and within.contains(v)]
        if not finals:
            raise ConfigError(
                f"--pin {request.text!r}: the index has no final release of {request.project} "
                f"in {series}.* (it has: {has}; pre-releases, development releases and yanked "
                "releases are not taken). Upload the release first, or pin another series."
            )
        return Pin(request.requirement(f"=={max(finals)}"), request)
    assert request.specifier is not None
    requirement = request.requirement(str(request.specifier))
    # SpecifierSet.filter is what pip applies: pre-releases only when a clause names one, or
    # when nothing final matches.
    live = list(request.specifier.filter(v for v, yanked in versions.items() if not yanked))
    if not live:
        if request.kind == "full" and list(request.specifier.filter(versions)):
            note = (
                f"{requirement} matches only yanked releases on the index; pip installs them "
                "when pinned exactly, with a warning (PEP 592)"
            )
            return Pin(requirement, request, (note,))
        raise ConfigError(
            f"--pin {request.text!r} matches no release of {request.project} on the index (it "
            f"has: {has}), so every customer's install would fail. Upload the release first, "
            "or fix the pin."
        )
    if all(v.is_prerelease for v in live) and not any(
        Version(c.version.removesuffix(".*")).is_prerelease for c in request.specifier
    ):
        note = (
            f"only pre-releases on the index match {requirement}, so pip installs the newest "
            f"of them ({max(live)})"
        )
        return Pin(requirement, request, (note,))
    return Pin(requirement, request)


def _versions(listed: Iterable[IndexFile]) -> dict[Version, bool]:
    """Version -> yanked (every file of it yanked), for the distribution files listed."""
    yanked: dict[Version, bool] = {}
    for item in listed:
        version = _file_version(item.filename)
        if version is not None:
            yanked[version] = yanked.get(version, True) and item.yanked
    return yanked


def _file_version(filename: str) -> Version | None:
    try:
        return parse_name(Path(filename))[2]
    except ConfigError:
        return None


def date_version(day: date, taken: Iterable[Version], *, channel: str = "the channel") -> Version:
    """The channel version for a move on ``day`` (module docstring, "The version").

    Args:
        day: the move's date.
        taken: every version the target index already has for the channel (yanked included).
        channel: the channel's name, for the message.

    Raises:
        ConfigError: the result would not be higher than every version in ``taken`` (exit 2).
    """
    base = Version(f"{day.year}.{day.month}.{day.day}")
    existing = list(taken)
    same_day = [v for v in existing if v.epoch == 0 and v.release[:3] == base.release]
    if same_day:
        n = max(v.release[3] if len(v.release) > 3 else 0 for v in same_day) + 1
        chosen = Version(f"{base}.{n}")
    else:
        chosen = base
    higher = [v for v in existing if v >= chosen]
    if higher:
        raise ConfigError(
            f"{channel} already has version {max(higher)} on the index, not lower than "
            f"{chosen} for the date {day.isoformat()}. Every channel move must be a higher "
            "version, or pip install --upgrade would not move customers to it: use today's "
            "date (leave out --date) or a later one."
        )
    return chosen


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` (ISO 8601) from ``--date``.

    Raises:
        ConfigError: another format, or a year before 1980 (zip archives start there).
    """
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) or day.year < 1980:
        raise ConfigError(
            f"--date {text!r} is not a date YYYY-MM-DD from 1980 on (e.g. 2026-11-21). Leave "
            "it out to use today's date (UTC)."
        )
    return day


def source_date_epoch(day: date) -> int:
    """Midnight UTC of ``day`` in seconds since 1970 (``SOURCE_DATE_EPOCH``)."""
    return calendar.timegm(day.timetuple())


def summary_text(pin: Pin, day: date) -> str:
    """The one-line ``Summary`` of a channel version."""
    return f"{SUMMARY_PREFIX}points at {pin.requirement} (moved {day.isoformat()})."


def readme_text(channel: str, version: Version, pin: Pin, day: date) -> str:
    """The long description: what the channel points at, since when, and how to use it."""
    name = str(canonicalize_name(channel))
    lines = [
        f"# {name}",
        "",
        f"`{name}` is a rollback channel: an indirection package with no code and one dependency.",
        "",
        f"- Points at: `{pin.requirement}`",
        f"- Moved: {day.isoformat()} (channel version {version})",
    ]
    if pin.request.kind == "partial":
        series = ".".join(map(str, pin.request.series or ()))
        lines.append(
            f"- Asked for: `{pin.request.text.strip()}`, the newest final release of "
            f"`{series}.*` when the channel was moved"
        )
    elif pin.request.kind == "exclusion":
        lines.append("- Asked for: an exclusion; pip picks the newest release it allows")
    lines += [
        "",
        f"Install and follow it with `pip install --upgrade {name}`: every run moves "
        f"`{pin.request.project}` to what the channel points at, forwards or back.",
        "",
    ]
    return "\n".join(lines)


def pyproject_text(channel: str, version: Version, pin: Pin, day: date) -> str:
    """``pyproject.toml`` of the channel project (hatchling; metadata-only wheel)."""
    name = str(canonicalize_name(channel))
    return "\n".join(
        [
            "[build-system]",
            'requires = ["hatchling>=1.26"]',
            'build-backend = "hatchling.build"',
            "",
            "[project]",
            f"name = {json.dumps(name)}",
            f"version = {json.dumps(str(version))}",
            f"description = {json.dumps(summary_text(pin, day))}",
            'readme = "README.md"',
            'requires-python = ">=3"',
            f"dependencies = [{json.dumps(pin.requirement)}]",
            "",
            "[tool.hatch.build.targets.wheel]",
            "bypass-selection = true",
            "",
            "[tool.hatch.build.targets.sdist]",
            'include = ["pyproject.toml", "README.md"]',
            "",
        ]
    )


# --- history ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelVersion:
    """One version of a channel on the index.

    Attributes:
        version: the channel version.
        wheel: its listed wheel (where the pin is read), or None when it has none.
        yanked: every file of the version is yanked (PEP 592).
        has_sdist: an sdist of the version is listed too (the set is complete).
    """

    version: Version
    wheel: IndexFile | None
    yanked: bool
    has_sdist: bool = False

    @property
    def moved(self) -> date | None:
        """The date in a ``YYYY.M.D[.N]`` version, else None."""
        try:
            return date(*self.version.release[:3]) if self.version.epoch == 0 else None
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class ChannelEntry:
    """A channel version and what it pins.

    Attributes:
        info: the version on the index.
        requires: its ``Requires-Dist`` lines (one for a channel); empty without a wheel.
    """

    info: ChannelVersion
    requires: tuple[str, ...]

    @property
    def pin(self) -> str:
        """The pin as one string (``(no wheel)`` when it could not be read)."""
        if self.info.wheel is None:
            return "(no wheel)"
        return "; ".join(self.requires) or "(no dependency)"


def channel_versions(listed: Iterable[IndexFile]) -> list[ChannelVersion]:
    """The channel's versions, newest first (PEP 440 order), each with its wheel."""
    files = list(listed)
    yanked = _versions(files)
    wheels: dict[Version, IndexFile] = {}
    sdists: set[Version] = set()
    for item in files:
        version = _file_version(item.filename)
        if version is None:
            continue
        if not item.filename.endswith(".whl"):
            sdists.add(version)
            continue
        current = wheels.get(version)
        if current is None or (current.yanked and not item.yanked):
            wheels[version] = item
    return [
        ChannelVersion(v, wheels.get(v), yanked[v], v in sdists)
        for v in sorted(yanked, reverse=True)
    ]


def current_version(versions: Iterable[ChannelVersion]) -> ChannelVersion | None:
    """The version ``pip install --upgrade`` picks: the highest that is not yanked."""
    live = [v for v in versions if not v.yanked]
    return max(live, key=lambda v: v.version) if live else None


SUMMARY_PREFIX = "Rollback channel: "
"""How the ``Summary`` of every channel version begins (:func:`summary_text`): what tells a
channel made by vcrelease from another project of the same name."""


class NotAChannel(VcreleaseError):
    """The name is taken on the index by a project that is not a channel (exit 1)."""

    exit_code = EXIT_REFUSED


def check_is_channel(
    name: str, versions: Sequence[ChannelVersion], summary: str | None, index_url: str
) -> None:
    """A channel is moved only where ``name`` is free on the index or holds a channel made by
    vcrelease: every version a date version (``YYYY.M.D[.N]``) and the current version's
    wheel summary beginning with :data:`SUMMARY_PREFIX` (``summary``: None when that wheel
    could not be read or there is none).

    Raises:
        NotAChannel: ``name`` is another project (exit 1): a channel version would become
            the newest release of that project, and ``pip install --upgrade NAME`` would
            install it.
    """
    if not versions:
        return
    undated = [str(v.version) for v in versions if v.moved is None]
    if not undated and summary is not None and summary.startswith(SUMMARY_PREFIX):
        return
    why = (
        f"its versions {', '.join(undated[:5])} are not channel dates"
        if undated
        else f"its newest wheel does not describe a rollback channel (summary: {summary!r})"
    )
    raise NotAChannel(
        f"{name} is a project on {index_url} that is not a channel made by vcrelease ({why}). "
        "A channel version uploaded under its name would become that project's newest release "
        "and replace it for everyone who runs `pip install --upgrade " + name + "`. Nothing was "
        "uploaded: choose another channel name, e.g. " + name + "-stable."
    )


def requires_from_wheel(data: bytes) -> tuple[str, ...]:
    """``Requires-Dist`` of a wheel's ``*.dist-info/METADATA`` (core metadata).

    Raises:
        ValueError: not a wheel with one ``.dist-info/METADATA``.
    """
    return tuple(wheel_metadata(data).get("requires_dist") or ())


def wheel_metadata(data: bytes) -> RawMetadata:
    """The core metadata of a wheel's ``*.dist-info/METADATA``, read by
    ``packaging.metadata.parse_email`` (the package's one core-metadata reader).

    Raises:
        ValueError: not a wheel with one ``.dist-info/METADATA``.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            names = [
                n
                for n in wheel.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            if len(names) != 1:
                raise ValueError(f"{len(names)} .dist-info/METADATA files")
            raw = wheel.read(names[0])
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a zip archive ({exc})") from None
    metadata, _unparsed = parse_email(raw)
    return metadata


def channel_name(text: str) -> str:
    """The channel's PEP 503 normalised name.

    Raises:
        ConfigError: not a valid project name (PEP 508).
    """
    try:
        return str(canonicalize_name(text, validate=True))
    except InvalidName:
        raise ConfigError(
            f"{text!r} is not a valid project name for a channel (letters, digits, '.', '_' "
            "and '-', starting and ending with a letter or digit), e.g. foo-stable."
        ) from None
