"""The deploy root on disk: version directories, partial-version links, atomic swaps.

Rules:

- a project's directory is its normalized name (PEP 503 ``canonicalize_name``); a version's
  directory is its normalized version (PEP 440 ``str(Version(v))``), holding a complete install
  only: it appears by one ``rename(2)`` of a finished temporary directory, and carries
  :data:`MARKER`;
- a *partial version* ``X``, ``X.Y``, ... names the highest installed version whose release
  starts with it (PEP 440 prefix matching, ``==X.Y.*``), final releases first: a pre-, post- or
  dev release counts only when no final release matches (PEP 440, "Handling of pre-releases");
  an exact version names itself ("as specific as written");
- every partial version of an installed version has a link ``ROOT/NAME/X.Y -> X.Y.Z`` to what
  it names, unless a version directory has that name (``1.2`` installed wins the name ``1.2``);
  ``live`` and ``previous`` are links too;
- a link is replaced by making the new link under a temporary name and renaming it over the
  old one (``rename(2)`` is atomic), so a reader sees the old target or the new one, never a
  missing or half-made link;
- a link's target is a version directory's bare name (relative): one that points elsewhere
  was changed by hand and is refused, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import EXIT_REFUSED, ConfigError, VcreleaseError

__all__ = [
    "LIVE",
    "MARKER",
    "PREVIOUS",
    "DeployRefused",
    "NotInstalled",
    "check_owner",
    "desired_links",
    "installed_versions",
    "link_target",
    "locked",
    "project_dir",
    "remove_link",
    "select",
    "swap_link",
    "update_links",
]

LIVE = "live"
PREVIOUS = "previous"
MARKER = ".vcrelease-deploy.json"
"""Written last into a version directory before it is renamed into place: its presence says
the install is complete (name, version, installer, time)."""

_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_RELEASE_PREFIX = re.compile(r"^(?:(\d+)!)?(\d+(?:\.\d+)*)$")


class DeployRefused(VcreleaseError):
    """The deploy root refuses the operation (exit 1): another user's root, a version that
    ``live`` or ``previous`` points at, a link changed by hand. Nothing was changed."""

    exit_code = EXIT_REFUSED


class NotInstalled(ConfigError):
    """The project, version or spec names nothing installed under the root (exit 2)."""


def project_dir(root: Path, name: str) -> Path:
    """``ROOT/<normalized name>``.

    Raises:
        ConfigError: ``name`` is not a valid project name (PEP 508 names).
    """
    if not _NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a project name (letters, digits, '.', '-', '_'; PEP 508). "
            "Give the name the project is published under, e.g. `my-app`."
        )
    return root / canonicalize_name(name)


def check_owner(root: Path) -> None:
    """Refuse a deploy root that another user owns, as git refuses another user's
    repository: its links decide what runs, so only its owner may move them.

    Raises:
        DeployRefused: ``root`` (or the first existing directory above it) has another owner.
    """
    probe = root
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    owner = probe.stat().st_uid
    if owner != os.geteuid():
        raise DeployRefused(
            f"{probe} is owned by user id {owner}, not by you ({os.geteuid()}): vcrelease deploy "
            "changes only a root you own. Run it as that user, or choose a root of your own "
            "with --root."
        )


def installed_versions(directory: Path) -> dict[str, Version]:
    """The complete installs under a project directory: ``{directory name: Version}``.

    Only directories (not links) whose name is a normalized PEP 440 version and that hold
    :data:`MARKER` count; temporary and half-removed directories are hidden (a leading dot).
    """
    found: dict[str, Version] = {}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            version = Version(entry.name)
        except InvalidVersion:
            continue
        if str(version) == entry.name and os.path.exists(os.path.join(entry.path, MARKER)):
            found[entry.name] = version
    return found


def _prefer(candidates: list[tuple[str, Version]]) -> str | None:
    """The highest final release among ``candidates``, else the highest of all."""
    finals = [c for c in candidates if not c[1].is_prerelease]
    pool = finals or candidates
    return max(pool, key=lambda c: c[1])[0] if pool else None


def select(versions: Mapping[str, Version], spec: str) -> str | None:
    """The installed version (its directory name) that ``spec`` names, or None.

    ``spec`` is a partial version (``1``, ``1.2``: the highest installed ``==1.2.*``), an exact
    version directory's own name (``1.1``: that version), a pre-, post- or dev release
    (``2.0rc1``: that version only), or PEP 440 specifiers (``>=1.2,<2``). Final releases are
    preferred; pre- and dev releases count only when nothing else matches.

    Raises:
        ConfigError: ``spec`` is none of these.
    """
    spec = spec.strip()
    prefix = _RELEASE_PREFIX.match(spec)
    if prefix is None and not spec[:1].isdigit():
        try:
            specifiers = SpecifierSet(spec)
        except InvalidSpecifier:
            raise ConfigError(
                f"{spec!r} is not a version spec: give a partial version (`1`, `1.2`), a "
                "version (`1.2.3`) or PEP 440 specifiers (`>=1.2,<2`)."
            ) from None
        return _prefer([(n, v) for n, v in versions.items() if specifiers.contains(v, True)])
    if spec in versions:
        return spec  # a version directory's own name names it
    try:
        wanted = Version(spec)
    except InvalidVersion:
        raise ConfigError(
            f"{spec!r} is not a version spec: give a partial version (`1`, `1.2`), a version "
            "(`1.2.3`) or PEP 440 specifiers (`>=1.2,<2`)."
        ) from None
    if prefix is None:  # a pre-, post- or dev release names only itself
        exact = [(n, v) for n, v in versions.items() if v == wanted]
        return max(exact, key=lambda c: c[0])[0] if exact else None
    epoch = int(prefix.group(1) or 0)
    release = tuple(int(part) for part in prefix.group(2).split("."))
    size = len(release)

    def starts_with(v: Version) -> bool:
        padded = v.release + (0,) * max(0, size - len(v.release))
        return v.epoch == epoch and padded[:size] == release

    return _prefer([(n, v) for n, v in versions.items() if starts_with(v)])


def desired_links(versions: Mapping[str, Version]) -> dict[str, str]:
    """``{partial version: version directory}`` for every partial version of an installed
    version that no version directory already names."""
    names: set[str] = set()
    for version in versions.values():
        epoch = f"{version.epoch}!" if version.epoch else ""
        for size in range(1, len(version.release) + 1):
            names.add(epoch + ".".join(str(part) for part in version.release[:size]))
    links = {}
    for name in sorted(names):
        if name in versions:
            continue
        target = select(versions, name)
        if target is not None:
            links[name] = target
    return links


def _is_partial_name(name: str) -> bool:
    return _RELEASE_PREFIX.match(name) is not None


def swap_link(directory: Path, name: str, target: str) -> None:
    """Point ``directory/name`` at ``target`` atomically (a new link renamed over the old)."""
    temporary = directory / f".link-{secrets.token_hex(6)}"
    os.symlink(target, temporary)
    try:
        os.replace(temporary, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def remove_link(directory: Path, name: str) -> None:
    """Remove the link ``directory/name`` if it is there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(directory / name)


