"""Deploy operations: install beside, remove, live, rollback, list (:mod:`.layout` has the
rules).

An install runs pip's or uv's own installer (``--target``): the release and its whole
dependency closure go into a hidden temporary directory of the project, are checked (the
installed distribution has the requested version), get console-script wrappers, and appear
under their final name by one ``rename(2)``. An interrupted install leaves only a hidden
``.install-*`` directory, removed by the next install. Every change of links happens under
the project's lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..errors import EXIT_NETWORK, ConfigError, VcreleaseError, redact_text
from .layout import (
    LIVE,
    MARKER,
    PREVIOUS,
    DeployRefused,
    NotInstalled,
    check_owner,
    installed_versions,
    link_target,
    locked,
    project_dir,
    select,
    swap_link,
    update_links,
)

__all__ = [
    "INSTALLERS",
    "InstallFailed",
    "InstallResult",
    "ProjectState",
    "install",
    "remove",
    "resolve",
    "rollback",
    "script_path",
    "set_live",
    "states",
]

INSTALLERS = ("pip", "uv")


class InstallFailed(VcreleaseError):
    """pip or uv could not install the release (exit 4: the index or the network; the
    installer's own message is quoted). Nothing was installed under the final name."""

    exit_code = EXIT_NETWORK


@dataclass(frozen=True)
class InstallResult:
    """What ``deploy install`` did.

    Attributes:
        name: the normalized project name.
        version: the version directory's name.
        path: ``ROOT/NAME/VERSION``.
        already: the version was installed before (nothing done).
        links: the partial-version links after the install, ``{link: version}``.
        scripts: the console scripts made in ``bin/``.
    """

    name: str
    version: str
    path: Path
    already: bool
    links: dict[str, str] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectState:
    """One project under a deploy root: installed versions (oldest first), links, live."""

    name: str
    versions: tuple[str, ...]
    links: dict[str, str]
    live: str | None
    previous: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "versions": list(self.versions),
            "links": self.links,
            "live": self.live,
            "previous": self.previous,
        }


def _parse_pin(requirement: str) -> tuple[str, Version]:
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        req = None
    specs = list(req.specifier) if req is not None else []
    if (
        req is None
        or len(specs) != 1
        or specs[0].operator not in {"==", "==="}
        or specs[0].version.endswith(".*")
        or req.url
        or req.marker
    ):
        raise ConfigError(
            f"{requirement!r}: `deploy install` takes one exact release, NAME==VERSION "
            "(e.g. `my-app==1.2.3`), so the directory it makes says what it holds."
        )
    try:
        return req.name, Version(specs[0].version)
    except InvalidVersion:
        raise ConfigError(
            f"{requirement!r}: {specs[0].version!r} is not a PEP 440 version."
        ) from None


def _installer_command(installer: str, target: Path, pin: str, index_url: str | None) -> list[str]:
    if installer == "pip":
        cmd = [
            sys.executable, "-m", "pip", "install", "--target", str(target), "--no-input",
            "--disable-pip-version-check", "--no-warn-script-location", "--no-compile",
        ]  # fmt: skip
    elif installer == "uv":
        uv = shutil.which("uv")
        if uv is None:
            try:
                from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]

                uv = str(find_uv_bin())
            except (ImportError, FileNotFoundError):
                raise ConfigError(
                    "--installer uv: uv is not installed here. Install it (`pip install uv`) "
                    "or use --installer pip."
                ) from None
        cmd = [uv, "pip", "install", "--target", str(target), "--python", sys.executable]
    else:
        raise ConfigError(f"--installer {installer!r}: choose one of {', '.join(INSTALLERS)}.")
    if index_url:
        cmd += ["--index-url", index_url]
    return [*cmd, pin]


def _sweep_stale(directory: Path) -> None:
    """Remove ``.install-*`` / ``.remove-*`` directories left by a process that is gone."""
    for entry in os.scandir(directory):
        if not entry.name.startswith((".install-", ".remove-")):
            continue
        try:
            pid = int(entry.name.split("-")[-2])
            os.kill(pid, 0)
            continue  # its process still runs
        except (ValueError, IndexError, ProcessLookupError):
            pass
        except PermissionError:
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _dist_infos(lib: Path) -> dict[str, tuple[Path, str]]:
    """``{normalized name: (dist-info directory, version)}`` of every distribution in ``lib``
    (``METADATA`` read with ``packaging.metadata.parse_email``)."""
    from packaging.metadata import parse_email

    found: dict[str, tuple[Path, str]] = {}
    for info in lib.glob("*.dist-info"):
        try:
            raw = parse_email((info / "METADATA").read_bytes())[0]
        except OSError:
            continue
        name, version = raw.get("name"), raw.get("version")
        if name and version:
            found[canonicalize_name(name)] = (info, version)
    return found


_WRAPPER = """\
#!{python}
# A console script of {name} {version}, made by `vcrelease deploy install`: it runs with this
# version's own lib directory first on the module search path. The directory is found through
# this file's real path, resolved once at start, so a `live` link switched while it runs does
# not mix two versions.
import importlib
import os
import sys

here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(here, "lib"))
target = importlib.import_module({module!r})
for attribute in {attributes!r}:
    target = getattr(target, attribute)
sys.exit(target())
"""


