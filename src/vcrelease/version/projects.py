"""The projects of one repository that use vcrelease, and sibling pins.

A repository may hold several Python projects (hatch keeps ``hatch`` and ``hatchling``, each
with its own tag prefix). Here:

- :func:`find_projects`: every ``pyproject.toml`` that git tracks in the work tree and whose
  project vcrelease versions (:func:`uses_vcrelease`);
- :func:`pinned_dependencies`: a project's ``[tool.vcrelease] dependencies`` with each sibling
  chosen by ``pin-siblings`` pinned to ``name==<its version at this commit>``, its version
  coming from its own configuration; in an unpacked sdist (``PKG-INFO``, no repository) the
  pins are read back from ``PKG-INFO``'s ``Requires-Dist``, so a wheel built from the sdist
  keeps them;
- :func:`survey`: what ``vcrelease projects`` shows for each project.

PEP 621 forbids a build back end to change a static field, so a project that pins siblings
lists ``dependencies`` in ``[project] dynamic`` and keeps the list in ``[tool.vcrelease]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import git
from ..config import Config, load_config, read_pyproject
from ..errors import ConfigError, VcreleaseError
from ..migration import uses_hatch_source
from .resolve import VersionResult, resolve_version

__all__ = [
    "Project",
    "ProjectState",
    "find_projects",
    "pin_requirements",
    "pinned_dependencies",
    "pins_from_pkg_info",
    "survey",
    "uses_vcrelease",
]


@dataclass(frozen=True)
class Project:
    """One project of the repository that uses vcrelease.

    Attributes:
        directory: the directory holding its ``pyproject.toml`` (absolute).
        relative: that directory relative to the work tree, ``/``-separated (``.`` at the top).
        name: ``[project] name``, or None.
        config: its ``[tool.vcrelease]`` settings.
    """

    directory: Path
    relative: str
    name: str | None
    config: Config


def uses_vcrelease(pyproject: Mapping[str, Any]) -> bool:
    """True when vcrelease versions the project of a parsed ``pyproject.toml``.

    That is: it has ``[tool.vcrelease]`` or hatch's ``source = "vcrelease"``; its ``[project]
    version`` is not static; and its build runs vcrelease: ``[build-system] requires`` names
    ``vcrelease``, or hatchling's ``code`` version source runs vcrelease's core from the
    project's own code (as vcrelease versions itself), or there is no ``[build-system]`` (the
    table configures the command line, ``vcrelease version`` and ``docker-tags``, of a
    repository that builds no Python package). A table left beside another versioning (a
    ``setup.py`` that computes the version, a plugin that is not installed) does not make a
    project.
    """
    tool = pyproject.get("tool", {})
    tool = tool if isinstance(tool, dict) else {}
    if "vcrelease" not in tool and not uses_hatch_source(dict(pyproject), "vcrelease"):
        return False
    project = pyproject.get("project", {})
    if isinstance(project, dict) and "version" in project:
        return False
    build = pyproject.get("build-system")
    if build is None:
        return True
    requires = build.get("requires", []) if isinstance(build, dict) else []
    if any(_requirement_name(r) == "vcrelease" for r in requires if isinstance(r, str)):
        return True
    return uses_hatch_source(dict(pyproject), "code")


def _requirement_name(text: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return _canonical(Requirement(text).name)
    except InvalidRequirement:
        return None


def find_projects(repo: git.Repository) -> tuple[Project, ...]:
    """The projects of ``repo`` that use vcrelease, by directory.

    Only ``pyproject.toml`` files git tracks count (untracked and ignored ones do not); one that
    is not valid TOML is passed over (it cannot be a project anyone builds).

    Raises:
        ConfigError: a project's ``[tool.vcrelease]`` is invalid (names the file and key).
        RepositoryError: the index cannot be read.
    """
    found: list[Project] = []
    for path in repo.tracked_files():
        if path != "pyproject.toml" and not path.endswith("/pyproject.toml"):
            continue
        relative = path.rpartition("/")[0] or "."
        directory = repo.root / relative
        try:
            data = read_pyproject(directory)
        except ConfigError:
            continue
        if not uses_vcrelease(data):
            continue
        config = load_config(directory)
        found.append(Project(directory, relative, config.dist_name, config))
    return tuple(sorted(found, key=lambda p: p.relative))


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def pins_from_pkg_info(project_dir: Path) -> dict[str, str] | None:
    """``name -> version`` of every ``Requires-Dist: name==version`` in ``project_dir/PKG-INFO``
    (canonical names), or None when there is no ``PKG-INFO``. Read with
    ``packaging.metadata.parse_email`` (core metadata, the package's one reader of it); a
    requirement that is not PEP 508 is left out."""
    path = project_dir / "PKG-INFO"
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    from packaging.metadata import parse_email
    from packaging.requirements import InvalidRequirement, Requirement

    pins: dict[str, str] = {}
    for line in parse_email(text)[0].get("requires_dist") or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        specs = list(requirement.specifier)
        if len(specs) == 1 and specs[0].operator == "==":
            pins[_canonical(requirement.name)] = specs[0].version
    return pins


def pin_requirements(
    dependencies: tuple[str, ...], versions: Mapping[str, str], where: str
) -> list[str]:
    """``dependencies`` with each one named in ``versions`` (canonical names) pinned to
    ``name==version``; extras and markers kept.

    Raises:
        ConfigError: a dependency's own specifier excludes its sibling's version.
    """
    from packaging.requirements import Requirement

    out: list[str] = []
    for text in dependencies:
        requirement = Requirement(text)
        version = versions.get(_canonical(requirement.name))
        if version is None:
            out.append(text)
            continue
        if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
            raise ConfigError(
                f"{where}: dependency {text!r} excludes {requirement.name} {version}, the "
                "version of that project at this commit. Widen the specifier (the pin replaces "
                "it) or tag the sibling."
            )
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        marker = f" ; {requirement.marker}" if requirement.marker else ""
        out.append(f"{requirement.name}{extras}=={version}{marker}")
    return out


def _selected(config: Config, dependencies: tuple[str, ...]) -> set[str] | None:
    """The canonical names ``pin-siblings`` names, or None for every sibling (``true``)."""
    if config.pin_siblings is True:
        return None
    assert not isinstance(config.pin_siblings, bool)
    from packaging.requirements import Requirement

    names = {_canonical(n) for n in config.pin_siblings}
    declared = {_canonical(Requirement(d).name) for d in dependencies}
    missing = sorted(names - declared)
    if missing:
        raise ConfigError(
            f"{config.where}: pin-siblings names {', '.join(missing)}, which "
            "[tool.vcrelease] dependencies does not list. Add the dependency or drop the name."
        )
    return names


def pinned_dependencies(
    project_dir: Path,
    pyproject: Mapping[str, Any],
    config: Config,
    *,
    env: Mapping[str, str] | None = None,
    repo: git.Repository | None = None,
) -> list[str] | None:
    """The dependencies to write into the built metadata, siblings pinned; None when
    ``pin-siblings`` is off.

    Raises:
        ConfigError: ``dependencies`` is not in ``[project] dynamic``, or not in
            ``[tool.vcrelease]``; a name in ``pin-siblings`` is not a dependency or not a
            sibling; a specifier excludes the sibling's version.
        NoVersionError: a sibling has no version (and its subclasses).
    """
    if not config.pin_siblings:
        return None
    where = config.where
    dynamic = pyproject.get("project", {}).get("dynamic", [])
    if not isinstance(dynamic, list) or "dependencies" not in dynamic:
        raise ConfigError(
            f"{where}: pin-siblings rewrites the dependencies, and PEP 621 forbids a build "
            "back end to change a static [project] dependencies. Move the list to "
            '[tool.vcrelease] dependencies and add "dependencies" to [project] dynamic.'
        )
    if config.dependencies is None:
        raise ConfigError(
            f'{where}: pin-siblings is set and [project] dynamic lists "dependencies", but '
            "[tool.vcrelease] has no dependencies list: put the project's dependencies there."
        )
    selected = _selected(config, config.dependencies)
    from_sdist = pins_from_pkg_info(project_dir)
    if from_sdist is not None:  # an unpacked sdist: the pins it was built with
        versions = {k: v for k, v in from_sdist.items() if selected is None or k in selected}
        return pin_requirements(config.dependencies, versions, where)
    root = git.find_work_tree(project_dir) if repo is None else repo.root
    if root is None:
        raise ConfigError(
            f"{where}: pin-siblings needs the repository (to find the siblings' versions) or "
            f"an sdist's PKG-INFO, and {project_dir} has neither."
        )
    with git.open(root) if repo is None else nullcontext(repo) as session:
        versions = _sibling_versions(project_dir, config, selected, env, session)
    return pin_requirements(config.dependencies, versions, where)


def _sibling_versions(
    project_dir: Path,
    config: Config,
    selected: set[str] | None,
    env: Mapping[str, str] | None,
    repo: git.Repository,
) -> dict[str, str]:
    from packaging.requirements import Requirement

    own = project_dir.resolve()
    siblings = {
        _canonical(p.name): p
        for p in find_projects(repo)
        if p.name is not None and p.directory.resolve() != own
    }
    if selected is not None:
        unknown = sorted(selected - set(siblings))
        if unknown:
            known = ", ".join(sorted(siblings)) or "none"
            raise ConfigError(
                f"{config.where}: pin-siblings names {', '.join(unknown)}, which is not a "
                f"project of this repository using vcrelease (found: {known})."
            )
    assert config.dependencies is not None
    wanted = {_canonical(Requirement(d).name) for d in config.dependencies}
    versions: dict[str, str] = {}
    for name in sorted(wanted & set(siblings)):
        if selected is not None and name not in selected:
            continue
        sibling = siblings[name]
        result = resolve_version(sibling.directory, config=sibling.config, env=env, repo=repo)
        versions[name] = result.version
    return versions


@dataclass(frozen=True)
class ProjectState:
    """One row of ``vcrelease projects``.

    Attributes:
        project: the project.
        version: its version, or None when it has none (then ``error`` says why).
        pins: its dependencies as built, siblings pinned (empty when ``pin-siblings`` is off).
        error: the message of the error that stopped its version or pins, else None.
    """

    project: Project
    version: VersionResult | None
    pins: tuple[str, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON form (``vcrelease projects --format json``)."""
        state = self.version.describe if self.version is not None else None
        return {
            "name": self.project.name,
            "directory": self.project.relative,
            "version": self.version.version if self.version is not None else None,
            "source": self.version.source if self.version is not None else None,
            "tag": state.tag if state is not None else None,
            "distance": state.distance if state is not None else None,
            "dirty": state.dirty if state is not None else None,
            "pins": list(self.pins),
            "error": self.error,
        }


def survey(path: Path, env: Mapping[str, str] | None = None) -> tuple[ProjectState, ...]:
    """Every project of the repository holding ``path``, with its version and pins.

    A project whose version or pins cannot be found gets its error in its row; the others
    are still listed.

    Raises:
        RepositoryError: ``path`` is in no work tree, or the repository cannot be read.
        ConfigError: a project's ``[tool.vcrelease]`` is invalid.
    """
    env = os.environ if env is None else env
    states: list[ProjectState] = []
    with git.open(path) as repo:
        for project in find_projects(repo):
            try:
                result = resolve_version(
                    project.directory, config=project.config, env=env, repo=repo
                )
            except VcreleaseError as exc:
                states.append(ProjectState(project, None, error=exc.message))
                continue
            try:
                pins = pinned_dependencies(
                    project.directory,
                    read_pyproject(project.directory),
                    project.config,
                    env=env,
                    repo=repo,
                )
            except VcreleaseError as exc:
                states.append(ProjectState(project, result, error=exc.message))
                continue
            states.append(ProjectState(project, result, tuple(pins or ())))
    return tuple(states)
