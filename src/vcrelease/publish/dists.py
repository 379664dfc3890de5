"""Distribution files to upload, read and checked before anything touches the network.

:func:`plan_files` turns the paths given to ``vc-upload`` into a :class:`Plan`:

- every file is a wheel (``.whl``, binary distribution format spec / PEP 427) or an sdist
  (``.tar.gz``, source distribution format spec / PEP 625), its name parsed by
  ``packaging.utils.parse_wheel_filename`` / ``parse_sdist_filename``;
- a local version (``+label``, PEP 440 "Local version identifiers") is refused first, before
  any other check: indexes do not accept them and they never leave a developer's machine;
- all files share one project name (PEP 503 normalised) and one version;
- the metadata inside each file (``METADATA`` / ``PKG-INFO``, core metadata spec) is valid and
  names the same project and version as the file name (twine's ``PackageFile``);
- ``twine check``'s rendering check of the long description passes;
- files are ordered wheels first (the smallest first: the overwrite probe of
  :mod:`vcrelease.publish.upload` uploads the first one again), sdist last (an index that sees
  the sdist first may offer it to installers before the wheels exist).

The last two checks need twine (about 0.2 s of imports, and a pass over each file's bytes to
hash them). ``vc-upload`` leaves them out of the plan (``check_contents=False``) and runs them
(:func:`check_contents`) only on the files the index does not have yet, before any upload: a
file already there with the same sha256 is not sent, and a no-op run never imports twine. The
``PackageFile`` made for the check is kept (:func:`package_file`) and is the one twine uploads,
so each file is hashed by twine once.

Imported by the uploader only (twine is the ``upload`` extra).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from ..errors import EXIT_REFUSED, ConfigError, VcreleaseError
from .twineadapter import package_file, render_problems

__all__ = [
    "DistFile",
    "Kind",
    "LocalVersionError",
    "Plan",
    "check_contents",
    "package_file",
    "parse_name",
    "plan_files",
    "plan_set",
    "requires_dist",
    "same_name_files",
    "sha256_of",
]

Kind = Literal["wheel", "sdist"]
_CHUNK = 1 << 20


class LocalVersionError(VcreleaseError):
    """The files carry a local version label (exit 1: refused by policy)."""

    exit_code = EXIT_REFUSED


@dataclass(frozen=True)
class DistFile:
    """One distribution file.

    Attributes:
        path: where it is on disk.
        filename: its name (``demo_pkg-1.0.0-py3-none-any.whl``).
        kind: ``wheel`` or ``sdist``.
        project: PEP 503 normalised project name from the file name.
        version: the version from the file name, normalised (PEP 440).
        sha256: lower-case hex digest of the bytes.
        size: bytes.
    """

    path: Path
    filename: str
    kind: Kind
    project: str
    version: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Plan:
    """The files of one release, checked: one project, one version, wheels first.

    Attributes:
        project: PEP 503 normalised project name.
        version: normalised PEP 440 version.
        files: the files, wheels first (smallest first, then by name), then the sdist.
        contents_checked: the metadata and long description of every file were checked
            (:func:`check_contents`); False when :func:`plan_files` left that to the upload.
    """

    project: str
    version: str
    files: tuple[DistFile, ...]
    contents_checked: bool = True


def parse_name(path: Path) -> tuple[Kind, str, Version]:
    """``(kind, normalised project, version)`` from a distribution file's name.

    Raises:
        ConfigError: not a ``.whl`` or ``.tar.gz`` name that ``packaging`` can parse (exit 2).
    """
    name = path.name
    try:
        if name.endswith(".whl"):
            project, version, _build, _tags = parse_wheel_filename(name)
            return "wheel", _valid_project(path, str(project)), version
        if name.endswith(".tar.gz"):
            project, version = parse_sdist_filename(name)
            return "sdist", _valid_project(path, str(project)), version
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise ConfigError(
            f"{path}: not a valid distribution file name ({exc}). Upload the files "
            "`python -m build` wrote, under their own names."
        ) from exc
    raise ConfigError(
        f"{path} is neither a wheel (.whl) nor an sdist (.tar.gz). Pass only the distribution "
        "files, e.g. `vc-upload dist/*.whl dist/*.tar.gz`."
    )


def _valid_project(path: Path, project: str) -> str:
    """``project`` when it is a valid project name (PEP 508 "Names": ASCII letters, digits,
    ``.``, ``_`` and ``-``, starting and ending with a letter or digit); ``packaging``'s file
    name parsers normalise without checking that.

    Raises:
        ConfigError: not a valid project name (exit 2).
    """
    from packaging.utils import InvalidName

    try:
        return str(canonicalize_name(project, validate=True))
    except InvalidName:
        raise ConfigError(
            f"{path}: {project!r} is not a valid project name (PEP 508: ASCII letters, digits, "
            "'.', '_' and '-', starting and ending with a letter or digit), so no index can "
            "take this file. Rename the project in pyproject.toml and rebuild."
        ) from None


def same_name_files(paths: Iterable[Path]) -> list[Path]:
    """``paths`` with every file name once: two paths whose names are equal (``dup1/x.tar.gz``,
    ``dup2/x.tar.gz``) and whose bytes are equal are one file (the first kept).

    Raises:
        ConfigError: two files of one name with different bytes (exit 2): which one the index
            would get is not for the run to guess.
    """
    kept: dict[str, Path] = {}
    clashes = []
    for path in paths:
        first = kept.setdefault(path.name, path)
        if first != path and sha256_of(first) != sha256_of(path):
            clashes.append(f"{first} and {path}")
    if clashes:
        raise ConfigError(
            f"Two files of one name with different bytes: {'; '.join(clashes)}. An index "
            "takes a file name once, so only one of them can be the release. Nothing was "
            "uploaded: pass the files of one build (clean dist/ before building)."
        )
    return list(kept.values())


def sha256_of(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def plan_files(
    paths: Iterable[Path], *, check_description: bool = True, check_contents: bool = True
) -> Plan:
    """Read and check the files to upload (module docstring); no network. With
    ``check_contents`` false the metadata and description checks are left to the caller
    (:func:`check_contents`, on the files it will upload; :attr:`Plan.contents_checked`).

    Raises:
        ConfigError: no files, a missing or unreadable file, a bad name, several projects or
            versions, metadata that is invalid or disagrees with the name, a long description
            that would not render (exit 2).
        LocalVersionError: a file has a local version (exit 1), raised before other checks.
    """
    paths = list(dict.fromkeys(Path(p) for p in paths))
    if not paths:
        raise ConfigError("No files to upload. Pass the distribution files: `vc-upload dist/*`.")
    folders = [str(p) for p in paths if p.is_dir()]
    if folders:
        raise ConfigError(
            f"{', '.join(folders)} is a directory, not a distribution file. Pass the files in "
            "it: `vc-upload dist/*`."
        )
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"No such file: {', '.join(missing)}. Build first (python -m build).")
    paths = same_name_files(paths)
    names = [(p, *parse_name(p)) for p in paths]
    _refuse_local(names)
    projects = sorted({project for _, _, project, _ in names})
    versions = sorted({str(version) for _, _, _, version in names})
    if len(projects) > 1 or len(versions) > 1:
        listing = "; ".join(f"{p.name}: {proj} {ver}" for p, _, proj, ver in names)
        raise ConfigError(
            f"The files are not one release ({listing}). Upload one version of a project at "
            "a time (the files of several projects are a co-released set, one version each): "
            "clean dist/ before building."
        )
    for path, kind, _, _ in names:
        _check_archive(path, kind)
    files = [
        DistFile(
            path=path,
            filename=path.name,
            kind=kind,
            project=project,
            version=str(version),
            sha256=sha256_of(path),
            size=path.stat().st_size,
        )
        for path, kind, project, version in names
    ]
    # the smallest wheel first: the overwrite probe uploads the first file again
    # (upload.OverwriteGuard); the sdist last (module docstring)
    files.sort(key=lambda f: (f.kind == "sdist", f.size, f.filename))
    if check_contents:
        _check_contents(files, check_description)
    return Plan(projects[0], versions[0], tuple(files), contents_checked=check_contents)


def check_contents(files: Iterable[DistFile], *, check_description: bool = True) -> None:
    """The metadata inside each file is valid and names the file's project and version, and
    (``check_description``) its long description renders (``twine check``): the checks
    :func:`plan_files` leaves out with ``check_contents=False``. Imports twine.

    Raises:
        ConfigError: as :func:`plan_files` (exit 2).
    """
    _check_contents(list(files), check_description)


def _check_contents(files: list[DistFile], check_description: bool) -> None:
    for dist in files:
        _check_metadata(dist.path, dist.project, Version(dist.version), check_description)


def _refuse_local(names: list[tuple[Path, Kind, str, Version]]) -> None:
    local = [p.name for p, _, _, version in names if version.local is not None]
    if local:
        raise LocalVersionError(
            f"{', '.join(local)} carry a local version label (+...), which package indexes "
            "refuse and which never leaves a developer's machine (PEP 440). Nothing was uploaded. "
            "Build in CI (no local label there) or set local-scheme = 'no-local-version'."
        )


def plan_set(
    paths: Iterable[Path], *, check_description: bool = True, check_contents: bool = True
) -> tuple[Plan, ...]:
    """The files of one or more projects (a co-released set, :mod:`vcrelease.publish.sets`),
    one :class:`Plan` per project by name; every plan checked as :func:`plan_files` checks
    one (a project with files of two versions is refused; ``check_contents`` as there). A
    local version anywhere is refused before any other check.

    Raises:
        ConfigError, LocalVersionError: as :func:`plan_files`.
    """
    paths = list(dict.fromkeys(Path(p) for p in paths))
    if not paths or any(not p.is_file() for p in paths):
        plan = plan_files(paths, check_description=check_description, check_contents=check_contents)
        return (plan,)  # its messages
    paths = same_name_files(paths)
    names = [(p, *parse_name(p)) for p in paths]
    _refuse_local(names)
    groups: dict[str, list[Path]] = {}
    for path, _kind, project, _version in names:
        groups.setdefault(project, []).append(path)
    return tuple(
        plan_files(group, check_description=check_description, check_contents=check_contents)
        for _project, group in sorted(groups.items())
    )


def requires_dist(plan: Plan) -> tuple[str, ...]:
    """The ``Requires-Dist`` strings (core metadata, PEP 508) of the plan's wheels, or of its
    sdist when it has no wheel (an sdist's ``PKG-INFO`` may leave them dynamic), in file
    order without duplicates. Read with ``packaging.metadata`` from ``*.dist-info/METADATA``
    (a wheel) or ``<name>-<version>/PKG-INFO`` (an sdist).

    Raises:
        ConfigError: the metadata file is missing or unreadable (exit 2).
    """
    from packaging.metadata import parse_email

    files = [f for f in plan.files if f.kind == "wheel"] or list(plan.files)
    seen: dict[str, None] = {}
    for dist in files:
        raw, _unparsed = parse_email(_metadata_bytes(dist))
        for text in raw.get("requires_dist") or ():
            seen.setdefault(text, None)
    return tuple(seen)


def _metadata_bytes(dist: DistFile) -> bytes:
    import tarfile
    import zipfile

    try:
        if dist.kind == "wheel":
            with zipfile.ZipFile(dist.path) as archive:
                names = [
                    n
                    for n in archive.namelist()
                    if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
                ]
                if len(names) == 1:
                    return archive.read(names[0])
        else:
            with tarfile.open(dist.path, mode="r:gz") as archive:
                for member in archive:
                    top = member.isfile() and member.name.count("/") == 1
                    if top and member.name.endswith("/PKG-INFO"):
                        data = archive.extractfile(member)
                        if data is not None:
                            return data.read()
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, KeyError) as exc:
        raise ConfigError(f"{dist.path}: its metadata cannot be read ({exc}). Rebuild it.") from exc
    where = "*.dist-info/METADATA" if dist.kind == "wheel" else "PKG-INFO"
    raise ConfigError(f"{dist.path}: no {where} at the top of the archive. Rebuild it.")


def _check_archive(path: Path, kind: Kind) -> None:
    """The file must be a readable archive of its kind: a zip (wheel) whose central directory
    reads, or a gzip-compressed tar (sdist) read to its end (a truncated file fails here).

    Raises:
        ConfigError: empty, truncated or not an archive of its kind (exit 2).
    """
    import tarfile
    import zipfile

    problem = None
    try:
        if path.stat().st_size == 0:
            problem = "the file is empty (0 bytes)"
        elif kind == "wheel":
            with zipfile.ZipFile(path) as archive:
                archive.infolist()
        else:
            with tarfile.open(path, mode="r:gz") as archive:
                for _member in archive:
                    pass
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        what = "a zip archive (wheel)" if kind == "wheel" else "a gzip-compressed tar (sdist)"
        problem = f"it is not a readable {what}: {exc or type(exc).__name__}"
    if problem:
        raise ConfigError(
            f"{path}: {problem}. The file is damaged or incomplete (an interrupted build or "
            "copy?): rebuild it (python -m build) and upload the new files."
        )


def _check_metadata(path: Path, project: str, version: Version, check_description: bool) -> None:
    from twine.exceptions import InvalidDistribution

    try:
        package = package_file(path)
    except (InvalidDistribution, OSError, ValueError, EOFError, LookupError) as exc:
        raise ConfigError(
            f"{path}: the metadata inside cannot be read or is invalid ({exc}). Rebuild it."
        ) from exc
    meta = package.metadata_dictionary()
    inner_name, inner_version = str(meta.get("name", "")), str(meta.get("version", ""))
    if canonicalize_name(inner_name) != project or _version(inner_version) != version:
        raise ConfigError(
            f"{path}: the file name says {project} {version}, the metadata inside says "
            f"{inner_name} {inner_version}. The file was renamed or built wrongly: rebuild it."
        )
    if check_description:
        _check_description(path, package)


def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion

    try:
        return Version(text)
    except InvalidVersion:
        return None


def _check_description(path: Path, package: Any) -> None:
    """``twine check``: the long description must render on the index. The steps of twine's
    ``check._check_file``, on the ``PackageFile`` already made (``_check_file`` makes its own,
    hashing the file again: :func:`.twineadapter.render_problems`)."""
    metadata = package.metadata_dictionary()
    description = metadata.get("description")
    declared = metadata.get("description_content_type")
    if not description or description.rstrip() == "UNKNOWN":
        return
    problems = render_problems(description, "text/x-rst" if declared is None else declared)
    if problems is not None:
        raise ConfigError(
            f"{path}: `twine check` fails, the long description would not render on the index "
            f"({problems}). Fix the README markup and rebuild."
        )
