"""setuptools file finder: the files git tracks go into the sdist, as with setuptools-scm.

Registered as a ``setuptools.file_finders`` entry point: setuptools' ``egg_info`` asks every
finder for the files below the project directory and puts them into ``SOURCES.txt`` and the
sdist. Without one, an sdist holds only what setuptools finds itself (packages, README,
``pyproject.toml``): tests, docs and ``tox.ini`` silently go missing for a project that moved
from setuptools-scm.

It answers only for projects that opted in (``[tool.vcrelease]``, as the version hook decides)
and only when they are built from a git work tree: in an unpacked sdist (``PKG-INFO`` in the
project directory) it lists nothing, and setuptools reads the sdist's own ``SOURCES.txt``, as
with setuptools-scm. The list is read by vcrelease's git reader
(:meth:`vcrelease.git.Repository.tracked_files`: the index, submodules, ``export-ignore``);
the walk below follows setuptools-scm's ``scm_find_files`` (``vcs_versioning._file_finders``):
a tracked symlink to a directory inside the project is listed as itself, not walked; links
that git does not track are skipped.

Importing this module is cheap (standard library only): setuptools loads it for every sdist.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from . import pyproject_or_none, uses_vcrelease

__all__ = ["find_files", "walk_tracked"]

log = logging.getLogger(__name__)


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def walk_tracked(path: str, scm_files: set[str], scm_dirs: set[str]) -> list[str]:
    """The files below ``path`` that are tracked (a port of setuptools-scm's
    ``scm_find_files``): ``scm_files`` and ``scm_dirs`` are real (symlink-resolved),
    ``normcase``-d absolute paths; the results keep ``path`` as given (joined with the
    relative path below it)."""
    realpath = _real(path)
    seen: set[str] = set()
    res: list[str] = []
    for dirpath, dirnames, filenames in os.walk(realpath, followlinks=True):
        realdirpath = _real(dirpath)

        def link_not_tracked(name: str, realdirpath: str = realdirpath) -> bool:
            full = os.path.join(realdirpath, os.path.normcase(name))
            return os.path.islink(full) and full not in scm_files

        if realdirpath not in scm_dirs:
            dirnames[:] = []
            continue
        if os.path.islink(dirpath) and not os.path.relpath(realdirpath, realpath).startswith(
            os.pardir
        ):
            res.append(os.path.join(path, os.path.relpath(dirpath, path)))
            dirnames[:] = []
            continue
        if realdirpath in seen:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if not link_not_tracked(d)]
        for filename in filenames:
            if link_not_tracked(filename):
                continue
            full = os.path.join(dirpath, filename)
            if _real(full) in scm_files:
                res.append(os.path.join(path, os.path.relpath(full, realpath)))
        seen.add(realdirpath)
    return res


def tracked_files_below(path: str) -> list[str]:
    """The git-tracked files below ``path`` (any project: no opt-in check); [] outside a work
    tree or in an unpacked sdist.

    Raises:
        RepositoryError: the repository or its index cannot be read.
    """
    project = Path(os.path.abspath(path or "."))
    if (project / "PKG-INFO").is_file():
        return []  # an unpacked sdist: setuptools reads its SOURCES.txt
    from vcrelease import git

    top = git.find_work_tree(project)
    if top is None:
        return []
    with git.Repository(top) as repo:
        names = repo.tracked_files()
    toplevel = _real(str(top))
    files: set[str] = set()
    dirs: set[str] = {toplevel}
    for name in names:
        full = os.path.join(toplevel, os.path.normcase(name).replace("/", os.sep))
        files.add(full)
        parent = os.path.dirname(full)
        while len(parent) > len(toplevel) and parent not in dirs:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    return walk_tracked(path, files, dirs)


def find_files(path: str = "") -> list[str]:
    """setuptools' ``file_finders`` hook: tracked files below ``path`` for a vcrelease
    project (``[tool.vcrelease]`` in ``./pyproject.toml``), else nothing.

    Raises:
        BuildError: the repository cannot be read (a ``SystemExit`` with the message): an
            sdist that silently misses files is worse than a stopped build.
    """
    pyproject = pyproject_or_none(Path.cwd())
    if pyproject is None or not uses_vcrelease(pyproject):
        return []
    from vcrelease.errors import VcreleaseError

    from . import fail

    try:
        files = tracked_files_below(path)
    except VcreleaseError as error:
        fail(error)
    log.info("vcrelease: %d git-tracked files below %s", len(files), path or ".")
    return files
