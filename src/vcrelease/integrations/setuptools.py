"""setuptools plugin: the version of ``python -m build`` (sdist, wheel, editable) from git.

Registered as a ``setuptools.finalize_distribution_options`` entry point, so setuptools calls
:func:`finalize_distribution_options` for every ``Distribution`` it makes, in every project
built where vcrelease is installed. The hook does nothing unless the project opted in:
``pyproject.toml`` has a ``[tool.vcrelease]`` table and ``[project] dynamic`` lists
``version``.

The ``*.egg-info`` directory is cleared of files this build does not write (setuptools-scm's
``scm_version.json`` and ``scm_file_list.json`` from an earlier build), so they never ship.

When ``version-file`` is configured, the file is written into what is built: into
``build_py``'s ``build_lib`` (so into the wheel) and into the sdist's release tree. An editable
install (``build_py`` in ``editable_mode``, run by ``editable_wheel``) imports from the source
tree, so there the file is written into the work tree, where git ignores it
(:mod:`vcrelease.integrations.editable`). The project's own ``build_py`` and ``sdist``
classes (``cmdclass`` in ``setup.py`` or ``[tool.setuptools.cmdclass]``) are kept: ours is a
mixin put in front of them when setuptools looks the command up.

A wheel built from the sdist keeps the sdist's version: the core reads ``PKG-INFO``.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from vcrelease.errors import VcreleaseError

from . import commit_id, fail, pyproject_or_none, resolve, uses_vcrelease, version_file_text
from .pins import pinned

if TYPE_CHECKING:
    from collections.abc import Callable

    # setuptools ships no type information (no py.typed): its classes are Any to mypy.
    from setuptools import Command, Distribution  # type: ignore[import-untyped,unused-ignore]
    from setuptools.command.build_py import (  # type: ignore[import-untyped,unused-ignore]
        build_py as _BuildPy,
    )
    from setuptools.command.egg_info import (  # type: ignore[import-untyped,unused-ignore]
        egg_info as _EggInfo,
    )
    from setuptools.command.sdist import (  # type: ignore[import-untyped,unused-ignore]
        sdist as _Sdist,
    )

    from vcrelease.git import Describe
else:
    _BuildPy = object
    _EggInfo = object
    _Sdist = object

__all__ = ["finalize_distribution_options"]

log = logging.getLogger(__name__)

_STATE = "_vcrelease_state"
_PATCHED = "_vcrelease_get_command_class"


@dataclass(frozen=True)
class _State:
    """What the build commands need, stored on the ``Distribution``."""

    project_dir: Path
    version: str
    node: str | None
    version_file: str | None
    template: str | None = None
    describe: Describe | None = None

    def text(self) -> str:
        """The version file's content (``version_file`` must be set)."""
        assert self.version_file is not None
        try:
            return version_file_text(
                self.project_dir,
                self.version_file,
                self.version,
                self.node,
                self.template,
                self.describe,
            )
        except VcreleaseError as error:
            fail(error)


def finalize_distribution_options(dist: Distribution) -> None:
    """Set ``dist.metadata.version`` from git when the project opted in to vcrelease.

    setuptools runs this hook while it makes the ``Distribution``, before it reads
    ``pyproject.toml`` itself; the project directory is the current directory (where
    setuptools' build backend runs).

    Raises:
        BuildError: no version can be derived; a ``SystemExit`` carrying the core's message.
    """
    project_dir = Path.cwd()
    pyproject = pyproject_or_none(project_dir)
    if pyproject is None or not uses_vcrelease(pyproject):
        return
    if dist.metadata.version is not None:
        # setup(version=...) in setup.py is explicit: it wins, as with setuptools-scm.
        log.warning(
            "vcrelease: the version of %s is already set to %s (setup.py?); not replacing it.",
            dist.metadata.name or project_dir,
            dist.metadata.version,
        )
        return

    result = resolve(project_dir)
    dist.metadata.version = result.version
    dependencies = pinned(project_dir, pyproject)  # pin-siblings; "dependencies" is dynamic
    if dependencies is not None:
        dist.install_requires = dependencies
        log.info("vcrelease: dependencies %s", ", ".join(dependencies))
    config = result.config
    state = _State(
        project_dir,
        result.version,
        commit_id(result),
        config.version_file,
        config.version_file_template,
        result.describe,
    )
    setattr(dist, _STATE, state)
    log.info("vcrelease: version %s (from %s)", result.version, result.source)
    _wrap_commands(dist)
    if state.version_file is not None and config.write_to_source:
        # write-to-source (setuptools-scm's write_to_source = true): the file is kept in
        # the checkout on every build, where git ignores it.
        from .editable import write_editable_version_file

        written = write_editable_version_file(
            project_dir, state.version_file, state.text(), log.warning
        )
        if written is not None:
            log.info("vcrelease: wrote %s (write-to-source)", written)


def _state(dist: Distribution) -> _State | None:
    state = getattr(dist, _STATE, None)
    return state if isinstance(state, _State) else None