def _write_scripts(version_dir: Path, name: str, version: str) -> tuple[str, ...]:
    """Console-script wrappers in ``bin/`` for every distribution's ``console_scripts``."""
    import configparser

    lib, bin_dir = version_dir / "lib", version_dir / "bin"
    bin_dir.mkdir(exist_ok=True)
    made = []
    for info, _ in _dist_infos(lib).values():
        entry_points = info / "entry_points.txt"
        if not entry_points.is_file():
            continue
        parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(entry_points, encoding="utf-8")
        if not parser.has_section("console_scripts"):
            continue
        for script, value in parser.items("console_scripts"):
            module, _, attribute = value.partition(":")
            attribute = attribute.split("[")[0].strip()
            path = bin_dir / script
            path.write_text(
                _WRAPPER.format(
                    python=sys.executable,
                    name=name,
                    version=version,
                    module=module.strip(),
                    attributes=tuple(a for a in attribute.split(".") if a),
                ),
                encoding="utf-8",
            )
            path.chmod(0o755)
            made.append(script)
    shutil.rmtree(lib / "bin", ignore_errors=True)  # the installer's scripts, not wrapped
    return tuple(sorted(made))


def install(
    root: Path,
    requirement: str,
    *,
    index_url: str | None = None,
    installer: str = "pip",
) -> InstallResult:
    """Install ``NAME==VERSION`` and its dependency closure into ``ROOT/NAME/VERSION``.

    Raises:
        ConfigError: not an exact pin; an unknown installer (exit 2).
        DeployRefused: another user's root; an equal version installed under another spelling
            (exit 1).
        InstallFailed: the installer failed, or installed another version (exit 4).
    """
    name, wanted = _parse_pin(requirement)
    directory = project_dir(root, name)
    check_owner(root)
    version = str(wanted)
    final = directory / version
    directory.mkdir(parents=True, exist_ok=True)
    with locked(directory):
        _sweep_stale(directory)
        versions = installed_versions(directory)
    if version in versions:
        return InstallResult(directory.name, version, final, True, update_links_locked(directory))
    twins = [n for n, v in versions.items() if v == wanted]
    if twins:
        raise DeployRefused(
            f"{directory.name} {twins[0]} is installed, and {version} is the same PEP 440 "
            "version: nothing to install. Use that version's name."
        )
    temporary = directory / f".install-{version}-{os.getpid()}-{time.monotonic_ns()}"
    try:
        lib = temporary / "lib"
        lib.mkdir(parents=True)
        pin = f"{name}=={version}"
        result = subprocess.run(
            _installer_command(installer, lib, pin, index_url),
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONNOUSERSITE": "1"},
        )
        if result.returncode != 0:
            tail = redact_text((result.stderr or result.stdout).strip())[-1500:]
            raise InstallFailed(
                f"{installer} could not install {pin} (exit {result.returncode}): {tail}\n"
                "Check the name, the version and --index-url; nothing was installed."
            )
        dist = _dist_infos(lib).get(canonicalize_name(name))
        if dist is None or Version(dist[1]) != wanted:
            got = "nothing" if dist is None else f"version {dist[1]}"
            raise InstallFailed(
                f"{installer} installed {got} for {pin}: the index answered with another "
                "release. Nothing was installed."
            )
        scripts = _write_scripts(temporary, directory.name, version)
        (temporary / MARKER).write_text(
            json.dumps(
                {
                    "name": name,
                    "version": version,
                    "installer": installer,
                    "index_url": redact_text(index_url) if index_url else None,
                    "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "python": sys.executable,
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        with locked(directory):
            try:
                os.rename(temporary, final)
            except OSError:
                if version not in installed_versions(directory):
                    raise
                return InstallResult(
                    directory.name, version, final, True, update_links_locked(directory, lock=False)
                )
            links = update_links(directory, installed_versions(directory))
        return InstallResult(directory.name, version, final, False, links, scripts)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)


def update_links_locked(directory: Path, *, lock: bool = True) -> dict[str, str]:
    """:func:`.layout.update_links` for the versions installed now, under the lock."""
    context = locked(directory) if lock else contextlib.nullcontext()
    with context:
        return update_links(directory, installed_versions(directory))


def _existing(root: Path, name: str) -> Path:
    directory = project_dir(root, name)
    if not directory.is_dir():
        raise NotInstalled(
            f"{name}: nothing is deployed under {root} (no {directory}). Install it first: "
            f"`vcrelease deploy install {name}==VERSION --root {root}`."
        )
    return directory


def resolve(root: Path, name: str, spec: str | None) -> Path:
    """The version directory ``spec`` names (no spec: what ``live`` points at).

    Raises:
        NotInstalled: nothing installed matches (exit 2).
        DeployRefused: ``live`` was changed by hand to point outside the versions (exit 1).
    """
    directory = _existing(root, name)
    versions = installed_versions(directory)
    if spec is None:
        target = link_target(directory, LIVE)
        if target is None or target not in versions:
            raise NotInstalled(
                f"{directory.name}: no live version under {root}. Name a version "
                f"(`{name}@1.2`) or make one live: `vcrelease deploy live {name} VERSION`."
            )
        return directory / target
    chosen = select(versions, spec)
    if chosen is None:
        have = ", ".join(sorted(versions, key=lambda n: versions[n])) or "none"
        raise NotInstalled(
            f"{directory.name}: no installed version matches {spec!r} (installed: {have}). "
            f"Install one: `vcrelease deploy install {name}==VERSION --root {root}`."
        )
    return directory / chosen


def set_live(root: Path, name: str, spec: str) -> tuple[str, str | None]:
    """Point ``live`` at the version ``spec`` names; ``previous`` keeps the old target.
    Returns (new live, previous)."""
    check_owner(root)
    chosen = resolve(root, name, spec).name
    directory = _existing(root, name)
    with locked(directory):
        if chosen not in installed_versions(directory):
            raise NotInstalled(f"{directory.name} {chosen} was removed meanwhile; run again.")
        current = link_target(directory, LIVE)
        link_target(directory, PREVIOUS)  # refuse a hand-made previous before changing anything
        if current is not None and current != chosen:
            swap_link(directory, PREVIOUS, current)
        swap_link(directory, LIVE, chosen)
        return chosen, link_target(directory, PREVIOUS)


def rollback(root: Path, name: str) -> tuple[str, str]:
    """Swap ``live`` and ``previous``. Returns (new live, new previous).

    Raises:
        NotInstalled: no previous version to go back to, or it was removed (exit 2).
    """
    check_owner(root)
    directory = _existing(root, name)
    with locked(directory):
        current, before = link_target(directory, LIVE), link_target(directory, PREVIOUS)
        versions = installed_versions(directory)
        if before is None or before not in versions or current is None:
            raise NotInstalled(
                f"{directory.name}: nothing to roll back to (live: {current}, previous: "
                f"{before}). Make a version live with `vcrelease deploy live`."
            )
        swap_link(directory, LIVE, before)
        swap_link(directory, PREVIOUS, current)
        return before, current


def remove(root: Path, name: str, version: str) -> dict[str, str]:
    """Remove an installed version; the links move to what is left. Returns the links.

    Raises:
        DeployRefused: ``live`` or ``previous`` points at it (exit 1).
        NotInstalled: it is not installed (exit 2).
    """
    check_owner(root)
    directory = _existing(root, name)
    with locked(directory):
        versions = installed_versions(directory)
        chosen = select(versions, version) if version not in versions else version
        if chosen is None or (chosen != version and versions[chosen] != Version(version)):
            raise NotInstalled(f"{directory.name} {version} is not installed under {root}.")
        for link in (LIVE, PREVIOUS):
            if link_target(directory, link) == chosen:
                raise DeployRefused(
                    f"{directory.name} {chosen} is what `{link}` points at: it stays. Make "
                    f"another version live first (`vcrelease deploy live {name} VERSION`)."
                )
        rest = {n: v for n, v in versions.items() if n != chosen}
        links = update_links(directory, rest)
        trash = directory / f".remove-{chosen}-{os.getpid()}-{time.monotonic_ns()}"
        os.rename(directory / chosen, trash)
    shutil.rmtree(trash, ignore_errors=True)
    return links


def states(root: Path, name: str | None = None) -> list[ProjectState]:
    """Every project under ``root`` (or just ``name``): versions, links, live, previous."""
    if name is not None:
        directories = [_existing(root, name)]
    elif root.is_dir():
        directories = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    else:
        directories = []
    found = []
    for directory in directories:
        versions = installed_versions(directory)
        if not versions and name is None:
            continue
        links = {}
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.is_symlink() and entry.name not in {LIVE, PREVIOUS}:
                links[entry.name] = os.readlink(entry.path)
        found.append(
            ProjectState(
                directory.name,
                tuple(sorted(versions, key=lambda n: versions[n])),
                links,
                link_target(directory, LIVE),
                link_target(directory, PREVIOUS),
            )
        )
    return found


def script_path(version_dir: Path, script: str | None) -> Path:
    """The console script to run in ``version_dir/bin``: ``script``, else the one named like
    the project, else the only one.

    Raises:
        NotInstalled: no such script (exit 2), naming the scripts there are.
    """
    bin_dir = version_dir / "bin"
    scripts = sorted(p.name for p in bin_dir.iterdir()) if bin_dir.is_dir() else []
    project = version_dir.parent.name
    if script is None:
        if project in scripts:
            script = project
        elif len(scripts) == 1:
            script = scripts[0]
    if script is None or script not in scripts:
        raise NotInstalled(
            f"{project} {version_dir.name}: "
            + (f"no console script {script!r}" if script else "which console script?")
            + f" (it has: {', '.join(scripts) or 'none'}). Name one with --script."
        )
    return bin_dir / script