def link_target(directory: Path, name: str) -> str | None:
    """The version directory that the link ``directory/name`` points at, or None without one.

    Raises:
        DeployRefused: the link points anywhere but a sibling directory (changed by hand).
    """
    try:
        target = os.readlink(directory / name)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # not a link: a file or directory someone put there
            raise DeployRefused(
                f"{directory / name} is not a symbolic link: vcrelease deploy manages that "
                "name. Move it away and run the command again."
            ) from None
        raise
    if "/" in target or target in {"", ".", ".."} or target.startswith("."):
        raise DeployRefused(
            f"{directory / name} points at {target!r}, outside the project's versions (a link "
            "changed by hand). Nothing was changed: point it back at an installed version "
            f"(`vcrelease deploy {name if name == LIVE else 'live'} ...`) or remove it."
        )
    return target


def update_links(directory: Path, versions: Mapping[str, Version]) -> dict[str, str]:
    """Make the partial-version links of ``directory`` what :func:`desired_links` says: new
    and moved links swapped atomically, links of series with nothing installed removed.
    Returns the links as they now are."""
    wanted = desired_links(versions)
    for entry in os.scandir(directory):
        if entry.is_symlink() and _is_partial_name(entry.name) and entry.name not in wanted:
            remove_link(directory, entry.name)
    for name, target in wanted.items():
        try:
            current = os.readlink(directory / name)
        except OSError:
            current = None
        if current != target:
            swap_link(directory, name, target)
    return wanted


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the project's lock (``flock`` on ``directory/.lock``) so that two deploy commands
    do not compute links from different views of the installed versions."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