def _write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` without touching any file ``target`` is hard-linked to.

    Both ``sdist`` (release tree) and ``build_py`` may hard-link files from the source tree:
    writing through such a link would change the source file.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.write_text(text, encoding="utf-8")


class _VersionFileBuildPy(_BuildPy):  # type: ignore[misc,unused-ignore]
    """``build_py`` mixin: writes the version file into ``build_lib`` after the normal run.

    No runtime base class: it goes in front of whatever ``build_py`` the project uses, and
    ``super()`` reaches that class.
    """

    def run(self) -> None:
        state = _state(self.distribution)
        if getattr(self, "editable_mode", False):
            # editable_wheel: the package is imported from the source tree; write the file
            # there (where git ignores it) before the modules are listed.
            if state is not None and state.version_file is not None:
                from .editable import write_editable_version_file

                written = write_editable_version_file(
                    state.project_dir, state.version_file, state.text(), log.warning
                )
                if written is not None:
                    log.info("vcrelease: wrote %s (editable install)", written)
            super().run()
            return
        super().run()
        if state is None or state.version_file is None:
            return
        target = self._vcrelease_target(state.version_file)
        if target is None:
            # Expected for a top-level VERSION.txt (the sdist has it); a surprise for a .py.
            log.log(
                logging.WARNING if state.version_file.endswith(".py") else logging.INFO,
                "vcrelease: version-file %s is not inside a package this build includes; "
                "it goes into the sdist only, not into the wheel.",
                state.version_file,
            )
            return
        _write(target, state.text())
        self._vcrelease_outputs = [str(target)]
        log.info("vcrelease: wrote %s", target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        # Listed so editable installs (strict mode) carry the file too.
        outputs = list(super().get_outputs(include_bytecode))
        return outputs + list(getattr(self, "_vcrelease_outputs", []))

    def _vcrelease_target(self, version_file: str) -> Path | None:
        """Where the file goes in ``build_lib``: the package whose directory holds it."""
        directory, name = posixpath.split(version_file)
        for package in self.packages or ():
            package_dir = Path(self.get_package_dir(package)).as_posix()
            if posixpath.normpath(package_dir) == posixpath.normpath(directory or "."):
                return Path(self.build_lib, *package.split("."), name)
        return None


class _VersionFileSdist(_Sdist):  # type: ignore[misc,unused-ignore]
    """``sdist`` mixin: writes the version file into the release tree (not the source tree)."""

    def make_release_tree(self, base_dir: str, files: Any) -> None:
        super().make_release_tree(base_dir, files)
        state = _state(self.distribution)
        if state is None or state.version_file is None:
            return
        _write(Path(base_dir, state.version_file), state.text())
        log.info("vcrelease: wrote %s into the sdist", state.version_file)


class _OwnEggInfo(_EggInfo):  # type: ignore[misc,unused-ignore]
    """``egg_info`` mixin: the ``*.egg-info`` directory holds only what this build writes.

    setuptools puts every file of that directory into the sdist (``manifest_maker`` grafts
    it) and copies it into the wheel's ``.dist-info`` (``bdist_wheel.egg2dist``). A build
    with setuptools-scm leaves ``scm_version.json`` and ``scm_file_list.json`` there (git
    ignores the directory), naming its tag, distance and commit: in the next build with
    vcrelease they would ship as if current. Before the normal run, every file that no
    ``egg_info.writers`` entry point of this environment writes (nor ``SOURCES.txt``) is
    removed; whatever the project's own ``egg_info`` and setuptools then write stays.
    """

    def run(self) -> None:
        _remove_leftovers(Path(self.egg_info))
        super().run()


def _remove_leftovers(directory: Path) -> None:
    """Remove the files of ``directory`` (an ``*.egg-info``) that this build does not write."""
    if not directory.is_dir():
        return
    from importlib.metadata import entry_points

    written = {ep.name for ep in entry_points(group="egg_info.writers")}
    written |= {"SOURCES.txt", "PKG-INFO"}
    for path in sorted(directory.iterdir()):
        if path.name not in written and (path.is_file() or path.is_symlink()):
            path.unlink()
            log.warning(
                "vcrelease: removed %s, left in %s by an earlier build (another plugin's "
                "file would otherwise ship in the sdist and the wheel)",
                path.name,
                directory,
            )


_MIXINS: dict[str, type] = {
    "build_py": _VersionFileBuildPy,
    "sdist": _VersionFileSdist,
    "egg_info": _OwnEggInfo,
}


_WRAPPED: dict[tuple[type, type], type] = {}


def _wrapped(command_class: type, mixin: type) -> type:
    """``command_class`` with ``mixin`` in front (one class per pair, so lookups are stable)."""
    key = (command_class, mixin)
    if key not in _WRAPPED:
        name = f"vcrelease_{command_class.__name__}"
        _WRAPPED[key] = type(name, (mixin, command_class), {"__module__": __name__})
    return _WRAPPED[key]


def _wrap_commands(dist: Distribution) -> None:
    """Put our mixins in front of ``build_py``, ``sdist`` and ``egg_info`` when setuptools
    looks them up.

    The lookup happens when the command runs, after ``setup.py`` and ``pyproject.toml``
    (``[tool.setuptools.cmdclass]``) had their say, so a project's own classes are kept.
    """
    if getattr(dist, _PATCHED, None) is not None:
        return
    original: Callable[[str], type[Command]] = dist.get_command_class

    def get_command_class(command: str) -> type[Command]:
        command_class = original(command)
        mixin = _MIXINS.get(command)
        if mixin is None or issubclass(command_class, mixin):
            return command_class
        wrapped = cast("type[Command]", _wrapped(command_class, mixin))
        dist.cmdclass[command] = wrapped
        return wrapped

    setattr(dist, _PATCHED, get_command_class)
    dist.get_command_class = get_command_class  # type: ignore[method-assign,unused-ignore]
